package goldenfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a fatal failure instead of stopping the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
	for _, a := range args {
		if s, ok := a.(string); ok {
			r.failed += " " + s
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "out.txt")

	r := &recorder{TB: t}
	Check(r, path, []byte("a\n"))
	if !strings.Contains(r.failed, "-update") {
		t.Fatalf("a missing golden file should name -update, got %q", r.failed)
	}

	*update = true
	r = &recorder{TB: t}
	Check(r, path, []byte("a\n"))
	*update = false
	if r.failed != "" {
		t.Fatalf("-update failed: %s", r.failed)
	}

	data, err := os.ReadFile(path)
	if err != nil || string(data) != "a\n" {
		t.Fatalf("-update wrote %q, %v", data, err)
	}

	r = &recorder{TB: t}
	Check(r, path, []byte("a\n"))
	if r.failed != "" {
		t.Fatalf("equal output failed: %s", r.failed)
	}

	r = &recorder{TB: t}
	Check(r, path, []byte("b\n"))
	if !strings.Contains(r.failed, "-want +got") || !strings.Contains(r.failed, "b") {
		t.Fatalf("a difference should show a diff, got %q", r.failed)
	}
}

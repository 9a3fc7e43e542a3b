// Package goldenfile compares test output with golden files, the one way every test of this module
// does it. Run a package's tests with -update to rewrite its golden files:
//
//	go test ./config -run TestGolden -update
package goldenfile

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is the -update flag of every test binary that imports this package.
var update = flag.Bool("update", false, "rewrite golden files instead of comparing with them")

// Updating reports whether the test binary runs with -update.
func Updating() bool { return *update }

// Check compares got with the golden file at path (relative to the package under test), or
// rewrites the file with -update. A difference fails the test with a diff (-want +got) and
// the command that rewrites the file; a missing file names that command too.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()

	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}

		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}

		return
	}

	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file %s: %v; create it with go test -run '^%s$' -update", path, err, t.Name())
	}

	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("%s differs from the output (-want +got); if the change is intended, rewrite it with go test -run '^%s$' -update:\n%s",
			path, t.Name(), diff)
	}
}

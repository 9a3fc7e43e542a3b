package sections_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/talospatch/talospatch/internal/goldenfile"
)

// golden compares got with the golden file testdata/name (go test -update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

package patches_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
)

// cniNone is a small strategic merge patch.
const cniNone = "cluster:\n  network:\n    cni:\n      name: none\n"

// patchOfSize returns cniNone padded with a YAML comment to exactly size bytes.
func patchOfSize(t *testing.T, size int) []byte {
	t.Helper()

	var b bytes.Buffer

	b.Grow(size)
	b.WriteString(cniNone)
	b.WriteString("# ")
	b.Write(bytes.Repeat([]byte("x"), size-b.Len()-1))
	b.WriteString("\n")
	require.Equal(t, size, b.Len())

	return b.Bytes()
}

func TestParseFileSizeLimit(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()

	atLimit := filepath.Join(dir, "at-limit.yaml")
	require.NoError(t, os.WriteFile(atLimit, patchOfSize(t, patches.MaxPatchFileSize), 0o600))

	p, err := patches.Load("@" + atLimit)
	require.NoError(t, err, "a file of exactly MaxPatchFileSize bytes is read")
	require.Equal(t, patches.KindStrategic, p.Kind())

	overLimit := filepath.Join(dir, "over-limit.yaml")
	require.NoError(t, os.WriteFile(overLimit, patchOfSize(t, patches.MaxPatchFileSize+1), 0o600))

	_, err = patches.Load("@" + overLimit)
	require.ErrorIs(t, err, patches.ErrPatchFileTooLarge)
	require.ErrorContains(t, err, overLimit)
	require.ErrorContains(t, err, strconv.Itoa(patches.MaxPatchFileSize))
	require.ErrorContains(t, err, "MaxPatchFileSize")
	require.ErrorContains(t, err, "split the patch")

	_, err = patches.ParseFileContext(context.Background(), overLimit)
	require.ErrorIs(t, err, patches.ErrPatchFileTooLarge)
}

func TestParseFileMissingNamesPath(t *testing.T) {
	t.Parallel()

	missing := filepath.Join(t.TempDir(), "missing.yaml")

	_, err := patches.LoadContext(context.Background(), "@"+missing)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, missing)

	_, err = patches.ParseFile(missing)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, missing)
}

func TestLoadContextEnded(t *testing.T) {
	t.Parallel()

	file := filepath.Join(t.TempDir(), "cni.yaml")
	require.NoError(t, os.WriteFile(file, []byte(cniNone), 0o600))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := patches.LoadContext(ctx, "@"+file)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, file)

	// Text is not read from anywhere, so the context does not matter.
	p, err := patches.LoadContext(ctx, cniNone)
	require.NoError(t, err)
	require.Equal(t, patches.KindStrategic, p.Kind())

	// A regular file within the limit reads as ParseFile does.
	got, err := patches.LoadContext(context.Background(), "@"+file)
	require.NoError(t, err)
	require.Equal(t, patches.MustParse(cniNone), got)

}

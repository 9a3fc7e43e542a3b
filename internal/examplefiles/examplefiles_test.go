package examplefiles

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/internal/ctxread"
	"github.com/talospatch/talospatch/talos"
)

func TestWriteFileExclusive(t *testing.T) {
	t.Parallel()

	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, WriteFile(p, []byte("one"), 0o600, true))
	require.Error(t, WriteFile(p, []byte("two"), 0o600, true), "exclusive never replaces")
	require.NoError(t, WriteFile(p, []byte("three"), 0o600, false))

	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "three", string(data))
}

func TestLoadOrCreateSecrets(t *testing.T) {
	t.Parallel()

	bench := filepath.Join("..", "..", "testdata", "bench", "secrets.yaml")

	s, created, err := LoadOrCreateSecrets(t.Context(), bench, t.TempDir(), talos.V1_13)
	require.NoError(t, err)
	require.Nil(t, created, "a loaded bundle is not written again")
	require.NotEmpty(t, s.ClusterID())

	_, _, err = LoadOrCreateSecrets(t.Context(), filepath.Join(t.TempDir(), "missing.yaml"), t.TempDir(), talos.V1_13)
	require.ErrorIs(t, err, os.ErrNotExist)

	out := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(out, SecretsFile), []byte("old"), 0o600))
	_, _, err = LoadOrCreateSecrets(t.Context(), "", out, talos.V1_13)
	require.ErrorContains(t, err, "already exists")

	s, created, err = LoadOrCreateSecrets(t.Context(), "", t.TempDir(), talos.V1_14)
	require.NoError(t, err)
	require.NotEmpty(t, created, "a new bundle is returned for the caller to write")
	require.NotEmpty(t, s.ClusterID())

	s, created, err = LoadOrCreateSecrets(t.Context(), "", t.TempDir(), talos.Contract(0))
	require.ErrorIs(t, err, talos.ErrNoContract, "the zero contract creates nothing")
	require.Nil(t, s)
	require.Nil(t, created)
}

func TestWriteNewSecrets(t *testing.T) {
	t.Parallel()

	out := t.TempDir()
	p := filepath.Join(out, SecretsFile)

	var stdout bytes.Buffer
	require.NoError(t, WriteNewSecrets(out, []byte("new"), &stdout))
	require.Equal(t, "created a new secrets bundle: "+p+" (keep it safe; reuse it with -secrets "+p+")\n", stdout.String())

	info, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	require.ErrorContains(t, WriteNewSecrets(out, []byte("newer"), &stdout), "write new secrets bundle", "an existing bundle is never replaced")

	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "new", string(data))
}

func TestWriteFileReplacesSafely(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	p := filepath.Join(dir, "controlplane.yaml")

	// An old, world-readable file: the new one gets exactly perm, not the old mode.
	require.NoError(t, os.WriteFile(p, []byte("old"), 0o644))
	require.NoError(t, os.Chmod(p, 0o644))
	require.NoError(t, WriteFile(p, []byte("key material"), 0o600, false))
	info, err := os.Lstat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// A symlink planted at the output path is replaced, and its target is untouched.
	target := filepath.Join(dir, "elsewhere")
	require.NoError(t, os.WriteFile(target, []byte("theirs"), 0o644))
	link := filepath.Join(dir, "worker.yaml")
	require.NoError(t, os.Symlink(target, link))
	require.NoError(t, WriteFile(link, []byte("ours"), 0o600, false))

	info, err = os.Lstat(link)
	require.NoError(t, err)
	require.True(t, info.Mode().IsRegular(), "the symlink is replaced by a regular file")
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	got, err := os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, "theirs", string(got), "the symlink's target is not written")

	// Exclusive refuses a symlink, even a dangling one.
	dangling := filepath.Join(dir, "secrets.yaml")
	require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), dangling))
	require.ErrorIs(t, WriteFile(dangling, []byte("secret"), 0o600, true), os.ErrExist)
	_, err = os.Stat(filepath.Join(dir, "nowhere"))
	require.ErrorIs(t, err, os.ErrNotExist)

	// Scripts keep their executable mode whatever the umask; a folder is not replaced.
	script := filepath.Join(dir, "install.sh")
	require.NoError(t, WriteFile(script, []byte("#!/bin/sh\n"), 0o755, false))
	info, err = os.Stat(script)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o755), info.Mode().Perm())
	require.ErrorContains(t, WriteFile(dir, []byte("x"), 0o600, false), "it is a folder")

	// Nothing temporary is left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.NotContains(t, e.Name(), ".tmp")
	}
}

func TestWriteAll(t *testing.T) {
	t.Parallel()

	dir := filepath.Join(t.TempDir(), "out")
	files := []File{{Name: "controlplane.yaml", Data: []byte("cp"), Perm: 0o600}, {Name: "install.sh", Data: []byte("#!/bin/sh\n"), Perm: 0o755}}

	var out bytes.Buffer
	require.NoError(t, WriteAll(dir, []byte("bundle"), files, &out))

	for _, f := range append(files, File{Name: SecretsFile, Data: []byte("bundle"), Perm: 0o600}) {
		p := filepath.Join(dir, f.Name)
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Equal(t, f.Data, data)

		fi, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, f.Perm, fi.Mode().Perm(), f.Name)
	}

	require.Contains(t, out.String(), "created a new secrets bundle")
	require.Contains(t, out.String(), "wrote "+filepath.Join(dir, "install.sh"))

	// A second run with a new bundle must not replace the first one.
	require.Error(t, WriteAll(dir, []byte("other"), nil, &out))
	require.NoError(t, WriteAll(dir, nil, files, &out), "without a new bundle the outputs are replaced")
}

func TestReadInput(t *testing.T) {
	t.Parallel()

	p := filepath.Join(t.TempDir(), "in.yaml")
	require.NoError(t, os.WriteFile(p, []byte("data"), 0o600))

	data, err := ReadInput(t.Context(), p, nil, 10)
	require.NoError(t, err)
	require.Equal(t, "data", string(data))

	data, err = ReadInput(t.Context(), "-", bytes.NewReader([]byte("stdin")), 10)
	require.NoError(t, err)
	require.Equal(t, "stdin", string(data))

	data, err = ReadInput(t.Context(), "-", bytes.NewReader(make([]byte, 11)), 10)
	require.ErrorContains(t, err, "longer than 10 bytes")
	require.ErrorIs(t, err, ctxread.ErrTooLarge, "the standard input's limit is the files' limit")
	require.Nil(t, data, "no data with an error")

	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err = ReadInput(t.Context(), "/dev/zero", nil, 1<<20)
		require.ErrorIs(t, err, ctxread.ErrTooLarge)
		require.ErrorContains(t, err, "/dev/zero")
	}

	_, err = ReadInput(t.Context(), filepath.Join(t.TempDir(), "missing"), nil, 10)
	require.ErrorIs(t, err, os.ErrNotExist)
}

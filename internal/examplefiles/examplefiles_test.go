package examplefiles

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

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

	s, created, err := LoadOrCreateSecrets(bench, t.TempDir(), talos.V1_13)
	require.NoError(t, err)
	require.Nil(t, created, "a loaded bundle is not written again")
	require.NotEmpty(t, s.ClusterID())

	_, _, err = LoadOrCreateSecrets(filepath.Join(t.TempDir(), "missing.yaml"), t.TempDir(), talos.V1_13)
	require.ErrorIs(t, err, os.ErrNotExist)

	out := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(out, SecretsFile), []byte("old"), 0o600))
	_, _, err = LoadOrCreateSecrets("", out, talos.V1_13)
	require.ErrorContains(t, err, "already exists")

	s, created, err = LoadOrCreateSecrets("", t.TempDir(), talos.V1_14)
	require.NoError(t, err)
	require.NotEmpty(t, created, "a new bundle is returned for the caller to write")
	require.NotEmpty(t, s.ClusterID())

	s, created, err = LoadOrCreateSecrets("", t.TempDir(), talos.Contract(0))
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

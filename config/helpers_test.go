package config_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

// testdataDir is the fixtures folder at the repository root (see testdata/README.md).
const testdataDir = "../testdata"

// benchSecrets returns the fixed secrets bundle of the fixtures.
func benchSecrets(t testing.TB) []byte {
	t.Helper()

	data, err := os.ReadFile(filepath.Join(testdataDir, "bench", "secrets.yaml"))
	require.NoError(t, err, "the fixtures are in testdata/ at the repository root")

	return data
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()

	path := filepath.Join("testdata", "golden", name)

	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))

		return
	}

	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./config -run %s -update", t.Name())

	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("%s differs from the golden file (-want +got); run with -update if intended:\n%s", path, diff)
	}
}

// loadBench loads the shared secrets bundle.
func loadBench(t testing.TB) *config.Secrets {
	t.Helper()

	s, err := config.LoadSecrets(benchSecrets(t))
	require.NoError(t, err)

	return s
}

// demo is the cluster most tests use.
func demo() config.Cluster {
	return config.Cluster{
		Name:              "demo",
		Endpoint:          "https://10.5.0.2:6443",
		Contract:          talos.V1_13,
		KubernetesVersion: "1.36.0",
		CNI:               config.CNI{Name: config.CNINone},
		KubeProxyDisabled: true,
		TalosEndpoints:    []string{"10.5.0.2"},
	}
}

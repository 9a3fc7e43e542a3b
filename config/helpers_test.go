package config_test

import (
	"os"
	"path/filepath"
	"testing"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/goldenfile"
	"github.com/talospatch/talospatch/patches"
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

// golden compares got with the golden file testdata/golden/name (go test -update rewrites it).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "golden", name), got)
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

// node builds one node's config the one way there is: a Builder with the layers, then Config.
func node(cs config.Configs, role config.Role, l config.Layers, ps ...patches.Patch) (coreconfig.Provider, error) {
	return nodeWithSettings(cs, role, l, config.NodeSettings{}, ps...)
}

// nodeWithSettings is node with settings.
func nodeWithSettings(cs config.Configs, role config.Role, l config.Layers, s config.NodeSettings, ps ...patches.Patch) (coreconfig.Provider, error) {
	b, err := cs.NewBuilder(l)
	if err != nil {
		return nil, err
	}

	return b.Config(config.Node{Role: role, Settings: s, Patches: ps})
}

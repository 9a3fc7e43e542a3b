package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/siderolabs/talos/pkg/machinery/config/validation"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

// benchSecrets is the fixed secrets bundle of the fixtures (testdata/ at the repository root).
var benchSecrets = filepath.Join("..", "..", "testdata", "bench", "secrets.yaml")

var outputs = []string{"controlplane.yaml", "worker.yaml", "talosconfig"}

// TestSameSecretsSameBytes runs the quickstart twice with the same -secrets: the outputs are
// byte-identical.
func TestSameSecretsSameBytes(t *testing.T) {
	t.Parallel()

	dirA, dirB := t.TempDir(), t.TempDir()

	var stdout bytes.Buffer
	require.NoError(t, run([]string{"-out", dirA, "-secrets", benchSecrets}, &stdout, io.Discard))
	require.NoError(t, run([]string{"-out", dirB, "-secrets", benchSecrets}, &stdout, io.Discard))

	for _, name := range outputs {
		a, err := os.ReadFile(filepath.Join(dirA, name))
		require.NoError(t, err)

		b, err := os.ReadFile(filepath.Join(dirB, name))
		require.NoError(t, err)

		require.NotEmpty(t, a, name)
		require.True(t, bytes.Equal(a, b), "%s differs between two runs with the same secrets", name)
	}

	require.NoFileExists(t, filepath.Join(dirA, "secrets.yaml"), "no secrets are written when -secrets is given")
	require.NotContains(t, stdout.String(), "secrets bundle")
}

// TestOutputLoadsAndValidates loads the output with machinery's configloader and validates it
// in container mode; the configs (contract v1.14, the default) are ready for Cilium: no
// KubeFlannelCNIConfig document (CNI "none"), and kube-proxy disabled by the control plane's
// KubeProxyConfig document.
func TestOutputLoadsAndValidates(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()

	var stdout bytes.Buffer
	require.NoError(t, run([]string{"-out", dir, "-secrets", benchSecrets}, &stdout, io.Discard))

	for _, tc := range []struct {
		file string
		typ  machine.Type
	}{
		{"controlplane.yaml", machine.TypeControlPlane},
		{"worker.yaml", machine.TypeWorker},
	} {
		data, err := os.ReadFile(filepath.Join(dir, tc.file))
		require.NoError(t, err)

		cfg, err := configloader.NewFromBytes(data)
		require.NoError(t, err, tc.file)

		// What Talos checks, in both runtime modes the demo cluster is meant for (the
		// quickstart sets the install disk and the installer image talosctl 1.14.1 writes).
		for _, mode := range []config.Mode{config.ModeContainer, config.ModeMetal} {
			warnings, err := cfg.ValidateAsClient(mode, validation.WithLocal())
			require.NoError(t, err, "%s in %s mode", tc.file, mode)
			require.Empty(t, warnings, "%s in %s mode", tc.file, mode)

			warnings, err = cfg.Validate(mode) // the full check, Kubernetes versions included
			require.NoError(t, err, "%s in %s mode", tc.file, mode)
			require.Empty(t, warnings, "%s in %s mode", tc.file, mode)
		}

		require.Equal(t, tc.typ, cfg.Machine().Type())
		require.Equal(t, "https://10.5.0.2:6443", cfg.K8sClusterConfig().ClusterEndpoint().String())

		kinds := map[string]int{}
		for _, d := range cfg.Documents() {
			kinds[d.Kind()]++
		}

		// v1.14: the CNI and kube-proxy are documents, and the v1alpha1 document has neither
		// cluster.network.cni nor cluster.proxy (which would conflict with them).
		require.Zero(t, kinds["KubeFlannelCNIConfig"], "%s: CNI none is no flannel document", tc.file)
		require.Nil(t, cfg.K8sFlannelCNIConfig(), tc.file)

		if cc := cfg.RawV1Alpha1().ClusterConfig; cc != nil {
			require.Nil(t, cc.ProxyConfig, tc.file)

			if cc.ClusterNetwork != nil {
				require.Nil(t, cc.ClusterNetwork.CNI, tc.file)
			}
		}

		if tc.typ == machine.TypeControlPlane {
			require.Equal(t, 1, kinds["KubeProxyConfig"], tc.file)
			require.False(t, cfg.K8sProxyConfig().Enabled(), tc.file)
		} else {
			require.Zero(t, kinds["KubeProxyConfig"], "%s: KubeProxyConfig is a control-plane document", tc.file)
		}
	}

	require.NotContains(t, stdout.String(), "warning: ", "the demo cluster has nothing to warn about")

	data, err := os.ReadFile(filepath.Join(dir, "talosconfig"))
	require.NoError(t, err)

	tc, err := clientconfig.FromBytes(data)
	require.NoError(t, err)
	require.Equal(t, "demo", tc.Context)
	require.Equal(t, []string{"10.5.0.2"}, tc.Contexts["demo"].Endpoints)
}

// TestNewSecretsWrittenAndNeverReplaced runs without -secrets: a new bundle is written and
// announced; a second run into the same directory refuses to replace it; the bundle reproduces
// the configs.
func TestNewSecretsWrittenAndNeverReplaced(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()

	var stdout bytes.Buffer
	require.NoError(t, run([]string{"-out", dir}, &stdout, io.Discard))
	require.Contains(t, stdout.String(), "created a new secrets bundle: "+filepath.Join(dir, "secrets.yaml"))

	secretsYAML, err := os.ReadFile(filepath.Join(dir, "secrets.yaml"))
	require.NoError(t, err)

	_, err = config.LoadSecrets(secretsYAML)
	require.NoError(t, err)

	err = run([]string{"-out", dir}, &stdout, io.Discard)
	require.ErrorContains(t, err, "already exists")

	after, err := os.ReadFile(filepath.Join(dir, "secrets.yaml"))
	require.NoError(t, err)
	require.Equal(t, secretsYAML, after, "secrets.yaml must never be replaced")

	// The new bundle reproduces the same configs.
	again := t.TempDir()
	require.NoError(t, run([]string{"-out", again, "-secrets", filepath.Join(dir, "secrets.yaml")}, &stdout, io.Discard))

	for _, name := range outputs {
		a, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)

		b, err := os.ReadFile(filepath.Join(again, name))
		require.NoError(t, err)
		require.True(t, bytes.Equal(a, b), name)
	}
}

func TestBadFlags(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-bogus"}, "flag provided but not defined"},
		{"bad mode", []string{"-mode", "vm"}, "want container, metal or cloud"},
		{"bad endpoint", []string{"-secrets", benchSecrets, "-endpoint", "10.5.0.2"}, `fix: "https://10.5.0.2:6443"`},
		{"bad contract", []string{"-secrets", benchSecrets, "-contract", "latest"}, `invalid value "latest" for flag -contract`},
		{"kubernetes too new for the contract", []string{"-secrets", benchSecrets, "-contract", "v1.13"}, "/kubernetesVersion"},
		{"missing secrets file", []string{"-secrets", "does-not-exist.yaml"}, "no such file"},
		{"extra args", []string{"x"}, "unexpected arguments"},
		{"bad issue time", []string{"-secrets", benchSecrets, "-talosconfig-issued", "yesterday"}, "-talosconfig-issued"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			dir := t.TempDir()

			var stdout bytes.Buffer
			err := run(append([]string{"-out", dir}, tc.args...), &stdout, io.Discard)
			require.ErrorContains(t, err, tc.want)

			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Empty(t, entries, "no output on error")
		})
	}
}

func TestCommentsFlag(t *testing.T) {
	t.Parallel()

	plain, commented := t.TempDir(), t.TempDir()

	var stdout bytes.Buffer
	// Without Cilium: its manifest has "# " in its own text.
	require.NoError(t, run([]string{"-out", plain, "-secrets", benchSecrets, "-chart", "none"}, &stdout, io.Discard))
	require.NoError(t, run([]string{"-out", commented, "-secrets", benchSecrets, "-chart", "none", "-comments"}, &stdout, io.Discard))

	a, err := os.ReadFile(filepath.Join(plain, "controlplane.yaml"))
	require.NoError(t, err)

	b, err := os.ReadFile(filepath.Join(commented, "controlplane.yaml"))
	require.NoError(t, err)

	require.NotContains(t, string(a), "# ")
	require.True(t, strings.Contains(string(b), "# "), "comments expected")
	require.Greater(t, len(b), len(a))
}

// TestCiliumInlineAndKubeSpan runs the quickstart with -chart and -kubespan: Cilium is inlined
// into the control-plane config only, KubeSpan and discovery are on for every node, the configs
// validate, and two runs give the same bytes.
func TestCiliumInlineAndKubeSpan(t *testing.T) {
	t.Parallel()

	chart := filepath.Join("..", "..", "testdata", "charts", "cilium-1.18.12.tgz")

	for _, contract := range []string{"v1.14", "v1.13"} {
		t.Run(contract, func(t *testing.T) {
			t.Parallel()

			kubernetes := talos.MustParseContract(contract).Kubernetes().Default
			testCiliumInlineAndKubeSpan(t, []string{"-secrets", benchSecrets, "-chart", chart, "-kubespan", "-contract", contract, "-kubernetes", kubernetes})
		})
	}
}

func testCiliumInlineAndKubeSpan(t *testing.T, args []string) {
	t.Helper()

	dirA, dirB := t.TempDir(), t.TempDir()

	var stdout bytes.Buffer
	require.NoError(t, run(append([]string{"-out", dirA}, args...), &stdout, io.Discard))
	require.NoError(t, run(append([]string{"-out", dirB}, args...), &stdout, io.Discard))

	for _, name := range outputs {
		a, err := os.ReadFile(filepath.Join(dirA, name))
		require.NoError(t, err)

		b, err := os.ReadFile(filepath.Join(dirB, name))
		require.NoError(t, err)

		require.True(t, bytes.Equal(a, b), "%s differs between two runs", name)
	}

	for _, tc := range []struct {
		file    string
		typ     machine.Type
		inlined int
	}{
		{"controlplane.yaml", machine.TypeControlPlane, 1},
		{"worker.yaml", machine.TypeWorker, 0},
	} {
		data, err := os.ReadFile(filepath.Join(dirA, tc.file))
		require.NoError(t, err)

		cfg, err := configloader.NewFromBytes(data)
		require.NoError(t, err, tc.file)

		_, err = cfg.Validate(config.ModeContainer)
		require.NoError(t, err, tc.file)

		manifests := cfg.K8sInlineManifestConfigs()
		require.Len(t, manifests, tc.inlined, tc.file)

		if tc.inlined > 0 {
			contents := manifests[0].Contents()
			require.Equal(t, "cilium", manifests[0].Name())
			require.True(t, strings.Contains(contents, "kind: DaemonSet"), "the inline manifest has the Cilium agent")
			require.True(t, strings.Contains(contents, "KUBERNETES_SERVICE_PORT\n          value: \"7445\""), "KubePrism as the API server")
			require.True(t, strings.Contains(contents, "kube-proxy-replacement: \"true\""), "Cilium replaces kube-proxy")
			require.False(t, strings.Contains(contents, "kind: Secret\n"), "deterministic: Hubble certificates are made in the cluster")
		}

		require.NotEmpty(t, cfg.DiscoveryServiceConfigs(), tc.file)
		require.True(t, cfg.NetworkKubeSpanConfig() != nil && cfg.NetworkKubeSpanConfig().Enabled(), tc.file)
	}
}

// TestKubeSpanV114 runs the quickstart with -kubespan on the default contract (v1.14): every
// node gets what `talosctl gen config --with-kubespan` writes, a KubeSpanConfig document with
// only "enabled: true", and discovery stays on (a DiscoveryServiceConfig document).
func TestKubeSpanV114(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()

	var stdout bytes.Buffer
	require.NoError(t, run([]string{"-out", dir, "-secrets", benchSecrets, "-kubespan"}, &stdout, io.Discard))

	for _, file := range []string{"controlplane.yaml", "worker.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		require.NoError(t, err)

		cfg, err := configloader.NewFromBytes(data)
		require.NoError(t, err, file)

		_, err = cfg.Validate(config.ModeContainer)
		require.NoError(t, err, file)

		var ks []*network.KubeSpanConfigV1Alpha1

		for _, d := range cfg.Documents() {
			if d, ok := d.(*network.KubeSpanConfigV1Alpha1); ok {
				ks = append(ks, d)
			}
		}

		require.Len(t, ks, 1, file)
		require.Equal(t, &network.KubeSpanConfigV1Alpha1{Meta: ks[0].Meta, ConfigEnabled: new(true)}, ks[0], "%s: only enabled is written", file)
		require.True(t, cfg.NetworkKubeSpanConfig().Enabled(), file)
		require.Len(t, cfg.DiscoveryServiceConfigs(), 1, file)
		require.NotNil(t, cfg.DiscoveryIdentityConfig(), file)
		require.Nil(t, cfg.RawV1Alpha1().ClusterConfig.ClusterDiscoveryConfig, "%s: no legacy cluster.discovery", file)
	}
}

func TestChartNotFound(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()

	var stdout bytes.Buffer
	err := run([]string{"-out", dir, "-secrets", benchSecrets, "-chart", filepath.Join(dir, "missing.tgz")}, &stdout, io.Discard)
	require.ErrorContains(t, err, "missing.tgz")
	require.NoFileExists(t, filepath.Join(dir, "controlplane.yaml"), "no output on error")
}

// TestNoFlags: the quickstart's main job with no flags but the output folder: contract v1.14,
// the embedded Cilium chart rendered and inlined into the control plane only, KubeSpan on, a new
// secrets bundle written once; machinery v1.14.1 loads and validates both configs.
func TestNoFlags(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()

	var stdout bytes.Buffer
	require.NoError(t, run([]string{"-out", dir}, &stdout, io.Discard))
	require.Contains(t, stdout.String(), "created a new secrets bundle")
	require.FileExists(t, filepath.Join(dir, "secrets.yaml"))

	for _, tc := range []struct {
		file    string
		inlined int
	}{
		{"controlplane.yaml", 1},
		{"worker.yaml", 0},
	} {
		data, err := os.ReadFile(filepath.Join(dir, tc.file))
		require.NoError(t, err)

		cfg, err := configloader.NewFromBytes(data)
		require.NoError(t, err)

		_, err = cfg.Validate(config.ModeContainer)
		require.NoError(t, err, tc.file)

		require.Len(t, cfg.K8sInlineManifestConfigs(), tc.inlined, tc.file)
		require.True(t, cfg.NetworkKubeSpanConfig().Enabled(), tc.file)
		require.Nil(t, cfg.K8sFlannelCNIConfig(), tc.file)

		kinds := map[string]bool{}
		for _, d := range cfg.Documents() {
			kinds[d.Kind()] = true
		}

		require.True(t, kinds["KubeClusterConfig"], "%s: a v1.14 config", tc.file)
	}

	// A second run refuses to replace the bundle it wrote.
	require.Error(t, run([]string{"-out", dir}, &stdout, io.Discard))
}

// TestUsage: the flags the examples share, under the same names and with their defaults.
func TestUsage(t *testing.T) {
	t.Parallel()

	var stdout, stderr bytes.Buffer
	require.ErrorIs(t, run([]string{"-h"}, &stdout, &stderr), flag.ErrHelp)
	require.Empty(t, stdout.String(), "the usage goes to stderr")

	for _, want := range []string{
		"-chart-version version",
		"-contract contract",
		"(default v1.14)",
		"-kubernetes version",
		`(default "1.37.0")`,
		"-secrets file",
		"(default: a new bundle, written to OUT/secrets.yaml, never replacing an existing one)",
	} {
		require.Contains(t, stderr.String(), want)
	}

	for _, old := range []string{"-talos", "-version"} {
		require.ErrorContains(t, run([]string{old, "x"}, io.Discard, io.Discard), "flag provided but not defined: "+old)
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"
)

// The guide's four patch texts.
const (
	cniNone   = `[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`
	proxyOff  = `[{"op":"add","path":"/cluster/proxy","value":{"disabled":true}}]`
	strict    = `[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}},{"op":"add","path":"/cluster/proxy","value":{"disabled":true}}]`
	cniCustom = `[{"op":"add","path":"/cluster/network/cni","value":{"name":"custom","urls":["https://raw.githubusercontent.com/cilium/cilium/v1.11.2/install/kubernetes/quick-install.yaml"]}}]`
	inline    = `cluster:
  inlineManifests:
    - name: cilium
      contents: |
        ---
        # Source: cilium/templates/cilium-agent/serviceaccount.yaml
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: "cilium"
          namespace: kube-system
`
)

type containerMode struct{}

func (containerMode) String() string        { return "container" }
func (containerMode) RequiresInstall() bool { return false }
func (containerMode) InContainer() bool     { return true }

// defaultControlPlane writes a default v1.13 control-plane config (shared
// secrets bundle) and returns its path.
func defaultControlPlane(t *testing.T) string {
	t.Helper()

	return defaultConfig(t, "v1.13", "1.36.0", machine.TypeControlPlane)
}

// defaultConfig writes a default config of a contract and role (shared secrets bundle), as
// talosctl gen config writes it, and returns its path.
func defaultConfig(t *testing.T, version, kubernetes string, typ machine.Type) string {
	t.Helper()

	_, file, _, _ := runtime.Caller(0)
	sb, err := secrets.LoadBundle(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "bench", "secrets.yaml"))
	require.NoError(t, err)

	sb.Clock = secrets.NewFixedClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

	contract, err := config.ParseContractFromVersion(version)
	require.NoError(t, err)

	in, err := generate.NewInput("guide", "https://10.5.0.2:6443", kubernetes,
		generate.WithVersionContract(contract), generate.WithSecretsBundle(sb))
	require.NoError(t, err)

	cfg, err := in.Config(typ)
	require.NoError(t, err)

	data, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	require.NoError(t, err)

	path := filepath.Join(t.TempDir(), "controlplane.yaml")
	require.NoError(t, os.WriteFile(path, data, 0o600))

	return path
}

func TestGuidePatches(t *testing.T) {
	t.Parallel()

	cfgPath := defaultControlPlane(t)
	inlineFile := filepath.Join(t.TempDir(), "inline.yaml")
	require.NoError(t, os.WriteFile(inlineFile, []byte(inline), 0o600))

	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, cfg config.Provider)
	}{
		{"cni none", []string{"-p", cniNone}, func(t *testing.T, cfg config.Provider) {
			require.Equal(t, "none", cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
		}},
		{"strict mode", []string{"-p", strict}, func(t *testing.T, cfg config.Provider) {
			require.Equal(t, "none", cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
			require.False(t, cfg.K8sProxyConfig().Enabled())
		}},
		{"strict mode as two patches", []string{"-p", cniNone, "-p", proxyOff}, func(t *testing.T, cfg config.Provider) {
			require.Equal(t, "none", cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
			require.False(t, cfg.K8sProxyConfig().Enabled())
		}},
		{"cni custom url", []string{"-p", cniCustom}, func(t *testing.T, cfg config.Provider) {
			require.Equal(t, "custom", cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
			require.Len(t, cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIUrls, 1)
		}},
		{"inline manifest", []string{"-p", inline}, func(t *testing.T, cfg config.Provider) {
			require.Len(t, cfg.K8sInlineManifestConfigs(), 1)
			require.Equal(t, "cilium", cfg.K8sInlineManifestConfigs()[0].Name())
		}},
		{"strict mode and inline manifest from file", []string{"-p", strict, "-p", "@" + inlineFile}, func(t *testing.T, cfg config.Provider) {
			require.False(t, cfg.K8sProxyConfig().Enabled())
			require.Len(t, cfg.K8sInlineManifestConfigs(), 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			var stdout, stderr bytes.Buffer

			code := run(append(tc.args, cfgPath), &stdout, &stderr)
			require.Equal(t, 0, code, stderr.String())
			require.Empty(t, stderr.String())

			cfg, err := configloader.NewFromBytes(stdout.Bytes())
			require.NoError(t, err)
			require.Len(t, cfg.Documents(), 2, "multi-document config keeps its documents")
			tc.check(t, cfg)

			_, err = cfg.Validate(containerMode{})
			require.NoError(t, err)
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()

	cfgPath := defaultControlPlane(t)

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no config", []string{"-p", cniNone}, 2, "usage"},
		{"missing config file", []string{filepath.Join(t.TempDir(), "nope.yaml")}, 1, "no such file"},
		{"empty patch", []string{"-p", "", cfgPath}, 1, "empty patch"},
		{"invalid patch", []string{"-p", "cluster:\n  bogus: 1\n", cfgPath}, 1, "invalid patch"},
		{"missing path", []string{"-p", `[{"op":"remove","path":"/cluster/nope"}]`, cfgPath}, 1, `apply patch 0 (json6902) to document v1alpha1: operation 0 remove "/cluster/nope": missing path`},
		{"second patch fails", []string{"-p", cniNone, "-p", `[{"op":"test","path":"/cluster/clusterName","value":"x"}]`, cfgPath}, 1, "apply patch 1"},
		{"missing patch file", []string{"-p", "@" + filepath.Join(t.TempDir(), "nope.yaml"), cfgPath}, 1, "patch 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			var stdout, stderr bytes.Buffer

			code := run(tc.args, &stdout, &stderr)
			require.Equal(t, tc.code, code)
			require.Empty(t, stdout.String())
			require.Contains(t, stderr.String(), tc.msg)
		})
	}
}

// TestGuidePatchesOnV114: the guide's four patch texts, applied through the command to a default
// v1.14 control plane and worker, give configs machinery v1.14.1 validates; each translation is
// printed as a warning. With -no-translate the JSON form is refused (as talosctl refuses it).
func TestGuidePatchesOnV114(t *testing.T) {
	t.Parallel()

	inlineFile := filepath.Join(t.TempDir(), "inline.yaml")
	require.NoError(t, os.WriteFile(inlineFile, []byte(inline), 0o600))

	for _, typ := range []machine.Type{machine.TypeControlPlane, machine.TypeWorker} {
		cfgPath := defaultConfig(t, "v1.14", "1.37.0", typ)

		for name, args := range map[string][]string{
			"cni none":   {"-p", cniNone},
			"strict":     {"-p", strict},
			"cni custom": {"-p", cniCustom},
			"inline":     {"-p", "@" + inlineFile, "-p", proxyOff, "-p", cniNone},
		} {
			var stdout, stderr bytes.Buffer
			require.Equal(t, 0, run(append(args, cfgPath), &stdout, &stderr), "%s %s: %s", name, typ, stderr.String())
			require.Contains(t, stderr.String(), "warning: v1alpha1 /cluster/", name)
			require.Contains(t, stderr.String(), "translated for contract v1.14", name)

			cfg, err := configloader.NewFromBytes(stdout.Bytes())
			require.NoError(t, err, name)

			_, err = cfg.Validate(containerMode{})
			require.NoError(t, err, "%s %s", name, typ)
			require.Nil(t, cfg.K8sFlannelCNIConfig(), "%s %s", name, typ)
		}

		var stdout, stderr bytes.Buffer
		require.Equal(t, 1, run([]string{"-no-translate", "-p", cniNone, cfgPath}, &stdout, &stderr))
		require.Empty(t, stdout.String())
	}
}

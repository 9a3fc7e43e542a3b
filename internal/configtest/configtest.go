// Package configtest holds the fixtures that the tests of config and of internal/nodeencode
// (the encoder behind config.Builder) share: the role configs of a small cluster made from the
// committed secrets bundle, the general path a fast path is compared with, and the layers that
// the node settings override. Only tests import it.
package configtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// SettingsContracts are the contracts with each form of the node settings: v1alpha1 fields
// before v1.12, HostnameConfig from v1.12, KubeNodeConfig from v1.14.
var SettingsContracts = []string{"v1.14", "v1.13", "v1.11"}

// Secrets returns the committed secrets bundle, testdata/bench/secrets.yaml at the repository
// root, whichever package's test asks.
func Secrets(t testing.TB) *config.Secrets {
	t.Helper()

	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok, "configtest: cannot locate its own source file")

	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "bench", "secrets.yaml"))
	require.NoError(t, err, "the fixtures are in testdata/ at the repository root")

	s, err := config.LoadSecrets(data)
	require.NoError(t, err)

	return s
}

// Roles returns the role configs of a small cluster on contract (CNI none, kube-proxy
// disabled, the contract's default Kubernetes) with the committed secrets.
func Roles(t testing.TB, contract string) config.Configs {
	t.Helper()

	c := talos.MustParseContract(contract)

	cfgs, err := config.Generate(config.Cluster{
		Name:              "fleet",
		Endpoint:          "https://fleet.example:6443",
		Contract:          c,
		KubernetesVersion: c.Kubernetes().Default,
		CNI:               config.CNI{Name: config.CNINone},
		KubeProxyDisabled: true,
	}, Secrets(t))
	require.NoError(t, err)

	return cfgs
}

// WithoutKubeSpan returns a copy of cfg without its KubeSpanConfig document.
func WithoutKubeSpan(t testing.TB, cfg coreconfig.Provider) coreconfig.Provider {
	t.Helper()

	var docs []configconfig.Document

	for _, d := range cfg.Clone().Documents() {
		if d.Kind() != network.KubeSpanKind {
			docs = append(docs, d)
		}
	}

	out, err := container.New(docs...)
	require.NoError(t, err)

	return out
}

// WithKubeSpan returns a copy of cfg with its KubeSpanConfig document replaced by (or added
// as) ks.
func WithKubeSpan(t testing.TB, cfg coreconfig.Provider, ks *network.KubeSpanConfigV1Alpha1) coreconfig.Provider {
	t.Helper()

	out, err := container.New(append(WithoutKubeSpan(t, cfg).Documents(), ks)...)
	require.NoError(t, err)

	return out
}

// ViaSettingsPatch is the general path, independent of config.Builder's fast path: the
// settings as their patch text for the contract (NodeSettings.Patch), applied with package
// patches, then config.Encode.
func ViaSettingsPatch(t testing.TB, contract string, base coreconfig.Provider, s config.NodeSettings) string {
	t.Helper()

	p, err := s.Patch(talos.MustParseContract(contract))
	require.NoError(t, err)

	cfg := base
	if !p.IsZero() {
		cfg, err = patches.ApplyProvider(base, p)
		require.NoError(t, err)
	}

	out, err := config.Encode(cfg)
	require.NoError(t, err)

	return string(out)
}

// LayerTexts are a role layer that sets what node settings then override or extend, and a node
// patch, in the form of the contract: machine.nodeLabels up to v1.13, the KubeNodeConfig
// document on v1.14.
func LayerTexts(contract string) (role, node string) {
	if talos.MustParseContract(contract).Form(talos.SettingNodeLabels).Document() {
		return "machine:\n  certSANs:\n    - role.example\n---\napiVersion: v1alpha1\nkind: KubeNodeConfig\nlabels:\n  role: worker\nannotations:\n  a: b\ntaints:\n  role: y:NoSchedule\n",
			"apiVersion: v1alpha1\nkind: KubeNodeConfig\nlabels:\n  a: from-node-patch\n"
	}

	return "machine:\n  nodeLabels:\n    role: worker\n  nodeAnnotations:\n    a: b\n  nodeTaints:\n    role: y:NoSchedule\n  certSANs:\n    - role.example\n",
		"machine:\n  nodeLabels:\n    a: from-node-patch\n"
}

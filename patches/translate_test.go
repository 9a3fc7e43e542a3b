package patches_test

import (
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/validation"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// The guide's own patch texts, as the seed guide, blog posts and Terraform modules hand them out.
var guideTexts = map[string]string{
	"cni none (json)":      `[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`,
	"cni none and proxy":   `[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}},{"op":"add","path":"/cluster/proxy","value":{"disabled":true}}]`,
	"custom cni url":       `[{"op":"add","path":"/cluster/network/cni","value":{"name":"custom","urls":["https://raw.githubusercontent.com/cilium/cilium/v1.11.2/install/kubernetes/quick-install.yaml"]}}]`,
	"inline manifest":      "cluster:\n  inlineManifests:\n    - name: cilium\n      contents: |\n        apiVersion: v1\n        kind: Namespace\n        metadata:\n          name: cilium\n",
	"discovery":            "cluster:\n  discovery:\n    enabled: true\n    registries:\n      kubernetes:\n        disabled: true\n      service:\n        endpoint: https://discovery.example.com/\n",
	"discovery off":        "cluster:\n  discovery:\n    enabled: false\n",
	"cluster identity":     "cluster:\n  id: " + testID + "\n  secret: " + testSecret + "\n",
	"kubeprism":            "machine:\n  features:\n    kubePrism:\n      enabled: true\n      port: 7446\n",
	"kubespan":             "machine:\n  network:\n    kubespan:\n      enabled: true\n      mtu: 1380\n",
	"node labels":          "machine:\n  nodeLabels:\n    zone: eu-1\n  nodeTaints:\n    gpu: NoSchedule\n",
	"hostname":             "machine:\n  network:\n    hostname: node-1\n",
	"subnets":              "cluster:\n  network:\n    podSubnets: [10.100.0.0/16]\n    serviceSubnets: [10.200.0.0/16]\n",
	"extra manifests":      "cluster:\n  extraManifests:\n    - https://example.com/a.yaml\n",
	"kubespan json pieces": `[{"op":"add","path":"/machine/network/kubespan","value":{"enabled":true}},{"op":"add","path":"/cluster/discovery","value":{"enabled":true}}]`,
}

// TestGuideTextsOnV114: every guide text applied to a default v1.14 control plane and worker
// gives a config machinery v1.14.1 validates, meaning what the text meant, with one warning per
// translated setting; the same texts without translation conflict (or are refused).
func TestGuideTextsOnV114(t *testing.T) {
	t.Parallel()

	for name, text := range guideTexts {
		for _, typ := range []machine.Type{machine.TypeControlPlane, machine.TypeWorker} {
			t.Run(name+"/"+typ.String(), func(t *testing.T) {
				t.Parallel()

				base := genConfig(t, "v1.14", typ)
				p := patches.MustParse(text)

				out, warnings, err := patches.ApplyWithOptions(base, patches.Options{}, p)
				require.NoError(t, err)
				require.NotEmpty(t, warnings, "every translation is reported")

				for _, w := range warnings {
					require.Equal(t, talos.KindV1Alpha1, w.Document.Kind)
					require.NotEmpty(t, w.Path)
					require.Contains(t, w.Message, "translated for contract v1.14")
				}

				// Round trip through bytes, as Talos gets it.
				loaded, err := configloader.NewFromBytes(encode(t, out))
				require.NoError(t, err)

				_, err = loaded.ValidateAsClient(runtimeModeContainer{}, validation.WithLocal())
				require.NoError(t, err)

				checkGuideMeaning(t, name, typ, loaded)

				// Applying the translated result's own patch again changes nothing.
				again, _, err := patches.ApplyWithOptions(out, patches.Options{}, p)
				require.NoError(t, err)
				require.Equal(t, string(encode(t, out)), string(encode(t, again)), "idempotent")
			})
		}
	}
}

func checkGuideMeaning(t *testing.T, name string, typ machine.Type, cfg config.Provider) {
	t.Helper()

	cp := typ == machine.TypeControlPlane

	switch name {
	case "cni none (json)":
		require.Nil(t, cfg.K8sFlannelCNIConfig())
	case "cni none and proxy":
		require.Nil(t, cfg.K8sFlannelCNIConfig())

		if cp {
			require.False(t, cfg.K8sProxyConfig().Enabled())
		}
	case "custom cni url":
		require.Nil(t, cfg.K8sFlannelCNIConfig())

		if cp {
			require.Len(t, cfg.K8sExternalManifestConfigs(), 1)
			require.Equal(t, "custom-cni", cfg.K8sExternalManifestConfigs()[0].Name())
		}
	case "inline manifest":
		require.Len(t, cfg.K8sInlineManifestConfigs(), 1)
		require.Empty(t, cfg.RawV1Alpha1().ClusterConfig.ClusterInlineManifests)
	case "discovery":
		require.Len(t, cfg.DiscoveryServiceConfigs(), 1)
		require.Equal(t, "https://discovery.example.com/", cfg.DiscoveryServiceConfigs()[0].Endpoint().String())
	case "discovery off":
		require.Empty(t, cfg.DiscoveryServiceConfigs())
	case "cluster identity":
		require.Equal(t, testID, cfg.DiscoveryIdentityConfig().ClusterID())
		require.Equal(t, testSecret, cfg.DiscoveryIdentityConfig().ClusterSecret())
	case "kubeprism":
		require.Equal(t, 7446, cfg.K8sKubePrismConfig().Port())
	case "kubespan", "kubespan json pieces":
		require.True(t, cfg.NetworkKubeSpanConfig().Enabled())
	case "node labels":
		require.Equal(t, "eu-1", cfg.K8sNodeConfig().Labels()["zone"])
	case "hostname":
		require.Equal(t, "node-1", cfg.NetworkHostnameConfig().Hostname())
	case "subnets":
		require.Equal(t, "10.100.0.0/16", cfg.K8sNetworkConfig().PodCIDRs()[0].String())
	case "extra manifests":
		if cp {
			require.Len(t, cfg.K8sExternalManifestConfigs(), 1)
		}
	}
}

// TestTranslationOffAndRefusals: without translation a guide text conflicts with the v1.14
// documents; a setting with no v1.14 equivalent is an error naming the document; older
// contracts are never translated.
func TestTranslationOffAndRefusals(t *testing.T) {
	t.Parallel()

	cp := genConfig(t, "v1.14", machine.TypeControlPlane)

	_, _, err := patches.ApplyWithOptions(cp, patches.Options{NoTranslation: true}, patches.MustParse(guideTexts["cni none and proxy"]))
	require.ErrorIs(t, err, patches.ErrMissingPath, "the JSON form finds no cluster.network on v1.14 (talosctl refuses it outright)")

	out, warnings, err := patches.ApplyWithOptions(cp, patches.Options{NoTranslation: true}, patches.MustParse("cluster:\n  network:\n    cni:\n      name: none\n  proxy:\n    disabled: true\n"))
	require.NoError(t, err)
	require.Empty(t, warnings)

	_, err = out.ValidateAsClient(runtimeModeContainer{}, validation.WithLocal())
	require.ErrorContains(t, err, "can't be used with KubeProxyConfig document")

	for text, field := range map[string]string{
		"cluster:\n  discovery:\n    enabled: true\n    registries:\n      kubernetes:\n        disabled: false\n": "/cluster/discovery/registries/kubernetes",
		"cluster:\n  network:\n    cni:\n      name: flannel\n      flannel:\n        extraArgs: [--iface=eth1]\n": "/cluster/network/cni/flannel",
	} {
		_, _, err := patches.ApplyWithOptions(cp, patches.Options{}, patches.MustParse(text))
		require.ErrorIs(t, err, patches.ErrUntranslatable, text)

		var fe *talos.FieldError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, field, fe.Path)
		require.Contains(t, fe.Fix, "document instead")
	}

	old := genConfig(t, "v1.13", machine.TypeControlPlane)

	_, warnings, err = patches.ApplyWithOptions(old, patches.Options{}, patches.MustParse(guideTexts["cni none and proxy"]))
	require.NoError(t, err)
	require.Empty(t, warnings, "v1.13 keeps the v1alpha1 fields")
}

// runtimeModeContainer is the container runtime mode for machinery's validation.
type runtimeModeContainer struct{}

func (runtimeModeContainer) String() string        { return "container" }
func (runtimeModeContainer) RequiresInstall() bool { return false }
func (runtimeModeContainer) InContainer() bool     { return true }

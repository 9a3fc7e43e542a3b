package patches_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/validation"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

var contracts = []string{"v1.0", "v1.3", "v1.7", "v1.11", "v1.12", "v1.13", "v1.14"}

const (
	testID     = "6KZMYK0pvUQPb4ozKjIViq0uO5csOv-WcbdEDHOiCBg="
	testSecret = "PDnRsV8A+6SAKHRPLWSWhQX4ggLBEgKH+JASMLI8iXc="
	// the guide's Cilium manifest URL.
	ciliumURL = "https://raw.githubusercontent.com/cilium/cilium/v1.11.2/install/kubernetes/quick-install.yaml"
)

type recipeCase struct {
	name  string
	build func(c talos.Contract) (patches.Patch, error)
	// check looks at the patched config of a role; on v1.14 a control-plane patch leaves a
	// worker config as it was.
	check func(t *testing.T, cfg config.Provider, role machine.Type, c talos.Contract)
	// minor is the first v1.x contract the recipe exists for.
	minor int
	// scope14 is the recipe's scope on v1.14.
	scope14 patches.Scope
}

func ok(p patches.Patch) (patches.Patch, error) { return p, nil }

// documents14 reports whether the config is of the v1.14 form for the recipes.
func documents14(c talos.Contract) bool { return c >= talos.V1_14 }

var recipeCases = []recipeCase{
	{
		name:  "cni-none",
		build: func(c talos.Contract) (patches.Patch, error) { return patches.CNINone(c) },
		check: func(t *testing.T, cfg config.Provider, _ machine.Type, c talos.Contract) {
			require.Nil(t, cfg.K8sFlannelCNIConfig())

			if !documents14(c) {
				require.Equal(t, "none", cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
			}
		},
	},
	{
		name:    "cni-custom",
		scope14: patches.ScopeControlPlane,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.CNICustom(c, ciliumURL)
		},
		check: func(t *testing.T, cfg config.Provider, role machine.Type, c talos.Contract) {
			require.Nil(t, cfg.K8sFlannelCNIConfig())

			if !documents14(c) {
				require.Equal(t, "custom", cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
				require.Equal(t, []string{ciliumURL}, cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIUrls)

				return
			}

			if role == machine.TypeControlPlane {
				ms := cfg.K8sExternalManifestConfigs()
				require.Len(t, ms, 1)
				require.Equal(t, "custom-cni", ms[0].Name())
				require.Equal(t, ciliumURL, ms[0].URL())
			}
		},
	},
	{
		name:    "kube-proxy-disabled",
		scope14: patches.ScopeControlPlane,
		build:   func(c talos.Contract) (patches.Patch, error) { return patches.KubeProxyDisabled(c) },
		check: func(t *testing.T, cfg config.Provider, role machine.Type, c talos.Contract) {
			if documents14(c) && role == machine.TypeWorker {
				require.Empty(t, kindsOf(cfg, "KubeProxyConfig"), "kube-proxy is a control-plane document")

				return
			}

			require.False(t, cfg.K8sProxyConfig().Enabled())
		},
	},
	{
		name:    "strict-mode",
		scope14: patches.ScopeControlPlane,
		build:   func(c talos.Contract) (patches.Patch, error) { return patches.StrictMode(c) },
		check: func(t *testing.T, cfg config.Provider, role machine.Type, c talos.Contract) {
			require.Nil(t, cfg.K8sFlannelCNIConfig())

			if !documents14(c) || role == machine.TypeControlPlane {
				require.False(t, cfg.K8sProxyConfig().Enabled())
			}
		},
	},
	{
		name:  "kubeprism-off",
		minor: 5,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.KubePrism(c, patches.KubePrismOptions{Disabled: true})
		},
		check: func(t *testing.T, cfg config.Provider, _ machine.Type, _ talos.Contract) {
			require.Nil(t, cfg.K8sKubePrismConfig())
		},
	},
	{
		name:  "kubeprism-port",
		minor: 5,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.KubePrism(c, patches.KubePrismOptions{Port: 7446})
		},
		check: func(t *testing.T, cfg config.Provider, _ machine.Type, _ talos.Contract) {
			require.NotNil(t, cfg.K8sKubePrismConfig())
			require.Equal(t, 7446, cfg.K8sKubePrismConfig().Port())
		},
	},
	{
		name: "cluster-discovery",
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.ClusterDiscovery(c, patches.Discovery{ServiceEndpoint: "https://discovery.example.com/"})
		},
		check: func(t *testing.T, cfg config.Provider, _ machine.Type, c talos.Contract) {
			if !documents14(c) {
				require.True(t, cfg.Cluster().Discovery().Enabled())
				require.False(t, cfg.Cluster().Discovery().Registries().Kubernetes().Enabled())
			}

			require.Len(t, cfg.DiscoveryServiceConfigs(), 1)
			require.Equal(t, "https://discovery.example.com/", cfg.DiscoveryServiceConfigs()[0].Endpoint().String())
		},
	},
	{
		name: "cluster-discovery-off",
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.ClusterDiscovery(c, patches.Discovery{Disabled: true})
		},
		check: func(t *testing.T, cfg config.Provider, _ machine.Type, _ talos.Contract) {
			require.Empty(t, cfg.DiscoveryServiceConfigs())
		},
	},
	{
		name: "cluster-identity",
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.ClusterIdentity(c, testID, testSecret)
		},
		check: func(t *testing.T, cfg config.Provider, _ machine.Type, _ talos.Contract) {
			require.Equal(t, testID, cfg.DiscoveryIdentityConfig().ClusterID())
			require.Equal(t, testSecret, cfg.DiscoveryIdentityConfig().ClusterSecret())
		},
	},
	{
		name:    "inline-manifest",
		scope14: patches.ScopeControlPlane,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.InlineManifest(c, "cilium", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cilium\n")
		},
		check: func(t *testing.T, cfg config.Provider, role machine.Type, c talos.Contract) {
			ms := cfg.K8sInlineManifestConfigs()
			if documents14(c) && role == machine.TypeWorker {
				require.Empty(t, ms)

				return
			}

			require.Len(t, ms, 1)
			require.Equal(t, "cilium", ms[0].Name())
		},
	},
	{
		name:    "extra-manifests",
		scope14: patches.ScopeControlPlane,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.ExtraManifests(c, ciliumURL, "https://example.com/b.yaml")
		},
		check: func(t *testing.T, cfg config.Provider, role machine.Type, c talos.Contract) {
			var urls []string
			for _, m := range cfg.K8sExternalManifestConfigs() {
				urls = append(urls, m.URL())
			}

			if documents14(c) && role == machine.TypeWorker {
				require.Empty(t, urls)

				return
			}

			require.Equal(t, []string{ciliumURL, "https://example.com/b.yaml"}, urls)
		},
	},
}

// kindsOf returns the documents of cfg of a kind.
func kindsOf(cfg config.Provider, kind string) []string {
	var out []string

	for _, d := range cfg.Documents() {
		if d.Kind() == kind {
			out = append(out, kind)
		}
	}

	return out
}

func TestRecipes(t *testing.T) {
	t.Parallel()

	for _, rc := range recipeCases {
		for _, cv := range contracts {
			t.Run(rc.name+"/"+cv, func(t *testing.T) {
				t.Parallel()

				contract := mustContract(t, cv)

				p, err := rc.build(contract)
				if contract.Minor() < rc.minor {
					require.ErrorIs(t, err, patches.ErrUnsupported)
					require.True(t, p.IsZero())

					return
				}

				require.NoError(t, err)

				if documents14(contract) {
					require.Equal(t, rc.scope14, p.Scope())
				} else {
					require.Equal(t, patches.ScopeAllNodes, p.Scope(), "older contracts keep their all-nodes forms")
				}
				golden(t, "recipes/"+rc.name+"/"+cv+".txt", []byte(p.String()))

				// print -> parse is the identity
				back, err := patches.Parse([]byte(p.String()))
				require.NoError(t, err)
				require.Equal(t, p, back)

				for _, typ := range []machine.Type{machine.TypeControlPlane, machine.TypeWorker} {
					base := genConfig(t, cv, typ)
					mode := validationMode(t, base)
					cfg := encode(t, base)

					out, err := patches.Apply(cfg, p)
					require.NoError(t, err)

					prov, err := configloader.NewFromBytes(out)
					require.NoError(t, err)
					rc.check(t, prov, typ, contract)

					_, err = prov.ValidateAsClient(mode, validation.WithLocal())
					require.NoError(t, err, "%s %s", cv, typ)

					// Applying twice gives the same config: no recipe duplicates.
					again, err := patches.Apply(out, p)
					require.NoError(t, err)
					require.Empty(t, cmp.Diff(string(out), string(again)))
				}
			})
		}
	}
}

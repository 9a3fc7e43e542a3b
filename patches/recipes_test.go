package patches_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
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
	check func(t *testing.T, cfg config.Provider)
	// minor is the first v1.x contract the recipe exists for.
	minor int
	// lastMinor, when not 0, is the last v1.x contract the recipe supports: a v1alpha1 recipe
	// whose setting is a typed document on later contracts (v1.14) fails with ErrUnsupported
	// there (their document form is future work).
	lastMinor int
}

func ok(p patches.Patch) (patches.Patch, error) { return p, nil }

var recipeCases = []recipeCase{
	{
		name:      "cni-none",
		lastMinor: 13,
		build:     func(c talos.Contract) (patches.Patch, error) { return patches.CNINone(c) },
		check: func(t *testing.T, cfg config.Provider) {
			require.Equal(t, "none", cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
		},
	},
	{
		name:      "cni-custom",
		lastMinor: 13,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.CNICustom(c, ciliumURL)
		},
		check: func(t *testing.T, cfg config.Provider) {
			require.Equal(t, "custom", cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
			require.Equal(t, []string{ciliumURL}, cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIUrls)
		},
	},
	{
		name:      "kube-proxy-disabled",
		lastMinor: 13,
		build:     func(c talos.Contract) (patches.Patch, error) { return patches.KubeProxyDisabled(c) },
		check: func(t *testing.T, cfg config.Provider) {
			require.False(t, cfg.K8sProxyConfig().Enabled())
		},
	},
	{
		name:      "strict-mode",
		lastMinor: 13,
		build:     func(c talos.Contract) (patches.Patch, error) { return patches.StrictMode(c) },
		check: func(t *testing.T, cfg config.Provider) {
			require.Equal(t, "none", cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName)
			require.False(t, cfg.K8sProxyConfig().Enabled())
		},
	},
	{
		name: "inline-manifest",
		build: func(talos.Contract) (patches.Patch, error) {
			return ok(patches.InlineManifest("cilium", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cilium\n"))
		},
		check: func(t *testing.T, cfg config.Provider) {
			ms := cfg.K8sInlineManifestConfigs()
			require.Len(t, ms, 1)
			require.Equal(t, "cilium", ms[0].Name())
		},
	},
	{
		name: "extra-manifests",
		build: func(talos.Contract) (patches.Patch, error) {
			return patches.ExtraManifests(ciliumURL, "https://example.com/b.yaml")
		},
		check: func(t *testing.T, cfg config.Provider) {
			require.Equal(t, []string{ciliumURL, "https://example.com/b.yaml"}, cfg.RawV1Alpha1().ClusterConfig.ExtraManifests)
		},
	},
	{
		name:      "kubeprism-off",
		lastMinor: 13,
		minor:     5,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.KubePrism(c, patches.KubePrismOptions{Disabled: true})
		},
		check: func(t *testing.T, cfg config.Provider) {
			require.Nil(t, cfg.K8sKubePrismConfig())
		},
	},
	{
		name:      "kubeprism-port",
		lastMinor: 13,
		minor:     5,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.KubePrism(c, patches.KubePrismOptions{Port: 7446})
		},
		check: func(t *testing.T, cfg config.Provider) {
			require.NotNil(t, cfg.K8sKubePrismConfig())
			require.Equal(t, 7446, cfg.K8sKubePrismConfig().Port())
		},
	},
	{
		name:      "cluster-discovery",
		lastMinor: 13,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.ClusterDiscovery(c, patches.Discovery{ServiceEndpoint: "https://discovery.example.com/"})
		},
		check: func(t *testing.T, cfg config.Provider) {
			require.True(t, cfg.Cluster().Discovery().Enabled())
			require.False(t, cfg.Cluster().Discovery().Registries().Kubernetes().Enabled())
			require.Len(t, cfg.DiscoveryServiceConfigs(), 1)
			require.Equal(t, "https://discovery.example.com/", cfg.DiscoveryServiceConfigs()[0].Endpoint().String())
		},
	},
	{
		name:      "cluster-identity",
		lastMinor: 13,
		build: func(c talos.Contract) (patches.Patch, error) {
			return patches.ClusterIdentity(c, testID, testSecret)
		},
		check: func(t *testing.T, cfg config.Provider) {
			require.Equal(t, testID, cfg.DiscoveryIdentityConfig().ClusterID())
			require.Equal(t, testSecret, cfg.DiscoveryIdentityConfig().ClusterSecret())
		},
	},
}

func TestRecipes(t *testing.T) {
	t.Parallel()

	for _, rc := range recipeCases {
		for _, cv := range contracts {
			t.Run(rc.name+"/"+cv, func(t *testing.T) {
				t.Parallel()

				contract := mustContract(t, cv)

				p, err := rc.build(contract)
				if contract.Minor() < rc.minor || rc.lastMinor != 0 && contract.Minor() > rc.lastMinor {
					require.ErrorIs(t, err, patches.ErrUnsupported)
					require.True(t, p.IsZero())

					return
				}

				require.NoError(t, err)
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
					rc.check(t, prov)

					_, err = prov.Validate(mode)
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

package patches_test

import (
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

func TestRecipeArguments(t *testing.T) {
	t.Parallel()

	v113 := mustContract(t, "v1.13")

	for _, tc := range []struct {
		name string
		err  error
		f    func() (patches.Patch, error)
	}{
		{"cni custom without urls", patches.ErrInvalidArgument, func() (patches.Patch, error) { return patches.CNICustom(v113) }},
		{"cni custom relative url", patches.ErrInvalidArgument, func() (patches.Patch, error) { return patches.CNICustom(v113, "cilium.yaml") }},
		{"cni custom ftp url", patches.ErrInvalidArgument, func() (patches.Patch, error) { return patches.CNICustom(v113, "ftp://example.com/a.yaml") }},
		{"extra manifests none", patches.ErrInvalidArgument, func() (patches.Patch, error) { return patches.ExtraManifests(talos.V1_13) }},
		{"extra manifests bad url", patches.ErrInvalidArgument, func() (patches.Patch, error) { return patches.ExtraManifests(talos.V1_13, "https://") }},
		{"kubeprism port too big", patches.ErrInvalidArgument, func() (patches.Patch, error) {
			return patches.KubePrism(v113, patches.KubePrismOptions{Port: 70000})
		}},
		{"kubeprism negative port", patches.ErrInvalidArgument, func() (patches.Patch, error) {
			return patches.KubePrism(v113, patches.KubePrismOptions{Port: -1})
		}},
		{"kubeprism v1.4", patches.ErrUnsupported, func() (patches.Patch, error) {
			return patches.KubePrism(mustContract(t, "v1.4"), patches.KubePrismOptions{})
		}},
		{"discovery bad endpoint", patches.ErrInvalidArgument, func() (patches.Patch, error) {
			return patches.ClusterDiscovery(v113, patches.Discovery{ServiceEndpoint: "discovery.example.com"})
		}},
		{"identity id not base64", patches.ErrInvalidArgument, func() (patches.Patch, error) {
			return patches.ClusterIdentity(v113, "not base64!", testSecret)
		}},
		{"identity id of 31 bytes", patches.ErrInvalidArgument, func() (patches.Patch, error) {
			return patches.ClusterIdentity(v113, "6KZMYK0pvUQPb4ozKjIViq0uO5csOv+WcbdEDHOiCA==", testSecret)
		}},
		{"identity secret of 31 bytes on v1.14", patches.ErrInvalidArgument, func() (patches.Patch, error) {
			return patches.ClusterIdentity(talos.V1_14, testID, "PDnRsV8A+6SAKHRPLWSWhQX4ggLBEgKH+JASMLI8iQ==")
		}},
		{"inline manifest name not DNS-1123", patches.ErrInvalidArgument, func() (patches.Patch, error) {
			return patches.InlineManifest(talos.V1_14, "Cilium_1", "a: 1\n")
		}},
		{"custom cni file url", patches.ErrInvalidArgument, func() (patches.Patch, error) {
			return patches.CNICustom(talos.V1_14, "file:///etc/cni.yaml")
		}},
		{"kubernetes registry on v1.14", patches.ErrUnsupported, func() (patches.Patch, error) {
			return patches.ClusterDiscovery(talos.V1_14, patches.Discovery{KubernetesRegistry: true})
		}},
		{"named discovery service before v1.14", patches.ErrUnsupported, func() (patches.Patch, error) {
			return patches.ClusterDiscovery(v113, patches.Discovery{Name: "mine"})
		}},
		{"identity short secret", patches.ErrInvalidArgument, func() (patches.Patch, error) {
			return patches.ClusterIdentity(v113, testID, "c2hvcnQ=")
		}},
		{"inline manifests none", patches.ErrEmptyPatch, func() (patches.Patch, error) { return patches.InlineManifests(talos.V1_13) }},
		{"strategic documents none", patches.ErrEmptyPatch, func() (patches.Patch, error) { return patches.StrategicDocuments() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			p, err := tc.f()
			require.ErrorIs(t, err, tc.err)
			require.True(t, p.IsZero())
		})
	}
}

// TestRecipesZeroContract: the zero contract is an error (it used to mean the newest), and
// the error names the parameter.
func TestRecipesZeroContract(t *testing.T) {
	t.Parallel()

	var zero talos.Contract

	for name, f := range map[string]func() (patches.Patch, error){
		"cni none":          func() (patches.Patch, error) { return patches.CNINone(zero) },
		"cni custom":        func() (patches.Patch, error) { return patches.CNICustom(zero, ciliumURL) },
		"kube-proxy":        func() (patches.Patch, error) { return patches.KubeProxyDisabled(zero) },
		"strict mode":       func() (patches.Patch, error) { return patches.StrictMode(zero) },
		"kubeprism":         func() (patches.Patch, error) { return patches.KubePrism(zero, patches.KubePrismOptions{}) },
		"cluster discovery": func() (patches.Patch, error) { return patches.ClusterDiscovery(zero, patches.Discovery{}) },
		"cluster identity":  func() (patches.Patch, error) { return patches.ClusterIdentity(zero, testID, testSecret) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			p, err := f()
			require.ErrorIs(t, err, talos.ErrNoContract)
			require.NotErrorIs(t, err, patches.ErrUnsupported)
			require.ErrorContains(t, err, "contract")
			require.True(t, p.IsZero())

			var fe *talos.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "contract", fe.Path)
		})
	}
}

func TestInlineManifests(t *testing.T) {
	t.Parallel()

	p, err := patches.InlineManifests(talos.V1_13,
		patches.Manifest{Name: "b", Contents: "b: 1\n"},
		patches.Manifest{Name: "a", Contents: "a: 1\n"},
		patches.Manifest{Name: "b", Contents: "b: 2\n"},
	)
	require.NoError(t, err)
	require.Equal(t, patches.ReplaceByNameDirective+`
cluster:
  inlineManifests:
    - name: b
      contents: |
        b: 2
    - name: a
      contents: |
        a: 1
`, p.String())

	cfg := mustApply(t, genBytes(t, "v1.13", machine.TypeControlPlane),
		must(patches.InlineManifest(talos.V1_13, "a", "a: 0\n")), must(patches.InlineManifest(talos.V1_13, "c", "c: 0\n")), p)

	prov, err := configloader.NewFromBytes(cfg)
	require.NoError(t, err)

	var got []string
	for _, m := range prov.K8sInlineManifestConfigs() {
		got = append(got, m.Name()+"="+m.Contents())
	}

	// "a" is replaced where the merge puts it (the end), "c" stays.
	require.Equal(t, []string{"c=c: 0\n", "b=b: 2\n", "a=a: 1\n"}, got)
}

func TestStrategicDocuments(t *testing.T) {
	t.Parallel()

	ks := network.NewKubeSpanV1Alpha1()
	ks.ConfigEnabled = new(true)

	p, err := patches.StrategicDocuments(ks)
	require.NoError(t, err)
	require.Equal(t, "apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\n", p.String())

	cfg := mustApply(t, genBytes(t, "v1.13", machine.TypeControlPlane), p)

	prov, err := configloader.NewFromBytes(cfg)
	require.NoError(t, err)
	require.Len(t, prov.Documents(), 3)
	require.True(t, prov.NetworkKubeSpanConfig().Enabled())
}

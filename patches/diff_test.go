package patches_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// docsOf returns a config's documents as generic trees keyed by kind/name.
func docsOf(t testing.TB, cfg []byte) map[string]any {
	t.Helper()

	p, err := configloader.NewFromBytes(cfg)
	require.NoError(t, err)

	out := map[string]any{}

	for _, d := range p.Documents() {
		data, err := encoder.NewEncoder(d, encoder.WithComments(encoder.CommentsDisabled)).Encode()
		require.NoError(t, err)

		var tree any
		require.NoError(t, yaml.Unmarshal(data, &tree))

		key := d.Kind()
		if n, ok := d.(interface{ Name() string }); ok {
			key += "/" + n.Name()
		}

		out[key] = tree
	}

	return out
}

func mustApply(t *testing.T, cfg []byte, ps ...patches.Patch) []byte {
	t.Helper()

	out, err := patches.Apply(cfg, ps...)
	require.NoError(t, err)

	return out
}

func diffPairs(t *testing.T) map[string][2][]byte {
	t.Helper()

	cp := genBytes(t, "v1.13", machine.TypeControlPlane)
	worker := genBytes(t, "v1.13", machine.TypeWorker)
	kubespan := genBytes(t, "v1.13", machine.TypeControlPlane, generate.WithKubeSpanEnabled(true))
	prism, err := patches.KubePrism(talos.V1_13, patches.KubePrismOptions{Port: 7446})
	require.NoError(t, err)

	recipes := mustApply(t, cp,
		must(patches.StrictMode(talos.V1_13)),
		must(patches.InlineManifest(talos.V1_13, "cilium", "a: 1\n")),
		prism,
		patches.MustParse(`[{"op":"remove","path":"/cluster/discovery"},{"op":"replace","path":"/cluster/network/podSubnets","value":["10.1.0.0/16","fd00::/56"]},{"op":"add","path":"/machine/nodeLabels/empty","value":""}]`),
	)
	hostname := mustApply(t, cp, patches.MustParse("apiVersion: v1alpha1\nkind: HostnameConfig\n$patch: delete\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: cp-1\n"))
	hostnameAndKubespan := mustApply(t, kubespan, patches.MustParse("apiVersion: v1alpha1\nkind: HostnameConfig\nauto: \"off\"\nhostname: cp-1\n---\napiVersion: v1alpha1\nkind: KubeSpanConfig\nmtu: 1500\nadvertiseKubernetesNetworks: true\n"))

	return map[string][2][]byte{
		"same":                  {cp, cp},
		"recipes":               {cp, recipes},
		"recipes reversed":      {recipes, cp},
		"cp to worker":          {cp, worker},
		"worker to cp":          {worker, cp},
		"add kubespan doc":      {cp, kubespan},
		"remove kubespan doc":   {kubespan, cp},
		"hostname replaced":     {cp, hostname},
		"hostname back":         {hostname, cp},
		"documents changed":     {kubespan, hostnameAndKubespan},
		"documents changed rev": {hostnameAndKubespan, kubespan},
		"v1.11 to v1.13":        {genBytes(t, "v1.11", machine.TypeControlPlane), cp},
	}
}

func TestDiffStrategic(t *testing.T) {
	t.Parallel()

	for name, pair := range diffPairs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			a, b := pair[0], pair[1]

			p, err := patches.Diff(a, b)
			require.NoError(t, err)

			if name == "same" {
				require.True(t, p.IsZero())

				return
			}

			require.Equal(t, patches.KindStrategic, p.Kind())

			// talosctl reads the same patch.
			back, err := patches.Parse([]byte(p.String()))
			require.NoError(t, err)
			require.Equal(t, p, back)

			out, err := patches.Apply(a, p)
			require.NoError(t, err, p.String())
			require.Empty(t, cmp.Diff(docsOf(t, b), docsOf(t, out)), p.String())
		})
	}
}

func TestDiffOps(t *testing.T) {
	t.Parallel()

	cp11 := genBytes(t, "v1.11", machine.TypeControlPlane)
	cp13 := genBytes(t, "v1.13", machine.TypeControlPlane)
	strict11 := mustApply(t, cp11, must(patches.StrictMode(talos.V1_13)), must(patches.InlineManifest(talos.V1_13, "a", "b: 1\n")),
		patches.MustParse(`[{"op":"remove","path":"/cluster/discovery"},{"op":"add","path":"/machine/nodeLabels/a~1b","value":"x"}]`))
	strict13 := mustApply(t, cp13, must(patches.StrictMode(talos.V1_13)))
	host13 := mustApply(t, cp13, patches.MustParse("apiVersion: v1alpha1\nkind: HostnameConfig\nauto: \"off\"\nhostname: cp-1\n"))

	for _, tc := range []struct {
		name   string
		a, b   []byte
		target patches.Document
		err    error
	}{
		{name: "v1.11 single document", a: cp11, b: strict11},
		{name: "v1.11 reversed", a: strict11, b: cp11},
		{name: "v1.13 v1alpha1", a: cp13, b: strict13},
		{name: "v1.13 hostname document", a: cp13, b: host13, target: patches.Document{Kind: "HostnameConfig"}},
		{name: "other document differs", a: cp13, b: host13, err: patches.ErrUnsupported},
		{name: "missing target", a: cp13, b: cp13, target: patches.Document{Kind: "KubeSpanConfig"}, err: patches.ErrUnknownDocument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			p, err := patches.DiffOps(tc.a, tc.b, tc.target)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)

				return
			}

			require.NoError(t, err)
			require.Equal(t, patches.KindJSON6902, p.Kind())
			require.Equal(t, tc.target, p.Target())

			out, err := patches.Apply(tc.a, p)
			require.NoError(t, err, p.String())
			require.Empty(t, cmp.Diff(docsOf(t, tc.b), docsOf(t, out)), p.String())
		})
	}

	p, err := patches.DiffOps(cp13, cp13, patches.Document{})
	require.NoError(t, err)
	require.True(t, p.IsZero())
}

func TestDiffCannotRemoveV1Alpha1(t *testing.T) {
	t.Parallel()

	_, err := patches.Diff(genBytes(t, "v1.13", machine.TypeWorker), []byte("apiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n"))
	require.ErrorIs(t, err, patches.ErrUnsupported)
}

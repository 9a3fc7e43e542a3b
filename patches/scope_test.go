package patches_test

import (
	"errors"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// TestScopeRoundTrip: a scope is part of the patch text, so printing and parsing keep it, and
// WithScope replaces it while keeping the other directives.
func TestScopeRoundTrip(t *testing.T) {
	t.Parallel()

	p := patches.MustParse("apiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n")
	require.Equal(t, patches.ScopeAllNodes, p.Scope())

	cp, err := p.WithScope(patches.ScopeControlPlane)
	require.NoError(t, err)
	require.Equal(t, patches.ScopeControlPlane, cp.Scope())
	require.Equal(t, "# talospatch:control-plane\napiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n", cp.String())
	require.Equal(t, cp, patches.MustParse(cp.String()))
	require.Equal(t, "--config-patch-control-plane", cp.Scope().Flag())

	w, err := cp.WithScope(patches.ScopeWorker)
	require.NoError(t, err)
	require.Equal(t, patches.ScopeWorker, w.Scope())
	require.NotContains(t, w.String(), patches.ControlPlaneDirective)

	all, err := w.WithScope(patches.ScopeAllNodes)
	require.NoError(t, err)
	require.Equal(t, p, all)

	inline := must(patches.InlineManifests(talos.V1_13, patches.Manifest{Name: "a", Contents: "b: 1\n"}))
	scoped, err := inline.WithScope(patches.ScopeControlPlane)
	require.NoError(t, err)
	require.Contains(t, scoped.String(), patches.ReplaceByNameDirective, "other directives are kept")
	require.Equal(t, patches.ScopeControlPlane, scoped.Scope())

	_, err = patches.MustParse(`[{"op":"add","path":"/machine/nodeLabels","value":{}}]`).WithScope(patches.ScopeControlPlane)
	require.ErrorIs(t, err, patches.ErrInvalidArgument)

	_, err = p.WithScope(patches.Scope(7))
	require.ErrorIs(t, err, patches.ErrInvalidArgument)

	require.True(t, patches.ScopeControlPlane.Includes(machine.TypeInit))
	require.False(t, patches.ScopeControlPlane.Includes(machine.TypeWorker))
	require.True(t, patches.ScopeWorker.Includes(machine.TypeWorker))
	require.False(t, patches.ScopeWorker.Includes(machine.TypeControlPlane))
	require.True(t, patches.ScopeAllNodes.Includes(machine.TypeWorker))
}

// TestScopedPatchesNeverReachTheOtherRole: on v1.14 the control-plane recipes change a control
// plane and leave a worker exactly as it was, so they can be given to every node.
func TestScopedPatchesNeverReachTheOtherRole(t *testing.T) {
	t.Parallel()

	worker := genBytes(t, "v1.14", machine.TypeWorker)
	cp := genBytes(t, "v1.14", machine.TypeControlPlane)

	for _, p := range []patches.Patch{
		must(patches.KubeProxyDisabled(talos.V1_14)),
		must(patches.StrictMode(talos.V1_14)),
		must(patches.CNICustom(talos.V1_14, ciliumURL)),
		must(patches.InlineManifest(talos.V1_14, "cilium", "a: 1\n")),
	} {
		out, err := patches.Apply(worker, p)
		require.NoError(t, err)
		require.Equal(t, string(worker), string(out), p.String())

		out, err = patches.Apply(cp, p)
		require.NoError(t, err)
		require.NotEqual(t, string(cp), string(out), p.String())
	}
}

// TestControlPlaneOnlyDocumentOnWorker: a patch that would put a control-plane-only document
// into a worker config is an error naming the document and the fix; deleting one is fine.
func TestControlPlaneOnlyDocumentOnWorker(t *testing.T) {
	t.Parallel()

	worker := genBytes(t, "v1.14", machine.TypeWorker)

	out, err := patches.Apply(worker, patches.MustParse("apiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n"))
	require.ErrorIs(t, err, patches.ErrControlPlaneOnly)
	require.Nil(t, out)

	var pe *patches.Error
	require.True(t, errors.As(err, &pe))
	require.Equal(t, "KubeProxyConfig", pe.Document)
	require.ErrorContains(t, err, "--config-patch-control-plane")

	out, err = patches.Apply(worker, must(patches.CNINone(talos.V1_14)))
	require.NoError(t, err, "deleting the flannel document from a worker changes nothing")
	require.Equal(t, string(worker), string(out))
}

// TestInlineManifestReplacesLegacyEntry: on v1.14 the KubeInlineManifestConfig document of a name
// replaces a cluster.inlineManifests entry with the same name (Talos would keep both and
// silently drop one at run time).
func TestInlineManifestReplacesLegacyEntry(t *testing.T) {
	t.Parallel()

	cp := genConfig(t, "v1.14", machine.TypeControlPlane)

	// A config that already has legacy entries (applied as written, not translated).
	legacy, _, err := patches.ApplyWithOptions(cp, patches.Options{NoTranslation: true},
		patches.MustParse("cluster:\n  inlineManifests:\n    - name: cilium\n      contents: 'old: 1'\n    - name: other\n      contents: 'x: 1'\n"))
	require.NoError(t, err)

	prov, err := patches.ApplyProvider(legacy, must(patches.InlineManifest(talos.V1_14, "cilium", "new: 1\n")))
	require.NoError(t, err)

	got := map[string]string{}
	for _, m := range prov.K8sInlineManifestConfigs() {
		got[m.Name()] = m.Contents()
	}

	require.Equal(t, map[string]string{"cilium": "new: 1\n", "other": "x: 1"}, got)
	require.Len(t, prov.RawV1Alpha1().ClusterConfig.ClusterInlineManifests, 1)
}

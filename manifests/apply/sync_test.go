package apply

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/talospatch/talospatch/talos"
)

func syncOpts(c talos.Contract) SyncOptions {
	return SyncOptions{Contract: c, Backoff: fast}
}

type action struct {
	Ref    string
	Action string
}

func actions(r *SyncResult) []action {
	out := make([]action, len(r.Changes))
	for i, c := range r.Changes {
		out[i] = action{Ref: c.Ref.String(), Action: c.Action.String()}
	}

	return out
}

func configMap(name string, data map[string]any) *unstructured.Unstructured {
	o := obj("v1", "ConfigMap", "kube-system", name)
	o.Object["data"] = data

	return o
}

// seed stores objects in the fake as a previous sync left them: annotated, in the inventory.
func seed(t *testing.T, f *fakeClient, objs ...*unstructured.Unstructured) {
	t.Helper()

	var keys []string

	for _, o := range objs {
		o = o.DeepCopy()
		o.SetAnnotations(map[string]string{OwningInventoryAnnotation: InventoryName})
		o.SetResourceVersion("1")

		gvk := o.GroupVersionKind()
		k, ok := f.served[gvk.GroupKind()]
		require.True(t, ok, gvk.String())

		f.objects[key(k.resource, o.GetNamespace(), o.GetName())] = o
		keys = append(keys, InventoryKey(gvk.GroupKind(), o.GetNamespace(), o.GetName()))
	}

	f.objects[key("configmaps", InventoryNamespace, InventoryName)] = inventoryObject(nil, keys)
}

func inventoryData(t *testing.T, f *fakeClient) []string {
	t.Helper()

	inv := f.object("configmaps", InventoryNamespace, InventoryName)
	require.NotNil(t, inv)

	return newInventory(inv).sortedKeys()
}

func writes(calls []string) []string {
	var out []string

	for _, c := range calls {
		if (strings.HasPrefix(c, "apply ") || strings.HasPrefix(c, "create ") || strings.HasPrefix(c, "update ") || strings.HasPrefix(c, "delete ")) &&
			!strings.Contains(c, "dryRun=") {
			out = append(out, c)
		}
	}

	return out
}

func TestSyncRequiresContract(t *testing.T) {
	t.Parallel()

	_, err := Sync(t.Context(), newFakeClient(), nil, SyncOptions{})
	require.ErrorIs(t, err, talos.ErrNoContract)
	require.ErrorContains(t, err, "SyncOptions.Contract")

	_, err = Sync(t.Context(), newFakeClient(), nil, SyncOptions{Contract: talos.V1_12})
	require.ErrorContains(t, err, "legacy update path")

	_, err = Sync(t.Context(), nil, nil, syncOpts(talos.V1_14))
	require.Error(t, err)
}

func TestSyncDryRunThenApply(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	seed(t, f,
		configMap("same", map[string]any{"a": "1"}),
		configMap("changed", map[string]any{"a": "1"}),
		configMap("gone", map[string]any{"a": "1"}),
		obj("v1", "ServiceAccount", "kube-system", "vanished"), // in the inventory, deleted from the cluster
	)
	delete(f.objects, key("serviceaccounts", "kube-system", "vanished"))

	objs := []*unstructured.Unstructured{
		configMap("changed", map[string]any{"a": "2"}),
		configMap("same", map[string]any{"a": "1"}),
		obj("apps/v1", "Deployment", "kube-system", "new"),
	}

	dry := syncOpts(talos.V1_14)
	dry.DryRun = true

	plan, err := Sync(t.Context(), f, clone(objs), dry)
	require.NoError(t, err)
	require.True(t, plan.DryRun)

	want := []action{
		{"v1 ConfigMap kube-system/changed", "update"},
		{"v1 ConfigMap kube-system/same", "unchanged"},
		{"apps/v1 Deployment kube-system/new", "create"},
		{"v1 ConfigMap kube-system/gone", "prune"},
	}
	require.Equal(t, want, actions(plan))
	require.Equal(t, []string{`~ /data/a: "1" -> "2"`}, fieldStrings(plan.Changes[0].Fields))
	require.Empty(t, writes(f.callLog()), "a dry run writes nothing")
	require.Contains(t, plan.String(), "1 created, 1 configured, 1 pruned, 1 unchanged (dry run)")

	res, err := Sync(t.Context(), f, clone(objs), syncOpts(talos.V1_14))
	require.NoError(t, err)
	require.Equal(t, want, actions(res))

	require.Equal(t, []string{
		"apply configmaps kube-system/changed manager=talos force",
		"apply deployments kube-system/new manager=talos force",
		"update configmaps kube-system/talos-bootstrap-manifests-inventory manager=talos",
		"delete configmaps kube-system/gone propagation=Background",
		"update configmaps kube-system/talos-bootstrap-manifests-inventory manager=talos",
	}, writes(f.callLog()))

	require.Nil(t, f.object("configmaps", "kube-system", "gone"))
	require.Equal(t, "2", f.object("configmaps", "kube-system", "changed").Object["data"].(map[string]any)["a"])
	require.Equal(t, InventoryName, f.object("deployments", "kube-system", "new").GetAnnotations()[OwningInventoryAnnotation])
	require.Equal(t, []string{
		"kube-system_changed__ConfigMap",
		"kube-system_new_apps_Deployment",
		"kube-system_same__ConfigMap",
	}, inventoryData(t, f), "pruned and vanished entries leave the inventory")

	// Again: nothing to do.
	before := len(writes(f.callLog()))
	res, err = Sync(t.Context(), f, clone(objs), syncOpts(talos.V1_14))
	require.NoError(t, err)
	require.False(t, res.Changed(), res.String())
	require.Len(t, writes(f.callLog()), before)
}

func fieldStrings(fields []FieldChange) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.String()
	}

	return out
}

func TestSyncNoPrune(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	seed(t, f, configMap("kept", nil), configMap("stays", nil))

	opts := syncOpts(talos.V1_13)
	opts.NoPrune = true

	res, err := Sync(t.Context(), f, []*unstructured.Unstructured{configMap("stays", nil)}, opts)
	require.NoError(t, err)
	require.Equal(t, []action{{"v1 ConfigMap kube-system/stays", "unchanged"}}, actions(res))
	require.NotNil(t, f.object("configmaps", "kube-system", "kept"))
	require.Equal(t, []string{"kube-system_kept__ConfigMap", "kube-system_stays__ConfigMap"}, inventoryData(t, f))
}

func TestSyncStages(t *testing.T) {
	t.Parallel()

	objs := func() []*unstructured.Unstructured {
		return []*unstructured.Unstructured{
			obj("apps/v1", "Deployment", "team", "app"),
			obj("v1", "Secret", "team", "s"),
			obj("v1", "ConfigMap", "team", "c"),
			obj("storage.k8s.io/v1", "StorageClass", "", "fast"),
			obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "crb"),
			obj("v1", "ServiceAccount", "team", "sa"),
			obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "cr"),
			obj("v1", "Namespace", "", "team"),
			obj("example.com/v1", "Widget", "team", "w"), // its definition is in the same set
			crd("example.com", "Widget", "widgets", "v1", "Namespaced"),
		}
	}

	for _, tc := range []struct {
		contract talos.Contract
		want     []string
	}{
		{talos.V1_13, []string{
			"1 CustomResourceDefinition", "1 Namespace", "1 ClusterRole",
			"2 StorageClass",
			"4 ClusterRoleBinding", "4 ServiceAccount", "4 ConfigMap", "4 Secret", "4 Deployment", "4 Widget",
		}},
		{talos.V1_14, []string{
			"1 CustomResourceDefinition", "1 Namespace", "1 ClusterRole",
			"2 StorageClass",
			"3 ConfigMap", "3 Secret",
			"4 ClusterRoleBinding", "4 ServiceAccount", "4 Deployment", "4 Widget",
		}},
	} {
		t.Run(tc.contract.String(), func(t *testing.T) {
			t.Parallel()

			f := newFakeClient()
			f.crdStatus = true
			f.served[schema.GroupKind{Group: "storage.k8s.io", Kind: "StorageClass"}] = fakeKind{"storageclasses", false}

			opts := syncOpts(tc.contract)
			opts.DryRun = true

			plan, err := Sync(t.Context(), f, objs(), opts)
			require.NoError(t, err)

			res, err := Sync(t.Context(), f, objs(), syncOpts(tc.contract))
			require.NoError(t, err)
			require.Equal(t, actions(plan), actions(res))

			var got []string
			for _, c := range res.Changes {
				require.Equal(t, ActionCreate, c.Action, c.String())
				got = append(got, string(rune('0'+c.Stage))+" "+c.Ref.Kind)
			}

			require.Equal(t, tc.want, got)

			// The applies happen in that order; the Namespace exists before objects in it are applied.
			var applied []string
			for _, c := range writes(f.callLog()) {
				if strings.HasPrefix(c, "apply ") {
					applied = append(applied, strings.Fields(c)[1])
				}
			}

			var want []string
			for _, w := range tc.want {
				kind := strings.ToLower(strings.Fields(w)[1])
				if strings.HasSuffix(kind, "s") {
					want = append(want, kind+"es")
				} else {
					want = append(want, kind+"s")
				}
			}

			require.Equal(t, want, applied)
			require.NotNil(t, f.object("widgets", "team", "w"))
		})
	}
}

func TestSyncDryRunErrorStopsBeforeApplying(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	seed(t, f, configMap("gone", nil))
	f.errs["apply broken"] = apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "broken",
		nil)

	objs := []*unstructured.Unstructured{
		configMap("fine", nil),
		obj("apps/v1", "Deployment", "kube-system", "broken"),
	}

	res, err := Sync(t.Context(), f, objs, syncOpts(talos.V1_14))
	require.ErrorIs(t, err, ErrNothingApplied)
	require.ErrorContains(t, err, "sync: dry run apps/v1 Deployment kube-system/broken: ")
	require.ErrorContains(t, err, "stopped before applying anything")

	var se *SyncError
	require.ErrorAs(t, err, &se)
	require.Equal(t, OpDryRun, se.Op)
	require.True(t, apierrors.IsInvalid(err))
	require.Empty(t, res.Changes)
	require.Empty(t, writes(f.callLog()), "nothing is applied, pruned or written")
	require.NotNil(t, f.object("configmaps", "kube-system", "gone"))
}

func TestSyncApplyErrorWritesInventoryAndSkipsPrune(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	seed(t, f, configMap("gone", nil))

	objs := []*unstructured.Unstructured{configMap("first", nil), obj("apps/v1", "Deployment", "kube-system", "later")}

	// The dry runs pass; the real apply of the Deployment fails.
	c := &failApply{fakeClient: f, name: "later"}

	res, err := Sync(t.Context(), c, objs, syncOpts(talos.V1_14))
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrNothingApplied)
	require.ErrorContains(t, err, "sync: apply apps/v1 Deployment kube-system/later")
	require.ErrorContains(t, err, "stage 4")
	require.Equal(t, []action{{"v1 ConfigMap kube-system/first", "create"}}, actions(res))
	require.NotNil(t, f.object("configmaps", "kube-system", "gone"), "no prune after a failed apply")
	require.Equal(t, []string{"kube-system_first__ConfigMap", "kube-system_gone__ConfigMap"}, inventoryData(t, f))

	// On 1.13 both are in stage 4: the ConfigMap is applied, but the failed stage records
	// nothing in the inventory (fluxcd returns no change set for it).
	f = newFakeClient()
	seed(t, f, configMap("gone", nil))
	c = &failApply{fakeClient: f, name: "later"}

	res, err = Sync(t.Context(), c, objs, syncOpts(talos.V1_13))
	require.ErrorContains(t, err, "stage 4")
	require.Equal(t, []action{{"v1 ConfigMap kube-system/first", "create"}}, actions(res))
	require.NotNil(t, f.object("configmaps", "kube-system", "first"))
	require.Equal(t, []string{"kube-system_gone__ConfigMap"}, inventoryData(t, f))
}

// failApply fails the real (not dry-run) apply of one object.
type failApply struct {
	*fakeClient
	name string
}

func (c *failApply) Apply(ctx context.Context, gvr schema.GroupVersionResource, namespace string, o *unstructured.Unstructured, opts metav1.ApplyOptions) (*unstructured.Unstructured, error) {
	if len(opts.DryRun) == 0 && o.GetName() == c.name {
		return nil, apierrors.NewInternalError(errors.New("boom"))
	}

	return c.fakeClient.Apply(ctx, gvr, namespace, o, opts)
}

func TestSyncSecretDataIsMasked(t *testing.T) {
	t.Parallel()

	secret := func(data map[string]any) *unstructured.Unstructured {
		o := obj("v1", "Secret", "kube-system", "tls")
		o.Object["data"] = data

		return o
	}

	f := newFakeClient()
	seed(t, f, secret(map[string]any{"ca.crt": "b2xk", "same": "eA==", "dropped": "eQ=="}))

	opts := syncOpts(talos.V1_14)
	opts.DryRun = true

	res, err := Sync(t.Context(), f, []*unstructured.Unstructured{secret(map[string]any{"ca.crt": "bmV3", "same": "eA==", "added": "eg=="})}, opts)
	require.NoError(t, err)
	require.Equal(t, []string{
		`+ /data/added: "*** (after)"`,
		`~ /data/ca.crt: "*** (before)" -> "*** (after)"`,
		`- /data/dropped: "*** (before)"`,
	}, fieldStrings(res.Changes[0].Fields))
	require.NotContains(t, res.String(), "bmV3")
}

func TestSyncInventoryAnnotationAndPolicy(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	seed(t, f)

	other := configMap("x", nil)
	other.SetAnnotations(map[string]string{OwningInventoryAnnotation: "someone-else"})

	_, err := Sync(t.Context(), f, []*unstructured.Unstructured{other}, syncOpts(talos.V1_14))
	require.ErrorIs(t, err, ErrInventoryAnnotation)
	require.ErrorContains(t, err, "v1 ConfigMap kube-system/x")

	// A live object owned by another inventory is not taken over.
	f.objects[key("configmaps", "kube-system", "x")] = other

	_, err = Sync(t.Context(), f, []*unstructured.Unstructured{configMap("x", map[string]any{"k": "v"})}, syncOpts(talos.V1_14))
	require.ErrorIs(t, err, ErrInventoryPolicy)
	require.ErrorIs(t, err, ErrNothingApplied)
}

func TestSyncMissingInventoryIsCreated(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	opts := syncOpts(talos.V1_14)
	opts.DryRun = true

	res, err := Sync(t.Context(), f, []*unstructured.Unstructured{configMap("a", nil)}, opts)
	require.NoError(t, err)
	require.Equal(t, []action{{"v1 ConfigMap kube-system/a", "create"}}, actions(res))
	require.NotNil(t, f.object("configmaps", InventoryNamespace, InventoryName), "upgrade-k8s creates the empty inventory, also in a dry run")
	require.Nil(t, f.object("configmaps", "kube-system", "a"))
}

func TestParseInventoryKey(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		gk              schema.GroupKind
		namespace, name string
	}{
		{schema.GroupKind{Kind: "ConfigMap"}, "kube-system", "cilium-config"},
		{schema.GroupKind{Kind: "Namespace"}, "", "team"},
		{schema.GroupKind{Group: rbacGroup, Kind: "ClusterRole"}, "", "system:cilium:agent"},
		{schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}, "", "widgets.example.com"},
	} {
		ns, name, gk, ok := parseInventoryKey(InventoryKey(tc.gk, tc.namespace, tc.name))
		require.True(t, ok)
		require.Equal(t, tc.gk, gk)
		require.Equal(t, tc.namespace, ns)
		require.Equal(t, tc.name, name)
	}

	_, _, _, ok := parseInventoryKey("garbage")
	require.False(t, ok)
}

func TestSyncPruneErrors(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	seed(t, f, configMap("a", nil), configMap("b", nil), configMap("keep", nil))
	f.errs["delete a"] = apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "a", errors.New("no"))

	res, err := Sync(t.Context(), f, []*unstructured.Unstructured{configMap("keep", nil)}, syncOpts(talos.V1_14))
	require.ErrorContains(t, err, "sync: delete v1 ConfigMap kube-system/a: ")
	require.True(t, apierrors.IsForbidden(err))
	require.Equal(t, []action{
		{"v1 ConfigMap kube-system/keep", "unchanged"},
		{"v1 ConfigMap kube-system/b", "prune"},
	}, actions(res), "a failed delete does not stop the prune")
	require.Equal(t, []string{"kube-system_a__ConfigMap", "kube-system_keep__ConfigMap"}, inventoryData(t, f))

	// An object another inventory owns is not pruned, and stops the prune.
	delete(f.errs, "delete a")
	f.objects[key("configmaps", "kube-system", "a")].SetAnnotations(map[string]string{OwningInventoryAnnotation: "other"})

	_, err = Sync(t.Context(), f, []*unstructured.Unstructured{configMap("keep", nil)}, syncOpts(talos.V1_14))
	require.ErrorIs(t, err, ErrInventoryPolicy)
	require.NotErrorIs(t, err, ErrNothingApplied)
	require.NotNil(t, f.object("configmaps", "kube-system", "a"))
}

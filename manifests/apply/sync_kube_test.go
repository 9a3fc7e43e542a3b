package apply_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/apply"
	"github.com/talospatch/talospatch/talos"
)

// renderCiliumStable renders like renderCilium, but with the Hubble certificates generated in the
// cluster: Helm's own certificates are random per render, so two renders would always differ.
func renderCiliumStable(t *testing.T, version string) []*unstructured.Unstructured {
	t.Helper()

	chrt, err := loader.Load(filepath.Join(chartsDir(t), "cilium-"+version+".tgz"))
	require.NoError(t, err)

	rendered, err := manifests.RenderCilium(context.Background(), chrt, "v1.37.0",
		manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}, manifests.RenderOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, rendered.Objects)

	return rendered.Objects
}

type syncAction struct {
	Ref    string
	Action string
}

func syncActions(r *apply.SyncResult) []syncAction {
	out := make([]syncAction, len(r.Changes))
	for i, c := range r.Changes {
		out[i] = syncAction{Ref: c.Ref.String(), Action: c.Action.String()}
	}

	return out
}

// syncDryRunThenApply runs a dry run, then the sync, and checks that both list the same.
func syncDryRunThenApply(t *testing.T, c apply.Client, objs []*unstructured.Unstructured, opts apply.SyncOptions) *apply.SyncResult {
	t.Helper()

	dry := opts
	dry.DryRun = true

	plan, err := apply.Sync(t.Context(), c, objs, dry)
	require.NoError(t, err)

	res, err := apply.Sync(t.Context(), c, objs, opts)
	require.NoError(t, err)
	require.Equal(t, syncActions(plan), syncActions(res), "the dry run lists what the sync does")

	for i := range plan.Changes {
		require.Equal(t, plan.Changes[i].Fields, res.Changes[i].Fields, res.Changes[i].Ref.String())
	}

	return res
}

func refsWith(r *apply.SyncResult, a apply.Action) []manifests.ObjectRef {
	var out []manifests.ObjectRef

	for _, c := range r.Changes {
		if c.Action == a {
			out = append(out, c.Ref)
		}
	}

	return out
}

func inventoryKeys(t *testing.T, in *inspector) map[string]string {
	t.Helper()

	inv := in.get(t, manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: apply.InventoryNamespace, Name: apply.InventoryName})
	require.NotNil(t, inv)

	data, _, _ := unstructured.NestedStringMap(inv.Object, "data")

	return data
}

func TestRealSyncCiliumUpgrade(t *testing.T) {
	t.Parallel()

	env := pool.Fresh(t)
	client, in := newClient(t, env), newInspector(t, env)

	// Talos created Cilium 1.18 at bootstrap (inventory mode); an extra object leaves later.
	extra := parse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: talospatch-extra\n  namespace: kube-system\ndata:\n  a: b\n")
	old := append(renderCiliumStable(t, "1.18.12"), extra...)

	created, err := apply.Apply(t.Context(), client, old, apply.Options{Inventory: true})
	require.NoError(t, err)
	requireOutcomes(t, created, apply.OutcomeCreated)

	// An operator labels the agent DaemonSet with another field manager.
	ds := manifests.ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "kube-system", Name: "cilium"}
	label := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "DaemonSet",
		"metadata": map[string]any{"name": "cilium", "namespace": "kube-system", "labels": map[string]any{"example.com/team": "ops"}},
	}}
	_, err = in.resource(t, ds).Apply(t.Context(), "cilium", label, metav1.ApplyOptions{FieldManager: "kubectl"})
	require.NoError(t, err)

	updated := renderCiliumStable(t, "1.19.6")
	opts := apply.SyncOptions{Contract: talos.V1_14}

	// The full plan, for the record.
	full := opts
	full.DryRun = true

	plan, err := apply.Sync(t.Context(), client, updated, full)
	require.NoError(t, err)
	t.Logf("plan 1.18.12 -> 1.19.6:\n%s", plan)

	require.NotEmpty(t, refsWith(plan, apply.ActionUpdate))
	require.NotEmpty(t, refsWith(plan, apply.ActionPrune))
	require.Contains(t, refsWith(plan, apply.ActionPrune), manifests.RefOf(extra[0]))

	// First without pruning (--manifests-no-prune): the objects that left stay.
	noPrune := opts
	noPrune.NoPrune = true

	res := syncDryRunThenApply(t, client, updated, noPrune)
	require.Empty(t, refsWith(res, apply.ActionPrune))
	require.Equal(t, len(plan.Changes)-len(refsWith(plan, apply.ActionPrune)), len(res.Changes))

	for _, ref := range refsWith(plan, apply.ActionPrune) {
		require.NotNil(t, in.get(t, ref), "NoPrune keeps %s", ref)
	}

	for _, ref := range refsWith(plan, apply.ActionCreate) {
		require.NotNil(t, in.get(t, ref), "%s was created", ref)
	}

	// The DaemonSet runs 1.19.6, and the other manager's label survived the forced apply.
	live := in.get(t, ds)
	require.Equal(t, "ops", live.GetLabels()["example.com/team"])

	containers, _, _ := unstructured.NestedSlice(live.Object, "spec", "template", "spec", "containers")
	require.Contains(t, containers[0].(map[string]any)["image"], "v1.19.6")
	require.Equal(t, apply.InventoryName, live.GetAnnotations()[apply.OwningInventoryAnnotation])

	owners := map[string]bool{}
	for _, mf := range live.GetManagedFields() {
		owners[mf.Manager] = true
	}

	require.True(t, owners["talos"] && owners["kubectl"], "managers: %v", owners)

	// Then with pruning: only the prunes remain to do.
	res = syncDryRunThenApply(t, client, updated, opts)
	require.Equal(t, refsWith(plan, apply.ActionPrune), refsWith(res, apply.ActionPrune))
	require.Empty(t, refsWith(res, apply.ActionCreate))
	require.Empty(t, refsWith(res, apply.ActionUpdate))

	keys := inventoryKeys(t, in)
	for _, ref := range refsWith(plan, apply.ActionPrune) {
		require.Nil(t, in.get(t, ref), "%s was pruned", ref)
	}

	require.Len(t, keys, len(updated), "the inventory holds exactly the 1.19.6 objects")
	require.Contains(t, keys, "kube-system_cilium_apps_DaemonSet")
	require.NotContains(t, keys, "kube-system_talospatch-extra__ConfigMap")

	// A second sync is a no-op: nothing is written, not even the inventory.
	inventory := apply.Result{Ref: manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: apply.InventoryNamespace, Name: apply.InventoryName}}

	var results []apply.Result
	for _, c := range res.Changes {
		if c.Action != apply.ActionPrune {
			results = append(results, apply.Result{Ref: c.Ref})
		}
	}

	results = append(results, inventory)
	before := in.resourceVersions(t, results)

	again, err := apply.Sync(t.Context(), client, renderCiliumStable(t, "1.19.6"), opts)
	require.NoError(t, err)
	require.False(t, again.Changed(), again.String())
	require.Len(t, again.Changes, len(updated))
	require.Equal(t, before, in.resourceVersions(t, results))
	require.Equal(t, "ops", in.get(t, ds).GetLabels()["example.com/team"])
}

func TestRealSyncInvalidObjectStopsBeforeApplying(t *testing.T) {
	t.Parallel()

	env := pool.Fresh(t)
	client, in := newClient(t, env), newInspector(t, env)
	opts := apply.SyncOptions{Contract: talos.V1_13}

	first := parse(t, `
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: kube-system
data:
  level: info
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: leaving
  namespace: kube-system
`)

	res := syncDryRunThenApply(t, client, first, opts)
	require.Equal(t, 2, res.Count(apply.ActionCreate))

	settings := manifests.RefOf(first[0])
	rv := in.get(t, settings).GetResourceVersion()
	keys := inventoryKeys(t, in)

	second := parse(t, `
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: kube-system
data:
  level: debug
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: newcomer
  namespace: kube-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
  namespace: kube-system
spec:
  template:
    spec:
      containers:
      - name: c
        image: busybox
`)

	for _, dry := range []bool{true, false} {
		o := opts
		o.DryRun = dry

		_, err := apply.Sync(t.Context(), client, second, o)
		require.ErrorIs(t, err, apply.ErrNothingApplied)
		require.ErrorContains(t, err, "sync: dry run apps/v1 Deployment kube-system/broken: ")
		require.ErrorContains(t, err, "spec.selector: Required value")
		t.Logf("dry run %v: %v", dry, err)
	}

	require.Equal(t, rv, in.get(t, settings).GetResourceVersion(), "the changed ConfigMap was not applied")
	require.Nil(t, in.get(t, manifests.ObjectRef{APIVersion: "v1", Kind: "ServiceAccount", Namespace: "kube-system", Name: "newcomer"}))
	require.NotNil(t, in.get(t, manifests.RefOf(first[1])), "nothing was pruned")
	require.Equal(t, keys, inventoryKeys(t, in))
	require.Contains(t, keys, "kube-system_leaving__ConfigMap")
}

func TestRealSyncCRDAndCustomResourceInOneManifest(t *testing.T) {
	t.Parallel()

	env := pool.Fresh(t)
	client, in := newClient(t, env), newInspector(t, env)

	manifest := `
apiVersion: example.com/v1
kind: Gadget
metadata:
  name: g
  namespace: gadgets
spec:
  size: 1
---
apiVersion: v1
kind: Namespace
metadata:
  name: gadgets
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`

	opts := apply.SyncOptions{Contract: talos.V1_14, Backoff: apply.Backoff{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond}}

	res := syncDryRunThenApply(t, client, parse(t, manifest), opts)
	require.Equal(t, []syncAction{
		{"apiextensions.k8s.io/v1 CustomResourceDefinition gadgets.example.com", "create"},
		{"v1 Namespace gadgets", "create"},
		{"example.com/v1 Gadget gadgets/g", "create"},
	}, syncActions(res))

	gadget := in.get(t, manifests.ObjectRef{APIVersion: "example.com/v1", Kind: "Gadget", Namespace: "gadgets", Name: "g"})
	require.NotNil(t, gadget)
	require.Equal(t, apply.InventoryName, gadget.GetAnnotations()[apply.OwningInventoryAnnotation])

	// Changing the custom resource is an update; everything else is unchanged.
	res = syncDryRunThenApply(t, client, parse(t, strings.Replace(manifest, "size: 1", "size: 2", 1)), opts)
	require.Equal(t, apply.ActionUpdate, res.Changes[2].Action, res.String())
	require.Equal(t, 2, res.Count(apply.ActionUnchanged))
	require.Equal(t, `~ /spec/size: 1 -> 2`, res.Changes[2].Fields[0].String())
}

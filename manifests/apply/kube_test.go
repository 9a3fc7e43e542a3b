package apply_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"

	"github.com/talospatch/talospatch/internal/kubetest"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/apply"
)

// pool shares one etcd (and one API server for the tests that can share it) across the
// tests of this binary.
var pool kubetest.Pool

func TestMain(m *testing.M) {
	code := m.Run()
	pool.Close()
	os.Exit(code)
}

// inspector reads the cluster independently of the applier's client.
type inspector struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

func newInspector(t *testing.T, env *kubetest.Env) *inspector {
	t.Helper()

	config := env.Config()
	config.QPS, config.Burst = 200, 400

	dc, err := discovery.NewDiscoveryClientForConfig(config)
	require.NoError(t, err)

	dyn, err := dynamic.NewForConfig(config)
	require.NoError(t, err)

	return &inspector{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

func (in *inspector) resource(t *testing.T, ref manifests.ObjectRef) dynamic.ResourceInterface {
	t.Helper()

	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	require.NoError(t, err)

	mapping, err := in.mapper.RESTMapping(gv.WithKind(ref.Kind).GroupKind(), gv.Version)
	require.NoError(t, err, ref.String())

	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		return in.dyn.Resource(mapping.Resource).Namespace(ref.Namespace)
	}

	return in.dyn.Resource(mapping.Resource)
}

// get returns the live object, or nil when it does not exist.
func (in *inspector) get(t *testing.T, ref manifests.ObjectRef) *unstructured.Unstructured {
	t.Helper()

	obj, err := in.resource(t, ref).Get(t.Context(), ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}

	require.NoError(t, err, ref.String())

	return obj
}

// resourceVersions returns ref -> resourceVersion of every result's live object.
func (in *inspector) resourceVersions(t *testing.T, results []apply.Result) map[string]string {
	t.Helper()

	rvs := map[string]string{}
	for _, r := range results {
		obj := in.get(t, r.Ref)
		require.NotNil(t, obj, "%s does not exist", r.Ref)
		rvs[r.Ref.String()] = obj.GetResourceVersion()
	}

	return rvs
}

func newClient(t *testing.T, env *kubetest.Env) apply.Client {
	t.Helper()

	c, err := apply.NewClient(env.Config())
	require.NoError(t, err)

	return c
}

func parse(t *testing.T, yaml string) []*unstructured.Unstructured {
	t.Helper()

	objs, err := manifests.ParseObjects([]byte(yaml))
	require.NoError(t, err)

	return objs
}

func requireOutcomes(t *testing.T, results []apply.Result, want apply.Outcome) {
	t.Helper()

	for _, r := range results {
		require.Equal(t, want, r.Outcome, r.String())
	}
}

// chartsDir is testdata/charts at the repository root.
func chartsDir(t *testing.T) string {
	t.Helper()

	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "charts"))
	require.NoError(t, err)

	_, err = os.Stat(dir)
	require.NoError(t, err, "the Cilium charts are in testdata/charts at the repository root")

	return dir
}

// renderCilium renders a Cilium chart archive with the presets of Talos's Cilium guide
// (KubePrism, no kube-proxy) for Kubernetes v1.37, into kube-system.
func renderCilium(t *testing.T, archive string) []*unstructured.Unstructured {
	t.Helper()

	chrt, err := loader.Load(archive)
	require.NoError(t, err)

	rendered, err := manifests.RenderCilium(context.Background(), chrt, "v1.37.0", manifests.CiliumOptions{KubeProxyDisabled: true}, manifests.RenderOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, rendered.Objects)

	return rendered.Objects
}

func ciliumCharts(t *testing.T) []string {
	t.Helper()

	charts, err := filepath.Glob(filepath.Join(chartsDir(t), "cilium-*.tgz"))
	require.NoError(t, err)
	require.NotEmpty(t, charts)

	return charts
}

func TestRealCiliumAppliesToEmptyCluster(t *testing.T) {
	t.Parallel()

	for _, archive := range ciliumCharts(t) {
		name := strings.TrimSuffix(filepath.Base(archive), ".tgz")

		t.Run(name, func(t *testing.T) {
			t.Parallel()

			objs := renderCilium(t, archive)
			env := pool.Fresh(t)

			results, err := apply.Apply(t.Context(), newClient(t, env), objs, apply.Options{})
			require.NoError(t, err)
			require.Len(t, results, len(objs))
			requireOutcomes(t, results, apply.OutcomeCreated)

			in := newInspector(t, env)
			for _, r := range results {
				require.NotNil(t, in.get(t, r.Ref), "%s was reported created but does not exist", r.Ref)
			}

			// The privileged agent DaemonSet is there, as Talos would create it.
			require.NotNil(t, in.get(t, manifests.ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "kube-system", Name: "cilium"}))
		})
	}
}

func TestRealApplyingAgainChangesNothing(t *testing.T) {
	t.Parallel()

	archive := filepath.Join(chartsDir(t), "cilium-1.18.12.tgz")

	for _, tc := range []struct {
		name  string
		opts  apply.Options
		again apply.Outcome
	}{
		{"classic", apply.Options{}, apply.OutcomeExists},
		{"inventory", apply.Options{Inventory: true}, apply.OutcomeInInventory},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			env := pool.Fresh(t)
			client, in := newClient(t, env), newInspector(t, env)

			first, err := apply.Apply(t.Context(), client, renderCilium(t, archive), tc.opts)
			require.NoError(t, err)
			requireOutcomes(t, first, apply.OutcomeCreated)

			inventory := apply.Result{Ref: manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: apply.InventoryNamespace, Name: apply.InventoryName}}
			if tc.opts.Inventory {
				first = append(first, inventory)
			}

			before := in.resourceVersions(t, first)

			// A second render differs (fresh certificates) and must not change anything either.
			second, err := apply.Apply(t.Context(), client, renderCilium(t, archive), tc.opts)
			require.NoError(t, err)
			requireOutcomes(t, second, tc.again)

			if tc.opts.Inventory {
				second = append(second, inventory)
			}

			require.Equal(t, before, in.resourceVersions(t, second))
		})
	}
}

func TestRealEditedObjectIsNotReverted(t *testing.T) {
	t.Parallel()

	env := pool.Shared(t)
	client := newClient(t, env)
	in := newInspector(t, env)

	objs := parse(t, `
apiVersion: v1
kind: Namespace
metadata:
  name: edit-test
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: edit-test
data:
  mode: from-manifest
`)

	_, err := apply.Apply(t.Context(), client, objs, apply.Options{})
	require.NoError(t, err)

	ref := manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "edit-test", Name: "settings"}
	live := in.get(t, ref)
	require.NoError(t, unstructured.SetNestedField(live.Object, "edited-in-cluster", "data", "mode"))
	edited, err := in.resource(t, ref).Update(t.Context(), live, metav1.UpdateOptions{})
	require.NoError(t, err)

	results, err := apply.Apply(t.Context(), client, objs, apply.Options{})
	require.NoError(t, err)
	requireOutcomes(t, results, apply.OutcomeExists)

	after := in.get(t, ref)
	mode, _, _ := unstructured.NestedString(after.Object, "data", "mode")
	require.Equal(t, "edited-in-cluster", mode)
	require.Equal(t, edited.GetResourceVersion(), after.GetResourceVersion())
}

func TestRealDeletedObjectClassicVersusInventory(t *testing.T) {
	t.Parallel()

	manifest := `
apiVersion: v1
kind: Namespace
metadata:
  name: deleted-test
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: keep
  namespace: deleted-test
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: gone
  namespace: deleted-test
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: deleted-test:reader
  namespace: stray
rules: []
`
	gone := manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "deleted-test", Name: "gone"}

	t.Run("classic", func(t *testing.T) {
		t.Parallel()

		env := pool.Fresh(t)
		client, in := newClient(t, env), newInspector(t, env)

		_, err := apply.Apply(t.Context(), client, parse(t, manifest), apply.Options{})
		require.NoError(t, err)
		require.NoError(t, in.resource(t, gone).Delete(t.Context(), gone.Name, metav1.DeleteOptions{}))

		results, err := apply.Apply(t.Context(), client, parse(t, manifest), apply.Options{})
		require.NoError(t, err)
		require.Equal(t, []string{"exists", "exists", "created", "exists"}, outcomeNames(results))
		require.NotNil(t, in.get(t, gone), "classic mode re-creates a deleted object")
	})

	t.Run("inventory", func(t *testing.T) {
		t.Parallel()

		env := pool.Fresh(t)
		client, in := newClient(t, env), newInspector(t, env)

		results, err := apply.Apply(t.Context(), client, parse(t, manifest), apply.Options{Inventory: true})
		require.NoError(t, err)
		requireOutcomes(t, results, apply.OutcomeCreated)

		// New objects are server-side applied by "talos" and stamped with the inventory.
		live := in.get(t, gone)
		require.Equal(t, apply.InventoryName, live.GetAnnotations()[apply.OwningInventoryAnnotation])
		require.Equal(t, "talos", live.GetManagedFields()[0].Manager)
		require.Equal(t, metav1.ManagedFieldsOperationApply, live.GetManagedFields()[0].Operation)

		// The cluster-scoped ClusterRole lost its stray namespace.
		require.NotNil(t, in.get(t, manifests.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "deleted-test:reader"}))

		inv := in.get(t, manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: apply.InventoryNamespace, Name: apply.InventoryName})
		require.NotNil(t, inv)
		require.Equal(t, apply.InventoryName, inv.GetLabels()[apply.InventoryIDLabel])

		data, _, _ := unstructured.NestedStringMap(inv.Object, "data")
		require.Equal(t, map[string]string{
			"_deleted-test__Namespace":                                    "",
			"deleted-test_keep__ConfigMap":                                "",
			"deleted-test_gone__ConfigMap":                                "",
			"_deleted-test__reader_rbac.authorization.k8s.io_ClusterRole": "",
		}, data)

		require.NoError(t, in.resource(t, gone).Delete(t.Context(), gone.Name, metav1.DeleteOptions{}))

		results, err = apply.Apply(t.Context(), client, parse(t, manifest), apply.Options{Inventory: true})
		require.NoError(t, err)
		requireOutcomes(t, results, apply.OutcomeInInventory)
		require.Nil(t, in.get(t, gone), "inventory mode must not re-create a deleted object")
	})
}

func outcomeNames(results []apply.Result) []string {
	out := make([]string, len(results))
	for i, r := range results {
		out[i] = r.Outcome.String()
	}

	return out
}

func TestRealCustomNamespace(t *testing.T) {
	t.Parallel()

	env := pool.Shared(t)
	client, in := newClient(t, env), newInspector(t, env)

	objects := `
apiVersion: v1
kind: ServiceAccount
metadata:
  name: agent
  namespace: team-x
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: agent-config
  namespace: team-x
`

	results, err := apply.Apply(t.Context(), client, parse(t, objects), apply.Options{})
	require.ErrorIs(t, err, apply.ErrNamespaceNotFound)
	require.ErrorIs(t, err, apply.ErrAborted)
	require.ErrorContains(t, err, `namespace "team-x" does not exist`)

	var missing *apply.MissingNamespaceError
	require.ErrorAs(t, err, &missing)
	require.Equal(t, "team-x", missing.Namespace)
	require.Equal(t, []string{"failed", "not-attempted"}, outcomeNames(results))

	// The same objects with the Namespace prepended apply, the Namespace first.
	withNamespace := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-x\n---\n" + objects

	results, err = apply.Apply(t.Context(), client, parse(t, withNamespace), apply.Options{})
	require.NoError(t, err)
	require.Equal(t, "v1 Namespace team-x", results[0].Ref.String())
	requireOutcomes(t, results, apply.OutcomeCreated)

	for _, r := range results {
		require.NotNil(t, in.get(t, r.Ref))
	}
}

func TestRealCiliumInCustomNamespace(t *testing.T) {
	t.Parallel()

	chrt, err := loader.Load(filepath.Join(chartsDir(t), "cilium-1.18.12.tgz"))
	require.NoError(t, err)

	rendered, err := manifests.RenderCilium(context.Background(), chrt, "v1.37.0", manifests.CiliumOptions{KubeProxyDisabled: true},
		manifests.RenderOptions{Namespace: "cilium"})
	require.NoError(t, err)

	// What `helm template -n cilium` gives: everything but the Namespace the renderer prepends.
	var withoutNamespace []*unstructured.Unstructured
	for _, obj := range rendered.Objects {
		if obj.GetKind() != "Namespace" || obj.GetName() != "cilium" {
			withoutNamespace = append(withoutNamespace, obj)
		}
	}

	require.Len(t, withoutNamespace, len(rendered.Objects)-1, "the renderer prepends the Namespace")

	env := pool.Fresh(t)
	client, in := newClient(t, env), newInspector(t, env)

	results, err := apply.Apply(t.Context(), client, withoutNamespace, apply.Options{})
	require.ErrorIs(t, err, apply.ErrAborted)
	require.ErrorContains(t, err, `namespace "cilium" does not exist`)

	var missing *apply.MissingNamespaceError
	require.ErrorAs(t, err, &missing)
	require.Equal(t, "cilium", missing.Namespace)

	// The pass stopped at the first object in the missing namespace: it failed, and nothing
	// after it was sent.
	require.Len(t, results, len(withoutNamespace))

	failed := slices.IndexFunc(results, func(r apply.Result) bool { return r.Outcome == apply.OutcomeFailed })
	require.GreaterOrEqual(t, failed, 0)
	require.Equal(t, "cilium", results[failed].Ref.Namespace)

	for _, r := range results[failed+1:] {
		require.Equal(t, apply.OutcomeNotAttempted, r.Outcome, r.Ref.String())
	}

	results, err = apply.Apply(t.Context(), client, rendered.Objects, apply.Options{})
	require.NoError(t, err)
	require.Equal(t, "v1 Namespace cilium", results[0].Ref.String())
	require.Equal(t, apply.OutcomeCreated, results[0].Outcome)

	for _, r := range results {
		require.NotNil(t, in.get(t, r.Ref), r.Ref.String())
	}

	ds := in.get(t, manifests.ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "cilium", Name: "cilium"})
	require.NotNil(t, ds)
}

func TestRealCRDAndCustomResourceInOneManifest(t *testing.T) {
	t.Parallel()

	env := pool.Shared(t)
	client, in := newClient(t, env), newInspector(t, env)

	// The custom resource comes first in the document; the CRD is sorted before it, but its
	// kind is only served once the CRD is established.
	objs := parse(t, `
apiVersion: crd-test.talospatch.dev/v1
kind: Widget
metadata:
  name: first
spec:
  size: 3
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.crd-test.talospatch.dev
spec:
  group: crd-test.talospatch.dev
  scope: Namespaced
  names:
    kind: Widget
    plural: widgets
    singular: widget
    listKind: WidgetList
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	results, err := apply.Apply(ctx, client, objs, apply.Options{})
	require.NoError(t, err)
	require.Equal(t, []string{
		"apiextensions.k8s.io/v1 CustomResourceDefinition widgets.crd-test.talospatch.dev: created",
		"crd-test.talospatch.dev/v1 Widget default/first: created",
	}, []string{results[0].String(), results[1].String()})

	require.NotNil(t, in.get(t, results[1].Ref))
}

func TestRealInvalidObjectIsReportedAndOthersAreCreated(t *testing.T) {
	t.Parallel()

	env := pool.Shared(t)
	client, in := newClient(t, env), newInspector(t, env)

	objs := parse(t, `
apiVersion: v1
kind: Namespace
metadata:
  name: invalid-test
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: no-selector
  namespace: invalid-test
spec:
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
      - name: c
        image: busybox
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: fine
  namespace: invalid-test
---
apiVersion: example.invalid/v1
kind: NotServed
metadata:
  name: nope
  namespace: invalid-test
---
apiVersion: v1
kind: Service
metadata:
  name: also-fine
  namespace: invalid-test
spec:
  ports:
  - port: 80
`)

	results, err := apply.Apply(t.Context(), client, objs, apply.Options{})
	require.Error(t, err)
	require.False(t, errors.Is(err, apply.ErrAborted), "%v", err)
	require.Equal(t, []string{"created", "failed", "created", "failed", "created"}, outcomeNames(results))

	require.True(t, apierrors.IsInvalid(results[1].Err), "%v", results[1].Err)
	require.ErrorContains(t, results[1].Err, "apps/v1 Deployment invalid-test/no-selector")
	require.True(t, meta.IsNoMatchError(results[3].Err), "%v", results[3].Err)

	var failures []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var oe *apply.ObjectError
		require.ErrorAs(t, e, &oe)
		failures = append(failures, oe.Op+" "+oe.Ref.String())
	}

	require.Equal(t, []string{"create apps/v1 Deployment invalid-test/no-selector", "map example.invalid/v1 NotServed invalid-test/nope"}, failures)

	for _, i := range []int{0, 2, 4} {
		require.NotNil(t, in.get(t, results[i].Ref))
	}
}

func TestRealDryRunWritesNothing(t *testing.T) {
	t.Parallel()

	env := pool.Fresh(t)
	client, in := newClient(t, env), newInspector(t, env)
	objs := renderCilium(t, filepath.Join(chartsDir(t), "cilium-1.18.12.tgz"))

	for _, inventory := range []bool{false, true} {
		results, err := apply.Apply(t.Context(), client, objs, apply.Options{DryRun: true, Inventory: inventory})
		require.NoError(t, err)

		var created, unverified int
		for _, r := range results {
			switch r.Outcome {
			case apply.OutcomeCreated:
				created++
			case apply.OutcomeUnverified:
				unverified++
				require.ErrorContains(t, r.Err, "cilium-secrets", r.String())
			default:
				t.Fatalf("unexpected %s", r)
			}

			require.Nil(t, in.get(t, r.Ref), "dry run created %s", r.Ref)
		}

		require.Greater(t, created, 10)
		require.Nil(t, in.get(t, manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: apply.InventoryNamespace, Name: apply.InventoryName}))
	}

	// The dry run validated for real: an invalid object fails it.
	bad := parse(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  namespace: kube-system\nspec: {}\n")
	_, err := apply.Apply(t.Context(), client, bad, apply.Options{DryRun: true})
	require.True(t, apierrors.IsInvalid(err), "%v", err)
}

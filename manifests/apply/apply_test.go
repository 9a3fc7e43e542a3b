package apply

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// fast is a backoff that keeps unit tests quick.
var fast = Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond, Jitter: -1}

type outcome struct {
	Ref     string
	Outcome string
}

func outcomes(results []Result) []outcome {
	out := make([]outcome, len(results))
	for i, r := range results {
		out[i] = outcome{Ref: r.Ref.String(), Outcome: r.Outcome.String()}
	}

	return out
}

func clone(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o.DeepCopy()
	}

	return out
}

func TestApplyOrderDefaultsAndCalls(t *testing.T) {
	t.Parallel()

	role := obj("rbac.authorization.k8s.io/v1", "ClusterRole", "stray", "reader")
	input := []*unstructured.Unstructured{
		obj("v1", "ConfigMap", "", "settings"),
		role,
		obj("v1", "Namespace", "", "b"),
		crd("example.com", "Widget", "widgets", "v1", "Namespaced"),
		obj("apps/v1", "Deployment", "a", "app"),
		obj("v1", "Namespace", "", "a"),
		crd("example.com", "Gadget", "gadgets", "v1", "Namespaced"),
	}
	before := clone(input)

	f := newFakeClient()
	results, err := Apply(t.Context(), f, input, Options{})
	require.NoError(t, err)

	want := []outcome{
		{"v1 Namespace a", "created"},
		{"v1 Namespace b", "created"},
		{"apiextensions.k8s.io/v1 CustomResourceDefinition gadgets.example.com", "created"},
		{"apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com", "created"},
		{"v1 ConfigMap default/settings", "created"},
		{"rbac.authorization.k8s.io/v1 ClusterRole reader", "created"},
		{"apps/v1 Deployment a/app", "created"},
	}
	require.Empty(t, cmp.Diff(want, outcomes(results)))

	wantCalls := []string{
		"discover",
		"get namespaces a", "create namespaces a manager=talos",
		"get namespaces b", "create namespaces b manager=talos",
		"get customresourcedefinitions gadgets.example.com", "create customresourcedefinitions gadgets.example.com manager=talos",
		"get customresourcedefinitions widgets.example.com", "create customresourcedefinitions widgets.example.com manager=talos",
		"get configmaps default/settings", "create configmaps default/settings manager=talos",
		"get clusterroles reader", "create clusterroles reader manager=talos",
		"get deployments a/app", "create deployments a/app manager=talos",
	}
	require.Empty(t, cmp.Diff(wantCalls, f.callLog()))

	// The stray namespace of the cluster-scoped object is not sent; inputs are untouched.
	require.Empty(t, f.object("clusterroles", "", "reader").GetNamespace())
	require.Empty(t, cmp.Diff(before, input))
}

func TestApplyExistingObjectsAreLeftAlone(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	live := obj("v1", "ConfigMap", "kube-system", "cfg")
	live.Object["data"] = map[string]any{"edited": "in the cluster"}
	f.objects[key("configmaps", "kube-system", "cfg")] = live

	manifest := obj("v1", "ConfigMap", "kube-system", "cfg")
	manifest.Object["data"] = map[string]any{"from": "the manifest"}

	results, err := Apply(t.Context(), f, []*unstructured.Unstructured{manifest}, Options{})
	require.NoError(t, err)
	require.Equal(t, []outcome{{"v1 ConfigMap kube-system/cfg", "exists"}}, outcomes(results))
	require.Equal(t, []string{"discover", "get configmaps kube-system/cfg"}, f.callLog())
	require.Empty(t, cmp.Diff(live, f.object("configmaps", "kube-system", "cfg")))
}

func TestApplyAlreadyExistsCountsAsPresent(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	f.errs["create racy"] = apierrors.NewAlreadyExists(schema.GroupResource{Resource: "configmaps"}, "racy")

	results, err := Apply(t.Context(), f, []*unstructured.Unstructured{obj("v1", "ConfigMap", "", "racy")}, Options{})
	require.NoError(t, err)
	require.Equal(t, OutcomeExists, results[0].Outcome)
}

func TestApplyCollectedFailures(t *testing.T) {
	t.Parallel()

	gr := schema.GroupResource{Resource: "configmaps"}

	for name, tc := range map[string]struct {
		errKey string
		err    error
		op     string
		check  func(error) bool
	}{
		"invalid":              {"create bad", apierrors.NewInvalid(schema.GroupKind{Kind: "ConfigMap"}, "bad", nil), OpCreate, apierrors.IsInvalid},
		"bad request":          {"create bad", apierrors.NewBadRequest("nope"), OpCreate, apierrors.IsBadRequest},
		"method not supported": {"create bad", apierrors.NewMethodNotSupported(gr, "create"), OpCreate, apierrors.IsMethodNotSupported},
		"kind not served":      {"map ConfigMap", &meta.NoKindMatchError{GroupKind: schema.GroupKind{Kind: "ConfigMap"}}, OpMap, meta.IsNoMatchError},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			f := newFakeClient()
			f.errs[tc.errKey] = tc.err

			input := []*unstructured.Unstructured{
				obj("v1", "ConfigMap", "kube-system", "bad"),
				obj("v1", "Secret", "kube-system", "good"),
			}

			results, err := Apply(t.Context(), f, input, Options{})
			require.Error(t, err)
			require.False(t, errors.Is(err, ErrAborted), "collected failures do not abort: %v", err)
			require.Equal(t, []string{"failed", "created"}, []string{results[0].Outcome.String(), results[1].Outcome.String()})

			var oe *ObjectError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, tc.op, oe.Op)
			require.Equal(t, "bad", oe.Ref.Name)
			require.True(t, tc.check(oe.Err), "%v", oe.Err)
			require.Same(t, results[0].Err, error(oe))
		})
	}
}

func TestApplyMissingNamespaceAbortsThePass(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	input := []*unstructured.Unstructured{
		obj("v1", "ConfigMap", "kube-system", "first"),
		obj("v1", "ConfigMap", "custom", "cfg"),
		obj("v1", "ConfigMap", "kube-system", "last"),
	}

	results, err := Apply(t.Context(), f, input, Options{})
	require.ErrorIs(t, err, ErrAborted)
	require.ErrorIs(t, err, ErrNamespaceNotFound)
	require.ErrorContains(t, err, `namespace "custom" does not exist`)

	var missing *MissingNamespaceError
	require.ErrorAs(t, err, &missing)
	require.Equal(t, "custom", missing.Namespace)

	require.Equal(t, []outcome{
		{"v1 ConfigMap kube-system/first", "created"},
		{"v1 ConfigMap custom/cfg", "failed"},
		{"v1 ConfigMap kube-system/last", "not-attempted"},
	}, outcomes(results))

	// With the Namespace in the manifest, it is created first and everything applies.
	withNamespace := append([]*unstructured.Unstructured{obj("v1", "Namespace", "", "custom")}, input...)
	results, err = Apply(t.Context(), newFakeClient(), withNamespace, Options{})
	require.NoError(t, err)
	require.Equal(t, "v1 Namespace custom", results[0].Ref.String())
}

func TestApplyOtherErrorsAbort(t *testing.T) {
	t.Parallel()

	for name, errKey := range map[string]string{
		"get":     "get second",
		"create":  "create second",
		"mapping": "map Secret",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			f := newFakeClient()
			f.errs[errKey] = apierrors.NewServiceUnavailable("connection refused")

			input := []*unstructured.Unstructured{
				obj("v1", "ConfigMap", "kube-system", "first"),
				obj("v1", "Secret", "kube-system", "second"),
				obj("v1", "ConfigMap", "kube-system", "third"),
			}

			results, err := Apply(t.Context(), f, input, Options{})
			require.ErrorIs(t, err, ErrAborted)
			require.ErrorContains(t, err, "connection refused")
			require.Equal(t, []string{"created", "failed", "not-attempted"},
				[]string{results[0].Outcome.String(), results[1].Outcome.String(), results[2].Outcome.String()})
		})
	}
}

func TestApplyCustomResourceWaitsForItsCRD(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	f.establishAfter = 3 // served only after the third rediscovery

	input := []*unstructured.Unstructured{
		obj("example.com/v1", "Widget", "", "w"),
		crd("example.com", "Widget", "widgets", "v1", "Namespaced"),
		obj("v1", "ConfigMap", "", "after"),
	}

	results, err := Apply(t.Context(), f, input, Options{Backoff: fast})
	require.NoError(t, err)
	require.Equal(t, []outcome{
		{"apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com", "created"},
		{"example.com/v1 Widget default/w", "created"},
		{"v1 ConfigMap default/after", "created"},
	}, outcomes(results))
	require.NotNil(t, f.object("widgets", "default", "w"))
}

func TestApplyGivesUpWhenTheContextEnds(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	f.establishAfter = 1 << 30 // never served

	input := []*unstructured.Unstructured{
		crd("example.com", "Widget", "widgets", "v1", "Namespaced"),
		obj("example.com/v1", "Widget", "", "w"),
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()

	results, err := Apply(ctx, f, input, Options{Backoff: fast})
	require.Error(t, err)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, meta.IsNoMatchError(err))
	require.ErrorContains(t, err, "gave up waiting for its CustomResourceDefinition")
	require.Equal(t, OutcomeFailed, results[1].Outcome)
}

// TestApplyExistingCRDDecidesWhatIsServed: a CRD that already exists is not updated, so a
// custom resource of a version only the input's definition adds is never served; it fails at
// once instead of waiting until the context ends.
func TestApplyExistingCRDDecidesWhatIsServed(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	f.objects[key("customresourcedefinitions", "", "widgets.example.com")] = crd("example.com", "Widget", "widgets", "v1", "Namespaced")

	input := []*unstructured.Unstructured{
		crd("example.com", "Widget", "widgets", "v2", "Namespaced"),
		obj("example.com/v2", "Widget", "", "w"),
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	results, err := Apply(ctx, f, input, Options{Backoff: fast})
	require.True(t, meta.IsNoMatchError(err), "%v", err)
	require.NotContains(t, err.Error(), "gave up", "nothing to wait for: the existing definition does not serve v2")
	require.Equal(t, []outcome{
		{"apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com", "exists"},
		{"example.com/v2 Widget w", "failed"},
	}, outcomes(results))
	require.NotContains(t, f.callLog(), "reset")
}

func TestApplyUnknownKindIsNotRetried(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	input := []*unstructured.Unstructured{obj("example.com/v1", "Widget", "", "w")}

	results, err := Apply(t.Context(), f, input, Options{Backoff: fast})
	require.True(t, meta.IsNoMatchError(err), "%v", err)
	require.Equal(t, OutcomeFailed, results[0].Outcome)
	require.NotContains(t, f.callLog(), "reset")
}

func TestApplyDryRun(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	f.objects[key("configmaps", "kube-system", "present")] = obj("v1", "ConfigMap", "kube-system", "present")

	input := []*unstructured.Unstructured{
		obj("v1", "Namespace", "", "new"),
		obj("v1", "ConfigMap", "new", "in-new"),
		obj("v1", "ConfigMap", "kube-system", "present"),
		obj("v1", "ConfigMap", "kube-system", "absent"),
		crd("example.com", "Widget", "widgets", "v1", "Namespaced"),
		obj("example.com/v1", "Widget", "kube-system", "w"),
	}

	results, err := Apply(t.Context(), f, input, Options{DryRun: true, Backoff: fast})
	require.NoError(t, err)
	require.Equal(t, []outcome{
		{"v1 Namespace new", "created"},
		{"apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com", "created"},
		{"v1 ConfigMap new/in-new", "unverified"},
		{"v1 ConfigMap kube-system/present", "exists"},
		{"v1 ConfigMap kube-system/absent", "created"},
		{"example.com/v1 Widget kube-system/w", "unverified"},
	}, outcomes(results))
	require.ErrorContains(t, results[2].Err, `namespace "new"`)
	require.ErrorContains(t, results[5].Err, "widgets.example.com")

	for _, call := range f.callLog() {
		if !contains(call, "get ") && call != "discover" {
			require.Contains(t, call, "dryRun=All")
		}
	}

	require.Nil(t, f.object("namespaces", "", "new"), "dry run wrote an object")
	require.Nil(t, f.object("configmaps", "kube-system", "absent"), "dry run wrote an object")
}

func contains(s, sub string) bool { return len(s) >= len(sub) && s[:len(sub)] == sub }

func TestApplyInventory(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	inv := inventoryObject(nil, []string{
		InventoryKey(schema.GroupKind{Kind: "ConfigMap"}, "kube-system", "recorded"),
		"unrelated_entry_apps_Deployment",
	})
	inv.SetResourceVersion("7")
	f.objects[key("configmaps", InventoryNamespace, InventoryName)] = inv
	f.objects[key("configmaps", "kube-system", "adopted")] = obj("v1", "ConfigMap", "kube-system", "adopted")

	input := []*unstructured.Unstructured{
		obj("v1", "ConfigMap", "kube-system", "recorded"), // deleted from the cluster, stays deleted
		obj("v1", "ConfigMap", "kube-system", "adopted"),
		obj("v1", "ConfigMap", "kube-system", "new"),
		obj("rbac.authorization.k8s.io/v1", "ClusterRole", "stray", "system:reader"),
	}

	results, err := Apply(t.Context(), f, input, Options{Inventory: true})
	require.NoError(t, err)
	require.Equal(t, []outcome{
		{"v1 ConfigMap kube-system/recorded", "in-inventory"},
		{"v1 ConfigMap kube-system/adopted", "exists"},
		{"v1 ConfigMap kube-system/new", "created"},
		{"rbac.authorization.k8s.io/v1 ClusterRole system:reader", "created"},
	}, outcomes(results))

	require.Equal(t, []string{
		"get configmaps kube-system/talos-bootstrap-manifests-inventory",
		"discover",
		"get configmaps kube-system/adopted",
		"get configmaps kube-system/new", "apply configmaps kube-system/new manager=talos",
		"get clusterroles system:reader", "apply clusterroles system:reader manager=talos",
		"update configmaps kube-system/talos-bootstrap-manifests-inventory manager=talos",
	}, f.callLog())

	created := f.object("configmaps", "kube-system", "new")
	require.Equal(t, InventoryName, created.GetAnnotations()[OwningInventoryAnnotation])
	require.Empty(t, f.object("configmaps", "kube-system", "adopted").GetAnnotations(), "adopted objects are not modified")

	written := f.object("configmaps", InventoryNamespace, InventoryName)
	require.Equal(t, "7", written.GetResourceVersion())
	require.Equal(t, InventoryName, written.GetLabels()[InventoryIDLabel])

	data, _, _ := unstructured.NestedStringMap(written.Object, "data")
	require.Empty(t, cmp.Diff(map[string]string{
		"kube-system_recorded__ConfigMap":                       "",
		"kube-system_adopted__ConfigMap":                        "",
		"kube-system_new__ConfigMap":                            "",
		"_system__reader_rbac.authorization.k8s.io_ClusterRole": "",
		"unrelated_entry_apps_Deployment":                       "",
	}, data))

	// A second run sends nothing but the inventory read and the discovery.
	f.calls = nil
	results, err = Apply(t.Context(), f, input, Options{Inventory: true})
	require.NoError(t, err)

	for _, r := range results {
		require.Equal(t, OutcomeInInventory, r.Outcome, r.Ref.String())
	}

	require.Equal(t, []string{"get configmaps kube-system/talos-bootstrap-manifests-inventory"}, f.callLog())
}

func TestApplyInventoryIsCreatedWhenMissing(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	_, err := Apply(t.Context(), f, []*unstructured.Unstructured{obj("v1", "ConfigMap", "", "a")}, Options{Inventory: true})
	require.NoError(t, err)

	inv := f.object("configmaps", InventoryNamespace, InventoryName)
	require.NotNil(t, inv)

	data, _, _ := unstructured.NestedStringMap(inv.Object, "data")
	require.Equal(t, map[string]string{"default_a__ConfigMap": ""}, data)

	// A dry run neither creates nor writes it.
	f = newFakeClient()
	_, err = Apply(t.Context(), f, []*unstructured.Unstructured{obj("v1", "ConfigMap", "", "a")}, Options{Inventory: true, DryRun: true})
	require.NoError(t, err)
	require.Nil(t, f.object("configmaps", InventoryNamespace, InventoryName))
}

func TestApplyInventoryWithAnotherID(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	inv := inventoryObject(nil, nil)
	inv.SetLabels(map[string]string{InventoryIDLabel: "someone-else"})
	f.objects[key("configmaps", InventoryNamespace, InventoryName)] = inv

	results, err := Apply(t.Context(), f, []*unstructured.Unstructured{obj("v1", "ConfigMap", "", "a")}, Options{Inventory: true})
	require.ErrorIs(t, err, ErrInventory)
	require.ErrorContains(t, err, "someone-else")
	require.Equal(t, OutcomeNotAttempted, results[0].Outcome)
}

func TestApplyInventoryIsWrittenAfterAFailure(t *testing.T) {
	t.Parallel()

	f := newFakeClient()
	input := []*unstructured.Unstructured{
		obj("v1", "ConfigMap", "kube-system", "ok"),
		obj("v1", "ConfigMap", "missing", "fails"),
	}

	_, err := Apply(t.Context(), f, input, Options{Inventory: true})
	require.ErrorIs(t, err, ErrNamespaceNotFound)

	data, _, _ := unstructured.NestedStringMap(f.object("configmaps", InventoryNamespace, InventoryName).Object, "data")
	require.Equal(t, map[string]string{"kube-system_ok__ConfigMap": ""}, data)
}

func TestApplyNilObject(t *testing.T) {
	t.Parallel()

	_, err := Apply(t.Context(), newFakeClient(), []*unstructured.Unstructured{nil}, Options{})
	require.ErrorIs(t, err, ErrNilObject)

	_, err = Apply(t.Context(), nil, nil, Options{})
	require.ErrorContains(t, err, "nil Client")
}

func TestBackoff(t *testing.T) {
	t.Parallel()

	b := Backoff{Jitter: -1}.withDefaults()
	got := []time.Duration{b.wait(0), b.wait(1), b.wait(2), b.wait(50)}
	require.Equal(t, []time.Duration{500 * time.Millisecond, 750 * time.Millisecond, 1125 * time.Millisecond, time.Minute}, got)

	j := Backoff{}.withDefaults()
	for range 100 {
		w := j.wait(0)
		require.GreaterOrEqual(t, w, 500*time.Millisecond)
		require.LessOrEqual(t, w, 600*time.Millisecond)
	}
}

func TestInventoryKey(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		gk        schema.GroupKind
		namespace string
		name      string
		want      string
	}{
		{schema.GroupKind{Kind: "ConfigMap"}, "kube-system", "cilium-config", "kube-system_cilium-config__ConfigMap"},
		{schema.GroupKind{Group: "apps", Kind: "DaemonSet"}, "kube-system", "cilium", "kube-system_cilium_apps_DaemonSet"},
		{schema.GroupKind{Group: rbacGroup, Kind: "ClusterRoleBinding"}, "", "system:cilium", "_system__cilium_rbac.authorization.k8s.io_ClusterRoleBinding"},
		{schema.GroupKind{Group: "example.com", Kind: "ClusterRole"}, "", "a:b", "_a:b_example.com_ClusterRole"},
	} {
		require.Equal(t, tc.want, InventoryKey(tc.gk, tc.namespace, tc.name))
	}
}

func TestOutcomeText(t *testing.T) {
	t.Parallel()

	for o := OutcomeCreated; o <= OutcomeUnverified; o++ {
		text, err := o.MarshalText()
		require.NoError(t, err)

		var back Outcome
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, o, back)
		require.Equal(t, string(text), o.String())
	}

	_, err := OutcomeUnknown.MarshalText()
	require.ErrorIs(t, err, ErrUnknownOutcome)

	var o Outcome
	require.ErrorIs(t, o.UnmarshalText([]byte("unknown")), ErrUnknownOutcome)
	require.ErrorIs(t, o.UnmarshalText([]byte("Created")), ErrUnknownOutcome)
	require.Equal(t, "Outcome(42)", Outcome(42).String())
}

func FuzzOutcomeUnmarshalText(f *testing.F) {
	for _, s := range []string{"created", "exists", "in-inventory", "failed", "not-attempted", "unverified", "unknown", "", "CREATED"} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, s string) {
		var o Outcome
		if err := o.UnmarshalText([]byte(s)); err != nil {
			return
		}

		text, err := o.MarshalText()
		require.NoError(t, err)
		require.Equal(t, s, string(text))
	})
}

func TestNewClient(t *testing.T) {
	t.Parallel()

	_, err := NewClientFromKubeconfig("")
	require.ErrorIs(t, err, ErrNoKubeconfig)

	_, err = NewClientFromKubeconfig(filepath.Join(t.TempDir(), "missing"))
	require.ErrorContains(t, err, "missing")

	_, err = NewClient(nil)
	require.Error(t, err)

	config := &rest.Config{Host: "https://127.0.0.1:1"}
	c, err := NewClient(config)
	require.NoError(t, err)
	require.NotNil(t, c)
	require.Zero(t, config.QPS, "NewClient modified its input")
	require.Zero(t, config.Burst, "NewClient modified its input")
}

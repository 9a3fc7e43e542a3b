package apply

import (
	"context"
	"fmt"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fakeKind is a kind the fake server serves.
type fakeKind struct {
	resource   string
	namespaced bool
}

// fakeClient is an in-memory Client that models what the applier relies on: discovery that is
// cached until ResetMapping, CRDs that become served some resets after their creation,
// NamespaceLifecycle (creates into a missing namespace fail with NotFound), and injected
// errors. It records every call.
type fakeClient struct {
	mu sync.Mutex

	served     map[schema.GroupKind]fakeKind // served by the server now
	discovered map[schema.GroupKind]fakeKind // the cached discovery; nil until the first mapping
	objects    map[string]*unstructured.Unstructured
	calls      []string
	// errs injects an error for "op name" (op: map, get, create, apply, update).
	errs map[string]error
	// establishAfter is how many ResetMapping calls after its creation a CRD's kind is served.
	establishAfter int
	establishing   map[schema.GroupKind]*pendingKind
	resets         int
	// crdStatus makes stored CustomResourceDefinitions carry an Established condition.
	crdStatus bool
}

type pendingKind struct {
	kind   fakeKind
	resets int
}

func newFakeClient() *fakeClient {
	f := &fakeClient{
		served: map[schema.GroupKind]fakeKind{
			{Kind: "Namespace"}:                                               {"namespaces", false},
			{Kind: "ConfigMap"}:                                               {"configmaps", true},
			{Kind: "Secret"}:                                                  {"secrets", true},
			{Kind: "ServiceAccount"}:                                          {"serviceaccounts", true},
			{Group: "apps", Kind: "Deployment"}:                               {"deployments", true},
			{Group: "apps", Kind: "DaemonSet"}:                                {"daemonsets", true},
			{Group: rbacGroup, Kind: "ClusterRole"}:                           {"clusterroles", false},
			{Group: rbacGroup, Kind: "ClusterRoleBinding"}:                    {"clusterrolebindings", false},
			{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: {"customresourcedefinitions", false},
		},
		objects:      map[string]*unstructured.Unstructured{},
		errs:         map[string]error{},
		establishing: map[schema.GroupKind]*pendingKind{},
	}

	for _, ns := range []string{"default", "kube-system"} {
		f.objects[key("namespaces", "", ns)] = obj("v1", "Namespace", "", ns)
	}

	return f
}

func key(resource, namespace, name string) string {
	return resource + "|" + namespace + "|" + name
}

func (f *fakeClient) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeClient) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()

	return append([]string(nil), f.calls...)
}

func (f *fakeClient) RESTMapping(_ context.Context, gk schema.GroupKind, version string) (*meta.RESTMapping, error) {
	f.mu.Lock()
	defer f.mu.Unlock()

	if err := f.errs["map "+gk.Kind]; err != nil {
		return nil, err
	}

	if f.discovered == nil {
		f.record("discover")

		f.discovered = map[schema.GroupKind]fakeKind{}
		for k, v := range f.served {
			f.discovered[k] = v
		}
	}

	k, ok := f.discovered[gk]
	if !ok {
		return nil, &meta.NoKindMatchError{GroupKind: gk, SearchedVersions: []string{version}}
	}

	if version == "" { // the preferred version, as discovery answers
		version = "v1"
	}

	scope := meta.RESTScopeRoot
	if k.namespaced {
		scope = meta.RESTScopeNamespace
	}

	return &meta.RESTMapping{
		Resource:         schema.GroupVersionResource{Group: gk.Group, Version: version, Resource: k.resource},
		GroupVersionKind: gk.WithVersion(version),
		Scope:            scope,
	}, nil
}

func (f *fakeClient) ResetMapping(context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()

	f.record("reset")
	f.discovered = nil
	f.resets++

	for gk, p := range f.establishing {
		p.resets++
		if p.resets >= f.establishAfter {
			f.served[gk] = p.kind
			delete(f.establishing, gk)
		}
	}
}

func (f *fakeClient) Get(_ context.Context, gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, error) {
	f.mu.Lock()
	defer f.mu.Unlock()

	f.record("get %s %s", gvr.Resource, path(namespace, name))

	if err := f.errs["get "+name]; err != nil {
		return nil, err
	}

	o, ok := f.objects[key(gvr.Resource, namespace, name)]
	if !ok {
		return nil, apierrors.NewNotFound(gvr.GroupResource(), name)
	}

	return o.DeepCopy(), nil
}

// write stores obj like the API server would, for create and apply.
func (f *fakeClient) write(op string, gvr schema.GroupVersionResource, namespace string, o *unstructured.Unstructured, dryRun []string) (*unstructured.Unstructured, error) {
	if err := f.errs[op+" "+o.GetName()]; err != nil {
		return nil, err
	}

	if o.GetNamespace() != namespace {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the namespace of the object (%q) does not match the request (%q)", o.GetNamespace(), namespace))
	}

	if namespace != "" {
		if _, ok := f.objects[key("namespaces", "", namespace)]; !ok {
			return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, namespace)
		}
	}

	k := key(gvr.Resource, namespace, o.GetName())
	if _, ok := f.objects[k]; ok && op == "create" {
		return nil, apierrors.NewAlreadyExists(gvr.GroupResource(), o.GetName())
	}

	stored := o.DeepCopy()
	stored.SetResourceVersion("1")

	if len(dryRun) == 0 {
		f.objects[k] = stored

		if gvr.Resource == "customresourcedefinitions" {
			if f.crdStatus {
				stored.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Established", "status": "True"}}}
			}

			gk, _ := crdDefines(o)
			scope, _, _ := unstructured.NestedString(o.Object, "spec", "scope")
			plural, _, _ := unstructured.NestedString(o.Object, "spec", "names", "plural")
			f.establishing[gk] = &pendingKind{kind: fakeKind{resource: plural, namespaced: scope == "Namespaced"}}
		}
	}

	return stored.DeepCopy(), nil
}

func (f *fakeClient) Create(_ context.Context, gvr schema.GroupVersionResource, namespace string, o *unstructured.Unstructured, opts metav1.CreateOptions) (*unstructured.Unstructured, error) {
	f.mu.Lock()
	defer f.mu.Unlock()

	f.record("create %s %s manager=%s%s", gvr.Resource, path(namespace, o.GetName()), opts.FieldManager, dry(opts.DryRun))

	return f.write("create", gvr, namespace, o, opts.DryRun)
}

func (f *fakeClient) Apply(_ context.Context, gvr schema.GroupVersionResource, namespace string, o *unstructured.Unstructured, opts metav1.ApplyOptions) (*unstructured.Unstructured, error) {
	f.mu.Lock()
	defer f.mu.Unlock()

	force := ""
	if opts.Force {
		force = " force"
	}

	f.record("apply %s %s manager=%s%s%s", gvr.Resource, path(namespace, o.GetName()), opts.FieldManager, force, dry(opts.DryRun))

	return f.write("apply", gvr, namespace, o, opts.DryRun)
}

func (f *fakeClient) Update(_ context.Context, gvr schema.GroupVersionResource, namespace string, o *unstructured.Unstructured, opts metav1.UpdateOptions) (*unstructured.Unstructured, error) {
	f.mu.Lock()
	defer f.mu.Unlock()

	f.record("update %s %s manager=%s%s", gvr.Resource, path(namespace, o.GetName()), opts.FieldManager, dry(opts.DryRun))

	if err := f.errs["update "+o.GetName()]; err != nil {
		return nil, err
	}

	k := key(gvr.Resource, namespace, o.GetName())
	if _, ok := f.objects[k]; !ok {
		return nil, apierrors.NewNotFound(gvr.GroupResource(), o.GetName())
	}

	f.objects[k] = o.DeepCopy()

	return o.DeepCopy(), nil
}

func (f *fakeClient) Delete(_ context.Context, gvr schema.GroupVersionResource, namespace, name string, opts metav1.DeleteOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()

	policy := ""
	if opts.PropagationPolicy != nil {
		policy = " propagation=" + string(*opts.PropagationPolicy)
	}

	f.record("delete %s %s%s", gvr.Resource, path(namespace, name), policy)

	if err := f.errs["delete "+name]; err != nil {
		return err
	}

	k := key(gvr.Resource, namespace, name)
	if _, ok := f.objects[k]; !ok {
		return apierrors.NewNotFound(gvr.GroupResource(), name)
	}

	delete(f.objects, k)

	return nil
}

func (f *fakeClient) object(resource, namespace, name string) *unstructured.Unstructured {
	f.mu.Lock()
	defer f.mu.Unlock()

	o := f.objects[key(resource, namespace, name)]
	if o == nil {
		return nil
	}

	return o.DeepCopy()
}

func path(namespace, name string) string {
	if namespace == "" {
		return name
	}

	return namespace + "/" + name
}

func dry(dryRun []string) string {
	if len(dryRun) == 0 {
		return ""
	}

	return " dryRun=" + strings.Join(dryRun, ",")
}

// obj returns a minimal object.
func obj(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{}}
	o.SetAPIVersion(apiVersion)
	o.SetKind(kind)
	o.SetName(name)

	if namespace != "" {
		o.SetNamespace(namespace)
	}

	return o
}

// crd returns a CustomResourceDefinition for kind in group with one served version.
func crd(group, kind, plural, version, scope string) *unstructured.Unstructured {
	o := obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", plural+"."+group)
	o.Object["spec"] = map[string]any{
		"group": group,
		"scope": scope,
		"names": map[string]any{"kind": kind, "plural": plural},
		"versions": []any{map[string]any{
			"name": version, "served": true, "storage": true,
			"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
		}},
	}

	return o
}

package manifests

import (
	"context"
	"errors"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// errReadOnly is returned by every write of the lookup client: templates only read.
var errReadOnly = errors.New("the objects of a previous render are read-only")

// previousObjects serves the chart's `lookup` function from the objects of a previous render,
// through Helm's engine.ClientProvider. It is read-only and never talks to a cluster.
type previousObjects struct {
	scopes scopes
	// byGVK holds the objects per apiVersion+kind, in input order.
	byGVK map[schema.GroupVersionKind][]*unstructured.Unstructured
}

func newPreviousObjects(objs []*unstructured.Unstructured, extra []schema.GroupKind) previousObjects {
	p := previousObjects{
		scopes: newScopes(extra, objs),
		byGVK:  map[schema.GroupVersionKind][]*unstructured.Unstructured{},
	}

	for _, obj := range objs {
		gvk := obj.GroupVersionKind()
		p.byGVK[gvk] = append(p.byGVK[gvk], obj)
	}

	return p
}

// GetClientFor implements engine.ClientProvider.
func (p previousObjects) GetClientFor(apiVersion, kind string) (dynamic.NamespaceableResourceInterface, bool, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, false, err
	}

	gvk := gv.WithKind(kind)
	clusterScoped, _ := p.scopes.clusterScoped(gvk.GroupKind())

	return lookupClient{objs: p.byGVK[gvk], gvk: gvk}, !clusterScoped, nil
}

// lookupClient is a read-only dynamic client over the previous objects of one kind.
type lookupClient struct {
	objs      []*unstructured.Unstructured
	gvk       schema.GroupVersionKind
	namespace string
	scoped    bool
}

var _ dynamic.NamespaceableResourceInterface = lookupClient{}

func (c lookupClient) Namespace(ns string) dynamic.ResourceInterface {
	c.namespace = ns
	c.scoped = true

	return c
}

func (c lookupClient) matches(obj *unstructured.Unstructured) bool {
	return !c.scoped || obj.GetNamespace() == c.namespace
}

func (c lookupClient) Get(_ context.Context, name string, _ metav1.GetOptions, _ ...string) (*unstructured.Unstructured, error) {
	for _, obj := range c.objs {
		if obj.GetName() == name && c.matches(obj) {
			return obj.DeepCopy(), nil
		}
	}

	return nil, apierrors.NewNotFound(schema.GroupResource{Group: c.gvk.Group, Resource: c.gvk.Kind}, name)
}

func (c lookupClient) List(_ context.Context, _ metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	list := &unstructured.UnstructuredList{Object: map[string]any{}}
	list.SetAPIVersion(c.gvk.GroupVersion().String())
	list.SetKind(c.gvk.Kind + "List")

	for _, obj := range c.objs {
		if c.matches(obj) {
			list.Items = append(list.Items, *obj.DeepCopy())
		}
	}

	// The API server lists by namespace, then name.
	sort.SliceStable(list.Items, func(i, j int) bool {
		a, b := list.Items[i], list.Items[j]
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}

		return a.GetName() < b.GetName()
	})

	return list, nil
}

func (lookupClient) Create(context.Context, *unstructured.Unstructured, metav1.CreateOptions, ...string) (*unstructured.Unstructured, error) {
	return nil, errReadOnly
}

func (lookupClient) Update(context.Context, *unstructured.Unstructured, metav1.UpdateOptions, ...string) (*unstructured.Unstructured, error) {
	return nil, errReadOnly
}

func (lookupClient) UpdateStatus(context.Context, *unstructured.Unstructured, metav1.UpdateOptions) (*unstructured.Unstructured, error) {
	return nil, errReadOnly
}

func (lookupClient) Delete(context.Context, string, metav1.DeleteOptions, ...string) error {
	return errReadOnly
}

func (lookupClient) DeleteCollection(context.Context, metav1.DeleteOptions, metav1.ListOptions) error {
	return errReadOnly
}

func (lookupClient) Watch(context.Context, metav1.ListOptions) (watch.Interface, error) {
	return nil, errReadOnly
}

func (lookupClient) Patch(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (*unstructured.Unstructured, error) {
	return nil, errReadOnly
}

func (lookupClient) Apply(context.Context, string, *unstructured.Unstructured, metav1.ApplyOptions, ...string) (*unstructured.Unstructured, error) {
	return nil, errReadOnly
}

func (lookupClient) ApplyStatus(context.Context, string, *unstructured.Unstructured, metav1.ApplyOptions) (*unstructured.Unstructured, error) {
	return nil, errReadOnly
}

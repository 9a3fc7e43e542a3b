package apply

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// Client is what the applier needs from a Kubernetes API server. NewClient adapts client-go;
// tests and other transports can bring their own. namespace is "" for cluster-scoped
// resources. Errors are the API server's (k8s.io/apimachinery/pkg/api/errors) so that the
// applier can tell NotFound, AlreadyExists, Invalid, BadRequest and MethodNotSupported apart.
type Client interface {
	// RESTMapping maps a kind to its resource and scope, from cached discovery. A kind the
	// server does not serve gives an error matched by meta.IsNoMatchError.
	RESTMapping(ctx context.Context, gk schema.GroupKind, version string) (*meta.RESTMapping, error)
	// ResetMapping drops the cached discovery, so that the next RESTMapping sees kinds
	// served since (for example by a CustomResourceDefinition just created).
	ResetMapping(ctx context.Context)
	// Get reads an object.
	Get(ctx context.Context, resource schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, error)
	// Create creates obj.
	Create(ctx context.Context, resource schema.GroupVersionResource, namespace string, obj *unstructured.Unstructured, opts metav1.CreateOptions) (*unstructured.Unstructured, error)
	// Apply server-side applies obj.
	Apply(ctx context.Context, resource schema.GroupVersionResource, namespace string, obj *unstructured.Unstructured, opts metav1.ApplyOptions) (*unstructured.Unstructured, error)
	// Update replaces obj (used for the inventory ConfigMap only).
	Update(ctx context.Context, resource schema.GroupVersionResource, namespace string, obj *unstructured.Unstructured, opts metav1.UpdateOptions) (*unstructured.Unstructured, error)
	// Delete deletes an object (Sync's prune only; Apply never deletes).
	Delete(ctx context.Context, resource schema.GroupVersionResource, namespace, name string, opts metav1.DeleteOptions) error
}

// Client-side rate limits the adapter uses when the rest.Config leaves them at zero. client-go's
// defaults (5 requests per second, burst 10) would make an apply of a Cilium manifest wait on
// the limiter most of the time (README, Performance, has the figures).
const (
	DefaultQPS   = 100
	DefaultBurst = 200
)

// ErrNoKubeconfig is returned by NewClientFromKubeconfig for an empty path: the applier never
// guesses which cluster to write to.
var ErrNoKubeconfig = errors.New("no kubeconfig path given")

// NewClient returns a Client that talks to the API server of config with client-go's dynamic
// client and a discovery-backed REST mapper (deferred, cached in memory, as Talos uses). A
// zero QPS or Burst in config becomes DefaultQPS or DefaultBurst; config itself is not
// modified.
func NewClient(config *rest.Config) (Client, error) {
	if config == nil {
		return nil, errors.New("new client: nil rest.Config")
	}

	config = rest.CopyConfig(config)
	if config.QPS == 0 {
		config.QPS = DefaultQPS
	}

	if config.Burst == 0 {
		config.Burst = DefaultBurst
	}

	dc, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("new client: discovery: %w", err)
	}

	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("new client: dynamic: %w", err)
	}

	return &restClient{
		dyn:    dyn,
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
	}, nil
}

// NewClientFromKubeconfig is NewClient for the current context of the kubeconfig file at path.
func NewClientFromKubeconfig(path string) (Client, error) {
	if path == "" {
		return nil, fmt.Errorf("new client: %w", ErrNoKubeconfig)
	}

	config, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("new client: kubeconfig %s: %w", path, err)
	}

	return NewClient(config)
}

// restClient is the client-go adapter.
type restClient struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func (c *restClient) RESTMapping(ctx context.Context, gk schema.GroupKind, version string) (*meta.RESTMapping, error) {
	return c.mapper.RESTMappingWithContext(ctx, gk, version)
}

func (c *restClient) ResetMapping(ctx context.Context) {
	c.mapper.ResetWithContext(ctx)
}

func (c *restClient) resource(gvr schema.GroupVersionResource, namespace string) dynamic.ResourceInterface {
	if namespace == "" {
		return c.dyn.Resource(gvr)
	}

	return c.dyn.Resource(gvr).Namespace(namespace)
}

func (c *restClient) Get(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (*unstructured.Unstructured, error) {
	return c.resource(gvr, namespace).Get(ctx, name, metav1.GetOptions{})
}

func (c *restClient) Create(ctx context.Context, gvr schema.GroupVersionResource, namespace string, obj *unstructured.Unstructured, opts metav1.CreateOptions) (*unstructured.Unstructured, error) {
	return c.resource(gvr, namespace).Create(ctx, obj, opts)
}

func (c *restClient) Apply(ctx context.Context, gvr schema.GroupVersionResource, namespace string, obj *unstructured.Unstructured, opts metav1.ApplyOptions) (*unstructured.Unstructured, error) {
	return c.resource(gvr, namespace).Apply(ctx, obj.GetName(), obj, opts)
}

func (c *restClient) Update(ctx context.Context, gvr schema.GroupVersionResource, namespace string, obj *unstructured.Unstructured, opts metav1.UpdateOptions) (*unstructured.Unstructured, error) {
	return c.resource(gvr, namespace).Update(ctx, obj, opts)
}

func (c *restClient) Delete(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string, opts metav1.DeleteOptions) error {
	return c.resource(gvr, namespace).Delete(ctx, name, opts)
}

package apply

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/talos"
)

// Options are the optional settings of Apply. The zero value applies like Talos up to v1.12:
// create-only, for real.
type Options struct {
	// DryRun sends every write as a server-side dry run (dryRun=All): the results say what
	// would be created and nothing is persisted, not even the inventory.
	DryRun bool
	// Inventory selects the Talos 1.13 inventory mode: objects recorded in the ConfigMap
	// kube-system/talos-bootstrap-manifests-inventory are skipped without a request (so an
	// object deleted from the cluster stays deleted), existing objects are adopted into the
	// inventory untouched, new objects are created by server-side apply with field manager
	// "talos" and the annotation config.k8s.io/owning-inventory, and the inventory is written
	// back, also after a failed pass. Off: the classic GET, then create. An object counts as
	// recorded when InventoryKey of its reference as written (what Talos looks up, before any
	// request) or after namespace defaulting is in the inventory; the applier records the
	// defaulted reference, which `talosctl upgrade-k8s` can prune. Talos serializes
	// its passes with an etcd lock; two inventory-mode Applies to one cluster at the same time
	// may conflict on the inventory write (an ErrInventory error; applying again is safe).
	Inventory bool
	// Backoff is the wait between passes while a custom resource waits for its
	// CustomResourceDefinition (from the same input) to be served. Zero fields take Talos's
	// values (DefaultBackoff).
	Backoff Backoff
}

// Backoff is an exponential backoff with jitter.
type Backoff struct {
	// Initial is the first wait. Zero means DefaultBackoff().Initial.
	Initial time.Duration
	// Factor multiplies the wait after every pass. Zero means DefaultBackoff().Factor.
	Factor float64
	// Max caps the wait. Zero means DefaultBackoff().Max.
	Max time.Duration
	// Jitter adds up to this fraction of the wait at random. Zero means DefaultBackoff().Jitter;
	// negative means none.
	Jitter float64
}

// DefaultBackoff returns the backoff Talos uses between passes: 0.5 s, x1.5, up to 20 %
// jitter, 60 s cap.
func DefaultBackoff() Backoff {
	return Backoff{Initial: 500 * time.Millisecond, Factor: 1.5, Max: time.Minute, Jitter: 0.2}
}

func (b Backoff) withDefaults() Backoff {
	def := DefaultBackoff()
	if b.Initial <= 0 {
		b.Initial = def.Initial
	}

	if b.Factor <= 0 {
		b.Factor = def.Factor
	}

	if b.Max <= 0 {
		b.Max = def.Max
	}

	if b.Jitter == 0 {
		b.Jitter = def.Jitter
	}

	return b
}

// wait returns the n-th wait (n from 0) with jitter.
func (b Backoff) wait(n int) time.Duration {
	d := float64(b.Initial)
	for range n {
		d *= b.Factor
		if d >= float64(b.Max) {
			break
		}
	}

	d = min(d, float64(b.Max))
	if b.Jitter > 0 {
		d += d * b.Jitter * rand.Float64() // jitter: math/rand is enough
	}

	return time.Duration(d)
}

// Apply creates the objects that do not exist yet, the way Talos applies the inline manifests
// of a control-plane config, and returns one Result per object in the order Talos applies them
// (manifests.SortForTalos: Namespaces by name, CustomResourceDefinitions by name, the rest in
// input order). It never updates and never deletes. The objects are not modified.
//
// Per object: REST-map the kind; a namespaced object without a namespace goes to "default", a
// cluster-scoped object is sent without one; GET it by namespace and name; if it exists, leave
// it alone; else create it with field manager "talos" (server-side apply in inventory mode);
// AlreadyExists counts as present. Failures Talos collects (the kind is not served, Invalid,
// BadRequest, MethodNotSupported) are reported and the pass goes on; every other failure (a
// missing namespace, a connection error) stops the pass like in Talos, the rest of the objects
// are NotAttempted and the error matches ErrAborted.
//
// Retries differ from Talos on purpose. Talos repeats the whole pass with backoff, forever,
// until nothing fails. Apply repeats (with Options.Backoff, after rediscovering the served
// kinds) only the objects whose kind is defined by a CustomResourceDefinition of the same input
// that is present in the cluster and not served yet, until it is served or ctx ends; every
// other failure is returned at once, as retrying cannot fix it. A definition that already
// existed is left as it is, so a custom resource of a version only the input's definition
// serves fails at once instead of waiting for ever. Calling Apply again is safe:
// it is what a Talos retry would do.
//
// The error joins one *ObjectError per failed object (and the inventory error, if any); it is
// nil when nothing failed.
func Apply(ctx context.Context, c Client, objs []*unstructured.Unstructured, opts Options) ([]Result, error) {
	if c == nil {
		return nil, errors.New("apply: nil Client")
	}

	for i, obj := range objs {
		if obj == nil {
			return nil, fmt.Errorf("apply: object %d: %w", i, ErrNilObject)
		}
	}

	r := &run{
		c:       c,
		opts:    opts,
		backoff: opts.Backoff.withDefaults(),
		objs:    manifests.SortForTalos(objs),
	}

	return r.do(ctx)
}

// run is the state of one Apply call.
type run struct {
	c       Client
	opts    Options
	backoff Backoff
	objs    []*unstructured.Unstructured // sorted, not modified
	results []Result
	inv     *inventory

	// crds maps a custom kind to the index of the CustomResourceDefinition that defines it.
	crds map[schema.GroupKind]int
	// liveCRDs holds, by index, the CustomResourceDefinitions of the input that already
	// existed in the cluster as the GET returned them: they are left as they are, so they,
	// not the input, say which versions will be served.
	liveCRDs map[int]*unstructured.Unstructured
	// namespaces maps a Namespace object's name to its index.
	namespaces map[string]int
	// crdCreated is set when a CRD was created since the last mapping reset.
	crdCreated bool
}

func (r *run) do(ctx context.Context) ([]Result, error) {
	r.results = make([]Result, len(r.objs))
	r.crds = map[schema.GroupKind]int{}
	r.liveCRDs = map[int]*unstructured.Unstructured{}
	r.namespaces = map[string]int{}

	pending := make([]int, len(r.objs))

	for i, obj := range r.objs {
		r.results[i] = Result{Ref: manifests.RefOf(obj), Outcome: OutcomeNotAttempted}
		pending[i] = i

		gvk := obj.GroupVersionKind()

		switch {
		case isNamespace(gvk):
			r.namespaces[obj.GetName()] = i
		case isCRD(gvk):
			if gk, ok := crdDefines(obj); ok {
				r.crds[gk] = i
			}
		}
	}

	if r.opts.Inventory {
		missing := createMissing
		if r.opts.DryRun {
			missing = keepMissing
		}

		inv, err := loadInventory(ctx, r.c, "apply", missing)
		if err != nil {
			return r.results, err
		}

		r.inv = inv
	}

	for attempt := 0; ; attempt++ {
		retry, aborted := r.pass(ctx, pending)
		if aborted || len(retry) == 0 {
			break
		}

		timer := time.NewTimer(r.backoff.wait(attempt))
		select {
		case <-ctx.Done():
			timer.Stop()

			for _, i := range retry {
				var oe *ObjectError
				if errors.As(r.results[i].Err, &oe) {
					gaveUp := *oe
					gaveUp.Err = fmt.Errorf("%w (gave up waiting for its CustomResourceDefinition: %w)", oe.Err, context.Cause(ctx))
					r.results[i].Err = &gaveUp
				}
			}

			return r.finish(ctx)
		case <-timer.C:
		}

		r.c.ResetMapping(ctx)
		r.crdCreated = false
		pending = retry
	}

	return r.finish(ctx)
}

// finish writes the inventory back and joins the failures.
func (r *run) finish(ctx context.Context) ([]Result, error) {
	var errs []error

	for _, res := range r.results {
		if res.Outcome == OutcomeFailed {
			errs = append(errs, res.Err)
		}
	}

	if r.opts.Inventory && !r.opts.DryRun {
		if err := saveInventory(ctx, r.c, "apply", r.inv); err != nil {
			errs = append(errs, err)
		}
	}

	return r.results, talos.Join(errs...)
}

// pass applies the objects at the given indices, in order. It returns the indices to retry
// (custom resources waiting for their CRD) and whether the pass was aborted.
func (r *run) pass(ctx context.Context, indices []int) (retry []int, aborted bool) {
	for _, i := range indices {
		res, again := r.one(ctx, i)
		r.results[i] = res

		if again {
			retry = append(retry, i)
		}

		if res.Outcome == OutcomeFailed && errors.Is(res.Err, ErrAborted) {
			return retry, true
		}
	}

	return retry, false
}

// one applies the i-th object. again reports a custom resource to retry after a backoff. It is
// long on purpose: one linear sequence of Talos's steps.
func (r *run) one(ctx context.Context, i int) (res Result, again bool) {
	obj := r.objs[i].DeepCopy()
	gvk := obj.GroupVersionKind()
	res = Result{Ref: manifests.RefOf(obj)}

	fail := func(op string, err error, abort bool) Result {
		res.Outcome = OutcomeFailed
		res.Err = &ObjectError{Ref: res.Ref, Op: op, Aborted: abort, Err: err}

		return res
	}

	// Talos 1.13 looks the object up in the inventory as written, before anything else.
	if r.inv != nil && r.inv.has(InventoryKey(gvk.GroupKind(), obj.GetNamespace(), obj.GetName())) {
		res.Outcome = OutcomeInInventory

		return res, false
	}

	mapping, err := r.mapping(ctx, gvk)
	if err != nil {
		switch {
		case meta.IsNoMatchError(err) || apierrors.IsNotFound(err) || apierrors.IsInvalid(err):
			if crd, ok := r.crds[gvk.GroupKind()]; ok && crdServes(r.definition(crd), gvk.Version) {
				switch r.results[crd].Outcome {
				case OutcomeCreated, OutcomeExists, OutcomeInInventory:
					if r.opts.DryRun {
						res.Outcome = OutcomeUnverified
						res.Err = fmt.Errorf("its CustomResourceDefinition %s is not served yet: %w", r.objs[crd].GetName(), err)

						return res, false
					}

					return fail(OpMap, err, false), true
				}
			}

			return fail(OpMap, err, false), false
		default:
			return fail(OpMap, err, true), false
		}
	}

	namespace := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		namespace = obj.GetNamespace()
		if namespace == "" {
			namespace = metav1.NamespaceDefault
		}
	}

	obj.SetNamespace(namespace)
	res.Ref.Namespace = namespace

	key := InventoryKey(gvk.GroupKind(), namespace, obj.GetName())
	if r.inv != nil && r.inv.has(key) {
		res.Outcome = OutcomeInInventory

		return res, false
	}

	// In a dry run a namespace the input creates does not exist yet, so nothing can be in it
	// and the server cannot check objects for it.
	if ns, ok := r.namespaces[namespace]; ok && r.opts.DryRun && namespace != "" && r.results[ns].Outcome == OutcomeCreated {
		res.Outcome = OutcomeUnverified
		res.Err = fmt.Errorf("its namespace %q is created by the same input", namespace)

		return res, false
	}

	if live, err := r.c.Get(ctx, mapping.Resource, namespace, obj.GetName()); err == nil {
		res.Outcome = OutcomeExists
		if isCRD(gvk) && live != nil {
			r.liveCRDs[i] = live
		}
		if r.inv != nil {
			r.inv.add(key)
		}

		return res, false
	} else if !apierrors.IsNotFound(err) {
		return fail(OpGet, err, true), false
	}

	var dryRun []string
	if r.opts.DryRun {
		dryRun = []string{metav1.DryRunAll}
	}

	op := OpCreate
	if r.inv != nil {
		op = OpApply

		annotations := obj.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}

		annotations[OwningInventoryAnnotation] = InventoryName
		obj.SetAnnotations(annotations)

		_, err = r.c.Apply(ctx, mapping.Resource, namespace, obj, metav1.ApplyOptions{FieldManager: FieldManager, DryRun: dryRun})
	} else {
		_, err = r.c.Create(ctx, mapping.Resource, namespace, obj, metav1.CreateOptions{FieldManager: FieldManager, DryRun: dryRun})
	}

	switch {
	case err == nil:
		res.Outcome = OutcomeCreated
		if r.inv != nil {
			r.inv.add(key)
		}

		if isCRD(gvk) && !r.opts.DryRun {
			r.crdCreated = true
		}

		return res, false
	case apierrors.IsAlreadyExists(err):
		res.Outcome = OutcomeExists

		return res, false
	case apierrors.IsMethodNotSupported(err) || apierrors.IsBadRequest(err) || apierrors.IsInvalid(err):
		return fail(op, err, false), false
	case apierrors.IsNotFound(err) && namespace != "" && isNamespaceNotFound(err, namespace):
		return fail(op, &MissingNamespaceError{Namespace: namespace, Err: err}, true), false
	default:
		return fail(op, err, true), false
	}
}

// definition returns the CustomResourceDefinition at index i as the cluster has it: the
// existing object when the GET found one (the applier never updates it), else the input.
func (r *run) definition(i int) *unstructured.Unstructured {
	if live, ok := r.liveCRDs[i]; ok {
		return live
	}

	return r.objs[i]
}

// mapping maps gvk; after a CRD was created in this run, a kind that is not served yet gets
// one immediate rediscovery before it counts as not served.
func (r *run) mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	mapping, err := r.c.RESTMapping(ctx, gvk.GroupKind(), gvk.Version)
	if err != nil && meta.IsNoMatchError(err) && r.crdCreated {
		if _, ok := r.crds[gvk.GroupKind()]; ok {
			r.c.ResetMapping(ctx)
			r.crdCreated = false
			mapping, err = r.c.RESTMapping(ctx, gvk.GroupKind(), gvk.Version)
		}
	}

	return mapping, err
}

func isNamespace(gvk schema.GroupVersionKind) bool {
	return gvk.Kind == "Namespace" && gvk.Version == "v1"
}

func isCRD(gvk schema.GroupVersionKind) bool {
	return gvk.Kind == "CustomResourceDefinition" && gvk.Group == "apiextensions.k8s.io"
}

// crdDefines returns the kind a CustomResourceDefinition object defines.
func crdDefines(crd *unstructured.Unstructured) (schema.GroupKind, bool) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")

	return schema.GroupKind{Group: group, Kind: kind}, group != "" && kind != ""
}

// crdServes reports whether a CustomResourceDefinition object serves version (spec.versions
// of apiextensions.k8s.io/v1, or spec.version of v1beta1).
func crdServes(crd *unstructured.Unstructured, version string) bool {
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}

		if name, _ := m["name"].(string); name == version {
			served, ok := m["served"].(bool)

			return !ok || served
		}
	}

	v, _, _ := unstructured.NestedString(crd.Object, "spec", "version")

	return v == version
}

// isNamespaceNotFound reports whether a NotFound error is about the namespace.
func isNamespaceNotFound(err error, namespace string) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}

	details := status.Status().Details

	return details != nil && details.Kind == "namespaces" && details.Name == namespace
}

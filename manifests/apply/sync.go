package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/talos"
)

// Operations named by SyncError.Op, besides OpMap, OpGet and OpApply.
const (
	OpDryRun = "dry run" // the server-side dry-run apply that classifies an object
	OpWait   = "wait"    // waiting for a CustomResourceDefinition to be Established
	OpDelete = "delete"  // pruning an object that left the manifests
)

var (
	// ErrNothingApplied is matched by the *SyncError of a failure in the dry run that precedes
	// every apply: the sync stopped before it changed any object (as `talosctl upgrade-k8s`
	// stops with "failed to diff object").
	ErrNothingApplied = errors.New("nothing was applied")
	// ErrInventoryAnnotation is wrapped by the error about a manifest object that already
	// carries config.k8s.io/owning-inventory with another inventory's name.
	ErrInventoryAnnotation = errors.New("already has an inventory annotation")
	// ErrInventoryPolicy is wrapped by the error about a live object owned by another
	// inventory (its config.k8s.io/owning-inventory names another inventory): under
	// upgrade-k8s's default policy AdoptIfNoInventory it is neither taken over nor pruned.
	ErrInventoryPolicy = errors.New("inventory policy prevents the change")
)

// DefaultSyncWaitTimeout is how long Sync waits per stage for CustomResourceDefinitions to be
// Established when SyncOptions.WaitTimeout is zero (fluxcd ssa's default, which upgrade-k8s
// uses with --manifests-reconcile-timeout=0).
const DefaultSyncWaitTimeout = time.Minute

// SyncOptions are the settings of Sync.
type SyncOptions struct {
	// DryRun only classifies: every object is sent as a server-side dry-run apply and the
	// result says what the apply would do (like `talosctl upgrade-k8s --dry-run`). Nothing is
	// applied or pruned and the inventory is not written; as in upgrade-k8s, a missing
	// inventory ConfigMap (and kube-system) is created empty, also in a dry run.
	DryRun bool
	// NoPrune keeps the objects that left the manifests (--manifests-no-prune): they stay in
	// the cluster and in the inventory.
	NoPrune bool
	// Contract is the Talos version the nodes run, which selects the staging: talos.V1_13 or
	// talos.V1_14 (1.14 applies ConfigMaps and Secrets in a stage of their own). Required:
	// the zero value is an error; versions before 1.13 sync with the legacy update path,
	// which Sync does not model.
	Contract talos.Contract
	// WaitTimeout bounds the wait for the CustomResourceDefinitions of stage 1 and 2 to be
	// Established (--manifests-reconcile-timeout). Zero means DefaultSyncWaitTimeout.
	WaitTimeout time.Duration
	// Backoff is the polling interval of that wait. Zero fields take DefaultBackoff's values.
	Backoff Backoff
}

// SyncChange is what Sync did (or, in a dry run, would do) to one object.
type SyncChange struct {
	// Ref identifies the object; the namespace is the one after defaulting.
	Ref manifests.ObjectRef
	// Action is ActionCreate (created), ActionUpdate (configured), ActionUnchanged (not
	// applied: the dry-run result equals the live object) or ActionPrune (deleted).
	Action Action
	// Stage is the apply stage (1 to 4, see Sync); 0 for ActionPrune.
	Stage int
	// Fields are, for ActionUpdate, the fields that differ between the live object and the
	// dry-run result, both without metadata.managedFields, status and the server-set
	// metadata (resourceVersion, uid, creationTimestamp, generation). The values of a
	// Secret's data are masked as upgrade-k8s masks them: "***" when equal, "*** (before)"
	// and "*** (after)" when they differ.
	Fields []FieldChange
}

// String returns "ACTION REF", followed for an update by one indented line per field.
func (c SyncChange) String() string {
	return withFields(fmt.Sprintf("%s %s", c.Action, c.Ref), c.Fields)
}

func (c SyncChange) action() Action { return c.Action }

// SyncResult lists what Sync did, one entry per object: the manifest objects in the order they
// are applied (stage by stage, fluxcd's ReconcileOrder within a stage), then the pruned
// objects by inventory key. A dry run and the apply that follows it list the same entries.
type SyncResult struct {
	// DryRun reports whether this was a dry run.
	DryRun bool
	// Changes holds one entry per object.
	Changes []SyncChange
}

// Count returns how many objects get action a.
func (r *SyncResult) Count(a Action) int { return countActions(r.Changes, a) }

// Changed reports whether anything was (or would be) created, updated or pruned.
func (r *SyncResult) Changed() bool {
	return r.Count(ActionCreate)+r.Count(ActionUpdate)+r.Count(ActionPrune) > 0
}

// String returns every object that changes, one per line (updates with their fields), and a
// summary: "N created, N configured, N pruned, N unchanged".
func (r *SyncResult) String() string {
	text := changesText(r.Changes, "%d created, %d configured, %d pruned, %d unchanged")
	if r.DryRun {
		text += " (dry run)"
	}

	return text
}

// SyncError is the failure of one object in Sync.
type SyncError struct {
	// Ref identifies the object.
	Ref manifests.ObjectRef
	// Op is the operation that failed: OpMap, OpGet, OpDryRun, OpApply, OpWait or OpDelete.
	Op string
	// Stage is the apply stage the object belongs to; 0 in the dry run before any apply and
	// for prunes.
	Stage int
	// NothingApplied reports a failure of the dry run that precedes every apply: no object was
	// changed. errors.Is(err, ErrNothingApplied) tests it.
	NothingApplied bool
	// Err is the underlying error, for example the API server's *apierrors.StatusError.
	Err error
}

// Error implements error.
func (e *SyncError) Error() string {
	msg := fmt.Sprintf("sync: %s %s: %v", e.Op, e.Ref, e.Err)
	if e.NothingApplied {
		msg += " (the sync stopped before applying anything, as talosctl upgrade-k8s does)"
	} else if e.Stage > 0 {
		msg += fmt.Sprintf(" (stage %d; earlier objects were applied, nothing was pruned)", e.Stage)
	}

	return msg
}

// Unwrap returns the underlying error.
func (e *SyncError) Unwrap() error { return e.Err }

// Is matches ErrNothingApplied when the failure came before any apply.
func (e *SyncError) Is(target error) bool { return target == ErrNothingApplied && e.NothingApplied }

// Sync brings the cluster to the given manifests the way `talosctl upgrade-k8s` syncs the
// bootstrap manifests on Talos 1.13 and 1.14 (go-kubernetes' server-side apply manager over
// fluxcd ssa). The objects are not modified.
//
//  1. Every object gets the annotation config.k8s.io/owning-inventory:
//     talos-bootstrap-manifests-inventory; an object that carries another value is an error
//     (ErrInventoryAnnotation). The inventory ConfigMap is read (created empty when missing).
//  2. Dry run: every object is REST-mapped (namespaced objects without a namespace go to
//     "default"), read, and sent as a server-side dry-run apply with field manager "talos" and
//     forced ownership. Not found (no live object, a namespace or kind the same manifests
//     create) means created; a result that differs from the live object in labels,
//     annotations or anything outside metadata and status means configured; else unchanged.
//     A live object owned by another inventory is an error (ErrInventoryPolicy). Any error
//     stops the sync here, before anything is applied; the *SyncError names the object and
//     matches ErrNothingApplied. With DryRun, Sync returns now (with the prune candidates).
//  3. Apply in stages: (1) CustomResourceDefinitions, Namespaces and ClusterRoles, then wait
//     until the definitions are Established; (2) kinds ending in "Class", then the same wait;
//     (3) on Talos 1.14 only, ConfigMaps and Secrets; (4) everything else. Each stage sorts
//     its objects by fluxcd's ReconcileOrder, dry-runs them all again (one failure fails the
//     stage), then server-side applies the created and configured ones one by one with field
//     manager "talos" and forced ownership: fields other managers own are kept, conflicts are
//     taken over, fields "talos" owned that left the manifests are removed. Unchanged objects
//     are not applied.
//  4. The inventory is written with the objects of step 3 added, also when the apply failed
//     partway (then the error is returned and nothing is pruned). As in upgrade-k8s, the
//     objects of a stage that failed are not added, not even those applied before the failure
//     (the result lists them).
//  5. Prune (unless NoPrune): every inventory entry that matches no object (group, kind,
//     namespace, name; an entry without a namespace matches any) is read: not found drops it
//     from the inventory; otherwise it is deleted with background propagation (an object
//     owned by another inventory is an error). Delete errors are collected and the loop goes
//     on. The inventory is written again.
//
// Unlike upgrade-k8s, Sync does not wait for workloads to become ready after the apply (the
// --manifests-reconcile-timeout wait), does not delete and re-create objects whose immutable
// fields changed (--manifests-force), does not retry (upgrade-k8s retries retryable errors
// such as timeouts and refused connections, up to 30 s per dry run and 3 minutes for the
// staged apply; calling Sync again is safe), walks the prune candidates in key order, counts
// an inventory entry whose kind nothing serves any more as gone, and returns the changes also
// when the apply or the prune failed. The error joins the failures; the result lists what
// was done up to them.
func Sync(ctx context.Context, c Client, objs []*unstructured.Unstructured, opts SyncOptions) (*SyncResult, error) {
	switch {
	case c == nil:
		return nil, errors.New("sync: nil Client")
	case opts.Contract == 0:
		return nil, fmt.Errorf("sync: SyncOptions.Contract: %w: set talos.V1_13 or talos.V1_14, the Talos version the nodes run", talos.ErrNoContract)
	case !opts.Contract.IsValid():
		return nil, fmt.Errorf("sync: SyncOptions.Contract: %w: %s", talos.ErrUnknownContract, opts.Contract)
	case opts.Contract < talos.V1_13:
		return nil, fmt.Errorf("sync: SyncOptions.Contract is %s: before Talos v1.13 upgrade-k8s syncs with the legacy update path (no server-side apply, no inventory, no prune), which Sync does not model", opts.Contract)
	}

	s := &syncer{c: c, opts: opts, backoff: opts.Backoff.withDefaults(), res: &SyncResult{DryRun: opts.DryRun}}
	if s.opts.WaitTimeout <= 0 {
		s.opts.WaitTimeout = DefaultSyncWaitTimeout
	}

	for i, obj := range objs {
		if obj == nil {
			return nil, fmt.Errorf("sync: object %d: %w", i, ErrNilObject)
		}
	}

	return s.run(ctx, objs)
}

// syncObj is one manifest object in Sync.
type syncObj struct {
	obj     *unstructured.Unstructured // annotated copy; namespace defaulted once mapped
	stage   int
	mapping *meta.RESTMapping // nil until mapped
}

func (o *syncObj) ref() manifests.ObjectRef { return manifests.RefOf(o.obj) }

func (o *syncObj) key() string {
	return InventoryKey(o.obj.GroupVersionKind().GroupKind(), o.obj.GetNamespace(), o.obj.GetName())
}

// syncer is the state of one Sync call.
type syncer struct {
	c       Client
	opts    SyncOptions
	backoff Backoff
	objs    []*syncObj // in apply order
	hasCRD  bool
	inv     *inventory
	res     *SyncResult
	// recorded is how many of res.Changes go into the inventory: those of the stages that
	// completed.
	recorded int
}

// prepare copies and annotates the objects and puts them in apply order.
func (s *syncer) prepare(objs []*unstructured.Unstructured) error {
	for _, in := range objs {
		obj := in.DeepCopy()

		annotations := obj.GetAnnotations()
		if v, ok := annotations[OwningInventoryAnnotation]; ok && v != InventoryName {
			return fmt.Errorf("sync: %s: %w %s=%q; remove it (the sync sets %q)",
				manifests.RefOf(obj), ErrInventoryAnnotation, OwningInventoryAnnotation, v, InventoryName)
		}

		if annotations == nil {
			annotations = map[string]string{}
		}

		annotations[OwningInventoryAnnotation] = InventoryName
		obj.SetAnnotations(annotations)

		gvk := obj.GroupVersionKind()
		if isCRD(gvk) {
			s.hasCRD = true
		}

		s.objs = append(s.objs, &syncObj{obj: obj, stage: syncStage(gvk, s.opts.Contract)})
	}

	slices.SortStableFunc(s.objs, func(a, b *syncObj) int {
		if a.stage != b.stage {
			return a.stage - b.stage
		}

		return reconcileCompare(a.obj, b.obj)
	})

	return nil
}

func (s *syncer) run(ctx context.Context, objs []*unstructured.Unstructured) (*SyncResult, error) {
	// upgrade-k8s reads (or creates) the inventory first, then annotates the objects.
	inv, err := loadInventory(ctx, s.c, "sync", createMissingWithNamespace)
	if err != nil {
		return nil, err
	}

	s.inv = inv

	if err := s.prepare(objs); err != nil {
		return nil, err
	}

	// Step 2: the dry run of every object, before anything is applied.
	seen := map[string]manifests.ObjectRef{}

	var planned []SyncChange

	for _, o := range s.objs {
		ch, err := s.diff(ctx, o)
		if err != nil {
			err.NothingApplied = true

			return s.res, err
		}

		if first, dup := seen[o.key()]; dup {
			return s.res, fmt.Errorf("sync: %w: %s and %s; keep one", ErrDuplicateObject, first, ch.Ref)
		}

		seen[o.key()] = ch.Ref
		planned = append(planned, ch)
	}

	if s.opts.DryRun {
		s.res.Changes = planned

		_, err := s.prune(ctx, false)

		return s.res, err
	}

	// Step 3: the staged apply.
	applyErr := s.applyStages(ctx)

	// Step 4: the inventory, also after a failed apply. As in fluxcd, a failed stage returns no
	// change set, so the objects it applied before the failure are not recorded.
	for _, ch := range s.res.Changes[:s.recorded] {
		s.inv.add(InventoryKey(refGK(ch.Ref), ch.Ref.Namespace, ch.Ref.Name))
	}

	if err := saveInventory(ctx, s.c, "sync", s.inv); err != nil || applyErr != nil {
		return s.res, talos.Join(applyErr, err)
	}

	if s.opts.NoPrune {
		return s.res, nil
	}

	// Step 5: prune. A failed read or policy check stops it without writing the inventory
	// again, as in upgrade-k8s; delete errors are collected.
	deleteErrs, err := s.prune(ctx, true)
	if err != nil {
		return s.res, talos.Join(append(deleteErrs, err)...)
	}

	return s.res, talos.Join(append(deleteErrs, saveInventory(ctx, s.c, "sync", s.inv))...)
}

// applyStages applies the objects stage by stage and records their changes.
func (s *syncer) applyStages(ctx context.Context) error {
	if s.hasCRD {
		s.c.ResetMapping(ctx)
	}

	for stage := 1; stage <= 4; stage++ {
		var objs []*syncObj

		for _, o := range s.objs {
			if o.stage == stage {
				objs = append(objs, o)
			}
		}

		if len(objs) == 0 {
			continue
		}

		changes := make([]SyncChange, len(objs))

		for i, o := range objs {
			ch, err := s.diff(ctx, o)
			if err != nil {
				err.Stage = stage

				return err
			}

			changes[i] = ch
		}

		for i, o := range objs {
			if a := changes[i].Action; a == ActionCreate || a == ActionUpdate {
				if o.mapping == nil {
					mapping, err := s.c.RESTMapping(ctx, o.obj.GroupVersionKind().GroupKind(), o.obj.GroupVersionKind().Version)
					if err != nil {
						return &SyncError{Ref: o.ref(), Op: OpMap, Stage: stage, Err: err}
					}

					s.setMapping(o, mapping)
					changes[i].Ref = o.ref()
				}

				if _, err := s.c.Apply(ctx, o.mapping.Resource, o.obj.GetNamespace(), o.obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
					return &SyncError{Ref: o.ref(), Op: OpApply, Stage: stage, Err: err}
				}
			}

			s.res.Changes = append(s.res.Changes, changes[i])
		}

		s.recorded = len(s.res.Changes)

		if stage <= 2 {
			if err := s.waitEstablished(ctx, objs, stage); err != nil {
				return err
			}

			if s.hasCRD {
				s.c.ResetMapping(ctx)
			}
		}
	}

	return nil
}

// setMapping records the mapping of o and defaults its namespace.
func (s *syncer) setMapping(o *syncObj, mapping *meta.RESTMapping) {
	o.mapping = mapping

	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if o.obj.GetNamespace() == "" {
			o.obj.SetNamespace(metav1.NamespaceDefault)
		}
	} else {
		o.obj.SetNamespace("")
	}
}

// diff classifies o by a server-side dry-run apply, as fluxcd ssa does.
func (s *syncer) diff(ctx context.Context, o *syncObj) (SyncChange, *SyncError) {
	gvk := o.obj.GroupVersionKind()

	if o.mapping == nil {
		mapping, err := s.c.RESTMapping(ctx, gvk.GroupKind(), gvk.Version)

		switch {
		case err == nil:
			s.setMapping(o, mapping)
		case meta.IsNoMatchError(err):
			// A kind the same manifests define (or that nothing serves: the apply stage fails).
			return SyncChange{Ref: o.ref(), Action: ActionCreate, Stage: o.stage}, nil
		default:
			return SyncChange{}, &SyncError{Ref: o.ref(), Op: OpMap, Err: err}
		}
	}

	ref := o.ref()
	ch := SyncChange{Ref: ref, Stage: o.stage}

	live, err := s.c.Get(ctx, o.mapping.Resource, o.obj.GetNamespace(), o.obj.GetName())

	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return ch, &SyncError{Ref: ref, Op: OpGet, Err: err}
	}

	dry, err := s.c.Apply(ctx, o.mapping.Resource, o.obj.GetNamespace(), o.obj,
		metav1.ApplyOptions{FieldManager: FieldManager, Force: true, DryRun: []string{metav1.DryRunAll}})

	switch {
	case err != nil && (apierrors.IsNotFound(err) || meta.IsNoMatchError(err)):
		ch.Action = ActionCreate

		return ch, nil
	case err != nil:
		return ch, &SyncError{Ref: ref, Op: OpDryRun, Err: err}
	case live == nil:
		ch.Action = ActionCreate

		return ch, nil
	}

	if err := checkOwner(live); err != nil {
		return ch, &SyncError{Ref: ref, Op: OpDryRun, Err: err}
	}

	if !drifted(live, dry) {
		ch.Action = ActionUnchanged

		return ch, nil
	}

	before, after := forDiff(live), forDiff(dry)
	if isSecret(gvk) {
		maskSecretData(before, after)
	}

	ch.Action = ActionUpdate
	ch.Fields = diffFields(nil, before.Object, after.Object, true, true, nil)

	return ch, nil
}

// drifted reports whether the dry-run result differs from the live object in labels,
// annotations or anything outside metadata and status (fluxcd ssa hasDrifted).
func drifted(live, dry *unstructured.Unstructured) bool {
	if !maps.Equal(live.GetLabels(), dry.GetLabels()) || !maps.Equal(live.GetAnnotations(), dry.GetAnnotations()) {
		return true
	}

	strip := func(u *unstructured.Unstructured) map[string]any {
		m := maps.Clone(u.Object)
		delete(m, "metadata")
		delete(m, "status")

		return m
	}

	return !reflect.DeepEqual(strip(live), strip(dry))
}

// forDiff returns a copy of obj without managedFields, status and server-set metadata.
func forDiff(obj *unstructured.Unstructured) *unstructured.Unstructured {
	out := obj.DeepCopy()
	for _, f := range []string{"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"} {
		unstructured.RemoveNestedField(out.Object, "metadata", f)
	}

	unstructured.RemoveNestedField(out.Object, "status")

	return out
}

// maskSecretData replaces the values of a Secret's data as fluxcd ssa does for diffs: "***"
// when both sides have the same value, "*** (before)" and "*** (after)" when they differ.
func maskSecretData(before, after *unstructured.Unstructured) {
	b, _, _ := unstructured.NestedMap(before.Object, "data")
	a, _, _ := unstructured.NestedMap(after.Object, "data")

	for k, bv := range b {
		av, ok := a[k]

		switch {
		case ok && reflect.DeepEqual(av, bv):
			b[k], a[k] = "***", "***"
		case ok:
			b[k], a[k] = "*** (before)", "*** (after)"
		default:
			b[k] = "*** (before)"
		}
	}

	for k := range a {
		if _, ok := b[k]; !ok {
			a[k] = "*** (after)"
		}
	}

	if b != nil {
		before.Object["data"] = b
	}

	if a != nil {
		after.Object["data"] = a
	}
}

func isSecret(gvk schema.GroupVersionKind) bool { return gvk.Group == "" && gvk.Kind == "Secret" }

// checkOwner applies upgrade-k8s's default inventory policy, AdoptIfNoInventory: an object
// without config.k8s.io/owning-inventory, or with this inventory's name, may be changed.
func checkOwner(live *unstructured.Unstructured) error {
	if v := live.GetAnnotations()[OwningInventoryAnnotation]; v != "" && v != InventoryName {
		return fmt.Errorf("%w: the live object has %s=%q, not %q", ErrInventoryPolicy, OwningInventoryAnnotation, v, InventoryName)
	}

	return nil
}

// waitEstablished waits until the CustomResourceDefinitions among objs are Established.
func (s *syncer) waitEstablished(ctx context.Context, objs []*syncObj, stage int) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.WaitTimeout)
	defer cancel()

	for _, o := range objs {
		if !isCRD(o.obj.GroupVersionKind()) || o.mapping == nil {
			continue
		}

		for attempt := 0; ; attempt++ {
			live, err := s.c.Get(ctx, o.mapping.Resource, "", o.obj.GetName())
			if err != nil && !apierrors.IsNotFound(err) {
				return &SyncError{Ref: o.ref(), Op: OpWait, Stage: stage, Err: err}
			}

			if err == nil && crdEstablished(live) {
				break
			}

			timer := time.NewTimer(s.backoff.wait(attempt))
			select {
			case <-ctx.Done():
				timer.Stop()

				return &SyncError{Ref: o.ref(), Op: OpWait, Stage: stage,
					Err: fmt.Errorf("not Established after %s: %w", s.opts.WaitTimeout, context.Cause(ctx))}
			case <-timer.C:
			}
		}
	}

	return nil
}

func crdEstablished(crd *unstructured.Unstructured) bool {
	conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conditions {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}

	return false
}

// prune walks the inventory entries that match no manifest object, in key order (upgrade-k8s
// walks them in map order). An entry whose object is gone is dropped from the inventory; an
// existing object is checked against the inventory policy, listed as ActionPrune and, when del,
// deleted at once with background propagation. Without NoPrune only. A failed read or policy
// check stops the walk (err); failed deletes are collected (deleteErrs) and the walk goes on.
func (s *syncer) prune(ctx context.Context, del bool) (deleteErrs []error, err error) {
	if s.opts.NoPrune {
		return nil, nil
	}

	background := metav1.DeletePropagationBackground

	for _, key := range s.inv.sortedKeys() {
		namespace, name, gk, ok := parseInventoryKey(key)
		if !ok || s.inManifests(namespace, name, gk) {
			continue
		}

		ref := manifests.ObjectRef{APIVersion: gk.Group, Kind: gk.Kind, Namespace: namespace, Name: name}

		mapping, err := s.c.RESTMapping(ctx, gk, "")
		if meta.IsNoMatchError(err) {
			// Nothing serves the kind any more, so no such object exists.
			s.inv.remove(key)

			continue
		} else if err != nil {
			return deleteErrs, &SyncError{Ref: ref, Op: OpMap, Err: err}
		}

		ref.APIVersion = mapping.GroupVersionKind.GroupVersion().String()

		live, err := s.c.Get(ctx, mapping.Resource, namespace, name)
		if apierrors.IsNotFound(err) {
			s.inv.remove(key)

			continue
		} else if err != nil {
			return deleteErrs, &SyncError{Ref: ref, Op: OpGet, Err: err}
		}

		if err := checkOwner(live); err != nil {
			return deleteErrs, &SyncError{Ref: ref, Op: OpDelete, Err: err}
		}

		if del {
			err := s.c.Delete(ctx, mapping.Resource, namespace, name, metav1.DeleteOptions{PropagationPolicy: &background})
			if err != nil && !apierrors.IsNotFound(err) {
				deleteErrs = append(deleteErrs, &SyncError{Ref: ref, Op: OpDelete, Err: err})

				continue
			}

			s.inv.remove(key)
		}

		s.res.Changes = append(s.res.Changes, SyncChange{Ref: ref, Action: ActionPrune})
	}

	return deleteErrs, nil
}

// inManifests reports whether a manifest object matches an inventory entry: group, kind and
// name equal, and the namespace equal unless the entry has none.
func (s *syncer) inManifests(namespace, name string, gk schema.GroupKind) bool {
	for _, o := range s.objs {
		if o.obj.GroupVersionKind().GroupKind() == gk && o.obj.GetName() == name &&
			(namespace == "" || o.obj.GetNamespace() == namespace) {
			return true
		}
	}

	return false
}

// parseInventoryKey parses "<namespace>_<name>_<group>_<Kind>" as cli-utils does, with "__" in
// the name read back as ':'.
func parseInventoryKey(key string) (namespace, name string, gk schema.GroupKind, ok bool) {
	i := strings.Index(key, "_")
	if i < 0 {
		return "", "", gk, false
	}

	namespace, rest := key[:i], key[i+1:]

	i = strings.LastIndex(rest, "_")
	if i < 0 {
		return "", "", gk, false
	}

	gk.Kind, rest = rest[i+1:], rest[:i]

	i = strings.LastIndex(rest, "_")
	if i < 0 {
		return "", "", gk, false
	}

	gk.Group, name = rest[i+1:], strings.ReplaceAll(rest[:i], "__", ":")

	return namespace, name, gk, name != "" && gk.Kind != ""
}

// refGK returns the group and kind of ref.
func refGK(ref manifests.ObjectRef) schema.GroupKind {
	gv, _ := schema.ParseGroupVersion(ref.APIVersion)

	return schema.GroupKind{Group: gv.Group, Kind: ref.Kind}
}

// remove drops key from the inventory.
func (inv *inventory) remove(key string) {
	if inv.has(key) {
		delete(inv.keys, key)
		inv.changed = true
	}
}

// syncStage returns the apply stage of a kind (fluxcd ApplyAllStaged with Talos's custom
// stage on 1.14).
func syncStage(gvk schema.GroupVersionKind, contract talos.Contract) int {
	switch {
	case isCRD(gvk) || (gvk.Group == "" && gvk.Kind == "Namespace") || (gvk.Group == rbacGroup && gvk.Kind == "ClusterRole"):
		return 1
	case strings.HasSuffix(gvk.Kind, "Class"):
		return 2
	case contract >= talos.V1_14 && gvk.Group == "" && (gvk.Kind == "ConfigMap" || gvk.Kind == "Secret"):
		return 3
	default:
		return 4
	}
}

// reconcileOrder is fluxcd ssa's ReconcileOrder (ssa v0.70 to v0.77): these kinds first, in
// this order, then every other kind, then the webhook configurations.
var reconcileOrder = func() map[string]int {
	first := []string{
		"CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterClass", "RuntimeClass",
		"PriorityClass", "StorageClass", "VolumeSnapshotClass", "IngressClass", "GatewayClass",
		"ClusterRoleBinding", "ResourceQuota", "ServiceAccount", "Role", "RoleBinding", "ConfigMap",
		"Secret", "Service", "LimitRange", "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
	}
	last := []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}

	m := make(map[string]int, len(first)+len(last))
	for i, k := range first {
		m[k] = i - len(first)
	}

	for i, k := range last {
		m[k] = 1 + i
	}

	return m
}()

// reconcileCompare orders objects as fluxcd's SortableUnstructureds: by kind rank, then
// group, kind, namespace and name.
func reconcileCompare(a, b *unstructured.Unstructured) int {
	ga, gb := a.GroupVersionKind(), b.GroupVersionKind()

	if ra, rb := reconcileOrder[ga.Kind], reconcileOrder[gb.Kind]; ra != rb {
		return ra - rb
	}

	if c := strings.Compare(ga.Group, gb.Group); c != 0 {
		return c
	}

	if c := strings.Compare(ga.Kind, gb.Kind); c != 0 {
		return c
	}

	if c := strings.Compare(a.GetNamespace(), b.GetNamespace()); c != 0 {
		return c
	}

	return strings.Compare(a.GetName(), b.GetName())
}

// Package apply creates Kubernetes objects exactly the way Talos applies the inline manifests
// of a control-plane config: create-only, never an update, never a delete (Apply). Sync, apart
// from it, updates and prunes them the way `talosctl upgrade-k8s` does.
//
// Tools that bootstrap clusters, and tests of generated configs, use it to install a rendered
// manifest (for example Cilium) the way Talos would, to see in advance what Talos will and will
// not do (a server-side dry run), and to check that a manifest applies at all.
//
// Objects are applied in Talos's order (manifests.SortForTalos). Per object: REST-map the kind,
// default the namespace, GET it, and create it only when it does not exist, with field manager
// "talos". One Result per object says what happened (OutcomeCreated, OutcomeExists,
// OutcomeInInventory, OutcomeFailed, OutcomeNotAttempted, OutcomeUnverified); the error joins one *ObjectError per failure. Options select a
// server-side dry run and the Talos 1.13 inventory mode (ConfigMap
// kube-system/talos-bootstrap-manifests-inventory, server-side apply for new objects, objects
// already recorded skipped without a request).
//
// The applier talks to the cluster through the small Client interface; NewClient and
// NewClientFromKubeconfig adapt client-go (dynamic client, deferred discovery REST mapper).
//
//	objs, err := manifests.ParseObjects(manifestYAML)
//	if err != nil { ... }
//	client, err := apply.NewClientFromKubeconfig("kubeconfig")
//	if err != nil { ... }
//	results, err := apply.Apply(ctx, client, objs, apply.Options{})
//	for _, r := range results {
//		fmt.Println(r) // "apps/v1 DaemonSet kube-system/cilium: created"
//	}
//	if err != nil { ... } // errors.Is(err, apply.ErrAborted), *apply.MissingNamespaceError, ...
//
// Retries: Talos repeats a failed pass forever with backoff. Apply instead waits (with
// backoff, bounded by the context) only for custom resources whose CustomResourceDefinition is
// part of the same input, and returns every other failure at once; see Apply.
//
// Updates are not Talos's job: the guide edits every control-plane config, then runs
// `talosctl upgrade-k8s`, which syncs the inline manifests. CompareConfigs is the pure first
// step of that flow: from the control-plane configs before and after the edit it checks that
// every control plane got the same edit and lists per object what changes (ActionCreate, ActionUpdate
// with the changed fields, ActionUnchanged, ActionPrune).
//
// Sync is the second step, against the cluster: it does to the manifests what `talosctl
// upgrade-k8s` does on Talos 1.13 and 1.14 (SyncOptions.Contract selects the staging; it is
// required). Server-side apply with field manager "talos" and forced ownership, so fields of
// other managers are kept; the annotation config.k8s.io/owning-inventory on every object; the
// same inventory ConfigMap as Apply's inventory mode; a server-side dry run of every object
// first, which classifies it (ActionCreate, ActionUpdate with the fields that differ between the
// live object and the dry-run result, Secret data masked, or ActionUnchanged, which is not
// applied); then the staged apply (CustomResourceDefinitions, Namespaces and ClusterRoles,
// waiting until the definitions are Established; kinds ending in "Class"; on 1.14 ConfigMaps
// and Secrets; the rest, each stage in fluxcd's ReconcileOrder); then the prune of inventory
// entries that left the manifests (ActionPrune, background deletion; SyncOptions.NoPrune keeps
// them, like --manifests-no-prune). The inventory is written after the apply and after the
// prune. SyncOptions.DryRun stops after the classification, like --dry-run, and lists exactly
// what the apply then does.
//
// Like upgrade-k8s, Sync stops at the first error of the dry run, before anything is applied:
// one invalid object blocks the whole sync. The error is a *SyncError naming the object, the
// operation and the API server's reason, and matches ErrNothingApplied:
//
//	res, err := apply.Sync(ctx, client, objs, apply.SyncOptions{Contract: talos.V1_14, DryRun: true})
//	if errors.Is(err, apply.ErrNothingApplied) { ... } // fix the object named in err
//	fmt.Println(res) // "update apps/v1 DaemonSet kube-system/cilium\n    ~ /spec/...\n..."
//
// Sync does not wait for workloads to roll out afterwards, and does not re-create objects
// whose immutable fields changed (--manifests-force); see Sync.
package apply

// Package apply creates Kubernetes objects exactly the way Talos applies the inline manifests
// of a control-plane config: create-only, never an update, never a delete.
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
package apply

// Package patches applies Talos machine config patches — RFC 6902 JSON patches
// and strategic merge patches — to today's multi-document configs, builds the
// patches of Talos's guides as typed values, and computes the patch between
// two configs.
//
// talosctl refuses RFC 6902 patches on any multi-document config, and every
// config generated for Talos v1.12 or later is multi-document, so the guide's
// JSON patches (such as "no CNI") fail there. This package applies an RFC 6902
// patch to one document of the config (the v1alpha1 document unless the patch
// names another with OpsFor) and reassembles the rest untouched. It is strict
// where machinery is lenient (replace or remove of a missing path fails, test
// is honoured, negative indices are refused) and atomic: inputs are never
// modified and a failed Apply returns no output, only an *Error naming the
// patch, operation, JSON pointer and document. Strategic merge patches are
// applied by machinery's configpatcher, so they give what talosctl gives.
//
// A Patch is an immutable, comparable value that prints as the exact text to
// pass to talosctl --config-patch; Parse reads that text back (detecting the
// form as talosctl does):
//
//	p := patches.MustParse(`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`)
//	out, err := patches.Apply(controlPlaneYAML, p, patches.InlineManifest("cilium", ciliumYAML))
//
// The recipes CNINone, CNICustom, KubeProxyDisabled and StrictMode take the
// machinery version contract (nil: the current one) and pick the form talosctl
// accepts for it: the guide's RFC 6902 text up to v1.11, strategic merge from
// v1.12. ClusterDiscovery and ClusterIdentity are RFC 6902 before v1.2 (talosctl
// had no strategic merge patches) and strategic merge from v1.2; KubePrism
// (v1.5 and later) is strategic merge. InlineManifest(s) and ExtraManifests
// take no contract: they are strategic merge patches (talosctl takes them from
// v1.2), because replacing by name has no RFC 6902 form. Apply accepts every
// form on every contract. InlineManifest inserts or replaces by name, never
// duplicates (see ReplaceByNameDirective). Diff and DiffOps compute the patch
// that turns one config into another.
//
// The package is pure: no clock, randomness, environment or network; only
// ParseFile and Load read files, and only when asked to.
package patches

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
// Hostile patches stay bounded: the patches of one call may grow the config by
// at most MaxApplyGrowth, 4 MiB (Options.MaxGrowth sets another bound; the
// error, matching ErrGrowthLimit, names the patch and operation that crossed
// it), and an RFC 6902 patch is applied to its document decoded once, so a
// thousand operations on a 2 MiB config cost about what one does.
//
// A Patch is an immutable, comparable value that prints as the exact text to
// pass to talosctl --config-patch; Parse reads that text back (detecting the
// form as talosctl does):
//
//	p := patches.MustParse(`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`)
//	inline, err := patches.InlineManifest(talos.V1_14, "cilium", ciliumYAML)
//	out, err := patches.Apply(controlPlaneYAML, p, inline)
//
// Patches that go onto many configs — a fleet's layers, one per role — are
// parsed once with Prepare; the Prepared applies them again and again, also
// concurrently, with exactly Apply's results and errors:
//
//	pp, err := patches.Prepare(layerPatches...)
//	for _, cfg := range configs {
//		out, err := pp.ApplyProvider(cfg) // no patch text parsed here
//	}
//
// Strategic merging happens in this package only: config turns its per-node
// settings into a strategic merge patch and applies it here.
//
// Every recipe takes the talos.Contract of the nodes (the zero contract is an
// error) and writes that contract's form: up to v1.11 the guide's RFC 6902 text
// where the guide used it, strategic merge patches of v1alpha1 fields from
// v1.2/v1.12, and on v1.14 the typed documents (the KubeFlannelCNIConfig
// document deleted, KubeProxyConfig "enabled: false", KubeExternalManifestConfig,
// KubeInlineManifestConfig, KubePrismConfig, DiscoveryServiceConfig,
// DiscoveryIdentityConfig). InlineManifest(s) insert or replace by name, never
// duplicate (see ReplaceByNameDirective).
//
// A patch carries its Scope — all nodes, control planes or workers, talosctl's
// --config-patch, --config-patch-control-plane and --config-patch-worker — in a
// directive comment of its text. The v1.14 recipes whose documents Talos allows
// only on control planes (kube-proxy, strict mode) or that only control planes
// use (custom CNI, inline and extra manifests) are control-plane patches: Apply
// leaves a patch out on a config of a role it is not for, so giving every node
// every recipe is right by construction, and a patch that would put a
// control-plane-only document into a worker config fails with
// ErrControlPlaneOnly.
//
// The guide's own v1alpha1 patch texts still work on v1.14 configs: Apply
// translates the settings v1.14 moved into documents (ApplyWithOptions returns
// each translation as a talos.Warning and can turn translation off); a setting
// without an equivalent is ErrUntranslatable, naming the document to write.
// Diff and DiffOps compute the patch that turns one config into another.
//
// The package is pure: no clock, randomness, environment or network; only
// ParseFile, ParseFileContext, Load and LoadContext read files, and only when asked
// to ("@path"). They read at most MaxPatchFileSize (16 MiB) of a file, and the
// Context forms give up on a named pipe that no writer opens when the context ends.
package patches

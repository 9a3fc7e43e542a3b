// Package patches applies Talos machine config patches — RFC 6902 JSON patches
// and strategic merge patches — to today's multi-document configs, and builds
// the patches of Talos's guides as typed values.
//
// talosctl refuses RFC 6902 patches on any multi-document config, and every
// config generated for Talos v1.12 or later is multi-document, so the guide's
// JSON patches (such as "no CNI") fail there. This package applies an RFC 6902
// patch to one document of the config (the v1alpha1 document unless the patch
// names another with OpsFor) and reassembles the rest untouched. It is strict
// where machinery is lenient (replace or remove of a missing path fails, test
// is honoured, negative indices are refused) and atomic: inputs are never
// modified and a failed Apply returns no output. Strategic merge patches are
// applied by machinery's configpatcher, so they give what talosctl gives.
//
// A Patch prints as the exact text to pass to talosctl --config-patch, and
// Parse reads that text back:
//
//	p := patches.MustParse(`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`)
//	out, err := patches.Apply(controlPlaneYAML, p, patches.InlineManifest("cilium", ciliumYAML))
//
// The package is pure: it reads no files (except ParseFile and Load, which
// exist to read them), no clock, no environment.
package patches

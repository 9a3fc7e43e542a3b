// Package manifests renders Helm charts, Cilium above all, offline into the Kubernetes objects
// that Talos applies from inline manifests: the render core (values, the Cilium presets, the
// render, Talos-ordered objects, determinism, key material). Charts come from package
// manifests/source.
//
// # Rendering
//
// Render and RenderCilium are pure: given a loaded chart (helm.sh/helm/v4/pkg/chart/v2), an
// explicit Kubernetes version and options, they run Helm's template engine client-only, the
// way `helm template` does, and return a *Rendered: the chart's output exactly as `helm
// template --include-crds` prints it (HelmOutput) and the objects adjusted for Talos (Objects,
// YAML): the release namespace written into namespaced objects that have none (Talos would use
// "default"), a Namespace object prepended when the namespace is not kube-system, and the
// order in which Talos applies them. CiliumValues holds the Talos presets of Talos's Cilium
// guide, chosen by chart version and cluster settings.
//
// Values are checked against the chart's values.schema.json with Helm's results and messages.
// Schemas that use only common keywords (type, properties, items, enum, anyOf, oneOf, bounds:
// every Cilium schema) are compiled into a small tree that decides a check in a tenth of the
// time jsonschema needs to compile them; other schemas, and every check that does not pass,
// go through jsonschema as in Helm, so a failure carries Helm's message. A malformed set
// expression of RenderOptions is named by field, index and key, never with its value.
//
// Templates are parsed on every core, concurrently with the values, and a Renderer parses its
// chart once for all its renders; they are then executed exactly as Helm's engine executes
// them (the same function map, template set, order and values; the output is compared with
// Helm's for every shipped chart), also with RenderOptions.Previous (the chart's lookup sees
// those objects). A template that fails goes through Helm's own engine again, so the error is
// Helm's. (That second engine is internal/helmengine, tested against Helm's.)
//
// Rendering takes a context and stops when it ends (KindStopped), and RenderOptions.Limits
// (RenderLimits; zero fields take defaults far above what real charts do) bound include and
// tpl nesting and calls, the output in all and per template file, the sizes templates ask for
// (until, repeat, indent, ...) and the values that encode or build whole values (toJson, list,
// append, ...): a hostile chart ends with a *RenderError of kind KindLimit naming the template
// and the limit (ErrRenderLimit), never with the process. Such a render, like one with a cyclic
// value, is not run a second time by Helm's engine, which has no limits.
//
//	ch, err := source.LoadPath(ctx, "cilium-1.18.12.tgz")
//	if err != nil {
//		return err
//	}
//	r, err := manifests.RenderCilium(ctx, ch.Chart, "1.33.0",
//		manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true},
//		manifests.RenderOptions{Deterministic: true})
//	if err != nil {
//		return err
//	}
//	inline := string(r.YAML) // cluster.inlineManifests[].contents
//
// # Secrets and determinism
//
// Charts such as Cilium's generate certificates on every render. Rendered.KeyMaterial lists
// every Secret and every object carrying key material. RenderOptions.Deterministic refuses
// output with key material made during the render; avoid it by making certificates in the
// cluster (CiliumOptions.CertificatesInCluster) or by passing the objects of the previous
// render in RenderOptions.Previous, which the chart's `lookup` sees and whose certificates
// ReuseKeyMaterial keeps: a re-render of an unchanged cluster gives the same bytes.
// Deterministic also refuses output that depends on randomness or the clock (randAlphaNum,
// uuidv4, now, shuffle, encryptAES, bcrypt, ... : a *NondeterministicCallsError naming the
// function and the template); a call whose result does not reach the output (Cilium checks
// durations with now) is found harmless by running the templates again with another clock
// and other random values.
//
// A template that puts a dict inside itself (`set $d "self" $d`, or a merge whose source holds
// its destination) is refused where it does so, with an error wrapping ErrCyclicValue and
// ErrTemplate that names the template: printing such a value makes Helm's engine die of a stack
// overflow.
//
// The hosted method checks the bytes it would host, not only the parsed objects
// (FindManifestKeyMaterial, ScanManifest): Secrets inside a List, private keys base64-encoded
// (wrapped, unpadded, URL-safe, twice) or DER, folded or split across list items, in a
// kubeconfig inside a ConfigMap, in comments or under a duplicate key.
//
// # Chart sources
//
// Loading a chart is I/O and lives in package manifests/source (paths, fs.FS, archives, Helm
// repositories; OCI registries in manifests/source/oci), which returns the chart to render
// with its digest (source.Chart); this package loads nothing. NewRendererFunc is the seam for a loader
// that can hand over a chart's files while it reads them: the templates are parsed meanwhile
// (source.LoadRenderer does this for an archive).
//
// # Install methods
//
// The four methods of Talos's Cilium guide (helm install, helm template + kubectl, a hosted
// manifest, an inline manifest) are in package manifests/install, which reads the cluster
// description (config.Cluster) and returns the config patches for each role. This package
// depends on no config package.
//
// # Objects
//
// Talos applies the objects of its manifests in a fixed order (Namespaces, then
// CustomResourceDefinitions, then the rest in document order) and only creates objects that
// do not exist yet. The helpers ParseObjects, SortForTalos and EncodeObjects model that:
//
//	objs, err := manifests.ParseObjects(yamlStream)
//	if err != nil {
//		return err
//	}
//	ordered := manifests.SortForTalos(objs) // the order Talos applies them in
//	out, err := manifests.EncodeObjects(ordered)
package manifests

// Package manifests renders Helm charts, Cilium above all, offline into the Kubernetes objects
// that Talos applies from inline manifests, and loads charts from their sources.
//
// # Rendering
//
// Render and RenderCilium are pure: given a loaded chart (helm.sh/helm/v3/pkg/chart), an
// explicit Kubernetes version and options, they run Helm's template engine client-only, the
// way `helm template` does, and return a *Rendered: the chart's output exactly as `helm
// template --include-crds` prints it (HelmOutput) and the objects adjusted for Talos (Objects,
// YAML): the release namespace written into namespaced objects that have none (Talos would use
// "default"), a Namespace object prepended when the namespace is not kube-system, and the
// order in which Talos applies them. CiliumValues holds the Talos presets of Talos's Cilium
// guide, chosen by chart version and cluster settings.
//
//	ch, err := loader.Load("cilium-1.18.12.tgz")
//	if err != nil {
//		return err
//	}
//	r, err := manifests.RenderCilium(ch, "1.33.0",
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
//
// # Sources and install methods
//
// Charts come from I/O functions at the edge: LoadPath (archive or directory), LoadFS,
// LoadArchive, LoadRepo (an HTTP(S) Helm repository, digest-checked), LoadOCI and Load, which
// dispatches by reference. The guide's four install methods (HelmInstallMethod, TemplateMethod,
// HostedMethod, InlineMethod) turn a *Rendered into what each needs.
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

// Package manifests renders Helm charts, Cilium above all, offline into the Kubernetes objects
// that Talos applies from inline manifests, and loads charts from their sources.
//
// Talos applies the objects of its manifests in a fixed order (Namespaces, then
// CustomResourceDefinitions, then the rest in document order) and only creates objects that
// do not exist yet. The helpers in this package model that:
//
//	objs, err := manifests.ParseObjects(yamlStream)
//	if err != nil {
//		return err
//	}
//	ordered := manifests.SortForTalos(objs) // the order Talos applies them in
//	out, err := manifests.EncodeObjects(ordered)
package manifests

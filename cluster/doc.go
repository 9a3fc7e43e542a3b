// Package cluster builds every node's machine config of a cluster from one description: the
// job of a Terraform provider's cluster resource, of a CI pipeline that writes a fleet's
// configs, of anything that asks for many nodes' configs again and again.
//
// A [Spec] is the description (config.Cluster), the secrets, the patch layers, an optional
// Cilium chart and the nodes. [Builder.Build] turns it into one encoded config per node. A
// Builder is safe for concurrent use and memoises what nodes share: the role configs with their
// layers applied (and validated) once per description, secrets and layers, and the Cilium render
// once per chart, Kubernetes version and values, so a 100-node cluster renders Cilium once and a
// second Build of the same Spec renders nothing. Nodes are built by a config.Builder: per node
// only the node's settings are merged and only what they change is re-encoded; a node with its
// own patches is patched and validated by itself.
//
// Render settings come from the description, stated once: kube-proxy disabled and the
// KubePrism port choose Cilium's presets ([CiliumOptions]), the Kubernetes version is the
// render's, the contract chooses the form of the inline manifest.
//
//	rd, err := source.LoadRendererRef(ctx, "cilium-1.18.12.tgz", "")
//	b := cluster.NewBuilder()
//	res, err := b.Build(ctx, cluster.Spec{
//		Cluster: desc, Secrets: secrets,
//		Cilium:  &cluster.Cilium{Renderer: rd.Renderer, CertificatesInCluster: true, Deterministic: true},
//		Nodes:   []cluster.Node{{Name: "cp-1", Role: config.RoleControlPlane}, ...},
//	})
//	for _, p := range talos.Problems(err) { ... p.Path is "/cluster/endpoint", "/nodes/3/settings/labels/x", ... }
//	for _, n := range res.Nodes { ... n.Config ... }
//
// Every problem of a failed Build is a *talos.FieldError whose path is a pointer into the Spec,
// by the Spec's YAML keys: "/cluster/endpoint", "/layers/allNodes/1", "/cilium",
// "/nodes/3/patches/0", "/nodes/3/settings/hostname", "/secrets"; problems of a generated
// config carry its document and the node's path ("/nodes/3") or, for a role config, the
// "/layers/controlPlane" or "/layers/worker" layer. talos.Problems lists them.
package cluster

// Package talospatch turns a cluster's intent into Talos Linux machine configs: typed, pure and
// deterministic, on top of github.com/siderolabs/talos/pkg/machinery.
//
// The module is a set of packages that follow the data flow of a cluster build:
//
//	cluster description (config.Cluster, config.Secrets)
//	  -> role configs        config: control plane, worker, talosconfig
//	  -> patches             patches: RFC 6902 and strategic merge, the guide's recipes
//	  -> sections/manifests  kubespan: KubeSpan, discovery, identity, peers
//	                         manifests: Cilium rendered offline, inline manifests, the applier
//	  -> per-node configs    config: all nodes -> role -> node patch layering
//	  -> validated, encoded YAML
//
// Packages:
//
//   - config: the cluster description, secrets, generation, per-node layering, encoding and
//     validation of machine configs for an explicit Talos version contract.
//   - patches: one value type for RFC 6902 and strategic merge patches that work on the
//     multi-document configs of Talos v1.12+, typed recipes (CNI none, kube-proxy disabled,
//     custom CNI URLs, inline manifests, ...) and a diff that builds a patch from two configs.
//   - manifests: Helm chart sources (archive, directory, HTTP repository, OCI) and the offline,
//     deterministic rendering of Cilium into Talos inline manifests; the guide's four install
//     methods. Subpackage manifests/apply is a create-only applier that behaves like Talos.
//   - kubespan: KubeSpan and discovery sections, cluster id and secret, node identity, peer
//     specs and the peer-status state machine.
//
// Only manifests (and its subpackages) import Helm or client-go; config, patches and kubespan
// stay free of them, which a test in internal/depcheck enforces.
package talospatch

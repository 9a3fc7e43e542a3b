// Package kubespan models Talos KubeSpan exactly, so tools can configure it, predict it and
// explain it without a running node.
//
// Talos keeps KubeSpan's logic inside machined; this package re-implements the parts a user
// needs, as pure functions of their inputs (no clock, no randomness unless passed in as an
// io.Reader, no I/O), checked against Talos's own values:
//
//   - Sections: the KubeSpan section for a version contract (legacy machine.network.kubespan
//     before v1.13, the KubeSpanConfig document from v1.13, KubeSpanEndpointsConfig for extra
//     endpoints), cluster discovery (cluster.discovery, or on v1.14 named DiscoveryServiceConfig
//     documents), cluster id and secret (DiscoveryIdentityConfig on v1.14), and the guide's "new cluster" and
//     "upgrade an existing cluster" steps, each as typed machinery documents and as a patch
//     of the patches package (KubeSpanSections, DiscoverySections, NewClusterSections,
//     UpgradeSections, Sections.Patch).
//   - Validate: the problems Talos lets through (KubeSpan without discovery, id or secret in
//     either form, MTU, filters, both legacy field and document), each a *talos.FieldError
//     naming the document, the field and the fix.
//   - Identity: WireGuard keys, the KubeSpan subnet and address derived from the cluster id
//     and the first physical link's MAC, and kubespan-identity.yaml in Talos's format.
//   - Peers: announced endpoints, peer specs from discovery affiliates with Talos's overlap
//     rule, and the peer-status state machine (PeerStatus.Update, Reconcile) with Talos's
//     constants, and `talosctl get` tables.
//
// Predict a node's KubeSpan address before it boots:
//
//	mac, _ := net.ParseMAC("2e:1a:b6:53:81:69")
//	addr, _ := kubespan.Address(kubespan.Subnet(clusterID), mac)
//
// Enable KubeSpan on an existing v1.12 cluster:
//
//	s, err := kubespan.UpgradeSections(contract, kubespan.ClusterSecrets{ID: id, Secret: secret}, kubespan.Discovery{})
//	p, err := s.Patch() // p.String() is the --config-patch text
//
// The subpackage meshsim simulates a whole mesh with this state machine.
package kubespan

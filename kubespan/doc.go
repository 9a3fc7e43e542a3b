// Package kubespan models Talos KubeSpan exactly, so tools can configure it, predict it and
// explain it without a running node.
//
// Talos keeps KubeSpan's logic inside machined; this package re-implements the parts a user
// needs, as pure functions of their inputs (no clock, no randomness unless passed in as an
// io.Reader, no I/O), checked against Talos's own values:
//
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
// The package links only the standard library (and a YAML encoder for kubespan-identity.yaml),
// not machinery. The machine-config side lives in subpackages: sections writes KubeSpan and
// discovery as documents and patches for each version contract and validates a finished
// config; meshsim simulates a whole mesh with this state machine.
package kubespan

// Package sections turns KubeSpan and discovery settings into Talos machine-config documents
// and patches, in the form each version contract needs, and checks a finished config for the
// KubeSpan problems Talos itself lets through.
//
//   - KubeSpanSections: legacy machine.network.kubespan before v1.13, the KubeSpanConfig
//     document from v1.13, KubeSpanEndpointsConfig for extra announced endpoints.
//   - DiscoverySections: cluster.discovery, or on v1.14 named DiscoveryServiceConfig documents.
//   - ClusterSecretsSections: cluster id and secret (DiscoveryIdentityConfig on v1.14).
//   - NewClusterSections and UpgradeSections: the guide's "new cluster" and "upgrade an
//     existing cluster" steps.
//   - Validate: KubeSpan without discovery, id or secret missing in either form, MTU, filters,
//     both legacy field and document; each problem a *talos.FieldError naming the document,
//     the field and the fix.
//
// Every Sections value is available as typed machinery documents (Sections.Documents) and as a
// patch of the patches package (Sections.Patch). The KubeSpan model itself (identity,
// addresses, peers, peer status) is the parent package kubespan, which does not depend on
// machinery.
//
// Enable KubeSpan on an existing v1.12 cluster:
//
//	s, err := sections.UpgradeSections(contract, sections.ClusterSecrets{ID: id, Secret: secret}, sections.Discovery{})
//	p, err := s.Patch() // p.String() is the --config-patch text
package sections

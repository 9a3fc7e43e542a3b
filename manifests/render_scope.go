package manifests

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// knownKindScopes are kinds of Kubernetes, Cilium and common add-ons whose scope is known: true
// for cluster-scoped, false for namespaced. Rendering has no cluster to ask (no discovery), so
// it knows scopes from this table, from built-in API groups (isBuiltinGroup), from the CRDs in
// the render itself and from RenderOptions.ClusterScopedKinds.
func knownKindScopes() map[schema.GroupKind]bool {
	return map[schema.GroupKind]bool{
		{Group: "", Kind: "Namespace"}:                                                    true,
		{Group: "", Kind: "Node"}:                                                         true,
		{Group: "", Kind: "PersistentVolume"}:                                             true,
		{Group: "", Kind: "ComponentStatus"}:                                              true,
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         true,
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  true,
		{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
		{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             true,
		{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
		{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
		{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
		{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
		{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}:          true,
		{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"}:   true,
		{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
		{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
		{Group: "storage.k8s.io", Kind: "CSINode"}:                                        true,
		{Group: "storage.k8s.io", Kind: "VolumeAttachment"}:                               true,
		{Group: "storage.k8s.io", Kind: "VolumeAttributesClass"}:                          true,
		{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
		{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
		{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
		{Group: "networking.k8s.io", Kind: "IPAddress"}:                                   true,
		{Group: "networking.k8s.io", Kind: "ServiceCIDR"}:                                 true,
		{Group: "policy", Kind: "PodSecurityPolicy"}:                                      true,
		{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
		{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle"}:                        true,
		{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}:                       true,
		{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"}:       true,
		{Group: "resource.k8s.io", Kind: "DeviceClass"}:                                   true,
		{Group: "resource.k8s.io", Kind: "ResourceSlice"}:                                 true,
		{Group: "internal.apiserver.k8s.io", Kind: "StorageVersion"}:                      true,
		{Group: "storagemigration.k8s.io", Kind: "StorageVersionMigration"}:               true,
		{Group: "authentication.k8s.io", Kind: "TokenReview"}:                             true,
		{Group: "authentication.k8s.io", Kind: "SelfSubjectReview"}:                       true,
		{Group: "authorization.k8s.io", Kind: "SubjectAccessReview"}:                      true,
		{Group: "authorization.k8s.io", Kind: "SelfSubjectAccessReview"}:                  true,
		{Group: "authorization.k8s.io", Kind: "SelfSubjectRulesReview"}:                   true,
		// Cilium's cluster-scoped custom resources.
		{Group: "cilium.io", Kind: "CiliumClusterwideNetworkPolicy"}:      true,
		{Group: "cilium.io", Kind: "CiliumClusterwideEnvoyConfig"}:        true,
		{Group: "cilium.io", Kind: "CiliumNode"}:                          true,
		{Group: "cilium.io", Kind: "CiliumIdentity"}:                      true,
		{Group: "cilium.io", Kind: "CiliumExternalWorkload"}:              true,
		{Group: "cilium.io", Kind: "CiliumLoadBalancerIPPool"}:            true,
		{Group: "cilium.io", Kind: "CiliumBGPPeeringPolicy"}:              true,
		{Group: "cilium.io", Kind: "CiliumBGPClusterConfig"}:              true,
		{Group: "cilium.io", Kind: "CiliumBGPPeerConfig"}:                 true,
		{Group: "cilium.io", Kind: "CiliumBGPAdvertisement"}:              true,
		{Group: "cilium.io", Kind: "CiliumBGPNodeConfig"}:                 true,
		{Group: "cilium.io", Kind: "CiliumBGPNodeConfigOverride"}:         true,
		{Group: "cilium.io", Kind: "CiliumCIDRGroup"}:                     true,
		{Group: "cilium.io", Kind: "CiliumPodIPPool"}:                     true,
		{Group: "cilium.io", Kind: "CiliumL2AnnouncementPolicy"}:          true,
		{Group: "cilium.io", Kind: "CiliumGatewayClassConfig"}:            false,
		{Group: "cilium.io", Kind: "CiliumEgressGatewayPolicy"}:           true,
		{Group: "cilium.io", Kind: "CiliumNodeConfig"}:                    false,
		{Group: "cilium.io", Kind: "CiliumNetworkPolicy"}:                 false,
		{Group: "cilium.io", Kind: "CiliumEndpoint"}:                      false,
		{Group: "cilium.io", Kind: "CiliumEnvoyConfig"}:                   false,
		{Group: "cilium.io", Kind: "CiliumLocalRedirectPolicy"}:           false,
		{Group: "cilium.io", Kind: "CiliumEndpointSlice"}:                 true,
		{Group: "gateway.networking.k8s.io", Kind: "GatewayClass"}:        true,
		{Group: "cert-manager.io", Kind: "ClusterIssuer"}:                 true,
		{Group: "monitoring.coreos.com", Kind: "ServiceMonitor"}:          false,
		{Group: "monitoring.coreos.com", Kind: "PrometheusRule"}:          false,
		{Group: "snapshot.storage.k8s.io", Kind: "VolumeSnapshotClass"}:   true,
		{Group: "snapshot.storage.k8s.io", Kind: "VolumeSnapshotContent"}: true,
	}
}

// isBuiltinGroup reports whether group is served by Kubernetes itself. A kind of these groups
// that knownKindScopes does not list is namespaced.
func isBuiltinGroup(group string) bool {
	switch group {
	case "", "apps", "batch", "autoscaling", "policy", "extensions",
		"networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
		"coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
		"admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
		"certificates.k8s.io", "node.k8s.io", "scheduling.k8s.io",
		"flowcontrol.apiserver.k8s.io", "resource.k8s.io", "authentication.k8s.io",
		"authorization.k8s.io", "internal.apiserver.k8s.io", "storagemigration.k8s.io":
		return true
	default:
		return false
	}
}

// scopes answers "is this kind namespaced?" without a cluster.
type scopes struct {
	known map[schema.GroupKind]bool // true: cluster-scoped, false: namespaced
}

// newScopes builds the scope table from the built-in table, extra cluster-scoped kinds and the
// CustomResourceDefinitions among objs.
func newScopes(extra []schema.GroupKind, objs []*unstructured.Unstructured) scopes {
	known := knownKindScopes()

	for _, gk := range extra {
		known[gk] = true
	}

	for _, obj := range objs {
		if talosRank(obj.GroupVersionKind()) != 1 {
			continue
		}

		group, _, _ := unstructured.NestedString(obj.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(obj.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(obj.Object, "spec", "scope")

		if kind != "" {
			known[schema.GroupKind{Group: group, Kind: kind}] = scope == "Cluster"
		}
	}

	return scopes{known: known}
}

// clusterScoped reports whether gk is cluster-scoped and whether the table knows the kind.
func (s scopes) clusterScoped(gk schema.GroupKind) (clusterScoped, known bool) {
	clusterScoped, known = s.known[gk]
	if !known && isBuiltinGroup(gk.Group) {
		return false, true
	}

	return clusterScoped, known
}

package kubespan

import "net/netip"

// KubeSpan is the KubeSpan section of one machine config. The zero value is KubeSpan
// disabled with every Talos default.
type KubeSpan struct {
	// Enabled turns KubeSpan on. It needs cluster discovery and cluster.id/cluster.secret.
	Enabled bool
	// AdvertiseKubernetesNetworks announces the node's pod CIDRs so pod-to-pod traffic goes
	// over KubeSpan directly. Default false: the CNI encapsulates pod traffic.
	AdvertiseKubernetesNetworks bool
	// AllowDownPeerBypass lets traffic to a peer that is not up leave outside the tunnel.
	// Default false: traffic to every peer's AllowedIPs is forced into WireGuard.
	AllowDownPeerBypass bool
	// HarvestExtraEndpoints publishes the endpoints this node observes for up peers.
	// Default false (since Talos 1.7); do not enable with more than about 50 peers.
	HarvestExtraEndpoints bool
	// MTU is the KubeSpan link MTU; 0 means the Talos default (DefaultMTU). At least MinimumMTU.
	MTU uint32
	// EndpointFilters filters the node addresses announced as endpoints (filters.endpoints).
	// Nil or empty means no filtering (an empty list is not written to the config). See
	// FilterAddrs for Talos's exact semantics.
	EndpointFilters []EndpointFilter
	// ExcludeAdvertisedNetworks are networks never routed over KubeSpan
	// (filters.excludeAdvertisedNetworks). Nil means none.
	ExcludeAdvertisedNetworks []netip.Prefix
	// ExtraAnnouncedEndpoints are announced in addition to the node's own (e.g. a NAT
	// mapping); they go into a KubeSpanEndpointsConfig document (contracts v1.8 and later).
	ExtraAnnouncedEndpoints []netip.AddrPort
}

package kubespan

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/talospatch/talospatch/kubespan/internal/ipset"
)

// Affiliate is what discovery knows about one cluster member (Talos's Affiliate resource,
// the parts KubeSpan uses).
type Affiliate struct {
	// ID is the affiliate (node identity) ID.
	ID string
	// Nodename is the Kubernetes node name; it becomes the peer's label.
	Nodename string
	// Addresses are the node's addresses.
	Addresses []netip.Addr
	// PublicKey is the node's KubeSpan WireGuard public key (base64); empty without KubeSpan.
	PublicKey string
	// KubeSpanAddress is the node's KubeSpan address.
	KubeSpanAddress netip.Addr
	// PodCIDRs are the node's pod networks, announced when it advertises Kubernetes networks
	// (Talos's KubeSpan "additional addresses").
	PodCIDRs []netip.Prefix
	// Endpoints are the node's announced WireGuard endpoints, in announcement order.
	Endpoints []netip.AddrPort
	// ExcludeAdvertisedNetworks are networks the node asks peers not to route to it.
	ExcludeAdvertisedNetworks []netip.Prefix
}

// LocalNode is what a node knows about itself when it announces its affiliate.
type LocalNode struct {
	// ID is the node's affiliate ID.
	ID string
	// Nodename is the node's Kubernetes node name.
	Nodename string
	// Addresses are the node's current addresses in Talos's order.
	Addresses []netip.Addr
	// PublicIPs are the public addresses the discovery service saw the node connect from.
	PublicIPs []netip.Addr
	// PodCIDRs are the node's pod networks.
	PodCIDRs []netip.Prefix
	// Identity is the node's KubeSpan identity.
	Identity Identity
}

func isULA(a netip.Addr, purpose byte) bool {
	if !a.Is6() || a.Is4In6() {
		return false
	}
	b := a.As16()
	return b[0] == 0xfd && b[7] == purpose
}

// AnnouncedEndpoints returns the endpoints a node announces, in Talos's order: the node
// addresses except its KubeSpan address and SideroLink addresses, then the public IPs
// discovery saw that are not already listed, filtered by ks.EndpointFilters when there are
// any (see FilterAddrs), all on Port; then ks.ExtraAnnouncedEndpoints not already listed.
func AnnouncedEndpoints(n LocalNode, ks KubeSpan) []netip.AddrPort {
	self := n.Identity.Address.Addr()
	ips := make([]netip.Addr, 0, len(n.Addresses)+len(n.PublicIPs))
	for _, a := range n.Addresses {
		if a == self || isULA(a, ULASideroLink) {
			continue
		}
		ips = append(ips, a)
	}
	for _, a := range n.PublicIPs {
		if !slices.Contains(ips, a) {
			ips = append(ips, a)
		}
	}
	// An empty list is not written to the config (KubeSpanSections), so it filters nothing.
	if len(ks.EndpointFilters) > 0 {
		ips = FilterAddrs(ips, ks.EndpointFilters)
	}
	out := make([]netip.AddrPort, 0, len(ips)+len(ks.ExtraAnnouncedEndpoints))
	for _, a := range ips {
		out = append(out, netip.AddrPortFrom(a, Port))
	}
	for _, e := range ks.ExtraAnnouncedEndpoints {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// Announce returns the affiliate a node publishes with KubeSpan settings ks: its addresses
// without SideroLink and KubeSpan ones, its KubeSpan key and address, its pod CIDRs when
// ks.AdvertiseKubernetesNetworks, AnnouncedEndpoints and its excluded networks.
func Announce(n LocalNode, ks KubeSpan) Affiliate {
	a := Affiliate{ID: n.ID, Nodename: n.Nodename}
	for _, addr := range n.Addresses {
		if isULA(addr, ULASideroLink) || isULA(addr, ULAKubeSpan) {
			continue
		}
		a.Addresses = append(a.Addresses, addr)
	}
	if !ks.Enabled {
		return a
	}
	a.PublicKey = n.Identity.PublicKey.String()
	a.KubeSpanAddress = n.Identity.Address.Addr()
	if ks.AdvertiseKubernetesNetworks {
		a.PodCIDRs = slices.Clone(n.PodCIDRs)
	}
	a.Endpoints = AnnouncedEndpoints(n, ks)
	a.ExcludeAdvertisedNetworks = slices.Clone(ks.ExcludeAdvertisedNetworks)
	return a
}

// PeerSpec is the WireGuard peer a node configures for another node (Talos's
// KubeSpanPeerSpec resource).
type PeerSpec struct {
	// ID is the resource ID: the peer's WireGuard public key.
	ID string
	// Label is the peer's node name.
	Label string
	// Address is the peer's KubeSpan address.
	Address netip.Addr
	// AllowedIPs are the destinations routed to the peer.
	AllowedIPs []netip.Prefix
	// Endpoints are the peer's endpoints in announcement order.
	Endpoints []netip.AddrPort
}

// Clone returns a deep copy of s.
func (s PeerSpec) Clone() PeerSpec {
	s.AllowedIPs = slices.Clone(s.AllowedIPs)
	s.Endpoints = slices.Clone(s.Endpoints)
	return s
}

// PeerSpecs builds the peer specs node selfID configures from the discovered affiliates,
// exactly as Talos does: affiliates in ID order, skipping selfID and affiliates without a
// KubeSpan public key; AllowedIPs are the pod CIDRs and node addresses minus the peer's
// excluded networks, plus its KubeSpan address. An affiliate whose ranges cannot be built
// (no KubeSpan address, or an invalid address or prefix in its lists) is skipped: it gets no
// spec and takes no ranges. When the ranges of a later peer overlap those already recorded,
// the later peer loses the overlapping ranges (it may end up with no AllowedIPs at all).
// Ranges are recorded per public key: two affiliates with the same key make one spec, the
// later one winning, and the later one's ranges replace the earlier one's for the peers that
// follow (the later one also loses the ranges it shares with the earlier one).
// The result is sorted by ID (public key), as `talosctl get kubespanpeerspecs` lists them.
// affiliates is not modified.
func PeerSpecs(selfID string, affiliates []Affiliate) []PeerSpec {
	order := make([]int, len(affiliates))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(affiliates[a].ID, affiliates[b].ID) })

	// recorded holds the ranges kept per public key; taken is their union.
	recorded := make(map[string]ipset.Set, len(affiliates))
	var taken ipset.Set
	specs := make([]PeerSpec, 0, len(affiliates))
	index := make(map[string]int, len(affiliates))
	for _, i := range order {
		a := &affiliates[i]
		if a.ID == selfID || a.PublicKey == "" {
			continue
		}
		set, ok := affiliateSet(a)
		if !ok {
			continue
		}
		if set.Overlaps(taken) {
			set = set.Difference(taken)
		}
		if _, dup := recorded[a.PublicKey]; dup {
			recorded[a.PublicKey] = set
			var b ipset.Builder
			for _, s := range recorded {
				b.AddSet(s)
			}
			taken = b.Finish()
		} else {
			recorded[a.PublicKey] = set
			taken = taken.Union(set)
		}
		spec := PeerSpec{
			ID:         a.PublicKey,
			Label:      a.Nodename,
			Address:    a.KubeSpanAddress,
			AllowedIPs: set.Prefixes(),
			Endpoints:  slices.Clone(a.Endpoints),
		}
		if j, ok := index[spec.ID]; ok {
			specs[j] = spec
			continue
		}
		index[spec.ID] = len(specs)
		specs = append(specs, spec)
	}
	slices.SortFunc(specs, func(a, b PeerSpec) int { return cmp.Compare(a.ID, b.ID) })
	return specs
}

// affiliateSet returns the ranges a peer may be routed: pod CIDRs and node addresses, minus
// the excluded networks, plus the KubeSpan address. It reports false when any of these is
// invalid (the zero netip value), which makes Talos's range builder fail.
func affiliateSet(a *Affiliate) (ipset.Set, bool) {
	if !a.KubeSpanAddress.IsValid() {
		return ipset.Set{}, false
	}
	var b ipset.Builder
	for _, p := range a.PodCIDRs {
		if !p.IsValid() {
			return ipset.Set{}, false
		}
		b.AddPrefix(p)
	}
	for _, addr := range a.Addresses {
		if !addr.IsValid() {
			return ipset.Set{}, false
		}
		b.Add(addr)
	}
	for _, p := range a.ExcludeAdvertisedNetworks {
		if !p.IsValid() {
			return ipset.Set{}, false
		}
		b.RemovePrefix(p)
	}
	b.Add(a.KubeSpanAddress)
	return b.Finish(), true
}

// RoutedPrefixes returns the destinations whose traffic is forced into the KubeSpan
// tunnel (Talos's nftables set, marked 0x40 and routed by table 180): the AllowedIPs of every
// peer when forceRouting (allowDownPeerBypass false), else only of peers whose status is up,
// leaving out every prefix whose first address is a KubeSpan ULA address (fd00::/8 with
// purpose byte ULAKubeSpan), such as the peers' own KubeSpan /128s, which the WireGuard link
// reaches directly. statuses are matched to specs by ID; a spec without a status counts as
// not up.
func RoutedPrefixes(specs []PeerSpec, statuses []PeerStatus, forceRouting bool) []netip.Prefix {
	if forceRouting {
		return routed(specs, nil)
	}
	up := make(map[string]bool, len(statuses))
	for _, s := range statuses {
		up[s.ID] = s.State == PeerStateUp
	}
	return routed(specs, func(i int) bool { return up[specs[i].ID] })
}

// routed unions the AllowedIPs of the specs for which include is true (all if nil), except
// the prefixes that start with a KubeSpan ULA address.
func routed(specs []PeerSpec, include func(int) bool) []netip.Prefix {
	n := 0
	for i := range specs {
		n += len(specs[i].AllowedIPs)
	}
	var b ipset.Builder
	b.Grow(n)
	for i := range specs {
		if include == nil || include(i) {
			for _, p := range specs[i].AllowedIPs {
				if !isULA(p.Addr(), ULAKubeSpan) {
					b.AddPrefix(p)
				}
			}
		}
	}
	return b.Finish().Prefixes()
}

package kubespan_test

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/kubespan"
	"github.com/talospatch/talospatch/kubespan/sections"
	"github.com/talospatch/talospatch/talos"
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, 0, len(ss))
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func addrPorts(ss ...string) []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(ss))
	for _, s := range ss {
		out = append(out, netip.MustParseAddrPort(s))
	}
	return out
}

func TestFilterAddrs(t *testing.T) {
	t.Parallel()

	in := addrs("192.168.1.5", "10.0.0.1", "2001:db8::1", "fd00::1")
	f := func(ss ...string) []kubespan.EndpointFilter {
		out, err := kubespan.ParseEndpointFilters(ss)
		require.NoError(t, err)
		return out
	}
	for _, tc := range []struct {
		name    string
		filters []kubespan.EndpointFilter
		want    []netip.Addr
	}{
		{"nil keeps all", nil, in},
		{"empty keeps none", []kubespan.EndpointFilter{}, nil},
		{"guide example", f("0.0.0.0/0", "!192.168.0.0/16", "::/0"), addrs("10.0.0.1", "2001:db8::1", "fd00::1")},
		{"filter order wins", f("::/0", "0.0.0.0/0"), addrs("2001:db8::1", "fd00::1", "192.168.1.5", "10.0.0.1")},
		{"bare address", f("10.0.0.1"), addrs("10.0.0.1")},
		{"negation first does nothing", f("!10.0.0.0/8", "0.0.0.0/0"), addrs("192.168.1.5", "10.0.0.1")},
		{"re-add after negation", f("0.0.0.0/0", "!10.0.0.0/8", "10.0.0.1/32"), addrs("192.168.1.5", "10.0.0.1")},
		{"host bits in filter ignored", f("10.1.2.3/8"), addrs("10.0.0.1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := kubespan.FilterAddrs(in, tc.filters)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := kubespan.ParseEndpointFilters([]string{"0.0.0.0/0", "nope"})
	require.ErrorIs(t, err, kubespan.ErrInvalidFilter)
	require.Contains(t, err.Error(), "filters.endpoints[1]")
}

func TestAnnounce(t *testing.T) {
	t.Parallel()

	priv, err := kubespan.NewPrivateKey(seeded(11))
	require.NoError(t, err)
	mac, _ := net.ParseMAC("00:1a:2b:3c:4d:5e")
	id, err := kubespan.NewIdentity("cluster", mac, priv)
	require.NoError(t, err)
	sideroLink := kubespan.Subnet("cluster").Addr().As16()
	sideroLink[7], sideroLink[15] = kubespan.ULASideroLink, 1

	node := kubespan.LocalNode{
		ID: "n1", Nodename: "worker-1",
		Addresses: []netip.Addr{netip.MustParseAddr("192.168.1.5"), id.Address.Addr(), netip.AddrFrom16(sideroLink), netip.MustParseAddr("2001:db8::5")},
		PublicIPs: addrs("203.0.113.7", "192.168.1.5"),
		PodCIDRs:  prefixes("10.244.1.0/24"),
		Identity:  id,
	}
	ks := kubespan.KubeSpan{
		Enabled:                     true,
		AdvertiseKubernetesNetworks: true,
		EndpointFilters:             mustFilters(t, "0.0.0.0/0", "!192.168.0.0/16", "::/0"),
		ExcludeAdvertisedNetworks:   prefixes("172.16.0.0/12"),
		ExtraAnnouncedEndpoints:     addrPorts("198.51.100.1:60000", "203.0.113.7:51820"),
	}
	a := kubespan.Announce(node, ks)
	require.Equal(t, addrPorts("203.0.113.7:51820", "[2001:db8::5]:51820", "198.51.100.1:60000"), a.Endpoints)
	require.Equal(t, addrs("192.168.1.5", "2001:db8::5"), a.Addresses)
	require.Equal(t, id.PublicKey.String(), a.PublicKey)
	require.Equal(t, id.Address.Addr(), a.KubeSpanAddress)
	require.Equal(t, prefixes("10.244.1.0/24"), a.PodCIDRs)
	require.Equal(t, prefixes("172.16.0.0/12"), a.ExcludeAdvertisedNetworks)

	// An empty filter list is what the rendered config says: no filters (not "keep nothing").
	unfiltered := ks
	unfiltered.EndpointFilters = nil
	empty := ks
	empty.EndpointFilters, err = kubespan.ParseEndpointFilters([]string{})
	require.NoError(t, err)
	require.Equal(t, kubespan.Announce(node, unfiltered), kubespan.Announce(node, empty))
	for _, v := range []string{"v1.12", "v1.13"} {
		a, err := sections.KubeSpanSections(talos.MustParseContract(v), unfiltered)
		require.NoError(t, err)
		b, err := sections.KubeSpanSections(talos.MustParseContract(v), empty)
		require.NoError(t, err)
		require.Equal(t, a, b, "an empty filter list renders as no filters")
	}

	ks.AdvertiseKubernetesNetworks = false
	require.Nil(t, kubespan.Announce(node, ks).PodCIDRs)
	ks.Enabled = false
	require.Empty(t, kubespan.Announce(node, ks).PublicKey)
}

func mustFilters(t *testing.T, ss ...string) []kubespan.EndpointFilter {
	t.Helper()
	f, err := kubespan.ParseEndpointFilters(ss)
	require.NoError(t, err)
	return f
}

func TestPeerSpecs(t *testing.T) {
	t.Parallel()

	affiliates := []kubespan.Affiliate{
		{ID: "c", Nodename: "node-c", PublicKey: "KEYC", KubeSpanAddress: netip.MustParseAddr("fd00::c"),
			Addresses: addrs("10.0.0.3"), PodCIDRs: prefixes("10.244.1.0/24"), Endpoints: addrPorts("10.0.0.3:51820")},
		{ID: "a", Nodename: "node-a", PublicKey: "KEYA", KubeSpanAddress: netip.MustParseAddr("fd00::a"),
			Addresses: addrs("10.0.0.1", "192.168.5.1"), PodCIDRs: prefixes("10.244.0.0/23"),
			ExcludeAdvertisedNetworks: prefixes("192.168.0.0/16"),
			Endpoints:                 addrPorts("10.0.0.1:51820", "[2001:db8::1]:51820")},
		{ID: "self", Nodename: "me", PublicKey: "KEYSELF", KubeSpanAddress: netip.MustParseAddr("fd00::1")},
		{ID: "b", Nodename: "node-b", Addresses: addrs("10.0.0.2")}, // no KubeSpan
		{ID: "d", Nodename: "node-d", PublicKey: "KEYD", KubeSpanAddress: netip.MustParseAddr("fd00::a"),
			Addresses: addrs("10.0.0.1")}, // fully overlapped by a
	}
	before := append([]kubespan.Affiliate(nil), affiliates...)
	specs := kubespan.PeerSpecs("self", affiliates)
	require.Equal(t, before, affiliates)

	require.Equal(t, []kubespan.PeerSpec{
		{ID: "KEYA", Label: "node-a", Address: netip.MustParseAddr("fd00::a"),
			AllowedIPs: prefixes("10.0.0.1/32", "10.244.0.0/23", "fd00::a/128"),
			Endpoints:  addrPorts("10.0.0.1:51820", "[2001:db8::1]:51820")},
		// c processed after a: loses 10.244.1.0/24 (inside a's /23)
		{ID: "KEYC", Label: "node-c", Address: netip.MustParseAddr("fd00::c"),
			AllowedIPs: prefixes("10.0.0.3/32", "fd00::c/128"),
			Endpoints:  addrPorts("10.0.0.3:51820")},
		{ID: "KEYD", Label: "node-d", Address: netip.MustParseAddr("fd00::a"), AllowedIPs: nil},
	}, specs)

	var buf bytes.Buffer
	require.NoError(t, kubespan.WritePeerSpecs(&buf, kubespan.Rows("172.20.0.2", 3, specs)))
	golden(t, "tables/peerspecs.txt", buf.Bytes())

	routed := kubespan.RoutedPrefixes(specs, nil, true)
	require.Equal(t, prefixes("10.0.0.1/32", "10.0.0.3/32", "10.244.0.0/23", "fd00::a/128", "fd00::c/128"), routed)
	require.Empty(t, kubespan.RoutedPrefixes(specs, nil, false))
}

func TestTables(t *testing.T) {
	t.Parallel()

	priv, err := kubespan.NewPrivateKey(seeded(12))
	require.NoError(t, err)
	mac, _ := net.ParseMAC("2e:1a:b6:53:81:69")
	id, err := kubespan.NewIdentity("8XuV9TZHW08DOk3bVxQjH9ih_TBKjnh-j44tsCLSBzo=", mac, priv)
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, kubespan.WriteIdentities(&buf, kubespan.Rows("172.20.0.2", 1, []kubespan.Identity{id})))
	golden(t, "tables/identities.txt", buf.Bytes())

	statuses := []kubespan.PeerStatus{
		{ID: "KEYA", Label: "node-a", Endpoint: netip.MustParseAddrPort("10.0.0.1:51820"), State: kubespan.PeerStateUp, ReceiveBytes: 15804, TransmitBytes: 14060},
		{ID: "KEYB", Label: "node-b", State: kubespan.PeerStateUnknown},
		{ID: "KEYC", Label: "node-c", Endpoint: netip.MustParseAddrPort("[2001:db8::3]:51820"), State: kubespan.PeerStateDown, TransmitBytes: 888},
	}
	buf.Reset()
	require.NoError(t, kubespan.WritePeerStatuses(&buf, kubespan.Rows("172.20.0.2", 12, statuses)))
	golden(t, "tables/peerstatuses.txt", buf.Bytes())

	records := kubespan.HarvestEndpoints(statuses, []kubespan.Affiliate{{ID: "aff-a", PublicKey: "KEYA"}, {ID: "aff-c", PublicKey: "KEYC"}})
	require.Equal(t, []kubespan.EndpointRecord{{ID: "KEYA", AffiliateID: "aff-a", Endpoint: netip.MustParseAddrPort("10.0.0.1:51820")}}, records)
	buf.Reset()
	require.NoError(t, kubespan.WriteEndpoints(&buf, kubespan.Rows("172.20.0.2", 2, records)))
	golden(t, "tables/endpoints.txt", buf.Bytes())
}

// ksAddr returns the KubeSpan address (a ULA with purpose byte 0x02) of the node with the
// given MAC in cluster "cluster".
func ksAddr(t *testing.T, mac string) netip.Addr {
	t.Helper()
	hw, err := net.ParseMAC(mac)
	require.NoError(t, err)
	p, err := kubespan.Address(kubespan.Subnet("cluster"), hw)
	require.NoError(t, err)
	return p.Addr()
}

// Talos, internal/app/machined/pkg/controllers/kubespan/manager.go, ManagerController.Run:
// when it builds the set of destinations forced into the tunnel (the nftables match), it walks
// each peer's AllowedIPs and leaves out any prefix whose address is a KubeSpan ULA
// (network.IsULA with the KubeSpan purpose), so the peers' own KubeSpan /128s are never in
// the routed set. Only the KubeSpan purpose is skipped: other fd00::/8 ranges, SideroLink's
// included, stay. The WireGuard peers keep their full AllowedIPs.
func TestRoutedPrefixesSkipKubeSpanAddresses(t *testing.T) {
	t.Parallel()

	ksA, ksB := ksAddr(t, "00:1a:2b:3c:4d:5e"), ksAddr(t, "2e:1a:b6:53:81:69")
	sideroLink := kubespan.Subnet("cluster").Addr().As16()
	sideroLink[7], sideroLink[15] = kubespan.ULASideroLink, 9
	specs := []kubespan.PeerSpec{
		{ID: "KEYA", Label: "node-a", Address: ksA,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("fd00::a/128"), netip.PrefixFrom(ksA, 128)}},
		{ID: "KEYB", Label: "node-b", Address: ksB,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32"), netip.PrefixFrom(netip.AddrFrom16(sideroLink), 128), netip.PrefixFrom(ksB, 128)}},
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("10.0.0.2/32"),
		netip.MustParsePrefix("fd00::a/128"), netip.PrefixFrom(netip.AddrFrom16(sideroLink), 128),
	}
	// the same rule whether routing is forced or only up peers are routed
	require.Equal(t, want, kubespan.RoutedPrefixes(specs, nil, true))
	up := []kubespan.PeerStatus{{ID: "KEYA", State: kubespan.PeerStateUp}, {ID: "KEYB", State: kubespan.PeerStateUp}}
	require.Equal(t, want, kubespan.RoutedPrefixes(specs, up, false))
	require.Equal(t, want, kubespan.Reconcile(at(0), true, specs, nil, nil).Routed)

	// the specs are untouched: WireGuard still routes the KubeSpan addresses to the peers
	require.Contains(t, specs[0].AllowedIPs, netip.PrefixFrom(ksA, 128))

	// end to end from affiliates: the peer's KubeSpan address is in its AllowedIPs only
	peers := kubespan.PeerSpecs("self", []kubespan.Affiliate{
		{ID: "a", Nodename: "node-a", PublicKey: "KEYA", KubeSpanAddress: ksA, Addresses: addrs("10.0.0.1")},
	})
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.PrefixFrom(ksA, 128)}, peers[0].AllowedIPs)
	require.Equal(t, prefixes("10.0.0.1/32"), kubespan.RoutedPrefixes(peers, nil, true))
}

// Talos, internal/app/machined/pkg/controllers/kubespan/peer_spec.go, PeerSpecController.Run:
// the peer's ranges go through a netipx.IPSetBuilder, and adding a zero KubeSpan address (an
// affiliate that announced a key but whose address did not decode) makes the builder report
// an error; Talos logs it and moves on to the next affiliate, so there is no peer spec for it
// and its ranges are not recorded against later peers. Any other zero address or prefix in
// the affiliate's lists fails the same way.
func TestPeerSpecsSkipAffiliateWithoutKubeSpanAddress(t *testing.T) {
	t.Parallel()

	ksB := ksAddr(t, "2e:1a:b6:53:81:69")
	affiliates := []kubespan.Affiliate{
		// key but no KubeSpan address
		{ID: "a", Nodename: "node-a", PublicKey: "KEYA", Addresses: addrs("10.0.0.1"),
			PodCIDRs: prefixes("10.244.0.0/24"), Endpoints: addrPorts("10.0.0.1:51820")},
		// a later peer claiming the same ranges keeps them: a recorded nothing
		{ID: "b", Nodename: "node-b", PublicKey: "KEYB", KubeSpanAddress: ksB, Addresses: addrs("10.0.0.1"),
			PodCIDRs: prefixes("10.244.0.0/24"), Endpoints: addrPorts("10.0.0.1:51820")},
		// a zero pod CIDR fails Talos's builder too
		{ID: "c", Nodename: "node-c", PublicKey: "KEYC", KubeSpanAddress: ksAddr(t, "00:1a:2b:3c:4d:5e"),
			Addresses: addrs("10.0.0.3"), PodCIDRs: []netip.Prefix{{}}},
	}
	require.Equal(t, []kubespan.PeerSpec{
		{ID: "KEYB", Label: "node-b", Address: ksB,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("10.244.0.0/24"), netip.PrefixFrom(ksB, 128)},
			Endpoints:  addrPorts("10.0.0.1:51820")},
	}, kubespan.PeerSpecs("self", affiliates))
}

// Talos, internal/app/machined/pkg/controllers/kubespan/peer_spec.go, PeerSpecController.Run:
// the ranges already handed out are kept in a map keyed by the peer's public key, and a new
// peer loses whatever overlaps any entry of that map. An affiliate that reuses an earlier
// affiliate's key is checked against that earlier entry too, then overwrites it, so the
// earlier affiliate's ranges stop counting for the peers that come after.
func TestPeerSpecsOverlapTrackedByPublicKey(t *testing.T) {
	t.Parallel()

	ks1, ks2, ks3 := ksAddr(t, "00:00:00:00:00:01"), ksAddr(t, "00:00:00:00:00:02"), ksAddr(t, "00:00:00:00:00:03")
	affiliates := []kubespan.Affiliate{
		{ID: "a", Nodename: "old", PublicKey: "KEY1", KubeSpanAddress: ks1, Addresses: addrs("10.0.0.1", "10.0.0.9")},
		// same key as a: loses 10.0.0.9 (a's entry under KEY1), then replaces that entry
		{ID: "b", Nodename: "new", PublicKey: "KEY1", KubeSpanAddress: ks2, Addresses: addrs("10.0.0.2", "10.0.0.9")},
		// 10.0.0.1 and 10.0.0.9 are no longer recorded under any key: c keeps them
		{ID: "c", Nodename: "other", PublicKey: "KEY2", KubeSpanAddress: ks3, Addresses: addrs("10.0.0.1", "10.0.0.2", "10.0.0.9")},
	}
	require.Equal(t, []kubespan.PeerSpec{
		{ID: "KEY1", Label: "new", Address: ks2,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32"), netip.PrefixFrom(ks2, 128)}},
		{ID: "KEY2", Label: "other", Address: ks3,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("10.0.0.9/32"), netip.PrefixFrom(ks3, 128)}},
	}, kubespan.PeerSpecs("self", affiliates))
}

package kubespan_test

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/kubespan"
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
		a, err := kubespan.KubeSpanSections(contract(t, v), unfiltered)
		require.NoError(t, err)
		b, err := kubespan.KubeSpanSections(contract(t, v), empty)
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

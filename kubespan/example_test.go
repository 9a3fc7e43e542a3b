package kubespan_test

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/talospatch/talospatch/kubespan"
)

func ExampleAddress() {
	clusterID := "8XuV9TZHW08DOk3bVxQjH9ih_TBKjnh-j44tsCLSBzo="
	mac, _ := net.ParseMAC("2e:1a:b6:53:81:69")
	subnet := kubespan.Subnet(clusterID)
	addr, _ := kubespan.Address(subnet, mac)
	fmt.Println(subnet)
	fmt.Println(addr)
	// Output:
	// fd7f:175a:b97c:5602::/64
	// fd7f:175a:b97c:5602:2c1a:b6ff:fe53:8169/128
}

func ExamplePeerStatus_Update() {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	endpoints := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.2:51820"), netip.MustParseAddrPort("203.0.113.2:51820")}
	st := kubespan.PeerStatus{ID: "peer-key", Label: "worker-1"}

	// first reconcile: the first endpoint is tried
	u := st.Update(t0, endpoints, nil)
	fmt.Println(u.Status.State, u.Configure)
	// 30 s later, no handshake: down, so the next endpoint is tried
	u = u.Status.Update(t0.Add(30*time.Second), endpoints, &kubespan.Observation{Endpoint: u.Configure})
	fmt.Println(u.Status.State, u.Configure)
	// a handshake arrived: up
	u = u.Status.Update(t0.Add(60*time.Second), endpoints, &kubespan.Observation{Endpoint: u.Configure, LastHandshakeTime: t0.Add(31 * time.Second)})
	fmt.Println(u.Status.State, u.Status.LastUsedEndpoint)
	// Output:
	// unknown 10.0.0.2:51820
	// unknown 203.0.113.2:51820
	// up 203.0.113.2:51820
}

func ExampleWritePeerStatuses() {
	_ = kubespan.WritePeerStatuses(os.Stdout, kubespan.Rows("172.20.0.2", 4, []kubespan.PeerStatus{
		{ID: "KEY", Label: "worker-1", Endpoint: netip.MustParseAddrPort("10.0.0.2:51820"), State: kubespan.PeerStateUp, ReceiveBytes: 1024, TransmitBytes: 2048},
	}))
	// Output:
	// NODE         NAMESPACE   TYPE                 ID    VERSION   LABEL      ENDPOINT         STATE   RX     TX
	// 172.20.0.2   kubespan    KubeSpanPeerStatus   KEY   4         worker-1   10.0.0.2:51820   up      1024   2048
}

func ExamplePeerSpecs() {
	affiliates := []kubespan.Affiliate{
		{ID: "b", Nodename: "worker-2", PublicKey: "KEY-B", KubeSpanAddress: netip.MustParseAddr("fd00::b"),
			Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.2")}, PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}},
		{ID: "a", Nodename: "worker-1", PublicKey: "KEY-A", KubeSpanAddress: netip.MustParseAddr("fd00::a"),
			Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.1")}, PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24")}},
		{ID: "self", Nodename: "cp-1", PublicKey: "KEY-SELF"},
		{ID: "c", Nodename: "no-kubespan"},
	}
	for _, s := range kubespan.PeerSpecs("self", affiliates) {
		fmt.Println(s.Label, s.AllowedIPs)
	}
	// Output:
	// worker-1 [10.0.0.1/32 10.244.1.0/24 fd00::a/128]
	// worker-2 [10.0.0.2/32 10.244.0.0/24 10.244.2.0/23 10.244.4.0/22 10.244.8.0/21 10.244.16.0/20 10.244.32.0/19 10.244.64.0/18 10.244.128.0/17 fd00::b/128]
}

package kubespan_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/kubespan"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

var (
	ep1 = netip.MustParseAddrPort("10.0.0.1:51820")
	ep2 = netip.MustParseAddrPort("[2001:db8::1]:51820")
	ep3 = netip.MustParseAddrPort("192.0.2.1:52000")
)

// TestStateTable walks the state table of Talos's KubeSpan peer status (the kubespan manager
// controller and PeerStatusSpec in siderolabs/talos); the endpoint changed at t0.
func TestStateTable(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name      string
		now       time.Duration
		handshake time.Duration // relative to t0; -1: never
		noUsed    bool
		want      kubespan.PeerState
	}{
		{"just changed, no handshake", 5 * time.Second, -1, false, kubespan.PeerStateUnknown},
		{"just changed, handshake after change", 5 * time.Second, 2 * time.Second, false, kubespan.PeerStateUp},
		{"just changed, handshake before change", 5 * time.Second, -10 * time.Second, false, kubespan.PeerStateUnknown},
		{"at 15s exactly, no handshake", 15 * time.Second, -1, false, kubespan.PeerStateDown},
		{"middle, no handshake", 100 * time.Second, -1, false, kubespan.PeerStateDown},
		{"middle, handshake after change", 100 * time.Second, 90 * time.Second, false, kubespan.PeerStateUp},
		{"middle, old handshake before change", 100 * time.Second, -5 * time.Second, false, kubespan.PeerStateDown},
		{"at 275s exactly, handshake after change", 275 * time.Second, 1 * time.Second, false, kubespan.PeerStateUp},
		{"late, recent handshake", 400 * time.Second, 300 * time.Second, false, kubespan.PeerStateUp},
		{"late, handshake 275s ago", 400 * time.Second, 125 * time.Second, false, kubespan.PeerStateDown},
		{"late, handshake 274s ago", 400 * time.Second, 126 * time.Second, false, kubespan.PeerStateUp},
		{"late, never", 400 * time.Second, -1, false, kubespan.PeerStateDown},
		{"down but no endpoint ever used", 100 * time.Second, -1, true, kubespan.PeerStateUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := kubespan.PeerStatus{LastEndpointChange: t0, LastUsedEndpoint: ep1, Endpoint: ep1}
			if tc.noUsed {
				s.LastUsedEndpoint = netip.AddrPort{}
			}
			if tc.handshake >= 0 || tc.handshake < -time.Second {
				s.LastHandshakeTime = at(tc.handshake)
			}
			require.Equal(t, tc.want, s.WithState(at(tc.now)).State)
		})
	}
}

func TestNextEndpoint(t *testing.T) {
	t.Parallel()

	eps := []netip.AddrPort{ep1, ep2, ep3}
	for _, tc := range []struct {
		name       string
		lastUsed   netip.AddrPort
		current    netip.AddrPort
		endpoints  []netip.AddrPort
		want       netip.AddrPort
		wantChange bool
	}{
		{"none used: first", netip.AddrPort{}, netip.AddrPort{}, eps, ep1, true},
		{"round robin", ep1, ep1, eps, ep2, true},
		{"wraps", ep3, ep3, eps, ep1, true},
		{"last used gone: first", netip.MustParseAddrPort("203.0.113.9:1"), netip.AddrPort{}, eps, ep1, true},
		{"single endpoint in use", ep1, ep1, eps[:1], netip.AddrPort{}, false},
		{"single endpoint, wireguard roamed", ep1, ep3, eps[:1], ep1, true},
		{"no endpoints", ep1, ep1, nil, netip.AddrPort{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := kubespan.PeerStatus{LastUsedEndpoint: tc.lastUsed, Endpoint: tc.current}
			got, ok := s.NextEndpoint(tc.endpoints)
			require.Equal(t, tc.wantChange, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestUpdateCycles drives one peer through endpoint cycling to up, then down again.
func TestUpdateCycles(t *testing.T) {
	t.Parallel()

	eps := []netip.AddrPort{ep1, ep2, ep3}
	var s kubespan.PeerStatus
	step := func(now time.Duration, obs *kubespan.Observation) kubespan.PeerUpdate {
		u := s.Update(at(now), eps, obs)
		s = u.Status
		return u
	}

	u := step(0, nil)
	require.True(t, u.Changed)
	require.Equal(t, ep1, u.Configure)
	require.Equal(t, kubespan.PeerStateUnknown, s.State)

	// 30 s later: no handshake -> down -> next endpoint
	u = step(30*time.Second, &kubespan.Observation{Endpoint: ep1, TransmitBytes: 148 * 6})
	require.True(t, u.Changed)
	require.Equal(t, ep2, u.Configure)
	require.Equal(t, at(30*time.Second), s.LastEndpointChange)
	require.Equal(t, int64(148*6), s.TransmitBytes)

	// handshake on ep2 at 31 s, seen at 60 s: up, no change, endpoint re-applied
	u = step(60*time.Second, &kubespan.Observation{Endpoint: ep2, LastHandshakeTime: at(31 * time.Second), ReceiveBytes: 92, TransmitBytes: 1000})
	require.False(t, u.Changed)
	require.Equal(t, kubespan.PeerStateUp, s.State)
	require.Equal(t, ep2, u.Configure)

	// stays up while handshakes continue (every 120 s)
	u = step(300*time.Second, &kubespan.Observation{Endpoint: ep2, LastHandshakeTime: at(271 * time.Second)})
	require.Equal(t, kubespan.PeerStateUp, s.State)
	require.False(t, u.Changed)

	// handshakes stop: at 271+275 = 546 s still up, after that down -> ep3
	u = step(545*time.Second, &kubespan.Observation{Endpoint: ep2, LastHandshakeTime: at(271 * time.Second)})
	require.Equal(t, kubespan.PeerStateUp, s.State)
	u = step(547*time.Second, &kubespan.Observation{Endpoint: ep2, LastHandshakeTime: at(271 * time.Second)})
	require.True(t, u.Changed)
	require.Equal(t, ep3, u.Configure)
	require.Equal(t, kubespan.PeerStateUnknown, s.State)

	// wireguard roamed the endpoint: Talos does not re-apply
	u = step(550*time.Second, &kubespan.Observation{Endpoint: ep1, LastHandshakeTime: at(549 * time.Second)})
	require.Equal(t, kubespan.PeerStateUp, s.State)
	require.False(t, u.Configure.IsValid())
	require.Equal(t, ep1, s.Endpoint)
	require.Equal(t, ep3, s.LastUsedEndpoint)
}

func TestUpdateAllocatesNothing(t *testing.T) {
	eps := []netip.AddrPort{ep1, ep2, ep3}
	s := kubespan.PeerStatus{ID: "key", Label: "node"}
	obs := kubespan.Observation{Endpoint: ep1, LastHandshakeTime: at(time.Second)}
	now := at(0)
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(kubespan.ReconcileInterval)
		u := s.Update(now, eps, &obs)
		s = u.Status
	})
	require.Zero(t, allocs)
}

func TestPeerStateText(t *testing.T) {
	t.Parallel()

	for _, st := range []kubespan.PeerState{kubespan.PeerStateUnknown, kubespan.PeerStateUp, kubespan.PeerStateDown} {
		b, err := st.MarshalText()
		require.NoError(t, err)
		var back kubespan.PeerState
		require.NoError(t, back.UnmarshalText(b))
		require.Equal(t, st, back)
	}
	var st kubespan.PeerState
	require.Error(t, st.UnmarshalText([]byte("Up")))
	require.Error(t, st.UnmarshalText([]byte("")))
	_, err := kubespan.PeerState(7).MarshalText()
	require.Error(t, err)
	require.Equal(t, "PeerState(7)", kubespan.PeerState(7).String())
	require.Equal(t, kubespan.PeerStateUnknown, kubespan.PeerState(0))

	b, err := json.Marshal(map[string]kubespan.PeerState{"a": kubespan.PeerStateDown})
	require.NoError(t, err)
	require.JSONEq(t, `{"a":"down"}`, string(b))
}

func TestReconcile(t *testing.T) {
	t.Parallel()

	specs := []kubespan.PeerSpec{
		{ID: "a", Label: "node-a", Endpoints: []netip.AddrPort{ep1}, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}},
		{ID: "b", Label: "node-b", Endpoints: []netip.AddrPort{ep2, ep3}, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")}},
	}
	prev := []kubespan.PeerStatus{
		{ID: "gone", Label: "old"},
		{ID: "b", Label: "node-b", State: kubespan.PeerStateUp, Endpoint: ep2, LastUsedEndpoint: ep2, LastEndpointChange: at(0), LastHandshakeTime: at(time.Second)},
	}
	prevCopy := append([]kubespan.PeerStatus(nil), prev...)
	r := kubespan.Reconcile(at(60*time.Second), false, specs, prev, map[string]kubespan.Observation{
		"b": {Endpoint: ep2, LastHandshakeTime: at(50 * time.Second), ReceiveBytes: 10, TransmitBytes: 20},
	})
	require.Equal(t, prevCopy, prev, "input modified")
	require.Len(t, r.Statuses, 2)
	require.Equal(t, "a", r.Statuses[0].ID)
	require.Equal(t, ep1, r.Configure[0])
	require.True(t, r.Changed)
	require.Equal(t, kubespan.PeerStateUnknown, r.Statuses[0].State)
	require.Equal(t, kubespan.PeerStateUp, r.Statuses[1].State)
	require.Equal(t, int64(10), r.Statuses[1].ReceiveBytes)
	// allowDownPeerBypass: only b (up) is routed
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")}, r.Routed)

	forced := kubespan.Reconcile(at(60*time.Second), true, specs, prev, nil)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("10.0.0.2/32")}, forced.Routed)
}

func TestExplain(t *testing.T) {
	t.Parallel()

	base := kubespan.PeerStatus{LastUsedEndpoint: ep1, Endpoint: ep1, LastEndpointChange: t0}
	for _, tc := range []struct {
		name string
		s    kubespan.PeerStatus
		now  time.Duration
		want string
	}{
		{"never configured", kubespan.PeerStatus{}, time.Minute, "unknown: no endpoint tried yet"},
		{"waiting", base, 5 * time.Second, "unknown: switched to 10.0.0.1:51820 5s ago, waiting up to 15s"},
		{"up soon", withHandshake(base, 2*time.Second), 5 * time.Second, "up: handshake since switching to 10.0.0.1:51820 5s ago"},
		{"down middle", base, 40 * time.Second, "down: no handshake in the 40s since switching to 10.0.0.1:51820 (no handshake ever)"},
		{"up late", withHandshake(base, 300*time.Second), 400 * time.Second, "up: last handshake 1m40s ago (less than 4m35s)"},
		{"down late", withHandshake(base, 10*time.Second), 400 * time.Second, "down: last handshake 6m30s ago (at least 4m35s); Talos switches from 10.0.0.1:51820"},
		{"down late, never", base, 400 * time.Second, "down: no handshake ever, 10.0.0.1:51820 in use for 6m40s; Talos switches"},
		{"roamed in", withHandshake(kubespan.PeerStatus{}, 100*time.Second), 110 * time.Second, "up: last handshake 10s ago, though Talos never configured an endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.s.Explain(at(tc.now))
			require.Contains(t, got, tc.want)
			// the explanation starts with the state WithState computes
			require.Contains(t, got, tc.s.WithState(at(tc.now)).State.String()+":")
		})
	}
}

func withHandshake(s kubespan.PeerStatus, d time.Duration) kubespan.PeerStatus {
	s.LastHandshakeTime = at(d)
	return s
}

func TestParsePeerStatuses(t *testing.T) {
	t.Parallel()

	data, err := os.ReadFile(filepath.Join("testdata", "talosctl", "kubespanpeerstatuses.yaml"))
	require.NoError(t, err)
	rows, err := kubespan.ParsePeerStatuses(data)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, "172.20.0.2", rows[0].Node)
	require.Equal(t, 25, rows[0].Version)
	require.Equal(t, "talos-default-worker-1", rows[0].Value.Label)
	require.Equal(t, kubespan.PeerStateUp, rows[0].Value.State)
	require.Equal(t, int64(15804), rows[0].Value.ReceiveBytes)
	require.True(t, rows[1].Value.LastHandshakeTime.IsZero())

	now := time.Date(2026, 1, 1, 10, 12, 30, 0, time.UTC)
	require.Equal(t, "down: no handshake in the 30s since switching to 203.0.113.9:51820 (no handshake ever); Talos tries the next endpoint at the next reconcile",
		rows[1].Value.Explain(now))

	var buf bytes.Buffer
	require.NoError(t, kubespan.WritePeerStatuses(&buf, rows))
	golden(t, "tables/parsed-peerstatuses.txt", buf.Bytes())

	_, err = kubespan.ParsePeerStatuses([]byte("metadata:\n  type: KubeSpanPeerSpecs.kubespan.talos.dev\n  id: x\n"))
	require.ErrorIs(t, err, kubespan.ErrInvalidResource)
	_, err = kubespan.ParsePeerStatuses([]byte("metadata:\n  type: KubeSpanPeerStatuses.kubespan.talos.dev\n  id: x\nspec:\n  state: sideways\n"))
	require.ErrorIs(t, err, kubespan.ErrInvalidResource)
	empty, err := kubespan.ParsePeerStatuses(nil)
	require.NoError(t, err)
	require.Empty(t, empty)
}

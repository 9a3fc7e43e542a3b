package meshsim_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/kubespan"
	"github.com/talospatch/talospatch/kubespan/meshsim"
)

func TestProperties(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		nodes       int
		unreachable float64
		seed        uint64
	}{
		{2, 0, 1}, {5, 0.3, 2}, {12, 0.5, 3}, {20, 0.7, 4}, {8, 1, 5}, {16, 0.4, 6}, {30, 0.25, 7},
	} {
		nodes, err := meshsim.Random(tc.nodes, tc.unreachable, tc.seed)
		require.NoError(t, err)
		res, err := meshsim.Run(nodes, meshsim.Options{Seed: tc.seed, Duration: 20 * time.Minute})
		require.NoError(t, err)
		require.Len(t, res.Links, tc.nodes*(tc.nodes-1))
		for _, l := range res.Links {
			if l.Reachable > 0 {
				bound := time.Duration(l.Endpoints)*kubespan.ReconcileInterval + kubespan.EndpointConnectionTimeout
				require.True(t, l.Up, "link %d->%d with %d reachable endpoints never came up", l.From, l.To, l.Reachable)
				require.LessOrEqual(t, l.UpAt-l.Start, bound, "link %d->%d came up late", l.From, l.To)
			}
			if !l.Expected {
				require.False(t, l.Up, "link %d->%d without any reachable endpoint came up", l.From, l.To)
				require.NotEqual(t, kubespan.PeerStateUp, l.Status.State)
			}
			require.Zero(t, l.ChangesAfterUp, "link %d->%d changed endpoint after coming up", l.From, l.To)
			if l.Up {
				require.Equal(t, kubespan.PeerStateUp, l.Status.State, "link %d->%d went down again", l.From, l.To)
			}
		}
		if tc.unreachable == 0 || tc.unreachable < 1 {
			require.True(t, res.Converged || hasUnexpected(res))
		}
	}
}

func hasUnexpected(res meshsim.Result) bool {
	for _, l := range res.Links {
		if !l.Expected {
			return true
		}
	}
	return false
}

func TestDeterministic(t *testing.T) {
	t.Parallel()

	nodes, err := meshsim.Random(10, 0.4, 42)
	require.NoError(t, err)
	a, err := meshsim.Run(nodes, meshsim.Options{Seed: 42})
	require.NoError(t, err)
	b, err := meshsim.Run(nodes, meshsim.Options{Seed: 42})
	require.NoError(t, err)
	require.Equal(t, a, b)
}

// TestWorstCaseBound: only the last of n endpoints works in either direction, the slowest
// case the bound allows for.
func TestWorstCaseBound(t *testing.T) {
	t.Parallel()

	for n := 1; n <= 5; n++ {
		mk := func(i int) meshsim.Node {
			nd := meshsim.Node{Name: "node", Start: time.Duration(i) * 7 * time.Second}
			for k := range n {
				nd.Endpoints = append(nd.Endpoints, meshsim.Endpoint{
					Addr:      netip.AddrFrom4([4]byte{10, byte(i), byte(k), 1}),
					Reachable: k == n-1,
				})
			}
			return nd
		}
		for _, bypass := range []bool{false, true} {
			res, err := meshsim.Run([]meshsim.Node{mk(0), mk(1), mk(2)}, meshsim.Options{Seed: uint64(n), Duration: 30 * time.Minute, KubeSpan: kubespan.KubeSpan{AllowDownPeerBypass: bypass}})
			require.NoError(t, err)
			for _, l := range res.Links {
				require.True(t, l.Up)
				bound := time.Duration(n)*kubespan.ReconcileInterval + kubespan.EndpointConnectionTimeout
				require.LessOrEqual(t, l.UpAt-l.Start, bound, "n=%d link %d->%d", n, l.From, l.To)
				// up on the working endpoint, or on another one while WireGuard roamed to the
				// address the peer's handshake came from
				working := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(l.To), byte(n - 1), 1}), kubespan.Port)
				require.True(t, l.Status.LastUsedEndpoint == working || l.Status.Endpoint != l.Status.LastUsedEndpoint, "link %d->%d: %v", l.From, l.To, l.Status)
				require.True(t, l.Tunnelled)
				require.Positive(t, l.Status.ReceiveBytes)
				require.Greater(t, l.Status.TransmitBytes, l.Status.ReceiveBytes-1000)
			}
		}
	}
}

// TestRandomProperties checks the properties over many random meshes.
func TestRandomProperties(t *testing.T) {
	t.Parallel()

	for seed := uint64(100); seed < 130; seed++ {
		n := 2 + int(seed%17)
		frac := float64(seed%10) / 10
		nodes, err := meshsim.Random(n, frac, seed)
		require.NoError(t, err)
		res, err := meshsim.Run(nodes, meshsim.Options{Seed: seed, Duration: 15 * time.Minute, KubeSpan: kubespan.KubeSpan{AllowDownPeerBypass: seed%2 == 0}})
		require.NoError(t, err)
		for _, l := range res.Links {
			if l.Reachable > 0 {
				require.True(t, l.Up, "seed %d link %d->%d", seed, l.From, l.To)
				require.LessOrEqual(t, l.UpAt-l.Start, time.Duration(l.Endpoints)*kubespan.ReconcileInterval+kubespan.EndpointConnectionTimeout)
			}
			if !l.Expected {
				require.False(t, l.Up)
				require.Contains(t, []kubespan.PeerState{kubespan.PeerStateDown, kubespan.PeerStateUnknown}, l.Status.State)
				require.Zero(t, l.Status.ReceiveBytes, "nothing arrives without a path")
				require.Equal(t, seed%2 != 0, l.Tunnelled)
			}
			require.Zero(t, l.ChangesAfterUp)
		}
		require.True(t, res.Converged, "seed %d", seed)
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()

	_, err := meshsim.Run(nil, meshsim.Options{})
	require.ErrorIs(t, err, meshsim.ErrInvalidConfig)
	_, err = meshsim.Run([]meshsim.Node{{Name: "a", Start: -time.Second}}, meshsim.Options{})
	require.ErrorIs(t, err, meshsim.ErrInvalidConfig)
	_, err = meshsim.Run([]meshsim.Node{{Name: "a"}}, meshsim.Options{Duration: -time.Second})
	require.ErrorIs(t, err, meshsim.ErrInvalidConfig)
	_, err = meshsim.Random(0, 0.1, 1)
	require.ErrorIs(t, err, meshsim.ErrInvalidConfig)
	_, err = meshsim.Random(3, -0.1, 1)
	require.ErrorIs(t, err, meshsim.ErrInvalidConfig)

	// a single node has no peers and is trivially converged
	res, err := meshsim.Run([]meshsim.Node{{Name: "a"}}, meshsim.Options{Duration: time.Minute})
	require.NoError(t, err)
	require.Empty(t, res.Links)
	require.True(t, res.Converged)
}

// TestPeerWithoutEndpoints: a node that announces no endpoint still comes up for its peers
// once it reaches them (WireGuard accepts the handshake from a configured peer without one).
func TestPeerWithoutEndpoints(t *testing.T) {
	t.Parallel()

	nodes := []meshsim.Node{
		{Name: "v4-only", Endpoints: []meshsim.Endpoint{{Addr: netip.MustParseAddr("10.0.0.1"), Reachable: true}}},
		{Name: "v6", Endpoints: []meshsim.Endpoint{{Addr: netip.MustParseAddr("2001:db8::2"), Reachable: true}}, Start: 3 * time.Second},
	}
	res, err := meshsim.Run(nodes, meshsim.Options{Duration: 5 * time.Minute,
		KubeSpan: kubespan.KubeSpan{EndpointFilters: []kubespan.EndpointFilter{kubespan.MustParseEndpointFilter("::/0")}}})
	require.NoError(t, err)
	require.Len(t, res.Links, 2)
	for _, l := range res.Links {
		require.True(t, l.Up, "%d->%d", l.From, l.To)
		require.Equal(t, kubespan.PeerStateUp, l.Status.State)
	}
	require.Zero(t, res.Links[1].Endpoints, "v4-only announces nothing under the ::/0 filter")
	require.False(t, res.Links[1].Status.LastUsedEndpoint.IsValid())
}

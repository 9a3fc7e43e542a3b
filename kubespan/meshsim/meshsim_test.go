package meshsim_test

import (
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

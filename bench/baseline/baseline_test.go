package baseline_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/bench/baseline"
)

func testFleet(t testing.TB, workers int) baseline.Fleet {
	t.Helper()

	contract, err := config.ParseContractFromVersion("v1.13")
	require.NoError(t, err)

	s, err := secrets.LoadBundle(filepath.Join("..", "..", "testdata", "bench", "secrets.yaml"))
	require.NoError(t, err, "the fixtures are in testdata/ at the repository root")

	return baseline.Fleet{
		ControlPlanes: 3, Workers: workers, Kubernetes: "1.35.0", Contract: contract, Secrets: s,
		Cilium: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: kube-system\n"),
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()

	nodes, err := baseline.Build(testFleet(t, 2))
	require.NoError(t, err)
	require.Len(t, nodes, 5)

	for i, want := range []struct{ name, san string }{
		{"cp-0", "10.0.0.1"}, {"cp-1", "10.0.0.2"}, {"cp-2", "10.0.0.3"}, {"worker-0", "10.0.0.4"}, {"worker-1", "10.0.0.5"},
	} {
		require.Equal(t, want.name, nodes[i].Name)
		require.Contains(t, string(nodes[i].Config), "example.com/node: "+want.name+"\n")
		require.Contains(t, string(nodes[i].Config), "certSANs:\n        - "+want.san+"\n")
		require.Equal(t, i < 3, contains(nodes[i].Config, "name: cilium"), nodes[i].Name)
	}

	_, err = baseline.Build(baseline.Fleet{})
	require.Error(t, err)
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// BenchmarkBuild is today's way without the helm process: bundle.NewBundle, then
// configpatcher and a full encode per node.
func BenchmarkBuild(b *testing.B) {
	for _, workers := range []int{100, 1000} {
		f := testFleet(b, workers)

		b.Run(fmt.Sprintf("nodes=%d", 3+workers), func(b *testing.B) {
			b.ReportAllocs()

			for b.Loop() {
				if _, err := baseline.Build(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package meshsim_test

import (
	"testing"
	"time"

	"github.com/talospatch/talospatch/kubespan/internal/cputime"
	"github.com/talospatch/talospatch/kubespan/meshsim"
)

// BenchmarkSimulate100NodesOneHour simulates 100 nodes (9,900 peer links) for one hour of
// reconcile ticks.
func BenchmarkSimulate100NodesOneHour(b *testing.B) {
	nodes, err := meshsim.Random(100, 0.3, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := cputime.Now()
	for b.Loop() {
		res, err := meshsim.Run(nodes, meshsim.Options{Seed: 1, Duration: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Links) != 9900 {
			b.Fatal(len(res.Links))
		}
		b.ReportMetric(float64(res.Updates), "updates/op")
	}
	if cpu := cputime.Now() - start; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

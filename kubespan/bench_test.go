package kubespan_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/talospatch/talospatch/kubespan"
	"github.com/talospatch/talospatch/kubespan/internal/cputime"
)

// reportCPU reports the process CPU time per op (robust when the machine is shared).
func reportCPU(b *testing.B, start time.Duration) {
	b.Helper()
	if cpu := cputime.Now() - start; cpu > 0 && b.N > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkPeerStatusUpdate(b *testing.B) {
	eps := []netip.AddrPort{ep1, ep2, ep3}
	s := kubespan.PeerStatus{ID: "key", Label: "node"}
	obs := kubespan.Observation{Endpoint: ep1, LastHandshakeTime: at(time.Second)}
	now := at(0)
	b.ReportAllocs()
	start := cputime.Now()
	for b.Loop() {
		now = now.Add(kubespan.ReconcileInterval)
		s = s.Update(now, eps, &obs).Status
	}
	reportCPU(b, start)
}

// mesh1000 returns 1,000 peer specs (two endpoints, a node address, a pod CIDR and a
// KubeSpan address each), their statuses after a first tick, and WireGuard reports.
func mesh1000() ([]kubespan.PeerSpec, []kubespan.PeerStatus, map[string]kubespan.Observation) {
	specs := make([]kubespan.PeerSpec, 1000)
	observed := make(map[string]kubespan.Observation, 1000)
	for i := range specs {
		v4 := netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1})
		ks := netip.AddrFrom16([16]byte{0xfd, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i)})
		specs[i] = kubespan.PeerSpec{
			ID:    fmt.Sprintf("key-%04d", i),
			Label: fmt.Sprintf("node-%04d", i),
			AllowedIPs: []netip.Prefix{
				netip.PrefixFrom(v4, 32),
				netip.PrefixFrom(netip.AddrFrom4([4]byte{100, byte(i >> 8), byte(i), 0}), 24),
				netip.PrefixFrom(ks, 128),
			},
			Endpoints: []netip.AddrPort{netip.AddrPortFrom(v4, kubespan.Port), netip.AddrPortFrom(ks, kubespan.Port)},
		}
		observed[specs[i].ID] = kubespan.Observation{Endpoint: specs[i].Endpoints[0], LastHandshakeTime: at(time.Second), ReceiveBytes: 1000, TransmitBytes: 1000}
	}
	first := kubespan.Reconcile(at(0), true, specs, nil, nil)
	return specs, first.Statuses, observed
}

func BenchmarkReconcile1000Peers(b *testing.B) {
	specs, statuses, observed := mesh1000()
	now := at(0)
	b.ReportAllocs()
	start := cputime.Now()
	for b.Loop() {
		now = now.Add(kubespan.ReconcileInterval)
		statuses = kubespan.Reconcile(now, true, specs, statuses, observed).Statuses
	}
	reportCPU(b, start)
}

package acceptance

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPlanCPUShare measures the provider's own CPU in a `terraform plan` of a cluster of 3
// control planes and 100 workers with Cilium 1.18.12 (no state: everything is planned), against
// the CPU of the whole run (terraform and every provider process it started). It reports; it
// never fails on time. TALOSPATCH_BENCH=1 runs it.
func TestPlanCPUShare(t *testing.T) {
	if os.Getenv("TALOSPATCH_BENCH") == "" {
		t.Skip("TALOSPATCH_BENCH=1 measures the provider's CPU share of a 3+100-node plan")
	}

	setup(t)

	w := newWorkdir(t, header()+fmt.Sprintf(`
resource "talospatch_cluster" "c" {
  %s
  secrets = local.secrets
  cilium = {
    chart = %q
    set   = ["hubble.relay.enabled=true", "hubble.ui.enabled=true"]
  }
  nodes = %s
}
`, clusterHCL, chartPath(), nodesHCL(3, 100)))

	cpuFile := filepath.Join(w.dir, "provider-cpu")
	w.env = append(w.env, "TALOSPATCH_PROVIDER_CPU_FILE="+cpuFile)

	// TALOSPATCH_PROVIDER_CPUPROFILE_DIR=dir (passed through) leaves a CPU profile of every
	// provider process there.

	for run := 1; run <= 3; run++ {
		if err := os.Remove(cpuFile); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}

		res := w.must(2, "plan", "-input=false", "-detailed-exitcode")

		data, err := os.ReadFile(cpuFile)
		if err != nil {
			t.Fatalf("the provider reported no CPU time: %v", err)
		}

		var provider time.Duration

		lines := strings.Fields(string(data))
		for _, f := range lines {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatal(err)
			}

			provider += time.Duration(n)
		}

		t.Logf("per process (user, system ns): %q", lines)
		t.Logf("run %d: plan wall %s, CPU of the whole run %s, of the provider (%d processes) %s: %.1f%%",
			run, res.wall.Round(time.Millisecond), res.cpu.Round(time.Millisecond), len(lines)/2,
			provider.Round(time.Millisecond), 100*float64(provider)/float64(res.cpu))
	}
}

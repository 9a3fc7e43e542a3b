package apply_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/apply"
	"github.com/talospatch/talospatch/talos"
)

// TestRealPerformanceVersusKubectl compares applying the rendered Cilium 1.18.12 manifest to an
// empty cluster with `kubectl create -f` of the same file: 5 runs each, interleaved, each on a
// fresh API server, median reported. The applier is timed in process (parsing the file,
// building the client from the kubeconfig, applying) and as a process (the examples/apply
// binary), like kubectl. It only reports the figures, it never fails on time. It runs only
// with TALOSPATCH_BENCH=1 (about two minutes):
//
//	TALOSPATCH_BENCH=1 go test -run TestRealPerformanceVersusKubectl -v ./manifests/apply/
func TestRealPerformanceVersusKubectl(t *testing.T) {
	if os.Getenv("TALOSPATCH_BENCH") != "1" {
		t.Skip("set TALOSPATCH_BENCH=1 to compare with kubectl")
	}

	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl is needed for the comparison")

	objs := renderCilium(t, filepath.Join(chartsDir(t), "cilium-1.18.12.tgz"))
	data, err := manifests.EncodeObjects(objs)
	require.NoError(t, err)

	file := filepath.Join(t.TempDir(), "cilium.yaml")
	require.NoError(t, os.WriteFile(file, data, 0o600))

	bin := filepath.Join(t.TempDir(), "apply")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "github.com/talospatch/talospatch/examples/apply")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	const runs = 5

	var ours, process, theirs []time.Duration

	for i := range runs {
		t.Run("", func(t *testing.T) {
			env := pool.Fresh(t)

			start := time.Now()

			raw, err := os.ReadFile(file)
			require.NoError(t, err)

			parsed, err := manifests.ParseObjects(raw)
			require.NoError(t, err)

			client, err := apply.NewClientFromKubeconfig(env.Kubeconfig)
			require.NoError(t, err)

			results, err := apply.Apply(t.Context(), client, parsed, apply.Options{})
			elapsed := time.Since(start)

			require.NoError(t, err)
			require.Len(t, results, len(objs))
			requireOutcomes(t, results, apply.OutcomeCreated)

			ours = append(ours, elapsed)
		})

		t.Run("", func(t *testing.T) {
			env := pool.Fresh(t)

			cmd := exec.CommandContext(t.Context(), bin, "-kubeconfig", env.Kubeconfig, "-f", file)

			start := time.Now()
			out, err := cmd.CombinedOutput()
			elapsed := time.Since(start)

			require.NoError(t, err, "%s", out)

			process = append(process, elapsed)
		})

		t.Run("", func(t *testing.T) {
			env := pool.Fresh(t)

			cmd := exec.CommandContext(t.Context(), kubectl, "--kubeconfig", env.Kubeconfig,
				"--cache-dir", t.TempDir(), "create", "-f", file)

			start := time.Now()
			out, err := cmd.CombinedOutput()
			elapsed := time.Since(start)

			require.NoError(t, err, "%s", out)

			theirs = append(theirs, elapsed)
		})

		t.Logf("run %d: applier %v, examples/apply %v, kubectl create %v", i+1,
			ours[i].Round(time.Millisecond), process[i].Round(time.Millisecond), theirs[i].Round(time.Millisecond))
	}

	// A measurement, not an assertion: wall time on a shared machine says nothing about
	// correctness, so the figures are reported for the notes and never fail the test.
	t.Logf("%d objects; median of %d: applier %v, examples/apply %v, kubectl create -f %v", len(objs), runs,
		median(ours).Round(time.Millisecond), median(process).Round(time.Millisecond), median(theirs).Round(time.Millisecond))

	if median(process) > median(theirs) {
		t.Logf("note: examples/apply took longer than kubectl create in this run")
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)

	return s[len(s)/2]
}

// TestRealSyncPerformanceVersusKubectl compares syncing Cilium 1.18.12 to 1.19.6 with Sync and
// with `kubectl apply --server-side --force-conflicts --field-manager talos` of the same
// manifest: 5 runs each, interleaved, each on a fresh API server where 1.18.12 was first
// created the same way; only the update is timed. Sync does more than that kubectl command (a
// dry run of every object first, staging, the inventory and its prune; kubectl's --prune needs
// a selector and is left out). It only reports the figures and runs only with
// TALOSPATCH_BENCH=1 (about two minutes):
//
//	TALOSPATCH_BENCH=1 go test -run TestRealSyncPerformanceVersusKubectl -v ./manifests/apply/
func TestRealSyncPerformanceVersusKubectl(t *testing.T) {
	if os.Getenv("TALOSPATCH_BENCH") != "1" {
		t.Skip("set TALOSPATCH_BENCH=1 to compare with kubectl")
	}

	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl is needed for the comparison")

	old, updated := renderCiliumStable(t, "1.18.12"), renderCiliumStable(t, "1.19.6")

	dir := t.TempDir()
	files := map[string]string{}

	for name, objs := range map[string][]*unstructured.Unstructured{"old": old, "new": updated} {
		data, err := manifests.EncodeObjects(objs)
		require.NoError(t, err)

		files[name] = filepath.Join(dir, name+".yaml")
		require.NoError(t, os.WriteFile(files[name], data, 0o600))
	}

	const runs = 5

	var ours, theirs []time.Duration

	for i := range runs {
		t.Run("", func(t *testing.T) {
			env := pool.Fresh(t)
			client, err := apply.NewClientFromKubeconfig(env.Kubeconfig)
			require.NoError(t, err)

			_, err = apply.Sync(t.Context(), client, old, apply.SyncOptions{Contract: talos.V1_14})
			require.NoError(t, err)

			start := time.Now()
			res, err := apply.Sync(t.Context(), client, updated, apply.SyncOptions{Contract: talos.V1_14})
			elapsed := time.Since(start)

			require.NoError(t, err)
			require.True(t, res.Changed())

			ours = append(ours, elapsed)
		})

		t.Run("", func(t *testing.T) {
			env := pool.Fresh(t)
			kubectlApply := func(file string) time.Duration {
				cmd := exec.CommandContext(t.Context(), kubectl, "--kubeconfig", env.Kubeconfig, "--cache-dir", t.TempDir(),
					"apply", "--server-side", "--force-conflicts", "--field-manager", "talos", "-f", file)

				start := time.Now()
				out, err := cmd.CombinedOutput()
				elapsed := time.Since(start)

				require.NoError(t, err, "%s", out)

				return elapsed
			}

			kubectlApply(files["old"])
			theirs = append(theirs, kubectlApply(files["new"]))
		})

		t.Logf("run %d: Sync %v, kubectl apply --server-side %v", i+1, ours[i].Round(time.Millisecond), theirs[i].Round(time.Millisecond))
	}

	t.Logf("Cilium 1.18.12 -> 1.19.6, %d objects; median of %d: Sync %v, kubectl apply --server-side %v (ratio %.2f)",
		len(updated), runs, median(ours).Round(time.Millisecond), median(theirs).Round(time.Millisecond),
		float64(median(ours))/float64(median(theirs)))
}

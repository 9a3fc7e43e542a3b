// Command apply applies a manifest to a cluster the way Talos applies inline manifests:
// create-only, never an update or a delete. It prints one line per object to stdout and exits
// with status 1 when any object failed (2 on usage errors), saying on stderr what failed.
//
//	go run ./examples/apply -kubeconfig FILE -f MANIFEST [-dry-run] [-inventory] [-timeout 5m]
//
// With -sync it instead updates the cluster to the manifest the way `talosctl upgrade-k8s`
// syncs edited inline manifests (server-side apply, inventory, prune; see apply.Sync); with
// -dry-run it prints what the sync would do, each update with its field diff:
//
//	go run ./examples/apply -sync -kubeconfig FILE -f MANIFEST [-dry-run] [-no-prune] [-contract v1.14]
//
//	configured apps/v1 DaemonSet kube-system/cilium
//	    ~ /spec/template/spec/containers/0/image: "quay.io/cilium/cilium:v1.18.12@..." -> "...v1.19.6@..."
//	3 created, 7 configured, 2 pruned, 18 unchanged (dry run)
//
// Output lines look like
//
//	apps/v1 DaemonSet kube-system/cilium: created
//	v1 ServiceAccount kube-system/cilium: exists
//	v1 ConfigMap x/cfg: failed: namespace "x" does not exist; add a v1 Namespace "x" ...
//
// and on stderr, when the API server cannot be reached,
//
//	apply: stopped at v1 ConfigMap x/cfg: the REST mapping of its kind (API discovery) failed: Get "https://...": ... connection refused
//	apply: 1 of 3 objects failed, 2 not attempted
//
// client-go's own log lines (klog) are discarded: the command reports every failure itself.
// Warnings the API server sends (deprecated APIs, for example) go to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/talospatch/talospatch/internal/examplefiles"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/apply"
	"github.com/talospatch/talospatch/talos"
)

func main() {
	quietClientGo(os.Stderr)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// quietClientGo discards client-go's klog output, such as "Couldn't get current server API
// group list" from the discovery client, which would repeat on stderr the errors run reports
// itself, and sends the API server's warnings to stderr instead of through klog. It sets
// process-wide state, so the command calls it, never library code.
func quietClientGo(stderr io.Writer) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)

	for name, value := range map[string]string{
		"logtostderr":     "false", // write to the outputs below, not to stderr ...
		"alsologtostderr": "false",
		"stderrthreshold": "FATAL", // ... not even for errors
		"v":               "0",
	} {
		if err := fs.Set(name, value); err != nil {
			panic(fmt.Sprintf("klog flag -%s: %v", name, err))
		}
	}

	klog.SetOutput(io.Discard)
	rest.SetDefaultWarningHandler(rest.NewWarningWriter(stderr, rest.WarningWriterOptions{Deduplicate: true}))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(stderr)

	kubeconfig := fs.String("kubeconfig", "", "kubeconfig `file` of the cluster; its current context is used (required)")
	file := fs.String("f", "", "manifest `file`, multi-document YAML; - reads stdin (required)")
	dryRun := fs.Bool("dry-run", false, "server-side dry run: report what would be created, write nothing")
	inventory := fs.Bool("inventory", false, "Talos 1.13 inventory mode (ConfigMap kube-system/talos-bootstrap-manifests-inventory)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this `duration`")
	sync := fs.Bool("sync", false, "update the cluster to the manifest like talosctl upgrade-k8s: server-side apply, inventory, prune")
	noPrune := fs.Bool("no-prune", false, "with -sync: keep objects that left the manifest (upgrade-k8s --manifests-no-prune)")
	contract := talos.V1_14
	fs.TextVar(&contract, "contract", contract, "with -sync: the Talos version contract the nodes run, v1.13 or v1.14 (selects upgrade-k8s's stages)")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h: the usage is printed
		}

		return 2
	}

	if *kubeconfig == "" || *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: apply -kubeconfig FILE -f MANIFEST [-dry-run] [-inventory] [-timeout 5m]")
		fmt.Fprintln(stderr, "       apply -sync -kubeconfig FILE -f MANIFEST [-dry-run] [-no-prune] [-contract v1.14] [-timeout 5m]")

		return 2
	}

	if *sync && *inventory {
		fmt.Fprintln(stderr, "apply: -sync always uses the inventory; leave out -inventory")

		return 2
	}

	// An interrupt or the timeout ends the command, the read of the manifest included (a named
	// pipe nobody writes).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	data, err := examplefiles.ReadInput(ctx, *file, os.Stdin, examplefiles.MaxManifestInput)
	if err != nil {
		fmt.Fprintln(stderr, "apply:", err)

		return 2
	}

	objs, err := manifests.ParseObjects(data)
	if err != nil {
		fmt.Fprintln(stderr, "apply:", err)

		return 2
	}

	client, err := apply.NewClientFromKubeconfig(*kubeconfig)
	if err != nil {
		fmt.Fprintln(stderr, "apply:", err)

		return 2
	}

	if *sync {
		return runSync(ctx, client, objs, apply.SyncOptions{DryRun: *dryRun, NoPrune: *noPrune, Contract: contract}, stdout, stderr)
	}

	results, err := apply.Apply(ctx, client, objs, apply.Options{DryRun: *dryRun, Inventory: *inventory})

	for _, r := range results {
		fmt.Fprintln(stdout, line(r))
	}

	if err != nil {
		for _, l := range errorLines(results, err) {
			fmt.Fprintln(stderr, l)
		}

		return 1
	}

	return 0
}

// runSync syncs objs and prints what changed (or would change): every created, configured and
// pruned object, updates with their field diffs, and a summary line. It returns 1 when the sync
// failed, saying on stderr what failed and whether anything was applied.
func runSync(ctx context.Context, client apply.Client, objs []*unstructured.Unstructured, opts apply.SyncOptions, stdout, stderr io.Writer) int {
	res, err := apply.Sync(ctx, client, objs, opts)
	if res != nil {
		fmt.Fprintln(stdout, res)
	}

	if err != nil {
		fmt.Fprintln(stderr, "apply:", err)

		return 1
	}

	return 0
}

// errorLines says on stderr what failed: the object that stopped the pass and why, and how many
// objects failed and were not attempted; or, for an error about no object (the inventory
// ConfigMap, for example), the error.
func errorLines(results []apply.Result, err error) []string {
	var (
		lines                []string
		failed, notAttempted int
	)

	for _, r := range results {
		switch r.Outcome {
		case apply.OutcomeFailed:
			failed++

			var oe *apply.ObjectError
			if errors.As(r.Err, &oe) && oe.Aborted {
				lines = append(lines, fmt.Sprintf("apply: stopped at %s: %s failed: %v", oe.Ref, operation(oe.Op), oe.Err))
			}
		case apply.OutcomeNotAttempted:
			notAttempted++
		}
	}

	if failed == 0 { // not about one object
		return []string{"apply: " + strings.TrimPrefix(err.Error(), "apply: ")}
	}

	summary := fmt.Sprintf("apply: %d of %s failed", failed, count(len(results), "object"))
	if notAttempted > 0 {
		summary += fmt.Sprintf(", %d not attempted", notAttempted)
	}

	return append(lines, summary)
}

// operation describes an ObjectError's Op.
func operation(op string) string {
	switch op {
	case apply.OpMap:
		return "the REST mapping of its kind (API discovery)"
	case apply.OpGet:
		return "the existence check (GET)"
	case apply.OpCreate:
		return "the create"
	case apply.OpApply:
		return "the server-side apply"
	default:
		return op
	}
}

// count returns "1 object", "2 objects".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}

	return fmt.Sprintf("%d %ss", n, noun)
}

// line formats one result as "<ref>: <status>", where status is created, exists,
// in-inventory, not-attempted, "unverified: <why>" or "failed: <reason>".
func line(r apply.Result) string {
	switch r.Outcome {
	case apply.OutcomeFailed:
		reason := r.Err

		var oe *apply.ObjectError
		if errors.As(r.Err, &oe) {
			reason = oe.Err
		}

		return fmt.Sprintf("%s: failed: %v", r.Ref, reason)
	case apply.OutcomeUnverified:
		return fmt.Sprintf("%s: unverified: %v", r.Ref, r.Err)
	default:
		return fmt.Sprintf("%s: %s", r.Ref, r.Outcome)
	}
}

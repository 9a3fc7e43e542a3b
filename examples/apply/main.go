// Command apply applies a manifest to a cluster the way Talos applies inline manifests:
// create-only, never an update or a delete. It prints one line per object and exits with
// status 1 when any object failed (2 on usage errors).
//
//	go run ./examples/apply -kubeconfig FILE -f MANIFEST [-dry-run] [-inventory]
//
// Output lines look like
//
//	apps/v1 DaemonSet kube-system/cilium: created
//	v1 ServiceAccount kube-system/cilium: exists
//	v1 ConfigMap x/cfg: failed: namespace "x" does not exist; add a v1 Namespace "x" ...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/apply"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(stderr)

	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file of the cluster (required)")
	file := fs.String("f", "", "manifest file, multi-document YAML; - reads stdin (required)")
	dryRun := fs.Bool("dry-run", false, "server-side dry run: report what would be created, write nothing")
	inventory := fs.Bool("inventory", false, "Talos 1.13 inventory mode (ConfigMap kube-system/talos-bootstrap-manifests-inventory)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")

	if err := fs.Parse(args); err != nil {
		return 2
	}

	if *kubeconfig == "" || *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: apply -kubeconfig FILE -f MANIFEST [-dry-run] [-inventory]")

		return 2
	}

	var (
		data []byte
		err  error
	)

	if *file == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(*file)
	}

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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	results, err := apply.Apply(ctx, client, objs, apply.Options{DryRun: *dryRun, Inventory: *inventory})

	failed := false
	for _, r := range results {
		fmt.Fprintln(stdout, line(r))
		failed = failed || r.Outcome == apply.Failed
	}

	if err != nil {
		if !failed { // not about one object, for example the inventory ConfigMap
			fmt.Fprintln(stderr, "apply:", err)
		}

		return 1
	}

	return 0
}

// line formats one result as "<ref>: <status>", where status is created, exists,
// in-inventory, not-attempted, "unverified: <why>" or "failed: <reason>".
func line(r apply.Result) string {
	switch r.Outcome {
	case apply.Failed:
		reason := r.Err

		var oe *apply.ObjectError
		if errors.As(r.Err, &oe) {
			reason = oe.Err
		}

		return fmt.Sprintf("%s: failed: %v", r.Ref, reason)
	case apply.Unverified:
		return fmt.Sprintf("%s: unverified: %v", r.Ref, r.Err)
	default:
		return fmt.Sprintf("%s: %s", r.Ref, r.Outcome)
	}
}

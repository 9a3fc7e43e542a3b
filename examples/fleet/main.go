// Command fleet generates the machine configs of a whole Talos fleet with Cilium and KubeSpan:
// one cluster named "fleet" (endpoint https://fleet.example:6443) with CNI none and kube-proxy
// disabled on every node, KubeSpan (the v1.13 KubeSpanConfig document) and cluster discovery on,
// and Cilium rendered once from a chart archive with Talos's values and inlined as manifest
// "cilium" into the control-plane configs. Every node gets a patch setting the node label
// example.com/node to its name and its certificate SANs to [10.0.<i/250>.<i%250+1>], where i
// counts the control planes (cp-<i>) then the workers (worker-<j>). It writes DIR/<name>.yaml
// per node, without comments, and prints one line saying how many.
//
//	go run ./examples/fleet -chart FILE -out DIR [-secrets FILE] [-controlplanes 3] [-workers 100] \
//	    [-kubernetes 1.37.0] [-contract v1.14] [-deterministic]
//
// Without -secrets a new secrets bundle is created and written as DIR/secrets.yaml (an existing
// one is never replaced); with -secrets the configs use that bundle. With -deterministic
// Hubble's certificates are made in the cluster (a cronJob) instead of during the render, so the
// same inputs (and -secrets) give the same bytes on every run. The role configs are validated
// (config.Validate, cloud runtime mode: metal also needs an install disk, which this fleet leaves
// to a patch); warnings and errors go to standard error, and an error exits with status 1 (2 for
// a flag that does not parse).
//
// The output equals what machinery's bundle.NewBundle, configpatcher per node and `helm
// template` give for the same job (see fleet_test.go), several times faster: see bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/examplefiles"
	"github.com/talospatch/talospatch/talos"
)

type options struct {
	chart, secrets, out, kubernetes string
	contract                        talos.Contract
	controlPlanes, workers          int
	deterministic                   bool
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}

	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(2)
	}

	tuneGC()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

// parseFlags parses the command line.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{contract: talos.V1_14}

	fset := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.StringVar(&o.chart, "chart", "", "Cilium chart `path`: an archive (.tgz) or a chart directory (required)")
	fset.StringVar(&o.secrets, "secrets", "", examplefiles.SecretsUsage)
	fset.StringVar(&o.out, "out", "", "output `directory`, one <name>.yaml per node (required)")
	fset.IntVar(&o.controlPlanes, "controlplanes", 3, "`number` of control-plane nodes")
	fset.IntVar(&o.workers, "workers", 100, "`number` of worker nodes")
	fset.StringVar(&o.kubernetes, "kubernetes", "1.37.0", examplefiles.KubernetesUsage)
	fset.TextVar(&o.contract, "contract", o.contract, examplefiles.ContractUsage())
	fset.BoolVar(&o.deterministic, "deterministic", false, examplefiles.DeterministicUsage)

	if err := fset.Parse(args); err != nil {
		return options{}, err
	}

	if fset.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %q", fset.Args())
	}

	return o, nil
}

// gcMemoryLimit is the Go memory (heap, stacks, runtime) at which the fleet's garbage is
// collected.
const gcMemoryLimit = 28 << 20

// tuneGC makes the garbage collector run only when the program's memory nears gcMemoryLimit
// instead of every time the heap doubles, unless GOGC or GOMEMLIMIT say otherwise. The program
// is a short batch job whose live heap stays well below the limit (the render's peak is about
// 15 MiB): with the default it collects a dozen times for nothing; this way it is faster and its
// peak RSS is lower, because the heap no longer overshoots while the render allocates quickly.
// (Were the live heap ever to reach the limit, Go caps the collector at half the CPU.)
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}

	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(gcMemoryLimit)
}

// run builds the fleet into o.out and prints a summary line to stdout; warnings go to stderr.
// A new secrets bundle (no -secrets) is written only once every node config is.
func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	if o.chart == "" || o.out == "" {
		return errors.New("-chart and -out are required")
	}

	var secrets, created []byte

	if o.secrets != "" {
		// The bytes as they are: the build parses them once (stage "role config").
		data, err := examplefiles.ReadInput(ctx, o.secrets, os.Stdin, examplefiles.MaxSecretsInput)
		if err != nil {
			return err
		}

		secrets = data
	} else {
		_, data, err := examplefiles.LoadOrCreateSecrets(ctx, "", o.out, o.contract)
		if err != nil {
			return err
		}

		secrets, created = data, data
	}

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}

	f := fleet{
		chartPath:     o.chart,
		secrets:       secrets,
		controlPlanes: o.controlPlanes,
		workers:       o.workers,
		kubernetes:    o.kubernetes,
		contract:      o.contract.String(),
		deterministic: o.deterministic,
		warn: func(r config.Role, w talos.Warning) {
			fmt.Fprintf(stderr, "fleet: warning: %s config: %s\n", r, w)
		},
	}

	err := build(ctx, f, func(_ int, name string, data []byte) error {
		return examplefiles.WriteFile(filepath.Join(o.out, name+".yaml"), data, 0o600, false)
	})
	if err != nil {
		return err
	}

	if created != nil {
		if err := examplefiles.WriteNewSecrets(o.out, created, stdout); err != nil {
			return err
		}
	}

	fmt.Fprintln(stdout, summary(o))

	return nil
}

// summary is the line run prints on success: "wrote 103 node configs to DIR (3 control planes,
// 100 workers)".
func summary(o options) string {
	return fmt.Sprintf("wrote %s to %s (%s, %s)", count(o.controlPlanes+o.workers, "node config"), o.out,
		count(o.controlPlanes, "control plane"), count(o.workers, "worker"))
}

// count returns "1 worker", "2 workers".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}

	return fmt.Sprintf("%d %ss", n, noun)
}

// Command fleet generates the machine configs of a whole Talos fleet with Cilium and KubeSpan:
// one cluster named "fleet" (endpoint https://fleet.example:6443) with CNI none and kube-proxy
// disabled on every node, KubeSpan (the v1.13 KubeSpanConfig document) and cluster discovery on,
// and Cilium rendered once from a chart archive with Talos's values and inlined as manifest
// "cilium" into the control-plane configs. Every node gets a patch setting the node label
// example.com/node to its name and its certificate SANs to [10.0.<i/250>.<i%250+1>], where i
// counts the control planes (cp-<i>) then the workers (worker-<j>). It writes DIR/<name>.yaml
// per node, without comments.
//
//	go run ./examples/fleet -chart FILE -secrets FILE -out DIR [-controlplanes 3] [-workers 100] \
//	    [-kubernetes 1.37.0] [-talos v1.14] [-deterministic]
//
// With -deterministic Hubble's certificates are made in the cluster (a cronJob) instead of during
// the render, so the same inputs give the same bytes on every run. The role configs are
// validated (config.Validate, cloud runtime mode: metal also needs an install disk, which this
// fleet leaves to a patch); warnings go to standard error.
//
// The output equals what machinery's bundle.NewBundle, configpatcher per node and `helm
// template` give for the same job (see fleet_test.go), several times faster: see bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

type options struct {
	chart, secrets, out, kubernetes, talos string
	controlPlanes, workers                 int
	deterministic                          bool
}

func main() {
	var o options

	flag.StringVar(&o.chart, "chart", "", "Cilium chart archive (.tgz) or chart directory")
	flag.StringVar(&o.secrets, "secrets", "", "Talos secrets bundle (talosctl gen secrets)")
	flag.StringVar(&o.out, "out", "", "output directory, one <name>.yaml per node")
	flag.IntVar(&o.controlPlanes, "controlplanes", 3, "number of control-plane nodes")
	flag.IntVar(&o.workers, "workers", 100, "number of worker nodes")
	flag.StringVar(&o.kubernetes, "kubernetes", "1.37.0", "Kubernetes version")
	flag.StringVar(&o.talos, "talos", "v1.14", "Talos version contract")
	flag.BoolVar(&o.deterministic, "deterministic", false, "make Hubble's certificates in the cluster (cronJob): reproducible output")
	flag.Parse()

	tuneGC()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
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

func run(ctx context.Context, o options) error {
	if o.chart == "" || o.secrets == "" || o.out == "" {
		return errors.New("-chart, -secrets and -out are required")
	}

	secrets, err := os.ReadFile(o.secrets)
	if err != nil {
		return err
	}

	if err = os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}

	f := fleet{
		chartPath:     o.chart,
		secrets:       secrets,
		controlPlanes: o.controlPlanes,
		workers:       o.workers,
		kubernetes:    o.kubernetes,
		talos:         o.talos,
		deterministic: o.deterministic,
		warn: func(r config.Role, w talos.Warning) {
			fmt.Fprintf(os.Stderr, "fleet: warning: %s config: %s\n", r, w)
		},
	}

	return build(ctx, f, func(_ int, name string, data []byte) error {
		return os.WriteFile(filepath.Join(o.out, name+".yaml"), data, 0o644)
	})
}

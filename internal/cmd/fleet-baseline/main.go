// Command fleet-baseline builds the same fleet as examples/fleet the way it is done today,
// without talospatch: the helm CLI renders Cilium as a separate process ("helm template"),
// machinery's bundle.NewBundle generates the role configs (what "talosctl gen config" calls) with
// the CNI, kube-proxy and inline-manifest patches, and configpatcher applies one strategic merge
// patch per node (see internal/bench/baseline).
//
// It is the denominator of the fleet benchmarks (bench/fleet.sh). It takes the same flags as
// examples/fleet, plus -helm:
//
//	go run ./internal/cmd/fleet-baseline -chart FILE -secrets FILE -out DIR \
//	    [-controlplanes 3] [-workers 100] [-kubernetes 1.37.0] [-talos v1.14] [-deterministic] [-helm PATH]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/talospatch/talospatch/internal/bench/baseline"
)

type options struct {
	chart, secrets, out, kubernetes, talos, helm string
	controlPlanes, workers                       int
	deterministic                                bool
}

func main() {
	var o options

	flag.StringVar(&o.chart, "chart", "", "Cilium chart archive (.tgz)")
	flag.StringVar(&o.secrets, "secrets", "", "Talos secrets bundle (secrets.yaml)")
	flag.StringVar(&o.out, "out", "", "output directory, one <name>.yaml per node")
	flag.IntVar(&o.controlPlanes, "controlplanes", 3, "number of control-plane nodes")
	flag.IntVar(&o.workers, "workers", 100, "number of worker nodes")
	flag.StringVar(&o.kubernetes, "kubernetes", "1.37.0", "Kubernetes version")
	flag.StringVar(&o.talos, "talos", "v1.14", "Talos version contract")
	flag.BoolVar(&o.deterministic, "deterministic", false, "render Hubble TLS by cronJob so that the output is reproducible")
	flag.StringVar(&o.helm, "helm", "helm", "helm CLI (v3.22) to run")
	flag.Parse()

	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "fleet-baseline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.chart == "" || o.secrets == "" || o.out == "" {
		return errors.New("-chart, -secrets and -out are required")
	}

	cilium, err := baseline.HelmTemplate(ctx, o.helm, o.chart, o.kubernetes, o.deterministic)
	if err != nil {
		return err
	}

	contract, err := config.ParseContractFromVersion(o.talos)
	if err != nil {
		return fmt.Errorf("parse -talos: %w", err)
	}

	secretsBundle, err := secrets.LoadBundle(o.secrets)
	if err != nil {
		return fmt.Errorf("load secrets: %w", err)
	}

	nodes, err := baseline.Build(baseline.Fleet{
		ControlPlanes: o.controlPlanes,
		Workers:       o.workers,
		Kubernetes:    o.kubernetes,
		Contract:      contract,
		Secrets:       secretsBundle,
		Cilium:        cilium,
	})
	if err != nil {
		return err
	}

	if err = os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}

	for _, n := range nodes {
		if err = os.WriteFile(filepath.Join(o.out, n.Name+".yaml"), n.Config, 0o644); err != nil {
			return err
		}
	}

	return nil
}

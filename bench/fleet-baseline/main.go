// Command fleet-baseline builds the same fleet as examples/fleet the way it is done today,
// without talospatch: the helm CLI renders Cilium as a separate process ("helm template"),
// machinery's bundle.NewBundle generates the role configs (what "talosctl gen config" calls) with
// the CNI, kube-proxy and inline-manifest patches, and configpatcher applies one strategic merge
// patch per node (see bench/baseline).
//
// It is the denominator of the fleet benchmarks (bench/fleet.sh). It takes the same flags as
// examples/fleet, plus -helm, except that -secrets is required (it creates no bundle) and it
// prints nothing on success:
//
//	go run ./bench/fleet-baseline -chart FILE -secrets FILE -out DIR \
//	    [-controlplanes 3] [-workers 100] [-kubernetes 1.37.0] [-contract v1.14] [-deterministic] [-helm PATH]
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

	"github.com/talospatch/talospatch/bench/baseline"
)

type options struct {
	chart, secrets, out, kubernetes, contract, helm string
	controlPlanes, workers                          int
	deterministic                                   bool
}

func main() {
	var o options

	// The usages are examples/fleet's (internal/examplefiles; -secrets is required here),
	// written out: this program links nothing of talospatch but bench/baseline.
	flag.StringVar(&o.chart, "chart", "", "Cilium chart `path`: an archive (.tgz) or a chart directory (required)")
	flag.StringVar(&o.secrets, "secrets", "", "secrets bundle `file` in talosctl gen secrets format (required)")
	flag.StringVar(&o.out, "out", "", "output `directory`, one <name>.yaml per node (required)")
	flag.IntVar(&o.controlPlanes, "controlplanes", 3, "`number` of control-plane nodes")
	flag.IntVar(&o.workers, "workers", 100, "`number` of worker nodes")
	flag.StringVar(&o.kubernetes, "kubernetes", "1.37.0", "Kubernetes `version` of the cluster: the configs' and the one Cilium is rendered for")
	flag.StringVar(&o.contract, "contract", "v1.14", "Talos version `contract` the nodes run")
	flag.BoolVar(&o.deterministic, "deterministic", false, "make Hubble's certificates in the cluster (hubble.tls.auto.method=cronJob) instead of during the render, so the render has no Secrets and is byte-identical on every run")
	flag.StringVar(&o.helm, "helm", "helm", "helm CLI `path` (v3.22) to run")
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

	contract, err := config.ParseContractFromVersion(o.contract)
	if err != nil {
		return fmt.Errorf("parse -contract: %w", err)
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
		if err = os.WriteFile(filepath.Join(o.out, n.Name+".yaml"), n.Config, 0o600); err != nil {
			return err
		}
	}

	return nil
}

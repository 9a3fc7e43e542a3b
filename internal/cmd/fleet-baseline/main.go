// Command fleet-baseline builds the same fleet as examples/fleet the way it is done today,
// without talospatch: the helm CLI renders Cilium as a separate process ("helm template"),
// machinery's bundle.NewBundle generates the role configs (what "talosctl gen config" calls) with
// the CNI, kube-proxy and inline-manifest patches, and configpatcher applies one strategic merge
// patch per node.
//
// It is the reference for the equality test of examples/fleet and the denominator of the fleet
// benchmarks (bench/fleet.sh). It takes the same flags as examples/fleet, plus -helm:
//
//	go run ./internal/cmd/fleet-baseline -chart FILE -secrets FILE -out DIR \
//	    [-controlplanes 3] [-workers 100] [-kubernetes 1.35.0] [-talos v1.13] [-deterministic] [-helm PATH]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/bundle"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"sigs.k8s.io/yaml"
)

const (
	clusterName = "fleet"
	endpoint    = "https://fleet.example:6443"
	release     = "cilium"
	namespace   = "kube-system"
)

// ciliumValues are the Talos values for Cilium (kube-proxy disabled, KubePrism on 7445) as
// "helm template --set" arguments.
var ciliumValues = []string{
	"ipam.mode=kubernetes",
	"kubeProxyReplacement=true",
	"securityContext.capabilities.ciliumAgent={CHOWN,KILL,NET_ADMIN,NET_RAW,IPC_LOCK,SYS_ADMIN,SYS_RESOURCE,DAC_OVERRIDE,FOWNER,SETGID,SETUID}",
	"securityContext.capabilities.cleanCiliumState={NET_ADMIN,SYS_ADMIN,SYS_RESOURCE}",
	"cgroup.autoMount.enabled=false",
	"cgroup.hostRoot=/sys/fs/cgroup",
	"k8sServiceHost=localhost",
	"k8sServicePort=7445",
}

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
	flag.StringVar(&o.kubernetes, "kubernetes", "1.35.0", "Kubernetes version")
	flag.StringVar(&o.talos, "talos", "v1.13", "Talos version contract")
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

	if o.controlPlanes < 1 || o.workers < 0 {
		return fmt.Errorf("need at least one control plane and no negative worker count, got %d and %d", o.controlPlanes, o.workers)
	}

	cilium, err := helmTemplate(ctx, o)
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

	common, err := configpatcher.LoadPatch([]byte("cluster:\n  network:\n    cni:\n      name: none\n  proxy:\n    disabled: true\n"))
	if err != nil {
		return fmt.Errorf("load common patch: %w", err)
	}

	inline, err := inlineManifestPatch(release, cilium)
	if err != nil {
		return err
	}

	b, err := bundle.NewBundle(
		bundle.WithVerbose(false),
		bundle.WithInputOptions(&bundle.InputOptions{
			ClusterName: clusterName,
			Endpoint:    endpoint,
			KubeVersion: strings.TrimPrefix(o.kubernetes, "v"),
			GenOptions: []generate.Option{
				generate.WithVersionContract(contract),
				generate.WithSecretsBundle(secretsBundle),
				generate.WithClusterDiscovery(true),
				generate.WithKubeSpanEnabled(true),
			},
		}),
		bundle.WithPatch([]configpatcher.Patch{common}),
		bundle.WithPatchControlPlane([]configpatcher.Patch{inline}),
	)
	if err != nil {
		return fmt.Errorf("generate bundle: %w", err)
	}

	if err = os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}

	for i := range o.controlPlanes + o.workers {
		role, name := b.ControlPlane(), fmt.Sprintf("cp-%d", i)
		if i >= o.controlPlanes {
			role, name = b.Worker(), fmt.Sprintf("worker-%d", i-o.controlPlanes)
		}

		if err = writeNode(o.out, name, i, role); err != nil {
			return err
		}
	}

	return nil
}

// helmTemplate runs "helm template" as a process and returns its output.
func helmTemplate(ctx context.Context, o options) ([]byte, error) {
	args := []string{
		"template", release, o.chart,
		"--namespace", namespace,
		"--kube-version", strings.TrimPrefix(o.kubernetes, "v"),
	}

	values := ciliumValues
	if o.deterministic {
		values = append(values[:len(values):len(values)], "hubble.tls.auto.method=cronJob")
	}

	for _, v := range values {
		args = append(args, "--set", v)
	}

	var stdout, stderr bytes.Buffer

	cmd := exec.CommandContext(ctx, o.helm, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("helm template: %w: %s", err, strings.TrimSpace(stderr.String()))
	}

	return stdout.Bytes(), nil
}

// inlineManifestPatch is the strategic merge patch a user writes to inline a manifest.
func inlineManifestPatch(name string, contents []byte) (configpatcher.Patch, error) {
	text, err := yaml.Marshal(map[string]any{
		"cluster": map[string]any{
			"inlineManifests": []map[string]string{{"name": name, "contents": string(contents)}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("marshal inline manifest patch: %w", err)
	}

	p, err := configpatcher.LoadPatch(text)
	if err != nil {
		return nil, fmt.Errorf("load inline manifest patch: %w", err)
	}

	return p, nil
}

// writeNode applies the node's patch to its role config and writes DIR/<name>.yaml.
func writeNode(dir, name string, i int, role config.Provider) error {
	text := fmt.Sprintf("machine:\n  nodeLabels:\n    example.com/node: %s\n  certSANs:\n    - 10.0.%d.%d\n", name, i/250, i%250+1)

	p, err := configpatcher.LoadPatch([]byte(text))
	if err != nil {
		return fmt.Errorf("load patch of %s: %w", name, err)
	}

	out, err := configpatcher.Apply(configpatcher.WithConfig(role), []configpatcher.Patch{p})
	if err != nil {
		return fmt.Errorf("patch %s: %w", name, err)
	}

	cfg, err := out.Config()
	if err != nil {
		return fmt.Errorf("patch %s: %w", name, err)
	}

	data, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}

	return os.WriteFile(filepath.Join(dir, name+".yaml"), data, 0o644)
}

// Package baseline builds a fleet's node configs the way it is done today, without talospatch:
// the helm CLI renders Cilium as a separate process ("helm template"), machinery's
// bundle.NewBundle generates the role configs (what "talosctl gen config" calls) with the CNI,
// kube-proxy and inline-manifest patches, and configpatcher applies one strategic merge patch per
// node, encoded with comments off.
//
// It is the reference of the examples/fleet equality test and the denominator of the fleet
// benchmarks (bench/fleet-baseline, bench/fleet.sh). It deliberately uses nothing of
// talospatch. It lives under bench/ with the programs that use it and is not part of the
// library's API: it changes whenever the benchmark does.
package baseline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/bundle"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"sigs.k8s.io/yaml"
)

// The fleet's fixed parameters (issue 7).
const (
	ClusterName = "fleet"
	Endpoint    = "https://fleet.example:6443"
	Release     = "cilium"
	Namespace   = "kube-system"
)

// CiliumValues are the Talos values for Cilium without kube-proxy (KubePrism on localhost:7445),
// as "helm template --set" arguments.
var CiliumValues = []string{
	"ipam.mode=kubernetes",
	"kubeProxyReplacement=true",
	"securityContext.capabilities.ciliumAgent={CHOWN,KILL,NET_ADMIN,NET_RAW,IPC_LOCK,SYS_ADMIN,SYS_RESOURCE,DAC_OVERRIDE,FOWNER,SETGID,SETUID}",
	"securityContext.capabilities.cleanCiliumState={NET_ADMIN,SYS_ADMIN,SYS_RESOURCE}",
	"cgroup.autoMount.enabled=false",
	"cgroup.hostRoot=/sys/fs/cgroup",
	"k8sServiceHost=localhost",
	"k8sServicePort=7445",
}

// DeterministicValue makes the Cilium render reproducible: Hubble certificates are made in the
// cluster by a CronJob instead of at render time.
const DeterministicValue = "hubble.tls.auto.method=cronJob"

// Node is one node's machine config.
type Node struct {
	Name   string // cp-<i> or worker-<j>
	Config []byte // multi-document YAML, comments off
}

// Fleet describes the fleet to build.
type Fleet struct {
	ControlPlanes, Workers int
	Kubernetes             string // Kubernetes version, e.g. "1.35.0"
	Contract               *config.VersionContract
	Secrets                *secrets.Bundle
	// Cilium is the manifest inlined as "cilium" into the control-plane configs.
	Cilium []byte
}

// NodeName returns the name of node i, counting control planes then workers.
func NodeName(i, controlPlanes int) string {
	if i < controlPlanes {
		return fmt.Sprintf("cp-%d", i)
	}

	return fmt.Sprintf("worker-%d", i-controlPlanes)
}

// NodeAddress returns node i's certificate SAN, 10.0.<i/250>.<i%250+1>.
func NodeAddress(i int) string {
	return fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)
}

// HelmTemplate runs "helm template" (the helm binary at path helm) for Cilium from the chart
// archive at chart and returns its standard output.
func HelmTemplate(ctx context.Context, helm, chart, kubernetes string, deterministic bool) ([]byte, error) {
	args := []string{
		"template", Release, chart,
		"--namespace", Namespace,
		"--kube-version", strings.TrimPrefix(kubernetes, "v"),
	}

	values := CiliumValues
	if deterministic {
		values = append(values[:len(values):len(values)], DeterministicValue)
	}

	for _, v := range values {
		args = append(args, "--set", v)
	}

	var stdout, stderr bytes.Buffer

	cmd := exec.CommandContext(ctx, helm, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("helm template: %w: %s", err, strings.TrimSpace(stderr.String()))
	}

	return stdout.Bytes(), nil
}

// Build generates every node's config: bundle.NewBundle, then configpatcher per node.
func Build(f Fleet) ([]Node, error) {
	if f.ControlPlanes < 1 || f.Workers < 0 {
		return nil, fmt.Errorf("build fleet: need at least one control plane and no negative worker count, got %d and %d", f.ControlPlanes, f.Workers)
	}

	if f.Contract == nil || f.Secrets == nil {
		return nil, errors.New("build fleet: contract and secrets are required")
	}

	// What a user writes for each contract: v1alpha1 fields up to v1.13; on v1.14 the flannel
	// document deleted for every node, and kube-proxy disabled with the Cilium manifest as
	// documents in the control-plane patch (both control-plane only).
	documents := f.Contract.MultidocKubernetesConfigSupported()

	commonText, cpText := "cluster:\n  network:\n    cni:\n      name: none\n  proxy:\n    disabled: true\n", ""
	if documents {
		commonText = "apiVersion: v1alpha1\nkind: KubeFlannelCNIConfig\n$patch: delete\n"
		cpText = "apiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n"
	}

	common, err := configpatcher.LoadPatch([]byte(commonText))
	if err != nil {
		return nil, fmt.Errorf("load common patch: %w", err)
	}

	inline, err := inlineManifestPatch(Release, f.Cilium, documents, cpText)
	if err != nil {
		return nil, err
	}

	b, err := bundle.NewBundle(
		bundle.WithVerbose(false),
		bundle.WithInputOptions(&bundle.InputOptions{
			ClusterName: ClusterName,
			Endpoint:    Endpoint,
			KubeVersion: strings.TrimPrefix(f.Kubernetes, "v"),
			GenOptions: []generate.Option{
				generate.WithVersionContract(f.Contract),
				generate.WithSecretsBundle(f.Secrets),
				generate.WithClusterDiscovery(true),
				generate.WithKubeSpanEnabled(true),
			},
		}),
		bundle.WithPatch([]configpatcher.Patch{common}),
		bundle.WithPatchControlPlane([]configpatcher.Patch{inline}),
	)
	if err != nil {
		return nil, fmt.Errorf("generate bundle: %w", err)
	}

	nodes := make([]Node, 0, f.ControlPlanes+f.Workers)

	for i := range f.ControlPlanes + f.Workers {
		role := b.ControlPlane()
		if i >= f.ControlPlanes {
			role = b.Worker()
		}

		name := NodeName(i, f.ControlPlanes)

		data, err := nodeConfig(role, name, NodeAddress(i), documents)
		if err != nil {
			return nil, err
		}

		nodes = append(nodes, Node{Name: name, Config: data})
	}

	return nodes, nil
}

// inlineManifestPatch is the strategic merge patch a user writes to inline a manifest
// (cluster.inlineManifests, or on v1.14 a KubeInlineManifestConfig document after the other
// control-plane documents in prefix).
func inlineManifestPatch(name string, contents []byte, documents bool, prefix string) (configpatcher.Patch, error) {
	doc := map[string]any{
		"cluster": map[string]any{
			"inlineManifests": []map[string]string{{"name": name, "contents": string(contents)}},
		},
	}
	if documents {
		doc = map[string]any{"apiVersion": "v1alpha1", "kind": "KubeInlineManifestConfig", "name": name, "manifest": string(contents)}
	}

	text, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("marshal inline manifest patch: %w", err)
	}

	if prefix != "" {
		text = append([]byte(prefix+"---\n"), text...)
	}

	p, err := configpatcher.LoadPatch(text)
	if err != nil {
		return nil, fmt.Errorf("load inline manifest patch: %w", err)
	}

	return p, nil
}

// nodeConfig applies the node's patch, as a user writes it, to its role config: the label in
// machine.nodeLabels, or on v1.14 in the KubeNodeConfig document.
func nodeConfig(role config.Provider, name, address string, documents bool) ([]byte, error) {
	text := fmt.Sprintf("machine:\n  nodeLabels:\n    example.com/node: %s\n  certSANs:\n    - %s\n", name, address)
	if documents {
		text = fmt.Sprintf("machine:\n  certSANs:\n    - %s\n---\napiVersion: v1alpha1\nkind: KubeNodeConfig\nlabels:\n  example.com/node: %s\n", address, name)
	}

	p, err := configpatcher.LoadPatch([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("load patch of %s: %w", name, err)
	}

	out, err := configpatcher.Apply(configpatcher.WithConfig(role), []configpatcher.Patch{p})
	if err != nil {
		return nil, fmt.Errorf("patch %s: %w", name, err)
	}

	cfg, err := out.Config()
	if err != nil {
		return nil, fmt.Errorf("patch %s: %w", name, err)
	}

	data, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", name, err)
	}

	return data, nil
}

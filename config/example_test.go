package config_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// Generate the configs of a cluster that is ready for Cilium. The secrets are created once
// and stored; every later run loads them, so the configs come out byte-identical.
func Example() {
	secrets, err := config.NewSecrets(time.Now(), talos.V1_14) // once: store secrets.Marshal()
	if err != nil {
		log.Fatal(err)
	}

	cfgs, err := config.Generate(config.Cluster{
		Name:              "demo",
		Endpoint:          "https://10.5.0.2:6443",
		Contract:          talos.V1_14,
		KubernetesVersion: "1.37.0",
		CNI:               config.CNI{Name: config.CNINone},
		KubeProxyDisabled: true,
	}, secrets)
	if err != nil {
		log.Fatal(err)
	}

	controlPlane, err := config.Encode(cfgs.ControlPlane) // the controlplane.yaml to write
	if err != nil {
		log.Fatal(err)
	}

	_, err = config.Validate(cfgs.ControlPlane, config.ModeContainer)
	fmt.Println(len(controlPlane) > 0, len(cfgs.ControlPlane.Documents()), "documents, valid:", err == nil)
	// Output: true 27 documents, valid: true
}

// Load the secrets bundle that `talosctl gen secrets` wrote.
func ExampleLoadSecrets() {
	data, err := os.ReadFile("../testdata/bench/secrets.yaml")
	if err != nil {
		log.Fatal(err)
	}

	secrets, err := config.LoadSecrets(data)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(secrets.ClusterID())
	fmt.Println(secrets.CreatedAt())
	// Output:
	// mx2Gnd3k14/0vO2nE/mnR9GbcawOo7jgiVEnuk8WIYo=
	// 2026-01-01 00:00:00 +0000 UTC
}

// A cluster description is plain data, for example a YAML file in CI.
func ExampleLoadCluster() {
	c, err := config.LoadCluster([]byte(`
name: demo
endpoint: https://10.5.0.2:6443
contract: v1.14
kubernetesVersion: 1.37.0
cni:
  name: none
kubeProxyDisabled: true
`))
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(c.Name, c.CNI.Name, c.KubeProxyDisabled, c.Validate())
	// Output: demo none true <nil>
}

// Every problem is reported at once, each naming its field, with a fix where there is one.
func ExampleCluster_Validate() {
	err := config.Cluster{
		Name:              "demo",
		Endpoint:          "10.5.0.2",
		Contract:          talos.V1_14,
		KubernetesVersion: "1.38.0",
		CNI:               config.CNI{Name: config.CNICustom},
	}.Validate()

	fmt.Println(err)
	// Output:
	// /endpoint: malformed control-plane endpoint: no https:// scheme, want https://host:port (value "10.5.0.2"); fix: "https://10.5.0.2:6443"
	// /kubernetesVersion: invalid kubernetes version: Talos v1.14 supports Kubernetes 1.32.0 to 1.37.x (value "1.38.0"); fix: "1.37.0", the default of Talos v1.14 (it supports 1.32.0 to 1.37.x), or set allowUnsupportedKubernetes if you know better
	// /cni/urls: inconsistent cni settings: cni custom needs at least one manifest URL
}

// Per-node configs: all nodes, then the role, then the node; later layers win.
func ExampleConfigs_NewBuilder() {
	data, err := os.ReadFile("../testdata/bench/secrets.yaml")
	if err != nil {
		log.Fatal(err)
	}

	secrets, err := config.LoadSecrets(data)
	if err != nil {
		log.Fatal(err)
	}

	cfgs, err := config.Generate(config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_13, KubernetesVersion: "1.36.0"}, secrets)
	if err != nil {
		log.Fatal(err)
	}

	layers := config.Layers{
		AllNodes:     []patches.Patch{patches.MustParse("machine:\n  sysctls:\n    vm.max_map_count: \"262144\"\n    net.core.somaxconn: \"1024\"\n")},
		ControlPlane: []patches.Patch{patches.MustParse("machine:\n  sysctls:\n    net.core.somaxconn: \"4096\"\n")},
	}

	b, err := cfgs.NewBuilder(layers) // the layers are applied once, for every node
	if err != nil {
		log.Fatal(err)
	}

	cp1, err := b.Config(config.Node{Role: config.RoleControlPlane, Patches: []patches.Patch{
		patches.MustParse(`[{"op":"add","path":"/machine/sysctls/vm.max_map_count","value":"524288"}]`),
	}})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(cp1.Machine().Sysctls())
	// Output: map[net.core.somaxconn:4096 vm.max_map_count:524288]
}

// The talosconfig is deterministic too: the issue time is a parameter.
func ExampleTalosconfig() {
	data, err := os.ReadFile("../testdata/bench/secrets.yaml")
	if err != nil {
		log.Fatal(err)
	}

	secrets, err := config.LoadSecrets(data)
	if err != nil {
		log.Fatal(err)
	}

	cluster := config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_13, KubernetesVersion: "1.36.0", TalosEndpoints: []string{"10.5.0.2"}}

	tc, err := config.Talosconfig(cluster, secrets, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(tc.Context, tc.Contexts["demo"].Endpoints)
	// Output: demo [10.5.0.2]
}

// Validate for the runtime mode the machines run in.
func ExampleValidate() {
	data, err := os.ReadFile("../testdata/bench/secrets.yaml")
	if err != nil {
		log.Fatal(err)
	}

	secrets, err := config.LoadSecrets(data)
	if err != nil {
		log.Fatal(err)
	}

	cfgs, err := config.Generate(config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_13, KubernetesVersion: "1.36.0"}, secrets)
	if err != nil {
		log.Fatal(err)
	}

	for _, mode := range []config.Mode{config.ModeContainer, config.ModeMetal} {
		warnings, err := config.Validate(cfgs.Worker, mode)
		fmt.Println(mode, warnings, err)
	}
	// Output:
	// container [] <nil>
	// metal [] v1alpha1 /machine/install/disk: invalid value: either install disk or diskSelector should be defined
}

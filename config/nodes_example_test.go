package config_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

// Build the configs of many workers: each node's own settings are merged into the worker config
// as data, and a NodeEncoder made once for the role encodes every node, re-encoding only what
// the node changed.
func ExampleNodeEncoder() {
	data, err := os.ReadFile("../testdata/bench/secrets.yaml")
	if err != nil {
		log.Fatal(err)
	}

	secrets, err := config.LoadSecrets(data)
	if err != nil {
		log.Fatal(err)
	}

	cfgs, err := config.Generate(config.Cluster{Name: "fleet", Endpoint: "https://fleet.example:6443", Contract: talos.V1_13, KubernetesVersion: "1.36.0"}, secrets)
	if err != nil {
		log.Fatal(err)
	}

	enc, err := config.NewNodeEncoder(cfgs.Worker)
	if err != nil {
		log.Fatal(err)
	}

	for i := range 3 {
		node, err := cfgs.NodeWithSettings(config.RoleWorker, config.Layers{}, config.NodeSettings{
			Labels:   map[string]string{"example.com/node": fmt.Sprintf("worker-%d", i)},
			CertSANs: []string{fmt.Sprintf("10.0.0.%d", i+1)},
		})
		if err != nil {
			log.Fatal(err)
		}

		fast, err := enc.Encode(node)
		if err != nil {
			log.Fatal(err)
		}

		plain, err := config.Encode(node) // the same bytes, only slower
		if err != nil {
			log.Fatal(err)
		}

		fmt.Println(bytes.Equal(fast, plain), strings.Contains(string(fast), fmt.Sprintf("example.com/node: worker-%d\n", i)))
	}
	// Output:
	// true true
	// true true
	// true true
}

// A node's settings are the per-node patch as data: Patch gives the text for talosctl, and
// Configs.NodeWithSettings applies the same merge without parsing it.
func ExampleNodeSettings_Patch() {
	p, err := config.NodeSettings{
		Hostname: "cp-0",
		Labels:   map[string]string{"example.com/node": "cp-0"},
		CertSANs: []string{"10.0.0.1"},
	}.Patch(talos.V1_14)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Print(p.String())
	// Output:
	// machine:
	//   certSANs:
	//     - 10.0.0.1
	// ---
	// apiVersion: v1alpha1
	// kind: KubeNodeConfig
	// labels:
	//   example.com/node: cp-0
	// ---
	// apiVersion: v1alpha1
	// kind: HostnameConfig
	// auto: off
	// hostname: cp-0
}

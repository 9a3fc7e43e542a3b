package cluster_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/talospatch/talospatch/cluster"
	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/talos"
)

// A cluster's every node config from one description; a second Build of the same description
// (another node added) generates nothing again. Problems come back located in the Spec.
func Example() {
	secretsYAML, err := os.ReadFile("../testdata/bench/secrets.yaml") // config.NewSecrets once, then stored
	if err != nil {
		log.Fatal(err)
	}

	secrets, err := config.LoadSecrets(secretsYAML)
	if err != nil {
		log.Fatal(err)
	}

	spec := cluster.Spec{
		Cluster: config.Cluster{Name: "demo", Endpoint: "https://cp.example.com:6443", Contract: talos.V1_14,
			KubernetesVersion: "1.37.0", KubeSpan: true, InstallDisk: "/dev/sda"},
		Secrets: secrets,
		Nodes: []cluster.Node{
			{Name: "cp-1", Role: config.RoleControlPlane, Settings: config.NodeSettings{Hostname: "cp-1"}},
			{Name: "worker-1", Role: config.RoleWorker, Settings: config.NodeSettings{Hostname: "worker-1"}},
		},
	}

	b := cluster.NewBuilder()

	res, err := b.Build(context.Background(), spec)
	if err != nil {
		log.Fatal(err)
	}

	for _, n := range res.Nodes {
		cfg, err := config.Load(n.Config)
		if err != nil {
			log.Fatal(err)
		}

		fmt.Println(n.Name, n.Role, len(cfg.Documents()), "documents")
	}

	spec.Nodes = append(spec.Nodes, cluster.Node{Name: "worker-2", Role: config.RoleWorker})
	if _, err := b.Build(context.Background(), spec); err != nil {
		log.Fatal(err)
	}

	fmt.Printf("%+v\n", b.Stats())

	spec.Cluster.Endpoint = "cp.example.com:6443"
	spec.Nodes[2].Settings.Labels = map[string]string{"bad key!": "x"}

	_, err = b.Build(context.Background(), spec)
	for _, p := range talos.Problems(err) {
		fmt.Println(p.Path)
	}
	// Output:
	// cp-1 controlplane 30 documents
	// worker-1 worker 16 documents
	// {RoleBuilds:1 CiliumRenders:0}
	// /cluster/endpoint
	// /nodes/2/settings/labels/bad key!
}

package talospatch_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log"
	"os"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/source"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// The whole pipeline of Talos's Cilium and KubeSpan guides on Talos v1.14: a cluster
// description, Cilium rendered offline and inlined into the control planes, KubeSpan, one config
// per node with its hostname and labels, validation, and the bytes to write. The output is the
// golden test: every byte of every config is deterministic (the same secrets, chart and
// description give the same configs), so a change anywhere changes the printed digests.
func Example_pipeline() {
	ctx := context.Background()

	secretsYAML, err := os.ReadFile("testdata/bench/secrets.yaml") // config.NewSecrets once, then stored
	if err != nil {
		log.Fatal(err)
	}

	secrets, err := config.LoadSecrets(secretsYAML)
	if err != nil {
		log.Fatal(err)
	}

	cluster := config.Cluster{
		Name:              "demo",
		Endpoint:          "https://cp.example.com:6443",
		Contract:          talos.V1_14,
		KubernetesVersion: "1.37.0",
		CNI:               config.CNI{Name: config.CNINone}, // Cilium instead of flannel
		KubeProxyDisabled: true,                             // Cilium replaces kube-proxy
		KubeSpan:          true,                             // as talosctl gen config --with-kubespan
		InstallDisk:       "/dev/sda",
		InstallImage:      "ghcr.io/siderolabs/installer:v1.14.1",
	}

	cfgs, err := config.Generate(cluster, secrets)
	if err != nil {
		log.Fatal(err)
	}

	// Cilium, rendered offline from a chart archive (or source.Load of a repository URL or an
	// OCI reference), with Hubble's certificates made in the cluster: the same bytes every run.
	chart, err := source.LoadPath(ctx, "testdata/charts/cilium-1.18.12.tgz")
	if err != nil {
		log.Fatal(err)
	}

	cilium, err := manifests.RenderCilium(context.Background(), chart.Chart, cluster.KubernetesVersion,
		manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true},
		manifests.RenderOptions{Deterministic: true})
	if err != nil {
		log.Fatal(err)
	}

	inline, err := patches.InlineManifest(cluster.Contract, "cilium", string(cilium.YAML)) // a control-plane patch
	if err != nil {
		log.Fatal(err)
	}

	layers := config.Layers{AllNodes: []patches.Patch{inline}} // scoped patches reach only their role

	nodes := []struct {
		name string
		role config.Role
		zone string
	}{
		{"cp-1", config.RoleControlPlane, "a"},
		{"cp-2", config.RoleControlPlane, "b"},
		{"worker-1", config.RoleWorker, "a"},
	}

	b, err := cfgs.NewBuilder(layers) // the layers are applied once, for every node
	if err != nil {
		log.Fatal(err)
	}

	for _, n := range nodes {
		node, err := b.Config(config.Node{Role: n.role, Settings: config.NodeSettings{
			Hostname: n.name,
			Labels:   map[string]string{"topology.kubernetes.io/zone": n.zone},
		}})
		if err != nil {
			log.Fatal(err)
		}

		if _, err := config.Validate(node, config.ModeMetal); err != nil {
			log.Fatal(err)
		}

		data, err := config.Encode(node) // write it with 0600: it holds the cluster's keys
		if err != nil {
			log.Fatal(err)
		}

		fmt.Printf("%s: %d documents, %d inline manifests, sha256 %x\n",
			n.name, len(node.Documents()), len(node.K8sInlineManifestConfigs()), sha256.Sum256(data))
	}
	// Output:
	// cp-1: 30 documents, 1 inline manifests, sha256 22a5f480ba35de20fbd16065ffa5c71fad7dee04d1e08eae7340aa69e638941c
	// cp-2: 30 documents, 1 inline manifests, sha256 c89a6aced874028daf9410f942f4b9bc00599c9d98f4bcec4338ad2013ae4230
	// worker-1: 16 documents, 0 inline manifests, sha256 543d92c6dc51889069886026f9bc50911833e0ef249372d17e461a877e946170
}

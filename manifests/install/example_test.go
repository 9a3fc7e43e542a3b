package install_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/talospatch/talospatch/manifests/source"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/talos"
)

// A hosted manifest must not carry key material: without certificates made in the cluster the
// render has Secrets, and Hosted refuses it.
func ExampleHosted() {
	ctx := context.Background()
	rd, err := source.LoadRenderer(ctx, "../../testdata/charts/cilium-1.18.12.tgz")
	if err != nil {
		fmt.Println(err)
		return
	}
	const url = "https://example.com/cilium.yaml"
	cluster := config.Cluster{
		Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0",
		KubeProxyDisabled: true,
	}

	r, err := install.RenderCilium(context.Background(), rd.Renderer, cluster, manifests.CiliumOptions{}, manifests.RenderOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = install.Hosted(cluster, r, url, install.HostedOptions{})
	var se *install.SecretsError
	if errors.As(err, &se) {
		for _, o := range se.Objects {
			fmt.Println("refused:", o.Object)
		}
	}

	r, err = install.RenderCilium(context.Background(), rd.Renderer, cluster,
		manifests.CiliumOptions{CertificatesInCluster: true},
		manifests.RenderOptions{Deterministic: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := install.Hosted(cluster, r, url, install.HostedOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range h.Layers.AllNodes {
		fmt.Printf("--- %s patch\n%s", p.Scope(), p)
	}
	// Output:
	// refused: v1 Secret kube-system/cilium-ca
	// refused: v1 Secret kube-system/hubble-server-certs
	// --- control plane patch
	// # talospatch:control-plane
	// apiVersion: v1alpha1
	// kind: KubeFlannelCNIConfig
	// $patch: delete
	// ---
	// apiVersion: v1alpha1
	// kind: KubeExternalManifestConfig
	// name: custom-cni
	// url: https://example.com/cilium.yaml
	// --- control plane patch
	// # talospatch:control-plane
	// apiVersion: v1alpha1
	// kind: KubeProxyConfig
	// enabled: false
}

// The inline method puts the manifest into control-plane configs only and reports its size.
func ExampleInline() {
	ctx := context.Background()
	rd, err := source.LoadRenderer(ctx, "../../testdata/charts/cilium-1.18.12.tgz")
	if err != nil {
		fmt.Println(err)
		return
	}
	cluster := config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0"}

	r, err := install.RenderCilium(context.Background(), rd.Renderer, cluster, manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	in, err := install.Inline(cluster, r, install.InlineOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("manifest:", in.Manifest.Name)
	fmt.Println("every node:", strings.ReplaceAll(strings.TrimSpace(in.Layers.AllNodes[0].String()), "\n", " "))
	for _, c := range in.Size.Exceeded() {
		fmt.Println("too large for", c.Limit)
	}

	// Apply the layers to the cluster's configs.
	data, err := os.ReadFile("../../testdata/bench/secrets.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	secrets, err := config.LoadSecrets(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfgs, err := config.Generate(cluster, secrets)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfgs, err = cfgs.Patch(in.Layers)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("control-plane inline manifests:", len(cfgs.ControlPlane.K8sInlineManifestConfigs()))
	fmt.Println("worker inline manifests:", len(cfgs.Worker.K8sInlineManifestConfigs()))
	// Output:
	// manifest: cilium
	// every node: apiVersion: v1alpha1 kind: KubeFlannelCNIConfig $patch: delete
	// too large for AWS user data
	// too large for Hetzner user data
	// control-plane inline manifests: 1
	// worker inline manifests: 0
}

func ExampleHelm() {
	ctx := context.Background()
	rd, err := source.LoadRenderer(ctx, "../../testdata/charts/cilium-1.11.2.tgz")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The seed's guide: Cilium 1.11.2 in strict mode, talking to the API server directly
	// (without KubePrism, Cilium gets the host and port of the cluster's endpoint).
	cluster := config.Cluster{
		Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0",
		KubeProxyDisabled: true, KubePrism: config.KubePrism{Disabled: true},
	}
	r, err := install.RenderCilium(context.Background(), rd.Renderer, cluster, manifests.CiliumOptions{}, manifests.RenderOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := install.Helm(cluster, r, install.HelmOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(h.Values))
	fmt.Print(h.Script())
	// Output:
	// cgroup:
	//   autoMount:
	//     enabled: false
	//   hostRoot: /sys/fs/cgroup
	// ipam:
	//   mode: kubernetes
	// k8sServiceHost: 10.5.0.2
	// k8sServicePort: 6443
	// kubeProxyReplacement: strict
	// helm install cilium cilium/cilium --version 1.11.2 --namespace kube-system --values values.yaml
}

// Without kube-proxy, Cilium reaches the API server through KubePrism where the cluster's
// nodes run it, else through the cluster's endpoint.
func ExampleCiliumOptions() {
	cluster := config.Cluster{
		Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0",
		KubeProxyDisabled: true,
	}
	for _, kubePrism := range []config.KubePrism{{}, {Port: 7446}, {Disabled: true}} {
		cluster.KubePrism = kubePrism
		opts, err := install.CiliumOptions(cluster, manifests.CiliumOptions{CertificatesInCluster: true})
		if err != nil {
			fmt.Println(err)
			return
		}
		vals, err := manifests.CiliumValues(opts, "1.18.12")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("kubePrism %+v: kubeProxyReplacement=%v k8sServiceHost=%v k8sServicePort=%v\n",
			kubePrism, vals["kubeProxyReplacement"], vals["k8sServiceHost"], vals["k8sServicePort"])
	}

	// kube-proxy is stated in the cluster description only.
	cluster.KubeProxyDisabled = false
	_, err := install.CiliumOptions(cluster, manifests.CiliumOptions{KubeProxyDisabled: true})
	fmt.Println(errors.Is(err, install.ErrInconsistentSettings))
	// Output:
	// kubePrism {Disabled:false Port:0}: kubeProxyReplacement=true k8sServiceHost=localhost k8sServicePort=7445
	// kubePrism {Disabled:false Port:7446}: kubeProxyReplacement=true k8sServiceHost=localhost k8sServicePort=7446
	// kubePrism {Disabled:true Port:0}: kubeProxyReplacement=true k8sServiceHost=10.5.0.2 k8sServicePort=6443
	// true
}

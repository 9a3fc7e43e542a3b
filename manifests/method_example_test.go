package manifests_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/talos"
)

// A hosted manifest must not carry key material: without certificates made in the cluster the
// render has Secrets, and HostedMethod refuses it.
func ExampleHostedMethod() {
	ctx := context.Background()
	ch, err := manifests.LoadPath(ctx, "../testdata/charts/cilium-1.18.12.tgz")
	if err != nil {
		fmt.Println(err)
		return
	}
	const url = "https://example.com/cilium.yaml"
	settings := manifests.TalosSettings{Contract: talos.V1_13, KubeProxyDisabled: true}

	r, err := manifests.RenderCilium(ch, "1.33.0", manifests.CiliumOptions{KubeProxyDisabled: true}, manifests.RenderOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = manifests.HostedMethod(r, url, settings, manifests.HostedOptions{})
	var se *manifests.SecretsError
	if errors.As(err, &se) {
		for _, o := range se.Objects {
			fmt.Println("refused:", o.Object)
		}
	}

	r, err = manifests.RenderCilium(ch, "1.33.0",
		manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true},
		manifests.RenderOptions{Deterministic: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := manifests.HostedMethod(r, url, settings, manifests.HostedOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range h.Patches {
		fmt.Print(p)
	}
	// Output:
	// refused: v1 Secret kube-system/cilium-ca
	// refused: v1 Secret kube-system/hubble-server-certs
	// # talospatch:replace-by-name
	// cluster:
	//   network:
	//     cni:
	//       name: custom
	//       urls:
	//         - https://example.com/cilium.yaml
	// cluster:
	//   proxy:
	//     disabled: true
}

// The inline method puts the manifest into control-plane configs only and reports its size.
func ExampleInlineMethod() {
	ctx := context.Background()
	ch, err := manifests.LoadPath(ctx, "../testdata/charts/cilium-1.18.12.tgz")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := manifests.RenderCilium(ch, "1.33.0", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	in, err := manifests.InlineMethod(r, manifests.TalosSettings{Contract: talos.V1_13}, manifests.InlineOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("manifest:", in.Manifest.Name)
	fmt.Println("every node:", strings.ReplaceAll(strings.TrimSpace(in.Patches[0].String()), "\n", " "))
	for _, c := range in.Size.Exceeded() {
		fmt.Println("too large for", c.Limit)
	}
	// Output:
	// manifest: cilium
	// every node: cluster:   network:     cni:       name: none
	// too large for AWS user data
	// too large for Hetzner user data
}

func ExampleHelmInstallMethod() {
	ctx := context.Background()
	ch, err := manifests.LoadPath(ctx, "../testdata/charts/cilium-1.11.2.tgz")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The seed's guide: Cilium 1.11.2 in strict mode, talking to the API server directly.
	copts := manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "10.5.0.2"}
	r, err := manifests.RenderCilium(ch, "1.33.0", copts, manifests.RenderOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := manifests.HelmInstallMethod(r, manifests.TalosSettings{Contract: talos.V1_13, KubeProxyDisabled: true}, manifests.HelmInstallOptions{})
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

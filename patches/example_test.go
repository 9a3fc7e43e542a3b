package patches_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// A tiny multi-document config, as Talos v1.12+ generates them (trimmed).
const exampleConfig = `version: v1alpha1
machine:
  type: controlplane
  token: 5dt69c.npg6duv71zwqhzbg
  certSANs: []
cluster:
  controlPlane:
    endpoint: https://10.5.0.2:6443
  clusterName: demo
  network:
    dnsDomain: cluster.local
    podSubnets: [10.244.0.0/16]
    serviceSubnets: [10.96.0.0/12]
---
apiVersion: v1alpha1
kind: HostnameConfig
auto: stable
`

func ExampleParse() {
	p, err := patches.Parse([]byte("- op: add\n  path: /cluster/proxy\n  value:\n    disabled: true\n"))
	if err != nil {
		panic(err)
	}

	fmt.Println(p.Kind())
	fmt.Println(p)
	// Output:
	// json6902
	// [{"op":"add","path":"/cluster/proxy","value":{"disabled":true}}]
}

func ExampleApply() {
	// The guide's JSON patch, which talosctl refuses on multi-document configs.
	out, err := patches.Apply([]byte(exampleConfig),
		patches.MustParse(`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`))
	if err != nil {
		panic(err)
	}

	fmt.Print(string(out))
	// Output:
	// version: v1alpha1
	// machine:
	//     type: controlplane
	//     token: 5dt69c.npg6duv71zwqhzbg
	//     certSANs: []
	// cluster:
	//     controlPlane:
	//         endpoint: https://10.5.0.2:6443
	//     clusterName: demo
	//     network:
	//         cni:
	//             name: none
	//         dnsDomain: cluster.local
	//         podSubnets:
	//             - 10.244.0.0/16
	//         serviceSubnets:
	//             - 10.96.0.0/12
	// ---
	// apiVersion: v1alpha1
	// kind: HostnameConfig
	// auto: stable
}

func ExampleApply_errors() {
	_, err := patches.Apply([]byte(exampleConfig),
		patches.MustParse(`[{"op":"replace","path":"/cluster/proxy/disabled","value":true}]`))

	var perr *patches.Error
	if errors.As(err, &perr) {
		fmt.Println(errors.Is(err, patches.ErrMissingPath), perr.Patch, perr.Op, perr.Path, perr.Document)
	}
	// Output:
	// true 0 0 /cluster/proxy/disabled v1alpha1
}

func ExampleOpsFor() {
	p, err := patches.OpsFor(patches.Document{Kind: "HostnameConfig"},
		patches.Replace("/auto", "off"),
		patches.Add("/hostname", "cp-1"),
	)
	if err != nil {
		panic(err)
	}

	fmt.Println(p)

	out, err := patches.Apply([]byte(exampleConfig), p)
	if err != nil {
		panic(err)
	}

	_, hostname, _ := strings.Cut(string(out), "---\n")
	fmt.Print(hostname)
	// Output:
	// [{"op":"test","path":"/kind","value":"HostnameConfig"},{"op":"replace","path":"/auto","value":"off"},{"op":"add","path":"/hostname","value":"cp-1"}]
	// apiVersion: v1alpha1
	// kind: HostnameConfig
	// auto: 'off'
	// hostname: cp-1
}

func ExampleInlineManifest() {
	p := must(patches.InlineManifest(talos.V1_13, "cilium", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cilium\n"))
	fmt.Print(p)

	// Applying a newer version replaces the manifest of the same name.
	out, err := patches.Apply([]byte(exampleConfig), p, must(patches.InlineManifest(talos.V1_13, "cilium", "# v2\n")))
	if err != nil {
		panic(err)
	}

	fmt.Println(strings.Count(string(out), "name: cilium"))
	// Output:
	// # talospatch:replace-by-name
	// cluster:
	//   inlineManifests:
	//     - name: cilium
	//       contents: |
	//         apiVersion: v1
	//         kind: Namespace
	//         metadata:
	//           name: cilium
	// 1
}

func ExampleStrictMode() {
	for _, v := range []string{"v1.11", "v1.13"} {
		contract, err := talos.ParseContract(v)
		if err != nil {
			panic(err)
		}

		p, err := patches.StrictMode(contract)
		if err != nil {
			panic(err)
		}

		fmt.Printf("%s:\n%s\n", v, p)
	}
	// Output:
	// v1.11:
	// [{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}},{"op":"add","path":"/cluster/proxy","value":{"disabled":true}}]
	// v1.13:
	// cluster:
	//   network:
	//     cni:
	//       name: none
	//   proxy:
	//     disabled: true
}

func ExampleDiff() {
	proxyOff, err := patches.KubeProxyDisabled(talos.V1_13)
	if err != nil {
		panic(err)
	}

	b, err := patches.Apply([]byte(exampleConfig), proxyOff)
	if err != nil {
		panic(err)
	}

	p, err := patches.Diff([]byte(exampleConfig), b)
	if err != nil {
		panic(err)
	}

	fmt.Print(p)
	// Output:
	// cluster:
	//   proxy:
	//     disabled: true
}

package sections_test

import (
	"fmt"

	"github.com/siderolabs/talos/pkg/machinery/config/configloader"

	"github.com/talospatch/talospatch/kubespan"
	"github.com/talospatch/talospatch/kubespan/sections"
	"github.com/talospatch/talospatch/talos"
)

func ExampleKubeSpanSections() {
	s, _ := sections.KubeSpanSections(talos.V1_13, kubespan.KubeSpan{
		Enabled:         true,
		EndpointFilters: []kubespan.EndpointFilter{kubespan.MustParseEndpointFilter("0.0.0.0/0"), kubespan.MustParseEndpointFilter("!192.168.0.0/16")},
	})
	p, _ := s.Patch()
	fmt.Print(p.String())
	// Output:
	// apiVersion: v1alpha1
	// kind: KubeSpanConfig
	// enabled: true
	// filters:
	//     endpoints:
	//         - 0.0.0.0/0
	//         - '!192.168.0.0/16'
}

func ExampleUpgradeSections() {
	secrets := sections.ClusterSecrets{ // the existing cluster's values, from its secrets bundle
		ID:     "8XuV9TZHW08DOk3bVxQjH9ih_TBKjnh-j44tsCLSBzo=",
		Secret: "eG08xZiqrOzSIO5P9cCCCTeQEeQCmUL6FLgT59T1jS0=",
	}
	s, _ := sections.UpgradeSections(talos.V1_12, secrets, sections.Discovery{})
	p, _ := s.Patch()
	fmt.Print(p.String())
	// Output:
	// machine:
	//     network:
	//         kubespan:
	//             enabled: true
	// cluster:
	//     id: 8XuV9TZHW08DOk3bVxQjH9ih_TBKjnh-j44tsCLSBzo=
	//     secret: eG08xZiqrOzSIO5P9cCCCTeQEeQCmUL6FLgT59T1jS0=
	//     discovery:
	//         enabled: true
	//         registries:
	//             kubernetes:
	//                 disabled: true
	//             service:
	//                 disabled: false
}

func ExampleValidate() {
	cfg, err := configloader.NewFromBytes([]byte(`version: v1alpha1
machine:
  type: worker
cluster:
  discovery:
    enabled: false
---
apiVersion: v1alpha1
kind: KubeSpanConfig
enabled: true
mtu: 1200
`))
	if err != nil {
		panic(err)
	}
	_, err = sections.Validate(cfg)
	fmt.Println(err)
	// Output:
	// v1alpha1 /cluster/discovery/enabled: kubespan needs cluster discovery: discovery is off, so KubeSpan finds no peers; fix: set cluster.discovery.enabled: true
	// v1alpha1 /cluster/id: kubespan needs cluster.id; fix: set the cluster's id (from the secrets bundle), or generate one for a cluster that never had one with NewClusterSecrets
	// v1alpha1 /cluster/secret: kubespan needs cluster.secret; fix: set the cluster's secret (from the secrets bundle), or generate one for a cluster that never had one with NewClusterSecrets
	// KubeSpanConfig /mtu: kubespan mtu too small: 1200 is below 1280; fix: set mtu to at least 1280, or remove it for the default 1420
}

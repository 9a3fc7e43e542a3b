package manifests_test

import (
	"context"
	"fmt"

	"helm.sh/helm/v4/pkg/chart/common"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/manifests"
)

func ExampleRender() {
	// A chart as helm.sh/helm/v4/pkg/chart/v2/loader loads it; built in memory here.
	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "demo", Version: "1.0.0"},
		Values:   map[string]any{"replicas": 1},
		Templates: []*common.File{{Name: "templates/deploy.yaml", Data: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
`)}},
	}

	r, err := manifests.Render(context.Background(), ch, "1.33.0", manifests.RenderOptions{
		Namespace: "demo",
		Set:       []string{"replicas=2"},
	})
	if err != nil {
		panic(err)
	}

	fmt.Print(string(r.YAML))
	// Output:
	// apiVersion: v1
	// kind: Namespace
	// metadata:
	//   name: demo
	// ---
	// apiVersion: apps/v1
	// kind: Deployment
	// metadata:
	//   name: demo
	//   namespace: demo
	// spec:
	//   replicas: 2
}

func ExampleCiliumValues() {
	vals, err := manifests.CiliumValues(manifests.CiliumOptions{
		KubeProxyDisabled:     true, // cluster.proxy.disabled: true
		CertificatesInCluster: true, // deterministic: no certificates in the manifest
	}, "1.18.12")
	if err != nil {
		panic(err)
	}

	out, err := yaml.Marshal(vals) // a values file for `helm install -f`
	if err != nil {
		panic(err)
	}

	fmt.Print(string(out))
	// Output:
	// cgroup:
	//   autoMount:
	//     enabled: false
	//   hostRoot: /sys/fs/cgroup
	// hubble:
	//   tls:
	//     auto:
	//       method: cronJob
	// ipam:
	//   mode: kubernetes
	// k8sServiceHost: localhost
	// k8sServicePort: 7445
	// kubeProxyReplacement: true
	// securityContext:
	//   capabilities:
	//     ciliumAgent:
	//     - CHOWN
	//     - KILL
	//     - NET_ADMIN
	//     - NET_RAW
	//     - IPC_LOCK
	//     - SYS_ADMIN
	//     - SYS_RESOURCE
	//     - DAC_OVERRIDE
	//     - FOWNER
	//     - SETGID
	//     - SETUID
	//     cleanCiliumState:
	//     - NET_ADMIN
	//     - SYS_ADMIN
	//     - SYS_RESOURCE
}

func ExampleSortForTalos() {
	objs, err := manifests.ParseObjects([]byte(`apiVersion: v1
kind: ServiceAccount
metadata: {name: agent, namespace: cilium}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
---
apiVersion: v1
kind: Namespace
metadata: {name: cilium}
`))
	if err != nil {
		panic(err)
	}

	for _, obj := range manifests.SortForTalos(objs) {
		fmt.Println(manifests.RefOf(obj))
	}
	// Output:
	// v1 Namespace cilium
	// apiextensions.k8s.io/v1 CustomResourceDefinition widgets.example.com
	// v1 ServiceAccount cilium/agent
}

func ExampleFindKeyMaterial() {
	objs, err := manifests.ParseObjects([]byte(`apiVersion: v1
kind: Secret
metadata: {name: hubble-server-certs, namespace: kube-system}
type: kubernetes.io/tls
data: {ca.crt: "", tls.crt: "", tls.key: ""}
`))
	if err != nil {
		panic(err)
	}

	for _, km := range manifests.FindKeyMaterial(objs) {
		fmt.Println(km, "secret:", km.Secret)
	}
	// Output:
	// v1 Secret kube-system/hubble-server-certs (ca.crt, tls.crt, tls.key) secret: true
}

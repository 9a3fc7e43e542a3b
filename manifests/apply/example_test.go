package apply_test

import (
	"context"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/apply"
)

func ExampleApply() {
	manifest, err := os.ReadFile("cilium.yaml")
	if err != nil {
		fmt.Println(err)

		return
	}

	objs, err := manifests.ParseObjects(manifest)
	if err != nil {
		fmt.Println(err)

		return
	}

	client, err := apply.NewClientFromKubeconfig("kubeconfig")
	if err != nil {
		fmt.Println(err)

		return
	}

	results, err := apply.Apply(context.Background(), client, objs, apply.Options{DryRun: true})
	for _, r := range results {
		fmt.Println(r)
	}

	if err != nil {
		fmt.Println(err)
	}
}

func ExampleResult_String() {
	fmt.Println(apply.Result{
		Ref:     manifests.ObjectRef{APIVersion: "apps/v1", Kind: "DaemonSet", Namespace: "kube-system", Name: "cilium"},
		Outcome: apply.OutcomeCreated,
	})
	fmt.Println(apply.Result{
		Ref:     manifests.ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "cilium"},
		Outcome: apply.OutcomeExists,
	})
	// Output:
	// apps/v1 DaemonSet kube-system/cilium: created
	// rbac.authorization.k8s.io/v1 ClusterRole cilium: exists
}

func ExampleInventoryKey() {
	fmt.Println(apply.InventoryKey(schema.GroupKind{Group: "apps", Kind: "DaemonSet"}, "kube-system", "cilium"))
	fmt.Println(apply.InventoryKey(schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, "", "system:cilium"))
	// Output:
	// kube-system_cilium_apps_DaemonSet
	// _system__cilium_rbac.authorization.k8s.io_ClusterRole
}

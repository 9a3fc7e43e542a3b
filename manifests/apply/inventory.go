package apply

import (
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Talos 1.13 inventory: a cli-utils ConfigMap inventory (sigs.k8s.io/cli-utils
// pkg/inventory, used by Talos through github.com/siderolabs/go-kubernetes).
const (
	// InventoryNamespace is the namespace of the inventory ConfigMap.
	InventoryNamespace = "kube-system"
	// InventoryName is the name of the inventory ConfigMap and the inventory ID.
	InventoryName = "talos-bootstrap-manifests-inventory"
	// InventoryIDLabel labels the inventory ConfigMap with the inventory ID.
	InventoryIDLabel = "cli-utils.sigs.k8s.io/inventory-id"
	// OwningInventoryAnnotation is stamped on every object the inventory mode creates, with
	// the value InventoryName (the annotation `talosctl upgrade-k8s` checks before it takes
	// an object over).
	OwningInventoryAnnotation = "config.k8s.io/owning-inventory"
	// FieldManager is the field manager of every create and server-side apply, as in Talos.
	FieldManager = "talos"
)

var configMapResource = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// rbacGroup is the API group whose kinds may have ':' in names; cli-utils writes it as "__".
const rbacGroup = "rbac.authorization.k8s.io"

// InventoryKey returns the ConfigMap data key under which the inventory records an object:
// "<namespace>_<name>_<group>_<Kind>" (cli-utils ObjMetadata), with ':' in the names of RBAC
// Roles, ClusterRoles, RoleBindings and ClusterRoleBindings written as "__". The version is
// not part of the key.
func InventoryKey(gk schema.GroupKind, namespace, name string) string {
	if gk.Group == rbacGroup {
		switch gk.Kind {
		case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
			name = strings.ReplaceAll(name, ":", "__")
		}
	}

	return namespace + "_" + name + "_" + gk.Group + "_" + gk.Kind
}

// inventory is the set of keys of the inventory ConfigMap, and the ConfigMap as read.
type inventory struct {
	obj     *unstructured.Unstructured // nil until it exists (or in a dry run without one)
	keys    map[string]struct{}
	changed bool
}

func newInventory(obj *unstructured.Unstructured) *inventory {
	inv := &inventory{obj: obj, keys: map[string]struct{}{}}

	if obj != nil {
		data, _, _ := unstructured.NestedStringMap(obj.Object, "data")
		for k := range data {
			inv.keys[k] = struct{}{}
		}
	}

	return inv
}

func (inv *inventory) has(key string) bool {
	_, ok := inv.keys[key]

	return ok
}

func (inv *inventory) add(key string) {
	if !inv.has(key) {
		inv.keys[key] = struct{}{}
		inv.changed = true
	}
}

// sortedKeys returns the recorded keys in sorted order.
func (inv *inventory) sortedKeys() []string {
	return slices.Sorted(maps.Keys(inv.keys))
}

// inventoryObject returns a new inventory ConfigMap with the given keys: the shape cli-utils
// writes (label with the inventory ID, one data entry with an empty value per object).
// base, when not nil, supplies the metadata of the existing ConfigMap (kept as it is).
func inventoryObject(base *unstructured.Unstructured, keys []string) *unstructured.Unstructured {
	var obj *unstructured.Unstructured
	if base != nil {
		obj = base.DeepCopy()
	} else {
		obj = &unstructured.Unstructured{Object: map[string]any{}}
		obj.SetAPIVersion("v1")
		obj.SetKind("ConfigMap")
		obj.SetNamespace(InventoryNamespace)
		obj.SetName(InventoryName)
	}

	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}

	labels[InventoryIDLabel] = InventoryName
	obj.SetLabels(labels)

	if len(keys) == 0 {
		unstructured.RemoveNestedField(obj.Object, "data")

		return obj
	}

	data := make(map[string]any, len(keys))
	for _, k := range keys {
		data[k] = ""
	}

	obj.Object["data"] = data

	return obj
}

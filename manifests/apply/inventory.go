package apply

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// inventoryMissing says what loadInventory does when the inventory ConfigMap does not exist.
type inventoryMissing int

const (
	// keepMissing leaves it missing: the inventory is empty (Apply's dry run).
	keepMissing inventoryMissing = iota
	// createMissing creates an empty ConfigMap (Apply, as Talos does before its pass).
	createMissing
	// createMissingWithNamespace also creates kube-system first when it is missing (Sync, as
	// upgrade-k8s does, also in a dry run).
	createMissingWithNamespace
)

// loadInventory reads the inventory ConfigMap; op ("apply", "sync") starts its errors.
func loadInventory(ctx context.Context, c Client, op string, missing inventoryMissing) (*inventory, error) {
	obj, err := c.Get(ctx, configMapResource, InventoryNamespace, InventoryName)

	switch {
	case err == nil:
		if id := obj.GetLabels()[InventoryIDLabel]; id != InventoryName {
			return nil, fmt.Errorf("%s: %w: ConfigMap %s/%s has %s=%q, want %q",
				op, ErrInventory, InventoryNamespace, InventoryName, InventoryIDLabel, id, InventoryName)
		}
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("%s: %w: reading ConfigMap %s/%s: %w", op, ErrInventory, InventoryNamespace, InventoryName, err)
	case missing == keepMissing:
		obj = nil
	default:
		if missing == createMissingWithNamespace {
			if err := ensureInventoryNamespace(ctx, c); err != nil {
				return nil, fmt.Errorf("%s: %w: creating namespace %s: %w", op, ErrInventory, InventoryNamespace, err)
			}
		}

		obj, err = c.Create(ctx, configMapResource, InventoryNamespace, inventoryObject(nil, nil), metav1.CreateOptions{FieldManager: FieldManager})
		if err != nil {
			return nil, fmt.Errorf("%s: %w: creating ConfigMap %s/%s: %w", op, ErrInventory, InventoryNamespace, InventoryName, err)
		}
	}

	return newInventory(obj), nil
}

// ensureInventoryNamespace creates kube-system when it does not exist.
func ensureInventoryNamespace(ctx context.Context, c Client) error {
	nsResource := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	if _, err := c.Get(ctx, nsResource, "", InventoryNamespace); !apierrors.IsNotFound(err) {
		return nil
	}

	ns := &unstructured.Unstructured{Object: map[string]any{}}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(InventoryNamespace)

	if _, err := c.Create(ctx, nsResource, "", ns, metav1.CreateOptions{FieldManager: FieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}

	return nil
}

// saveInventory replaces the ConfigMap's entries with inv's, when they changed; op starts its
// errors.
func saveInventory(ctx context.Context, c Client, op string, inv *inventory) error {
	if inv == nil || !inv.changed {
		return nil
	}

	obj, err := c.Update(ctx, configMapResource, InventoryNamespace, inventoryObject(inv.obj, inv.sortedKeys()), metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("%s: %w: writing ConfigMap %s/%s: %w", op, ErrInventory, InventoryNamespace, InventoryName, err)
	}

	inv.obj, inv.changed = obj, false

	return nil
}

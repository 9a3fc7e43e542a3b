package config

import (
	"fmt"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"

	"github.com/talospatch/talospatch/patches"
)

// Layers are a cluster's patches by scope. A node's config is its role config with these
// patches applied in this order:
//
//  1. AllNodes, in order (talosctl gen config --config-patch);
//  2. the patches of the node's role, in order: ControlPlane (--config-patch-control-plane) or
//     Worker (--config-patch-worker);
//  3. the node's own patches, in order (what `talosctl machineconfig patch` adds per node).
//
// The first two steps are exactly the order in which talosctl gen config applies its patch
// flags, so [Configs.Patch] with the same patches writes the same configs as talosctl (and a
// [Builder] made with them builds the nodes of those configs). Later
// layers win: a node patch overrides a role patch, which overrides an all-nodes patch.
//
// A patch that carries a scope (patches.Patch.Scope: the v1.14 recipes for kube-proxy, the
// CNI and inline manifests are control-plane patches) reaches only its role from any layer, so
// the guide's patches can all go into AllNodes; a patch in the other role's layer (a
// control-plane patch in Worker) is an error, as is a patch that would put a document Talos
// allows only on control planes into a worker config (patches.ErrControlPlaneOnly).
//
// Layers is plain data: patches.Patch marshals to and from its --config-patch text.
type Layers struct {
	// AllNodes apply to every node.
	AllNodes []patches.Patch `yaml:"allNodes,omitempty" json:"allNodes,omitempty"`
	// ControlPlane apply to control-plane nodes, after AllNodes.
	ControlPlane []patches.Patch `yaml:"controlPlane,omitempty" json:"controlPlane,omitempty"`
	// Worker apply to worker nodes, after AllNodes.
	Worker []patches.Patch `yaml:"worker,omitempty" json:"worker,omitempty"`
}

// LayerError is the error of a patch that failed while layering. It names the layer and the
// patch's index in it; Err is the patches package's error (a *patches.Error with the operation,
// JSON pointer and document where they apply).
type LayerError struct {
	// Layer is "allNodes", "controlPlane", "worker" or "node".
	Layer string
	// Index is the patch's index within its layer.
	Index int
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *LayerError) Error() string {
	return fmt.Sprintf("%s patch %d: %v", e.Layer, e.Index, e.Err)
}

// Unwrap returns the cause.
func (e *LayerError) Unwrap() error { return e.Err }

// Role returns the config of a role: ControlPlane or Worker.
func (cs Configs) Role(role Role) (coreconfig.Provider, error) {
	var cfg coreconfig.Provider

	switch role {
	case RoleControlPlane:
		cfg = cs.ControlPlane
	case RoleWorker:
		cfg = cs.Worker
	case RoleUnknown:
		return nil, fmt.Errorf("%w: role %s", ErrInvalid, role)
	default:
		return nil, fmt.Errorf("%w: role %s", ErrInvalid, role)
	}

	if cfg == nil {
		return nil, fmt.Errorf("%w: no %s config", ErrInvalid, role)
	}

	return cfg, nil
}

// Patch returns the role configs with the all-nodes and role layers applied: what
// `talosctl gen config --config-patch ... --config-patch-control-plane ... --config-patch-worker
// ...` writes. Both role configs are required. cs is not modified. On error there is no output
// and a failing patch gives a *LayerError. To build nodes from the result, use [Configs.NewBuilder]
// with the same layers (it applies them once).
func (cs Configs) Patch(l Layers) (Configs, error) {
	for _, role := range []Role{RoleControlPlane, RoleWorker} {
		if _, err := cs.Role(role); err != nil {
			return Configs{}, fmt.Errorf("%s node config: %w", role, err)
		}
	}

	patched, err := cs.patched(l)
	if err != nil {
		return Configs{}, err
	}

	return Configs{ControlPlane: patched[0], Worker: patched[1]}, nil
}

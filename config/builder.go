package config

import (
	"errors"
	"fmt"
	"slices"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"

	"github.com/talospatch/talospatch/internal/nodeencode"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// Node is one node to build: its role, its settings and its own patches. It is plain data.
type Node struct {
	// Role is the node's role, ControlPlane or Worker. Required.
	Role Role `yaml:"role" json:"role"`
	// Settings are the node's hostname, labels, annotations, taints and SANs, applied after the
	// role's layers as the patch [NodeSettings.Patch] gives. Zero: none.
	Settings NodeSettings `yaml:"settings,omitempty" json:"settings,omitempty"`
	// Patches are the node's own patches, applied last, in order. Empty: none.
	Patches []patches.Patch `yaml:"patches,omitempty" json:"patches,omitempty"`
}

// Builder builds node configs: the one way to build a node. It holds the role configs with the
// layers applied once (parsed once, see patches.Prepare), and per role an encoder that
// re-encodes only what a node changes.
//
// A node's config is its role config, then its settings' patch, then its own patches (see
// [Layers] for the order and [Node]):
//
//	b, err := cfgs.NewBuilder(layers)
//	data, err := b.Build(config.Node{Role: config.RoleWorker, Settings: settings}) // config.Encode's bytes
//
// A node without patches of its own is merged and encoded straight from its settings, without
// copying the role config or parsing patch text (a few microseconds per worker); a node with
// patches is patched with package patches. Both give the same bytes (tested field by field of
// NodeSettings, and fuzzed).
//
// A Builder is immutable and safe for concurrent use. The zero Builder has no role configs: its
// methods return errors wrapping ErrInvalid.
type Builder struct {
	roles [2]*roleBuild // RoleControlPlane, RoleWorker; nil when Configs had none
}

// roleBuild is one role of a Builder.
type roleBuild struct {
	role  Role
	cfg   coreconfig.Provider // the role config with the layers applied; never handed out
	enc   *nodeencode.Encoder
	forms settingsForms // where node settings go in cfg
}

// NewBuilder applies the layers to the role configs cs has (ControlPlane, Worker or both) and
// returns the builder of their nodes. cs is not modified. On error there is no builder: a
// failing patch gives a *LayerError naming its layer and index.
func (cs Configs) NewBuilder(l Layers) (*Builder, error) {
	patched, err := cs.patched(l)
	if err != nil {
		return nil, err
	}

	b := &Builder{}

	for i, role := range []Role{RoleControlPlane, RoleWorker} {
		cfg := patched[i]
		if cfg == nil {
			continue
		}

		enc, err := nodeencode.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("%s node config: %w: %w", role, ErrInvalid, err)
		}

		b.roles[i] = &roleBuild{role: role, cfg: cfg, enc: enc, forms: formsOf(cfg)}
	}

	return b, nil
}

// patched returns copies of the role configs cs has (control plane, worker; nil for one it
// lacks) with the layers applied, the layers checked and parsed once.
func (cs Configs) patched(l Layers) ([2]coreconfig.Provider, error) {
	var (
		out    [2]coreconfig.Provider
		layers *preparedLayers // checked and parsed once, for the first role
	)

	for i, role := range []Role{RoleControlPlane, RoleWorker} {
		cfg, _ := cs.Role(role)
		if cfg == nil {
			continue
		}

		if layers == nil {
			var err error
			if layers, err = prepareLayers(role, l); err != nil {
				return out, err
			}
		}

		patched, err := layers.apply(cfg, role)
		if err != nil {
			return out, err
		}

		out[i] = patched
	}

	return out, nil
}

// preparedLayers are the layers of a Builder, parsed once (patches.Prepare) for every role.
type preparedLayers struct {
	allNodes, controlPlane, worker *patches.Prepared
}

// prepareLayers checks that no layer holds a patch of the other role and parses the layers;
// errors name role, the first role the layers are for.
func prepareLayers(role Role, l Layers) (*preparedLayers, error) {
	for i, p := range l.ControlPlane {
		if p.Scope() == patches.ScopeWorker {
			return nil, fmt.Errorf("%s node config: %w", role, &LayerError{Layer: "controlPlane", Index: i,
				Err: fmt.Errorf("%w: a worker patch in the control-plane layer; put it in Layers.Worker", ErrInvalid)})
		}
	}

	for i, p := range l.Worker {
		if p.Scope() == patches.ScopeControlPlane {
			return nil, fmt.Errorf("%s node config: %w", role, &LayerError{Layer: "worker", Index: i,
				Err: fmt.Errorf("%w: a control-plane patch in the worker layer (it writes documents Talos allows only on control planes); put it in Layers.ControlPlane or Layers.AllNodes", ErrInvalid)})
		}
	}

	var (
		pl  preparedLayers
		err error
	)

	for _, layer := range []struct {
		name string
		ps   []patches.Patch
		into **patches.Prepared
	}{{"allNodes", l.AllNodes, &pl.allNodes}, {"controlPlane", l.ControlPlane, &pl.controlPlane}, {"worker", l.Worker, &pl.worker}} {
		if *layer.into, err = patches.Prepare(layer.ps...); err != nil {
			return nil, fmt.Errorf("%s node config: %w", role, layerError(layer.name, err))
		}
	}

	return &pl, nil
}

// apply returns a copy of cfg with the all-nodes layer, then role's layer applied.
func (pl *preparedLayers) apply(cfg coreconfig.Provider, role Role) (coreconfig.Provider, error) {
	roleLayer, roleName := pl.controlPlane, "controlPlane"
	if role == RoleWorker {
		roleLayer, roleName = pl.worker, "worker"
	}

	cur := cfg // each layer's apply works on its own deep copy

	for _, step := range []struct {
		name string
		pp   *patches.Prepared
	}{{"allNodes", pl.allNodes}, {roleName, roleLayer}} {
		if step.pp.Len() == 0 {
			continue
		}

		next, err := step.pp.ApplyProvider(cur)
		if err != nil {
			return nil, fmt.Errorf("%s node config: %w", role, layerError(step.name, err))
		}

		cur = next
	}

	if cur == cfg {
		cur = deepClone(cfg) // no layer: the result is still a copy
	}

	return cur, nil
}

// applyLayer applies the patches of one layer, naming the layer and the failing patch in a
// *LayerError.
func applyLayer(cfg coreconfig.Provider, layer string, ps []patches.Patch) (coreconfig.Provider, error) {
	out, err := patches.ApplyProvider(cfg, ps...)
	if err != nil {
		return nil, layerError(layer, err)
	}

	return out, nil
}

// layerError is the *LayerError of a patch of layer that failed with err.
func layerError(layer string, err error) *LayerError {
	le := &LayerError{Layer: layer, Err: err}

	var pe *patches.Error
	if errors.As(err, &pe) {
		le.Index = pe.Patch
	}

	return le
}

// role returns the builder's role, or an error naming what is missing.
func (b *Builder) role(r Role) (*roleBuild, error) {
	i := slices.Index([]Role{RoleControlPlane, RoleWorker}, r)
	if i < 0 {
		return nil, fmt.Errorf("%w: node role %s: set Node.Role to RoleControlPlane or RoleWorker", ErrInvalid, r)
	}

	var rb *roleBuild
	if b != nil {
		rb = b.roles[i]
	}

	if rb == nil {
		return nil, fmt.Errorf("%w: no %s config: make the Builder from Configs with one", ErrInvalid, r)
	}

	return rb, nil
}

// Config returns the node's config: its role config with its settings' patch and then its own
// patches applied (package patches; the settings' patch is written in the role config's form,
// so it is applied without translation). On error there is no config: invalid settings are
// *talos.FieldError values matching ErrNodeSettings, a failing node patch is a *LayerError of
// layer "node". The result is the caller's.
func (b *Builder) Config(n Node) (coreconfig.Provider, error) {
	rb, err := b.role(n.Role)
	if err != nil {
		return nil, fmt.Errorf("node config: %w", err)
	}

	if err := n.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("node config: %s node config: node settings: %w", rb.role, err)
	}

	return rb.config(n)
}

// Validate validates the config of role r with the Builder's layers applied, as [Validate]
// does, in place: a caller that checks the role configs once before it builds nodes from them
// needs no copy of each (Config of a Node with only its role would deep-copy it).
func (b *Builder) Validate(r Role, mode Mode) ([]talos.Warning, error) {
	rb, err := b.role(r)
	if err != nil {
		return nil, fmt.Errorf("validate config: %w", err)
	}

	return Validate(rb.cfg, mode)
}

// config applies the node's settings and patches to a copy of the role config. The caller has
// validated the settings.
func (rb *roleBuild) config(n Node) (coreconfig.Provider, error) {
	cfg := rb.cfg

	if !n.Settings.IsZero() {
		p, err := n.Settings.patch(rb.forms)
		if err != nil {
			return nil, fmt.Errorf("%s node config: %w", rb.role, err)
		}

		cfg, _, err = patches.ApplyWithOptions(cfg, patches.Options{NoTranslation: true}, p)
		if err != nil {
			return nil, fmt.Errorf("%s node config: node settings: %w", rb.role, err)
		}
	}

	if len(n.Patches) == 0 {
		if cfg == rb.cfg {
			cfg = deepClone(cfg)
		}

		return cfg, nil
	}

	out, err := applyLayer(cfg, "node", n.Patches)
	if err != nil {
		return nil, fmt.Errorf("%s node config: %w", rb.role, err)
	}

	return out, nil
}

// Encode returns the bytes [Encode] gives for cfg, a config of role r that [Builder.Config]
// returned (and the caller may have read, not changed), through the role's encoder, which
// re-encodes only the documents the node changed: a caller that validates a node's config
// before it encodes it uses Config, then Encode.
func (b *Builder) Encode(r Role, cfg coreconfig.Provider) ([]byte, error) {
	rb, err := b.role(r)
	if err != nil {
		return nil, fmt.Errorf("encode node: %w", err)
	}

	out, err := rb.enc.Append(nil, cfg)
	if err != nil {
		return nil, fmt.Errorf("encode node: %s node config: %w", rb.role, err)
	}

	return out, nil
}

// Build returns the encoding of the node's config: the bytes [Encode] gives for
// [Builder.Config]. Errors are those of Config.
func (b *Builder) Build(n Node) ([]byte, error) {
	return b.Append(nil, n)
}

// Append is [Builder.Build] appending the encoding to dst, which it returns extended, like the
// strconv Append functions: a caller that writes node after node can reuse one buffer. On error
// dst is returned unchanged.
func (b *Builder) Append(dst []byte, n Node) ([]byte, error) {
	rb, err := b.role(n.Role)
	if err != nil {
		return dst, fmt.Errorf("build node: %w", err)
	}

	if err := n.Settings.Validate(); err != nil {
		return dst, fmt.Errorf("build node: %s node config: node settings: %w", rb.role, err)
	}

	if len(n.Patches) == 0 {
		out, ok, err := rb.enc.AppendMerged(dst, n.Settings.documents(rb.forms))
		if err != nil {
			return dst, fmt.Errorf("build node: %s node config: %w", rb.role, err)
		}

		if ok {
			return out, nil
		}
	}

	cfg, err := rb.config(n)
	if err != nil {
		return dst, fmt.Errorf("build node: %w", err)
	}

	out, err := rb.enc.Append(dst, cfg)
	if err != nil {
		return dst, fmt.Errorf("build node: %s node config: %w", rb.role, err)
	}

	return out, nil
}

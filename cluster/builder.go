package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// memoCapacity is how many descriptions and renders a Builder remembers: a provider process
// plans a handful of clusters; a new key past this forgets the oldest.
const memoCapacity = 8

// Builder builds the configs of clusters ([Builder.Build]), memoising the role configs and the
// Cilium renders. The zero Builder is not usable; use [NewBuilder]. A Builder is safe for
// concurrent use; everything it memoises is a pure function of its key, so memoisation never
// changes a result.
type Builder struct {
	roles   memo[*roleSet]
	renders memo[*render]

	// Counters for tests and callers that report what was reused.
	roleBuilds, ciliumRenders atomic.Int64
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{roles: newMemo[*roleSet](memoCapacity), renders: newMemo[*render](memoCapacity)}
}

// Stats are a Builder's counts of work done (not reused) since it was made.
type Stats struct {
	// RoleBuilds counts generations of a cluster's role configs (config.Generate, layers,
	// validation).
	RoleBuilds int64
	// CiliumRenders counts Cilium renders.
	CiliumRenders int64
}

// Stats returns the counts of work done.
func (b *Builder) Stats() Stats {
	return Stats{RoleBuilds: b.roleBuilds.Load(), CiliumRenders: b.ciliumRenders.Load()}
}

// Result is the output of [Builder.Build].
type Result struct {
	// Nodes are the nodes' configs, in the order of Spec.Nodes.
	Nodes []NodeConfig
	// Warnings are what is valid but probably not meant: the description's, the role configs'
	// validation warnings (Path "/layers/controlPlane" or "/layers/worker" when machinery does
	// not say where) and the nodes' (Path "/nodes/<i>" ...), each once.
	Warnings []talos.Warning
	// Cilium is the Cilium render; nil without Spec.Cilium. It is shared with other results of
	// the same Builder: read it, do not modify it.
	Cilium *manifests.Rendered
}

// NodeConfig is one node's encoded machine config.
type NodeConfig struct {
	// Name and Role are the node's, from the Spec.
	Name string
	Role config.Role
	// Config is the encoded config (config.Encode's bytes). It holds the cluster's keys.
	Config []byte
}

// render is a memoised Cilium render with its inline manifest patch.
type render struct {
	rendered *manifests.Rendered
	inline   []patches.Patch // the control-plane layer of install.Inline
	key      string
	// renderer is the Renderer the memo key names by its address: kept here, it stays
	// reachable while the entry exists, so no other Renderer can take its address.
	renderer *manifests.Renderer
}

// roleSet is a memoised cluster: its role configs with the layers (and Cilium) applied and
// validated, in the builder of its nodes.
type roleSet struct {
	nodes    *config.Builder
	warnings []talos.Warning
}

// Build returns every node's config of spec. The role configs are generated, patched with the
// layers and validated once per description, secrets, layers and Cilium render, and Cilium is
// rendered once per chart, Kubernetes version and values (both memoised in b). A node is built by
// a config.Builder: its role config, its settings' patch, its own patches; a node with patches is
// validated by itself.
//
// Every problem is reported at once as *talos.FieldError values with paths into spec (see the
// package documentation); talos.Problems lists them. On error there is no result.
func (b *Builder) Build(ctx context.Context, spec Spec) (*Result, error) {
	if err := checkSpec(spec); err != nil {
		return nil, fmt.Errorf("build cluster: %w", err)
	}

	mode := spec.Mode
	if mode == config.ModeUnknown {
		mode = config.ModeMetal
	}

	layers := spec.Layers

	var cil *render

	if spec.Cilium != nil {
		r, err := b.renderCilium(ctx, spec.Cluster, *spec.Cilium)
		if err != nil {
			return nil, fmt.Errorf("build cluster: %w", &talos.FieldError{Path: "/cilium", Err: err})
		}

		cil = r
		layers.ControlPlane = append(append([]patches.Patch(nil), layers.ControlPlane...), r.inline...)
	}

	key, err := roleKey(spec, cil, mode)
	if err != nil {
		return nil, fmt.Errorf("build cluster: %w", err)
	}

	roles, err := b.roles.get(ctx, key, func() (*roleSet, error) {
		b.roleBuilds.Add(1)

		return buildRoles(spec, layers, mode)
	})
	if err != nil {
		return nil, fmt.Errorf("build cluster: %w", err)
	}

	res := &Result{Nodes: make([]NodeConfig, len(spec.Nodes)), Warnings: append([]talos.Warning(nil), roles.warnings...)}
	if cil != nil {
		res.Cilium = cil.rendered

		for _, w := range cil.rendered.Warnings {
			res.Warnings = append(res.Warnings, talos.Warning{Path: "/cilium", Message: w})
		}
	}

	var errs []error

	for i, n := range spec.Nodes {
		data, warnings, err := buildNode(roles, n, mode)
		if err != nil {
			errs = append(errs, relocate(err, nodePath(i)))

			continue
		}

		for _, w := range warnings {
			if w.Path == "" {
				w.Path = nodePath(i)
			}

			res.Warnings = append(res.Warnings, w)
		}

		res.Nodes[i] = NodeConfig{Name: n.Name, Role: n.Role, Config: data}
	}

	if err := talos.Join(errs...); err != nil {
		return nil, fmt.Errorf("build cluster: %w", err)
	}

	return res, nil
}

func nodePath(i int) string { return talos.Pointer("nodes", strconv.Itoa(i)) }

// checkSpec reports every problem of the inputs that can be seen without generating anything.
func checkSpec(spec Spec) error {
	var errs []error

	if err := spec.Cluster.Validate(); err != nil {
		errs = append(errs, relocate(err, "/cluster"))
	}

	if spec.Secrets == nil {
		errs = append(errs, &talos.FieldError{Path: "/secrets", Err: config.ErrNoSecrets, Fix: "load the bundle with config.LoadSecrets, or make one once with config.NewSecrets"})
	}

	if c := spec.Cilium; c != nil {
		if c.Renderer == nil {
			errs = append(errs, &talos.FieldError{Path: "/cilium/renderer", Err: fmt.Errorf("%w: no chart", config.ErrInvalid), Fix: "load one with source.LoadRendererRef (its Renderer field)"})
		}

		if spec.Cluster.CNI.Name != config.CNINone {
			errs = append(errs, &talos.FieldError{
				Path: "/cluster/cni/name", Value: spec.Cluster.CNI.Name.String(),
				Err: fmt.Errorf("%w: Cilium is the CNI, but the description deploys another one", config.ErrCNI),
				Fix: `cni name "none", as Talos's Cilium guide says`,
			})
		}
	}

	seen := make(map[string]int, len(spec.Nodes))

	for i, n := range spec.Nodes {
		p := nodePath(i)

		switch first, dup := seen[n.Name]; {
		case strings.TrimSpace(n.Name) == "":
			errs = append(errs, &talos.FieldError{Path: p + "/name", Err: fmt.Errorf("%w: node name is required", config.ErrInvalid)})
		case dup:
			errs = append(errs, &talos.FieldError{Path: p + "/name", Value: n.Name, Err: fmt.Errorf("%w: node %d has the same name", config.ErrInvalid, first)})
		default:
			seen[n.Name] = i
		}

		if n.Role != config.RoleControlPlane && n.Role != config.RoleWorker {
			errs = append(errs, &talos.FieldError{Path: p + "/role", Value: n.Role.String(), Err: fmt.Errorf("%w: unknown role", config.ErrInvalid), Fix: `"controlplane" or "worker"`})
		}

		if err := n.Settings.Validate(); err != nil {
			errs = append(errs, relocate(err, p+"/settings"))
		}
	}

	return talos.Join(errs...)
}

// relocate returns err's problems as *talos.FieldError values whose paths are prefixed with
// prefix: a problem of an input nested at prefix in the Spec. A problem of a config document
// (non-zero Document) is put at prefix itself, with the document's own error as its cause.
func relocate(err error, prefix string) error {
	ps := talos.Problems(err)
	out := make([]error, 0, len(ps))

	for _, p := range ps {
		var fe *talos.FieldError

		switch {
		case !p.Document.IsZero():
			out = append(out, &talos.FieldError{Path: prefix, Err: p.Err})
		case errors.As(p.Err, &fe) && fe == p.Err:
			c := *fe
			c.Path = prefix + c.Path
			out = append(out, &c)
		default:
			out = append(out, &talos.FieldError{Path: prefix + nodeLayerPath(p.Path), Err: p.Err})
		}
	}

	return talos.Join(out...)
}

// nodeLayerPath maps a config.LayerError location of a node's own patches ("/node/2") to the
// Node's field ("/patches/2"); other paths are returned as they are.
func nodeLayerPath(path string) string {
	if rest, ok := strings.CutPrefix(path, "/node/"); ok {
		return "/patches/" + rest
	}

	return path
}

// renderCilium renders spec's Cilium once per renderer, Kubernetes version and options.
func (b *Builder) renderCilium(ctx context.Context, c config.Cluster, cil Cilium) (*render, error) {
	copts, err := install.CiliumOptions(c, manifests.CiliumOptions{
		CertificatesInCluster:   cil.CertificatesInCluster,
		DisableXTSocketFallback: cil.DisableXTSocketFallback,
	})
	if err != nil {
		return nil, err
	}

	opts := cil.Options
	opts.Deterministic = opts.Deterministic || cil.Deterministic

	name := cil.ManifestName
	if name == "" {
		name = "cilium"
	}

	keyData, kerr := json.Marshal(struct {
		Renderer   string
		Kubernetes string
		Contract   string
		Name       string
		Cilium     manifests.CiliumOptions
		Options    manifests.RenderOptions
	}{fmt.Sprintf("%p", cil.Renderer), c.KubernetesVersion, c.Contract.String(), name, copts, opts})

	do := func() (*render, error) {
		b.ciliumRenders.Add(1)

		// Even a failed render keeps the Renderer (a memoised error is found by its key too).
		out := &render{renderer: cil.Renderer}

		r, err := install.RenderCilium(ctx, cil.Renderer, c, copts, opts)
		if err != nil {
			return out, err
		}

		// The inline method of the guide: its checks (the render fits the description) and
		// its control-plane layer, the inline manifest.
		in, err := install.Inline(c, r, install.InlineOptions{Name: name})
		if err != nil {
			return out, err
		}

		// The layer's key is the digest of its patches (the manifest, its name, its form),
		// taken once per render: a role key then writes 64 bytes for it, not the manifest.
		h := sha256.New()
		for _, p := range in.Layers.ControlPlane {
			text := p.String()
			fmt.Fprintf(h, "%d\n%s", len(text), text)
		}

		out.rendered, out.inline, out.key = r, in.Layers.ControlPlane, hex.EncodeToString(h.Sum(nil))

		return out, nil
	}

	if kerr != nil { // values that do not marshal: render without memoising
		return do()
	}

	sum := sha256.Sum256(keyData)

	return b.renders.get(ctx, hex.EncodeToString(sum[:]), do)
}

// roleKey identifies what the role configs are made of: the description, the secrets, the
// mode, the caller's layers and, for Cilium's control-plane layer, the digest of the render
// (its patches hold the whole manifest).
func roleKey(spec Spec, cil *render, mode config.Mode) (string, error) {
	h := sha256.New()

	desc, err := spec.Cluster.Marshal()
	if err != nil {
		return "", &talos.FieldError{Path: "/cluster", Err: err}
	}

	sec, err := spec.Secrets.Marshal()
	if err != nil {
		return "", &talos.FieldError{Path: "/secrets", Err: err}
	}

	write := func(tag string, data []byte) {
		fmt.Fprintf(h, "%s %d\n", tag, len(data))
		h.Write(data)
	}

	write("cluster", desc)
	write("secrets", sec)
	write("mode", []byte(mode.String()))

	for _, l := range []struct {
		name string
		ps   []patches.Patch
	}{{"allNodes", spec.Layers.AllNodes}, {"controlPlane", spec.Layers.ControlPlane}, {"worker", spec.Layers.Worker}} {
		for _, p := range l.ps {
			write(l.name, []byte(p.String()))
		}
	}

	if cil != nil {
		write("cilium", []byte(cil.key))
	}

	return hex.EncodeToString(h.Sum(nil)), nil
}

// buildRoles generates the role configs, applies the layers (config.Builder) and validates the
// results.
func buildRoles(spec Spec, layers config.Layers, mode config.Mode) (*roleSet, error) {
	cfgs, err := config.Generate(spec.Cluster, spec.Secrets)
	if err != nil {
		return nil, relocate(err, "/cluster")
	}

	nodes, err := cfgs.NewBuilder(layers)
	if err != nil {
		return nil, relocate(err, "/layers")
	}

	rs := &roleSet{nodes: nodes, warnings: cfgs.Warnings}

	for i := range rs.warnings {
		rs.warnings[i].Path = "/cluster" + rs.warnings[i].Path
	}

	var errs []error

	for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
		where := "/layers/" + map[config.Role]string{config.RoleControlPlane: "controlPlane", config.RoleWorker: "worker"}[role]

		warnings, err := nodes.Validate(role, mode)
		if err != nil {
			errs = append(errs, relocate(fmt.Errorf("%s config: %w", role, err), where))

			continue
		}

		for _, w := range warnings {
			if w.Path == "" {
				w.Path = where
			}

			rs.warnings = append(rs.warnings, w)
		}
	}

	if err := talos.Join(errs...); err != nil {
		return nil, err
	}

	return rs, nil
}

// buildNode returns one node's encoded config. A node without patches of its own is its role
// config with its settings (validated by checkSpec; they cannot make a valid role config
// invalid), built without validation; a node with patches is validated.
func buildNode(rs *roleSet, n Node, mode config.Mode) ([]byte, []talos.Warning, error) {
	node := config.Node{Role: n.Role, Settings: n.Settings, Patches: n.Patches}

	if len(n.Patches) == 0 {
		data, err := rs.nodes.Build(node)

		return data, nil, err
	}

	cfg, err := rs.nodes.Config(node)
	if err != nil {
		return nil, nil, err
	}

	warnings, err := config.Validate(cfg, mode)
	if err != nil {
		return nil, nil, err
	}

	data, err := rs.nodes.Encode(n.Role, cfg)

	return data, dropRoleWarnings(warnings, rs), err
}

// dropRoleWarnings leaves out the warnings the role config already has.
func dropRoleWarnings(ws []talos.Warning, rs *roleSet) []talos.Warning {
	var out []talos.Warning

	for _, w := range ws {
		known := false

		for _, r := range rs.warnings {
			if r.Message == w.Message && r.Document == w.Document {
				known = true

				break
			}
		}

		if !known {
			out = append(out, w)
		}
	}

	return out
}

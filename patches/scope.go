package patches

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"

	"github.com/talospatch/talospatch/talos"
)

// Scope is the machines a patch is for: every node, the control planes or the workers. It is
// talosctl's choice between --config-patch, --config-patch-control-plane and
// --config-patch-worker, carried by the patch itself, so a patch that must not reach a worker
// (kube-proxy disabled on contract v1.14 is the control-plane-only KubeProxyConfig document)
// cannot reach one by mistake: Apply leaves a patch out on a config of a role it is not for, and
// config.Layers routes it to its role from any layer.
type Scope int

// Scopes. The zero value, ScopeAllNodes, is the scope of every patch that does not say otherwise.
const (
	// ScopeAllNodes: every machine (talosctl --config-patch).
	ScopeAllNodes Scope = iota
	// ScopeControlPlane: control-plane machines only (--config-patch-control-plane).
	ScopeControlPlane
	// ScopeWorker: worker machines only (--config-patch-worker).
	ScopeWorker
)

// Directive lines that carry a strategic merge patch's scope in its text. talosctl reads them
// as YAML comments; pass the patch with the flag Scope.Flag names.
const (
	ControlPlaneDirective = "# talospatch:control-plane"
	WorkerDirective       = "# talospatch:worker"
)

// String returns "all nodes", "control plane" or "worker".
func (s Scope) String() string {
	switch s {
	case ScopeAllNodes:
		return "all nodes"
	case ScopeControlPlane:
		return "control plane"
	case ScopeWorker:
		return "worker"
	}

	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// Flag returns the talosctl gen config flag that passes a patch of this scope.
func (s Scope) Flag() string {
	switch s {
	case ScopeControlPlane:
		return "--config-patch-control-plane"
	case ScopeWorker:
		return "--config-patch-worker"
	case ScopeAllNodes:
	}

	return "--config-patch"
}

// Includes reports whether a machine of type t gets patches of this scope. A config without a
// machine type gets every patch.
func (s Scope) Includes(t machine.Type) bool {
	switch s {
	case ScopeControlPlane:
		return t != machine.TypeWorker
	case ScopeWorker:
		return !t.IsControlPlane()
	case ScopeAllNodes:
	}

	return true
}

// Scope returns the patch's scope: ScopeAllNodes unless its text starts with (comment lines
// among which) ControlPlaneDirective or WorkerDirective.
func (p Patch) Scope() Scope {
	if p.kind != KindStrategic {
		return ScopeAllNodes
	}

	for _, d := range leadingDirectives(p.text) {
		switch d {
		case ControlPlaneDirective:
			return ScopeControlPlane
		case WorkerDirective:
			return ScopeWorker
		}
	}

	return ScopeAllNodes
}

// WithScope returns p for machines of scope s: a strategic merge patch whose text starts with
// the scope's directive line (and keeps its other directives). Parse(p.String()) keeps the
// scope. RFC 6902 patches cannot carry a scope in their JSON text: for them WithScope fails with
// ErrInvalidArgument unless s is ScopeAllNodes.
func (p Patch) WithScope(s Scope) (Patch, error) {
	if s != ScopeAllNodes && s != ScopeControlPlane && s != ScopeWorker {
		return Patch{}, fmt.Errorf("patch scope: %w: %s", ErrInvalidArgument, s)
	}

	if p.kind != KindStrategic {
		if s == ScopeAllNodes && !p.IsZero() {
			return p, nil
		}

		return Patch{}, fmt.Errorf("patch scope %s: %w: only strategic merge patches carry a scope (pass RFC 6902 patches with %s yourself)", s, ErrInvalidArgument, s.Flag())
	}

	body := p.text
	var keep []string

	for _, d := range leadingDirectives(body) {
		if d != ControlPlaneDirective && d != WorkerDirective {
			keep = append(keep, d)
		}
	}

	body = stripDirectives(body)

	switch s {
	case ScopeControlPlane:
		keep = append([]string{ControlPlaneDirective}, keep...)
	case ScopeWorker:
		keep = append([]string{WorkerDirective}, keep...)
	case ScopeAllNodes:
	}

	text := body
	if len(keep) > 0 {
		text = strings.Join(keep, "\n") + "\n" + body
	}

	return Patch{kind: KindStrategic, text: text}, nil
}

// mustScope is WithScope for recipe patches, which are strategic.
func mustScope(p Patch, s Scope) Patch {
	out, err := p.WithScope(s)
	if err != nil {
		panic(fmt.Sprintf("patches: recipe scope: %v", err)) // unreachable: recipes are strategic
	}

	return out
}

// leadingDirectives returns the "# talospatch:..." lines at the start of a patch text.
func leadingDirectives(text string) []string {
	var out []string

	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "# talospatch:") {
			break
		}

		out = append(out, line)
	}

	return out
}

// stripDirectives removes the leading directive lines of a patch text.
func stripDirectives(text string) string {
	for {
		first, rest, found := strings.Cut(text, "\n")
		if !strings.HasPrefix(strings.TrimSpace(first), "# talospatch:") {
			return text
		}

		if !found {
			return ""
		}

		text = rest
	}
}

// controlPlaneOnlyDocuments returns the documents of a strategic merge patch (not deletions)
// whose kinds Talos allows only on control-plane machines.
func controlPlaneOnlyDocuments(patch config.Provider) []string {
	var kinds []string

	for _, d := range patch.Documents() {
		if _, isDelete := d.(interface {
			ApplyTo(configconfig.Document) error
		}); isDelete {
			continue // "$patch: delete" of an absent document changes nothing
		}

		if talos.Newest.ControlPlaneOnly(d.Kind()) {
			kinds = append(kinds, d.Kind())
		}
	}

	return kinds
}

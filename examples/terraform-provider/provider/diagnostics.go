package provider

import (
	"errors"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/talospatch/talospatch/talos"
)

// layout says where the inputs of a cluster.Spec are in a schema: the attribute path of node i
// and how many patches the user wrote in each layer (a patch past them is the provider's own,
// the Cilium inline manifest).
type layout struct {
	// prefix is put before a problem's path: "/cluster" for a call that takes only the
	// description (config.Talosconfig).
	prefix      string
	node        func(i int) path.Path
	nodePatches bool // nodes have their own config_patches
	layers      map[string]layer
}

type layer struct {
	attr  string
	count int
}

// listAttributes and mapAttributes are the description's and the node settings' list and map
// attributes, by name (from their schema fields): a list's segment is an index, a map's a key.
var listAttributes, mapAttributes = attributesOfKind(kStringList), attributesOfKind(kStringMap)

func attributesOfKind(k kind) map[string]bool {
	out := map[string]bool{}

	for _, f := range append(descriptionFields(), settingsFields()...) {
		if f.kind == k {
			out[f.name] = true
		}
	}

	return out
}

// attributePath returns the attribute path of a problem located in a cluster.Spec ("/cluster/
// endpoint", "/layers/allNodes/1", "/nodes/3/settings/labels/x", ...); ok is false when the
// problem is about no one attribute.
func (l layout) attributePath(pointer string) (p path.Path, ok bool) {
	segs := talos.Segments(l.prefix + pointer)
	if len(segs) == 0 {
		return path.Empty(), false
	}

	switch segs[0] {
	case "cluster":
		if len(segs) < 2 {
			return path.Empty(), false
		}

		return nested(path.Empty(), segs[1:]), true
	case "secrets":
		return path.Root(attrSecrets), true
	case "cilium":
		return path.Root(attrCilium), true
	case "layers":
		if len(segs) < 3 {
			return path.Empty(), false
		}

		ly, known := l.layers[segs[1]]
		i, err := strconv.Atoi(segs[2])

		switch {
		case !known || err != nil:
			return path.Empty(), false
		case i >= ly.count: // the Cilium inline manifest, after the user's patches
			return path.Root(attrCilium), true
		default:
			return path.Root(ly.attr).AtListIndex(i), true
		}
	case "nodes":
		if len(segs) < 2 || l.node == nil {
			return path.Empty(), false
		}

		i, err := strconv.Atoi(segs[1])
		if err != nil {
			return path.Empty(), false
		}

		base := l.node(i)
		rest := segs[2:]

		switch {
		case len(rest) == 0 || rest[0] == "name":
			return base, len(base.Steps()) > 0
		case rest[0] == "role":
			return base.AtName(attrRole), true
		case rest[0] == "settings":
			return nested(base, rest[1:]), true
		case rest[0] == "patches" && l.nodePatches && len(rest) > 1:
			if j, err := strconv.Atoi(rest[1]); err == nil {
				return base.AtName(attrConfigPatches).AtListIndex(j), true
			}
		}

		return base, len(base.Steps()) > 0
	}

	return path.Empty(), false
}

// nested follows a pointer's segments below p: YAML keys become attribute names, a nested
// description type's keys joined to its own ("cni", "urls" is cni_urls), list indexes and map
// keys steps of their own.
func nested(p path.Path, segs []string) path.Path {
	name := attributeName(segs[0])
	rest := segs[1:]

	for len(rest) > 0 && groups[name] {
		name += "_" + attributeName(rest[0])
		rest = rest[1:]
	}

	p = p.AtName(name)

	if len(rest) > 0 {
		switch {
		case listAttributes[name]:
			if n, err := strconv.Atoi(rest[0]); err == nil {
				p = p.AtListIndex(n)
			}
		case mapAttributes[name]:
			p = p.AtMapKey(rest[0])
		}
	}

	return p
}

// groups are the description's nested types, whose fields are attributes named after both.
var groups = map[string]bool{"cni": true, "kube_prism": true, "discovery": true}

// addProblems adds one diagnostic per problem of err, at its attribute where it has one.
func (l layout) addProblems(diags *diag.Diagnostics, summary string, err error) {
	for _, p := range talos.Problems(err) {
		detail := problemDetail(p)

		if at, ok := l.attributePath(p.Path); ok {
			if steps := at.Steps(); len(steps) > 2 || (len(steps) == 2 && !isListIndex(steps[1])) {
				// Terraform shows such a path at its top-level attribute's line: say the rest.
				detail = at.String() + ": " + detail
			}

			diags.AddAttributeError(at, summary, detail)

			continue
		}

		diags.AddError(summary, detail)
	}
}

// problemDetail is the problem without its path in the Spec (the diagnostic's attribute says
// where): the cause, the value and the fix.
func problemDetail(p talos.Problem) string {
	var fe *talos.FieldError
	if !errors.As(p.Err, &fe) || fe != p.Err {
		return p.String()
	}

	c := *fe
	c.Path = ""

	return c.Error()
}

func isListIndex(s path.PathStep) bool {
	_, ok := s.(path.PathStepElementKeyInt)

	return ok
}

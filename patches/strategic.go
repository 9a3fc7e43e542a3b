package patches

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/types/k8s"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"go.yaml.in/yaml/v3"

	"github.com/talospatch/talospatch/internal/machineryseam"
)

// Strategic returns a strategic merge patch of YAML text (one or more Talos
// config documents, "$patch: delete" allowed). Unlike Parse it refuses text
// that is not a strategic merge patch.
func Strategic(text string) (Patch, error) {
	p, err := Parse([]byte(text))
	if err != nil {
		return Patch{}, err
	}

	if p.kind != KindStrategic {
		return Patch{}, &ParseError{Op: -1, Err: fmt.Errorf("%w: not a strategic merge patch", ErrInvalidPatch)}
	}

	return p, nil
}

// StrategicDocuments returns a strategic merge patch of machinery config
// documents, encoded without comments, in order. Use it for documents other
// than v1alpha1 (KubeSpanConfig, HostnameConfig, ...); for v1alpha1 fragments,
// Strategic with YAML text is clearer, as an encoded v1alpha1.Config carries
// every non-empty field.
func StrategicDocuments(docs ...configconfig.Document) (Patch, error) {
	if len(docs) == 0 {
		return Patch{}, fmt.Errorf("invalid patch: %w", ErrEmptyPatch)
	}

	c, err := container.New(docs...)
	if err != nil {
		return Patch{}, &ParseError{Op: -1, Err: fmt.Errorf("%w: %w", ErrInvalidPatch, err)}
	}

	text, err := machineryseam.EncodeConfigString(c)
	if err != nil {
		return Patch{}, &ParseError{Op: -1, Err: fmt.Errorf("%w: encode: %w", ErrInvalidPatch, err)}
	}

	return Strategic(text)
}

// hasReplaceByName reports whether strategic patch text starts with the
// ReplaceByNameDirective line (among its leading directive lines).
func hasReplaceByName(text string) bool {
	return slices.Contains(leadingDirectives(text), ReplaceByNameDirective)
}

// dropReplaced removes from cur the inline manifests the patch's v1alpha1
// document names and the extra manifest and CNI URLs it lists, so the merge
// that follows replaces them instead of adding duplicates.
func dropReplaced(cur config.Provider, patch config.Provider) (config.Provider, error) {
	pv := patch.RawV1Alpha1()
	if pv == nil || pv.ClusterConfig == nil {
		return cur, nil
	}

	if cur.RawV1Alpha1() == nil || cur.RawV1Alpha1().ClusterConfig == nil {
		return cur, nil
	}

	out := cur.Clone()
	cluster := out.RawV1Alpha1().ClusterConfig

	if names := pv.ClusterConfig.ClusterInlineManifests; len(names) > 0 {
		cluster.ClusterInlineManifests = slices.DeleteFunc(cluster.ClusterInlineManifests, func(m v1alpha1.ClusterInlineManifest) bool {
			return slices.ContainsFunc(names, func(n v1alpha1.ClusterInlineManifest) bool { return n.InlineManifestName == m.InlineManifestName })
		})
	}

	if urls := pv.ClusterConfig.ExtraManifests; len(urls) > 0 {
		cluster.ExtraManifests = slices.DeleteFunc(cluster.ExtraManifests, func(u string) bool {
			return slices.Contains(urls, u)
		})
	}

	if pn := pv.ClusterConfig.ClusterNetwork; pn != nil && pn.CNI != nil && len(pn.CNI.CNIUrls) > 0 {
		if cn := cluster.ClusterNetwork; cn != nil && cn.CNI != nil {
			cn.CNI.CNIUrls = slices.DeleteFunc(cn.CNI.CNIUrls, func(u string) bool {
				return slices.Contains(pn.CNI.CNIUrls, u)
			})
		}
	}

	return out, nil
}

// dropLegacyInline removes from cur the cluster.inlineManifests entries named by the patch's
// KubeInlineManifestConfig documents: Talos accepts a name in both forms and one silently
// overwrites the other at run time, so the document replaces the legacy entry.
func dropLegacyInline(cur config.Provider, patch config.Provider) config.Provider {
	var names []string

	for _, d := range patch.Documents() {
		if m, ok := d.(*k8s.KubeInlineManifestConfigV1Alpha1); ok {
			names = append(names, m.MetaName)
		}
	}

	v := cur.RawV1Alpha1()
	if len(names) == 0 || v == nil || v.ClusterConfig == nil || len(v.ClusterConfig.ClusterInlineManifests) == 0 {
		return cur
	}

	if !slices.ContainsFunc(v.ClusterConfig.ClusterInlineManifests, func(m v1alpha1.ClusterInlineManifest) bool {
		return slices.Contains(names, m.InlineManifestName)
	}) {
		return cur
	}

	out := cur.Clone()
	cluster := out.RawV1Alpha1().ClusterConfig
	cluster.ClusterInlineManifests = slices.DeleteFunc(slices.Clone(cluster.ClusterInlineManifests), func(m v1alpha1.ClusterInlineManifest) bool {
		return slices.Contains(names, m.InlineManifestName)
	})

	return out
}

// node helpers build ordered YAML for the recipes.

// ymap returns a mapping node from key/value pairs.
func ymap(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}

	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, ystr(kv[i].(string)), ynode(kv[i+1]))
	}

	return n
}

// yseq returns a sequence node.
func yseq(items ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}

	for _, it := range items {
		n.Content = append(n.Content, ynode(it))
	}

	return n
}

func ystr(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}

	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
		if !literalSafe(s) {
			n.Style = yaml.DoubleQuotedStyle
		}
	}

	return n
}

// literalSafe reports whether s reads back unchanged from a literal block scalar as the YAML
// encoder writes it (which it does when asked to, even where that is not so): valid UTF-8 of
// printable characters, tabs and line feeds, not blank, with no line starting with a tab (a first line
// that does is not even valid YAML) and no other line breaks (carriage returns and the Unicode
// line separators would be read back as line feeds).
func literalSafe(s string) bool {
	if !utf8.ValidString(s) || strings.TrimLeft(s, " \t\n") == "" {
		return false // blank strings read back empty from a block scalar
	}

	lineStart := true

	for _, r := range s {
		switch {
		case r == '\n':
			lineStart = true

			continue
		case r == '\t':
			if lineStart {
				return false
			}
		case r == '\r', r == '\u0085', r == '\u2028', r == '\u2029', r == '\ufeff':
			return false
		case !unicode.IsPrint(r) && r != ' ':
			return false
		}

		lineStart = false
	}

	return true
}

func ynode(v any) *yaml.Node {
	switch v := v.(type) {
	case *yaml.Node:
		return v
	case string:
		return ystr(v)
	case bool:
		if v {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}
		}

		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"}
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(v)}
	default:
		panic(fmt.Sprintf("patches: unsupported YAML value %T", v))
	}
}

// yamlText encodes documents (mapping nodes) as a multi-document YAML text with
// two-space indentation, optionally after a directive line.
func yamlText(directive string, docs ...*yaml.Node) string {
	var buf bytes.Buffer

	if directive != "" {
		buf.WriteString(directive + "\n")
	}

	for i, d := range docs {
		if i > 0 {
			buf.WriteString("---\n")
		}

		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)

		if err := enc.Encode(d); err != nil {
			panic(fmt.Sprintf("patches: encode YAML: %v", err)) // unreachable: nodes built above
		}

		_ = enc.Close()
	}

	return buf.String()
}

// generatedStrategic wraps the text of an inline-manifest recipe without parsing it: the text
// is produced by yamlText, an encoder of a typed tree, and is valid by construction (a property
// test parses it for arbitrary names and contents). Parsing it costs about a millisecond for a
// rendered Cilium manifest, on the critical path of every control-plane config.
func generatedStrategic(text string) Patch {
	return Patch{kind: KindStrategic, text: text}
}

// mustStrategic builds a recipe patch; recipe text is generated and always valid.
func mustStrategic(text string) Patch {
	p, err := Strategic(text)
	if err != nil {
		panic(fmt.Sprintf("patches: recipe produced an invalid patch: %v\n%s", err, text))
	}

	return p
}

package patches

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/talospatch/talospatch/internal/machineryseam"

	sigsyaml "sigs.k8s.io/yaml"
)

// Kind is the form of a patch.
type Kind int

const (
	// KindUnknown is the kind of the zero Patch.
	KindUnknown Kind = iota
	// KindJSON6902 is an RFC 6902 JSON patch: a list of operations.
	KindJSON6902
	// KindStrategic is a strategic merge patch: one or more Talos config documents.
	KindStrategic
)

// String returns "json6902", "strategic" or "unknown".
func (k Kind) String() string {
	switch k {
	case KindJSON6902:
		return "json6902"
	case KindStrategic:
		return "strategic"
	case KindUnknown:
	}

	return "unknown"
}

// MarshalText implements encoding.TextMarshaler; KindUnknown is refused.
func (k Kind) MarshalText() ([]byte, error) {
	if k != KindJSON6902 && k != KindStrategic {
		return nil, fmt.Errorf("marshal patch kind %d: %w", int(k), ErrInvalidArgument)
	}

	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for "json6902" and
// "strategic"; other text is refused.
func (k *Kind) UnmarshalText(text []byte) error {
	switch string(text) {
	case "json6902":
		*k = KindJSON6902
	case "strategic":
		*k = KindStrategic
	default:
		return fmt.Errorf("unmarshal patch kind %q: %w", text, ErrInvalidArgument)
	}

	return nil
}

// ReplaceByNameDirective is the first line of a strategic merge patch whose
// cluster.inlineManifests entries replace entries with the same name and whose
// cluster.extraManifests and cluster.network.cni.urls entries are added only
// once. talosctl reads the line as
// a YAML comment (and so inserts, which is what it must do on a freshly generated
// config); Apply honours it. See InlineManifest.
const ReplaceByNameDirective = "# talospatch:replace-by-name"

// Patch is one Talos config patch: either an RFC 6902 operation list or a
// strategic merge patch. A Patch is an immutable, comparable value; two patches
// are equal when they print the same text.
//
// The zero Patch is empty: it has KindUnknown, prints as "" and Apply refuses it
// with ErrEmptyPatch.
type Patch struct {
	kind Kind
	// text is the canonical --config-patch text: compact JSON for RFC 6902,
	// the YAML documents for strategic merge patches.
	text string
}

// Kind reports the form of the patch.
func (p Patch) Kind() Kind { return p.kind }

// IsZero reports whether p is the zero (empty) Patch.
func (p Patch) IsZero() bool { return p == Patch{} }

// String returns the exact text to pass to talosctl --config-patch: compact
// JSON for RFC 6902 patches, YAML for strategic merge patches. Parse(p.String())
// returns p.
func (p Patch) String() string { return p.text }

// MarshalText implements encoding.TextMarshaler with the String form.
func (p Patch) MarshalText() ([]byte, error) {
	if p.IsZero() {
		return nil, fmt.Errorf("marshal patch: %w", ErrEmptyPatch)
	}

	return []byte(p.text), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with Parse.
func (p *Patch) UnmarshalText(text []byte) error {
	parsed, err := Parse(text)
	if err != nil {
		return err
	}

	*p = parsed

	return nil
}

// Operations returns the operations of an RFC 6902 patch (a fresh slice), or
// nil for a strategic merge patch.
func (p Patch) Operations() []Operation {
	if p.kind != KindJSON6902 {
		return nil
	}

	ops, err := decodeOps([]byte(p.text))
	if err != nil {
		// Unreachable: a JSON6902 Patch always holds canonical, valid text.
		return nil
	}

	return ops
}

// Target returns the document an RFC 6902 patch addresses (see OpsFor). The
// zero Document means the v1alpha1 document. Strategic merge patches carry their
// targets in their documents and return the zero Document.
func (p Patch) Target() Document {
	return targetOf(p.Operations())
}

// Parse reads patch text the way talosctl --config-patch does: first as a
// strategic merge patch (Talos config documents, with "$patch: delete"
// allowed), then as an RFC 6902 patch written as a JSON array, then as an RFC
// 6902 patch written as a YAML list. Unlike talosctl, an empty patch (no
// documents, no operations) is an error (ErrEmptyPatch), and RFC 6902
// operations are validated here: known op, valid JSON pointers, the members the
// op needs and no others.
//
// RFC 6902 patches are kept in canonical compact JSON; strategic merge patches
// keep their text. Parse never reads files: see ParseFile and Load.
func Parse(text []byte) (Patch, error) {
	trimmed := bytes.TrimSpace(text)
	if len(trimmed) == 0 || isEmptyYAML(trimmed) {
		return Patch{}, fmt.Errorf("parse patch: %w", ErrEmptyPatch)
	}

	_, strategicErr := machineryseam.LoadPatch(text)
	strategicErr = decodeError(strategicErr, text)

	if strategicErr == nil {
		return Patch{kind: KindStrategic, text: string(text)}, nil
	}

	if machineryseam.IsNoConfig(strategicErr) && !bytes.HasPrefix(trimmed, []byte("[")) && !bytes.HasPrefix(trimmed, []byte("-")) {
		return Patch{}, fmt.Errorf("parse patch: %w", ErrEmptyPatch)
	}

	var raw []json.RawMessage

	jsonErr := json.Unmarshal(trimmed, &raw)
	if jsonErr != nil {
		// Not JSON: try a YAML list of operations.
		asJSON, yamlErr := sigsyaml.YAMLToJSON(text)
		if yamlErr != nil || json.Unmarshal(asJSON, &raw) != nil {
			if bytes.HasPrefix(trimmed, []byte("[")) {
				return Patch{}, &ParseError{Op: -1, Err: fmt.Errorf("%w: json patch: %w", ErrInvalidPatch, jsonErr)}
			}

			return Patch{}, &ParseError{Op: -1, Err: fmt.Errorf("%w: strategic merge patch: %w", ErrInvalidPatch, strategicErr)}
		}
	}

	ops, err := opsFromRaw(raw)
	if err != nil {
		return Patch{}, err
	}

	return newOpsPatch(ops)
}

// MustParse is like Parse but panics on error. It is meant for patch literals in
// programs and tests.
func MustParse(text string) Patch {
	p, err := Parse([]byte(text))
	if err != nil {
		panic(err)
	}

	return p
}

// ParseFile reads the file at path and parses it with Parse. It is ParseFileContext without
// a deadline: at most MaxPatchFileSize bytes are read, and a named pipe that no writer opens
// is waited on for as long as it takes (use ParseFileContext to give up).
func ParseFile(path string) (Patch, error) {
	return ParseFileContext(context.Background(), path)
}

// Load parses an argument the way talosctl writes patches on its command line:
// "@path" reads the file at path (ParseFile: at most MaxPatchFileSize bytes), anything else
// is patch text (Parse). Unlike talosctl, Load never guesses that text without "@" is a file
// name. "-" is not standard input (talosctl has no such form); "@/dev/stdin" reads it. Load
// is LoadContext without a deadline.
func Load(arg string) (Patch, error) {
	return LoadContext(context.Background(), arg)
}

// isEmptyYAML reports whether text holds only YAML comments, document
// separators and nulls.
func isEmptyYAML(text []byte) bool {
	for line := range strings.SplitSeq(string(text), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "", line == "---", line == "...", line == "~", line == "null", strings.HasPrefix(line, "#"):
		default:
			return false
		}
	}

	return true
}

package patches

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Operation names of RFC 6902.
const (
	OpAdd     = "add"
	OpRemove  = "remove"
	OpReplace = "replace"
	OpMove    = "move"
	OpCopy    = "copy"
	OpTest    = "test"
)

// Operation is one RFC 6902 operation. Build it with Add, Remove, Replace, Move,
// Copy or Test; an invalid Operation (a bad JSON pointer, a value that does not
// marshal to JSON) carries its error until Ops or OpsFor reports it.
// Operation is a comparable value.
type Operation struct {
	op    string
	from  string
	path  string
	value string // compact JSON; "" when the operation has no value
	err   error
}

// Op returns the operation name ("add", "remove", ...).
func (o Operation) Op() string { return o.op }

// Path returns the JSON pointer (RFC 6901) the operation addresses.
func (o Operation) Path() string { return o.path }

// From returns the source JSON pointer of a move or copy, or "".
func (o Operation) From() string { return o.from }

// Value returns the operation's value as compact JSON, or nil for operations
// without a value.
func (o Operation) Value() json.RawMessage {
	if o.value == "" {
		return nil
	}

	return json.RawMessage(o.value)
}

// Err returns the error the operation was built with, if any.
func (o Operation) Err() error { return o.err }

// String returns the operation as compact JSON, e.g.
// {"op":"add","path":"/cluster/proxy","value":{"disabled":true}}.
func (o Operation) String() string {
	var b strings.Builder

	b.WriteString(`{"op":`)
	b.WriteString(jsonString(o.op))

	if o.from != "" || o.op == OpMove || o.op == OpCopy {
		b.WriteString(`,"from":`)
		b.WriteString(jsonString(o.from))
	}

	b.WriteString(`,"path":`)
	b.WriteString(jsonString(o.path))

	if o.value != "" {
		b.WriteString(`,"value":`)
		b.WriteString(o.value)
	}

	b.WriteString("}")

	return b.String()
}

// MarshalJSON implements json.Marshaler with the String form. An invalid
// operation fails with its error.
func (o Operation) MarshalJSON() ([]byte, error) {
	if o.err != nil {
		return nil, o.err
	}

	if o.op == "" {
		return nil, fmt.Errorf("%w: zero operation", ErrInvalidOperation)
	}

	return []byte(o.String()), nil
}

// UnmarshalJSON implements json.Unmarshaler with the validation of Parse.
func (o *Operation) UnmarshalJSON(data []byte) error {
	op, err := opFromRaw(data)
	if err != nil {
		return err
	}

	*o = op

	return nil
}

// Add returns an "add" operation. value is marshalled with encoding/json
// (json.RawMessage is taken as is).
func Add(path string, value any) Operation { return newValueOp(OpAdd, path, value) }

// Replace returns a "replace" operation; applying it fails with ErrMissingPath
// when path does not exist.
func Replace(path string, value any) Operation { return newValueOp(OpReplace, path, value) }

// Test returns a "test" operation; applying it fails with ErrTestFailed when the
// value at path differs from value.
func Test(path string, value any) Operation { return newValueOp(OpTest, path, value) }

// Remove returns a "remove" operation; applying it fails with ErrMissingPath
// when path does not exist.
func Remove(path string) Operation {
	return validateOp(Operation{op: OpRemove, path: path})
}

// Move returns a "move" operation from one JSON pointer to another.
func Move(from, path string) Operation {
	return validateOp(Operation{op: OpMove, from: from, path: path})
}

// Copy returns a "copy" operation from one JSON pointer to another.
func Copy(from, path string) Operation {
	return validateOp(Operation{op: OpCopy, from: from, path: path})
}

func newValueOp(op, path string, value any) Operation {
	o := Operation{op: op, path: path}

	v, err := marshalValue(value)
	if err != nil {
		o.err = fmt.Errorf("%w: %s %s: value: %w", ErrInvalidOperation, op, path, err)

		return o
	}

	o.value = v

	return validateOp(o)
}

// Document names a config document: its kind and, for named documents, its
// name. The zero Document is the v1alpha1 document.
type Document struct {
	// Kind is the document kind, e.g. "KubeSpanConfig"; "" means v1alpha1.
	Kind string
	// Name is the document name, for kinds that have one; "" addresses the only
	// document of Kind.
	Name string
}

// String returns "v1alpha1", "Kind" or "Kind/name".
func (d Document) String() string {
	switch {
	case d.Kind == "":
		return v1alpha1Kind
	case d.Name == "":
		return d.Kind
	default:
		return d.Kind + "/" + d.Name
	}
}

const v1alpha1Kind = "v1alpha1"

// Ops returns an RFC 6902 patch of the operations, addressing the v1alpha1
// document. It fails with ErrEmptyPatch for no operations and with the first
// invalid operation's error (ErrInvalidOperation).
func Ops(ops ...Operation) (Patch, error) {
	return newOpsPatch(ops)
}

// OpsFor returns an RFC 6902 patch that addresses the document target of a
// multi-document config. The target is written into the patch as leading "test"
// operations on /kind (and /name), so the patch text stays plain RFC 6902 and
// parses back to the same target: on a single document, talosctl checks the
// same condition. A zero target (or kind "v1alpha1") is the same as Ops.
func OpsFor(target Document, ops ...Operation) (Patch, error) {
	if target.Kind == "" || target.Kind == v1alpha1Kind {
		if target.Name != "" {
			return Patch{}, fmt.Errorf("patch target %s: %w: the v1alpha1 document has no name", target, ErrInvalidOperation)
		}

		return newOpsPatch(ops)
	}

	if len(ops) == 0 {
		return Patch{}, fmt.Errorf("invalid patch: %w", ErrEmptyPatch)
	}

	prefix := []Operation{Test("/kind", target.Kind)}
	if target.Name != "" {
		prefix = append(prefix, Test("/name", target.Name))
	}

	return newOpsPatch(slices.Concat(prefix, ops))
}

// MustOps is like Ops but panics on error.
func MustOps(ops ...Operation) Patch {
	p, err := Ops(ops...)
	if err != nil {
		panic(err)
	}

	return p
}

func newOpsPatch(ops []Operation) (Patch, error) {
	if len(ops) == 0 {
		return Patch{}, fmt.Errorf("invalid patch: %w", ErrEmptyPatch)
	}

	var b strings.Builder

	b.WriteString("[")

	for i, o := range ops {
		if o.err != nil {
			return Patch{}, &ParseError{Op: i, Err: o.err}
		}

		if o.op == "" {
			return Patch{}, &ParseError{Op: i, Err: fmt.Errorf("%w: zero operation", ErrInvalidOperation)}
		}

		if i > 0 {
			b.WriteString(",")
		}

		b.WriteString(o.String())
	}

	b.WriteString("]")

	return Patch{kind: KindJSON6902, text: b.String()}, nil
}

// targetOf reads the document target from leading test operations.
func targetOf(ops []Operation) Document {
	var d Document

	if len(ops) == 0 || ops[0].op != OpTest || ops[0].path != "/kind" {
		return d
	}

	if err := json.Unmarshal([]byte(ops[0].value), &d.Kind); err != nil || d.Kind == v1alpha1Kind {
		return Document{}
	}

	if len(ops) > 1 && ops[1].op == OpTest && ops[1].path == "/name" {
		var name string
		if json.Unmarshal([]byte(ops[1].value), &name) == nil {
			d.Name = name
		}
	}

	return d
}

// decodeOps decodes canonical or user JSON operation text.
func decodeOps(text []byte) ([]Operation, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(text, &raw); err != nil {
		return nil, err
	}

	return opsFromRaw(raw)
}

func opsFromRaw(raw []json.RawMessage) ([]Operation, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("parse patch: %w", ErrEmptyPatch)
	}

	ops := make([]Operation, 0, len(raw))

	for i, r := range raw {
		o, err := opFromRaw(r)
		if err != nil {
			return nil, &ParseError{Op: i, Err: err}
		}

		ops = append(ops, o)
	}

	return ops, nil
}

func opFromRaw(r json.RawMessage) (Operation, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(r, &members); err != nil || members == nil {
		return Operation{}, fmt.Errorf("%w: not a JSON object", ErrInvalidOperation)
	}

	var o Operation

	for _, key := range sortedKeys(members) {
		val := members[key]

		switch key {
		case "op", "path", "from":
			var s string
			if err := json.Unmarshal(val, &s); err != nil {
				return Operation{}, fmt.Errorf("%w: %q must be a string", ErrInvalidOperation, key)
			}

			switch key {
			case "op":
				o.op = s
			case "path":
				o.path = s
			default:
				o.from = s
			}
		case "value":
			var buf bytes.Buffer
			if err := json.Compact(&buf, val); err != nil {
				return Operation{}, fmt.Errorf("%w: value: %w", ErrInvalidOperation, err)
			}

			o.value = buf.String()
		default:
			return Operation{}, fmt.Errorf("%w: unknown member %q", ErrInvalidOperation, key)
		}
	}

	if _, ok := members["path"]; !ok {
		return Operation{}, fmt.Errorf("%w: missing \"path\"", ErrInvalidOperation)
	}

	if _, ok := members["from"]; !ok && (o.op == OpMove || o.op == OpCopy) {
		return Operation{}, fmt.Errorf("%w: %s needs \"from\"", ErrInvalidOperation, o.op)
	}

	o = validateOp(o)

	return o, o.err
}

// validateOp checks the operation's shape and records the first problem in err.
func validateOp(o Operation) Operation {
	if o.err != nil {
		return o
	}

	fail := func(format string, args ...any) Operation {
		o.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalidOperation}, args...)...)

		return o
	}

	switch o.op {
	case OpAdd, OpReplace, OpTest:
		if o.value == "" {
			return fail("%s %q needs a value", o.op, o.path)
		}

		if o.from != "" {
			return fail("%s %q takes no \"from\"", o.op, o.path)
		}
	case OpRemove:
		if o.value != "" || o.from != "" {
			return fail("remove %q takes no value or \"from\"", o.path)
		}
	case OpMove, OpCopy:
		if o.value != "" {
			return fail("%s %q takes no value", o.op, o.path)
		}

		if err := checkPointer(o.from); err != nil {
			return fail("%s from %q: %w", o.op, o.from, err)
		}

		if o.op == OpMove && o.from != o.path && strings.HasPrefix(o.path, o.from+"/") {
			return fail("move from %q into its own child %q", o.from, o.path)
		}
	case "":
		return fail("missing \"op\"")
	default:
		return fail("unknown op %q", o.op)
	}

	if err := checkPointer(o.path); err != nil {
		return fail("%s path %q: %w", o.op, o.path, err)
	}

	return o
}

// checkPointer validates an RFC 6901 JSON pointer. Negative array indices
// (which RFC 6902 does not have) are refused when applying, where it is known
// whether a token indexes an array or names an object member.
func checkPointer(p string) error {
	if p == "" {
		return nil
	}

	if p[0] != '/' {
		return fmt.Errorf("a JSON pointer starts with \"/\"")
	}

	for tok := range strings.SplitSeq(p[1:], "/") {
		for i := 0; i < len(tok); i++ {
			if tok[i] == '~' && (i+1 == len(tok) || (tok[i+1] != '0' && tok[i+1] != '1')) {
				return fmt.Errorf("bad escape in %q: \"~\" must be followed by 0 or 1", tok)
			}
		}
	}

	return nil
}

// hasNegativeToken reports whether a pointer has a token like "-1".
func hasNegativeToken(p string) bool {
	for tok := range strings.SplitSeq(p, "/") {
		if isNegativeIndex(tok) {
			return true
		}
	}

	return false
}

func isNegativeIndex(tok string) bool {
	if len(tok) < 2 || tok[0] != '-' {
		return false
	}

	for _, c := range tok[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}

	return true
}

func marshalValue(v any) (string, error) {
	var buf bytes.Buffer

	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)

	if err := enc.Encode(v); err != nil {
		return "", err
	}

	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func jsonString(s string) string {
	v, _ := marshalValue(s) // strings always marshal

	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}

	slices.Sort(keys)

	return keys
}

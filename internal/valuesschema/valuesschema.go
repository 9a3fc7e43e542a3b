// Package valuesschema decides quickly whether Helm values meet a chart's values.schema.json,
// for the schemas that use only a small, common set of JSON Schema keywords.
//
// Helm checks values with santhosh-tekuri/jsonschema/v6, whose compilation of a large schema
// (the Cilium chart's is 130-170 KB) costs far more than the check itself: it validates the
// schema against its metaschema and indexes every subschema. This package compiles such a
// schema into a plain tree in a fraction of that time and evaluates it with the same
// semantics. It is a fast path, never a replacement:
//
//   - Compile accepts only draft-06 and draft-07 schemas whose every keyword it knows and
//     whose every keyword value the draft's metaschema certainly allows; for anything else it
//     reports ok=false and the caller compiles the schema with jsonschema as Helm does.
//   - Check answers Valid only when jsonschema would accept the values. It answers Invalid
//     when they certainly fail, and Unsure when a value has a Go type that JSON Schema has no
//     type for (jsonschema reports those as errors of its own). For Invalid and Unsure the
//     caller runs jsonschema, which produces Helm's exact message.
//
// The supported keywords are type, enum, const, properties, additionalProperties, required,
// minProperties, maxProperties, items (one schema or a list) with additionalItems, minItems,
// maxItems, uniqueItems, minLength, maxLength, minimum, maximum, exclusiveMinimum,
// exclusiveMaximum, multipleOf, allOf, anyOf, oneOf, not, and the annotations title,
// description, default, examples, $comment, readOnly and writeOnly; $schema at the root only.
// References ($ref, $id, definitions), pattern, patternProperties, format, if/then/else and
// the other keywords make Compile decline.
package valuesschema

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Result is the outcome of Check.
type Result int

const (
	// Invalid: the values certainly do not meet the schema.
	Invalid Result = iota
	// Valid: the values certainly meet the schema.
	Valid
	// Unsure: a value reached by the schema has a Go type JSON Schema has no type for
	// (map[string]string, say); jsonschema decides (and reports an error).
	Unsure
)

func (r Result) String() string {
	switch r {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	default:
		return "unsure"
	}
}

// Schema is a compiled schema. It is immutable and safe for concurrent use.
type Schema struct {
	root *node
}

// ErrUnsupported is wrapped by the errors of Compile: the schema uses something this package
// does not evaluate (or that its draft's metaschema may reject).
var ErrUnsupported = errors.New("schema outside the fast path")

// Compile compiles schemaJSON. Its error wraps ErrUnsupported (or is a JSON syntax error) and
// says what made it decline; the caller then uses jsonschema.
func Compile(schemaJSON []byte) (*Schema, error) {
	dec := json.NewDecoder(bytes.NewReader(schemaJSON))
	dec.UseNumber()

	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}

	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid character after top-level value")
	}

	draft := 0

	if m, ok := doc.(map[string]any); ok {
		if s, present := m["$schema"]; present {
			str, _ := s.(string)

			draft = draftOf(str)
		}
	}

	if draft == 0 {
		return nil, fmt.Errorf("%w: only draft-06 and draft-07 schemas (with $schema) are compiled", ErrUnsupported)
	}

	c := compiler{draft: draft}

	root, err := c.compile(doc, "", true)
	if err != nil {
		return nil, err
	}

	return &Schema{root: root}, nil
}

// draftOf returns 6 or 7 for the $schema URLs jsonschema/v6 maps to those drafts, else 0.
func draftOf(url string) int {
	u, _ := strings.CutSuffix(url, "#")
	if strings.Contains(u, "#") {
		return 0
	}

	if rest, ok := strings.CutPrefix(u, "http://"); ok {
		u = rest
	} else if rest, ok := strings.CutPrefix(u, "https://"); ok {
		u = rest
	}

	switch u {
	case "json-schema.org/draft-07/schema":
		return 7
	case "json-schema.org/draft-06/schema":
		return 6
	default:
		return 0
	}
}

// Check evaluates values against the schema.
func (s *Schema) Check(values any) Result {
	return s.root.check(values)
}

// typeSet is a set of JSON types.
type typeSet uint8

const (
	tNull typeSet = 1 << iota
	tBoolean
	tNumber
	tInteger
	tString
	tArray
	tObject
)

var typeNames = map[string]typeSet{
	"null": tNull, "boolean": tBoolean, "number": tNumber, "integer": tInteger,
	"string": tString, "array": tArray, "object": tObject,
}

// node is one compiled (sub)schema.
type node struct {
	// always is set for the boolean schemas true and false.
	always *bool

	types typeSet // 0: any type

	enum      []any
	hasEnum   bool
	constant  any
	hasConst  bool
	required  []string
	props     map[string]*node
	addProps  *node // additionalProperties; nil: allowed
	minProps  int
	maxProps  int // -1: no limit
	items     *node
	itemList  []*node
	addItems  *node // additionalItems (only with itemList)
	minItems  int
	maxItems  int // -1
	unique    bool
	minLength int
	maxLength int // -1

	minimum, maximum, exclMin, exclMax, multipleOf *big.Rat

	allOf, anyOf, oneOf []*node
	not                 *node
}

type compiler struct {
	draft int
}

// compile compiles one schema value found at path (a JSON pointer, for messages).
func (c *compiler) compile(v any, path string, root bool) (*node, error) {
	switch v := v.(type) {
	case bool:
		return &node{always: &v}, nil
	case map[string]any:
		return c.compileObject(v, path, root)
	default:
		return nil, c.unsupported(path, "a schema must be an object or a boolean")
	}
}

func (c *compiler) unsupported(path, why string) error {
	if path == "" {
		path = "/"
	}

	return fmt.Errorf("%w: at %s: %s", ErrUnsupported, path, why)
}

func (c *compiler) compileObject(m map[string]any, path string, root bool) (*node, error) {
	n := &node{maxProps: -1, maxItems: -1, maxLength: -1}

	var err error

	for kw, val := range m {
		at := path + "/" + escapePointer(kw)

		switch kw {
		case "$schema":
			if !root {
				return nil, c.unsupported(at, "$schema below the root")
			}
		case "title", "description":
			if _, ok := val.(string); !ok {
				return nil, c.unsupported(at, "not a string")
			}
		case "$comment":
			if _, ok := val.(string); !ok || c.draft < 7 {
				return nil, c.unsupported(at, "not a string, or not a draft-07 keyword")
			}
		case "readOnly", "writeOnly":
			if _, ok := val.(bool); !ok || c.draft < 7 {
				return nil, c.unsupported(at, "not a boolean, or not a draft-07 keyword")
			}
		case "default":
		case "examples":
			if _, ok := val.([]any); !ok {
				return nil, c.unsupported(at, "not an array")
			}
		case "type":
			n.types, err = c.types(val, at)
		case "enum":
			list, ok := val.([]any)
			if !ok || len(list) == 0 || !allDistinct(list) {
				return nil, c.unsupported(at, "not a non-empty array of distinct values")
			}

			n.enum, n.hasEnum = list, true
		case "const":
			n.constant, n.hasConst = val, true
		case "required":
			n.required, err = c.stringSet(val, at)
		case "properties":
			n.props, err = c.properties(val, at)
		case "additionalProperties":
			n.addProps, err = c.compile(val, at, false)
		case "minProperties":
			n.minProps, err = c.count(val, at)
		case "maxProperties":
			n.maxProps, err = c.count(val, at)
		case "items":
			if list, ok := val.([]any); ok {
				n.itemList, err = c.list(list, at)
			} else {
				n.items, err = c.compile(val, at, false)
			}
		case "additionalItems":
			n.addItems, err = c.compile(val, at, false)
		case "minItems":
			n.minItems, err = c.count(val, at)
		case "maxItems":
			n.maxItems, err = c.count(val, at)
		case "uniqueItems":
			b, ok := val.(bool)
			if !ok {
				return nil, c.unsupported(at, "not a boolean")
			}

			n.unique = b
		case "minLength":
			n.minLength, err = c.count(val, at)
		case "maxLength":
			n.maxLength, err = c.count(val, at)
		case "minimum":
			n.minimum, err = c.number(val, at)
		case "maximum":
			n.maximum, err = c.number(val, at)
		case "exclusiveMinimum":
			n.exclMin, err = c.number(val, at)
		case "exclusiveMaximum":
			n.exclMax, err = c.number(val, at)
		case "multipleOf":
			n.multipleOf, err = c.number(val, at)
			if err == nil && n.multipleOf.Sign() <= 0 {
				err = c.unsupported(at, "not greater than 0")
			}
		case "allOf", "anyOf", "oneOf":
			list, ok := val.([]any)
			if !ok {
				return nil, c.unsupported(at, "not an array")
			}

			var nodes []*node

			if nodes, err = c.list(list, at); err == nil {
				switch kw {
				case "allOf":
					n.allOf = nodes
				case "anyOf":
					n.anyOf = nodes
				default:
					n.oneOf = nodes
				}
			}
		case "not":
			n.not, err = c.compile(val, at, false)
		default:
			return nil, c.unsupported(at, "keyword not evaluated by the fast path")
		}

		if err != nil {
			return nil, err
		}
	}

	if n.itemList == nil {
		// additionalItems only applies after a list of items.
		n.addItems = nil
	}

	return n, nil
}

// types compiles the value of "type": one simple type name or a non-empty array of distinct
// ones.
func (c *compiler) types(v any, at string) (typeSet, error) {
	if s, ok := v.(string); ok {
		t, known := typeNames[s]
		if !known {
			return 0, c.unsupported(at, "unknown type "+s)
		}

		return t, nil
	}

	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return 0, c.unsupported(at, "not a type name or a non-empty array of type names")
	}

	var set typeSet

	for _, e := range list {
		s, _ := e.(string)

		t, known := typeNames[s]
		if !known || set&t != 0 {
			return 0, c.unsupported(at, "unknown or repeated type name")
		}

		set |= t
	}

	return set, nil
}

// stringSet compiles a non-repeating array of strings ("required").
func (c *compiler) stringSet(v any, at string) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, c.unsupported(at, "not an array of strings")
	}

	out := make([]string, 0, len(list))
	seen := make(map[string]bool, len(list))

	for _, e := range list {
		s, ok := e.(string)
		if !ok || seen[s] {
			return nil, c.unsupported(at, "not an array of distinct strings")
		}

		seen[s] = true
		out = append(out, s)
	}

	return out, nil
}

func (c *compiler) properties(v any, at string) (map[string]*node, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, c.unsupported(at, "not an object")
	}

	out := make(map[string]*node, len(m))

	for name, sub := range m {
		n, err := c.compile(sub, at+"/"+escapePointer(name), false)
		if err != nil {
			return nil, err
		}

		out[name] = n
	}

	return out, nil
}

// list compiles a non-empty array of schemas.
func (c *compiler) list(list []any, at string) ([]*node, error) {
	if len(list) == 0 {
		return nil, c.unsupported(at, "an empty array of schemas")
	}

	out := make([]*node, len(list))

	for i, e := range list {
		n, err := c.compile(e, fmt.Sprintf("%s/%d", at, i), false)
		if err != nil {
			return nil, err
		}

		out[i] = n
	}

	return out, nil
}

// maxCount bounds the counting keywords the fast path takes (minItems and the like).
const maxCount = 1 << 30

// count compiles a non-negative integer such as minItems.
func (c *compiler) count(v any, at string) (int, error) {
	r, err := c.number(v, at)
	if err != nil {
		return 0, err
	}

	if !r.IsInt() || r.Sign() < 0 || r.Num().Cmp(big.NewInt(maxCount)) > 0 {
		return 0, c.unsupported(at, "not a non-negative integer (up to 2^30)")
	}

	return int(r.Num().Int64()), nil
}

func (c *compiler) number(v any, at string) (*big.Rat, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, c.unsupported(at, "not a number")
	}

	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return nil, c.unsupported(at, "not a number")
	}

	return r, nil
}

// escapePointer escapes a key for a JSON pointer.
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}

	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// allDistinct reports whether the JSON values of list are pairwise different (uniqueItems of
// a metaschema). Values decoded from JSON always have JSON types.
func allDistinct(list []any) bool {
	return distinct(list) == Valid
}

// smallArray is the length up to which distinct compares every pair of items: cheaper than
// encoding them.
const smallArray = 16

// maxShapeComparisons bounds the pairwise comparisons distinct makes for items holding a value
// without a JSON type; beyond it the answer is Unsure.
const maxShapeComparisons = 1 << 12

// distinct evaluates uniqueItems on list with the outcome of comparing every pair of items with
// equal: Invalid when two items are equal, else Unsure when a comparison met a value without a
// JSON type, else Valid.
//
// Large arrays take time linear in their size: each item made only of JSON values is encoded
// canonically (see appendCanonical: equal values, and only those, have the same encoding) and
// looked up in a map. Items holding a value without a JSON type (rare: jsonschema rejects
// them when it reaches them) are never equal to anything; their comparisons are only made to
// tell Unsure from Valid, against the items of the same type and length (equal answers a
// certain "different" for any other pair without looking inside), within a bound.
func distinct(list []any) Result {
	if len(list) <= smallArray {
		return distinctPairwise(list)
	}

	seen := make(map[string]struct{}, len(list))

	var (
		buf  []byte
		odd  []int // items holding a value without a JSON type
		full bool
	)

	for i, v := range list {
		if buf, full = appendCanonical(buf[:0], v); !full {
			odd = append(odd, i)

			continue
		}

		if _, dup := seen[string(buf)]; dup {
			return Invalid
		}

		seen[string(buf)] = struct{}{}
	}

	if len(odd) == 0 {
		return Valid
	}

	return distinctOdd(list, odd)
}

// distinctPairwise is distinct by comparing every pair.
func distinctPairwise(list []any) Result {
	res := Valid

	for i := range list {
		for j := range i {
			eq, ok := equal(list[i], list[j])
			if !ok {
				res = Unsure
			} else if eq {
				return Invalid
			}
		}
	}

	return res
}

// shape is the top-level JSON type and length of a container, the part of two values equal
// compares before looking inside them.
type shape struct {
	kind typeSet
	len  int
}

func shapeOf(v any) (shape, bool) {
	switch v := v.(type) {
	case []any:
		return shape{tArray, len(v)}, true
	case map[string]any:
		return shape{tObject, len(v)}, true
	default:
		return shape{}, false
	}
}

// distinctOdd finishes distinct for a list (of at least two items) without two equal items of
// JSON values only: it reports whether comparing the odd items (those holding a value without a
// JSON type) with the others meets such a value.
func distinctOdd(list []any, odd []int) Result {
	for _, i := range odd {
		if _, container := shapeOf(list[i]); !container {
			// A value without a JSON type itself: every comparison with it is unsure.
			return Unsure
		}
	}

	byShape := make(map[shape][]int)

	for i, v := range list {
		if sh, ok := shapeOf(v); ok {
			byShape[sh] = append(byShape[sh], i)
		}
	}

	budget := maxShapeComparisons

	for _, i := range odd {
		sh, _ := shapeOf(list[i])

		for _, j := range byShape[sh] {
			if j == i {
				continue
			}

			if budget--; budget < 0 {
				return Unsure
			}

			a, b := list[max(i, j)], list[min(i, j)]
			if _, ok := equal(a, b); !ok {
				return Unsure
			}
		}
	}

	return Valid
}

// appendCanonical appends to buf an encoding of v such that two values made only of JSON
// values have the same encoding exactly when equal reports them equal: numbers by their
// rational value (1, int64(1), 1.0 and json.Number("1") alike), arrays in order, objects by
// their keys in sorted order. full is false when v holds a value without a JSON type (or a
// json.Number that is not a number); the encoding is then meaningless.
//
// Every encoding is self-delimiting (strings and containers carry their length, numbers end
// with ';'), so the encoding of a container is unambiguous.
func appendCanonical(buf []byte, v any) (_ []byte, full bool) {
	switch v := v.(type) {
	case nil:
		return append(buf, 'n'), true
	case bool:
		if v {
			return append(buf, 't'), true
		}

		return append(buf, 'f'), true
	case string:
		buf = append(buf, 's')
		buf = binary.AppendUvarint(buf, uint64(len(v)))

		return append(buf, v...), true
	case []any:
		buf = append(buf, '[')
		buf = binary.AppendUvarint(buf, uint64(len(v)))

		for _, e := range v {
			if buf, full = appendCanonical(buf, e); !full {
				return buf, false
			}
		}

		return buf, true
	case map[string]any:
		buf = append(buf, '{')
		buf = binary.AppendUvarint(buf, uint64(len(v)))

		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}

		slices.Sort(keys)

		for _, k := range keys {
			buf = binary.AppendUvarint(buf, uint64(len(k)))
			buf = append(buf, k...)

			if buf, full = appendCanonical(buf, v[k]); !full {
				return buf, false
			}
		}

		return buf, true
	}

	r, ok := numberOf(v)
	if !ok {
		return buf, false
	}

	buf = append(buf, 'd')

	switch x := v.(type) {
	case int:
		buf = strconv.AppendInt(buf, int64(x), 10)
	case int64:
		buf = strconv.AppendInt(buf, x, 10)
	case float64:
		if r == nil {
			buf = strconv.AppendInt(buf, int64(x), 10)
		} else {
			buf = append(buf, r.RatString()...)
		}
	default:
		if r == nil {
			r = rational(v)
		}

		buf = append(buf, r.RatString()...)
	}

	return append(buf, ';'), true
}

// numberOf reports whether v is a number equal compares, with its value when that is not
// cheaper to read from v itself (nil for int, int64 and float64 integers below 2^53). A
// json.Number that does not parse is not a number: jsonschema never finds it equal to
// anything, so comparisons with it are left to jsonschema.
func numberOf(v any) (*big.Rat, bool) {
	switch x := v.(type) {
	case int, int64:
		return nil, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}

		if math.Abs(x) < twoTo53 && x == math.Trunc(x) {
			return nil, true
		}

		return rational(x), true
	case json.Number:
		r, ok := new(big.Rat).SetString(string(x))

		return r, ok
	}

	if k, ok := kindOf(v); ok && k == tNumber {
		return rational(v), true
	}

	return nil, false
}

// kindOf returns the JSON type of a Go value as jsonschema/v6 sees it (tInteger is never
// returned: an integer is a number), and false for a Go type it has no JSON type for.
func kindOf(v any) (typeSet, bool) {
	switch v := v.(type) {
	case nil:
		return tNull, true
	case bool:
		return tBoolean, true
	case string:
		return tString, true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false
		}

		return tNumber, true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return tNumber, true
	case []any:
		return tArray, true
	case map[string]any:
		return tObject, true
	default:
		// float32, json.Number and every other type are left to jsonschema.
		return 0, false
	}
}

// twoTo53 is where float64 stops representing every integer.
const twoTo53 = 1 << 53

// isInteger reports whether a number has no fractional part, as jsonschema/v6 decides it
// (the number printed with %v, read as a rational).
func isInteger(v any) bool {
	if f, ok := v.(float64); ok {
		if math.Abs(f) < twoTo53 {
			return f == math.Trunc(f)
		}
	}

	return rational(v).IsInt()
}

// rational returns a number as jsonschema/v6 reads it.
func rational(v any) *big.Rat {
	switch v := v.(type) {
	case int:
		return new(big.Rat).SetInt64(int64(v))
	case int64:
		return new(big.Rat).SetInt64(v)
	case float64:
		if math.Abs(v) < twoTo53 && v == math.Trunc(v) {
			return new(big.Rat).SetInt64(int64(v))
		}
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(v)); ok {
			return r
		}

		return new(big.Rat)
	}

	r, ok := new(big.Rat).SetString(fmt.Sprint(v))
	if !ok {
		return new(big.Rat)
	}

	return r
}

// equal compares two JSON values like jsonschema/v6: numbers by value whatever their Go
// types, maps and arrays deeply. ok is false when either holds a Go type without a JSON type.
func equal(a, b any) (eq, ok bool) {
	ka, okA := kindOf(a)
	if !okA {
		if !isNumber(a) {
			return false, false
		}

		ka = tNumber
	}

	kb, okB := kindOf(b)
	if !okB {
		if !isNumber(b) {
			return false, false
		}

		kb = tNumber
	}

	if ka != kb {
		// jsonschema answers "different" without looking inside b; a value inside a that has
		// no JSON type is only reported when it is compared.
		return false, true
	}

	switch ka {
	case tNull:
		return true, true
	case tBoolean:
		return a.(bool) == b.(bool), true
	case tString:
		return a.(string) == b.(string), true
	case tNumber:
		return rational(a).Cmp(rational(b)) == 0, true
	case tArray:
		x, y := a.([]any), b.([]any)
		if len(x) != len(y) {
			return false, true
		}

		for i := range x {
			if eq, ok := equal(x[i], y[i]); !eq || !ok {
				return eq, ok
			}
		}

		return true, true
	default:
		x, y := a.(map[string]any), b.(map[string]any)
		if len(x) != len(y) {
			return false, true
		}

		for k, xv := range x {
			yv, present := y[k]
			if !present {
				return false, true
			}

			if eq, ok := equal(xv, yv); !eq || !ok {
				return eq, ok
			}
		}

		return true, true
	}
}

// isNumber reports whether v is a json.Number holding a number. (jsonschema reads one that
// does not parse as different from every number, or fails on it: the fast path is unsure.)
func isNumber(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}

	_, ok = new(big.Rat).SetString(string(n))

	return ok
}

// and combines results that must all be Valid.
func and(a, b Result) Result {
	switch {
	case a == Invalid || b == Invalid:
		return Invalid
	case a == Unsure || b == Unsure:
		return Unsure
	default:
		return Valid
	}
}

func boolResult(ok bool) Result {
	if ok {
		return Valid
	}

	return Invalid
}

// check evaluates v against n. Invalid is returned as soon as it is certain; Unsure when a
// value the schema reaches has no JSON type (jsonschema fails on it, but its message is its
// own).
func (n *node) check(v any) Result {
	if n.always != nil {
		return boolResult(*n.always)
	}

	k, ok := kindOf(v)
	if !ok {
		return Unsure
	}

	if n.types != 0 && n.types&k == 0 && (n.types&tInteger == 0 || k != tNumber || !isInteger(v)) {
		return Invalid
	}

	res := Valid

	if n.hasConst {
		eq, ok := equal(v, n.constant)
		if !ok {
			return Unsure
		}

		if !eq {
			return Invalid
		}
	}

	if n.hasEnum {
		if r := n.checkEnum(v); r != Valid {
			return r
		}
	}

	switch k {
	case tObject:
		res = and(res, n.checkObject(v.(map[string]any)))
	case tArray:
		res = and(res, n.checkArray(v.([]any)))
	case tString:
		res = and(res, n.checkString(v.(string)))
	case tNumber:
		res = and(res, n.checkNumber(v))
	}

	if res == Invalid {
		return Invalid
	}

	return and(res, n.checkApplicators(v))
}

func (n *node) checkEnum(v any) Result {
	for _, e := range n.enum {
		eq, ok := equal(v, e)
		if !ok {
			return Unsure
		}

		if eq {
			return Valid
		}
	}

	return Invalid
}

func (n *node) checkObject(obj map[string]any) Result {
	if len(obj) < n.minProps || (n.maxProps >= 0 && len(obj) > n.maxProps) {
		return Invalid
	}

	for _, name := range n.required {
		if _, ok := obj[name]; !ok {
			return Invalid
		}
	}

	res := Valid

	for name, value := range obj {
		sub, ok := n.props[name]
		if !ok {
			sub = n.addProps
		}

		if sub == nil {
			continue
		}

		if res = and(res, sub.check(value)); res == Invalid {
			return Invalid
		}
	}

	return res
}

func (n *node) checkArray(arr []any) Result {
	if len(arr) < n.minItems || (n.maxItems >= 0 && len(arr) > n.maxItems) {
		return Invalid
	}

	res := Valid

	if n.unique {
		if res = distinct(arr); res == Invalid {
			return Invalid
		}
	}

	for i, item := range arr {
		var sub *node

		switch {
		case n.items != nil:
			sub = n.items
		case i < len(n.itemList):
			sub = n.itemList[i]
		case n.itemList != nil:
			sub = n.addItems
		}

		if sub == nil {
			continue
		}

		if res = and(res, sub.check(item)); res == Invalid {
			return Invalid
		}
	}

	return res
}

func (n *node) checkString(s string) Result {
	if n.minLength == 0 && n.maxLength < 0 {
		return Valid
	}

	l := utf8.RuneCountInString(s)

	return boolResult(l >= n.minLength && (n.maxLength < 0 || l <= n.maxLength))
}

func (n *node) checkNumber(v any) Result {
	if n.minimum == nil && n.maximum == nil && n.exclMin == nil && n.exclMax == nil && n.multipleOf == nil {
		return Valid
	}

	r := rational(v)

	switch {
	case n.minimum != nil && r.Cmp(n.minimum) < 0,
		n.maximum != nil && r.Cmp(n.maximum) > 0,
		n.exclMin != nil && r.Cmp(n.exclMin) <= 0,
		n.exclMax != nil && r.Cmp(n.exclMax) >= 0,
		n.multipleOf != nil && !new(big.Rat).Quo(r, n.multipleOf).IsInt():
		return Invalid
	}

	return Valid
}

func (n *node) checkApplicators(v any) Result {
	res := Valid

	for _, sub := range n.allOf {
		if res = and(res, sub.check(v)); res == Invalid {
			return Invalid
		}
	}

	if n.anyOf != nil {
		any := Invalid

		for _, sub := range n.anyOf {
			r := sub.check(v)
			if r == Valid {
				any = Valid

				break
			}

			if r == Unsure {
				any = Unsure
			}
		}

		if res = and(res, any); res == Invalid {
			return Invalid
		}
	}

	if n.oneOf != nil {
		valid, unsure := 0, 0

		for _, sub := range n.oneOf {
			switch sub.check(v) {
			case Valid:
				valid++
			case Unsure:
				unsure++
			}
		}

		switch {
		case valid > 1:
			return Invalid
		case unsure > 0:
			res = and(res, Unsure)
		case valid == 0:
			return Invalid
		}
	}

	if n.not != nil {
		switch n.not.check(v) {
		case Valid:
			return Invalid
		case Unsure:
			res = and(res, Unsure)
		}
	}

	return res
}

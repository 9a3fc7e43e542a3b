package nodeencode

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/merge"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
)

// AppendMerged appends to dst the encoding of the base strategically merged with the patch
// documents: the bytes that applying the patch with package patches (configpatcher's
// StrategicMerge, translation off) and then encoding give, without copying the base. The node's
// v1alpha1 document is a shallow copy of the base's in which only the parts the merge writes
// into are copies (found by walking the patch document, not by a list of fields); every other
// document the patch merges into is a copy of the base's merged and re-encoded, the rest keep
// the base's encodings. This is the fast path for nodes that differ from their role config only
// in a patch of a few fields (config.NodeSettings); tests and fuzz targets in package config
// compare it with the general path.
//
// ok is false, with dst unchanged, when the fast path does not cover the patch — a document the
// base lacks (the merge would add it), a delete selector, a base without a v1alpha1 document, a
// value whose encoding cannot be spliced, a field it cannot copy — and the caller must take the
// general path. The patch documents are not modified and not kept.
func (e *Encoder) AppendMerged(dst []byte, patch []configconfig.Document) (out []byte, ok bool, err error) {
	v1 := e.baseV1
	if v1 == nil {
		return dst, false, nil
	}

	var changed map[int][]byte

	for _, p := range patch {
		if _, isSelector := p.(interface {
			ApplyTo(configconfig.Document) error
		}); isSelector {
			return dst, false, nil
		}

		if pv, isV1 := p.(*v1alpha1.Config); isV1 {
			if v1, ok = mergeShallow(v1, pv); !ok {
				return dst, false, nil
			}

			continue
		}

		i := e.docIndex(documentID(p))
		if i < 0 || changed[i] != nil {
			return dst, false, nil // added by the merge, or merged twice: the general path
		}

		enc, ok := e.mergeDocument(e.docs[i], p)
		if !ok {
			return dst, false, nil
		}

		if changed == nil {
			changed = map[int][]byte{}
		}

		changed[i] = enc
	}

	start := len(dst)
	buf := bytes.NewBuffer(dst)

	buf.Grow(e.size + e.size/8)

	// Every part shared with the base is the base's by identity, so only the changed fields are
	// compared in depth and encoded.
	if err := e.v1.encode(buf, reflect.ValueOf(v1).Elem(), 0); errors.Is(err, errRawBreak) {
		return dst, false, nil // a value the fields' encodings cannot be spliced with
	} else if err != nil {
		return dst, false, fmt.Errorf("encode config: %w", err)
	}

	for i, d := range e.docs {
		if buf.Len() > start {
			buf.WriteString("---\n")
		}

		if enc, ok := changed[i]; ok {
			buf.Write(enc)

			continue
		}

		buf.Write(d.enc)
	}

	return buf.Bytes(), true, nil
}

// docIndex returns the index in e.docs of the document with the id, or -1.
func (e *Encoder) docIndex(id string) int {
	for i, d := range e.docs {
		if d.id == id {
			return i
		}
	}

	return -1
}

// mergeDocument returns the encoding of a copy of d's document merged with patch as the
// strategic merge merges it; ok is false when the merge fails (the general path reports it) or
// the result cannot be encoded here.
func (e *Encoder) mergeDocument(d *docEncoding, patch configconfig.Document) ([]byte, bool) {
	merged := d.doc.Clone()
	if err := merge.Merge(merged, patch); err != nil {
		return nil, false
	}

	d.prepareMerges()

	var (
		enc []byte
		err error
	)

	switch {
	case d.splice != nil:
		var ok bool
		if enc, ok = d.splice.encode(d.doc, merged); !ok {
			enc, err = marshalDocument(merged)
		}
	case d.plain:
		enc, err = marshalDocument(merged)
	default:
		enc, err = encodeDocument(merged)
	}

	return enc, err == nil
}

// mergeShallow returns base merged with patch as merge.Merge merges them (what the strategic
// merge does with two v1alpha1 documents), sharing with base everything the merge does not
// write into. ok is false when a part the merge writes into cannot be copied here.
func mergeShallow(base, patch *v1alpha1.Config) (*v1alpha1.Config, bool) {
	out := *base

	if !mergeFields(reflect.ValueOf(&out).Elem(), reflect.ValueOf(patch).Elem(), 2) {
		return nil, false
	}

	return &out, true
}

// mergerType is machinery's merge.merger: types that merge themselves, called whatever the
// patch holds.
var mergerType = reflect.TypeFor[interface{ Merge(other any) error }]()

// fieldPlan is what mergeFields needs to know of a struct field, worked out once per type.
type fieldPlan struct {
	index     int
	exported  bool
	isBool    bool // merge sets a bool field whatever the patch holds
	merger    bool // the field's type merges itself (called whatever the patch holds)
	replace   bool // tagged merge:"replace"
	ptrStruct bool // a pointer to a struct
}

var fieldPlans sync.Map // reflect.Type -> []fieldPlan

func plan(t reflect.Type) []fieldPlan {
	if p, ok := fieldPlans.Load(t); ok {
		return p.([]fieldPlan) // only plans are stored
	}

	plans := make([]fieldPlan, t.NumField())

	for i := range t.NumField() {
		f := t.Field(i)
		plans[i] = fieldPlan{
			index:     i,
			exported:  f.IsExported(),
			isBool:    f.Type.Kind() == reflect.Bool,
			merger:    reflect.PointerTo(f.Type).Implements(mergerType),
			replace:   slices.Contains(strings.Split(f.Tag.Get("merge"), ","), "replace"),
			ptrStruct: f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct,
		}
	}

	p, _ := fieldPlans.LoadOrStore(t, plans)

	return p.([]fieldPlan) // only plans are stored
}

// mergeFields merges the struct p into v, a shallow copy of a struct, field by field as
// merge.Merge merges two structs (each field with machinery's merge), after giving v copies of
// its own of the fields the merge writes into: pointers to structs are copied shallowly and
// walked depth levels down, other fields are copied deeply. Merging the fields one by one is
// merging the struct: the struct merge merges each field alone, and the overwrite flag it passes
// down differently concerns only scalars, which a zero patch field leaves alone and a non-zero
// one sets either way. It reports false for what it does not model (an unexported or
// merge:"replace" field the patch sets, a field it cannot copy, a failing merge); the caller
// then takes the general path.
func mergeFields(v, p reflect.Value, depth int) bool {
	for _, f := range plan(v.Type()) {
		fv, pf := v.Field(f.index), p.Field(f.index)

		switch {
		case !f.exported || f.replace:
			if !pf.IsZero() {
				return false
			}

			continue
		case f.isBool:
			fv.SetBool(pf.Bool())

			continue
		case !f.merger && pf.IsZero():
			continue
		}

		if depth > 1 && f.ptrStruct && !f.merger && !fv.IsNil() && !pf.IsNil() {
			own := reflect.New(fv.Type().Elem())
			own.Elem().Set(fv.Elem())

			if !mergeFields(own.Elem(), pf.Elem(), depth-1) {
				return false
			}

			fv.Set(own)

			continue
		}

		own, ok := deepCopy(fv)
		if !ok {
			return false
		}

		fv.Set(own)

		if err := merge.Merge(fv.Addr().Interface(), pf.Addr().Interface()); err != nil {
			return false
		}
	}

	return true
}

// deepCopy returns a copy of v that shares no memory with it: the type's own DeepCopy where it
// has one (machinery's generated copies), else copied by kind. ok is false for what it cannot
// copy (unexported struct fields, channels, functions).
func deepCopy(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		if v.IsNil() {
			return v, true
		}
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return v, false
	}

	switch v.Type() { // the per-node fields, without reflection
	case stringMapType:
		return reflect.ValueOf(maps.Clone(v.Interface().(map[string]string))), true
	case stringSliceType:
		return reflect.ValueOf(slices.Clone(v.Interface().([]string))), true
	}

	if m := v.MethodByName("DeepCopy"); m.IsValid() && m.Type().NumIn() == 0 && m.Type().NumOut() == 1 && m.Type().Out(0) == v.Type() {
		return m.Call(nil)[0], true
	}

	switch v.Kind() {
	case reflect.Pointer:
		elem, ok := deepCopy(v.Elem())
		if !ok {
			return v, false
		}

		out := reflect.New(v.Type().Elem())
		out.Elem().Set(elem)

		return out, true
	case reflect.Map:
		out := reflect.MakeMapWithSize(v.Type(), v.Len())

		for it := v.MapRange(); it.Next(); {
			val, ok := deepCopy(it.Value())
			if !ok {
				return v, false
			}

			out.SetMapIndex(it.Key(), val)
		}

		return out, true
	case reflect.Slice:
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())

		for i := range v.Len() {
			elem, ok := deepCopy(v.Index(i))
			if !ok {
				return v, false
			}

			out.Index(i).Set(elem)
		}

		return out, true
	case reflect.Array, reflect.Struct, reflect.Interface:
		return deepCopyValue(v)
	default:
		return v, true // scalars
	}
}

// deepCopyValue copies arrays, structs and interfaces element by element.
func deepCopyValue(v reflect.Value) (reflect.Value, bool) {
	out := reflect.New(v.Type()).Elem()

	switch v.Kind() {
	case reflect.Array:
		for i := range v.Len() {
			elem, ok := deepCopy(v.Index(i))
			if !ok {
				return v, false
			}

			out.Index(i).Set(elem)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				if !v.Field(i).IsZero() {
					return v, false
				}

				continue
			}

			f, ok := deepCopy(v.Field(i))
			if !ok {
				return v, false
			}

			out.Field(i).Set(f)
		}
	case reflect.Interface:
		elem, ok := deepCopy(v.Elem())
		if !ok {
			return v, false
		}

		out.Set(elem)
	}

	return out, true
}

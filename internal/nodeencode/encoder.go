package nodeencode

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	yaml "go.yaml.in/yaml/v4"

	"github.com/talospatch/talospatch/internal/machineryseam"
)

// Encoder encodes machine configs that differ little from one base config — typically the
// per-node configs patched from one role config — to exactly the bytes machinery's encoder
// gives without comments (config.Encode), only faster: the base is encoded once, and for each
// config only the documents, and the fields of the v1alpha1 document's top level and of its
// machine and cluster sections, that differ from the base are encoded again. The rest is copied
// from the base's encoding, so large documents such as a control plane's inline manifests are
// encoded once, not per node.
//
// Any config can be encoded, also one unrelated to the base: it is then just as slow as the
// encoder. An Encoder is immutable (its lazily made splicers aside, which are made once under
// a sync.Once) and safe for concurrent use.
type Encoder struct {
	v1   *fieldsEncoding // the base's v1alpha1 document, field by field; nil without one
	docs []*docEncoding  // the base's other documents
	size int             // the length of the base's encoding, to size output buffers

	baseV1 *v1alpha1.Config // the v1alpha1 document of the encoder's copy of the base, when e.v1 is set
}

// docEncoding is one encoded document of the base.
type docEncoding struct {
	doc configconfig.Document
	id  string // apiVersion/kind[/name], as the strategic merge matches documents
	enc []byte

	// Made on the first merge into the document (AppendMerged), as most documents are never
	// merged into: whether marshalDocument gives machinery's encoding of the document, and a
	// splicer that re-encodes changed fields only (nil when it cannot).
	once   sync.Once
	plain  bool
	splice *docSplicer
}

// prepareMerges makes d.plain and d.splice.
func (d *docEncoding) prepareMerges() {
	d.once.Do(func() {
		out, err := marshalDocument(d.doc)
		if d.plain = err == nil && bytes.Equal(out, d.enc); d.plain {
			d.splice = newDocSplicer(d.doc, d.enc)
		}
	})
}

// documentID identifies a document as configpatcher.StrategicMerge matches a patch's documents
// with a config's.
func documentID(d configconfig.Document) string {
	id := d.APIVersion() + "/" + d.Kind()

	if named, ok := d.(configconfig.NamedDocument); ok {
		id += "/" + named.Name()
	}

	return id
}

// marshalDocument encodes a document with the plain YAML encoder, four-space indentation, as
// machinery's encoder lays it out.
func marshalDocument(d configconfig.Document) ([]byte, error) {
	var buf bytes.Buffer

	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(4)

	if err := enc.Encode(d); err != nil {
		return nil, err
	}

	if err := enc.Close(); err != nil {
		return nil, err
	}

	return buf.Bytes(), nil
}

// fieldsEncoding is the encoding of a struct field by field: concatenated, the fields' encodings
// are the struct's encoding as a YAML block mapping.
type fieldsEncoding struct {
	fields []fieldEncoding

	// batches caches, by the set of changed fields, the type of a struct holding just those
	// fields, so that they are encoded with one YAML marshal (see encodeChanged).
	batches sync.Map // string -> reflect.Type
}

// fieldEncoding is one field of a struct: the type of a struct with just this field (same name,
// type and tag, so it encodes the same), the base's value and its encoding ("key: value\n"
// lines, or nothing when the field is omitted), and, when the value is a pointer to a struct
// that is itself split into fields, its encoding field by field (sub) after the key line.
type fieldEncoding struct {
	index  int
	field  reflect.StructField // name, type and tag, as in the struct
	key    string              // the YAML key, "name" of the tag or the lowercased field name
	single reflect.Type
	base   reflect.Value
	enc    []byte
	keyLn  []byte          // "key:\n", the first line of enc, when sub is set
	sub    *fieldsEncoding // nil: the field is encoded as a whole
}

// New returns an Encoder for configs derived from base, a machinery config container. base is
// not modified and not kept: the encoder keeps a deep copy.
func New(base coreconfig.Provider) (*Encoder, error) {
	if base == nil {
		return nil, errors.New("new node encoder: nil config")
	}

	own := machineryseam.DeepClone(base)

	v1, docs, ok := splitDocuments(own)
	if !ok {
		return nil, fmt.Errorf("new node encoder: %T is not a machinery config container (or holds v1alpha1 delete selectors)", base)
	}

	e := &Encoder{}

	if v1 != nil && splittable(reflect.TypeOf(v1)) {
		fe, err := newFieldsEncoding(reflect.ValueOf(v1).Elem(), 2)
		if err != nil {
			return nil, fmt.Errorf("new node encoder: %w", err)
		}

		// A base whose encoding holds a line break other than '\n' (rawBreak) is encoded
		// whole, as machinery does: its fields' encodings need not concatenate to the document's.
		if !slices.ContainsFunc(fe.fields, func(f fieldEncoding) bool { return rawBreak(f.enc) }) {
			e.v1, e.baseV1 = fe, v1
		}

		for _, f := range fe.fields {
			e.size += len(f.enc)
		}
	}

	for _, d := range docs {
		enc, err := encodeDocument(d)
		if err != nil {
			return nil, fmt.Errorf("new node encoder: %w", err)
		}

		e.docs = append(e.docs, &docEncoding{doc: d, id: documentID(d), enc: enc})
		e.size += len("---\n") + len(enc)
	}

	return e, nil
}

// Append appends the encoding of cfg to dst, exactly machinery's encoding without comments:
// compact YAML, the v1alpha1 document first, then the others in order, separated by "---". On
// error dst is returned unchanged.
func (e *Encoder) Append(dst []byte, cfg coreconfig.Provider) ([]byte, error) {
	if cfg == nil {
		return dst, errors.New("encode config: nil config")
	}

	v1, docs, ok := splitDocuments(cfg)
	if !ok {
		out, err := machineryseam.EncodeConfig(cfg)
		if err != nil {
			return dst, fmt.Errorf("encode config: %w", err)
		}

		return append(dst, out...), nil
	}

	start := len(dst)
	buf := bytes.NewBuffer(dst)

	buf.Grow(e.size + e.size/8) // room for what a node usually adds

	if v1 != nil {
		v := reflect.ValueOf(v1).Elem()

		// Field by field where the encoder has the base's fields; else, and when a field's
		// encoding cannot be spliced (errRawBreak), the whole document as machinery encodes it.
		err := errRawBreak
		if e.v1 != nil {
			err = e.v1.encode(buf, v, 0)
		}

		if err != nil && !errors.Is(err, errRawBreak) {
			return dst, fmt.Errorf("encode config: %w", err)
		}

		if err != nil {
			buf.Truncate(start)

			out, err := encodeDocument(v1)
			if err != nil {
				return dst, fmt.Errorf("encode config: %w", err)
			}

			buf.Write(out)
		}
	}

	for i, d := range docs {
		if buf.Len() > start {
			buf.WriteString("---\n")
		}

		if i < len(e.docs) && sameValue(reflect.ValueOf(d), reflect.ValueOf(e.docs[i].doc)) {
			buf.Write(e.docs[i].enc)

			continue
		}

		out, err := encodeDocument(d)
		if err != nil {
			return dst, fmt.Errorf("encode config: %w", err)
		}

		buf.Write(out)
	}

	return buf.Bytes(), nil
}

// splitDocuments returns the v1alpha1 document and the other documents of a machinery config
// container in the order the container encodes them. It reports false for other providers and
// for containers with documents whose place in the encoding it does not model (v1alpha1 delete
// selectors, which only patches carry); those are encoded by the provider itself.
func splitDocuments(cfg coreconfig.Provider) (*v1alpha1.Config, []configconfig.Document, bool) {
	if _, ok := cfg.(*container.Container); !ok {
		return nil, nil, false
	}

	v1 := cfg.RawV1Alpha1()

	var docs []configconfig.Document

	for _, d := range cfg.Documents() {
		if d == configconfig.Document(v1) && v1 != nil {
			continue
		}

		if _, isV1 := d.(*v1alpha1.Config); isV1 || d.Kind() == v1alpha1.Version {
			return nil, nil, false
		}

		docs = append(docs, d)
	}

	return v1, docs, true
}

// encodeDocument encodes one document as the machinery container does with comments off.
func encodeDocument(d configconfig.Document) ([]byte, error) {
	return machineryseam.EncodeDocument(d)
}

// newFieldsEncoding encodes the struct v field by field; fields that are pointers to structs
// are split further while depth > 1.
func newFieldsEncoding(v reflect.Value, depth int) (*fieldsEncoding, error) {
	t := v.Type()
	fe := &fieldsEncoding{}

	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("yaml") == "-" {
			continue
		}

		sf := reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag}
		fd := fieldEncoding{
			index:  i,
			field:  sf,
			key:    yamlKey(f),
			single: reflect.StructOf([]reflect.StructField{sf}),
			base:   v.Field(i),
		}

		enc, err := fd.encodeValue(fd.base)
		if err != nil {
			return nil, err
		}

		fd.enc = enc

		if depth > 1 && splittable(f.Type) && !fd.base.IsNil() {
			if key, ok := keyLine(enc); ok {
				sub, err := newFieldsEncoding(fd.base.Elem(), depth-1)
				if err != nil {
					return nil, err
				}

				// Use the split form only where it reproduces the whole field's encoding.
				var body bytes.Buffer

				err = sub.encode(&body, fd.base.Elem(), 1)
				if err != nil && !errors.Is(err, errRawBreak) {
					return nil, err
				}

				if err == nil && bytes.Equal(append(append([]byte(nil), key...), body.Bytes()...), enc) {
					fd.keyLn, fd.sub = key, sub
				}
			}
		}

		fe.fields = append(fe.fields, fd)
	}

	return fe, nil
}

// encodeValue encodes a struct holding only this field with value fv: "key: ...\n" lines, or
// nothing when the field is omitted.
func (fd *fieldEncoding) encodeValue(fv reflect.Value) ([]byte, error) {
	if out, ok := appendPlainField(nil, fd, fv); ok {
		return out, nil
	}

	s := reflect.New(fd.single)
	s.Elem().Field(0).Set(fv)

	out, err := yaml.Marshal(s.Interface())
	if err != nil {
		return nil, err
	}

	if string(out) == "{}\n" {
		return nil, nil
	}

	return out, nil
}

// encode writes the encoding of struct v (of the type the fields were made for), indented by
// level*4 spaces, reusing the base's encoding of every field whose value equals the base's.
func (fe *fieldsEncoding) encode(buf *bytes.Buffer, v reflect.Value, level int) error {
	// Fields that differ from the base and are not split further are encoded together.
	var changed []int

	for i := range fe.fields {
		fd := &fe.fields[i]
		fv := v.Field(fd.index)

		// A field split further is compared field by field below, not as a whole here.
		if (fd.sub == nil || fv.IsNil()) && !sameValue(fv, fd.base) {
			changed = append(changed, i)
		}
	}

	encs, err := fe.encodeChanged(v, changed)
	if err != nil {
		return err
	}

	// A changed field whose encoding holds a line break other than '\n' (rawBreak) cannot be
	// re-indented line by line (writeIndented), nor, even at level 0, cut apart from the other
	// changed fields at '\n' (encodeChanged): the caller encodes the whole document instead.
	for _, enc := range encs {
		if rawBreak(enc) {
			return errRawBreak
		}
	}

	for i := range fe.fields {
		fd := &fe.fields[i]

		switch {
		case len(changed) > 0 && changed[0] == i:
			writeIndented(buf, encs[0], level)
			changed, encs = changed[1:], encs[1:]
		case fd.sub != nil && !v.Field(fd.index).IsNil() && v.Field(fd.index).UnsafePointer() != fd.base.UnsafePointer():
			// Encoded field by field, which copies the base's encoding of every field that
			// equals the base's and, for a struct equal to the base's, gives fd.enc (the split
			// form is used only where it reproduces the whole field's encoding). Comparing the
			// whole struct first would compare every field twice.
			// The fields go straight into buf, one level deeper than the key line: indenting
			// by 4 spaces and then by level*4 is indenting by (level+1)*4.
			fv := v.Field(fd.index)
			mark := buf.Len()

			writeIndented(buf, fd.keyLn, level)

			body := buf.Len()
			if err := fd.sub.encode(buf, fv.Elem(), level+1); err != nil {
				return err
			}

			if buf.Len() == body { // every field omitted: the struct encodes as "key: {}"
				buf.Truncate(mark)

				enc, err := fd.encodeValue(fv)
				if err != nil {
					return err
				}

				if rawBreak(enc) {
					return errRawBreak
				}

				writeIndented(buf, enc, level)
			}
		default:
			writeIndented(buf, fd.enc, level)
		}
	}

	return nil
}

// encodeChanged encodes the fields at the given positions of fe.fields with their values in v,
// returning one encoding per field ("key: ...\n" lines, or nothing when omitted). Several
// fields are encoded with one YAML marshal of a struct holding just them, whose output is the
// fields' encodings one after the other, each starting with its key at the first column.
func (fe *fieldsEncoding) encodeChanged(v reflect.Value, changed []int) ([][]byte, error) {
	encs := make([][]byte, len(changed))

	if len(changed) == 1 {
		fd := &fe.fields[changed[0]]

		enc, err := fd.encodeValue(v.Field(fd.index))
		encs[0] = enc

		return encs, err
	}

	if len(changed) == 0 {
		return encs, nil
	}

	if encodePlainFields(fe, v, changed, encs) {
		return encs, nil
	}

	id := fmt.Sprint(changed)

	t, ok := fe.batches.Load(id)
	if !ok {
		sfs := make([]reflect.StructField, len(changed))
		for k, i := range changed {
			sfs[k] = fe.fields[i].field
		}

		t, _ = fe.batches.LoadOrStore(id, reflect.StructOf(sfs))
	}

	s := reflect.New(t.(reflect.Type)) // only types are stored
	for k, i := range changed {
		s.Elem().Field(k).Set(v.Field(fe.fields[i].index))
	}

	out, err := yaml.Marshal(s.Interface())
	if err != nil {
		return nil, err
	}

	if string(out) == "{}\n" { // every field omitted
		return encs, nil
	}

	// Split at the keys; a field whose key does not come next was omitted.
	k := 0

	for len(out) > 0 {
		end := nextKeyLine(out)
		chunk := out[:end]
		out = out[end:]

		for k < len(changed) && !bytes.HasPrefix(chunk, []byte(fe.fields[changed[k]].key+":")) {
			k++
		}

		if k == len(changed) { // unexpected output: encode the fields one by one
			for k, i := range changed {
				fd := &fe.fields[i]
				if encs[k], err = fd.encodeValue(v.Field(fd.index)); err != nil {
					return nil, err
				}
			}

			return encs, nil
		}

		encs[k] = chunk
		k++
	}

	return encs, nil
}

// encodePlainFields fills encs with the encodings of the changed fields when every one of them
// is written directly (appendPlainField), all in one buffer, and reports whether it did.
func encodePlainFields(fe *fieldsEncoding, v reflect.Value, changed []int, encs [][]byte) bool {
	var (
		buf  []byte
		ends = make([]int, len(changed))
	)

	for k, i := range changed {
		fd := &fe.fields[i]

		var ok bool
		if buf, ok = appendPlainField(buf, fd, v.Field(fd.index)); !ok {
			return false
		}

		ends[k] = len(buf)
	}

	start := 0

	for k, end := range ends {
		encs[k] = buf[start:end:end]
		start = end
	}

	return true
}

// nextKeyLine returns the offset of the second line of out that starts at the first column (a
// key of the top-level mapping), or len(out).
func nextKeyLine(out []byte) int {
	for i := bytes.IndexByte(out, '\n'); i >= 0 && i+1 < len(out); {
		if c := out[i+1]; c != ' ' && c != '\n' {
			return i + 1
		}

		next := bytes.IndexByte(out[i+1:], '\n')
		if next < 0 {
			break
		}

		i += 1 + next
	}

	return len(out)
}

// yamlKey returns the key the YAML encoder writes for a struct field.
func yamlKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name)
	}

	return name
}

// splittable reports whether t is a pointer to a struct that the YAML encoder encodes field by
// field as a block mapping: no custom marshalling and no inlined fields.
func splittable(t reflect.Type) bool {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return false
	}

	marshaler := reflect.TypeFor[yaml.Marshaler]()
	textMarshaler := reflect.TypeFor[encoding.TextMarshaler]()

	for _, c := range []reflect.Type{t, t.Elem()} {
		if c.Implements(marshaler) || c.Implements(textMarshaler) {
			return false
		}
	}

	for i := range t.Elem().NumField() {
		f := t.Elem().Field(i)
		if f.Anonymous || strings.Contains(f.Tag.Get("yaml"), "inline") {
			return false
		}
	}

	return true
}

// keyLine returns the first line of enc when it is a key opening a block ("key:\n").
func keyLine(enc []byte) ([]byte, bool) {
	i := bytes.IndexByte(enc, '\n')
	if i < 1 || enc[i-1] != ':' || i+1 >= len(enc) || enc[i+1] != ' ' {
		return nil, false
	}

	return enc[:i+1], true
}

// errRawBreak is returned by fieldsEncoding.encode when the encoding of a changed field holds
// a line break other than '\n' (see rawBreak): the callers then encode the whole document with
// the encoder, as Encode does.
var errRawBreak = errors.New("encoding holds a line break other than '\\n'")

// writeIndented writes enc with every non-empty line indented by level*4 spaces: the YAML
// encoder's indentation of a nested block (empty lines of block scalars stay empty). Lines are
// split at '\n' only: enc must not hold the other line breaks (rawBreak) when level > 0. The
// callers make sure of it: fieldsEncoding.encode refuses changed fields whose encodings hold
// them, and New splits no base whose encoding does.
func writeIndented(buf *bytes.Buffer, enc []byte, level int) {
	if level == 0 {
		buf.Write(enc)

		return
	}

	indent := strings.Repeat("    ", level)

	for len(enc) > 0 {
		line := enc
		if i := bytes.IndexByte(enc, '\n'); i >= 0 {
			line = enc[:i+1]
		}

		enc = enc[len(line):]

		if len(line) > 1 || line[0] != '\n' {
			buf.WriteString(indent)
		}

		buf.Write(line)
	}
}

// rawBreak reports whether an encoding holds, unescaped, one of the characters YAML 1.1 (and so
// the YAML encoder) takes as a line break besides '\n': '\r', U+0085 NEXT LINE, U+2028 LINE
// SEPARATOR or U+2029 PARAGRAPH SEPARATOR. The encoder writes U+2028 and U+2029 unescaped in
// single-quoted and block scalars and breaks the line there: the text after them is indented to
// the scalar's depth (except a closing quote), and a key after a trailing one can follow it on
// the same line. Splitting such an encoding at '\n' into lines and fields, as this file does,
// would misplace that indentation. The other two are escaped (in double quotes) by the encoder;
// they are here in case it writes them raw.
func rawBreak(enc []byte) bool {
	for i := 0; i < len(enc); i++ {
		switch c := enc[i]; {
		case c == '\r':
			return true
		case c == 0xc2 && i+1 < len(enc) && enc[i+1] == 0x85:
			return true
		case c == 0xe2 && i+2 < len(enc) && enc[i+1] == 0x80 && (enc[i+2] == 0xa8 || enc[i+2] == 0xa9):
			return true
		}
	}

	return false
}

// sameValue reports whether a and b are deeply equal, first by identity: a field shared with
// the base (the same pointer, map or slice) is the base's value.
func sameValue(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Pointer, reflect.Map:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}

		if a.UnsafePointer() == b.UnsafePointer() {
			return true
		}
	case reflect.Slice:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}

		if a.Len() == b.Len() && a.UnsafePointer() == b.UnsafePointer() {
			return true
		}
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
	case reflect.String: // without boxing both values, as a.Interface() would
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	}

	return reflect.DeepEqual(a.Interface(), b.Interface())
}

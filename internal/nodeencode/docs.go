package nodeencode

import (
	"bytes"
	"reflect"
	"strings"

	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
)

// docSplicer re-encodes the fields of one document of the base that a node changes, and splices
// them into the base's encoding: a node's KubeNodeConfig differs from its role's in its label,
// annotation and taint maps only, and encoding those alone is several times cheaper than
// encoding the document.
//
// It is made only for a document whose plain YAML encoding is machinery's (docEncoding.plain) and
// whose encoding it can take apart into one block per top-level field and put back together
// exactly; otherwise the document is encoded whole.
type docSplicer struct {
	fields []splicedField
}

// splicedField is one top-level field: its struct field (nil for the inlined apiVersion/kind),
// its YAML key and the base's block ("key: ...\n" lines, empty when omitted).
type splicedField struct {
	index int // struct field index; -1 for the inlined meta fields
	enc   *fieldEncoding
	block []byte
}

// newDocSplicer takes the base encoding enc of document d apart, or returns nil.
func newDocSplicer(d configconfig.Document, enc []byte) *docSplicer {
	v := reflect.ValueOf(d)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}

	blocks := topLevelBlocks(enc)
	t := v.Elem().Type()
	sp := &docSplicer{}

	for i := range t.NumField() {
		f := t.Field(i)

		tag := f.Tag.Get("yaml")
		if tag == "-" || !f.IsExported() {
			continue
		}

		if strings.Contains(tag, "inline") {
			// The inlined meta fields (apiVersion, kind) never change: keep their lines.
			var b []byte

			for _, k := range []string{"apiVersion", "kind"} {
				b = append(b, blocks[k]...)
				delete(blocks, k)
			}

			sp.fields = append(sp.fields, splicedField{index: -1, block: b})

			continue
		}

		key, _, _ := strings.Cut(tag, ",")
		if key == "" {
			key = strings.ToLower(f.Name)
		}

		sf := reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag}
		fd := &fieldEncoding{index: i, field: sf, key: key, single: reflect.StructOf([]reflect.StructField{sf}), base: v.Elem().Field(i)}

		// The field's own encoding must be its block of the document's encoding.
		if own, err := fd.encodeValue(fd.base); err != nil || !bytes.Equal(own, blocks[key]) {
			return nil
		}

		sp.fields = append(sp.fields, splicedField{index: i, enc: fd, block: blocks[key]})
		delete(blocks, key)
	}

	if len(blocks) > 0 || !bytes.Equal(sp.join(nil), enc) {
		return nil // a key the struct does not explain, or not reassembled exactly
	}

	return sp
}

// topLevelBlocks splits an encoding into its top-level keys' blocks: a line at column 0 opens a
// block that runs until the next one.
func topLevelBlocks(enc []byte) map[string][]byte {
	blocks := map[string][]byte{}

	var (
		key   string
		start int
	)

	flush := func(end int) {
		if key != "" {
			blocks[key] = enc[start:end]
		}
	}

	for i := 0; i < len(enc); {
		end := bytes.IndexByte(enc[i:], '\n')
		if end < 0 {
			end = len(enc) - i
		} else {
			end++
		}

		line := enc[i : i+end]
		if len(line) > 0 && line[0] != ' ' && line[0] != '-' && line[0] != '\n' {
			if k, _, ok := bytes.Cut(line, []byte(":")); ok {
				flush(i)
				key, start = string(k), i
			}
		}

		i += end
	}

	flush(len(enc))

	return blocks
}

// join concatenates the blocks, with replacements for the fields in changed (by position).
func (sp *docSplicer) join(changed map[int][]byte) []byte {
	var out []byte

	for i, f := range sp.fields {
		if b, ok := changed[i]; ok {
			out = append(out, b...)

			continue
		}

		out = append(out, f.block...)
	}

	return out
}

// encode returns the encoding of merged (a node's copy of the base document) by re-encoding only
// the top-level fields that differ from base; ok is false when it cannot.
func (sp *docSplicer) encode(base, merged configconfig.Document) ([]byte, bool) {
	bv, mv := reflect.ValueOf(base).Elem(), reflect.ValueOf(merged).Elem()
	changed := map[int][]byte{}

	for i, f := range sp.fields {
		if f.index < 0 {
			continue
		}

		if sameValue(bv.Field(f.index), mv.Field(f.index)) {
			continue
		}

		b, err := f.enc.encodeValue(mv.Field(f.index))
		if err != nil || rawBreak(b) { // see rawBreak: the blocks are cut apart at '\n'
			return nil, false
		}

		changed[i] = b
	}

	return sp.join(changed), true
}

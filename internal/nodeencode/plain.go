package nodeencode

import (
	"reflect"
	"strings"
)

// The per-node fields of a fleet (machine.certSANs, machine.nodeLabels and the like) are lists
// and maps of short, ordinary strings. Encoding them with the YAML encoder costs most of a
// node's encoding (an emitter, its buffers, reflection over a one-field struct); this file
// writes them directly when the result is certainly what the encoder writes, and otherwise
// leaves them to it. Tests compare both on generated and adversarial strings.

var (
	stringSliceType = reflect.TypeFor[[]string]()
	stringMapType   = reflect.TypeFor[map[string]string]()
)

// maxPlainLen bounds the strings written directly, far below any line width of the encoder.
const maxPlainLen = 64

// appendPlainField appends the encoding of field fd with value fv ("key:\n" and the block
// lines at the first column, as yaml.Marshal of a struct holding just the field writes it) and
// reports true, or returns dst unchanged and false when the encoder must decide: the field is
// not a []string or a map[string]string with one entry, is empty, or holds a string that a
// plain scalar cannot carry unchanged.
func appendPlainField(dst []byte, fd *fieldEncoding, fv reflect.Value) ([]byte, bool) {
	if !plainTag(fd.field.Tag.Get("yaml")) || !plainString(fd.key) {
		return dst, false
	}

	switch fv.Type() {
	case stringSliceType:
		n := fv.Len()
		if n == 0 {
			return dst, false
		}

		for i := range n {
			if !plainString(fv.Index(i).String()) {
				return dst, false
			}
		}

		dst = append(append(dst, fd.key...), ":\n"...)

		for i := range n {
			dst = append(append(append(dst, "    - "...), fv.Index(i).String()...), '\n')
		}

		return dst, true
	case stringMapType:
		if fv.Len() != 1 { // the encoder's key order is left to the encoder
			return dst, false
		}

		it := fv.MapRange()
		it.Next()

		k, v := it.Key().String(), it.Value().String()
		if !plainString(k) || !plainString(v) {
			return dst, false
		}

		dst = append(append(dst, fd.key...), ":\n    "...)
		dst = append(append(append(append(dst, k...), ": "...), v...), '\n')

		return dst, true
	default:
		return dst, false
	}
}

// plainTag reports whether a yaml struct tag has no options other than omitempty (flow style,
// inlining and the like change the encoding).
func plainTag(tag string) bool {
	_, opts, _ := strings.Cut(tag, ",")

	return opts == "" || opts == "omitempty"
}

// plainString reports whether the YAML encoder writes s as a plain scalar, unchanged: a short
// string of letters, digits, '.', '-', '_' and '/' that starts with a letter and is none of the
// words YAML 1.1 or 1.2 reads as a boolean, null or special number; or a dotted run of digits
// with at least two dots (an IPv4 address), which no YAML schema reads as a number or a date.
func plainString(s string) bool {
	if s == "" || len(s) > maxPlainLen {
		return false
	}

	for i := range len(s) {
		c := s[i]

		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_', c == '/':
		default:
			return false
		}
	}

	if c := s[0]; c >= '0' && c <= '9' {
		return dottedDigits(s)
	}

	if !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}

	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf":
		return false
	}

	return true
}

// dottedDigits reports whether s is digits separated by at least two single dots ("10.0.0.1").
func dottedDigits(s string) bool {
	dots, prevDot := 0, true

	for i := range len(s) {
		switch c := s[i]; {
		case c == '.':
			if prevDot {
				return false
			}

			dots++
			prevDot = true
		case c >= '0' && c <= '9':
			prevDot = false
		default:
			return false
		}
	}

	return !prevDot && dots >= 2
}

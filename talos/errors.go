package talos

import (
	"strconv"
	"strings"
)

// Document identifies one document of a machine config: its kind ("v1alpha1",
// "KubeSpanConfig", "DiscoveryServiceConfig", ...) and, for named documents, its name. The zero
// Document is "no document": the field is one of a cluster description, not of a config.
type Document struct {
	// Kind is the document kind; "v1alpha1" for the v1alpha1 document.
	Kind string
	// Name is the document's name; empty for unnamed documents.
	Name string
}

// IsZero reports whether d names no document.
func (d Document) IsZero() bool { return d == Document{} }

// String returns the kind, followed by the quoted name for named documents:
// `DiscoveryServiceConfig "default"`.
func (d Document) String() string {
	if d.Name == "" {
		return d.Kind
	}

	return d.Kind + " " + strconv.Quote(d.Name)
}

// Pointer builds an RFC 6901 JSON pointer from path segments, escaping "~" and "/":
// Pointer("cluster", "network", "cni") is "/cluster/network/cni". No segments give "" (the
// whole document).
func Pointer(segments ...string) string {
	var b strings.Builder

	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1"))
	}

	return b.String()
}

// DottedPointer turns a dotted field path with indexes, as Talos's messages write them
// ("cluster.network.cni.urls[0]", "filters.endpoints[1]"), into an RFC 6901 pointer
// ("/cluster/network/cni/urls/0"). "" gives "".
func DottedPointer(path string) string {
	if path == "" {
		return ""
	}

	var segs []string

	for part := range strings.SplitSeq(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		segs = append(segs, name)

		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			segs = append(segs, idx)
			rest = strings.TrimPrefix(after, "[")
		}
	}

	return Pointer(segs...)
}

// Segments splits an RFC 6901 pointer into its unescaped segments; it is the inverse of
// [Pointer]. "" gives no segments.
func Segments(pointer string) []string {
	if pointer == "" {
		return nil
	}

	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}

	return parts
}

// FieldError is one problem with one field, the single field error type of the whole module:
// the document it is in, the field's path, the offending value, the cause and the fix.
// Validation functions return several of them joined with Join.
type FieldError struct {
	// Document is the config document of the field; zero for a field of a cluster description
	// or a function parameter.
	Document Document
	// Path is the field's RFC 6901 JSON pointer inside the document or description
	// ("/cluster/network/cni", "/cni/urls/0"), or the name of a function parameter
	// ("contract"); see [Pointer].
	Path string
	// Value is the offending value as text; empty when the problem is a missing value.
	Value string
	// Err is the cause; it wraps the sentinel errors callers match with errors.Is.
	Err error
	// Fix says what to do instead; empty when there is nothing better to say.
	Fix string
}

// writeLocation writes "document path: ", leaving out what is empty.
func writeLocation(b *strings.Builder, d Document, path string) {
	if !d.IsZero() {
		b.WriteString(d.String())

		if path != "" {
			b.WriteByte(' ')
		}
	}

	b.WriteString(path)

	if b.Len() > 0 {
		b.WriteString(": ")
	}
}

// Error implements error: `KubeSpanConfig /mtu: kubespan mtu too small (value "1000"); fix: ...`.
func (e *FieldError) Error() string {
	var b strings.Builder

	writeLocation(&b, e.Document, e.Path)

	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid value")
	}

	if e.Value != "" {
		b.WriteString(" (value ")
		b.WriteString(strconv.Quote(e.Value))
		b.WriteByte(')')
	}

	if e.Fix != "" {
		b.WriteString("; fix: ")
		b.WriteString(e.Fix)
	}

	return b.String()
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// Segments returns the path as unescaped segments.
func (e *FieldError) Segments() []string { return Segments(e.Path) }

// Warning is something valid but probably not meant, as a value: where it is (document and
// RFC 6901 path, as in [FieldError]) and what to know about it. A library never prints
// warnings; functions return them.
type Warning struct {
	// Document is the config document; zero for a cluster description field.
	Document Document
	// Path is the RFC 6901 pointer of the field; empty when the warning is about the whole
	// document or config.
	Path string
	// Message says what is probably wrong and what to do.
	Message string
}

// String returns `document path: message`, leaving out what is empty.
func (w Warning) String() string {
	var b strings.Builder

	writeLocation(&b, w.Document, w.Path)
	b.WriteString(w.Message)

	return b.String()
}

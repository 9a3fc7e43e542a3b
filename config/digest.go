package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"go.yaml.in/yaml/v4"
)

// DigestPrefix starts every [Digest]: the hash function of the canonical form.
const DigestPrefix = "sha256:"

// Digest returns a stable digest of an encoded machine config (multi-document YAML, as
// [Encode] writes it or as a user wrote it): "sha256:" and the hex SHA-256 of the config's
// canonical form. Two configs that differ only in their encoding have the same digest, so a
// Terraform provider can keep a config in state unchanged when only the encoder changed (a
// machinery upgrade that writes keys in another order, quotes differently, adds comments or an
// empty list). What the digest ignores:
//
//   - comments, indentation, quoting and block or flow style;
//   - the order of keys in a mapping, and the order of the documents (documents are ordered by
//     apiVersion, kind and name; v1alpha1 first);
//   - null values, empty mappings and empty lists, which decode as the field's zero value;
//   - empty documents.
//
// Everything else is content: a value, a list's order, a scalar's type (7445 and "7445" differ).
// The canonical form is defined here and does not depend on machinery's encoder, so the digest
// of a config stays the same across versions of this module (a golden test holds it).
func Digest(data []byte) (string, error) {
	canon, err := canonical(data)
	if err != nil {
		return "", fmt.Errorf("config digest: %w", err)
	}

	sum := sha256.Sum256(canon)

	return DigestPrefix + hex.EncodeToString(sum[:]), nil
}

// DigestOf returns the [Digest] of cfg as [Encode] writes it.
func DigestOf(cfg coreconfig.Provider) (string, error) {
	data, err := Encode(cfg)
	if err != nil {
		return "", fmt.Errorf("config digest: %w", err)
	}

	return Digest(data)
}

// Equivalent reports whether two encoded machine configs say the same thing, differing at most
// in their encoding: Equivalent(a, b) is Digest(a) == Digest(b), without hashing. An error
// names the config that does not parse ("config a", "config b").
func Equivalent(a, b []byte) (bool, error) {
	ca, err := canonical(a)
	if err != nil {
		return false, fmt.Errorf("compare configs: config a: %w", err)
	}

	cb, err := canonical(b)
	if err != nil {
		return false, fmt.Errorf("compare configs: config b: %w", err)
	}

	return bytes.Equal(ca, cb), nil
}

// canonicalDocument is one document in canonical form with its sort key.
type canonicalDocument struct {
	v1alpha1               bool
	apiVersion, kind, name string
	json                   []byte
}

// canonical returns the canonical form of a multi-document YAML config: a JSON array of its
// non-empty documents in order, each document's mappings with sorted keys (encoding/json's
// order) and without null or empty values.
func canonical(data []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))

	var docs []canonicalDocument

	for i := 0; ; i++ {
		var v any

		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}

		if err != nil {
			return nil, fmt.Errorf("%w: document %d: %w", ErrInvalid, i, err)
		}

		v, keep := normalise(v)
		if !keep {
			continue
		}

		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: document %d is a %T, not a mapping", ErrInvalid, i, v)
		}

		js, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("%w: document %d: %w", ErrInvalid, i, err)
		}

		d := canonicalDocument{json: js}
		d.apiVersion, _ = m["apiVersion"].(string)
		d.kind, _ = m["kind"].(string)
		d.name, _ = m["name"].(string)
		version, _ := m["version"].(string)
		d.v1alpha1 = d.kind == "" && version == "v1alpha1"

		docs = append(docs, d)
	}

	slices.SortStableFunc(docs, func(a, b canonicalDocument) int {
		if a.v1alpha1 != b.v1alpha1 {
			if a.v1alpha1 {
				return -1
			}

			return 1
		}

		if c := strings.Compare(a.apiVersion, b.apiVersion); c != 0 {
			return c
		}

		if c := strings.Compare(a.kind, b.kind); c != 0 {
			return c
		}

		return strings.Compare(a.name, b.name)
	})

	var out bytes.Buffer

	out.WriteByte('[')

	for i, d := range docs {
		if i > 0 {
			out.WriteByte(',')
		}

		out.Write(d.json)
	}

	out.WriteByte(']')

	return out.Bytes(), nil
}

// normalise returns v with mapping keys as strings and null, empty mappings and empty lists
// left out of mappings; keep is false when v itself is such a value.
func normalise(v any) (out any, keep bool) {
	switch t := v.(type) {
	case nil:
		return nil, false
	case map[string]any:
		m := make(map[string]any, len(t))

		for k, e := range t {
			if e, ok := normalise(e); ok {
				m[k] = e
			}
		}

		return m, len(m) > 0
	case map[any]any:
		m := make(map[string]any, len(t))

		for k, e := range t {
			if e, ok := normalise(e); ok {
				m[fmt.Sprint(k)] = e
			}
		}

		return m, len(m) > 0
	case []any:
		l := make([]any, 0, len(t))

		for _, e := range t {
			e, _ := normalise(e) // a null in a list is an element: keep its place
			l = append(l, e)
		}

		return l, len(l) > 0
	default:
		return v, true
	}
}

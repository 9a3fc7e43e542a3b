package manifests

import (
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ErrNondeterministic is wrapped by the error of a deterministic render whose output carries
// key material generated during the render. The error is a *NondeterministicError.
var ErrNondeterministic = errors.New("render is not deterministic")

// ObjectRef identifies a Kubernetes object.
type ObjectRef struct {
	APIVersion string `json:"apiVersion" yaml:"apiVersion"`
	Kind       string `json:"kind" yaml:"kind"`
	Namespace  string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Name       string `json:"name" yaml:"name"`
}

// RefOf returns the reference of obj.
func RefOf(obj *unstructured.Unstructured) ObjectRef {
	return ObjectRef{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// String returns "apiVersion Kind namespace/name", or "apiVersion Kind name" for
// cluster-scoped objects, for example "apps/v1 DaemonSet kube-system/cilium".
func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.APIVersion + " " + r.Kind + " " + r.Name
	}

	return r.APIVersion + " " + r.Kind + " " + r.Namespace + "/" + r.Name
}

// KeyMaterial describes a Secret or another object that carries key material: PEM blocks
// (certificates, private keys), also base64-encoded, entries named "*.key", and private keys
// however they are wrapped (base64 twice or URL-safe, DER, a kubeconfig with credentials, a
// PEM block folded or split over the items of a list; see secrets_scan.go). The objects of a
// List (kind List, SecretList) are reported by themselves.
type KeyMaterial struct {
	// Object is the object.
	Object ObjectRef `json:"object" yaml:"object"`
	// Keys are, for a Secret, all keys of data and stringData; for other objects the keys of
	// data, binaryData and stringData that carry key material and, for key material elsewhere,
	// its RFC 6901 JSON pointer. Sorted.
	Keys []string `json:"keys" yaml:"keys"`
	// Secret reports whether the object is a v1 Secret.
	Secret bool `json:"secret" yaml:"secret"`
	// PrivateKey reports whether the object carries a private key (a PEM block of a private
	// key type, a "*.key" entry, a private key wrapped otherwise) or a kubeconfig with
	// credentials.
	PrivateKey bool `json:"privateKey" yaml:"privateKey"`
}

// String returns "Kind namespace/name (key, key)".
func (k KeyMaterial) String() string {
	return fmt.Sprintf("%s (%s)", k.Object, strings.Join(k.Keys, ", "))
}

// NondeterministicError lists the objects of a render that carry key material made during the
// render: different on every run. It wraps ErrNondeterministic.
type NondeterministicError struct {
	// Objects are the objects and their generated keys.
	Objects []KeyMaterial
}

// Error implements error.
func (e *NondeterministicError) Error() string {
	parts := make([]string, 0, len(e.Objects))
	for _, o := range e.Objects {
		parts = append(parts, o.String())
	}

	return fmt.Sprintf("key material generated during the render in %s; make the certificates in the cluster "+
		"(for Cilium CiliumOptions.CertificatesInCluster: hubble.tls.auto.method=cronJob) or pass the objects of "+
		"the previous render in RenderOptions.Previous", strings.Join(parts, ", "))
}

// Is reports whether target is ErrNondeterministic.
func (e *NondeterministicError) Is(target error) bool { return target == ErrNondeterministic }

// FindKeyMaterial reports every Secret and every other object that carries key material, in
// the order of objs.
func FindKeyMaterial(objs []*unstructured.Unstructured) []KeyMaterial {
	var out []KeyMaterial

	for _, obj := range objs {
		// The objects of a List are reported by themselves (kubectl and Talos apply them as
		// such); the List only for material outside its items.
		if items := listItems(obj); items != nil {
			rest := &unstructured.Unstructured{Object: make(map[string]any, len(obj.Object))}
			for k, v := range obj.Object {
				if k != "items" {
					rest.Object[k] = v
				}
			}

			if km, ok := keyMaterialOf(rest); ok {
				out = append(out, km)
			}

			for _, item := range items {
				if _, nested := item.Object["items"]; nested && listItems(item) != nil {
					continue // its items follow
				}

				if km, ok := keyMaterialOf(item); ok {
					out = append(out, km)
				}
			}

			continue
		}

		if km, ok := keyMaterialOf(obj); ok {
			out = append(out, km)
		}
	}

	return out
}

func isSecret(obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()

	return gvk.Group == "" && gvk.Kind == "Secret"
}

func keyMaterialOf(obj *unstructured.Unstructured) (KeyMaterial, bool) {
	km := KeyMaterial{Object: RefOf(obj), Secret: isSecret(obj)}
	keys := map[string]bool{}

	if km.Secret {
		for _, field := range []string{"data", "stringData"} {
			if m, ok := obj.Object[field].(map[string]any); ok {
				for k := range m {
					keys[k] = true
				}
			}
		}
	}

	walkStrings(obj.Object, nil, func(p []string, s string) {
		found, private := keyMaterialIn(p, s)
		if !found {
			return
		}

		keys[fieldKey(p)] = true
		km.PrivateKey = km.PrivateKey || private
	})

	// A private key split over the items of a list of strings.
	joinedStrings(obj.Object, nil, func(p []string, s string) {
		if privateMaterialIn(s) {
			keys[fieldKey(p)] = true
			km.PrivateKey = true
		}
	})

	if !km.Secret && len(keys) == 0 {
		return KeyMaterial{}, false
	}

	km.Keys = make([]string, 0, len(keys))
	for k := range keys {
		km.Keys = append(km.Keys, k)
	}

	slices.Sort(km.Keys)

	return km, true
}

// fieldKey names a field: the key itself for entries of data, binaryData and stringData, a
// JSON pointer otherwise.
func fieldKey(p []string) string {
	if len(p) == 2 && (p[0] == "data" || p[0] == "binaryData" || p[0] == "stringData") {
		return p[1]
	}

	return jsonPointer(p)
}

func jsonPointer(p []string) string {
	var b strings.Builder
	for _, e := range p {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(e, "~", "~0"), "/", "~1"))
	}

	return b.String()
}

// walkStrings calls fn for every string leaf of v with its path.
func walkStrings(v any, p []string, fn func(p []string, s string)) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}

		slices.Sort(keys)

		for _, k := range keys {
			walkStrings(v[k], append(slices.Clip(p), k), fn)
		}
	case []any:
		for i, e := range v {
			walkStrings(e, append(slices.Clip(p), strconv.Itoa(i)), fn)
		}
	case string:
		fn(p, v)
	}
}

// keyMaterialIn reports whether the string s at path p is key material and whether it is a
// private key.
func keyMaterialIn(p []string, s string) (found, private bool) {
	named := len(p) > 0 && strings.HasSuffix(p[len(p)-1], ".key") && s != ""

	blocks := pemBlocks(s)
	for _, b := range blocks {
		if strings.Contains(b.Type, "PRIVATE KEY") {
			private = true
		}
	}

	found, private = named || len(blocks) > 0, private || named
	if !private && privateMaterialIn(s) {
		// Wrapped otherwise: base64 twice, URL-safe, DER, a kubeconfig, a folded PEM block.
		found, private = true, true
	}

	return found, private
}

// pemBlocks returns the PEM blocks in s, or in s decoded from base64.
func pemBlocks(s string) []*pem.Block {
	data := []byte(s)
	if !strings.Contains(s, "-----BEGIN ") {
		if len(s) < 64 || !looksBase64(s) {
			return nil
		}

		decoded, err := base64.StdEncoding.DecodeString(s)
		if err != nil || !strings.Contains(string(decoded), "-----BEGIN ") {
			return nil
		}

		data = decoded
	}

	var blocks []*pem.Block

	for {
		var b *pem.Block

		b, data = pem.Decode(data)
		if b == nil {
			return blocks
		}

		blocks = append(blocks, b)
	}
}

func looksBase64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}

	return true
}

// objectKey identifies an object independent of its API version.
type objectKey struct {
	gk              schema.GroupKind
	namespace, name string
}

func keyOf(obj *unstructured.Unstructured) objectKey {
	return objectKey{gk: obj.GroupVersionKind().GroupKind(), namespace: obj.GetNamespace(), name: obj.GetName()}
}

// ReuseKeyMaterial returns objs with key material taken from previous: for every string field
// of an object that carries key material, when previous holds an object of the same group,
// kind, namespace and name that carries key material at the same field, the previous value is
// used. This is what a cluster keeps when Talos (which never updates existing objects) applies
// a re-render, and what makes a re-render of an unchanged cluster byte-identical. Changed
// objects are copies; objs and previous are not modified. It also returns the references of
// the objects that took key material from previous.
func ReuseKeyMaterial(objs, previous []*unstructured.Unstructured) ([]*unstructured.Unstructured, []ObjectRef) {
	return reuseKeyMaterial(objs, previous, nil)
}

// reuseKeyMaterial is ReuseKeyMaterial; strings for which keep is true stay as rendered.
func reuseKeyMaterial(objs, previous []*unstructured.Unstructured, keep func(string) bool) ([]*unstructured.Unstructured, []ObjectRef) {
	prev := make(map[objectKey]*unstructured.Unstructured, len(previous))
	for _, p := range previous {
		if _, dup := prev[keyOf(p)]; !dup {
			prev[keyOf(p)] = p
		}
	}

	out := make([]*unstructured.Unstructured, len(objs))

	var reused []ObjectRef

	for i, obj := range objs {
		out[i] = obj

		p, ok := prev[keyOf(obj)]
		if !ok {
			continue
		}

		var changed *unstructured.Unstructured

		walkStrings(obj.Object, nil, func(path []string, s string) {
			if found, _ := keyMaterialIn(path, s); !found {
				return
			}

			old, ok := stringAt(p.Object, path)
			if !ok || old == s || (keep != nil && keep(s)) {
				return
			}

			if found, _ := keyMaterialIn(path, old); !found {
				return
			}

			if changed == nil {
				changed = obj.DeepCopy()
			}

			setStringAt(changed.Object, path, old)
		})

		if changed != nil {
			out[i] = changed
			reused = append(reused, RefOf(changed))
		}
	}

	return out, reused
}

// stringAt returns the string at path in v.
func stringAt(v any, path []string) (string, bool) {
	for _, e := range path {
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[e]
			if !ok {
				return "", false
			}

			v = next
		case []any:
			i, err := strconv.Atoi(e)
			if err != nil || i < 0 || i >= len(c) {
				return "", false
			}

			v = c[i]
		default:
			return "", false
		}
	}

	s, ok := v.(string)

	return s, ok
}

// setStringAt sets the string at an existing path in v.
func setStringAt(v any, path []string, s string) {
	for i, e := range path {
		last := i == len(path)-1

		switch c := v.(type) {
		case map[string]any:
			if last {
				c[e] = s

				return
			}

			v = c[e]
		case []any:
			idx, _ := strconv.Atoi(e)
			if last {
				c[idx] = s

				return
			}

			v = c[idx]
		}
	}
}

// knownMaterial collects the strings and PEM blocks of objs and values: key material that is
// an input of the render, not made by it.
func knownMaterial(objs []*unstructured.Unstructured, values map[string]any) map[string]bool {
	known := map[string]bool{}
	collect := func(_ []string, s string) {
		if s == "" {
			return
		}

		known[s] = true
		for _, b := range pemBlocks(s) {
			known[string(pem.EncodeToMemory(b))] = true
		}
	}

	for _, o := range objs {
		walkStrings(o.Object, nil, collect)
	}

	walkStrings(values, nil, collect)

	return known
}

// fromInputs reports whether s, or every PEM block in it, is in known.
func fromInputs(known map[string]bool, s string) bool {
	if known[s] {
		return true
	}

	blocks := pemBlocks(s)
	for _, b := range blocks {
		if !known[string(pem.EncodeToMemory(b))] {
			return false
		}
	}

	return len(blocks) > 0
}

// checkDeterministic fails when objs carry key material that is neither in previous nor in
// values: material generated during the render.
func checkDeterministic(objs, previous []*unstructured.Unstructured, values map[string]any) error {
	known := knownMaterial(previous, values)

	var generated []KeyMaterial

	for _, obj := range objs {
		keys := map[string]bool{}
		private := false

		walkStrings(obj.Object, nil, func(p []string, s string) {
			found, priv := keyMaterialIn(p, s)
			if found && !fromInputs(known, s) {
				keys[fieldKey(p)] = true
				private = private || priv
			}
		})

		if len(keys) > 0 {
			km := KeyMaterial{Object: RefOf(obj), Secret: isSecret(obj), PrivateKey: private}
			for k := range keys {
				km.Keys = append(km.Keys, k)
			}

			slices.Sort(km.Keys)
			generated = append(generated, km)
		}
	}

	if len(generated) > 0 {
		return &NondeterministicError{Objects: generated}
	}

	return nil
}

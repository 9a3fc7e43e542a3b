package manifests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	yamlv2 "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/internal/parallel"
)

// ErrInvalidObject is wrapped by errors about a YAML document that is not a Kubernetes object
// (not a mapping, or without apiVersion or kind).
var ErrInvalidObject = errors.New("invalid kubernetes object")

// DocumentError reports a document of a multi-document YAML stream that could not be parsed.
type DocumentError struct {
	// Index is the 0-based position of the document in the stream, counting empty documents.
	Index int
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (e *DocumentError) Error() string {
	return fmt.Sprintf("parse objects: document %d: %v", e.Index, e.Err)
}

// Unwrap returns the underlying error.
func (e *DocumentError) Unwrap() error { return e.Err }

// ParseObjects parses a multi-document YAML stream (documents separated by "---" lines) into
// Kubernetes objects, in stream order. Documents that are empty or hold only comments are
// skipped, as Talos and kubectl do. A document that is not a mapping with apiVersion and kind
// gives a *DocumentError naming its index. Numbers that are integers
// become int64, as in objects decoded by client-go.
func ParseObjects(data []byte) ([]*unstructured.Unstructured, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))

	var objs []*unstructured.Unstructured

	for index := 0; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}

		if err != nil {
			return nil, &DocumentError{Index: index, Err: err}
		}

		obj, err := parseObject(doc)
		if err != nil {
			return nil, &DocumentError{Index: index, Err: err}
		}

		if obj != nil {
			objs = append(objs, obj)
		}
	}
}

// parseObject parses one YAML document; it returns nil, nil for an empty document.
func parseObject(doc []byte) (*unstructured.Unstructured, error) {
	obj, err := parseMapping(doc)
	if err != nil || obj == nil {
		return nil, err
	}

	if missing := missingTypeMeta(obj); missing != "" {
		return nil, fmt.Errorf("%w: %s is missing", ErrInvalidObject, missing)
	}

	return obj, nil
}

// parseMapping parses one YAML document into a mapping, with or without apiVersion and kind;
// nil for an empty document.
func parseMapping(doc []byte) (*unstructured.Unstructured, error) {
	jsonDoc, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}

	if trimmed := bytes.TrimSpace(jsonDoc); len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}

	var content any
	if err := utiljson.Unmarshal(jsonDoc, &content); err != nil {
		return nil, err
	}

	m, ok := content.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: document is a %T, not a mapping", ErrInvalidObject, content)
	}

	return &unstructured.Unstructured{Object: m}, nil
}

// missingTypeMeta names the first of apiVersion and kind that obj lacks ("" when it has both).
func missingTypeMeta(obj *unstructured.Unstructured) string {
	switch {
	case obj.GetAPIVersion() == "":
		return "apiVersion"
	case obj.GetKind() == "":
		return "kind"
	default:
		return ""
	}
}

// talosRank is the class Talos sorts an object into before applying it: namespaces, then
// custom resource definitions, then everything else.
func talosRank(gvk schema.GroupVersionKind) int {
	switch {
	case gvk.Kind == "Namespace" && gvk.Version == "v1":
		return 0
	case gvk.Kind == "CustomResourceDefinition" && gvk.Group == "apiextensions.k8s.io":
		return 1
	default:
		return 2
	}
}

// SortForTalos returns the objects in the order in which Talos applies the objects of its
// manifests: a stable sort that moves Namespaces (kind Namespace, version v1) to the front,
// sorted by name, then CustomResourceDefinitions (group apiextensions.k8s.io), sorted by name,
// and keeps every other object in input order. It returns a new slice holding the same
// objects; the input slice is not modified.
//
// Per Talos version: this is the order inside one pass of the bootstrap-manifests applier of
// Talos 1.12, 1.13 and 1.14 (unchanged; 1.13 and 1.14 add the inventory and server-side apply,
// which manifests/apply models). Which manifests make up the pass is Talos's manifest IDs in
// order: the built-ins, then extra and inline manifests as "99-<name>" (by name, not config
// order). Up to Talos 1.13 a custom CNI's URLs were manifest "05-..." and so applied before the
// extra and inline manifests; since 1.14 they are KubeExternalManifestConfig documents with
// priority 99 like the rest. Within a manifest, every Talos version sorts as here. Updating
// objects that exist (talosctl upgrade-k8s) orders ConfigMaps and Secrets before workloads since
// 1.14; that is not this function.
func SortForTalos(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	sorted := slices.Clone(objs)

	slices.SortStableFunc(sorted, func(a, b *unstructured.Unstructured) int {
		ra, rb := talosRank(a.GroupVersionKind()), talosRank(b.GroupVersionKind())
		if ra != rb {
			return ra - rb
		}

		if ra == 2 {
			return 0
		}

		return strings.Compare(a.GetName(), b.GetName())
	})

	return sorted
}

// EncodeObjects encodes objects as a multi-document YAML stream, in slice order, with the
// documents separated by "---" lines. Keys are sorted, so equal objects give equal bytes.
// No objects give an empty stream.
func EncodeObjects(objs []*unstructured.Unstructured) ([]byte, error) {
	for i, obj := range objs {
		if obj == nil {
			return nil, fmt.Errorf("encode objects: object %d is nil", i)
		}
	}

	// The objects are encoded concurrently, each on its own, then joined in order.
	docs := make([][]byte, len(objs))
	errs := make([]error, len(objs))

	parallel.ForEach(len(objs), func(i int) {
		// The same bytes as sigs.k8s.io/yaml.Marshal (which encodes to JSON, decodes that with
		// yaml.v2 and encodes it again), without the detour: unstructured content holds only
		// JSON types, which yaml.v2 encodes as that round trip would.
		docs[i], errs[i] = yamlv2.Marshal(objs[i].Object)
	})

	size := 0

	for i, doc := range docs {
		if errs[i] != nil {
			obj := objs[i]

			return nil, fmt.Errorf("encode objects: object %d (%s %s): %w", i, obj.GetKind(), objectName(obj), errs[i])
		}

		size += len("---\n") + len(doc)
	}

	buf := make([]byte, 0, size)

	for i, doc := range docs {
		if i > 0 {
			buf = append(buf, "---\n"...)
		}

		buf = append(buf, doc...)
	}

	return buf, nil
}

// objectName returns "namespace/name" or "name" for cluster-scoped objects.
func objectName(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}

	return obj.GetName()
}

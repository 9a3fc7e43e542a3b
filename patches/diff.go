package patches

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"go.yaml.in/yaml/v3"

	"github.com/talospatch/talospatch/internal/machineryseam"
)

// Diff returns a strategic merge patch that turns config a into config b:
// Apply(a, Diff(a, b)) is semantically equal to b (the same documents with the
// same contents). Documents are matched as machinery matches them (apiVersion,
// kind, name). Within a document, changed fields are set, fields b lacks are
// removed with "$patch: delete", and lists that differ are replaced whole
// (strategic merge would append). A document other than v1alpha1 that needs a
// list or field both removed and set is replaced whole, which moves it to the
// end of the config. When a and b are equal, Diff returns the zero Patch and no
// error.
//
// Diff fails with ErrUnsupported when no strategic merge patch gives b: when
// b has no v1alpha1 document but a has one (strategic merge cannot remove it),
// or when machinery cannot merge b's values (a null entry in a list that
// merges by name).
func Diff(a, b []byte) (Patch, error) {
	pa, pb, err := loadPair(a, b)
	if err != nil {
		return Patch{}, err
	}

	return DiffProvider(pa, pb)
}

// DiffProvider is Diff on machinery config providers.
//
// Some Talos types do not merge field by field (a certificate and key pair is
// replaced as a whole), so DiffProvider checks its patch by applying it to a
// and, where the result differs from b, replaces the enclosing section whole
// instead, until the result equals b.
func DiffProvider(a, b config.Provider) (Patch, error) {
	da, err := treeDocs(a)
	if err != nil {
		return Patch{}, err
	}

	db, err := treeDocs(b)
	if err != nil {
		return Patch{}, err
	}

	atomic := atomicPaths{}

	// Each round makes at least one more section atomic; a document's depth
	// bounds the rounds.
	for range maxDiffRounds {
		p, deletes, err := buildDiff(da, db, atomic)
		if err != nil || p.IsZero() {
			return p, err
		}

		out, err := ApplyProvider(a, p)
		if err != nil {
			// A "$patch: delete" that machinery cannot resolve (a field of a
			// type with its own YAML form): replace its parent whole instead.
			if !errors.Is(err, ErrMissingPath) || !atomic.dropUndeletable(a, deletes) {
				return Patch{}, fmt.Errorf("diff: %w: no strategic merge patch reproduces the second config: %w", ErrUnsupported, err)
			}

			continue
		}

		dout, err := treeDocs(out)
		if err != nil {
			return Patch{}, err
		}

		if !atomic.refine(dout, db) {
			return p, nil
		}
	}

	return Patch{}, fmt.Errorf("diff: %w: no strategic merge patch found after %d rounds", ErrUnsupported, maxDiffRounds)
}

const maxDiffRounds = 64

// atomicPaths are the sections (per document, path joined with NUL) that the
// diff replaces whole; the empty path means the whole document.
type atomicPaths map[treeID]map[string]bool

func (ap atomicPaths) has(id treeID, path []string) bool {
	return ap[id][strings.Join(path, "\x00")]
}

func (ap atomicPaths) add(id treeID, path []string) bool {
	key := strings.Join(path, "\x00")
	if ap[id][key] {
		return false
	}

	if ap[id] == nil {
		ap[id] = map[string]bool{}
	}

	ap[id][key] = true

	return true
}

// refine marks the parents of the paths where got differs from want as
// atomic. It reports whether there was a difference; a difference it cannot
// refine further marks the whole document.
func (ap atomicPaths) refine(got, want []treeDoc) bool {
	differs := false

	for _, w := range want {
		g := findTree(got, w.id)
		if g == nil {
			differs = true

			ap.add(w.id, nil)

			continue
		}

		var paths [][]string

		leafDiffs(g.tree, w.tree, nil, &paths)

		for _, p := range paths {
			differs = true

			for len(p) > 0 {
				p = p[:len(p)-1]
				if ap.add(w.id, p) {
					break
				}
			}
		}
	}

	for _, g := range got {
		if findTree(want, g.id) == nil {
			differs = true

			ap.add(g.id, nil)
		}
	}

	return differs
}

// leafDiffs appends the paths where a and b differ, descending into maps.
func leafDiffs(a, b any, path []string, out *[][]string) {
	am, aMap := a.(map[string]any)
	bm, bMap := b.(map[string]any)

	if !aMap || !bMap {
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, slices.Clone(path))
		}

		return
	}

	keys := sortedKeys(am)
	for _, k := range sortedKeys(bm) {
		if _, ok := am[k]; !ok {
			keys = append(keys, k)
		}
	}

	for _, k := range keys {
		leafDiffs(am[k], bm[k], slices.Concat(path, []string{k}), out)
	}
}

// docPath is a path inside one document.
type docPath struct {
	id   treeID
	path []string
}

// dropUndeletable tries each deletion alone on cfg and marks the parent of
// each one that fails atomic. It reports whether it marked any.
func (ap atomicPaths) dropUndeletable(cfg config.Provider, deletes []docPath) bool {
	marked := false

	for _, d := range deletes {
		var n *yaml.Node
		if d.id.isV1Alpha1() {
			n = deleteDoc([][]string{d.path})
		} else {
			n = toNode(headerTree(d.id))
			addDelete(n, d.path)
		}

		p, err := Strategic(yamlText("", n))
		if err == nil {
			_, err = ApplyProvider(cfg, p)
		}

		if err != nil && ap.add(d.id, d.path[:len(d.path)-1]) {
			marked = true
		}
	}

	return marked
}

func buildDiff(da, db []treeDoc, atomic atomicPaths) (Patch, []docPath, error) {
	var (
		out  []*yaml.Node
		dels []docPath
	)

	// v1alpha1 first: a document of deletions, then one of settings.
	av, bv := findTree(da, treeID{}), findTree(db, treeID{})

	switch {
	case av != nil && bv == nil:
		return Patch{}, nil, fmt.Errorf("diff: %w: the second config has no v1alpha1 document, and strategic merge cannot remove it", ErrUnsupported)
	case av == nil && bv != nil:
		out = append(out, toNode(bv.tree))
	case av != nil:
		var deletes [][]string

		sets := diffTree(av.tree, bv.tree, nil, treeID{}, atomic, &deletes)
		if len(deletes) > 0 {
			out = append(out, deleteDoc(deletes))
		}

		for _, p := range deletes {
			dels = append(dels, docPath{id: treeID{}, path: p})
		}

		if len(sets) > 0 {
			out = append(out, toNode(sets))
		}
	}

	for _, d := range da {
		if d.id.isV1Alpha1() {
			continue
		}

		other := findTree(db, d.id)
		if other == nil {
			out = append(out, rootDeleteDoc(d.id))

			continue
		}

		if reflect.DeepEqual(d.tree, other.tree) {
			continue
		}

		var deletes [][]string

		sets := diffTree(d.tree, other.tree, nil, d.id, atomic, &deletes)

		if atomic.has(d.id, nil) || conflicting(deletes, sets) {
			out = append(out, rootDeleteDoc(d.id), toNode(other.tree))

			continue
		}

		doc := headerTree(d.id)
		for k, v := range sets {
			doc[k] = v
		}

		n := toNode(doc)
		for _, p := range deletes {
			addDelete(n, p)
			dels = append(dels, docPath{id: d.id, path: p})
		}

		out = append(out, n)
	}

	for _, d := range db {
		if !d.id.isV1Alpha1() && findTree(da, d.id) == nil {
			out = append(out, toNode(d.tree))
		}
	}

	if len(out) == 0 {
		return Patch{}, nil, nil
	}

	p, err := Strategic(yamlText("", out...))
	if err != nil {
		return Patch{}, nil, fmt.Errorf("diff: %w", err)
	}

	return p, dels, nil
}

// DiffOps returns an RFC 6902 patch that turns document target (the zero
// Document: v1alpha1) of config a into that of config b; the other documents
// of a and b must be equal (else ErrUnsupported: use Diff). Lists that differ
// are replaced whole. When the documents are equal, DiffOps returns the zero
// Patch and no error.
func DiffOps(a, b []byte, target Document) (Patch, error) {
	pa, pb, err := loadPair(a, b)
	if err != nil {
		return Patch{}, err
	}

	da, err := treeDocs(pa)
	if err != nil {
		return Patch{}, err
	}

	db, err := treeDocs(pb)
	if err != nil {
		return Patch{}, err
	}

	var ta, tb *treeDoc

	for _, d := range da {
		if d.id.doc() == target {
			ta = &d

			continue
		}

		if o := findTree(db, d.id); o == nil || !reflect.DeepEqual(d.tree, o.tree) {
			return Patch{}, fmt.Errorf("diff: %w: document %s differs too; an RFC 6902 patch changes one document, use Diff", ErrUnsupported, d.id.doc())
		}
	}

	for _, d := range db {
		if d.id.doc() == target {
			tb = &d
		} else if findTree(da, d.id) == nil {
			return Patch{}, fmt.Errorf("diff: %w: document %s is new; an RFC 6902 patch changes one document, use Diff", ErrUnsupported, d.id.doc())
		}
	}

	if ta == nil || tb == nil {
		return Patch{}, fmt.Errorf("diff: %w: both configs need a %s document", ErrUnknownDocument, target)
	}

	ja, err := toJSONValue(ta.tree)
	if err != nil {
		return Patch{}, err
	}

	jb, err := toJSONValue(tb.tree)
	if err != nil {
		return Patch{}, err
	}

	var ops []Operation

	diffJSON(ja, jb, "", &ops)

	if len(ops) == 0 {
		return Patch{}, nil
	}

	return OpsFor(target, ops...)
}

func loadPair(a, b []byte) (config.Provider, config.Provider, error) {
	pa, err := machineryseam.Load(a)
	if err != nil {
		return nil, nil, fmt.Errorf("diff: first config: %w: %w", ErrInvalidConfig, decodeError(err, a))
	}

	pb, err := machineryseam.Load(b)
	if err != nil {
		return nil, nil, fmt.Errorf("diff: second config: %w: %w", ErrInvalidConfig, decodeError(err, b))
	}

	return pa, pb, nil
}

// treeID identifies a document the way configpatcher matches them.
type treeID struct {
	apiVersion, kind, name string
}

func (id treeID) isV1Alpha1() bool { return id == treeID{} }

func (id treeID) doc() Document {
	if id.isV1Alpha1() {
		return Document{}
	}

	return Document{Kind: id.kind, Name: id.name}
}

type treeDoc struct {
	id   treeID
	tree map[string]any
}

func findTree(docs []treeDoc, id treeID) *treeDoc {
	i := slices.IndexFunc(docs, func(d treeDoc) bool { return d.id == id })
	if i < 0 {
		return nil
	}

	return &docs[i]
}

// treeDocs encodes every document and decodes it into a generic YAML tree.
func treeDocs(p config.Provider) ([]treeDoc, error) {
	docs := p.Documents()
	out := make([]treeDoc, 0, len(docs))

	for _, d := range docs {
		data, err := machineryseam.EncodeDocument(d)
		if err != nil {
			return nil, fmt.Errorf("diff: encode %s: %w", documentID(d), err)
		}

		var tree map[string]any
		if err := yaml.Unmarshal(data, &tree); err != nil {
			return nil, fmt.Errorf("diff: decode %s: %w", documentID(d), err)
		}

		if tree == nil {
			tree = map[string]any{}
		}

		id := treeID{}

		if documentID(d) != (Document{}) {
			id = treeID{apiVersion: d.APIVersion(), kind: d.Kind()}

			if named, ok := d.(configconfig.NamedDocument); ok {
				id.name = named.Name()
			}
		}

		out = append(out, treeDoc{id: id, tree: tree})
	}

	return out, nil
}

// diffTree returns the settings that turn a into b under strategic merge and
// appends to deletes the paths to remove first.
func diffTree(a, b map[string]any, path []string, id treeID, atomic atomicPaths, deletes *[][]string) map[string]any {
	sets := map[string]any{}

	for _, k := range sortedKeys(a) {
		if _, ok := b[k]; !ok {
			*deletes = append(*deletes, slices.Concat(path, []string{k}))
		}
	}

	for _, k := range sortedKeys(b) {
		bv := b[k]

		av, ok := a[k]
		if !ok {
			sets[k] = bv

			continue
		}

		if reflect.DeepEqual(av, bv) {
			continue
		}

		am, aMap := av.(map[string]any)
		bm, bMap := bv.(map[string]any)

		sub := slices.Concat(path, []string{k})

		if aMap && bMap && !atomic.has(id, sub) && !(len(path) == 0 && atomic.has(id, nil)) {
			if sub := diffTree(am, bm, sub, id, atomic, deletes); len(sub) > 0 {
				sets[k] = sub
			}

			continue
		}

		if aMap || mergeCannotSet(av, bv) {
			*deletes = append(*deletes, slices.Concat(path, []string{k}))
		}

		sets[k] = bv
	}

	return sets
}

// mergeCannotSet reports whether strategic merge cannot turn av into bv by
// merging bv alone: lists append, zero scalars are skipped, and a map merged
// with a non-map fails.
func mergeCannotSet(av, bv any) bool {
	if _, ok := av.(map[string]any); ok {
		return true
	}

	switch v := bv.(type) {
	case []any, map[string]any:
		return true
	case nil:
		return true
	case string:
		return v == ""
	case int:
		return v == 0
	case float64:
		return v == 0
	case bool:
		return false
	default:
		return true
	}
}

// conflicting reports whether a path is both deleted and set.
func conflicting(deletes [][]string, sets map[string]any) bool {
	for _, p := range deletes {
		var cur any = sets

		found := true

		for _, k := range p {
			m, ok := cur.(map[string]any)
			if !ok {
				found = false

				break
			}

			if cur, ok = m[k]; !ok {
				found = false

				break
			}
		}

		if found {
			return true
		}
	}

	return false
}

func headerTree(id treeID) map[string]any {
	doc := map[string]any{"apiVersion": id.apiVersion, "kind": id.kind}
	if id.name != "" {
		doc["name"] = id.name
	}

	return doc
}

// rootDeleteDoc removes a whole document.
func rootDeleteDoc(id treeID) *yaml.Node {
	n := toNode(headerTree(id))
	n.Content = append(n.Content, ystr("$patch"), ystr("delete"))

	return n
}

// deleteDoc is a v1alpha1 patch document of deletions only.
func deleteDoc(deletes [][]string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}

	for _, p := range deletes {
		addDelete(n, p)
	}

	return n
}

// addDelete adds "path: {$patch: delete}" to a mapping node, creating (or
// reusing) the intermediate mappings.
func addDelete(n *yaml.Node, path []string) {
	cur := n

	for i, k := range path {
		var next *yaml.Node

		for j := 0; j+1 < len(cur.Content); j += 2 {
			if cur.Content[j].Value == k && cur.Content[j+1].Kind == yaml.MappingNode {
				next = cur.Content[j+1]

				break
			}
		}

		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode}
			cur.Content = append(cur.Content, ystr(k), next)
		}

		if i == len(path)-1 {
			next.Content = append(next.Content, ystr("$patch"), ystr("delete"))
		}

		cur = next
	}
}

// toNode encodes a generic tree with sorted keys.
func toNode(v any) *yaml.Node {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		panic(fmt.Sprintf("patches: encode diff: %v", err)) // unreachable: trees come from YAML
	}

	return &n
}

func toJSONValue(tree map[string]any) (any, error) {
	data, err := json.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()

	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}

	return v, nil
}

// diffJSON appends the RFC 6902 operations that turn a into b at pointer.
func diffJSON(a, b any, pointer string, ops *[]Operation) {
	am, aMap := a.(map[string]any)
	bm, bMap := b.(map[string]any)

	if !aMap || !bMap {
		if !reflect.DeepEqual(a, b) {
			*ops = append(*ops, Replace(pointer, b))
		}

		return
	}

	for _, k := range sortedKeys(am) {
		if _, ok := bm[k]; !ok {
			*ops = append(*ops, Remove(pointer+"/"+escapePointer(k)))
		}
	}

	for _, k := range sortedKeys(bm) {
		p := pointer + "/" + escapePointer(k)

		av, ok := am[k]
		if !ok {
			*ops = append(*ops, Add(p, bm[k]))

			continue
		}

		diffJSON(av, bm[k], p, ops)
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

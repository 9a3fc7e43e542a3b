package patches

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/internal/machineryseam"
	"github.com/talospatch/talospatch/talos"
)

// maxCopyGrowth bounds how much the RFC 6902 "copy" operations of one patch
// may grow its document, all copies together: 4 MiB, the most a machine config
// can be over the Talos API. The copies are counted as json-patch counts them,
// the compact JSON size of each copied value, over each json-patch pass (one per
// patch, unless passEnds splits it); MaxApplyGrowth bounds the whole call.
const maxCopyGrowth = 4 << 20

// MaxApplyGrowth bounds how much the patches of one Apply, ApplyProvider or
// ApplyWithOptions call may grow the config, all patches together: 4 MiB, the
// most a machine config can be over the Talos API (Options.MaxGrowth sets
// another bound). An RFC 6902 patch counts what it adds to its document, net of
// what it removes: the compact JSON of the document after the patch against
// before it (also checked where the patch's json-patch passes end, see
// passEnds); a strategic merge patch counts its documents as compact JSON
// (YAML aliases expanded) or its text, the larger, whatever they replace. A call
// that would grow the config by more fails with ErrGrowthLimit, naming the
// patch and, for RFC 6902, an operation that crossed the bound.
const MaxApplyGrowth = 4 << 20

// growth is the growth budget of one apply call, shared by all its patches.
type growth struct {
	limit int64 // the bound: MaxApplyGrowth or Options.MaxGrowth
	used  int64 // net growth so far; may be negative after removals
}

func newGrowth(limit int64) *growth {
	if limit <= 0 {
		limit = MaxApplyGrowth
	}

	return &growth{limit: limit}
}

// exceeded returns the ErrGrowthLimit cause for a call whose growth would become total.
func (g *growth) exceeded(total int64) error {
	return fmt.Errorf("%w: the patches of one apply call may grow the config by at most %d bytes (patches.MaxApplyGrowth unless Options.MaxGrowth says otherwise) and this brings the growth to %d bytes; "+
		"add less (or remove what the patches replace), or, when a config this large is intended, raise the bound with ApplyWithOptions and Options.MaxGrowth",
		ErrGrowthLimit, g.limit, total)
}

// applyOptions are the RFC 6902 options: strict, never json-patch's globals.
func applyOptions() *jsonpatch.ApplyOptions {
	return &jsonpatch.ApplyOptions{
		SupportNegativeIndices:   false,
		AccumulatedCopySizeLimit: maxCopyGrowth,
		AllowMissingPathOnRemove: false,
		EnsurePathExistsOnAdd:    false,
		EscapeHTML:               false,
	}
}

// Apply applies the patches, in order, to a Talos machine config (one or more
// YAML documents) and returns the patched config, encoded without comments the
// way machinery encodes configs (the v1alpha1 document first, the other
// documents in their order). Like talosctl after a strategic merge patch, the
// output is machinery's encoding of the config: fields machinery always writes
// (certSANs: [], ...) appear even where the input left them out. A generated
// config comes back byte-identical when no patch changes it.
//
// RFC 6902 patches address one document: the v1alpha1 document, or the one
// named with OpsFor. They work on multi-document configs (talosctl refuses
// them there) and are strict: remove, replace, move and copy of a missing path
// fail with ErrMissingPath, test is honoured (ErrTestFailed), negative indices
// are refused. Strategic merge patches give exactly the results of machinery's
// configpatcher.StrategicMerge.
//
// Apply is atomic: it never modifies cfg, and on error it returns nil: an
// *Error naming the failing patch, or an error matching ErrInvalidConfig when
// cfg itself does not load.
//
// Apply is bounded: all the patches together may grow the config by at most
// MaxApplyGrowth (ErrGrowthLimit names the patch and operation that would cross
// it; ApplyWithOptions takes another bound), and an RFC 6902 patch costs its
// document plus its operations, not their product: its operations are applied
// to the document decoded once.
func Apply(cfg []byte, ps ...Patch) ([]byte, error) {
	return applyBytes(cfg, func(p config.Provider) (config.Provider, error) { return ApplyProvider(p, ps...) })
}

// applyBytes loads cfg, applies apply to it and encodes the result without comments: the
// byte form of ApplyProvider and Prepared.ApplyProvider.
func applyBytes(cfg []byte, apply func(config.Provider) (config.Provider, error)) ([]byte, error) {
	provider, err := machineryseam.Load(cfg)
	if err != nil {
		return nil, fmt.Errorf("apply patches: %w: %w", ErrInvalidConfig, decodeError(err, cfg))
	}

	patched, err := apply(provider)
	if err != nil {
		return nil, err
	}

	out, err := machineryseam.EncodeConfig(patched)
	if err != nil {
		return nil, fmt.Errorf("apply patches: encode: %w", err)
	}

	return out, nil
}

// ApplyProvider is Apply on a machinery config provider. cfg is never
// modified; the result is a new provider.
//
// On a config whose contract moved the guide's v1alpha1 settings into documents
// (v1.14), a patch that sets them is translated into those documents (see
// ApplyWithOptions, which also returns the translations as warnings and can turn
// them off).
func ApplyProvider(cfg config.Provider, ps ...Patch) (config.Provider, error) {
	out, _, err := ApplyWithOptions(cfg, Options{}, ps...)

	return out, err
}

// applyProvider applies the prepared patches as written, without translation, drawing
// on the call's growth budget g. The errors name each patch by its index in ps.
func applyProvider(cfg config.Provider, g *growth, ps []prepared) (config.Provider, error) {
	if cfg == nil {
		return nil, fmt.Errorf("apply patches: %w: nil config", ErrInvalidConfig)
	}

	// machinery's Clone shares the endpoint URLs; a strategic merge would write through them.
	cur := machineryseam.DeepClone(cfg)

	role := machine.TypeUnknown
	if m := cfg.Machine(); m != nil {
		role = m.Type()
	}

	for i := range ps {
		p := &ps[i]

		if !p.patch.Scope().Includes(role) {
			continue // a control-plane patch never reaches a worker, and the other way round
		}

		var err error

		switch p.patch.kind {
		case KindJSON6902:
			cur, err = applyJSON6902(cur, p, g)
		case KindStrategic:
			cur, err = applyStrategic(cur, p, role, g)
		case KindUnknown:
			err = &Error{Op: -1, Err: ErrEmptyPatch}
		}

		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Op: -1, Err: err}
			}

			e.Patch = i
			e.Kind = p.patch.kind

			return nil, e
		}
	}

	return cur, nil
}

// documentID returns the Document a config document is addressed by.
func documentID(doc configconfig.Document) Document {
	ref := machineryseam.DocumentOf(doc)
	if ref.Kind == talos.KindV1Alpha1 {
		return Document{}
	}

	return Document{Kind: ref.Kind, Name: ref.Name}
}

func applyJSON6902(cur config.Provider, p *prepared, g *growth) (config.Provider, error) {
	ops, target := p.ops, p.target
	docs := cur.Documents()

	idx, err := findTarget(docs, target)
	if err != nil {
		return nil, err
	}

	docName := documentID(docs[idx]).String()

	yamlDoc, err := machineryseam.EncodeDocument(docs[idx])
	if err != nil {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("encode document: %w", err)}
	}

	jsonDoc, err := sigsyaml.YAMLToJSON(yamlDoc)
	if err != nil {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("convert document to JSON: %w", err)}
	}

	jsonDoc, err = applyOps(ops, jsonDoc, docName, g)
	if err != nil {
		return nil, err
	}

	yamlOut, err := sigsyaml.JSONToYAML(jsonDoc)
	if err != nil {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("convert document to YAML: %w", err)}
	}

	loaded, err := machineryseam.Load(yamlOut)
	if err != nil {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("%w: patched document: %w", ErrInvalidConfig, decodeError(err, yamlOut))}
	}

	newDocs := loaded.Documents()
	if len(newDocs) != 1 {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("%w: patched document became %d documents", ErrInvalidConfig, len(newDocs))}
	}

	out := slices.Clone(docs)
	out[idx] = newDocs[0]

	c, err := container.New(out...)
	if err != nil {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("%w: %w", ErrInvalidConfig, err)}
	}

	return c, nil
}

// applyOps applies the operations of one RFC 6902 patch to the JSON document
// doc and returns the patched document, drawing its net growth from g.
//
// The results are those of applying the operations one at a time, each to the
// encoding of the result of the one before, but the operations are applied in
// json-patch passes over a decoded document: the document is decoded once per
// pass and encoded once, so a patch costs its document plus its operations, not
// their product. A pass ends early only where one-at-a-time application would
// see something else (see passEnds). json-patch stops at the first operation
// that fails; only then (or when the growth crosses g's bound) are prefixes of
// the operations applied again, a logarithmic number of times, to name the
// operation and give the document it failed on.
func applyOps(ops []Operation, doc []byte, docName string, g *growth) ([]byte, error) {
	// Decode each operation alone, as json-patch reads it; a patch json-patch
	// cannot read fails at that operation, after the operations before it.
	decoded := make(jsonpatch.Patch, 0, len(ops))
	n, decodeErr := len(ops), error(nil)

	for j, o := range ops {
		single, err := jsonpatch.DecodePatch([]byte("[" + o.String() + "]"))
		if err != nil {
			n, decodeErr = j, err

			break
		}

		decoded = append(decoded, single...)
	}

	r := &opsRun{ops: decoded, ends: passEnds(ops[:n]), doc: doc, g: g}

	out, err := r.apply(n)
	if err != nil {
		var j int

		j, doc, err = r.firstFailure(n, err)
		if errors.Is(err, errGrowth) { // a pass that ended over the bound
			return nil, r.growthError(ops, r.crossing(n), docName)
		}

		return nil, &Error{Op: j, Operation: ops[j].op, Path: ops[j].path, Document: docName, Err: classify(err, ops[j], doc)}
	}

	if decodeErr != nil {
		return nil, &Error{Op: n, Operation: ops[n].op, Path: ops[n].path, Document: docName, Err: classify(decodeErr, ops[n], out)}
	}

	total := g.used + int64(len(out)) - int64(len(doc))
	if total > g.limit {
		j := r.crossing(n)
		if j == n-1 {
			return nil, &Error{Op: j, Operation: ops[j].op, Path: ops[j].path, Document: docName, Err: g.exceeded(total)}
		}

		return nil, r.growthError(ops, j, docName)
	}

	g.used = total

	return out, nil
}

// errGrowth marks a pass that left the document over the growth bound.
var errGrowth = errors.New("growth bound crossed")

// passEnds returns the indices after which a json-patch pass over ops must end
// (the document encoded and decoded again), in order, for the pass to give what
// one-at-a-time application gives:
//
//   - after an add or replace of a null value that a later test could see: in a
//     pass the value is a json-patch node holding "null", which test does not
//     take for null; decoded again, it is a null. A later test can see it when
//     its path is the null's path, inside it or above it (array indices, which
//     other operations shift, match any index), when the null replaces the whole
//     document, or when a later move or copy could carry it elsewhere;
//   - before and after an operation whose path or from has an empty first token
//     ("", "/", "//..."): json-patch resolves it to the document as decoded at
//     the start of the pass.
//
// The later tests are kept in a trie of their paths, so a patch of n operations
// costs n path lookups, not n squared comparisons: a patch that adds nulls and
// tests other places stays one pass.
func passEnds(ops []Operation) []int {
	var ends []int

	end := func(i int) {
		if i > 0 && i < len(ops) && (len(ends) == 0 || ends[len(ends)-1] != i) {
			ends = append(ends, i)
		}
	}

	// seen[i]: a null added or replaced by operation i is visible to a later
	// operation, worked out from the last operation back.
	seen := make([]bool, len(ops))
	tests := newPathTrie()
	laterMoveOrCopy := false

	for i := len(ops) - 1; i >= 0; i-- {
		o := ops[i]
		if (o.op == OpAdd || o.op == OpReplace) && o.value == "null" {
			seen[i] = o.path == "" || laterMoveOrCopy || tests.related(o.path)
		}

		switch o.op {
		case OpTest:
			tests.add(o.path)
		case OpMove, OpCopy:
			laterMoveOrCopy = true
		}
	}

	rootToken := func(p string) bool { return p == "/" || strings.HasPrefix(p, "//") }

	for i, o := range ops {
		switch {
		case rootToken(o.path) || rootToken(o.from) || ((o.op == OpMove || o.op == OpCopy) && o.from == ""):
			end(i)
			end(i + 1)
		case seen[i]:
			end(i + 1)
		}
	}

	return ends
}

// pathTrie holds JSON pointers token by token, with every array index (digits,
// or "-") as one token, for the question "is a stored pointer equal to p, above
// it or inside it?".
type pathTrie struct {
	children map[string]*pathTrie
	terminal bool // a stored pointer ends here
}

func newPathTrie() *pathTrie { return &pathTrie{} }

// pointerTokens splits a JSON pointer into its tokens, indices as "#". The
// pointer "" (the whole document) has no tokens.
func pointerTokens(p string) []string {
	if p == "" {
		return nil
	}

	toks := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range toks {
		if t == "-" || t != "" && strings.Trim(t, "0123456789") == "" {
			toks[i] = "#"
		}
	}

	return toks
}

func (t *pathTrie) add(p string) {
	n := t
	for _, tok := range pointerTokens(p) {
		if n.children == nil {
			n.children = map[string]*pathTrie{}
		}

		c := n.children[tok]
		if c == nil {
			c = &pathTrie{}
			n.children[tok] = c
		}

		n = c
	}

	n.terminal = true
}

// related reports whether a stored pointer is p, above p or inside p.
func (t *pathTrie) related(p string) bool {
	n := t
	for _, tok := range pointerTokens(p) {
		if n.terminal {
			return true // a stored pointer above p
		}

		if n = n.children[tok]; n == nil {
			return false
		}
	}

	return true // p itself, or p above stored pointers
}

// opsRun applies prefixes of a patch's decoded operations to doc.
type opsRun struct {
	ops  jsonpatch.Patch
	ends []int // where passes end, as passEnds returns them
	doc  []byte
	g    *growth
}

// apply applies the first k operations and returns the document. Between
// passes, a document over the growth bound fails with errGrowth.
func (r *opsRun) apply(k int) ([]byte, error) {
	doc, start := r.doc, 0

	for _, end := range r.ends {
		if end >= k {
			break
		}

		out, err := applyPass(r.ops[start:end], doc)
		if err != nil {
			return nil, err
		}

		if r.g.used+int64(len(out))-int64(len(r.doc)) > r.g.limit {
			return nil, errGrowth
		}

		doc, start = out, end
	}

	return applyPass(r.ops[start:k], doc)
}

// applyPass applies ops to doc in one json-patch pass. A panic of json-patch
// (on input it does not expect) is an error, not a crash.
func applyPass(ops jsonpatch.Patch, doc []byte) (out []byte, err error) {
	if len(ops) == 0 {
		return doc, nil
	}

	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("json-patch cannot apply the operation: %v", r)
		}
	}()

	return ops.ApplyWithOptions(doc, applyOptions())
}

// firstFailure returns the index of the operation of the first n that fails
// (the first n fail, with err), the document it fails on, and its error: whether
// a prefix applies is monotone, so a bisection finds it in log2(n) runs.
func (r *opsRun) firstFailure(n int, err error) (int, []byte, error) {
	lo, hi, before := 0, n, r.doc // the first lo apply (giving before), the first hi fail (with err)

	for hi-lo > 1 {
		mid := lo + (hi-lo)/2

		out, midErr := r.apply(mid)
		if midErr != nil {
			hi, err = mid, midErr
		} else {
			lo, before = mid, out
		}
	}

	return lo, before, err
}

// crossing returns an operation of the first n (which apply, growing the
// call's growth over g's bound) at which the growth crosses the bound: a
// bisection keeps the growth after the first lo within the bound and after the
// first hi over it, so operation hi-1 crosses it.
func (r *opsRun) crossing(n int) int {
	lo, hi := 0, n

	for hi-lo > 1 {
		mid := lo + (hi-lo)/2

		out, err := r.apply(mid)
		if err != nil || r.g.used+int64(len(out))-int64(len(r.doc)) > r.g.limit {
			hi = mid
		} else {
			lo = mid
		}
	}

	return hi - 1
}

// growthError is the error of operation j, at which the growth crosses the bound.
func (r *opsRun) growthError(ops []Operation, j int, docName string) error {
	grown := r.g.limit + 1

	if out, err := r.apply(j + 1); err == nil {
		grown = r.g.used + int64(len(out)) - int64(len(r.doc))
	}

	return &Error{Op: j, Operation: ops[j].op, Path: ops[j].path, Document: docName, Err: r.g.exceeded(grown)}
}

// findTarget returns the index of the document a patch addresses. A target
// without a name must match exactly one document.
func findTarget(docs []configconfig.Document, target Document) (int, error) {
	idx, matches := -1, 0

	for i, d := range docs {
		id := documentID(d)
		if id.Kind == target.Kind && (target.Name == "" || id.Name == target.Name) {
			if matches == 0 {
				idx = i
			}

			matches++
		}
	}

	switch {
	case matches == 0:
		return -1, &Error{Op: -1, Document: target.String(), Err: fmt.Errorf("%w: the config has no %s document%s; the config has: %s (give OpsFor one of these, kind and name as listed)",
			ErrUnknownDocument, target, spellingHint(docs, target), strings.Join(documentList(docs, Document{}), ", "))}
	case matches > 1:
		return -1, &Error{Op: -1, Document: target.String(), Err: fmt.Errorf("%w: the config has %d %s documents (%s); name one (OpsFor with Document.Name; in patch text, a test of /name after the test of /kind)",
			ErrUnknownDocument, matches, target, strings.Join(documentList(docs, Document{Kind: target.Kind}), ", "))}
	}

	return idx, nil
}

// documentList returns the Document names of the config's documents in config
// order; with a kind in of, only those of that kind.
func documentList(docs []configconfig.Document, of Document) []string {
	names := make([]string, 0, len(docs))

	for _, d := range docs {
		id := documentID(d)
		if of.Kind == "" || id.Kind == of.Kind {
			names = append(names, id.String())
		}
	}

	return names
}

// spellingHint returns ` (did you mean X?)` when a document of the config is
// target spelled with other letter case, else "".
func spellingHint(docs []configconfig.Document, target Document) string {
	for _, d := range docs {
		id := documentID(d)
		if id == target {
			continue
		}

		if strings.EqualFold(id.String(), target.String()) ||
			(target.Name == "" && strings.EqualFold(id.Kind, target.Kind)) {
			return " (did you mean " + id.String() + "?)"
		}
	}

	return ""
}

// classify maps json-patch errors to the package's sentinels, keeping the cause.
// doc is the JSON document the operation failed on.
func classify(err error, o Operation, doc []byte) error {
	switch {
	case errors.Is(err, jsonpatch.ErrInvalidIndex) && (hasNegativeToken(o.path) || hasNegativeToken(o.from)):
		return fmt.Errorf("%w: %w: %w", ErrInvalidOperation, ErrNegativeIndex, err)
	case errors.Is(err, jsonpatch.ErrTestFailed):
		return fmt.Errorf("%w: %w", ErrTestFailed, err)
	case errors.Is(err, jsonpatch.ErrMissing), errors.Is(err, jsonpatch.ErrInvalidIndex):
		if hint := missingParent(doc, o); hint != "" {
			return fmt.Errorf("%w: %s: %w", ErrMissingPath, hint, err)
		}

		return fmt.Errorf("%w: %w", ErrMissingPath, err)
	default:
		return fmt.Errorf("%w: %w", ErrInvalidOperation, err)
	}
}

// missingParent explains an add, copy or move that failed because a parent of
// its destination does not exist in doc (RFC 6902 creates only the last member
// of the path): it names the first missing parent and the fix. It returns ""
// when the destination's parents all exist, or when a move or copy failed on
// its source.
func missingParent(doc []byte, o Operation) string {
	if o.op != OpAdd && o.op != OpCopy && o.op != OpMove {
		return ""
	}

	var root any
	if json.Unmarshal(doc, &root) != nil {
		return ""
	}

	if o.op != OpAdd {
		if _, ok := lookupPointer(root, o.from); !ok {
			return "" // json-patch's error is about the source
		}
	}

	if o.path == "" {
		return ""
	}

	tokens := strings.Split(o.path[1:], "/")
	cur := root

	// Walk the parents of the destination: every token but the last.
	for i, tok := range tokens {
		parent := "/" + strings.Join(tokens[:i], "/")

		switch c := cur.(type) {
		case map[string]any:
			if i == len(tokens)-1 {
				return ""
			}

			v, ok := c[unescapeToken(tok)]
			if !ok {
				return missingObjects(o, tokens, i)
			}

			cur = v
		case []any:
			if i == len(tokens)-1 {
				return ""
			}

			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n >= len(c) || (len(tok) > 1 && tok[0] == '0') {
				return fmt.Sprintf("%q does not exist: the array %q has %d elements; to add a new element, add it whole at %q",
					parent+"/"+tok, parent, len(c), parent+"/-")
			}

			cur = c[n]
		default:
			return fmt.Sprintf("%q is %s, not an object or array: %s cannot put %q under it", parent, jsonKind(c), o.op, o.path)
		}
	}

	return ""
}

// missingObjects names the first missing parent of o's path (tokens[:i+1]) and
// the fix: the add operations that create the missing parents (objects, and an
// array for a path ending in "/-"), or a strategic merge patch, which creates
// them.
func missingObjects(o Operation, tokens []string, i int) string {
	first := "/" + strings.Join(tokens[:i+1], "/")

	var adds []string

	for j := i; j < len(tokens)-1; j++ {
		value := "{}"

		switch child := tokens[j+1]; {
		case child == "-" && j+1 == len(tokens)-1:
			value = "[]"
		case isArrayToken(child):
			// An array element, or an object member named like one: no literal is right for both.
			return fmt.Sprintf("%q does not exist (RFC 6902 %s creates only the last member of its path): add the missing parents first, starting with %q, or use a strategic merge patch, which creates them",
				first, o.op, first)
		}

		adds = append(adds, Add("/"+strings.Join(tokens[:j+1], "/"), json.RawMessage(value)).String())
	}

	return fmt.Sprintf("%q does not exist (RFC 6902 %s creates only the last member of its path): add the missing parents first (%s) or use a strategic merge patch, which creates them",
		first, o.op, strings.Join(adds, ", then "))
}

// lookupPointer resolves an RFC 6901 pointer in a decoded JSON document.
func lookupPointer(root any, pointer string) (any, bool) {
	if pointer == "" {
		return root, true
	}

	cur := root

	for tok := range strings.SplitSeq(pointer[1:], "/") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[unescapeToken(tok)]
			if !ok {
				return nil, false
			}

			cur = v
		case []any:
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n >= len(c) {
				return nil, false
			}

			cur = c[n]
		default:
			return nil, false
		}
	}

	return cur, true
}

// unescapeToken decodes "~1" and "~0" in a JSON pointer token.
func unescapeToken(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
}

// isArrayToken reports whether a pointer token reads as an array index ("0", "-").
func isArrayToken(tok string) bool {
	if tok == "-" {
		return true
	}

	_, err := strconv.Atoi(tok)

	return err == nil
}

// jsonKind names the JSON type of a decoded value, with its article.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return "null"
	}
}

func applyStrategic(cur config.Provider, p *prepared, role machine.Type, g *growth) (config.Provider, error) {
	// The merge may keep the patch's documents in its result: it gets a copy of its own.
	patch := p.documents()

	if total := g.used + p.size; total > g.limit {
		return nil, &Error{Op: -1, Document: p.sole, Err: g.exceeded(total)}
	}

	if role == machine.TypeWorker && len(p.controlPlaneOnly) > 0 {
		return nil, &Error{Op: -1, Document: p.controlPlaneOnly[0], Err: fmt.Errorf("%w: %s on a worker config: Talos allows it only on control plane machines; give the patch with %s (patches.Patch.WithScope(patches.ScopeControlPlane), or config.Layers.ControlPlane)",
			ErrControlPlaneOnly, strings.Join(p.controlPlaneOnly, ", "), ScopeControlPlane.Flag())}
	}

	var err error

	if p.replaceByName {
		cur, err = dropReplaced(cur, patch)
		if err != nil {
			return nil, err
		}
	}

	cur = dropLegacyInline(cur, patch)

	out, err := strategicMerge(cur, patch)
	if err != nil {
		cause := err
		if machineryseam.IsLookupFailed(err) {
			cause = fmt.Errorf("%w: %w", ErrMissingPath, err)
		}

		return nil, &Error{Op: -1, Document: p.sole, Err: cause}
	}

	g.used += p.size

	return out, nil
}

// strategicSize is what a strategic merge patch counts against the growth bound:
// its text, or its documents as compact JSON with YAML aliases expanded when
// that is larger.
func strategicSize(text string) int64 {
	if !strings.Contains(text, "&") || !strings.Contains(text, "*") {
		return int64(len(text)) // no anchor and alias: nothing to expand
	}

	var expanded int64

	dec := yaml.NewDecoder(strings.NewReader(text))

	for {
		var doc any
		if err := dec.Decode(&doc); err != nil {
			// io.EOF, or text machinery reads and yaml.v3 does not: the larger count
			return max(int64(len(text)), expanded)
		}

		if b, err := json.Marshal(doc); err == nil {
			expanded += int64(len(b))
		}
	}
}

// soleDocument names the document a strategic merge patch addresses when it
// addresses only one, else "".
func soleDocument(patch config.Provider) string {
	name := ""

	for _, d := range patch.Documents() {
		id := documentID(d) // Document{} for v1alpha1

		switch {
		case name == "":
			name = id.String()
		case name != id.String():
			return ""
		}
	}

	return name
}

// strategicMerge is configpatcher.StrategicMerge, with machinery's panics (a
// null list entry in a list that merges by name, for one) turned into errors.
func strategicMerge(cur, patch config.Provider) (out config.Provider, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: machinery cannot merge this patch: %v", ErrInvalidPatch, r)
		}
	}()

	return configpatcher.StrategicMerge(cur, configpatcher.NewStrategicMergePatch(patch))
}

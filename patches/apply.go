package patches

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/internal/cfgclone"
)

// maxCopyGrowth bounds how much the RFC 6902 "copy" operations of one patch
// may grow its document, all copies together: 4 MiB, the most a machine config
// can be over the Talos API.
const maxCopyGrowth = 4 << 20

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
func Apply(cfg []byte, ps ...Patch) ([]byte, error) {
	provider, err := configloader.NewFromBytes(cfg)
	if err != nil {
		return nil, fmt.Errorf("apply patches: %w: %w", ErrInvalidConfig, err)
	}

	patched, err := ApplyProvider(provider, ps...)
	if err != nil {
		return nil, err
	}

	out, err := patched.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
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

// applyProvider applies the patches as written, without translation.
func applyProvider(cfg config.Provider, ps ...Patch) (config.Provider, error) {
	if cfg == nil {
		return nil, fmt.Errorf("apply patches: %w: nil config", ErrInvalidConfig)
	}

	// machinery's Clone shares the endpoint URLs; a strategic merge would write through them.
	cur := cfgclone.Deep(cfg)

	role := machine.TypeUnknown
	if m := cfg.Machine(); m != nil {
		role = m.Type()
	}

	for i, p := range ps {
		var err error

		if !p.Scope().Includes(role) {
			continue // a control-plane patch never reaches a worker, and the other way round
		}

		switch p.kind {
		case KindJSON6902:
			cur, err = applyJSON6902(cur, p)
		case KindStrategic:
			cur, err = applyStrategic(cur, p, role)
		case KindUnknown:
			err = &Error{Op: -1, Err: ErrEmptyPatch}
		}

		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Op: -1, Err: err}
			}

			e.Patch = i
			e.Kind = p.kind

			return nil, e
		}
	}

	return cur, nil
}

// documentID returns the Document a config document is addressed by.
func documentID(doc configconfig.Document) Document {
	if _, ok := doc.(*v1alpha1.Config); ok {
		return Document{}
	}

	d := Document{Kind: doc.Kind()}

	if named, ok := doc.(configconfig.NamedDocument); ok {
		d.Name = named.Name()
	}

	return d
}

func applyJSON6902(cur config.Provider, p Patch) (config.Provider, error) {
	ops, err := decodeOps([]byte(p.text))
	if err != nil {
		// Unreachable for Patch values built by this package.
		return nil, &Error{Op: -1, Err: fmt.Errorf("%w: %w", ErrInvalidPatch, err)}
	}

	target := targetOf(ops)
	docs := cur.Documents()

	idx, err := findTarget(docs, target)
	if err != nil {
		return nil, err
	}

	docName := documentID(docs[idx]).String()

	yamlDoc, err := encoder.NewEncoder(docs[idx], encoder.WithComments(encoder.CommentsDisabled)).Encode()
	if err != nil {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("encode document: %w", err)}
	}

	jsonDoc, err := sigsyaml.YAMLToJSON(yamlDoc)
	if err != nil {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("convert document to JSON: %w", err)}
	}

	copyBudget := int64(maxCopyGrowth)

	for j, o := range ops {
		single, err := jsonpatch.DecodePatch([]byte("[" + o.String() + "]"))
		if err == nil {
			jsonDoc, err = applyOne(single, o.op, jsonDoc, &copyBudget)
		}

		if err != nil {
			return nil, &Error{Op: j, Operation: o.op, Path: o.path, Document: docName, Err: classify(err, o)}
		}
	}

	yamlOut, err := sigsyaml.JSONToYAML(jsonDoc)
	if err != nil {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("convert document to YAML: %w", err)}
	}

	loaded, err := configloader.NewFromBytes(yamlOut)
	if err != nil {
		return nil, &Error{Op: -1, Document: docName, Err: fmt.Errorf("%w: patched document: %w", ErrInvalidConfig, err)}
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

// applyOne applies one decoded operation to doc. Operations are applied one at
// a time (so errors name the operation), which would reset json-patch's copy
// accounting at every operation; instead, copies draw on budget, the bytes the
// patch's copies may still add to the document.
func applyOne(op jsonpatch.Patch, name string, doc []byte, budget *int64) ([]byte, error) {
	opts := applyOptions()
	if name != OpCopy {
		return op.ApplyWithOptions(doc, opts)
	}

	if *budget <= 0 {
		return nil, jsonpatch.NewAccumulatedCopySizeError(maxCopyGrowth, maxCopyGrowth-*budget+1)
	}

	opts.AccumulatedCopySizeLimit = *budget

	out, err := op.ApplyWithOptions(doc, opts)
	if err != nil {
		return nil, err
	}

	// Both documents are compact JSON: the growth is the copied value and its key.
	*budget -= max(int64(len(out)-len(doc)), 1)

	return out, nil
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
		return -1, &Error{Op: -1, Document: target.String(), Err: fmt.Errorf("%w: the config has no %s document", ErrUnknownDocument, target)}
	case matches > 1:
		return -1, &Error{Op: -1, Document: target.String(), Err: fmt.Errorf("%w: the config has %d %s documents; name one (a test of /name after the test of /kind)", ErrUnknownDocument, matches, target)}
	}

	return idx, nil
}

// classify maps json-patch errors to the package's sentinels, keeping the cause.
func classify(err error, o Operation) error {
	switch {
	case errors.Is(err, jsonpatch.ErrInvalidIndex) && (hasNegativeToken(o.path) || hasNegativeToken(o.from)):
		return fmt.Errorf("%w: %w: %w", ErrInvalidOperation, ErrNegativeIndex, err)
	case errors.Is(err, jsonpatch.ErrTestFailed):
		return fmt.Errorf("%w: %w", ErrTestFailed, err)
	case errors.Is(err, jsonpatch.ErrMissing), errors.Is(err, jsonpatch.ErrInvalidIndex):
		return fmt.Errorf("%w: %w", ErrMissingPath, err)
	default:
		return fmt.Errorf("%w: %w", ErrInvalidOperation, err)
	}
}

func applyStrategic(cur config.Provider, p Patch, role machine.Type) (config.Provider, error) {
	// Parse afresh: the documents are handed to machinery, which may keep them.
	patch, err := configloader.NewFromBytes([]byte(p.text), configloader.WithAllowPatchDelete())
	if err != nil {
		return nil, &Error{Op: -1, Err: fmt.Errorf("%w: %w", ErrInvalidPatch, err)}
	}

	if role == machine.TypeWorker {
		if kinds := controlPlaneOnlyDocuments(patch); len(kinds) > 0 {
			return nil, &Error{Op: -1, Document: kinds[0], Err: fmt.Errorf("%w: %s on a worker config: Talos allows it only on control plane machines; give the patch with %s (patches.Patch.WithScope(patches.ScopeControlPlane), or config.Layers.ControlPlane)",
				ErrControlPlaneOnly, strings.Join(kinds, ", "), ScopeControlPlane.Flag())}
		}
	}

	if hasReplaceByName(p.text) {
		cur, err = dropReplaced(cur, patch)
		if err != nil {
			return nil, err
		}
	}

	cur = dropLegacyInline(cur, patch)

	out, err := strategicMerge(cur, patch)
	if err != nil {
		cause := err
		if errors.Is(err, configloader.ErrLookupFailed) {
			cause = fmt.Errorf("%w: %w", ErrMissingPath, err)
		}

		return nil, &Error{Op: -1, Document: soleDocument(patch), Err: cause}
	}

	return out, nil
}

// soleDocument names the document a strategic merge patch addresses when it
// addresses only one, else "".
func soleDocument(patch config.Provider) string {
	name := ""

	for _, d := range patch.Documents() {
		id := documentID(d)
		if id.Kind == v1alpha1Kind {
			id = Document{}
		}

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

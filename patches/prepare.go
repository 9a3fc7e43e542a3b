package patches

import (
	"github.com/siderolabs/talos/pkg/machinery/config"

	"github.com/talospatch/talospatch/internal/machineryseam"
	"github.com/talospatch/talospatch/talos"
)

// Prepared is a list of patches parsed once, to be applied to many configs: the form to use
// when the same patches go onto the config of every node of a fleet. Parsing a patch costs
// more than applying it (a strategic merge patch is loaded by machinery's config loader, an
// RFC 6902 patch is decoded into operations); a Prepared keeps the parsed patches, and each
// apply works on its own copy of them.
//
// Applying a Prepared gives exactly what Apply, ApplyProvider and ApplyWithOptions give with
// the same patches, results and errors alike (they are Prepare and one apply). A Prepared is
// immutable and safe for concurrent use. A nil *Prepared holds no patches: applying it returns
// a copy of the config.
type Prepared struct {
	ps []prepared
}

// prepared is one parsed patch.
type prepared struct {
	patch Patch

	// RFC 6902: the operations and the document they address.
	ops    []Operation
	target Document

	// Strategic merge: the loaded documents, which no apply receives (see documents); owned
	// says the loaded documents may be handed out as they are (a one-shot apply).
	loaded           config.Provider
	owned            bool
	size             int64    // what the patch counts against the growth bound
	sole             string   // the one document it addresses, or ""
	controlPlaneOnly []string // the kinds in it Talos allows only on control planes
	replaceByName    bool     // it starts with ReplaceByNameDirective
}

// Prepare parses the patches once for applying them many times. The zero Patch is refused as
// Apply refuses it: an *Error with the patch's index, wrapping ErrEmptyPatch.
func Prepare(ps ...Patch) (*Prepared, error) {
	return prepare(ps, false)
}

// prepare parses ps; once says the result is applied only once, so its strategic merge
// patches' documents need no copy.
func prepare(ps []Patch, once bool) (*Prepared, error) {
	out := &Prepared{ps: make([]prepared, len(ps))}

	for i, p := range ps {
		pp := prepared{patch: p}

		switch p.kind {
		case KindJSON6902:
			ops, err := decodeOps([]byte(p.text))
			if err != nil {
				// Unreachable for Patch values built by this package.
				return nil, &Error{Patch: i, Kind: p.kind, Op: -1, Err: wrapSentinel(ErrInvalidPatch, err)}
			}

			pp.ops, pp.target = ops, targetOf(ops)
		case KindStrategic:
			loaded, err := machineryseam.LoadPatch([]byte(p.text))
			if err != nil {
				return nil, &Error{Patch: i, Kind: p.kind, Op: -1, Err: wrapSentinel(ErrInvalidPatch, decodeError(err, []byte(p.text)))}
			}

			pp.loaded, pp.owned = loaded, once
			pp.size = strategicSize(p.text) // the documents, YAML aliases expanded
			pp.sole = soleDocument(loaded)
			pp.controlPlaneOnly = controlPlaneOnlyDocuments(loaded)
			pp.replaceByName = hasReplaceByName(p.text)
		case KindUnknown:
			return nil, &Error{Patch: i, Kind: p.kind, Op: -1, Err: ErrEmptyPatch}
		}

		out.ps[i] = pp
	}

	return out, nil
}

// documents returns the strategic merge patch's documents for one apply: the loaded ones when
// the patch is applied once, else a copy (the merge may keep the documents in its result, and
// a Prepared is shared).
func (p *prepared) documents() config.Provider {
	if p.owned {
		return p.loaded
	}

	return machineryseam.DeepClone(p.loaded)
}

// Len returns the number of patches.
func (pp *Prepared) Len() int {
	if pp == nil {
		return 0
	}

	return len(pp.ps)
}

// Patches returns the patches, in order (a fresh slice).
func (pp *Prepared) Patches() []Patch {
	if pp == nil {
		return nil
	}

	out := make([]Patch, len(pp.ps))
	for i := range pp.ps {
		out[i] = pp.ps[i].patch
	}

	return out
}

// Apply is [Apply] with the prepared patches.
func (pp *Prepared) Apply(cfg []byte) ([]byte, error) {
	return applyBytes(cfg, pp.ApplyProvider)
}

// ApplyProvider is [ApplyProvider] with the prepared patches. cfg is never modified; the
// result is a new provider that shares no memory with cfg or pp.
func (pp *Prepared) ApplyProvider(cfg config.Provider) (config.Provider, error) {
	out, _, err := pp.ApplyWithOptions(cfg, Options{})

	return out, err
}

// ApplyWithOptions is [ApplyWithOptions] with the prepared patches.
func (pp *Prepared) ApplyWithOptions(cfg config.Provider, opts Options) (config.Provider, []talos.Warning, error) {
	var ps []prepared
	if pp != nil {
		ps = pp.ps
	}

	return applyWithOptions(cfg, opts, ps)
}

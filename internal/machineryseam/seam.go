// Package machineryseam is where talospatch meets Talos machinery's types: the conversion of a
// talos.Contract to machinery's version contract, loading configs and patch documents (Load,
// LoadPatch), how a document is addressed (DocumentOf), deep cloning (DeepClone), and encoding
// configs and documents without comments, and the table that maps machinery's validation
// messages to documents and field paths (Messages). internal/depcheck fails when another
// package imports machinery's configloader or spells out encoding without comments, so a new
// machinery release changes one place.
package machineryseam

import (
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"

	"github.com/talospatch/talospatch/talos"
)

// VersionContract returns machinery's contract for c. It never returns nil (machinery's "current
// version"): an invalid c is a programming error of the caller, which must have checked it, and
// panics.
func VersionContract(c talos.Contract) *coreconfig.VersionContract {
	if !c.IsValid() {
		panic("talospatch: machinery contract of an unchecked " + c.String())
	}

	return &coreconfig.VersionContract{Major: c.Major(), Minor: c.Minor()}
}

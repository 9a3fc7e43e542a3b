// Package machineryseam is where talospatch meets Talos machinery's types: the conversion of a
// talos.Contract to machinery's version contract, and encoding configs and documents without
// comments (internal/depcheck fails when another package spells that out). Packages that talk
// to machinery take these from here, so a new machinery release changes one place. Loading,
// document identity, deep cloning and the table of machinery's messages still live in their
// packages (config, patches, internal/cfgclone); moving them here is the rest of this seam.
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

// Package machineryseam is where talospatch meets Talos machinery's types: the conversion of a
// talos.Contract to machinery's version contract. Packages that talk to machinery take its
// values from here, so a new machinery release changes one place.
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

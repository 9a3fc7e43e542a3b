package config

import (
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"

	"github.com/talospatch/talospatch/internal/machineryseam"
	"github.com/talospatch/talospatch/talos"
)

// versionContract is machinery's contract for a checked c.
func versionContract(c talos.Contract) *coreconfig.VersionContract {
	return machineryseam.VersionContract(c)
}

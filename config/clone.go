package config

import (
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/talospatch/talospatch/internal/machineryseam"
)

// deepClone returns a copy of cfg that shares no memory with it (see internal/cfgclone for why
// machinery's Clone is not enough).
func deepClone(cfg coreconfig.Provider) coreconfig.Provider { return machineryseam.DeepClone(cfg) }

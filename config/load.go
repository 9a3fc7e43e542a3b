package config

import (
	"bytes"
	"fmt"

	"github.com/talospatch/talospatch/internal/machineryseam"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
)

// Load reads a machine config that was written out (controlplane.yaml, worker.yaml, a node's
// file, with or without comments) back into the value this package works with, so that it can
// be validated ([Validate]), inspected, patched and encoded without calling machinery's loader
// yourself. Unknown fields and documents are an error, as Talos refuses them; errors wrap
// ErrInvalid. The result is a fresh value the caller owns.
func Load(data []byte) (coreconfig.Provider, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("load config: %w: empty input", ErrInvalid)
	}

	cfg, err := machineryseam.Load(data)
	if err != nil {
		return nil, fmt.Errorf("load config: %w: %w", ErrInvalid, err)
	}

	return cfg, nil
}

// RoleOf returns the role of a machine config (its machine.type): RoleControlPlane for
// "controlplane" (and the legacy "init"), RoleWorker for "worker" (and "join"); RoleUnknown
// for a config without a machine type.
func RoleOf(cfg coreconfig.Provider) Role {
	if cfg == nil || cfg.Machine() == nil {
		return RoleUnknown
	}

	switch cfg.Machine().Type() {
	case machine.TypeControlPlane, machine.TypeInit:
		return RoleControlPlane
	case machine.TypeWorker:
		return RoleWorker
	case machine.TypeUnknown:
	}

	return RoleUnknown
}

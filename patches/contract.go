package patches

import "github.com/siderolabs/talos/pkg/machinery/config"

// Contract-specific choices live here, so a later Talos version (v1.14 moves
// the CNI and kube-proxy into their own documents) is one more branch.

type recipeKind int

const (
	// recipeGuide: the recipes the guide writes as RFC 6902 patches.
	recipeGuide recipeKind = iota
	// recipeDiscovery: cluster discovery and identity, written as RFC 6902
	// patches only where talosctl has no strategic merge patches.
	recipeDiscovery
)

// atLeast reports whether contract is major.minor or later; nil is the current
// contract.
func atLeast(contract *config.VersionContract, major, minor int) bool {
	if contract == nil {
		return true
	}

	return contract.Major > major || contract.Major == major && contract.Minor >= minor
}

// formFor picks the patch form talosctl accepts for the contract:
//   - before v1.2 talosctl knows only RFC 6902 patches;
//   - v1.2 to v1.11 configs are one document and talosctl takes either form:
//     the guide's recipes keep the guide's RFC 6902 text, others are strategic;
//   - from v1.12 configs are multi-document and talosctl refuses RFC 6902
//     patches, so every recipe is a strategic merge patch.
func formFor(contract *config.VersionContract, kind recipeKind) Kind {
	switch {
	case !atLeast(contract, 1, 2):
		return KindJSON6902
	case atLeast(contract, 1, 12):
		return KindStrategic
	case kind == recipeGuide:
		return KindJSON6902
	default:
		return KindStrategic
	}
}

// kubePrismSupported: machine.features.kubePrism exists from Talos v1.5.
func kubePrismSupported(contract *config.VersionContract) bool {
	return atLeast(contract, 1, 5)
}

package patches

import (
	"fmt"

	"github.com/talospatch/talospatch/talos"
)

// Contract-specific choices of the recipes; what depends on the contract itself is in package
// talos's table.

type recipeKind int

const (
	// recipeGuide: the recipes the guide writes as RFC 6902 patches.
	recipeGuide recipeKind = iota
	// recipeDiscovery: cluster discovery and identity, written as RFC 6902
	// patches only where talosctl has no strategic merge patches.
	recipeDiscovery
)

// formFor picks the patch form talosctl accepts for the contract:
//   - before v1.2 talosctl knows only RFC 6902 patches;
//   - v1.2 to v1.11 configs are one document and talosctl takes either form:
//     the guide's recipes keep the guide's RFC 6902 text, others are strategic;
//   - from v1.12 configs are multi-document and talosctl refuses RFC 6902
//     patches, so every recipe is a strategic merge patch.
func formFor(contract talos.Contract, kind recipeKind) Kind {
	switch {
	case !contract.StrategicPatches():
		return KindJSON6902
	case contract.MultiDocument():
		return KindStrategic
	case kind == recipeGuide:
		return KindJSON6902
	default:
		return KindStrategic
	}
}

// checkContract refuses the zero contract, and a contract that cannot express one of the
// settings at all.
func checkContract(op string, contract talos.Contract, settings ...talos.Setting) error {
	if err := contract.Check("contract"); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}

	for _, s := range settings {
		if !contract.Form(s).Supported() {
			return fmt.Errorf("%s: %w: contract %s has no %s setting (it needs %s or later)", op, ErrUnsupported, contract, s, firstSince(s))
		}
	}

	return nil
}

// documentForm reports whether setting s is a typed document on the contract (v1.14 for the
// guide's settings), rather than a v1alpha1 field.
func documentForm(contract talos.Contract, s talos.Setting) bool {
	return contract.Form(s).Document()
}

// firstSince is the first contract that has setting s.
func firstSince(s talos.Setting) talos.Contract {
	for c := talos.Oldest; c <= talos.Newest; c++ {
		if c.Form(s).Supported() {
			return c
		}
	}

	return talos.Newest
}

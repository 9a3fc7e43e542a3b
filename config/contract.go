package config

import (
	"fmt"
	"regexp"
	"strconv"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/version"
)

// This file holds everything that depends on the Talos version contract, so that a later
// contract (v1.14 moves the CNI and kube-proxy settings into documents) is one more branch here.

// contractRE is the accepted contract syntax: "v1.13" or "1.13", optionally followed by a
// patch version ("v1.13.2"), which is ignored as Talos ignores it.
var contractRE = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)(\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?)?$`)

// noCompatibilityTable is the newest contract machinery's compatibility package has no
// Kubernetes version table for (its tables start at Talos v1.2).
var noCompatibilityTable = coreconfig.TalosVersion1_1

// oldestContract is the oldest contract machinery generates configs for.
var oldestContract = coreconfig.TalosVersion1_0

// latestContract returns the newest contract the machinery this module is built with supports:
// the minor version of machinery itself.
func latestContract() *coreconfig.VersionContract {
	c, err := coreconfig.ParseContractFromVersion(version.Tag)
	if err != nil {
		// version.Tag is a build-time constant of machinery ("v1.13.0").
		panic(fmt.Sprintf("talospatch: machinery version tag %q is not a version: %v", version.Tag, err))
	}

	return c
}

// LatestContract returns the newest Talos version contract that configs can be generated for:
// the minor version of the Talos machinery this module is built with (v1.13).
func LatestContract() *coreconfig.VersionContract {
	return latestContract()
}

// ParseContract parses a Talos version contract such as "v1.13" (also "1.13" or "v1.13.2").
// It returns an error matching ErrNoContract for "", ErrUnknownContract for text that is not
// a version or a version older than v1.0, and ErrContractUnsupported for a version newer than
// [LatestContract].
func ParseContract(s string) (*coreconfig.VersionContract, error) {
	return parseContract(s)
}

func parseContract(s string) (*coreconfig.VersionContract, error) {
	const path = "contract"

	if s == "" {
		return nil, &FieldError{Path: path, Err: ErrNoContract, Suggestion: fmt.Sprintf("the Talos version the nodes run, for example %q", latestContract().String())}
	}

	m := contractRE.FindStringSubmatch(s)
	if m == nil {
		return nil, &FieldError{Path: path, Value: s, Err: ErrUnknownContract, Suggestion: `"vMAJOR.MINOR", for example "v1.13"`}
	}

	major, errMajor := strconv.Atoi(m[1])
	minor, errMinor := strconv.Atoi(m[2])

	if errMajor != nil || errMinor != nil {
		return nil, &FieldError{Path: path, Value: s, Err: ErrUnknownContract, Suggestion: `"vMAJOR.MINOR", for example "v1.13"`}
	}

	c := &coreconfig.VersionContract{Major: major, Minor: minor}

	if oldestContract.Greater(c) {
		return nil, &FieldError{
			Path: path, Value: s,
			Err:        fmt.Errorf("%w: contracts older than %s are not supported", ErrUnknownContract, oldestContract),
			Suggestion: fmt.Sprintf("a contract from %s to %s", oldestContract, latestContract()),
		}
	}

	if c.Greater(latestContract()) {
		return nil, &FieldError{
			Path: path, Value: s,
			Err:        fmt.Errorf("%w: %s is newer than machinery %s", ErrContractUnsupported, c, version.Tag),
			Suggestion: fmt.Sprintf("a contract up to %s, or a newer talospatch", latestContract()),
		}
	}

	return c, nil
}

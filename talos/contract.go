package talos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Contract is a Talos version contract: the Talos release (major.minor) a machine config is
// written for. It decides which documents a config has and which form each setting takes; see
// [Contract.Form].
//
// Contract is a comparable value. Its zero value is not a contract: every function of this
// module that takes a Contract refuses the zero value with an error naming the parameter,
// and never reads it as "the newest". Contracts order like the releases they name, so
// c >= V1_12 means "v1.12 or newer".
type Contract uint8

// The supported contracts, oldest first.
const (
	V1_0 Contract = iota + 1
	V1_1
	V1_2
	V1_3
	V1_4
	V1_5
	V1_6
	V1_7
	V1_8
	V1_9
	V1_10
	V1_11
	V1_12
	V1_13
	V1_14
)

// Oldest and Newest bound the supported contracts. Newest is the current Talos release (v1.14):
// the machinery version this module is built with. Adding a contract means a new constant,
// moving Newest, and a row in the tables of contract_table.go.
const (
	Oldest = V1_0
	Newest = V1_14
)

// Sentinel errors of contract parsing and checking; match them with errors.Is.
var (
	// ErrNoContract means a contract was required and the zero Contract (or "") was given.
	ErrNoContract = errors.New("talos version contract is required")
	// ErrUnknownContract means the text is not "vMAJOR.MINOR" or names a version older than v1.0.
	ErrUnknownContract = errors.New("unknown talos version contract")
	// ErrContractUnsupported means the contract is newer than this module supports.
	ErrContractUnsupported = errors.New("talos version contract newer than supported")
)

// ParseContract parses a contract: "v1.14", "1.14", or a release version such as "v1.14.2"
// (the patch version, and a pre-release suffix, are ignored as Talos ignores them).
//
// Errors match ErrNoContract (""), ErrUnknownContract (not a version, "latest", older than v1.0)
// or ErrContractUnsupported (newer than [Newest]); each says what to write instead.
func ParseContract(s string) (Contract, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: name the Talos version the nodes run, for example %q", ErrNoContract, Newest.String())
	}

	major, minor, ok := parseMajorMinor(s)
	if !ok {
		return 0, fmt.Errorf("%w %q: write \"vMAJOR.MINOR\", for example %q (there is no \"latest\": pin the version the nodes run)", ErrUnknownContract, s, Newest.String())
	}

	if major < 1 {
		return 0, fmt.Errorf("%w %q: contracts older than %s are not supported", ErrUnknownContract, s, Oldest)
	}

	if major > 1 || minor > int(Newest-V1_0) {
		return 0, fmt.Errorf("%w: %q is newer than %s, the newest contract this talospatch supports: use a contract up to %s, or a newer talospatch", ErrContractUnsupported, s, Newest, Newest)
	}

	return V1_0 + Contract(minor), nil
}

// MustParseContract is ParseContract for constants; it panics on error.
func MustParseContract(s string) Contract {
	c, err := ParseContract(s)
	if err != nil {
		panic(err)
	}

	return c
}

// parseMajorMinor reads "v1.14", "1.14", "v1.14.2" or "v1.14.0-rc.1".
func parseMajorMinor(s string) (major, minor int, ok bool) {
	s = strings.TrimPrefix(s, "v")

	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}

	if len(parts) == 3 {
		patch, _, _ := strings.Cut(parts[2], "-")
		if !isNumber(patch) {
			return 0, 0, false
		}
	}

	if !isNumber(parts[0]) || !isNumber(parts[1]) {
		return 0, 0, false
	}

	major, errMajor := strconv.Atoi(parts[0])
	minor, errMinor := strconv.Atoi(parts[1])

	if errMajor != nil || errMinor != nil {
		return 0, 0, false
	}

	return major, minor, true
}

// isNumber: decimal digits without a leading zero (as in semantic versions).
func isNumber(s string) bool {
	if s == "" || len(s) > 6 || (len(s) > 1 && s[0] == '0') {
		return false
	}

	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}

	return true
}

// IsValid reports whether c is a supported contract (not the zero value).
func (c Contract) IsValid() bool { return c >= Oldest && c <= Newest }

// Major returns the major Talos version (1); 0 for an invalid contract.
func (c Contract) Major() int {
	if !c.IsValid() {
		return 0
	}

	return 1
}

// Minor returns the minor Talos version (14 for v1.14); -1 for an invalid contract.
func (c Contract) Minor() int {
	if !c.IsValid() {
		return -1
	}

	return int(c - V1_0)
}

// String returns "v1.14"; an invalid contract prints as "invalid contract" (the zero value)
// or "Contract(n)".
func (c Contract) String() string {
	switch {
	case c == 0:
		return "invalid contract"
	case !c.IsValid():
		return "Contract(" + strconv.Itoa(int(c)) + ")"
	default:
		return "v1." + strconv.Itoa(c.Minor())
	}
}

// MarshalText implements encoding.TextMarshaler: "v1.14", and "" for the zero value (as
// netip.Addr does), so a description with a missing contract writes and reads back as missing;
// the functions it is given to then refuse it. Any other invalid contract is an error.
func (c Contract) MarshalText() ([]byte, error) {
	if c == 0 {
		return []byte{}, nil
	}

	if !c.IsValid() {
		return nil, fmt.Errorf("marshal contract: %w: %s", ErrUnknownContract, c)
	}

	return []byte(c.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with [ParseContract]: a YAML or JSON
// field of type Contract takes "v1.14" and refuses anything ParseContract refuses, except
// that "" gives the zero value (missing; see MarshalText).
func (c *Contract) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*c = 0

		return nil
	}

	parsed, err := ParseContract(string(text))
	if err != nil {
		return err
	}

	*c = parsed

	return nil
}

// Check returns nil for a valid contract and otherwise a *FieldError for the named parameter
// or field (an RFC 6901 pointer such as "/contract", or a Go parameter name such as
// "contract"), matching ErrNoContract for the zero value.
func (c Contract) Check(field string) error {
	if c.IsValid() {
		return nil
	}

	if c == 0 {
		return &FieldError{Path: field, Err: ErrNoContract, Fix: fmt.Sprintf("pass the contract of the Talos version the nodes run, for example talos.%s (%s)", constName(Newest), Newest)}
	}

	return &FieldError{Path: field, Value: c.String(), Err: ErrUnknownContract, Fix: fmt.Sprintf("a contract from %s to %s", Oldest, Newest)}
}

func constName(c Contract) string { return "V1_" + strconv.Itoa(c.Minor()) }

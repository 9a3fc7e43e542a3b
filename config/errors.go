package config

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Every error returned by this package that is about one of these conditions
// matches it with errors.Is; most also carry a *FieldError naming the field.
var (
	// ErrNoName means the cluster name is empty.
	ErrNoName = errors.New("cluster name is required")
	// ErrEndpoint means the control-plane endpoint is not an https://host:port URL.
	ErrEndpoint = errors.New("malformed control-plane endpoint")
	// ErrNoContract means the Talos version contract is empty. It is never defaulted.
	ErrNoContract = errors.New("talos version contract is required")
	// ErrUnknownContract means the contract is not a Talos version this package knows
	// (it is not "vMAJOR.MINOR" or older than v1.0).
	ErrUnknownContract = errors.New("unknown talos version contract")
	// ErrContractUnsupported means the contract is newer than the Talos machinery this module is
	// built with can generate.
	ErrContractUnsupported = errors.New("talos version contract newer than machinery supports")
	// ErrKubernetesVersion means the Kubernetes version is not a version number.
	ErrKubernetesVersion = errors.New("unparseable kubernetes version")
	// ErrNoSecrets means a nil or empty *Secrets was passed where a secrets bundle is required.
	ErrNoSecrets = errors.New("secrets bundle is required")
	// ErrSecrets means a secrets bundle is incomplete or cannot be parsed.
	ErrSecrets = errors.New("invalid secrets bundle")
	// ErrCNI means the CNI settings are inconsistent: custom without URLs or URLs without custom.
	ErrCNI = errors.New("inconsistent cni settings")
	// ErrInvalid is matched by every other invalid field of a cluster description or machine
	// config (a subnet, a port, a SAN, ...).
	ErrInvalid = errors.New("invalid value")
)

// FieldError is one problem with one field. Path is the field path: for a [Cluster], the
// dotted YAML path of the field (for example "cni.urls[0]"); for a machine config, the document
// kind followed by the dotted path of the field inside it (for example
// "v1alpha1.cluster.controlPlane.endpoint").
type FieldError struct {
	// Path names the field.
	Path string
	// Value is the offending value as text, empty when the problem is a missing value.
	Value string
	// Err is the underlying error; it usually wraps one of the ErrX sentinels.
	Err error
	// Suggestion is a corrected value or what to do instead; empty when there is none.
	Suggestion string
}

// Error implements error: "path: error (value "v"); try suggestion".
func (e *FieldError) Error() string {
	var b strings.Builder

	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}

	b.WriteString(e.Err.Error())

	if e.Value != "" {
		b.WriteString(" (value ")
		b.WriteString(strconv.Quote(e.Value))
		b.WriteString(")")
	}

	if e.Suggestion != "" {
		b.WriteString("; try ")
		b.WriteString(e.Suggestion)
	}

	return b.String()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(path, value string, err error) *FieldError {
	return &FieldError{Path: path, Value: value, Err: err}
}

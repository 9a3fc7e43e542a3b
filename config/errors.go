package config

import (
	"errors"

	"github.com/talospatch/talospatch/talos"
)

// Sentinel errors. Every error returned by this package that is about one of these conditions
// matches it with errors.Is; most also carry a *talos.FieldError naming the field.
var (
	// ErrNoName means the cluster name is empty.
	ErrNoName = errors.New("cluster name is required")
	// ErrEndpoint means the control-plane endpoint is not an https://host:port URL.
	ErrEndpoint = errors.New("malformed control-plane endpoint")
	// ErrNoContract means the Talos version contract is missing; it is talos.ErrNoContract.
	// A contract is never defaulted.
	ErrNoContract = talos.ErrNoContract
	// ErrUnknownContract is talos.ErrUnknownContract.
	ErrUnknownContract = talos.ErrUnknownContract
	// ErrContractUnsupported is talos.ErrContractUnsupported.
	ErrContractUnsupported = talos.ErrContractUnsupported
	// ErrKubernetesVersion means the Kubernetes version is missing, is not a version number, or
	// is outside the range the contract's Talos release supports.
	ErrKubernetesVersion = errors.New("invalid kubernetes version")
	// ErrNodeSettings means a per-node setting (hostname, label, annotation, taint) is not
	// something Talos or Kubernetes accepts.
	ErrNodeSettings = errors.New("invalid node setting")
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

// fieldErr is a *talos.FieldError of a cluster description field: path is the field's RFC 6901
// pointer ("/cni/urls/0").
func fieldErr(path, value string, err error) *talos.FieldError {
	return &talos.FieldError{Path: path, Value: value, Err: err}
}

// v1Doc is the v1alpha1 document.
var v1Doc = talos.Document{Kind: talos.KindV1Alpha1}

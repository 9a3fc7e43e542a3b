package sections

import (
	"errors"

	"github.com/talospatch/talospatch/kubespan"
	"github.com/talospatch/talospatch/talos"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrDiscoveryDisabled: KubeSpan is enabled but cluster discovery is not (or has no registry).
	ErrDiscoveryDisabled = errors.New("kubespan needs cluster discovery")
	// ErrMissingClusterID: KubeSpan is enabled but cluster.id is empty.
	ErrMissingClusterID = errors.New("kubespan needs cluster.id")
	// ErrMissingClusterSecret: KubeSpan is enabled but cluster.secret is empty.
	ErrMissingClusterSecret = errors.New("kubespan needs cluster.secret")
	// ErrMTUTooSmall: the KubeSpan link MTU is below kubespan.MinimumMTU.
	ErrMTUTooSmall = errors.New("kubespan mtu too small")
	// ErrInvalidFilter: an endpoint filter or excluded network does not parse; the model's
	// kubespan.ErrInvalidFilter.
	ErrInvalidFilter = kubespan.ErrInvalidFilter
	// ErrIneffectiveFilter: an endpoint filter list that drops endpoints it does not mean to
	// (a negation with nothing before it to negate, or only negations).
	ErrIneffectiveFilter = errors.New("ineffective kubespan filter")
	// ErrConflict: KubeSpan is configured both in machine.network.kubespan and a KubeSpanConfig document.
	ErrConflict = errors.New("kubespan configured twice")
	// ErrUnsupported: the version contract cannot express the requested setting.
	ErrUnsupported = errors.New("not supported by the version contract")
	// ErrInvalidClusterSecrets: a cluster id or secret is not 32 bytes of the expected base64.
	ErrInvalidClusterSecrets = errors.New("invalid cluster id or secret")
	// ErrInvalidDiscoveryEndpoint: the discovery service endpoint is not an absolute http(s) URL.
	ErrInvalidDiscoveryEndpoint = errors.New("invalid discovery service endpoint")
	// ErrNoConfig: a nil machine config was given.
	ErrNoConfig = errors.New("no machine config")
)

// docRef names an unnamed document by kind.
func docRef(kind string) talos.Document { return talos.Document{Kind: kind} }

// dotted turns a dotted field path with indexes ("filters.endpoints[1]") into an RFC 6901
// pointer ("/filters/endpoints/1").
func dotted(path string) string { return talos.DottedPointer(path) }

package kubespan

import "errors"

// Sentinel errors of the KubeSpan model; match them with errors.Is. The errors of the config
// sections (KubeSpan without discovery, MTU, conflicts, ...) are package sections'.
var (
	// ErrInvalidFilter: an endpoint filter or excluded network does not parse.
	ErrInvalidFilter = errors.New("invalid kubespan filter")
	// ErrInvalidKey: a WireGuard key is not 32 bytes of standard base64.
	ErrInvalidKey = errors.New("invalid wireguard key")
	// ErrInvalidMAC: a hardware address cannot give an EUI-64 interface identifier.
	ErrInvalidMAC = errors.New("invalid hardware address")
	// ErrNoPhysicalLink: no physical link with a hardware address to derive the KubeSpan address from.
	ErrNoPhysicalLink = errors.New("no physical link with a hardware address")
	// ErrInvalidIdentity: a kubespan-identity.yaml file is malformed or inconsistent.
	ErrInvalidIdentity = errors.New("invalid kubespan identity")
	// ErrInvalidSubnet: a KubeSpan subnet is not an IPv6 prefix of /64 or shorter.
	ErrInvalidSubnet = errors.New("invalid kubespan subnet")
)

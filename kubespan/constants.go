package kubespan

// Talos constants for KubeSpan (machinery constants and the KubeSpan controllers).
const (
	// Port is the WireGuard port every announced node-address endpoint uses.
	Port = 51820
	// DefaultMTU is the KubeSpan link MTU when none is configured.
	DefaultMTU = 1420
	// MinimumMTU is the smallest KubeSpan link MTU Talos accepts.
	MinimumMTU = 1280
	// DefaultDiscoveryEndpoint is the public discovery service of Sidero Labs.
	DefaultDiscoveryEndpoint = "https://discovery.talos.dev/"
)

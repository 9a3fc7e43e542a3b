package manifests

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// KubePrismHost and KubePrismPort are the address of Talos's KubePrism, the API server load
// balancer on every node (Talos v1.5+; machine.features.kubePrism, port 7445 by default).
const (
	KubePrismHost = "localhost"
	KubePrismPort = 7445
)

// DefaultAPIServerPort is the API server port used with an explicit CiliumOptions.APIServerHost
// when CiliumOptions.APIServerPort is zero.
const DefaultAPIServerPort = 6443

// ErrUnsupportedChart is wrapped when Cilium presets are asked for a chart version they do not
// cover (before 1.11) or a version that is not semantic.
var ErrUnsupportedChart = errors.New("unsupported cilium chart version")

// CiliumOptions are the cluster settings that choose the Talos presets of the Cilium chart.
// The zero value describes a default Talos cluster: kube-proxy running, Cilium reaching the
// API server through the kubernetes Service, Hubble certificates made by Helm.
type CiliumOptions struct {
	// KubeProxyDisabled is true when the cluster runs without kube-proxy
	// (cluster.proxy.disabled: true): Cilium replaces it (kubeProxyReplacement "strict" for
	// charts before 1.14, true after) and needs an API server address that works without the
	// kubernetes Service (KubePrism unless APIServerHost is set).
	KubeProxyDisabled bool
	// APIServerHost is the API server host Cilium talks to (k8sServiceHost). Empty: KubePrism
	// ("localhost") when KubeProxyDisabled or APIServerPort is set, else not set (the
	// kubernetes Service).
	APIServerHost string
	// APIServerPort is the API server port (k8sServicePort). Zero: 7445 (KubePrism) with the
	// KubePrism host, 6443 with an explicit APIServerHost.
	APIServerPort uint16
	// DisableXTSocketFallback sets enableXTSocketFallback=false, which wins back performance
	// on Talos.
	DisableXTSocketFallback bool
	// CertificatesInCluster makes the Hubble TLS certificates in the cluster
	// (hubble.tls.auto.method=cronJob: a Job and a CronJob) instead of during the render: the
	// render has no Secrets and is byte-identical across runs.
	CertificatesInCluster bool
	// SkipTalosSecurity leaves out the capability lists and cgroup values Talos needs (only
	// for clusters that provide them otherwise).
	SkipTalosSecurity bool
}

// ciliumAgentCapabilities and cleanCiliumStateCapabilities are the capabilities of Talos's
// guide (Talos does not allow SYS_MODULE), as values lists.
func ciliumAgentCapabilities() []any {
	return []any{
		"CHOWN", "KILL", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_ADMIN", "SYS_RESOURCE",
		"DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID",
	}
}

func cleanCiliumStateCapabilities() []any {
	return []any{"NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"}
}

// CiliumValues returns the Helm values of Talos's guide for a Cilium chart of version
// chartVersion ("1.18.12") and the cluster settings opts, as a values map for RenderOptions.Values
// or a values file of `helm install`:
//
//   - ipam.mode: kubernetes;
//   - kubeProxyReplacement: "strict" (kube-proxy disabled) or "disabled" for charts before
//     1.14, true or false from 1.14 on (1.16+ charts reject the old words);
//   - k8sServiceHost and k8sServicePort, see CiliumOptions;
//   - from chart 1.12 on the capability lists securityContext.capabilities.ciliumAgent and
//     .cleanCiliumState, and from 1.11 on cgroup.autoMount.enabled=false and
//     cgroup.hostRoot=/sys/fs/cgroup (Talos mounts cgroup v2 itself), unless
//     SkipTalosSecurity;
//   - enableXTSocketFallback=false and hubble.tls.auto.method=cronJob when asked for.
//
// The map is new on every call.
func CiliumValues(opts CiliumOptions, chartVersion string) (map[string]any, error) {
	v, err := semver.NewVersion(strings.TrimPrefix(chartVersion, "v"))
	if err != nil {
		return nil, fmt.Errorf("cilium values: chart version %q: %w: %w", chartVersion, ErrUnsupportedChart, err)
	}

	if v.LessThan(semver.MustParse("1.11.0-0")) {
		return nil, fmt.Errorf("cilium values: chart version %s: %w: charts before 1.11 are not covered", chartVersion, ErrUnsupportedChart)
	}

	vals := map[string]any{
		"ipam": map[string]any{"mode": "kubernetes"},
	}

	before114 := v.LessThan(semver.MustParse("1.14.0-0"))

	switch {
	case before114 && opts.KubeProxyDisabled:
		vals["kubeProxyReplacement"] = "strict"
	case before114:
		vals["kubeProxyReplacement"] = "disabled"
	default:
		vals["kubeProxyReplacement"] = opts.KubeProxyDisabled
	}

	host, port := opts.APIServerHost, int(opts.APIServerPort)

	switch {
	case host != "" && port == 0:
		port = DefaultAPIServerPort
	case host == "" && (port != 0 || opts.KubeProxyDisabled):
		host = KubePrismHost
		if port == 0 {
			port = KubePrismPort
		}
	}

	if host != "" {
		vals["k8sServiceHost"] = host
		vals["k8sServicePort"] = port
	}

	if !opts.SkipTalosSecurity {
		if !v.LessThan(semver.MustParse("1.12.0-0")) {
			vals["securityContext"] = map[string]any{
				"capabilities": map[string]any{
					"ciliumAgent":      ciliumAgentCapabilities(),
					"cleanCiliumState": cleanCiliumStateCapabilities(),
				},
			}
		}

		vals["cgroup"] = map[string]any{
			"autoMount": map[string]any{"enabled": false},
			"hostRoot":  "/sys/fs/cgroup",
		}
	}

	if opts.DisableXTSocketFallback {
		vals["enableXTSocketFallback"] = false
	}

	if opts.CertificatesInCluster {
		vals["hubble"] = map[string]any{
			"tls": map[string]any{"auto": map[string]any{"method": "cronJob"}},
		}
	}

	return vals, nil
}

// CiliumNamespaceLabels returns the labels a namespace other than kube-system needs for Cilium
// on Talos, whose pod security admission enforces "baseline" by default: Cilium's agent is
// privileged. Use it as RenderOptions.NamespaceLabels.
func CiliumNamespaceLabels() map[string]string {
	return map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}
}

// RenderCilium renders a Cilium chart with the Talos presets of CiliumValues for the chart's
// version: the presets are the lowest-priority values, below opts.Values, the values files and
// the assignments of opts. When the namespace is not kube-system and opts.NamespaceLabels is
// empty, the prepended Namespace gets CiliumNamespaceLabels.
func RenderCilium(ctx context.Context, ch *chart.Chart, kubernetesVersion string, copts CiliumOptions, opts RenderOptions) (*Rendered, error) {
	return NewRenderer(ch).RenderCilium(ctx, kubernetesVersion, copts, opts)
}

// RenderCilium renders the Renderer's chart like the package-level RenderCilium.
func (rd *Renderer) RenderCilium(ctx context.Context, kubernetesVersion string, copts CiliumOptions, opts RenderOptions) (*Rendered, error) {
	ch := rd.chart
	if ch == nil || ch.Metadata == nil {
		return rd.Render(ctx, kubernetesVersion, opts)
	}

	presets, err := CiliumValues(copts, ch.Metadata.Version)
	if err != nil {
		return nil, &RenderError{Chart: ch.Metadata.Name + " " + ch.Metadata.Version, Kind: KindPresets, Err: err}
	}

	opts.Values = loader.MergeMaps(presets, deepCopyMap(opts.Values))

	if len(opts.NamespaceLabels) == 0 {
		opts.NamespaceLabels = CiliumNamespaceLabels()
	}

	return rd.Render(ctx, kubernetesVersion, opts)
}

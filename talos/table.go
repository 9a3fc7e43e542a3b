package talos

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file is the one table of what depends on the contract. config, patches, kubespan and
// manifests read it through the methods below; a new Talos release is a new constant in
// contract.go and a row or an entry here.

// Setting names one setting of the Talos guides whose place in a machine config depends on the
// contract: a v1alpha1 field on older contracts, a typed document on newer ones.
type Setting int

// Settings. The zero value is not a setting.
const (
	SettingUnknown Setting = iota
	// SettingCNI is the cluster's CNI: cluster.network.cni, or from v1.14 the
	// KubeFlannelCNIConfig document (flannel) and KubeExternalManifestConfig documents (URLs).
	SettingCNI
	// SettingKubeProxy is kube-proxy: cluster.proxy, or KubeProxyConfig.
	SettingKubeProxy
	// SettingInlineManifests: cluster.inlineManifests, or KubeInlineManifestConfig documents.
	SettingInlineManifests
	// SettingExtraManifests: cluster.extraManifests, or KubeExternalManifestConfig documents.
	SettingExtraManifests
	// SettingKubePrism: machine.features.kubePrism (v1.5+), or KubePrismConfig.
	SettingKubePrism
	// SettingDiscovery: cluster.discovery, or DiscoveryServiceConfig documents.
	SettingDiscovery
	// SettingClusterIdentity: cluster.id and cluster.secret, or DiscoveryIdentityConfig.
	SettingClusterIdentity
	// SettingKubeSpan: machine.network.kubespan, or KubeSpanConfig (v1.13+).
	SettingKubeSpan
	// SettingKubeSpanEndpoints: extra announced endpoints, KubeSpanEndpointsConfig (v1.8+).
	SettingKubeSpanEndpoints
	// SettingNodeLabels: machine.nodeLabels, or KubeNodeConfig labels.
	SettingNodeLabels
	// SettingNodeAnnotations: machine.nodeAnnotations, or KubeNodeConfig annotations.
	SettingNodeAnnotations
	// SettingNodeTaints: machine.nodeTaints, or KubeNodeConfig taints.
	SettingNodeTaints
	// SettingHostname: machine.network.hostname, or HostnameConfig (v1.12+).
	SettingHostname
	// SettingClusterNetwork: cluster.network (subnets, DNS domain), or KubeNetworkConfig.
	SettingClusterNetwork
	// SettingAPIServer: cluster.apiServer, or KubeAPIServerConfig.
	SettingAPIServer
	settingCount
)

var settingNames = [settingCount]string{
	SettingUnknown:           "unknown",
	SettingCNI:               "cni",
	SettingKubeProxy:         "kube-proxy",
	SettingInlineManifests:   "inline-manifests",
	SettingExtraManifests:    "extra-manifests",
	SettingKubePrism:         "kubeprism",
	SettingDiscovery:         "discovery",
	SettingClusterIdentity:   "cluster-identity",
	SettingKubeSpan:          "kubespan",
	SettingKubeSpanEndpoints: "kubespan-endpoints",
	SettingNodeLabels:        "node-labels",
	SettingNodeAnnotations:   "node-annotations",
	SettingNodeTaints:        "node-taints",
	SettingHostname:          "hostname",
	SettingClusterNetwork:    "cluster-network",
	SettingAPIServer:         "api-server",
}

// String returns the setting's name ("kube-proxy").
func (s Setting) String() string {
	if s < 0 || s >= settingCount {
		return "Setting(" + strconv.Itoa(int(s)) + ")"
	}

	return settingNames[s]
}

// Settings returns every setting, in declaration order.
func Settings() []Setting {
	out := make([]Setting, 0, settingCount-1)
	for s := SettingUnknown + 1; s < settingCount; s++ {
		out = append(out, s)
	}

	return out
}

// Form is where a setting lives in a config of one contract.
type Form struct {
	// Kind is the document kind: "v1alpha1" for a field of the v1alpha1 document, or a typed
	// document kind ("KubeProxyConfig"). Empty when the contract cannot express the setting.
	Kind string
	// Path is the RFC 6901 pointer of the field in the v1alpha1 document; empty for a typed
	// document (the setting is the document).
	Path string
	// Since is the first contract with this form.
	Since Contract
}

// Supported reports whether the contract can express the setting at all.
func (f Form) Supported() bool { return f.Kind != "" }

// Document reports whether the setting is a typed document (not a v1alpha1 field).
func (f Form) Document() bool { return f.Kind != "" && f.Kind != KindV1Alpha1 }

// KindV1Alpha1 is the kind of the v1alpha1 document.
const KindV1Alpha1 = "v1alpha1"

// forms lists, per setting, its forms in contract order; a contract takes the last form whose
// Since it has reached.
var forms = [settingCount][]Form{
	SettingCNI: {
		{KindV1Alpha1, "/cluster/network/cni", V1_0},
		{"KubeFlannelCNIConfig", "", V1_14},
	},
	SettingKubeProxy: {
		{KindV1Alpha1, "/cluster/proxy", V1_0},
		{"KubeProxyConfig", "", V1_14},
	},
	SettingInlineManifests: {
		{KindV1Alpha1, "/cluster/inlineManifests", V1_0},
		{"KubeInlineManifestConfig", "", V1_14},
	},
	SettingExtraManifests: {
		{KindV1Alpha1, "/cluster/extraManifests", V1_0},
		{"KubeExternalManifestConfig", "", V1_14},
	},
	SettingKubePrism: {
		{KindV1Alpha1, "/machine/features/kubePrism", V1_5},
		{"KubePrismConfig", "", V1_14},
	},
	SettingDiscovery: {
		{KindV1Alpha1, "/cluster/discovery", V1_0},
		{"DiscoveryServiceConfig", "", V1_14},
	},
	SettingClusterIdentity: {
		{KindV1Alpha1, "/cluster/id", V1_0},
		{"DiscoveryIdentityConfig", "", V1_14},
	},
	SettingKubeSpan: {
		{KindV1Alpha1, "/machine/network/kubespan", V1_0},
		{"KubeSpanConfig", "", V1_13},
	},
	SettingKubeSpanEndpoints: {
		{"KubeSpanEndpointsConfig", "", V1_8},
	},
	SettingNodeLabels: {
		{KindV1Alpha1, "/machine/nodeLabels", V1_0},
		{"KubeNodeConfig", "", V1_14},
	},
	SettingNodeAnnotations: {
		{KindV1Alpha1, "/machine/nodeAnnotations", V1_0},
		{"KubeNodeConfig", "", V1_14},
	},
	SettingNodeTaints: {
		{KindV1Alpha1, "/machine/nodeTaints", V1_0},
		{"KubeNodeConfig", "", V1_14},
	},
	SettingHostname: {
		{KindV1Alpha1, "/machine/network/hostname", V1_0},
		{"HostnameConfig", "", V1_12},
	},
	SettingClusterNetwork: {
		{KindV1Alpha1, "/cluster/network", V1_0},
		{"KubeNetworkConfig", "", V1_14},
	},
	SettingAPIServer: {
		{KindV1Alpha1, "/cluster/apiServer", V1_0},
		{"KubeAPIServerConfig", "", V1_14},
	},
}

// Form returns where setting s lives on contract c; the zero Form (not Supported) when c is
// invalid or predates every form of s.
func (c Contract) Form(s Setting) Form {
	if !c.IsValid() || s <= SettingUnknown || s >= settingCount {
		return Form{}
	}

	var out Form

	for _, f := range forms[s] {
		if c >= f.Since {
			out = f
		}
	}

	return out
}

// LegacyForms returns the v1alpha1 forms that contract c replaced with documents: for each
// setting whose form on c is a document, the v1alpha1 field older contracts used, in Setting
// order. On v1.14 a config that still has one of these fields conflicts with the document
// generation wrote (see Talos's conflict validation).
func (c Contract) LegacyForms() map[Setting]Form {
	out := map[Setting]Form{}

	for _, s := range Settings() {
		if !c.Form(s).Document() {
			continue
		}

		for _, f := range forms[s] {
			if f.Kind == KindV1Alpha1 {
				out[s] = f
			}
		}
	}

	return out
}

// MultiDocument reports whether configs of the contract are several documents (v1.12+: the
// v1alpha1 document and a HostnameConfig at least). Talos refuses RFC 6902 patches on them.
func (c Contract) MultiDocument() bool { return c >= V1_12 }

// StrategicPatches reports whether talosctl of this contract's era takes strategic merge
// patches (v1.2+); before, only RFC 6902 patches.
func (c Contract) StrategicPatches() bool { return c >= V1_2 }

// KubePrismByDefault reports whether generated configs enable KubePrism (v1.6+).
func (c Contract) KubePrismByDefault() bool { return c >= V1_6 }

// controlPlaneOnly lists the document kinds Talos allows only on control-plane machines, per
// contract (Talos v1.14's "the following document kinds are only allowed on control plane
// machines" check).
var controlPlaneOnly = []struct {
	since Contract
	kinds []string
}{
	{V1_14, []string{
		"KubeAdmissionControlConfig", "KubeAggregatorCAConfig", "KubeAPIServerConfig", "KubeAuditPolicyConfig",
		"KubeAuthenticationConfig", "KubeAuthorizerConfig", "KubeControllerManagerConfig", "KubeCoreDNSConfig",
		"KubeEtcdEncryptionConfig", "KubeFlannelCNIConfig", "KubeProxyConfig", "KubeSchedulerConfig",
		"KubeServiceAccountConfig", "KubeTalosAPIAccessConfig",
	}},
}

// ControlPlaneOnly reports whether a document of the kind may appear only in control-plane
// configs on contract c.
func (c Contract) ControlPlaneOnly(kind string) bool {
	return slices.Contains(c.ControlPlaneOnlyKinds(), kind)
}

// ControlPlaneOnlyKinds returns the control-plane-only document kinds of contract c, sorted.
func (c Contract) ControlPlaneOnlyKinds() []string {
	var out []string

	for _, row := range controlPlaneOnly {
		if c >= row.since {
			out = row.kinds
		}
	}

	return slices.Clone(out)
}

// KubernetesRange is the range of Kubernetes versions a Talos release supports.
type KubernetesRange struct {
	// Oldest is the oldest supported version, "1.32.0".
	Oldest string
	// Newest is the newest supported minor version, "1.37": every 1.37.x is supported.
	Newest string
	// Default is the version talosctl of that release generates with, "1.37.0".
	Default string
}

// String returns "1.32.0 to 1.37.x".
func (r KubernetesRange) String() string { return r.Oldest + " to " + r.Newest + ".x" }

// Contains reports whether Kubernetes version v ("1.37.2", "v1.37.2") is in the range. A
// version that does not parse is not contained; use [ParseKubernetesVersion] to tell why.
func (r KubernetesRange) Contains(v string) bool {
	k, err := ParseKubernetesVersion(v)
	if err != nil {
		return false
	}

	lo, _ := ParseKubernetesVersion(r.Oldest)
	hi, _ := ParseKubernetesVersion(r.Newest + ".0")

	return !k.less(lo) && (k.Major < hi.Major || k.Major == hi.Major && k.Minor <= hi.Minor)
}

// KubernetesVersion is a parsed Kubernetes version.
type KubernetesVersion struct {
	Major, Minor, Patch int
	// Pre is the pre-release suffix without its dash ("rc.1"), empty for a release.
	Pre string
}

func (k KubernetesVersion) less(o KubernetesVersion) bool {
	if k.Major != o.Major {
		return k.Major < o.Major
	}

	if k.Minor != o.Minor {
		return k.Minor < o.Minor
	}

	if k.Patch != o.Patch {
		return k.Patch < o.Patch
	}

	return k.Pre != "" && o.Pre == ""
}

// String returns "1.37.0" (or "1.37.0-rc.1").
func (k KubernetesVersion) String() string {
	s := fmt.Sprintf("%d.%d.%d", k.Major, k.Minor, k.Patch)
	if k.Pre != "" {
		s += "-" + k.Pre
	}

	return s
}

// ParseKubernetesVersion parses "1.37.0", "v1.37.0" or "1.37.0-rc.1".
func ParseKubernetesVersion(v string) (KubernetesVersion, error) {
	s := strings.TrimPrefix(v, "v")

	core, pre, hasPre := strings.Cut(s, "-")
	if hasPre && pre == "" {
		return KubernetesVersion{}, fmt.Errorf("kubernetes version %q: empty pre-release", v)
	}

	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return KubernetesVersion{}, fmt.Errorf("kubernetes version %q: want MAJOR.MINOR.PATCH, for example %q", v, kubernetesRanges[Newest].Default)
	}

	var n [3]int

	for i, p := range parts {
		if !isNumber(p) {
			return KubernetesVersion{}, fmt.Errorf("kubernetes version %q: %q is not a number", v, p)
		}

		n[i], _ = strconv.Atoi(p)
	}

	for _, r := range pre {
		if !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return KubernetesVersion{}, fmt.Errorf("kubernetes version %q: bad pre-release %q", v, pre)
		}
	}

	return KubernetesVersion{Major: n[0], Minor: n[1], Patch: n[2], Pre: pre}, nil
}

// kubernetesRanges: machinery's compatibility tables (compatibility/talos1x) from v1.2; v1.0
// and v1.1 from the Talos support matrix of those releases. Defaults are the newest minor's
// first release, which is what talosctl of each release generated with (v1.13: 1.36.0,
// v1.14: 1.37.0).
var kubernetesRanges = map[Contract]KubernetesRange{
	V1_0:  {"1.21.0", "1.23", "1.23.0"},
	V1_1:  {"1.22.0", "1.24", "1.24.0"},
	V1_2:  {"1.23.0", "1.25", "1.25.0"},
	V1_3:  {"1.24.0", "1.26", "1.26.0"},
	V1_4:  {"1.25.0", "1.27", "1.27.0"},
	V1_5:  {"1.26.0", "1.28", "1.28.0"},
	V1_6:  {"1.24.0", "1.29", "1.29.0"},
	V1_7:  {"1.25.0", "1.30", "1.30.0"},
	V1_8:  {"1.26.0", "1.31", "1.31.0"},
	V1_9:  {"1.27.0", "1.32", "1.32.0"},
	V1_10: {"1.28.0", "1.33", "1.33.0"},
	V1_11: {"1.29.0", "1.34", "1.34.0"},
	V1_12: {"1.30.0", "1.35", "1.35.0"},
	V1_13: {"1.31.0", "1.36", "1.36.0"},
	V1_14: {"1.32.0", "1.37", "1.37.0"},
}

// Kubernetes returns the Kubernetes versions the contract's Talos release supports; the zero
// range for an invalid contract.
func (c Contract) Kubernetes() KubernetesRange { return kubernetesRanges[c] }

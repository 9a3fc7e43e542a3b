package install

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// Errors of the install methods.
var (
	// ErrSecretsInManifest: a manifest meant to be hosted at a URL carries Secrets or private
	// keys. Errors carrying it are [*SecretsError] values.
	ErrSecretsInManifest = errors.New("manifest carries secrets")
	// ErrInconsistentSettings: the render does not fit the cluster description (another
	// Kubernetes version, kube-proxy disabled but Cilium not told to replace it, a CNI setting
	// the method contradicts).
	ErrInconsistentSettings = errors.New("render does not match the cluster description")
	// ErrInvalidMethodOptions: a method option is malformed (an empty URL, a bad name).
	ErrInvalidMethodOptions = errors.New("invalid install method options")
)

// CiliumOptions returns opts completed with what the cluster description c states, so that
// kube-proxy is stated once, in c.KubeProxyDisabled:
//
//   - KubeProxyDisabled is c.KubeProxyDisabled. Setting it in opts is refused when c does not
//     disable kube-proxy (state it in the cluster description instead).
//   - Without kube-proxy Cilium needs an API server address that does not go through the
//     kubernetes Service. When opts names none (APIServerHost empty), it is KubePrism
//     (localhost and c.KubePrism.Port, or 7445) where c's contract runs KubePrism, else the
//     host and port of c.Endpoint (443 when it names no port).
//
// Every other field of opts is kept.
func CiliumOptions(c config.Cluster, opts manifests.CiliumOptions) (manifests.CiliumOptions, error) {
	if err := c.Contract.Check("cluster contract"); err != nil {
		return manifests.CiliumOptions{}, fmt.Errorf("cilium options: %w", err)
	}

	if opts.KubeProxyDisabled && !c.KubeProxyDisabled {
		return manifests.CiliumOptions{}, fmt.Errorf("cilium options: %w: CiliumOptions.KubeProxyDisabled is set but the cluster runs kube-proxy; "+
			"state it once, in the cluster description (kubeProxyDisabled: true), and leave CiliumOptions.KubeProxyDisabled false", ErrInconsistentSettings)
	}

	opts.KubeProxyDisabled = c.KubeProxyDisabled
	if !c.KubeProxyDisabled || opts.APIServerHost != "" {
		return opts, nil
	}

	if port, ok := kubePrismPort(c); ok {
		if opts.APIServerPort == 0 {
			opts.APIServerPort = port
		}

		return opts, nil
	}

	host, port, err := c.APIServerAddress()
	if err != nil {
		return manifests.CiliumOptions{}, fmt.Errorf("cilium options: %w: without KubePrism Cilium reaches the API server at the cluster's endpoint: %w",
			ErrInconsistentSettings, err)
	}

	opts.APIServerHost = host
	if opts.APIServerPort == 0 {
		opts.APIServerPort = port
	}

	return opts, nil
}

// RenderCilium renders a Cilium chart for the cluster c: the Kubernetes version is
// c.KubernetesVersion and the Talos presets come from [CiliumOptions]. ropts are the
// render's other options (release, namespace, values).
func RenderCilium(ctx context.Context, rd *manifests.Renderer, c config.Cluster, opts manifests.CiliumOptions, ropts manifests.RenderOptions) (*manifests.Rendered, error) {
	if rd == nil {
		return nil, fmt.Errorf("render cilium: %w: nil Renderer (use manifests.NewRenderer)", ErrInvalidMethodOptions)
	}

	copts, err := CiliumOptions(c, opts)
	if err != nil {
		return nil, err
	}

	if c.KubernetesVersion == "" {
		return nil, fmt.Errorf("render cilium: %w: the cluster description has no kubernetesVersion", ErrInconsistentSettings)
	}

	return rd.RenderCilium(ctx, c.KubernetesVersion, copts, ropts)
}

// kubePrismPort returns the port of KubePrism when the cluster's nodes run it.
func kubePrismPort(c config.Cluster) (uint16, bool) {
	switch {
	case c.KubePrism.Disabled:
		return 0, false
	case c.KubePrism.Port > 0 && c.KubePrism.Port <= 65535 && c.Contract.Form(talos.SettingKubePrism).Kind != "": // as config.Cluster.Validate
		return uint16(c.KubePrism.Port), true
	case c.Contract.KubePrismByDefault():
		return manifests.KubePrismPort, true
	default:
		return 0, false
	}
}

// check verifies that the render r fits the cluster c, for the method named method, and that
// the cluster's CNI setting does not contradict it (hosted: whether a custom CNI is allowed).
func check(method string, c config.Cluster, r *manifests.Rendered, hostedURL string) error {
	if r == nil {
		return fmt.Errorf("%w: nil render", ErrInvalidMethodOptions)
	}

	if err := c.Contract.Check("cluster contract"); err != nil {
		return err
	}

	if c.KubernetesVersion != "" && normalVersion(c.KubernetesVersion) != normalVersion(r.KubernetesVersion) {
		return fmt.Errorf("%w: the render is for Kubernetes %s but the cluster runs %s; render for the cluster (RenderCilium)",
			ErrInconsistentSettings, r.KubernetesVersion, c.KubernetesVersion)
	}

	switch c.CNI.Name {
	case config.CNIDefault, config.CNINone:
	case config.CNICustom:
		if hostedURL == "" || len(c.CNI.URLs) != 1 || c.CNI.URLs[0] != hostedURL {
			return fmt.Errorf("%w: the cluster's cni is custom with %v, which the %s method replaces; set cni.name to none (or leave it empty) in the cluster description",
				ErrInconsistentSettings, c.CNI.URLs, method)
		}
	default:
		return fmt.Errorf("%w: the cluster's cni is %s, but the %s method installs %s as the CNI; set cni.name to none (or leave it empty) in the cluster description",
			ErrInconsistentSettings, c.CNI.Name, method, r.Chart)
	}

	if r.Chart != "cilium" || !c.KubeProxyDisabled {
		return nil
	}

	switch v := r.Values["kubeProxyReplacement"]; v {
	case true, "true", "strict":
	default:
		return fmt.Errorf("%w: the cluster disables kube-proxy but the values set kubeProxyReplacement to %v, so nothing would serve Kubernetes Services; render with RenderCilium (or CiliumOptions)", ErrInconsistentSettings, v)
	}

	if host, _ := r.Values["k8sServiceHost"].(string); host == "" {
		return fmt.Errorf("%w: the cluster disables kube-proxy but the values set no k8sServiceHost, and Cilium cannot reach the API server through the kubernetes Service without kube-proxy; render with RenderCilium (or CiliumOptions)", ErrInconsistentSettings)
	}

	return nil
}

// normalVersion drops a leading "v".
func normalVersion(v string) string { return strings.TrimPrefix(strings.TrimSpace(v), "v") }

// nodeLayers are the layers every method needs when the CNI is installed by other means than
// Talos: no CNI, and no kube-proxy when the cluster disables it (the guide's "strict mode"
// patch). The v1.14 forms carry their scope, so everything goes into AllNodes.
func nodeLayers(c config.Cluster) (config.Layers, error) {
	var (
		p   patches.Patch
		err error
	)

	if c.KubeProxyDisabled {
		p, err = patches.StrictMode(c.Contract)
	} else {
		p, err = patches.CNINone(c.Contract)
	}

	if err != nil {
		return config.Layers{}, fmt.Errorf("%w: %w", ErrInvalidMethodOptions, err)
	}

	return config.Layers{AllNodes: []patches.Patch{p}}, nil
}

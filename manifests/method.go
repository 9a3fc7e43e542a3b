package manifests

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// The four install methods of Talos's guide to Cilium, as pure functions of a render:
//
//  1. [HelmInstallMethod]: `helm install` after bootstrap; a values file and the command.
//  2. [TemplateMethod]: `helm template` output applied with kubectl after bootstrap.
//  3. [HostedMethod]: the manifest served from a URL that Talos fetches (CNI "custom").
//  4. [InlineMethod]: the manifest inside the control-plane configs (an inline manifest).
//
// Every method also returns the config patches for every node: no CNI (or the custom CNI URL)
// and, when the cluster runs without kube-proxy, kube-proxy disabled.

// Errors of the install methods.
var (
	// ErrSecretsInManifest: a manifest meant to be hosted at a URL carries Secrets or private
	// keys. Errors carrying it are [*SecretsError] values.
	ErrSecretsInManifest = errors.New("manifest carries secrets")
	// ErrInconsistentSettings: the render's values do not fit the cluster settings (for
	// example kube-proxy disabled but Cilium not told to replace it).
	ErrInconsistentSettings = errors.New("render does not match the cluster settings")
	// ErrInvalidMethodOptions: a method option is malformed (an empty URL, a bad name).
	ErrInvalidMethodOptions = errors.New("invalid install method options")
)

// TalosSettings are the cluster settings the config patches of every method depend on.
// Contract is required: the methods refuse the zero TalosSettings.
type TalosSettings struct {
	// Contract is the Talos version contract of the nodes; it chooses the form of the
	// patches (see package patches). Required.
	Contract talos.Contract
	// KubeProxyDisabled is true when the cluster runs without kube-proxy: the patches
	// disable it too. It must agree with the render (CiliumOptions.KubeProxyDisabled): for a
	// Cilium chart the methods fail with ErrInconsistentSettings when kube-proxy is disabled
	// but the values do not enable Cilium's kube-proxy replacement or name an API server
	// address (without kube-proxy the kubernetes Service does not work).
	KubeProxyDisabled bool
}

// nodePatches are the patches every node needs when the CNI is installed by other means than
// Talos: no CNI, and no kube-proxy when it is disabled (the guide's "strict mode" patch).
func (t TalosSettings) nodePatches() ([]patches.Patch, error) {
	var (
		p   patches.Patch
		err error
	)
	if t.KubeProxyDisabled {
		p, err = patches.StrictMode(t.Contract)
	} else {
		p, err = patches.CNINone(t.Contract)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMethodOptions, err)
	}
	return []patches.Patch{p}, nil
}

// check verifies that a Cilium render fits the settings.
func (t TalosSettings) check(r *Rendered) error {
	if r == nil {
		return fmt.Errorf("%w: nil render", ErrInvalidMethodOptions)
	}
	if r.Chart != "cilium" || !t.KubeProxyDisabled {
		return nil
	}
	switch v := r.Values["kubeProxyReplacement"]; v {
	case true, "true", "strict":
	default:
		return fmt.Errorf("%w: kube-proxy is disabled but the values set kubeProxyReplacement to %v, so nothing would serve Kubernetes Services; render with CiliumOptions.KubeProxyDisabled", ErrInconsistentSettings, v)
	}
	if host, _ := r.Values["k8sServiceHost"].(string); host == "" {
		return fmt.Errorf("%w: kube-proxy is disabled but the values set no k8sServiceHost, and Cilium cannot reach the API server through the kubernetes Service without kube-proxy; render with CiliumOptions.KubeProxyDisabled (KubePrism) or CiliumOptions.APIServerHost", ErrInconsistentSettings)
	}
	return nil
}

// HelmInstallOptions are the optional settings of [HelmInstallMethod].
type HelmInstallOptions struct {
	// Chart is the chart argument of `helm install`: a repository alias and chart name
	// (Talos's guide: "cilium/cilium" after `helm repo add cilium https://helm.cilium.io/`),
	// an oci:// reference or a path. Empty: the chart name when RepoURL is set, else
	// "NAME/NAME" (for Cilium "cilium/cilium").
	Chart string
	// RepoURL, when set, is passed as --repo, so no `helm repo add` is needed.
	RepoURL string
	// ValuesFile is the name of the values file in the command. Empty: "values.yaml".
	ValuesFile string
}

// HelmInstall is method 1 of the guide: install the chart with `helm install` once the
// cluster is up (the nodes stay NotReady until then).
type HelmInstall struct {
	// Values is the values file: the values of the render (the Talos presets and every
	// override), in YAML with sorted keys.
	Values []byte
	// Commands are the commands to run, in order, as argument lists: for a namespace other
	// than kube-system first `kubectl create namespace` and `kubectl label` for the labels of
	// the render's Namespace object (Cilium needs privileged pod security), then `helm
	// install` with the release, chart, version, namespace and values file of the render.
	Commands [][]string
	// Patches are the config patches for every node: no CNI, and kube-proxy disabled when
	// TalosSettings.KubeProxyDisabled.
	Patches []patches.Patch
}

// Script returns Commands as shell text, one command per line, arguments quoted where needed.
func (h HelmInstall) Script() string { return script(h.Commands) }

// HelmInstallMethod returns the values file, the `helm install` command line and the config
// patches that install the rendered chart with the same settings as the render r.
func HelmInstallMethod(r *Rendered, t TalosSettings, opts HelmInstallOptions) (HelmInstall, error) {
	if err := t.check(r); err != nil {
		return HelmInstall{}, fmt.Errorf("helm install method: %w", err)
	}
	values, err := valuesYAML(r.Values)
	if err != nil {
		return HelmInstall{}, fmt.Errorf("helm install method: values: %w", err)
	}
	valuesFile := opts.ValuesFile
	if valuesFile == "" {
		valuesFile = "values.yaml"
	}
	chartArg := opts.Chart
	switch {
	case chartArg != "":
	case opts.RepoURL != "":
		chartArg = r.Chart
	default:
		chartArg = r.Chart + "/" + r.Chart
	}
	install := []string{"helm", "install", r.ReleaseName, chartArg}
	if opts.RepoURL != "" {
		install = append(install, "--repo", opts.RepoURL)
	}
	install = append(install, "--version", r.ChartVersion, "--namespace", r.Namespace, "--values", valuesFile)

	cmds := namespaceCommands(r)
	cmds = append(cmds, install)
	ps, err := t.nodePatches()
	if err != nil {
		return HelmInstall{}, fmt.Errorf("helm install method: %w", err)
	}
	return HelmInstall{Values: values, Commands: cmds, Patches: ps}, nil
}

// valuesYAML encodes values as YAML with sorted keys; no values give "{}".
func valuesYAML(values map[string]any) ([]byte, error) {
	if len(values) == 0 {
		return []byte("{}\n"), nil
	}
	return yaml.Marshal(values)
}

// namespaceCommands returns the kubectl commands that create the release namespace with the
// labels of the render's Namespace object, when the namespace is not kube-system.
func namespaceCommands(r *Rendered) [][]string {
	if r.Namespace == DefaultNamespace {
		return nil
	}
	cmds := [][]string{{"kubectl", "create", "namespace", r.Namespace}}
	if ns := findNamespace(r.Objects, r.Namespace); ns != nil {
		labels := ns.GetLabels()
		keys := make([]string, 0, len(labels))
		for k := range labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if len(keys) > 0 {
			cmd := []string{"kubectl", "label", "namespace", r.Namespace}
			for _, k := range keys {
				cmd = append(cmd, k+"="+labels[k])
			}
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

func findNamespace(objs []*unstructured.Unstructured, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" && o.GetName() == name {
			return o
		}
	}
	return nil
}

// TemplateOptions are the optional settings of [TemplateMethod].
type TemplateOptions struct {
	// File is the name of the manifest file in the command. Empty: "RELEASE.yaml".
	File string
}

// Template is method 2 of the guide: the `helm template` output, applied with kubectl once
// the cluster is up.
type Template struct {
	// File is the manifest's file name in Commands.
	File string
	// Manifest is the render's YAML (Namespaces first, then CRDs, then the rest; the release
	// namespace written into namespaced objects).
	Manifest []byte
	// Commands are the commands to run after bootstrap: `kubectl apply -f FILE`.
	Commands [][]string
	// Patches are the config patches for every node: no CNI, and kube-proxy disabled when
	// TalosSettings.KubeProxyDisabled.
	Patches []patches.Patch
}

// Script returns Commands as shell text.
func (m Template) Script() string { return script(m.Commands) }

// TemplateMethod returns the manifest file of the render r, the command that applies it and
// the config patches.
func TemplateMethod(r *Rendered, t TalosSettings, opts TemplateOptions) (Template, error) {
	if err := t.check(r); err != nil {
		return Template{}, fmt.Errorf("template method: %w", err)
	}
	file := opts.File
	if file == "" {
		file = r.ReleaseName + ".yaml"
	}
	ps, err := t.nodePatches()
	if err != nil {
		return Template{}, fmt.Errorf("template method: %w", err)
	}
	return Template{
		File:     file,
		Manifest: slices.Clone(r.YAML),
		Commands: [][]string{{"kubectl", "apply", "-f", file}},
		Patches:  ps,
	}, nil
}

// HostedOptions are the optional settings of [HostedMethod].
type HostedOptions struct {
	// AllowSecrets accepts a manifest that carries Secrets or private keys. Anyone who can
	// fetch the URL can read them; only set it for a URL that only the cluster can reach.
	AllowSecrets bool
}

// Hosted is method 3 of the guide: the manifest served at a URL; Talos applies it at
// bootstrap as a custom CNI (cluster.network.cni.urls).
type Hosted struct {
	// URL is where the manifest must be served.
	URL string
	// Manifest is the render's YAML, to upload to URL.
	Manifest []byte
	// Patches are the config patches for every node: CNI custom with URL, and kube-proxy
	// disabled when TalosSettings.KubeProxyDisabled.
	Patches []patches.Patch
	// KeyMaterial lists the objects with key material the manifest carries (only possible
	// with HostedOptions.AllowSecrets, or public certificates).
	KeyMaterial []KeyMaterial
}

// SecretsError is the refusal of [HostedMethod] to produce a hostable manifest that carries
// Secrets or private keys. It matches [ErrSecretsInManifest].
type SecretsError struct {
	// Objects are the Secrets and the objects carrying private keys, in manifest order.
	Objects []KeyMaterial
}

// Error implements error.
func (e *SecretsError) Error() string {
	parts := make([]string, len(e.Objects))
	for i, o := range e.Objects {
		parts[i] = o.String()
	}
	return fmt.Sprintf("%v: %s; anyone who can fetch the URL could read them. Avoid them: for Cilium make the "+
		"certificates in the cluster (CiliumOptions.CertificatesInCluster, hubble.tls.auto.method=cronJob), "+
		"or turn off what needs them (hubble.tls.enabled=false), or use the inline method; "+
		"or set HostedOptions.AllowSecrets for a URL only the cluster can reach", ErrSecretsInManifest, strings.Join(parts, ", "))
}

// Is reports whether target is [ErrSecretsInManifest].
func (e *SecretsError) Is(target error) bool { return target == ErrSecretsInManifest }

// HostedMethod returns the manifest to host at manifestURL (an absolute http or https URL)
// and the config patches that point Talos at it. It refuses, with a [*SecretsError], a
// manifest (r.YAML, as it is now) that carries any Secret or private key unless
// opts.AllowSecrets.
func HostedMethod(r *Rendered, manifestURL string, t TalosSettings, opts HostedOptions) (Hosted, error) {
	if err := t.check(r); err != nil {
		return Hosted{}, fmt.Errorf("hosted method: %w", err)
	}
	// The bytes to be hosted are checked, not r.KeyMaterial: the caller owns r and may have
	// changed its YAML since the render. What is hosted is the raw text, so key material in
	// comments or under a duplicate key (which parsing drops) counts too.
	found, err := FindManifestKeyMaterial(r.YAML)
	if err != nil {
		return Hosted{}, fmt.Errorf("hosted method: manifest: %w", err)
	}
	var secret []KeyMaterial
	for _, km := range found {
		if km.Secret || km.PrivateKey {
			secret = append(secret, km)
		}
	}
	if len(secret) > 0 && !opts.AllowSecrets {
		return Hosted{}, fmt.Errorf("hosted method: %w", &SecretsError{Objects: secret})
	}
	cni, err := patches.CNICustom(t.Contract, manifestURL)
	if err != nil {
		return Hosted{}, fmt.Errorf("hosted method: %w: %w", ErrInvalidMethodOptions, err)
	}
	ps := []patches.Patch{cni}
	if t.KubeProxyDisabled {
		kp, err := patches.KubeProxyDisabled(t.Contract)
		if err != nil {
			return Hosted{}, fmt.Errorf("hosted method: %w: %w", ErrInvalidMethodOptions, err)
		}
		ps = append(ps, kp)
	}
	return Hosted{
		URL:         manifestURL,
		Manifest:    slices.Clone(r.YAML),
		Patches:     ps,
		KeyMaterial: found,
	}, nil
}

// script joins commands as shell text.
func script(cmds [][]string) string {
	var b strings.Builder
	for _, c := range cmds {
		for i, a := range c {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(shellQuote(a))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it contains anything but letters, digits and
// the characters "@%+=:,./-_".
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@%+=:,./-_", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

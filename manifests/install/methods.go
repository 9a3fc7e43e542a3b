package install

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/patches"
)

// HelmOptions are the optional settings of [Helm].
type HelmOptions struct {
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

// HelmPlan is method 1 of the guide: install the chart with `helm install` once the cluster
// is up (the nodes stay NotReady until then).
type HelmPlan struct {
	// Values is the values file: the values of the render (the Talos presets and every
	// override), in YAML with sorted keys.
	Values []byte
	// Commands are the commands to run, in order, as argument lists: for a namespace other
	// than kube-system first `kubectl create namespace` and `kubectl label` for the labels of
	// the render's Namespace object (Cilium needs privileged pod security), then `helm
	// install` with the release, chart, version, namespace and values file of the render.
	Commands [][]string
	// Layers are the config patches of the method (see [config.Configs.Patch]): for every
	// node no CNI, and kube-proxy disabled when the cluster disables it.
	Layers config.Layers
}

// Script returns Commands as shell text, one command per line, arguments quoted where needed.
func (h HelmPlan) Script() string { return script(h.Commands) }

// Helm returns the values file, the `helm install` command line and the config patches that
// install the rendered chart r on the cluster c with the same settings as the render.
func Helm(c config.Cluster, r *manifests.Rendered, opts HelmOptions) (HelmPlan, error) {
	if err := check("helm", c, r, ""); err != nil {
		return HelmPlan{}, fmt.Errorf("helm install method: %w", err)
	}
	values, err := valuesYAML(r.Values)
	if err != nil {
		return HelmPlan{}, fmt.Errorf("helm install method: values: %w", err)
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
	layers, err := nodeLayers(c)
	if err != nil {
		return HelmPlan{}, fmt.Errorf("helm install method: %w", err)
	}
	return HelmPlan{Values: values, Commands: cmds, Layers: layers}, nil
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
func namespaceCommands(r *manifests.Rendered) [][]string {
	if r.Namespace == manifests.DefaultNamespace {
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

// TemplateOptions are the optional settings of [Template].
type TemplateOptions struct {
	// File is the name of the manifest file in the command. Empty: "RELEASE.yaml".
	File string
}

// TemplatePlan is method 2 of the guide: the `helm template` output, applied with kubectl
// once the cluster is up.
type TemplatePlan struct {
	// File is the manifest's file name in Commands.
	File string
	// Manifest is the render's YAML (Namespaces first, then CRDs, then the rest; the release
	// namespace written into namespaced objects).
	Manifest []byte
	// Commands are the commands to run after bootstrap: `kubectl apply -f FILE`.
	Commands [][]string
	// Layers are the config patches of the method: for every node no CNI, and kube-proxy
	// disabled when the cluster disables it.
	Layers config.Layers
}

// Script returns Commands as shell text.
func (m TemplatePlan) Script() string { return script(m.Commands) }

// Template returns the manifest file of the render r, the command that applies it and the
// config patches for the cluster c.
func Template(c config.Cluster, r *manifests.Rendered, opts TemplateOptions) (TemplatePlan, error) {
	if err := check("template", c, r, ""); err != nil {
		return TemplatePlan{}, fmt.Errorf("template method: %w", err)
	}
	file := opts.File
	if file == "" {
		file = r.ReleaseName + ".yaml"
	}
	layers, err := nodeLayers(c)
	if err != nil {
		return TemplatePlan{}, fmt.Errorf("template method: %w", err)
	}
	return TemplatePlan{
		File:     file,
		Manifest: slices.Clone(r.YAML),
		Commands: [][]string{{"kubectl", "apply", "-f", file}},
		Layers:   layers,
	}, nil
}

// HostedOptions are the optional settings of [Hosted].
type HostedOptions struct {
	// AllowSecrets accepts a manifest that carries Secrets or private keys. Anyone who can
	// fetch the URL can read them; only set it for a URL that only the cluster can reach.
	AllowSecrets bool
}

// HostedPlan is method 3 of the guide: the manifest served at a URL; Talos applies it at
// bootstrap as a custom CNI (cluster.network.cni.urls).
type HostedPlan struct {
	// URL is where the manifest must be served.
	URL string
	// Manifest is the render's YAML, to upload to URL.
	Manifest []byte
	// Layers are the config patches of the method: for every node CNI custom with URL, and
	// kube-proxy disabled when the cluster disables it.
	Layers config.Layers
	// KeyMaterial lists the objects with key material the manifest carries (only possible
	// with HostedOptions.AllowSecrets, or public certificates).
	KeyMaterial []manifests.KeyMaterial
}

// SecretsError is the refusal of [Hosted] to produce a hostable manifest that carries
// Secrets or private keys. It matches [ErrSecretsInManifest].
type SecretsError struct {
	// Objects are the Secrets and the objects carrying private keys, in manifest order.
	Objects []manifests.KeyMaterial
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

// Hosted returns the manifest to host at manifestURL (an absolute http or https URL) and the
// config patches that point the nodes of cluster c at it. It refuses, with a [*SecretsError],
// a manifest (r.YAML, as it is now) that carries any Secret or private key unless
// opts.AllowSecrets. The cluster's CNI may be left empty, none, or custom with exactly
// manifestURL.
func Hosted(c config.Cluster, r *manifests.Rendered, manifestURL string, opts HostedOptions) (HostedPlan, error) {
	if err := check("hosted", c, r, manifestURL); err != nil {
		return HostedPlan{}, fmt.Errorf("hosted method: %w", err)
	}
	// The bytes to be hosted are checked, not r.KeyMaterial: the caller owns r and may have
	// changed its YAML since the render. What is hosted is the raw text, so key material in
	// comments or under a duplicate key (which parsing drops) counts too.
	found, err := manifests.FindManifestKeyMaterial(r.YAML)
	if err != nil {
		return HostedPlan{}, fmt.Errorf("hosted method: manifest: %w", err)
	}
	var secret []manifests.KeyMaterial
	for _, km := range found {
		if km.Secret || km.PrivateKey {
			secret = append(secret, km)
		}
	}
	if len(secret) > 0 && !opts.AllowSecrets {
		return HostedPlan{}, fmt.Errorf("hosted method: %w", &SecretsError{Objects: secret})
	}
	cni, err := patches.CNICustom(c.Contract, manifestURL)
	if err != nil {
		return HostedPlan{}, fmt.Errorf("hosted method: %w: %w", ErrInvalidMethodOptions, err)
	}
	ps := []patches.Patch{cni}
	if c.KubeProxyDisabled {
		kp, err := patches.KubeProxyDisabled(c.Contract)
		if err != nil {
			return HostedPlan{}, fmt.Errorf("hosted method: %w: %w", ErrInvalidMethodOptions, err)
		}
		ps = append(ps, kp)
	}
	return HostedPlan{
		URL:         manifestURL,
		Manifest:    slices.Clone(r.YAML),
		Layers:      config.Layers{AllNodes: ps},
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

// Command cilium renders the Cilium chart offline for Talos and writes what one of the four
// install methods of Talos's Cilium guide needs, together with control-plane and worker
// configs that carry the method's patches.
//
//	go run ./examples/cilium -chart testdata/charts/cilium-1.18.12.tgz -method inline -out _out
//	go run ./examples/cilium -chart https://helm.cilium.io/cilium -chart-version 1.18.12 -method helm -out _out
//	go run ./examples/cilium -chart oci://ghcr.io/org/charts/cilium:1.18.12 -method template -out _out
//	go run ./examples/cilium -chart cilium.tgz -method hosted -url https://example.com/cilium.yaml -deterministic -out _out
//
// -chart is a chart archive or directory, "file://PATH", an http(s) Helm repository URL
// followed by the chart name (with -chart-version), or an oci:// reference; see source.Load
// (package manifests/source; oci:// through package manifests/source/oci, which this command
// imports).
// Cilium replaces kube-proxy: the configs disable it and the render enables Cilium's kube-proxy
// replacement; -kube-proxy keeps kube-proxy (and Cilium without the replacement).
//
// Files written to -out, by method:
//
//	helm      values.yaml, helm-install.sh
//	template  RELEASE.yaml (the manifest), kubectl-apply.sh
//	hosted    RELEASE.yaml (to upload to -url)
//	inline    RELEASE.yaml, patch-controlplane.yaml (the inline manifest), sizes.txt
//
// and for every method patch-all-N.yaml (the config patches for every node, for talosctl gen
// config --config-patch), controlplane.yaml and worker.yaml (generated with those patches and,
// for inline, the inline manifest in the control-plane config only). The configs use the
// secrets bundle of -secrets; without it a new bundle is created and written as
// OUT/secrets.yaml (an existing one is never replaced).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/examplefiles"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/manifests/source"
	"github.com/talospatch/talospatch/manifests/source/oci"
	"github.com/talospatch/talospatch/talos"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "cilium:", err)
		var usage usageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a command-line error (exit status 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// method is one of the four install methods.
type method string

const (
	methodHelm     method = "helm"
	methodTemplate method = "template"
	methodHosted   method = "hosted"
	methodInline   method = "inline"
)

// options are the parsed flags.
type options struct {
	chart             string
	chartVersion      string
	method            method
	out               string
	url               string
	namespace         string
	release           string
	kubernetes        string
	kubeProxy         bool
	deterministic     bool
	allowSecrets      bool
	previous          string
	plainHTTP         bool
	cacheDir          string
	secretsPath       string
	cluster           config.Cluster
	helmChartArgument string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{
		cluster: config.Cluster{
			Name:              "demo",
			Endpoint:          "https://10.5.0.2:6443",
			Contract:          talos.V1_14,
			KubernetesVersion: "1.37.0",
		},
	}
	var m string
	fset := flag.NewFlagSet("cilium", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.StringVar(&o.chart, "chart", "", "Cilium chart `ref`: an archive or directory path, an https:// repository URL followed by the chart name (with -chart-version), or an oci:// reference (required)")
	fset.StringVar(&o.chartVersion, "chart-version", "", examplefiles.ChartVersionUsage)
	fset.StringVar(&m, "method", "", "install `method`: helm, template, hosted or inline (required)")
	fset.StringVar(&o.out, "out", "", "output `directory` for the method's files and the configs (required)")
	fset.StringVar(&o.url, "url", "", "`URL` the manifest will be served at (required with -method hosted)")
	fset.StringVar(&o.namespace, "namespace", manifests.DefaultNamespace, "release `namespace`")
	fset.StringVar(&o.release, "release", "cilium", "release `name`")
	fset.StringVar(&o.kubernetes, "kubernetes", o.cluster.KubernetesVersion, examplefiles.KubernetesUsage)
	fset.BoolVar(&o.kubeProxy, "kube-proxy", false, examplefiles.KubeProxyUsage)
	fset.BoolVar(&o.deterministic, "deterministic", false, examplefiles.DeterministicUsage)
	fset.BoolVar(&o.allowSecrets, "allow-secrets", false, "hosted: accept a manifest that carries Secrets (only for a URL that only the cluster can reach)")
	fset.StringVar(&o.previous, "previous", "", "`file` with the manifest of a previous render, whose certificates are reused (default: new certificates)")
	fset.BoolVar(&o.plainHTTP, "plain-http", false, "use plain HTTP for oci:// references (a registry on loopback)")
	fset.StringVar(&o.cacheDir, "cache", "", "`directory` to cache repository chart archives in (default: no cache)")
	fset.StringVar(&o.secretsPath, "secrets", "", examplefiles.SecretsUsage)
	fset.StringVar(&o.cluster.Name, "name", o.cluster.Name, "cluster `name`")
	fset.StringVar(&o.cluster.Endpoint, "endpoint", o.cluster.Endpoint, "control-plane endpoint `URL`, https://host:port")
	fset.TextVar(&o.cluster.Contract, "contract", o.cluster.Contract, examplefiles.ContractUsage())
	fset.StringVar(&o.helmChartArgument, "helm-chart", "", "helm: the chart `argument` of the helm install command (default: derived from -chart)")
	if err := fset.Parse(args); err != nil {
		return options{}, usageError{err}
	}
	if fset.NArg() > 0 {
		return options{}, usageError{fmt.Errorf("unexpected arguments: %q", fset.Args())}
	}
	o.method = method(m)
	o.cluster.KubernetesVersion = o.kubernetes
	o.cluster.KubeProxyDisabled = !o.kubeProxy
	switch {
	case o.chart == "":
		return options{}, usageError{errors.New("-chart is required")}
	case o.out == "":
		return options{}, usageError{errors.New("-out is required")}
	case o.method != methodHelm && o.method != methodTemplate && o.method != methodHosted && o.method != methodInline:
		return options{}, usageError{fmt.Errorf("-method %q: want helm, template, hosted or inline", m)}
	case o.method == methodHosted && o.url == "":
		return options{}, usageError{errors.New("-method hosted needs -url, the URL the manifest will be served at")}
	case o.method != methodHosted && o.url != "":
		return options{}, usageError{errors.New("-url is only for -method hosted")}
	}
	return o, nil
}

// file is one output file.
type file = examplefiles.File

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	loadOpts := []source.LoadOption{oci.Enable()} // -chart takes oci:// references
	if o.plainHTTP {
		loadOpts = append(loadOpts, oci.WithPlainHTTP())
	}
	if o.cacheDir != "" {
		loadOpts = append(loadOpts, source.WithCacheDir(o.cacheDir))
	}
	rd, err := source.LoadRendererRef(ctx, o.chart, o.chartVersion, loadOpts...)
	if err != nil {
		return err
	}
	var previous []byte
	if o.previous != "" {
		if previous, err = examplefiles.ReadInput(ctx, o.previous, os.Stdin, examplefiles.MaxManifestInput); err != nil {
			return err
		}
	}
	s, created, err := examplefiles.LoadOrCreateSecrets(ctx, o.secretsPath, o.out, o.cluster.Contract)
	if err != nil {
		return err
	}

	files, report, err := build(o, func(copts manifests.CiliumOptions, ropts manifests.RenderOptions) (*manifests.Rendered, error) {
		return install.RenderCilium(ctx, rd.Renderer, o.cluster, copts, ropts)
	}, previous, s)
	if err != nil {
		return err
	}

	if err := examplefiles.WriteAll(o.out, created, files, stdout); err != nil {
		return err
	}
	fmt.Fprint(stdout, report)
	return nil
}

// renderFunc renders the loaded chart for o.cluster (install.RenderCilium: the Kubernetes
// version and kube-proxy come from the cluster description).
type renderFunc func(manifests.CiliumOptions, manifests.RenderOptions) (*manifests.Rendered, error)

// build renders the chart and assembles the files of the method. It reads and writes nothing.
func build(o options, render renderFunc, previous []byte, s *config.Secrets) ([]file, string, error) {
	copts := manifests.CiliumOptions{
		CertificatesInCluster: o.deterministic,
	}
	ropts := manifests.RenderOptions{
		ReleaseName:   o.release,
		Namespace:     o.namespace,
		Deterministic: o.deterministic,
	}
	if previous != nil {
		objs, err := manifests.ParseObjects(previous)
		if err != nil {
			return nil, "", fmt.Errorf("-previous: %w", err)
		}
		ropts.Previous = objs
		ropts.Deterministic = true
	}
	r, err := render(copts, ropts)
	if err != nil {
		return nil, "", err
	}

	var (
		files      []file
		layers     config.Layers
		report     string
		manifestFn = r.ReleaseName + ".yaml"
	)
	switch o.method {
	case methodHelm:
		h, err := install.Helm(o.cluster, r, helmOptions(o))
		if err != nil {
			return nil, "", err
		}
		files = append(files, file{Name: "values.yaml", Data: h.Values, Perm: 0o600}, file{Name: "helm-install.sh", Data: []byte(h.Script()), Perm: 0o755})
		layers = h.Layers
		report = "after bootstrap, run helm-install.sh (the nodes stay NotReady until Cilium runs)\n"
	case methodTemplate:
		m, err := install.Template(o.cluster, r, install.TemplateOptions{File: manifestFn})
		if err != nil {
			return nil, "", err
		}
		files = append(files, file{Name: m.File, Data: m.Manifest, Perm: 0o600}, file{Name: "kubectl-apply.sh", Data: []byte(m.Script()), Perm: 0o755})
		layers = m.Layers
		report = "after bootstrap, run kubectl-apply.sh (the nodes stay NotReady until Cilium runs)\n"
	case methodHosted:
		h, err := install.Hosted(o.cluster, r, o.url, install.HostedOptions{AllowSecrets: o.allowSecrets})
		if err != nil {
			return nil, "", err
		}
		files = append(files, file{Name: manifestFn, Data: h.Manifest, Perm: 0o600})
		layers = h.Layers
		report = fmt.Sprintf("upload %s to %s before the cluster boots; Talos applies it at bootstrap\n", manifestFn, h.URL)
		for _, km := range h.KeyMaterial {
			report += fmt.Sprintf("warning: the hosted manifest carries key material: %s\n", km)
		}
	case methodInline:
		in, err := install.Inline(o.cluster, r, install.InlineOptions{})
		if err != nil {
			return nil, "", err
		}
		files = append(files, file{Name: manifestFn, Data: r.YAML, Perm: 0o600})
		layers = in.Layers
	}
	for i, p := range layers.AllNodes {
		files = append(files, file{Name: "patch-all-" + strconv.Itoa(i+1) + ".yaml", Data: []byte(p.String()), Perm: 0o644})
	}
	// The control-plane patches carry the inline manifest: 0600 like the manifest.
	for i, p := range layers.ControlPlane {
		name := "patch-controlplane.yaml"
		if len(layers.ControlPlane) > 1 {
			name = "patch-controlplane-" + strconv.Itoa(i+1) + ".yaml"
		}
		files = append(files, file{Name: name, Data: []byte(p.String()), Perm: 0o600})
	}

	cfgFiles, cp, err := configs(o.cluster, s, layers)
	if err != nil {
		return nil, "", err
	}
	files = append(files, cfgFiles...)
	if o.method == methodInline {
		sizes := install.CheckSizes(r.YAML, r.Objects, cp)
		files = append(files, file{Name: "sizes.txt", Data: []byte(sizes.String()), Perm: 0o644})
		report = sizes.String()
	}
	for _, km := range r.KeyMaterial {
		report += fmt.Sprintf("note: key material in the render: %s\n", km)
	}
	for _, w := range r.Warnings {
		report += "warning: " + w + "\n"
	}
	return files, report, nil
}

// helmOptions names the chart in the `helm install` command: -helm-chart, else the oci://
// reference or path of -chart, else the repository of -chart as --repo.
func helmOptions(o options) install.HelmOptions {
	switch {
	case o.helmChartArgument != "":
		return install.HelmOptions{Chart: o.helmChartArgument}
	case strings.HasPrefix(o.chart, "http://"), strings.HasPrefix(o.chart, "https://"):
		ref := strings.TrimRight(o.chart, "/")
		i := strings.LastIndex(ref, "/")
		return install.HelmOptions{RepoURL: ref[:i], Chart: ref[i+1:]}
	default:
		return install.HelmOptions{Chart: o.chart}
	}
}

// configs generates the control-plane and worker configs with the method's layers (the
// inline manifest reaches the control-plane config only). It checks that they are valid and
// returns the files and the encoded control-plane config.
func configs(c config.Cluster, s *config.Secrets, layers config.Layers) ([]file, []byte, error) {
	cfgs, err := config.Generate(c, s)
	if err != nil {
		return nil, nil, err
	}
	if cfgs, err = cfgs.Patch(layers); err != nil {
		return nil, nil, err
	}
	var files []file
	var cp []byte
	for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
		cfg, err := cfgs.Role(role)
		if err != nil {
			return nil, nil, fmt.Errorf("%s config: %w", role, err)
		}
		if _, err := config.Validate(cfg, config.ModeContainer); err != nil {
			return nil, nil, fmt.Errorf("%s config is not valid: %w", role, err)
		}
		data, err := config.Encode(cfg)
		if err != nil {
			return nil, nil, err
		}
		if role == config.RoleControlPlane {
			cp = data
		}
		files = append(files, file{Name: role.String() + ".yaml", Data: data, Perm: 0o600})
	}
	return files, cp, nil
}

// Command quickstart writes the machine configs and the talosconfig of a demo Talos v1.14
// cluster with Cilium and KubeSpan, offline: no Talos CNI and no kube-proxy, Cilium 1.18.12
// rendered deterministically (Talos presets, Hubble certificates made in the cluster) and inlined
// into the control-plane config as the inline manifest "cilium", KubeSpan on (as talosctl gen
// config --with-kubespan writes it). The chart is embedded in the example.
//
//	go run ./examples/quickstart -out _out                            # new secrets, written to _out/secrets.yaml
//	go run ./examples/quickstart -out _out -secrets _out/secrets.yaml # same secrets, same bytes
//
// -chart renders another chart: an archive or directory path, an https:// repository URL (with
// -chart-version; "helm repo add cilium https://helm.cilium.io" is -chart
// https://helm.cilium.io/cilium) or an oci:// reference. -chart none leaves Cilium out (the
// configs are then only ready for it); -kubespan=false turns KubeSpan off; -contract and
// -kubernetes pick an older Talos:
//
//	go run ./examples/quickstart -out _out -chart https://helm.cilium.io/cilium -chart-version 1.19.6
//	go run ./examples/quickstart -out _out -contract v1.13 -kubernetes 1.36.0
//
// It writes controlplane.yaml, worker.yaml and talosconfig to the -out directory. Without
// -secrets it creates a new secrets bundle and writes it as secrets.yaml beside them (and
// refuses to replace an existing one); with -secrets it uses that bundle, and the output is
// byte-identical every time.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/examplefiles"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/manifests/source"
	"github.com/talospatch/talospatch/talos"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the usage is printed
		}

		fmt.Fprintln(os.Stderr, "quickstart:", err)

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

// options are the parsed flags.
type options struct {
	out         string
	secretsPath string
	cluster     config.Cluster
	issued      string
	comments    bool
	mode        config.Mode

	chartRef     string // -chart: Cilium chart to inline (path, https:// repository, oci://; "" the embedded one, "none")
	chartVersion string // -chart-version: with a repository or OCI reference
	kubeSpan     bool   // -kubespan: KubeSpan and cluster discovery on
}

// parseFlags parses the command line. New flags (later: the Cilium chart) go here and into
// options; build turns options into files.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{
		cluster: demoCluster(),
		mode:    config.ModeContainer,
	}

	fset := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.StringVar(&o.out, "out", "_out", "output `directory` for controlplane.yaml, worker.yaml and talosconfig")
	fset.StringVar(&o.secretsPath, "secrets", "", examplefiles.SecretsUsage)
	fset.StringVar(&o.cluster.Name, "name", o.cluster.Name, "cluster `name`")
	fset.StringVar(&o.cluster.Endpoint, "endpoint", o.cluster.Endpoint, "control-plane endpoint `URL`, https://host:port")
	fset.TextVar(&o.cluster.Contract, "contract", o.cluster.Contract, examplefiles.ContractUsage())
	fset.StringVar(&o.cluster.KubernetesVersion, "kubernetes", o.cluster.KubernetesVersion, examplefiles.KubernetesUsage)
	fset.StringVar(&o.cluster.InstallImage, "install-image", o.cluster.InstallImage, "installer `image` (machine.install.image)")
	fset.StringVar(&o.issued, "talosconfig-issued", "", "issue `time` of the talosconfig client certificate, RFC 3339 (default: the secrets bundle's creation time, so that the output is reproducible)")
	fset.BoolVar(&o.comments, "comments", false, "write the configs with documentation comments")
	fset.TextVar(&o.mode, "mode", o.mode, "runtime `mode` to validate the configs for: container, metal or cloud")
	fset.StringVar(&o.chartRef, "chart", "", "Cilium chart `ref` to render and inline into the control-plane config: an archive or directory path, an https:// repository URL followed by the chart name (with -chart-version), an oci:// reference, or none for no Cilium (default: the embedded Cilium "+embeddedVersion+")")
	fset.StringVar(&o.chartVersion, "chart-version", "", examplefiles.ChartVersionUsage)
	fset.BoolVar(&o.kubeSpan, "kubespan", true, "enable KubeSpan as talosctl gen config --with-kubespan does (cluster discovery, which it needs, is on)")

	if err := fset.Parse(args); err != nil {
		return options{}, usageError{err}
	}

	if fset.NArg() > 0 {
		return options{}, usageError{fmt.Errorf("unexpected arguments: %q", fset.Args())}
	}

	return o, nil
}

// demoCluster is the cluster of the quickstart: ready for Cilium (no CNI, no kube-proxy).
func demoCluster() config.Cluster {
	return config.Cluster{
		Name:              "demo",
		Endpoint:          "https://10.5.0.2:6443",
		Contract:          talos.V1_14,
		KubernetesVersion: "1.37.0",
		CNI:               config.CNI{Name: config.CNINone},
		KubeProxyDisabled: true,
		InstallDisk:       "/dev/sda",
		InstallImage:      "ghcr.io/siderolabs/installer:v1.14.1", // what talosctl 1.14.1 writes
		TalosEndpoints:    []string{"10.5.0.2"},
	}
}

// file is one output file.
type file = examplefiles.File

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	s, created, err := examplefiles.LoadOrCreateSecrets(ctx, o.secretsPath, o.out, o.cluster.Contract)
	if err != nil {
		return err
	}

	issued := s.CreatedAt()

	if o.issued != "" {
		issued, err = time.Parse(time.RFC3339, o.issued)
		if err != nil {
			return usageError{fmt.Errorf("-talosconfig-issued: %w", err)}
		}
	}

	var cilium *manifests.Rendered

	if o.chartRef != "none" {
		cilium, err = renderCilium(ctx, o)
		if err != nil {
			return err
		}
	}

	files, warnings, err := build(o, s, issued, cilium)
	if err != nil {
		return err
	}

	if err := examplefiles.WriteAll(o.out, created, files, stdout); err != nil {
		return err
	}

	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}

	if expires := issued.Add(config.TalosconfigValidity); time.Now().After(expires) {
		fmt.Fprintf(stdout, "warning: the talosconfig client certificate expired on %s; pass -talosconfig-issued %s for a fresh one\n",
			expires.Format(time.DateOnly), time.Now().UTC().Format(time.RFC3339))
	}

	return nil
}

// embeddedChart is Cilium's published chart archive (https://helm.cilium.io, Apache License
// 2.0), unmodified: the same file as testdata/charts/cilium-1.18.12.tgz.
//
//go:embed cilium-1.18.12.tgz
var embeddedChart []byte

const embeddedVersion = "1.18.12"

// renderCilium loads the -chart (the embedded one by default) and renders it with the Talos
// presets for the demo cluster. The Hubble certificates are made in the cluster, so the render
// has no key material and the same chart always gives the same bytes.
func renderCilium(ctx context.Context, o options) (*manifests.Rendered, error) {
	var rd *manifests.Renderer

	if o.chartRef == "" {
		ch, err := source.LoadArchive(ctx, embeddedChart)
		if err != nil {
			return nil, err
		}

		rd = manifests.NewRenderer(ch.Chart)
	} else {
		loaded, err := source.LoadRendererRef(ctx, o.chartRef, o.chartVersion)
		if err != nil {
			return nil, err
		}

		rd = loaded.Renderer
	}

	// The Kubernetes version and kube-proxy come from the cluster description.
	return install.RenderCilium(ctx, rd, o.cluster, manifests.CiliumOptions{
		CertificatesInCluster: true,
	}, manifests.RenderOptions{Deterministic: true})
}

// layers are the patches of the demo cluster: Cilium inline on the control plane (when
// rendered). KubeSpan (-kubespan) is part of the cluster description: generation writes what
// `talosctl gen config --with-kubespan` writes (discovery is on by default).
func layers(o options, cilium *manifests.Rendered) (config.Layers, error) {
	var l config.Layers

	if cilium != nil {
		in, err := install.Inline(o.cluster, cilium, install.InlineOptions{})
		if err != nil {
			return l, err
		}

		// in.Layers.AllNodes (no CNI, kube-proxy off) are already in the demo cluster's
		// description; only the inline manifest is added.
		l.ControlPlane = append(l.ControlPlane, in.Layers.ControlPlane...)
	}

	return l, nil
}

// build generates, validates and encodes the output files. It reads nothing and writes nothing.
func build(o options, s *config.Secrets, issued time.Time, cilium *manifests.Rendered) ([]file, []talos.Warning, error) {
	c := o.cluster
	c.KubeSpan = c.KubeSpan || o.kubeSpan

	cfgs, err := config.Generate(c, s)
	if err != nil {
		return nil, nil, err
	}

	l, err := layers(o, cilium)
	if err != nil {
		return nil, nil, err
	}

	cfgs, err = cfgs.Patch(l)
	if err != nil {
		return nil, nil, err
	}

	encode := config.Encode
	if o.comments {
		encode = config.EncodeWithComments
	}

	var files []file

	warnings := cfgs.Warnings

	for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
		cfg, err := cfgs.Role(role)
		if err != nil {
			return nil, nil, err
		}

		w, err := config.Validate(cfg, o.mode)
		if err != nil {
			return nil, nil, fmt.Errorf("%s config is not valid in %s mode: %w", role, o.mode, err)
		}

		for _, warning := range w {
			warning.Message = role.String() + " config: " + warning.Message
			warnings = append(warnings, warning)
		}

		data, err := encode(cfg)
		if err != nil {
			return nil, nil, err
		}

		files = append(files, file{Name: role.String() + ".yaml", Data: data, Perm: 0o600})
	}

	tc, err := config.Talosconfig(o.cluster, s, issued)
	if err != nil {
		return nil, nil, err
	}

	data, err := config.EncodeTalosconfig(tc)
	if err != nil {
		return nil, nil, err
	}

	files = append(files, file{Name: "talosconfig", Data: data, Perm: 0o600})

	return files, warnings, nil
}

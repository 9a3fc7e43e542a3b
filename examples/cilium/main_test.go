package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"
	helmregistry "helm.sh/helm/v4/pkg/registry"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/manifests/source"
)

const (
	testdataDir = "../../testdata"
	chartsDir   = testdataDir + "/charts"
	secretsFile = testdataDir + "/bench/secrets.yaml"
)

var versions = []string{"1.11.2", "1.16.18", "1.17.18", "1.18.12", "1.19.6", "1.20.0"}

func chartFile(v string) string { return filepath.Join(chartsDir, "cilium-"+v+".tgz") }

// wantFiles are the files each method writes (with -secrets, and one node patch).
var wantFiles = map[string][]string{
	"helm":     {"controlplane.yaml", "helm-install.sh", "patch-all-1.yaml", "values.yaml", "worker.yaml"},
	"template": {"cilium.yaml", "controlplane.yaml", "kubectl-apply.sh", "patch-all-1.yaml", "worker.yaml"},
	"hosted":   {"cilium.yaml", "controlplane.yaml", "patch-all-1.yaml", "patch-all-2.yaml", "worker.yaml"},
	"inline":   {"cilium.yaml", "controlplane.yaml", "patch-all-1.yaml", "patch-controlplane.yaml", "sizes.txt", "worker.yaml"},
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

type cfgFacts struct {
	cni           string
	urls          []string
	proxyDisabled bool
	inline        map[string]string
}

func loadCfg(t *testing.T, p string) cfgFacts {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	cfg, err := configloader.NewFromBytes(data)
	require.NoError(t, err)
	f := cfgFacts{inline: map[string]string{}}
	if cc := cfg.RawV1Alpha1().ClusterConfig; cc != nil && cc.ClusterNetwork != nil && cc.ClusterNetwork.CNI != nil {
		// up to v1.13: cluster.network.cni and cluster.proxy in every config
		f.cni, f.urls = cc.ClusterNetwork.CNI.CNIName, cc.ClusterNetwork.CNI.CNIUrls
		f.proxyDisabled = !cfg.K8sProxyConfig().Enabled()
	} else {
		// v1.14: documents, in the control-plane config only
		f.cni = "none"
		for _, d := range cfg.Documents() {
			switch d.Kind() {
			case "KubeFlannelCNIConfig":
				f.cni = "flannel"
			case "KubeProxyConfig":
				f.proxyDisabled = !cfg.K8sProxyConfig().Enabled()
			}
		}
		for _, m := range cfg.K8sExternalManifestConfigs() {
			if strings.HasPrefix(m.Name(), "custom-cni") {
				f.cni, f.urls = "custom", append(f.urls, m.URL())
			}
		}
		if cfg.Machine().Type() == machine.TypeWorker {
			f.proxyDisabled = true // the control planes' KubeProxyConfig says so for the cluster
		}
	}
	for _, m := range cfg.K8sInlineManifestConfigs() {
		f.inline[m.Name()] = m.Contents()
	}
	return f
}

// TestEveryChartEveryMethod runs the example for every fixture chart with every method.
func TestEveryChartEveryMethod(t *testing.T) {
	t.Parallel()
	for _, v := range versions {
		for _, m := range []string{"helm", "template", "hosted", "inline"} {
			t.Run(v+"/"+m, func(t *testing.T) {
				t.Parallel()
				out := t.TempDir()
				args := []string{"-chart", chartFile(v), "-method", m, "-deterministic", "-secrets", secretsFile, "-out", out}
				if m == "hosted" {
					args = append(args, "-url", "https://manifests.example.com/cilium.yaml")
				}
				var stdout bytes.Buffer
				require.NoError(t, run(context.Background(), args, &stdout, io.Discard))
				require.Equal(t, wantFiles[m], listDir(t, out))

				cp := loadCfg(t, filepath.Join(out, "controlplane.yaml"))
				w := loadCfg(t, filepath.Join(out, "worker.yaml"))
				for _, f := range []cfgFacts{cp, w} {
					require.True(t, f.proxyDisabled, "Cilium replaces kube-proxy by default")
				}
				if m == "hosted" {
					// v1.14: the custom CNI is the control planes' KubeExternalManifestConfig.
					require.Equal(t, "custom", cp.cni)
					require.Equal(t, []string{"https://manifests.example.com/cilium.yaml"}, cp.urls)
					require.Equal(t, "none", w.cni)
				} else {
					require.Equal(t, "none", cp.cni)
					require.Equal(t, "none", w.cni)
				}
				require.Empty(t, w.inline, "workers never carry the inline manifest")
				if m == "inline" {
					manifest, err := os.ReadFile(filepath.Join(out, "cilium.yaml"))
					require.NoError(t, err)
					require.Equal(t, map[string]string{"cilium": string(manifest)}, cp.inline)
					require.Contains(t, stdout.String(), "AWS user data (16384 bytes): machine config")
				} else {
					require.Empty(t, cp.inline)
				}
				if m == "template" || m == "hosted" || m == "inline" {
					manifest, err := os.ReadFile(filepath.Join(out, "cilium.yaml"))
					require.NoError(t, err)
					objs, err := manifests.ParseObjects(manifest)
					require.NoError(t, err)
					require.Empty(t, manifests.FindKeyMaterial(objs), "deterministic mode: no Secrets")
					require.Contains(t, string(manifest), "kind: DaemonSet")
				}
				if m == "helm" {
					script, err := os.ReadFile(filepath.Join(out, "helm-install.sh"))
					require.NoError(t, err)
					require.Equal(t, "helm install cilium "+chartFile(v)+" --version "+v+" --namespace kube-system --values values.yaml\n", string(script))
					values, err := os.ReadFile(filepath.Join(out, "values.yaml"))
					require.NoError(t, err)
					require.Contains(t, string(values), "k8sServicePort: 7445")
				}
			})
		}
	}
}

func TestDeterministicOutput(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	for _, out := range []string{a, b} {
		require.NoError(t, run(context.Background(), []string{"-chart", chartFile("1.18.12"), "-method", "inline", "-deterministic", "-secrets", secretsFile, "-namespace", "cilium", "-out", out}, io.Discard, io.Discard))
	}
	for _, name := range listDir(t, a) {
		x, err := os.ReadFile(filepath.Join(a, name))
		require.NoError(t, err)
		y, err := os.ReadFile(filepath.Join(b, name))
		require.NoError(t, err)
		require.Equal(t, x, y, name)
	}
	manifest, err := os.ReadFile(filepath.Join(a, "cilium.yaml"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(manifest), "apiVersion: v1\nkind: Namespace\n"), "the release namespace is created first")
}

func TestHostedRefusesSecrets(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	args := []string{"-chart", chartFile("1.20.0"), "-method", "hosted", "-url", "https://example.com/c.yaml", "-secrets", secretsFile, "-out", out}
	err := run(context.Background(), args, io.Discard, io.Discard)
	require.ErrorIs(t, err, install.ErrSecretsInManifest)
	require.Contains(t, err.Error(), "v1 Secret kube-system/cilium-ca")
	require.Empty(t, listDir(t, out), "nothing is written")

	var stdout bytes.Buffer
	require.NoError(t, run(context.Background(), append(args, "-allow-secrets"), &stdout, io.Discard))
	require.Contains(t, stdout.String(), "warning: the hosted manifest carries key material: v1 Secret kube-system/cilium-ca")
}

func TestPreviousRender(t *testing.T) {
	t.Parallel()
	first, second := t.TempDir(), t.TempDir()
	base := []string{"-chart", chartFile("1.19.6"), "-method", "template", "-secrets", secretsFile}
	require.NoError(t, run(context.Background(), append(base, "-out", first), io.Discard, io.Discard))
	prev := filepath.Join(first, "cilium.yaml")
	require.NoError(t, run(context.Background(), append(base, "-previous", prev, "-out", second), io.Discard, io.Discard))
	a, err := os.ReadFile(prev)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(second, "cilium.yaml"))
	require.NoError(t, err)
	require.Equal(t, string(a), string(b), "a re-render reusing the previous certificates changes nothing")
}

func TestNewSecretsBundle(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	args := []string{"-chart", chartFile("1.16.18"), "-method", "inline", "-deterministic", "-out", out}
	require.NoError(t, run(context.Background(), args, io.Discard, io.Discard))
	require.Contains(t, listDir(t, out), "secrets.yaml")
	err := run(context.Background(), args, io.Discard, io.Discard)
	require.ErrorContains(t, err, "already exists", "an existing bundle is never replaced")
}

func TestRemoteCharts(t *testing.T) {
	t.Parallel()
	repo := httptest.NewServer(http.FileServer(http.Dir(chartsDir)))
	t.Cleanup(repo.Close)

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	client, err := helmregistry.NewClient(helmregistry.ClientOptPlainHTTP(), helmregistry.ClientOptWriter(io.Discard),
		helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	require.NoError(t, err)
	data, err := os.ReadFile(chartFile("1.18.12"))
	require.NoError(t, err)
	_, err = client.Push(data, host+"/charts/cilium:1.18.12")
	require.NoError(t, err)

	tests := []struct {
		name       string
		args       []string
		wantScript string
	}{
		{
			name:       "repository",
			args:       []string{"-chart", repo.URL + "/cilium", "-chart-version", "1.17.18", "-cache", t.TempDir()},
			wantScript: "helm install cilium cilium --repo " + repo.URL + " --version 1.17.18 --namespace kube-system --values values.yaml\n",
		},
		{
			name:       "oci",
			args:       []string{"-chart", "oci://" + host + "/charts/cilium:1.18.12", "-plain-http"},
			wantScript: "helm install cilium oci://" + host + "/charts/cilium:1.18.12 --version 1.18.12 --namespace kube-system --values values.yaml\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			args := append([]string{"-method", "helm", "-secrets", secretsFile, "-out", out}, tt.args...)
			require.NoError(t, run(context.Background(), args, io.Discard, io.Discard))
			script, err := os.ReadFile(filepath.Join(out, "helm-install.sh"))
			require.NoError(t, err)
			require.Equal(t, tt.wantScript, string(script))
		})
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no chart", args: []string{"-method", "helm", "-out", "x"}, want: "-chart is required"},
		{name: "no out", args: []string{"-chart", "c.tgz", "-method", "helm"}, want: "-out is required"},
		{name: "bad method", args: []string{"-chart", "c.tgz", "-method", "kustomize", "-out", "x"}, want: `-method "kustomize"`},
		{name: "hosted without url", args: []string{"-chart", "c.tgz", "-method", "hosted", "-out", "x"}, want: "needs -url"},
		{name: "url without hosted", args: []string{"-chart", "c.tgz", "-method", "inline", "-url", "https://x", "-out", "x"}, want: "only for -method hosted"},
		{name: "extra argument", args: []string{"-chart", "c.tgz", "-method", "inline", "-out", "x", "more"}, want: "unexpected arguments"},
		{name: "renamed -version", args: []string{"-chart", "c.tgz", "-version", "1.18.12", "-method", "inline", "-out", "x"}, want: "flag provided but not defined: -version"},
		{name: "bad contract", args: []string{"-chart", "c.tgz", "-contract", "v9.1", "-method", "inline", "-out", "x"}, want: `invalid value "v9.1" for flag -contract`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), tt.args, io.Discard, io.Discard)
			var ue usageError
			require.ErrorAs(t, err, &ue)
			require.ErrorContains(t, err, tt.want)
		})
	}

	err := run(context.Background(), []string{"-chart", "missing.tgz", "-method", "inline", "-secrets", secretsFile, "-out", t.TempDir()}, io.Discard, io.Discard)
	require.ErrorIs(t, err, source.ErrChartNotFound)
}

// TestKubeProxy: by default Cilium replaces kube-proxy (the configs disable it; the values turn
// the replacement on and reach the API server through KubePrism); -kube-proxy keeps kube-proxy.
func TestKubeProxy(t *testing.T) {
	t.Parallel()
	for _, contract := range []struct{ contract, kubernetes string }{{"v1.14", "1.37.0"}, {"v1.13", "1.35.0"}} {
		for _, keep := range []bool{false, true} {
			name := contract.contract + "/default"
			if keep {
				name = contract.contract + "/-kube-proxy"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				out := t.TempDir()
				args := []string{"-chart", chartFile("1.18.12"), "-method", "helm", "-secrets", secretsFile,
					"-contract", contract.contract, "-kubernetes", contract.kubernetes, "-out", out}
				if keep {
					args = append(args, "-kube-proxy")
				}
				require.NoError(t, run(context.Background(), args, io.Discard, io.Discard))

				require.Equal(t, !keep, loadCfg(t, filepath.Join(out, "controlplane.yaml")).proxyDisabled)
				if contract.contract == "v1.13" { // v1.14: only the control planes' KubeProxyConfig says it
					require.Equal(t, !keep, loadCfg(t, filepath.Join(out, "worker.yaml")).proxyDisabled)
				}

				values, err := os.ReadFile(filepath.Join(out, "values.yaml"))
				require.NoError(t, err)
				if keep {
					require.Contains(t, string(values), "kubeProxyReplacement: false")
					require.NotContains(t, string(values), "k8sServicePort")
				} else {
					require.Contains(t, string(values), "kubeProxyReplacement: true")
					require.Contains(t, string(values), "k8sServicePort: 7445")
				}
			})
		}
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	var usage bytes.Buffer
	err := run(context.Background(), []string{"-h"}, io.Discard, &usage)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, want := range []string{
		"-chart-version version",
		"-contract contract",
		"(default v1.14)",
		"-kubernetes version",
		`(default "1.37.0")`,
		"-kube-proxy\n",
		"(default: kube-proxy disabled, Cilium replaces it",
		"-secrets file",
		"(default: a new bundle, written to OUT/secrets.yaml, never replacing an existing one)",
	} {
		require.Contains(t, usage.String(), want)
	}
	require.NotRegexp(t, `(?m)^  -version\b`, usage.String(), "renamed -chart-version")
}

package manifests_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	chartv2util "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/manifests"
)

// helmBinary finds the helm v4.3.2 CLI: $TALOSPATCH_HELM, <repo>/.cache/bin/helm or PATH.
// Without it the test is skipped, except on CI (CI=true), where it fails.
func helmBinary(t testing.TB) string {
	t.Helper()

	if p := os.Getenv("TALOSPATCH_HELM"); p != "" {
		return p
	}

	if p, err := filepath.Abs(filepath.Join("..", ".cache", "bin", "helm")); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}

	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}

	msg := "helm CLI not found: set TALOSPATCH_HELM or run " +
		"`GOBIN=$PWD/.cache/bin go install helm.sh/helm/v4/cmd/helm@v4.3.2` at the repository root"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}

	t.Skip(msg)

	return ""
}

// helmTemplate runs `helm template` with the CLI flags equivalent to opts.
func helmTemplate(t testing.TB, helm, chartFile, kubeVersion string, opts manifests.RenderOptions) []byte {
	t.Helper()

	dir := t.TempDir()
	args := []string{"template", opts.ReleaseName, chartFile, "--kube-version", kubeVersion, "--include-crds"}

	ns := opts.Namespace
	if ns == "" {
		ns = manifests.DefaultNamespace
	}

	args = append(args, "--namespace", ns)

	if len(opts.Values) > 0 {
		data, err := yaml.Marshal(opts.Values)
		require.NoError(t, err)

		p := filepath.Join(dir, "values.yaml")
		require.NoError(t, os.WriteFile(p, data, 0o600))
		args = append(args, "--values", p)
	}

	for i, f := range opts.ValuesFiles {
		p := filepath.Join(dir, fmt.Sprintf("values-%d.yaml", i))
		require.NoError(t, os.WriteFile(p, f, 0o600))
		args = append(args, "--values", p)
	}

	for _, s := range opts.SetJSON {
		args = append(args, "--set-json", s)
	}

	for _, s := range opts.Set {
		args = append(args, "--set", s)
	}

	for _, s := range opts.SetString {
		args = append(args, "--set-string", s)
	}

	for _, v := range opts.APIVersions {
		args = append(args, "--api-versions", v)
	}

	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+dir, "HELM_CONFIG_HOME="+dir, "HELM_DATA_HOME="+dir)

	var stderr bytes.Buffer
	cmd.Stderr = &stderr

	out, err := cmd.Output()
	require.NoError(t, err, "helm %v: %s", args, stderr.String())

	return out
}

// TestRenderMatchesHelmTemplate renders every shipped chart in deterministic modes and compares
// the result with the `helm template` CLI: byte for byte for HelmOutput, object for object for
// Objects (which only add the release namespace where it is missing and the Namespace object).
func TestRenderMatchesHelmTemplate(t *testing.T) {
	t.Parallel()

	helm := helmBinary(t)

	type variant struct {
		name  string
		copts manifests.CiliumOptions
		opts  manifests.RenderOptions
	}

	variants := []variant{
		{
			name:  "kube-system-cronjob",
			copts: manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true, DisableXTSocketFallback: true},
			opts:  manifests.RenderOptions{ReleaseName: "cilium"},
		},
		{
			name:  "namespace-and-overrides",
			copts: manifests.CiliumOptions{APIServerHost: "10.5.0.2", CertificatesInCluster: true},
			opts: manifests.RenderOptions{
				ReleaseName: "cni",
				Namespace:   "cilium",
				ValuesFiles: [][]byte{[]byte("hubble:\n  relay:\n    enabled: true\n  ui:\n    enabled: true\n")},
				Set:         []string{"operator.replicas=1", "hubble.ui.enabled=false"},
				SetString:   []string{"cluster.name=talos"},
				APIVersions: []string{"monitoring.coreos.com/v1"},
			},
		},
		{
			name:  "tls-disabled",
			copts: manifests.CiliumOptions{KubeProxyDisabled: true},
			opts:  manifests.RenderOptions{ReleaseName: "cilium", Set: []string{"hubble.tls.enabled=false"}},
		},
		{
			// A values file of several YAML documents (Helm v4 merges them) and a whole JSON
			// object in --set-json (new in Helm v4).
			name:  "multi-document-values-and-json-object",
			copts: manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true},
			opts: manifests.RenderOptions{
				ReleaseName: "cilium",
				ValuesFiles: [][]byte{[]byte("hubble:\n  relay:\n    enabled: true\n---\nhubble:\n  ui:\n    enabled: true\noperator:\n  replicas: 1\n")},
				SetJSON:     []string{`{"ipv6": {"enabled": true}, "bpf": {"masquerade": true}}`},
			},
		},
		{
			name:  "kube-proxy-and-no-hubble",
			copts: manifests.CiliumOptions{CertificatesInCluster: true},
			opts: manifests.RenderOptions{
				ReleaseName: "cilium", Namespace: "network",
				Set:       []string{"hubble.enabled=false", "routingMode=native", "ipv4NativeRoutingCIDR=10.244.0.0/16", "autoDirectNodeRoutes=true"},
				SetString: []string{"cluster.name=net"},
			},
		},
	}

	for _, version := range shippedCharts {
		for _, v := range variants {
			t.Run(version+"/"+v.name, func(t *testing.T) {
				t.Parallel()

				ch := loadCilium(t, version)

				presets, err := manifests.CiliumValues(v.copts, version)
				require.NoError(t, err)

				opts := v.opts
				opts.Values = presets
				opts.Deterministic = true

				r, err := manifests.Render(context.Background(), ch, testKubeVersion, opts)
				require.NoError(t, err)

				want := helmTemplate(t, helm, chartPath(t, version), testKubeVersion, opts)
				require.Equal(t, string(want), string(r.HelmOutput), "HelmOutput must equal `helm template` byte for byte")

				cliObjs, err := manifests.ParseObjects(want)
				require.NoError(t, err)
				requireSameObjects(t, cliObjs, r)
			})
		}
	}
}

// requireSameObjects checks that r.Objects are the CLI's objects with the documented Talos
// adjustments only.
func requireSameObjects(t *testing.T, cliObjs []*unstructured.Unstructured, r *manifests.Rendered) {
	t.Helper()

	byRef := map[manifests.ObjectRef]*unstructured.Unstructured{}
	for _, o := range r.Objects {
		byRef[manifests.RefOf(o)] = o
	}

	extra := len(r.Objects) - len(cliObjs)
	require.GreaterOrEqual(t, extra, 0)
	require.LessOrEqual(t, extra, 1, "only the release Namespace may be added")

	for _, want := range cliObjs {
		ref := manifests.RefOf(want)

		got, ok := byRef[ref]
		if !ok && ref.Namespace == "" {
			// Written in by the render.
			ref.Namespace = r.Namespace
			got, ok = byRef[ref]
			want = want.DeepCopy()
			want.SetNamespace(r.Namespace)
		}

		require.True(t, ok, "object %s of helm template missing from the render", ref)

		if diff := cmp.Diff(want.Object, got.Object); diff != "" {
			t.Fatalf("object %s differs (-helm +render):\n%s", ref, diff)
		}
	}

	if extra == 1 {
		// The added release Namespace, among the chart's own Namespaces (Talos orders them by
		// name).
		found := false
		for _, o := range r.Objects {
			found = found || o.GetKind() == "Namespace" && o.GetName() == r.Namespace
		}

		require.True(t, found, "the release Namespace %s is added", r.Namespace)
	}

	require.Equal(t, manifests.SortForTalos(r.Objects), r.Objects, "objects must be in Talos order")
}

// TestRenderMatchesHelmTemplateTinyChart compares the in-memory test chart (CRDs in crds/,
// hooks, a test hook, NOTES, partials, unknown kinds) with `helm template` on the same chart
// saved to disk.
func TestRenderMatchesHelmTemplateTinyChart(t *testing.T) {
	t.Parallel()

	helm := helmBinary(t)

	ch := appChart()
	dir := t.TempDir()
	require.NoError(t, chartv2util.SaveDir(ch, dir))

	for _, opts := range []manifests.RenderOptions{
		{ReleaseName: "tiny"},
		{ReleaseName: "other", Namespace: "apps", Set: []string{"replicas=5"}},
	} {
		r, err := manifests.Render(context.Background(), ch, testKubeVersion, opts)
		require.NoError(t, err)

		want := helmTemplate(t, helm, filepath.Join(dir, ch.Name()), testKubeVersion, opts)
		require.Equal(t, string(want), string(r.HelmOutput))
	}

	// Documents without apiVersion or kind (a template that dumps values; a hook without
	// apiVersion): Helm prints them, and so does HelmOutput.
	untyped := tinyChart(map[string]string{
		"cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
		"dump.yaml": "{{ toYaml .Values }}\n---\nkind: Orphan\nmetadata:\n  name: o\n",
		"hook.yaml": "kind: Job\nmetadata:\n  name: h\n  annotations:\n    helm.sh/hook: post-install\n",
	}, "replicas: 2\nimage: app\n")
	udir := t.TempDir()
	require.NoError(t, chartv2util.SaveDir(untyped, udir))

	r, err := manifests.Render(context.Background(), untyped, testKubeVersion, manifests.RenderOptions{ReleaseName: "u"})
	require.NoError(t, err)
	want := helmTemplate(t, helm, filepath.Join(udir, untyped.Name()), testKubeVersion, manifests.RenderOptions{ReleaseName: "u"})
	require.Equal(t, string(want), string(r.HelmOutput))
	require.Len(t, r.Objects, 1)
	require.Len(t, r.Warnings, 3)
}

package manifests_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/talospatch/talospatch/manifests"
)

var (
	talosAgentCaps = []any{"CHOWN", "KILL", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "SYS_ADMIN", "SYS_RESOURCE", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"}
	talosCleanCaps = []any{"NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"}
	talosCgroup    = map[string]any{"autoMount": map[string]any{"enabled": false}, "hostRoot": "/sys/fs/cgroup"}
)

func TestCiliumValues(t *testing.T) {
	t.Parallel()

	secCtx := map[string]any{"capabilities": map[string]any{"ciliumAgent": talosAgentCaps, "cleanCiliumState": talosCleanCaps}}

	tests := []struct {
		name    string
		opts    manifests.CiliumOptions
		version string
		want    map[string]any
	}{
		{
			name:    "seed era 1.11 without kube-proxy: strict, real API server",
			opts:    manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "10.5.0.2"},
			version: "1.11.2",
			want: map[string]any{
				"ipam":                 map[string]any{"mode": "kubernetes"},
				"kubeProxyReplacement": "strict",
				"k8sServiceHost":       "10.5.0.2",
				"k8sServicePort":       6443,
				"cgroup":               talosCgroup,
			},
		},
		{
			name:    "1.11 with kube-proxy: disabled",
			version: "v1.11.2",
			want: map[string]any{
				"ipam":                 map[string]any{"mode": "kubernetes"},
				"kubeProxyReplacement": "disabled",
				"cgroup":               talosCgroup,
			},
		},
		{
			name:    "1.13 prerelease still strict, has capabilities",
			opts:    manifests.CiliumOptions{KubeProxyDisabled: true},
			version: "1.13.4",
			want: map[string]any{
				"ipam":                 map[string]any{"mode": "kubernetes"},
				"kubeProxyReplacement": "strict",
				"k8sServiceHost":       "localhost",
				"k8sServicePort":       7445,
				"securityContext":      secCtx,
				"cgroup":               talosCgroup,
			},
		},
		{
			name:    "1.14 rc uses true",
			opts:    manifests.CiliumOptions{KubeProxyDisabled: true},
			version: "1.14.0-rc.1",
			want: map[string]any{
				"ipam":                 map[string]any{"mode": "kubernetes"},
				"kubeProxyReplacement": true,
				"k8sServiceHost":       "localhost",
				"k8sServicePort":       7445,
				"securityContext":      secCtx,
				"cgroup":               talosCgroup,
			},
		},
		{
			name:    "current guide: KubePrism, everything on",
			opts:    manifests.CiliumOptions{KubeProxyDisabled: true, DisableXTSocketFallback: true, CertificatesInCluster: true},
			version: "1.18.12",
			want: map[string]any{
				"ipam":                   map[string]any{"mode": "kubernetes"},
				"kubeProxyReplacement":   true,
				"k8sServiceHost":         "localhost",
				"k8sServicePort":         7445,
				"securityContext":        secCtx,
				"cgroup":                 talosCgroup,
				"enableXTSocketFallback": false,
				"hubble":                 map[string]any{"tls": map[string]any{"auto": map[string]any{"method": "cronJob"}}},
			},
		},
		{
			name:    "with kube-proxy, KubePrism on another port",
			opts:    manifests.CiliumOptions{APIServerPort: 7446, SkipTalosSecurity: true},
			version: "1.20.0",
			want: map[string]any{
				"ipam":                 map[string]any{"mode": "kubernetes"},
				"kubeProxyReplacement": false,
				"k8sServiceHost":       "localhost",
				"k8sServicePort":       7446,
			},
		},
		{
			name:    "explicit host and port",
			opts:    manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "api.example.com", APIServerPort: 443},
			version: "1.16.18",
			want: map[string]any{
				"ipam":                 map[string]any{"mode": "kubernetes"},
				"kubeProxyReplacement": true,
				"k8sServiceHost":       "api.example.com",
				"k8sServicePort":       443,
				"securityContext":      secCtx,
				"cgroup":               talosCgroup,
			},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, err := manifests.CiliumValues(tt.opts, tt.version)
			require.NoError(t, err)

			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCiliumValuesErrors(t *testing.T) {
	t.Parallel()

	for _, v := range []string{"", "latest", "1.10.9", "0.1.0"} {
		_, err := manifests.CiliumValues(manifests.CiliumOptions{}, v)
		require.ErrorIs(t, err, manifests.ErrUnsupportedChart, v)
		require.Contains(t, err.Error(), "cilium values")
	}
}

// valuePresent reports whether a dotted values path is defined in the chart's values or used
// by its templates (some keys, like k8sServiceHost in 1.11, are only commented in values.yaml).
func valuePresent(t *testing.T, version, path string) bool {
	t.Helper()

	ch := loadCilium(t, version)

	var cur any = map[string]any(ch.Values)

	found := true

	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			found = false

			break
		}

		if cur, ok = m[p]; !ok {
			found = false

			break
		}
	}

	if found {
		return true
	}

	for _, tpl := range ch.Templates {
		if strings.Contains(string(tpl.Data), ".Values."+path) {
			return true
		}
	}

	return false
}

// TestCiliumPresetsExistInCharts: every preset key CiliumValues chooses for a shipped chart is a
// value that chart knows.
func TestCiliumPresetsExistInCharts(t *testing.T) {
	t.Parallel()

	for _, version := range shippedCharts {
		t.Run(version, func(t *testing.T) {
			t.Parallel()

			vals, err := manifests.CiliumValues(manifests.CiliumOptions{KubeProxyDisabled: true, DisableXTSocketFallback: true, CertificatesInCluster: true}, version)
			require.NoError(t, err)

			var paths []string

			var walk func(prefix string, m map[string]any)
			walk = func(prefix string, m map[string]any) {
				for k, v := range m {
					if sub, ok := v.(map[string]any); ok {
						walk(prefix+k+".", sub)

						continue
					}

					paths = append(paths, prefix+k)
				}
			}
			walk("", vals)

			for _, p := range paths {
				require.True(t, valuePresent(t, version, p), "chart %s has no value %s", version, p)
			}

			// And exactly the charts that have the capability lists get them.
			require.Equal(t, valuePresent(t, version, "securityContext.capabilities.ciliumAgent"), vals["securityContext"] != nil)
		})
	}
}

func findObject(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}

	return nil
}

// TestRenderCiliumPresetsApplied checks the rendered effect of the presets in every shipped
// chart: the agent config, the API server address and the capabilities.
func TestRenderCiliumPresetsApplied(t *testing.T) {
	t.Parallel()

	for _, version := range shippedCharts {
		t.Run(version, func(t *testing.T) {
			t.Parallel()

			ch := loadCilium(t, version)

			r, err := manifests.RenderCilium(context.Background(), ch, testKubeVersion,
				manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true, DisableXTSocketFallback: true},
				manifests.RenderOptions{Namespace: "cilium", Deterministic: true,
					Set: []string{"hubble.relay.enabled=true", "hubble.ui.enabled=true"}})
			require.NoError(t, err)
			require.Empty(t, r.Warnings, "every kind of the chart has a known scope")

			ns := r.Objects[0]
			require.Equal(t, "Namespace", ns.GetKind())
			require.Equal(t, "cilium", ns.GetName())
			require.Equal(t, "privileged", ns.GetLabels()["pod-security.kubernetes.io/enforce"])

			cm := findObject(r.Objects, "ConfigMap", "cilium-config")
			require.NotNil(t, cm)
			require.Equal(t, "cilium", cm.GetNamespace())

			data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
			require.Equal(t, "kubernetes", data["ipam"])
			require.Equal(t, "false", data["enable-xt-socket-fallback"])

			wantKPR := "true"
			if version == "1.11.2" {
				wantKPR = "strict"
			}

			require.Equal(t, wantKPR, data["kube-proxy-replacement"])

			ds := findObject(r.Objects, "DaemonSet", "cilium")
			require.NotNil(t, ds)

			text := string(mustEncode(t, ds))
			require.Contains(t, text, "value: localhost")
			require.Contains(t, text, `value: "7445"`)
			require.NotContains(t, text, "SYS_MODULE")

			if version != "1.11.2" {
				require.Contains(t, text, "DAC_OVERRIDE")
			}

			for _, o := range r.Objects {
				require.NotEqual(t, "default", o.GetNamespace(), "%s", manifests.RefOf(o))
			}
		})
	}
}

func mustEncode(t *testing.T, o *unstructured.Unstructured) []byte {
	t.Helper()

	b, err := manifests.EncodeObjects([]*unstructured.Unstructured{o})
	require.NoError(t, err)

	return b
}

// TestRenderCiliumGoldens pins the deterministic Talos manifest of the oldest and a current
// chart.
func TestRenderCiliumGoldens(t *testing.T) {
	t.Parallel()

	for _, version := range []string{"1.11.2", "1.18.12"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()

			r, err := manifests.RenderCilium(context.Background(), loadCilium(t, version), testKubeVersion,
				manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true},
				manifests.RenderOptions{Deterministic: true})
			require.NoError(t, err)

			golden(t, "cilium-"+version+".yaml", r.YAML)
		})
	}
}

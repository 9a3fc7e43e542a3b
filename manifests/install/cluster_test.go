package install_test

import (
	"context"
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// TestCiliumOptions: kube-proxy comes from the cluster description, and without kube-proxy the
// API server address is KubePrism where the cluster's nodes run it, else the endpoint.
func TestCiliumOptions(t *testing.T) {
	t.Parallel()

	with := func(c config.Cluster, f func(*config.Cluster)) config.Cluster {
		f(&c)
		return c
	}

	tests := []struct {
		name    string
		cluster config.Cluster
		opts    manifests.CiliumOptions
		want    manifests.CiliumOptions
		// wantHost and wantPort are k8sServiceHost and k8sServicePort of the presets ("" and
		// 0: not set, the kubernetes Service).
		wantHost string
		wantPort int
		wantErr  error
		wantMsg  string
	}{
		{
			name:    "kube-proxy running",
			cluster: v114(),
			opts:    manifests.CiliumOptions{CertificatesInCluster: true, DisableXTSocketFallback: true},
			want:    manifests.CiliumOptions{CertificatesInCluster: true, DisableXTSocketFallback: true},
		},
		{
			name:    "kube-proxy disabled in the cluster: KubePrism on its default port",
			cluster: noProxy(v114()),
			opts:    manifests.CiliumOptions{CertificatesInCluster: true},
			want:    manifests.CiliumOptions{KubeProxyDisabled: true, APIServerPort: manifests.KubePrismPort, CertificatesInCluster: true},
			// An empty APIServerHost with a port is KubePrism's host.
			wantHost: manifests.KubePrismHost, wantPort: 7445,
		},
		{
			name:     "kube-proxy disabled in both",
			cluster:  noProxy(v114()),
			opts:     manifests.CiliumOptions{KubeProxyDisabled: true},
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerPort: 7445},
			wantHost: "localhost", wantPort: 7445,
		},
		{
			name:    "kube-proxy disabled in the options only",
			cluster: v114(),
			opts:    manifests.CiliumOptions{KubeProxyDisabled: true},
			wantErr: install.ErrInconsistentSettings,
			wantMsg: "state it once, in the cluster description (kubeProxyDisabled: true), and leave CiliumOptions.KubeProxyDisabled false",
		},
		{
			name:     "KubePrism port from the cluster",
			cluster:  with(noProxy(v114()), func(c *config.Cluster) { c.KubePrism.Port = 7446 }),
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerPort: 7446},
			wantHost: "localhost", wantPort: 7446,
		},
		{
			name: "KubePrism port set on v1.5, before KubePrism is on by default",
			cluster: with(noProxy(v114()), func(c *config.Cluster) {
				c.Contract, c.KubernetesVersion, c.KubePrism.Port = talos.V1_5, "1.28.0", 7445
			}),
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerPort: 7445},
			wantHost: "localhost", wantPort: 7445,
		},
		{
			name:     "KubePrism disabled: the endpoint",
			cluster:  with(noProxy(v114()), func(c *config.Cluster) { c.KubePrism.Disabled = true }),
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "10.5.0.2", APIServerPort: 6443},
			wantHost: "10.5.0.2", wantPort: 6443,
		},
		{
			name: "KubePrism disabled, endpoint on another port",
			cluster: with(noProxy(v114()), func(c *config.Cluster) {
				c.KubePrism.Disabled, c.Endpoint = true, "https://cp.example.com:8443"
			}),
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "cp.example.com", APIServerPort: 8443},
			wantHost: "cp.example.com", wantPort: 8443,
		},
		{
			name: "KubePrism disabled, endpoint without a port is https's 443",
			cluster: with(noProxy(v114()), func(c *config.Cluster) {
				c.KubePrism.Disabled, c.Endpoint = true, "https://cp.example.com"
			}),
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "cp.example.com", APIServerPort: 443},
			wantHost: "cp.example.com", wantPort: 443,
		},
		{
			name: "KubePrism disabled, IPv6 endpoint",
			cluster: with(noProxy(v114()), func(c *config.Cluster) {
				c.KubePrism.Disabled, c.Endpoint = true, "https://[fd00::2]:6443"
			}),
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "fd00::2", APIServerPort: 6443},
			wantHost: "fd00::2", wantPort: 6443,
		},
		{
			name:     "contract v1.4 has no KubePrism: the endpoint",
			cluster:  with(noProxy(v114()), func(c *config.Cluster) { c.Contract, c.KubernetesVersion = talos.V1_4, "1.27.0" }),
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "10.5.0.2", APIServerPort: 6443},
			wantHost: "10.5.0.2", wantPort: 6443,
		},
		{
			name: "contract v1.4 with a KubePrism port: the endpoint (KubePrism came with v1.5)",
			cluster: with(noProxy(v114()), func(c *config.Cluster) {
				c.Contract, c.KubernetesVersion, c.KubePrism.Port = talos.V1_4, "1.27.0", 7445
			}),
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "10.5.0.2", APIServerPort: 6443},
			wantHost: "10.5.0.2", wantPort: 6443,
		},
		{
			name:     "an explicit API server is kept",
			cluster:  noProxy(v114()),
			opts:     manifests.CiliumOptions{APIServerHost: "api.example.com"},
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "api.example.com"},
			wantHost: "api.example.com", wantPort: 6443,
		},
		{
			name:     "an explicit port is kept with KubePrism",
			cluster:  noProxy(v114()),
			opts:     manifests.CiliumOptions{APIServerPort: 7000},
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerPort: 7000},
			wantHost: "localhost", wantPort: 7000,
		},
		{
			name:     "an explicit port is kept with the endpoint",
			cluster:  with(noProxy(v114()), func(c *config.Cluster) { c.KubePrism.Disabled = true }),
			opts:     manifests.CiliumOptions{APIServerPort: 7000},
			want:     manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "10.5.0.2", APIServerPort: 7000},
			wantHost: "10.5.0.2", wantPort: 7000,
		},
		{
			name:    "endpoint that is not a URL",
			cluster: with(noProxy(v114()), func(c *config.Cluster) { c.KubePrism.Disabled, c.Endpoint = true, "10.5.0.2:6443" }),
			wantErr: install.ErrInconsistentSettings,
			wantMsg: `no https:// scheme, want https://host:port (value "10.5.0.2:6443"); fix: "https://10.5.0.2:6443"`,
		},
		{
			name:    "endpoint with a port out of range",
			cluster: with(noProxy(v114()), func(c *config.Cluster) { c.KubePrism.Disabled, c.Endpoint = true, "https://10.5.0.2:70000" }),
			wantErr: install.ErrInconsistentSettings,
			wantMsg: `port out of range`,
		},
		{
			name:    "no contract",
			cluster: with(v114(), func(c *config.Cluster) { c.Contract = 0 }),
			wantErr: talos.ErrNoContract,
			wantMsg: "cluster contract",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := install.CiliumOptions(tt.cluster, tt.opts)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.ErrorContains(t, err, tt.wantMsg)
				require.Equal(t, manifests.CiliumOptions{}, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)

			vals, err := manifests.CiliumValues(got, "1.18.12")
			require.NoError(t, err)
			require.Equal(t, tt.cluster.KubeProxyDisabled, vals["kubeProxyReplacement"])
			if tt.wantHost == "" {
				require.NotContains(t, vals, "k8sServiceHost")
				require.NotContains(t, vals, "k8sServicePort")
				return
			}
			require.Equal(t, tt.wantHost, vals["k8sServiceHost"])
			require.Equal(t, tt.wantPort, vals["k8sServicePort"])
		})
	}
}

// TestRenderCilium: the render is for the cluster's Kubernetes version, with the presets of
// CiliumOptions.
func TestRenderCilium(t *testing.T) {
	t.Parallel()

	kubePrismOff := noProxy(v114())
	kubePrismOff.KubePrism.Disabled = true

	tests := []struct {
		name        string
		cluster     config.Cluster
		copts       manifests.CiliumOptions
		wantVersion string
		wantValues  map[string]any // a subset of the render's values; nil: absent
	}{
		{
			name: "kube-proxy running", cluster: v114(), wantVersion: "v1.37.0",
			wantValues: map[string]any{"kubeProxyReplacement": false, "k8sServiceHost": nil, "k8sServicePort": nil},
		},
		{
			name: "no kube-proxy: KubePrism", cluster: noProxy(v114()), wantVersion: "v1.37.0",
			wantValues: map[string]any{"kubeProxyReplacement": true, "k8sServiceHost": "localhost", "k8sServicePort": 7445},
		},
		{
			name: "no kube-proxy, no KubePrism: the endpoint", cluster: kubePrismOff, wantVersion: "v1.37.0",
			wantValues: map[string]any{"kubeProxyReplacement": true, "k8sServiceHost": "10.5.0.2", "k8sServicePort": 6443},
		},
		{
			name: "v1.13 cluster, Kubernetes with a leading v", wantVersion: "v1.36.2",
			cluster: func() config.Cluster { c := v113(); c.KubernetesVersion = "v1.36.2"; return c }(),
			copts:   manifests.CiliumOptions{CertificatesInCluster: true},
			wantValues: map[string]any{
				"kubeProxyReplacement": false, "hubble": map[string]any{"tls": map[string]any{"auto": map[string]any{"method": "cronJob"}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := install.RenderCilium(context.Background(), renderer(t, "1.18.12"), tt.cluster, tt.copts, manifests.RenderOptions{})
			require.NoError(t, err)
			require.Equal(t, tt.wantVersion, r.KubernetesVersion)
			for k, want := range tt.wantValues {
				if want == nil {
					require.NotContains(t, r.Values, k)
					continue
				}
				require.Equal(t, want, r.Values[k], k)
			}

			// The render fits the cluster: every method takes it.
			_, err = install.Helm(tt.cluster, r, install.HelmOptions{})
			require.NoError(t, err)
		})
	}

	for _, tc := range []struct {
		name    string
		rd      *manifests.Renderer
		cluster config.Cluster
		copts   manifests.CiliumOptions
		wantErr error
		wantMsg string
	}{
		{name: "nil renderer", cluster: v114(), wantErr: install.ErrInvalidMethodOptions, wantMsg: "manifests.NewRenderer"},
		{
			name: "no Kubernetes version", rd: renderer(t, "1.18.12"), wantErr: install.ErrInconsistentSettings, wantMsg: "no kubernetesVersion",
			cluster: func() config.Cluster { c := v114(); c.KubernetesVersion = ""; return c }(),
		},
		{
			name: "kube-proxy disabled in the options only", rd: renderer(t, "1.18.12"), cluster: v114(),
			copts: manifests.CiliumOptions{KubeProxyDisabled: true}, wantErr: install.ErrInconsistentSettings, wantMsg: "kubeProxyDisabled: true",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := install.RenderCilium(context.Background(), tc.rd, tc.cluster, tc.copts, manifests.RenderOptions{})
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, tc.wantMsg)
		})
	}
}

// TestMethodsRefuse: every method checks the render and the cluster's CNI against the cluster
// description before it returns anything.
func TestMethodsRefuse(t *testing.T) {
	t.Parallel()

	const otherURL = "https://example.com/other.yaml"
	c := v114()
	// Certificates made in the cluster: no Secrets, so the hosted method gets to its checks.
	r := render(t, c, "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	// kubeProxyReplacement set by hand, but no API server address.
	noService := render(t, c, "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{
		Set: []string{"kubeProxyReplacement=true"},
	})
	// A render whose values leave kubeProxyReplacement out.
	noReplacement := *render(t, noProxy(c), "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	noReplacement.Values = maps.Clone(noReplacement.Values)
	delete(noReplacement.Values, "kubeProxyReplacement")

	with := func(f func(*config.Cluster)) config.Cluster {
		cc := v114()
		f(&cc)
		return cc
	}
	cni := func(name config.CNIName, urls ...string) config.Cluster {
		return with(func(cc *config.Cluster) { cc.CNI = config.CNI{Name: name, URLs: urls} })
	}

	methods := map[string]func(c config.Cluster, r *manifests.Rendered, url string) error{
		"helm": func(c config.Cluster, r *manifests.Rendered, _ string) error {
			_, err := install.Helm(c, r, install.HelmOptions{})
			return err
		},
		"template": func(c config.Cluster, r *manifests.Rendered, _ string) error {
			_, err := install.Template(c, r, install.TemplateOptions{})
			return err
		},
		"hosted": func(c config.Cluster, r *manifests.Rendered, url string) error {
			_, err := install.Hosted(c, r, url, install.HostedOptions{})
			return err
		},
		"inline": func(c config.Cluster, r *manifests.Rendered, _ string) error {
			_, err := install.Inline(c, r, install.InlineOptions{})
			return err
		},
	}

	tests := []struct {
		name    string
		cluster config.Cluster
		r       *manifests.Rendered
		url     string   // the hosted method's URL; empty: hostedURL
		methods []string // the methods the case is for; empty: all
		wantErr error    // nil: accepted
		wantMsg []string
	}{
		{
			name: "render for another Kubernetes version", r: r,
			cluster: with(func(cc *config.Cluster) { cc.KubernetesVersion = "1.36.0" }),
			wantErr: install.ErrInconsistentSettings,
			wantMsg: []string{"the render is for Kubernetes v1.37.0 but the cluster runs 1.36.0", "render for the cluster (RenderCilium)"},
		},
		{
			name: "the same Kubernetes version with a leading v", r: r,
			cluster: with(func(cc *config.Cluster) { cc.KubernetesVersion = "v1.37.0" }),
		},
		{
			name: "cni flannel", r: r, cluster: cni(config.CNIFlannel),
			wantErr: install.ErrInconsistentSettings,
			wantMsg: []string{"the cluster's cni is flannel", "installs cilium as the CNI", "set cni.name to none (or leave it empty) in the cluster description"},
		},
		{name: "cni none", r: r, cluster: cni(config.CNINone)},
		{name: "cni default", r: r, cluster: c},
		{
			name: "cni custom", r: r, cluster: cni(config.CNICustom, hostedURL), methods: []string{"helm", "template", "inline"},
			wantErr: install.ErrInconsistentSettings,
			wantMsg: []string{"the cluster's cni is custom with [" + hostedURL + "]", "set cni.name to none (or leave it empty) in the cluster description"},
		},
		{name: "cni custom with the hosted URL", r: r, cluster: cni(config.CNICustom, hostedURL), methods: []string{"hosted"}},
		{
			name: "cni custom with another URL", r: r, cluster: cni(config.CNICustom, otherURL), methods: []string{"hosted"},
			wantErr: install.ErrInconsistentSettings,
			wantMsg: []string{"the cluster's cni is custom with [" + otherURL + "], which the hosted method replaces", "set cni.name to none"},
		},
		{
			name: "cni custom with the hosted URL and another", r: r, cluster: cni(config.CNICustom, hostedURL, otherURL), methods: []string{"hosted"},
			wantErr: install.ErrInconsistentSettings,
			wantMsg: []string{"the cluster's cni is custom with [" + hostedURL + " " + otherURL + "]", "set cni.name to none"},
		},
		{
			name: "cni custom, hosted at another URL", r: r, cluster: cni(config.CNICustom, hostedURL), url: otherURL, methods: []string{"hosted"},
			wantErr: install.ErrInconsistentSettings,
			wantMsg: []string{"which the hosted method replaces"},
		},
		{
			name: "kube-proxy disabled, not replaced", r: r, cluster: noProxy(c),
			wantErr: install.ErrInconsistentSettings,
			wantMsg: []string{"the cluster disables kube-proxy but the values set kubeProxyReplacement to false", "render with RenderCilium (or CiliumOptions)"},
		},
		{
			name: "kube-proxy disabled, kubeProxyReplacement not set", r: &noReplacement, cluster: noProxy(c),
			wantErr: install.ErrInconsistentSettings,
			wantMsg: []string{"kubeProxyReplacement to <nil>", "render with RenderCilium (or CiliumOptions)"},
		},
		{
			name: "kube-proxy disabled, no API server address", r: noService, cluster: noProxy(c),
			wantErr: install.ErrInconsistentSettings,
			wantMsg: []string{"the values set no k8sServiceHost", "render with RenderCilium (or CiliumOptions)"},
		},
		{
			name: "no render", r: nil, cluster: c,
			wantErr: install.ErrInvalidMethodOptions, wantMsg: []string{"nil render"},
		},
	}
	for _, tt := range tests {
		names := tt.methods
		if len(names) == 0 {
			names = []string{"helm", "template", "hosted", "inline"}
		}
		for _, method := range names {
			t.Run(tt.name+"/"+method, func(t *testing.T) {
				t.Parallel()
				url := tt.url
				if url == "" {
					url = hostedURL
				}
				err := methods[method](tt.cluster, tt.r, url)
				if tt.wantErr == nil {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, tt.wantErr)
				require.ErrorContains(t, err, method+" ")
				for _, msg := range tt.wantMsg {
					require.ErrorContains(t, err, msg)
				}
			})
		}
	}

	// The hosted method on a cluster that names its URL as the custom CNI adds nothing else.
	h, err := install.Hosted(cni(config.CNICustom, hostedURL), r, hostedURL, install.HostedOptions{})
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(textsOf(config.Layers{AllNodes: []patches.Patch{must(patches.CNICustom(talos.V1_14, hostedURL))}}), textsOf(h.Layers)))
}

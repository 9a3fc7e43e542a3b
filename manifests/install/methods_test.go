package install_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/install"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

const hostedURL = "https://example.com/cilium.yaml"

func TestHelm(t *testing.T) {
	t.Parallel()

	// The 1.11 guide: strict mode, Cilium talking to the API server directly (no KubePrism),
	// so the address comes from the cluster's endpoint.
	guide111 := config.Cluster{
		Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_11, KubernetesVersion: "1.34.0",
		KubeProxyDisabled: true, KubePrism: config.KubePrism{Disabled: true},
	}

	tests := []struct {
		name         string
		cluster      config.Cluster
		version      string
		copts        manifests.CiliumOptions
		ropts        manifests.RenderOptions
		opts         install.HelmOptions
		wantCommands [][]string
		wantLayers   config.Layers
		golden       string
	}{
		{
			name:    "guide defaults",
			cluster: v114(),
			version: "1.18.12",
			wantCommands: [][]string{
				{"helm", "install", "cilium", "cilium/cilium", "--version", "1.18.12", "--namespace", "kube-system", "--values", "values.yaml"},
			},
			wantLayers: config.Layers{AllNodes: []patches.Patch{must(patches.CNINone(talos.V1_14))}},
			golden:     "helm-1.18.12-values.yaml",
		},
		{
			name:    "no kube-proxy, repository URL, other namespace",
			cluster: noProxy(v114()),
			version: "1.19.6",
			copts:   manifests.CiliumOptions{CertificatesInCluster: true},
			ropts:   manifests.RenderOptions{Namespace: "cilium", ReleaseName: "cni"},
			opts:    install.HelmOptions{RepoURL: "https://helm.cilium.io/", ValuesFile: "cilium values.yaml"},
			wantCommands: [][]string{
				{"kubectl", "create", "namespace", "cilium"},
				{"kubectl", "label", "namespace", "cilium", "pod-security.kubernetes.io/enforce=privileged"},
				{"helm", "install", "cni", "cilium", "--repo", "https://helm.cilium.io/", "--version", "1.19.6", "--namespace", "cilium", "--values", "cilium values.yaml"},
			},
			wantLayers: config.Layers{AllNodes: []patches.Patch{must(patches.StrictMode(talos.V1_14))}},
			golden:     "helm-1.19.6-noproxy-values.yaml",
		},
		{
			name:    "strict mode of the 1.11 guide on contract v1.11",
			cluster: guide111,
			version: "1.11.2",
			opts:    install.HelmOptions{Chart: "oci://registry.example/charts/cilium"},
			wantCommands: [][]string{
				{"helm", "install", "cilium", "oci://registry.example/charts/cilium", "--version", "1.11.2", "--namespace", "kube-system", "--values", "values.yaml"},
			},
			wantLayers: config.Layers{AllNodes: []patches.Patch{must(patches.StrictMode(talos.V1_11))}},
			golden:     "helm-1.11.2-strict-values.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := render(t, tt.cluster, tt.version, tt.copts, tt.ropts)
			h, err := install.Helm(tt.cluster, r, tt.opts)
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(tt.wantCommands, h.Commands))
			require.Empty(t, cmp.Diff(textsOf(tt.wantLayers), textsOf(h.Layers)))
			methodGolden(t, tt.golden, h.Values)

			// The values file holds the same settings: a plain render with it (no presets)
			// gives the same objects.
			wantJSON, err := json.Marshal(r.Values)
			require.NoError(t, err)
			gotJSON, err := yaml.YAMLToJSON(h.Values)
			require.NoError(t, err)
			require.JSONEq(t, string(wantJSON), string(gotJSON))
			ropts := tt.ropts
			ropts.ValuesFiles = [][]byte{h.Values}
			ropts.NamespaceLabels = manifests.CiliumNamespaceLabels()
			plain, err := renderer(t, tt.version).Render(context.Background(), tt.cluster.KubernetesVersion, ropts)
			require.NoError(t, err)
			if tt.copts.CertificatesInCluster {
				require.Equal(t, string(r.YAML), string(plain.YAML))
			} else {
				require.Equal(t, len(r.Objects), len(plain.Objects))
			}
		})
	}
}

func TestHelmScript(t *testing.T) {
	t.Parallel()
	c := v114()
	r := render(t, c, "1.20.0", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Namespace: "net"})
	h, err := install.Helm(c, r, install.HelmOptions{ValuesFile: "my values.yaml"})
	require.NoError(t, err)
	methodGolden(t, "helm-1.20.0-net.sh", []byte(h.Script()))
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	c := v114()
	r := render(t, c, "1.17.18", manifests.CiliumOptions{}, manifests.RenderOptions{})
	m, err := install.Template(c, r, install.TemplateOptions{})
	require.NoError(t, err)
	require.Equal(t, "cilium.yaml", m.File)
	require.Equal(t, r.YAML, m.Manifest)
	require.Equal(t, "kubectl apply -f cilium.yaml\n", m.Script())
	require.Empty(t, cmp.Diff(textsOf(config.Layers{AllNodes: []patches.Patch{must(patches.CNINone(talos.V1_14))}}), textsOf(m.Layers)))

	m.Manifest[0] = 'X'
	require.NotEqual(t, r.YAML[0], m.Manifest[0], "the manifest is a copy")

	m, err = install.Template(c, r, install.TemplateOptions{File: "out/c.yaml"})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"kubectl", "apply", "-f", "out/c.yaml"}}, m.Commands)
	require.Equal(t, "kubectl apply -f out/c.yaml\n", m.Script())
}

func TestHosted(t *testing.T) {
	t.Parallel()
	c := v114()
	withCerts := render(t, c, "1.18.12", manifests.CiliumOptions{}, manifests.RenderOptions{})
	inCluster := render(t, noProxy(c), "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	cni := must(patches.CNICustom(talos.V1_14, hostedURL))
	// The caller owns a Rendered: a Secret added to its YAML after the render is still refused.
	edited := *inCluster
	edited.YAML = append(slices.Clone(inCluster.YAML), "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: added\n  namespace: kube-system\nstringData:\n  token: x\n"...)
	require.Empty(t, edited.KeyMaterial)

	tests := []struct {
		name        string
		r           *manifests.Rendered
		url         string
		cluster     config.Cluster
		opts        install.HostedOptions
		wantLayers  config.Layers
		wantErr     error
		wantMsg     string
		wantSecrets []string
	}{
		{
			name: "secrets refused", r: withCerts, url: hostedURL, cluster: c, wantErr: install.ErrSecretsInManifest,
			wantSecrets: []string{"v1 Secret kube-system/cilium-ca", "v1 Secret kube-system/hubble-server-certs"},
		},
		{
			name: "secret added after the render", r: &edited, url: hostedURL, cluster: noProxy(c),
			wantErr: install.ErrSecretsInManifest, wantSecrets: []string{"v1 Secret kube-system/added"},
		},
		{
			name: "secrets accepted", r: withCerts, url: hostedURL, cluster: c, opts: install.HostedOptions{AllowSecrets: true},
			wantLayers: config.Layers{AllNodes: []patches.Patch{cni}},
		},
		{
			name: "certificates in the cluster", r: inCluster, url: hostedURL, cluster: noProxy(c),
			wantLayers: config.Layers{AllNodes: []patches.Patch{cni, must(patches.KubeProxyDisabled(talos.V1_14))}},
		},
		{name: "relative URL", r: inCluster, url: "cilium.yaml", cluster: noProxy(c), wantErr: install.ErrInvalidMethodOptions, wantMsg: "cilium.yaml"},
		{name: "no URL", r: inCluster, url: "", cluster: noProxy(c), wantErr: install.ErrInvalidMethodOptions},
		{
			name: "kube-proxy disabled but not replaced", r: withCerts, url: hostedURL, cluster: noProxy(c), opts: install.HostedOptions{AllowSecrets: true},
			wantErr: install.ErrInconsistentSettings, wantMsg: "kubeProxyReplacement",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := install.Hosted(tt.cluster, tt.r, tt.url, tt.opts)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), "hosted method")
				require.Contains(t, err.Error(), tt.wantMsg)
				if tt.wantSecrets != nil {
					var se *install.SecretsError
					require.ErrorAs(t, err, &se)
					var got []string
					for _, o := range se.Objects {
						got = append(got, o.Object.String())
						require.Contains(t, err.Error(), o.String())
					}
					for _, want := range tt.wantSecrets {
						require.Contains(t, got, want)
					}
					require.Contains(t, err.Error(), "hubble.tls.auto.method=cronJob", "the error says how to avoid them")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.url, h.URL)
			require.Equal(t, tt.r.YAML, h.Manifest)
			require.Empty(t, cmp.Diff(textsOf(tt.wantLayers), textsOf(h.Layers)))
		})
	}
}

// inlineNames returns the names and contents of a config's inline manifests, in order.
func inlineNames(cfg coreconfig.Provider) (names, contents []string) {
	for _, m := range cfg.K8sInlineManifestConfigs() {
		names = append(names, m.Name())
		contents = append(contents, m.Contents())
	}
	return names, contents
}

// TestInlineMethod on contract v1.13: the inline manifest in cluster.inlineManifests of the
// control planes only, CNI none and kube-proxy disabled in the v1alpha1 document of every node.
func TestInlineMethod(t *testing.T) {
	t.Parallel()
	c := noProxy(v113())
	r := render(t, c, "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	in, err := install.Inline(c, r, install.InlineOptions{})
	require.NoError(t, err)
	require.Equal(t, patches.Manifest{Name: "cilium", Contents: string(r.YAML)}, in.Manifest)
	require.Empty(t, cmp.Diff(textsOf(config.Layers{
		AllNodes:     []patches.Patch{must(patches.StrictMode(talos.V1_13))},
		ControlPlane: []patches.Patch{must(patches.InlineManifest(talos.V1_13, "cilium", string(r.YAML)))},
	}), textsOf(in.Layers)))
	require.Equal(t, len(r.YAML), in.Size.ManifestBytes)
	require.NotEmpty(t, in.Size.Exceeded(), "inline Cilium never fits user data")

	out, err := configs(t, c).Patch(in.Layers)
	require.NoError(t, err)

	check := func(cfg coreconfig.Provider) (names, contents []string, cni string, proxyDisabled bool) {
		t.Helper()
		names, contents = inlineNames(cfg)
		return names, contents, cfg.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName, !cfg.K8sProxyConfig().Enabled()
	}
	names, contents, cni, proxyOff := check(out.ControlPlane)
	require.Equal(t, []string{"cilium"}, names)
	require.Equal(t, string(r.YAML), contents[0])
	require.Equal(t, "none", cni)
	require.True(t, proxyOff)
	names, _, cni, proxyOff = check(out.Worker)
	require.Empty(t, names, "workers get no inline manifest")
	require.Equal(t, "none", cni)
	require.True(t, proxyOff)

	// The layers of a second Inline, applied on top, replace the manifest by name.
	r2 := render(t, c, "1.19.6", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{})
	in2, err := install.Inline(c, r2, install.InlineOptions{})
	require.NoError(t, err)
	out2, err := out.Patch(in2.Layers)
	require.NoError(t, err)
	names, contents, _, _ = check(out2.ControlPlane)
	require.Equal(t, []string{"cilium"}, names)
	require.Equal(t, string(r2.YAML), contents[0])
	names, _, _, _ = check(out2.Worker)
	require.Empty(t, names)

	// The sizes of the real control-plane config.
	cp, _ := encodeConfigs(t, out)
	rep := install.CheckSizes(r.YAML, r.Objects, cp)
	require.Equal(t, len(cp), rep.ConfigBytes)
	require.Greater(t, rep.ConfigBytes, rep.ManifestBytes)
	require.Len(t, rep.Checks, 4)
	require.True(t, rep.Checks[0].Fits, "fits the maintenance API")
	require.False(t, rep.Checks[1].Fits, "does not fit AWS user data")
	require.False(t, rep.Checks[2].Fits, "does not fit Hetzner user data")
	require.True(t, rep.Checks[3].Fits, "objects fit etcd")

	_, err = install.Inline(c, r, install.InlineOptions{Name: "Not_Valid"})
	require.ErrorIs(t, err, install.ErrInvalidMethodOptions)
	require.ErrorContains(t, err, `manifest name "Not_Valid"`)

	// Without configs to patch there is nothing to apply the layers to.
	_, err = config.Configs{}.Patch(in.Layers)
	require.ErrorIs(t, err, config.ErrInvalid)
}

func TestCheckInlineManifests(t *testing.T) {
	t.Parallel()
	c := v114()
	r := render(t, c, "1.20.0", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{})
	in, err := install.Inline(c, r, install.InlineOptions{})
	require.NoError(t, err)
	cfgs := configs(t, c)
	encoded := func(l config.Layers) (cp, worker []byte) {
		t.Helper()
		out, err := cfgs.Patch(l)
		require.NoError(t, err)
		return encodeConfigs(t, out)
	}
	withCilium, worker := encoded(in.Layers)
	withOther, _ := encoded(config.Layers{
		AllNodes:     in.Layers.AllNodes,
		ControlPlane: []patches.Patch{must(patches.InlineManifest(talos.V1_14, "cilium", "# other\n"))},
	})
	extra, _ := encoded(config.Layers{
		AllNodes:     in.Layers.AllNodes,
		ControlPlane: append(slices.Clone(in.Layers.ControlPlane), must(patches.InlineManifest(talos.V1_14, "extra", "# extra\n"))),
	})
	plain, _ := encoded(config.Layers{AllNodes: in.Layers.AllNodes})

	tests := []struct {
		name    string
		configs []install.NodeConfig
		want    []install.InlineMismatch
	}{
		{name: "identical", configs: []install.NodeConfig{{"cp1", withCilium}, {"cp2", withCilium}, {"cp3", withCilium}}},
		{name: "workers are skipped", configs: []install.NodeConfig{{"w1", worker}, {"cp1", withCilium}, {"w2", worker}, {"cp2", withCilium}}},
		{name: "none", configs: nil},
		{
			name:    "missing, different, extra",
			configs: []install.NodeConfig{{"cp1", withCilium}, {"cp2", plain}, {"cp3", withOther}, {"cp4", extra}},
			want: []install.InlineMismatch{
				{Config: "cp2", Manifest: "cilium", Problem: "missing"},
				{Config: "cp3", Manifest: "cilium", Problem: "different contents"},
				{Config: "cp4", Manifest: "extra", Problem: "extra"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := install.CheckInlineManifests(tt.configs...)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, install.ErrInlineMismatch)
			var me *install.InlineMismatchError
			require.ErrorAs(t, err, &me)
			require.Equal(t, "cp1", me.Reference)
			require.Empty(t, cmp.Diff(tt.want, me.Mismatches))
		})
	}

	err = install.CheckInlineManifests(install.NodeConfig{Name: "broken", Config: []byte("{")})
	require.ErrorContains(t, err, "broken")
}

// TestCheckInlineManifestsBothForms: a name in a KubeInlineManifestConfig document and in
// cluster.inlineManifests of one config is reported (Talos accepts it and silently drops one).
func TestCheckInlineManifestsBothForms(t *testing.T) {
	t.Parallel()

	cp, _ := encodeConfigs(t, configs(t, v114()))

	both := string(cp) + "---\napiVersion: v1alpha1\nkind: KubeInlineManifestConfig\nname: cilium\nmanifest: 'a: 1'\n"
	both = strings.Replace(both, "cluster:\n", "cluster:\n    inlineManifests:\n        - name: cilium\n          contents: 'a: 2'\n", 1)

	err := install.CheckInlineManifests(install.NodeConfig{Name: "cp-1", Config: []byte(both)})
	require.ErrorIs(t, err, install.ErrInlineMismatch)
	require.ErrorContains(t, err, "cp-1: cilium in both forms")

	var me *install.InlineMismatchError
	require.ErrorAs(t, err, &me)
	require.Equal(t, []install.InlineMismatch{{Config: "cp-1", Manifest: "cilium", Problem: "in both forms"}}, me.Mismatches)
}

func TestCheckSizes(t *testing.T) {
	t.Parallel()
	small := []byte(strings.Repeat("x", 1000))
	tests := []struct {
		name      string
		manifest  []byte
		cfg       []byte
		wantFits  []bool
		wantSubj  string
		wantBytes int
	}{
		{name: "small manifest, no config", manifest: small, wantFits: []bool{true, true, true}, wantSubj: "inline manifest (lower bound of the machine config)", wantBytes: 1000},
		{name: "config over AWS", manifest: small, cfg: make([]byte, 20<<10), wantFits: []bool{true, false, true}, wantSubj: "machine config", wantBytes: 20 << 10},
		{name: "config over Hetzner", manifest: small, cfg: make([]byte, 32<<10+1), wantFits: []bool{true, false, false}, wantSubj: "machine config", wantBytes: 32<<10 + 1},
		{name: "exactly at the Hetzner limit", manifest: small, cfg: make([]byte, 32<<10), wantFits: []bool{true, false, true}, wantSubj: "machine config", wantBytes: 32 << 10},
		{name: "over the maintenance API", manifest: small, cfg: make([]byte, 4<<20+1), wantFits: []bool{false, false, false}, wantSubj: "machine config", wantBytes: 4<<20 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := install.CheckSizes(tt.manifest, nil, tt.cfg)
			require.Len(t, rep.Checks, 3, "no objects, no etcd check")
			for i, c := range rep.Checks {
				require.Equal(t, tt.wantFits[i], c.Fits, c.String())
				require.Equal(t, tt.wantSubj, c.Subject)
				require.Equal(t, tt.wantBytes, c.Bytes)
			}
		})
	}

	objs, err := manifests.ParseObjects([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: small, namespace: a}\n---\n" +
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: a}\ndata: {k: " + strings.Repeat("y", 2<<20) + "}\n"))
	require.NoError(t, err)
	rep := install.CheckSizes(nil, objs, nil)
	require.Equal(t, manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "a", Name: "big"}, rep.LargestObject)
	last := rep.Checks[len(rep.Checks)-1]
	require.Equal(t, "etcd object", last.Limit)
	require.False(t, last.Fits)
	require.Equal(t, "etcd object (1572864 bytes): object v1 ConfigMap a/big 2097248 bytes: too large", last.String())
	require.Len(t, rep.Exceeded(), 1)
}

// methodLayers runs the four methods for cluster c on render r and returns their layers, or the
// first error.
func methodLayers(c config.Cluster, r *manifests.Rendered) (map[string]config.Layers, error) {
	h, err := install.Helm(c, r, install.HelmOptions{})
	if err != nil {
		return nil, err
	}
	m, err := install.Template(c, r, install.TemplateOptions{})
	if err != nil {
		return nil, err
	}
	hosted, err := install.Hosted(c, r, hostedURL, install.HostedOptions{})
	if err != nil {
		return nil, err
	}
	in, err := install.Inline(c, r, install.InlineOptions{})
	if err != nil {
		return nil, err
	}
	return map[string]config.Layers{"helm": h.Layers, "template": m.Layers, "hosted": hosted.Layers, "inline": in.Layers}, nil
}

// TestMethodsContract: the contract is required and must be one the module knows, and on every
// supported contract each method's layers are the recipes of that contract.
func TestMethodsContract(t *testing.T) {
	t.Parallel()
	r := render(t, noProxy(v114()), "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})

	for _, tc := range []struct {
		name    string
		c       talos.Contract
		wantErr error
	}{
		{name: "zero contract", wantErr: talos.ErrNoContract},
		{name: "unknown contract", c: talos.Newest + 1, wantErr: talos.ErrUnknownContract},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := noProxy(v114())
			c.Contract = tc.c
			_, helmErr := install.Helm(c, r, install.HelmOptions{})
			_, templateErr := install.Template(c, r, install.TemplateOptions{})
			_, inlineErr := install.Inline(c, r, install.InlineOptions{})
			_, hostedErr := install.Hosted(c, r, hostedURL, install.HostedOptions{})
			for method, err := range map[string]error{"helm": helmErr, "template": templateErr, "inline": inlineErr, "hosted": hostedErr} {
				require.ErrorIs(t, err, tc.wantErr, method)
				require.ErrorContains(t, err, "cluster contract", method)
			}
			_, err := install.CiliumOptions(c, manifests.CiliumOptions{})
			require.ErrorIs(t, err, tc.wantErr)
		})
	}

	for contract := talos.Oldest; contract <= talos.Newest; contract++ {
		t.Run(contract.String(), func(t *testing.T) {
			t.Parallel()
			c := noProxy(v114())
			c.Contract = contract
			c.KubernetesVersion = contract.Kubernetes().Default
			// Only the Kubernetes version of the render is checked against the cluster; the
			// layers do not depend on the manifest, so one render serves every contract.
			rc := *r
			rc.KubernetesVersion = "v" + c.KubernetesVersion

			got, err := methodLayers(c, &rc)
			require.NoError(t, err)
			strict := []patches.Patch{must(patches.StrictMode(contract))}
			want := map[string]config.Layers{
				"helm":     {AllNodes: strict},
				"template": {AllNodes: strict},
				"hosted":   {AllNodes: []patches.Patch{must(patches.CNICustom(contract, hostedURL)), must(patches.KubeProxyDisabled(contract))}},
				"inline":   {AllNodes: strict, ControlPlane: []patches.Patch{must(patches.InlineManifest(contract, "cilium", string(r.YAML)))}},
			}
			for method, l := range want {
				require.Empty(t, cmp.Diff(textsOf(l), textsOf(got[method])), method)
			}
		})
	}
}

// TestMethodsOnV114: every method's layers, in the v1.14 forms, applied to the configs of the
// v1.14 cluster give configs machinery v1.14 validates; the control-plane patches carry their
// scope, so they may also all go into AllNodes. The inline method writes a
// KubeInlineManifestConfig document, the hosted method the flannel deletion and a
// KubeExternalManifestConfig (once, also when the cluster already names the URL as its CNI).
func TestMethodsOnV114(t *testing.T) {
	t.Parallel()

	c := noProxy(v114())
	r := render(t, c, "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	cfgs := configs(t, c)

	layers, err := methodLayers(c, r)
	require.NoError(t, err)

	inline := layers["inline"]
	require.Len(t, inline.ControlPlane, 1)
	require.Equal(t, patches.ScopeControlPlane, inline.ControlPlane[0].Scope())
	require.Contains(t, inline.ControlPlane[0].String(), "kind: KubeInlineManifestConfig")
	layers["inline, all in AllNodes"] = config.Layers{AllNodes: append(slices.Clone(inline.AllNodes), inline.ControlPlane...)}

	// A cluster that states the hosted URL as its custom CNI: its configs already carry it.
	custom := c
	custom.CNI = config.CNI{Name: config.CNICustom, URLs: []string{hostedURL}}
	hostedCustom, err := install.Hosted(custom, r, hostedURL, install.HostedOptions{})
	require.NoError(t, err)
	customCfgs := configs(t, custom)

	type run struct {
		cfgs   config.Configs
		layers config.Layers
	}
	runs := map[string]run{"hosted, cluster cni custom": {customCfgs, hostedCustom.Layers}}
	for name, l := range layers {
		runs[name] = run{cfgs, l}
	}

	for name, rn := range runs {
		for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
			b, err := rn.cfgs.NewBuilder(rn.layers)
			require.NoError(t, err, "%s %s", name, role)

			cfg, err := b.Config(config.Node{Role: role})
			require.NoError(t, err, "%s %s", name, role)

			_, err = config.Validate(cfg, config.ModeContainer)
			require.NoError(t, err, "%s %s", name, role)

			require.Nil(t, cfg.K8sFlannelCNIConfig(), "%s %s: no flannel", name, role)

			if role == config.RoleControlPlane {
				require.False(t, cfg.K8sProxyConfig().Enabled(), "%s: kube-proxy off", name)
			}

			inline := cfg.K8sInlineManifestConfigs()
			external := cfg.K8sExternalManifestConfigs()

			switch {
			case strings.HasPrefix(name, "inline") && role == config.RoleControlPlane:
				require.Len(t, inline, 1, name)
				require.Equal(t, string(r.YAML), inline[0].Contents(), name)
				require.Empty(t, external, name)
			case strings.HasPrefix(name, "hosted") && role == config.RoleControlPlane:
				require.Empty(t, inline, name)
				require.Len(t, external, 1, name)
				require.Equal(t, hostedURL, external[0].URL(), name)
			default:
				require.Empty(t, inline, "%s %s", name, role)
				require.Empty(t, external, "%s %s", name, role)
			}
		}
	}
}

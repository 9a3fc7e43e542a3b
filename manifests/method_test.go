package manifests_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/goldenfile"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

const methodKubeVersion = "1.33.0"

// methodRender renders a shared Cilium chart with the Talos presets.
func methodRender(t *testing.T, version string, copts manifests.CiliumOptions, ropts manifests.RenderOptions) *manifests.Rendered {
	t.Helper()
	ch, err := manifests.LoadPath(context.Background(), srcChart(version))
	require.NoError(t, err)
	r, err := manifests.RenderCilium(ch, methodKubeVersion, copts, ropts)
	require.NoError(t, err)
	return r
}

// methodGolden compares got with the golden file testdata/sources/golden/name (go test -update rewrites it).
func methodGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "sources", "golden", name), got)
}

func patchTexts(ps []patches.Patch) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestHelmInstallMethod(t *testing.T) {
	t.Parallel()
	noProxy := manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}
	tests := []struct {
		name         string
		version      string
		copts        manifests.CiliumOptions
		ropts        manifests.RenderOptions
		talos        manifests.TalosSettings
		opts         manifests.HelmInstallOptions
		wantCommands [][]string
		wantPatches  []patches.Patch
		golden       string
	}{
		{
			name:    "guide defaults",
			version: "1.18.12",
			talos:   manifests.TalosSettings{Contract: talos.V1_13},
			wantCommands: [][]string{
				{"helm", "install", "cilium", "cilium/cilium", "--version", "1.18.12", "--namespace", "kube-system", "--values", "values.yaml"},
			},
			wantPatches: []patches.Patch{must(patches.CNINone(talos.V1_13))},
			golden:      "helm-1.18.12-values.yaml",
		},
		{
			name:    "no kube-proxy, repository URL, other namespace",
			version: "1.19.6",
			copts:   noProxy,
			ropts:   manifests.RenderOptions{Namespace: "cilium", ReleaseName: "cni"},
			talos:   manifests.TalosSettings{Contract: talos.V1_13, KubeProxyDisabled: true},
			opts:    manifests.HelmInstallOptions{RepoURL: "https://helm.cilium.io/", ValuesFile: "cilium values.yaml"},
			wantCommands: [][]string{
				{"kubectl", "create", "namespace", "cilium"},
				{"kubectl", "label", "namespace", "cilium", "pod-security.kubernetes.io/enforce=privileged"},
				{"helm", "install", "cni", "cilium", "--repo", "https://helm.cilium.io/", "--version", "1.19.6", "--namespace", "cilium", "--values", "cilium values.yaml"},
			},
			wantPatches: []patches.Patch{must(patches.StrictMode(talos.V1_13))},
			golden:      "helm-1.19.6-noproxy-values.yaml",
		},
		{
			name:    "strict mode of the 1.11 guide on contract v1.11",
			version: "1.11.2",
			copts:   manifests.CiliumOptions{KubeProxyDisabled: true, APIServerHost: "10.5.0.2"},
			talos:   manifests.TalosSettings{KubeProxyDisabled: true, Contract: talos.V1_11},
			opts:    manifests.HelmInstallOptions{Chart: "oci://registry.example/charts/cilium"},
			wantCommands: [][]string{
				{"helm", "install", "cilium", "oci://registry.example/charts/cilium", "--version", "1.11.2", "--namespace", "kube-system", "--values", "values.yaml"},
			},
			wantPatches: []patches.Patch{must(patches.StrictMode(talos.V1_11))},
			golden:      "helm-1.11.2-strict-values.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := methodRender(t, tt.version, tt.copts, tt.ropts)
			h, err := manifests.HelmInstallMethod(r, tt.talos, tt.opts)
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(tt.wantCommands, h.Commands))
			require.Empty(t, cmp.Diff(patchTexts(tt.wantPatches), patchTexts(h.Patches)))
			methodGolden(t, tt.golden, h.Values)

			// The values file holds the same settings: a plain render with it (no presets)
			// gives the same objects.
			wantJSON, err := json.Marshal(r.Values)
			require.NoError(t, err)
			gotJSON, err := yaml.YAMLToJSON(h.Values)
			require.NoError(t, err)
			require.JSONEq(t, string(wantJSON), string(gotJSON))
			ch, err := manifests.LoadPath(context.Background(), srcChart(tt.version))
			require.NoError(t, err)
			ropts := tt.ropts
			ropts.ValuesFiles = [][]byte{h.Values}
			ropts.NamespaceLabels = manifests.CiliumNamespaceLabels()
			plain, err := manifests.Render(ch, methodKubeVersion, ropts)
			require.NoError(t, err)
			if tt.copts.CertificatesInCluster {
				require.Equal(t, string(r.YAML), string(plain.YAML))
			} else {
				require.Equal(t, len(r.Objects), len(plain.Objects))
			}
		})
	}
}

// must returns the patch of a recipe that cannot fail on its arguments; it panics on error.
func must(p patches.Patch, err error) patches.Patch {
	if err != nil {
		panic(err)
	}
	return p
}

func TestHelmInstallScript(t *testing.T) {
	t.Parallel()
	r := methodRender(t, "1.20.0", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{Namespace: "net"})
	h, err := manifests.HelmInstallMethod(r, manifests.TalosSettings{Contract: talos.V1_13}, manifests.HelmInstallOptions{ValuesFile: "my values.yaml"})
	require.NoError(t, err)
	methodGolden(t, "helm-1.20.0-net.sh", []byte(h.Script()))
}

func TestTemplateMethod(t *testing.T) {
	t.Parallel()
	r := methodRender(t, "1.17.18", manifests.CiliumOptions{}, manifests.RenderOptions{})
	m, err := manifests.TemplateMethod(r, manifests.TalosSettings{Contract: talos.V1_13}, manifests.TemplateOptions{})
	require.NoError(t, err)
	require.Equal(t, "cilium.yaml", m.File)
	require.Equal(t, r.YAML, m.Manifest)
	require.Equal(t, "kubectl apply -f cilium.yaml\n", m.Script())
	require.Empty(t, cmp.Diff(patchTexts([]patches.Patch{must(patches.CNINone(talos.V1_13))}), patchTexts(m.Patches)))

	m.Manifest[0] = 'X'
	require.NotEqual(t, r.YAML[0], m.Manifest[0], "the manifest is a copy")

	m, err = manifests.TemplateMethod(r, manifests.TalosSettings{Contract: talos.V1_13}, manifests.TemplateOptions{File: "out/c.yaml"})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"kubectl", "apply", "-f", "out/c.yaml"}}, m.Commands)
}

func TestHostedMethod(t *testing.T) {
	t.Parallel()
	const url = "https://example.com/cilium.yaml"
	withCerts := methodRender(t, "1.18.12", manifests.CiliumOptions{}, manifests.RenderOptions{})
	inCluster := methodRender(t, "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true, KubeProxyDisabled: true}, manifests.RenderOptions{Deterministic: true})
	cni, err := patches.CNICustom(talos.V1_13, url)
	require.NoError(t, err)
	v13 := manifests.TalosSettings{Contract: talos.V1_13}
	// The caller owns a Rendered: a Secret added to its YAML after the render is still refused.
	edited := *inCluster
	edited.YAML = append(slices.Clone(inCluster.YAML), "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: added\n  namespace: kube-system\nstringData:\n  token: x\n"...)
	require.Empty(t, edited.KeyMaterial)

	tests := []struct {
		name        string
		r           *manifests.Rendered
		url         string
		talos       manifests.TalosSettings
		opts        manifests.HostedOptions
		wantPatches []patches.Patch
		wantErr     error
		wantSecrets []string
	}{
		{
			name: "secrets refused", r: withCerts, url: url, talos: v13, wantErr: manifests.ErrSecretsInManifest,
			wantSecrets: []string{"v1 Secret kube-system/cilium-ca", "v1 Secret kube-system/hubble-server-certs"},
		},
		{
			name: "secret added after the render", r: &edited, url: url, talos: manifests.TalosSettings{Contract: talos.V1_13, KubeProxyDisabled: true},
			wantErr: manifests.ErrSecretsInManifest, wantSecrets: []string{"v1 Secret kube-system/added"},
		},
		{name: "secrets accepted", r: withCerts, url: url, talos: v13, opts: manifests.HostedOptions{AllowSecrets: true}, wantPatches: []patches.Patch{cni}},
		{
			name: "certificates in the cluster", r: inCluster, url: url, talos: manifests.TalosSettings{Contract: talos.V1_13, KubeProxyDisabled: true},
			wantPatches: []patches.Patch{cni, must(patches.KubeProxyDisabled(talos.V1_13))},
		},
		{name: "relative URL", r: inCluster, url: "cilium.yaml", talos: v13, wantErr: manifests.ErrInvalidMethodOptions},
		{name: "no URL", r: inCluster, url: "", talos: v13, wantErr: manifests.ErrInvalidMethodOptions},
		{name: "kube-proxy disabled but not replaced", r: withCerts, url: url, talos: manifests.TalosSettings{Contract: talos.V1_13, KubeProxyDisabled: true}, opts: manifests.HostedOptions{AllowSecrets: true}, wantErr: manifests.ErrInconsistentSettings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := manifests.HostedMethod(tt.r, tt.url, tt.talos, tt.opts)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				if tt.wantSecrets != nil {
					var se *manifests.SecretsError
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
			require.Empty(t, cmp.Diff(patchTexts(tt.wantPatches), patchTexts(h.Patches)))
		})
	}
}

func TestInconsistentSettings(t *testing.T) {
	t.Parallel()
	noService := methodRender(t, "1.18.12", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{
		Set: []string{"kubeProxyReplacement=true"},
	})
	_, err := manifests.InlineMethod(noService, manifests.TalosSettings{Contract: talos.V1_13, KubeProxyDisabled: true}, manifests.InlineOptions{})
	require.ErrorIs(t, err, manifests.ErrInconsistentSettings)
	require.Contains(t, err.Error(), "k8sServiceHost")

	_, err = manifests.TemplateMethod(nil, manifests.TalosSettings{Contract: talos.V1_13}, manifests.TemplateOptions{})
	require.ErrorIs(t, err, manifests.ErrInvalidMethodOptions)
}

// benchConfigs generates control-plane and worker configs with the shared secrets bundle.
func benchConfigs(t *testing.T) (cp, worker []byte) {
	t.Helper()
	data, err := os.ReadFile("../testdata/bench/secrets.yaml")
	require.NoError(t, err)
	s, err := config.LoadSecrets(data)
	require.NoError(t, err)
	cfgs, err := config.Generate(config.Cluster{
		Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_13, KubernetesVersion: "1.36.0",
	}, s)
	require.NoError(t, err)
	cp, err = config.Encode(cfgs.ControlPlane)
	require.NoError(t, err)
	worker, err = config.Encode(cfgs.Worker)
	require.NoError(t, err)
	return cp, worker
}

func TestInlineMethod(t *testing.T) {
	t.Parallel()
	r := methodRender(t, "1.18.12", manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	in, err := manifests.InlineMethod(r, manifests.TalosSettings{Contract: talos.V1_13, KubeProxyDisabled: true}, manifests.InlineOptions{})
	require.NoError(t, err)
	require.Equal(t, patches.Manifest{Name: "cilium", Contents: string(r.YAML)}, in.Manifest)
	require.Equal(t, must(patches.InlineManifest(talos.V1_13, "cilium", string(r.YAML))).String(), in.ControlPlanePatch.String())
	require.Empty(t, cmp.Diff(patchTexts([]patches.Patch{must(patches.StrictMode(talos.V1_13))}), patchTexts(in.Patches)))
	require.Equal(t, len(r.YAML), in.Size.ManifestBytes)
	require.NotEmpty(t, in.Size.Exceeded(), "inline Cilium never fits user data")

	cp, worker := benchConfigs(t)
	cpOut, err := manifests.ApplyInline(cp, in)
	require.NoError(t, err)
	workerOut, err := manifests.ApplyInline(worker, in)
	require.NoError(t, err)

	load := func(b []byte) (names, contents []string, cni string, proxyDisabled bool) {
		t.Helper()
		p, err := configloader.NewFromBytes(b)
		require.NoError(t, err)
		for _, m := range p.K8sInlineManifestConfigs() {
			names = append(names, m.Name())
			contents = append(contents, m.Contents())
		}
		return names, contents, p.RawV1Alpha1().ClusterConfig.ClusterNetwork.CNI.CNIName, !p.K8sProxyConfig().Enabled()
	}
	names, contents, cni, noProxy := load(cpOut)
	require.Equal(t, []string{"cilium"}, names)
	require.Equal(t, string(r.YAML), contents[0])
	require.Equal(t, "none", cni)
	require.True(t, noProxy)
	names, _, cni, noProxy = load(workerOut)
	require.Empty(t, names, "workers get no inline manifest")
	require.Equal(t, "none", cni)
	require.True(t, noProxy)

	// Applying a new render replaces the manifest by name.
	r2 := methodRender(t, "1.19.6", manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}, manifests.RenderOptions{})
	in2, err := manifests.InlineMethod(r2, manifests.TalosSettings{Contract: talos.V1_13, KubeProxyDisabled: true}, manifests.InlineOptions{})
	require.NoError(t, err)
	cpOut2, err := manifests.ApplyInline(cpOut, in2)
	require.NoError(t, err)
	names, contents, _, _ = load(cpOut2)
	require.Equal(t, []string{"cilium"}, names)
	require.Equal(t, string(r2.YAML), contents[0])

	// The sizes of the real control-plane config.
	rep := manifests.CheckSizes(r.YAML, r.Objects, cpOut)
	require.Equal(t, len(cpOut), rep.ConfigBytes)
	require.Greater(t, rep.ConfigBytes, rep.ManifestBytes)
	require.Len(t, rep.Checks, 4)
	require.True(t, rep.Checks[0].Fits, "fits the maintenance API")
	require.False(t, rep.Checks[1].Fits, "does not fit AWS user data")
	require.False(t, rep.Checks[2].Fits, "does not fit Hetzner user data")
	require.True(t, rep.Checks[3].Fits, "objects fit etcd")

	_, err = manifests.InlineMethod(r, manifests.TalosSettings{Contract: talos.V1_13}, manifests.InlineOptions{Name: "Not_Valid"})
	require.ErrorIs(t, err, manifests.ErrInvalidMethodOptions)
	_, err = manifests.ApplyInline([]byte("not: a config\n"), in)
	require.Error(t, err)
}

func TestCheckInlineManifests(t *testing.T) {
	t.Parallel()
	r := methodRender(t, "1.20.0", manifests.CiliumOptions{CertificatesInCluster: true}, manifests.RenderOptions{})
	in, err := manifests.InlineMethod(r, manifests.TalosSettings{Contract: talos.V1_13}, manifests.InlineOptions{})
	require.NoError(t, err)
	cp, worker := benchConfigs(t)
	withCilium, err := manifests.ApplyInline(cp, in)
	require.NoError(t, err)
	other := in
	other.ControlPlanePatch = must(patches.InlineManifest(talos.V1_13, "cilium", "# other\n"))
	withOther, err := manifests.ApplyInline(cp, other)
	require.NoError(t, err)
	extra, err := patches.Apply(withCilium, must(patches.InlineManifest(talos.V1_13, "extra", "# extra\n")))
	require.NoError(t, err)
	plain, err := patches.Apply(cp, in.Patches...)
	require.NoError(t, err)

	tests := []struct {
		name    string
		configs []manifests.NodeConfig
		want    []manifests.InlineMismatch
	}{
		{name: "identical", configs: []manifests.NodeConfig{{"cp1", withCilium}, {"cp2", withCilium}, {"cp3", withCilium}}},
		{name: "workers are skipped", configs: []manifests.NodeConfig{{"w1", worker}, {"cp1", withCilium}, {"w2", worker}, {"cp2", withCilium}}},
		{name: "none", configs: nil},
		{
			name:    "missing, different, extra",
			configs: []manifests.NodeConfig{{"cp1", withCilium}, {"cp2", plain}, {"cp3", withOther}, {"cp4", extra}},
			want: []manifests.InlineMismatch{
				{Config: "cp2", Manifest: "cilium", Problem: "missing"},
				{Config: "cp3", Manifest: "cilium", Problem: "different contents"},
				{Config: "cp4", Manifest: "extra", Problem: "extra"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := manifests.CheckInlineManifests(tt.configs...)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, manifests.ErrInlineMismatch)
			var me *manifests.InlineMismatchError
			require.ErrorAs(t, err, &me)
			require.Equal(t, "cp1", me.Reference)
			require.Empty(t, cmp.Diff(tt.want, me.Mismatches))
		})
	}

	err = manifests.CheckInlineManifests(manifests.NodeConfig{Name: "broken", Config: []byte("{")})
	require.ErrorContains(t, err, "broken")
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
			rep := manifests.CheckSizes(tt.manifest, nil, tt.cfg)
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
	rep := manifests.CheckSizes(nil, objs, nil)
	require.Equal(t, manifests.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: "a", Name: "big"}, rep.LargestObject)
	last := rep.Checks[len(rep.Checks)-1]
	require.Equal(t, "etcd object", last.Limit)
	require.False(t, last.Fits)
	require.Equal(t, "etcd object (1572864 bytes): object v1 ConfigMap a/big 2097248 bytes: too large", last.String())
	require.Len(t, rep.Exceeded(), 1)
}

// TestMethodsContract: the contract is required, and the methods pass on the recipes' refusal
// of contract v1.14 (whose CNI and kube-proxy settings are documents the recipes do not write
// yet).
func TestMethodsContract(t *testing.T) {
	t.Parallel()
	r := methodRender(t, "1.18.12", manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	for _, tc := range []struct {
		name    string
		c       talos.Contract
		wantErr error
	}{
		{name: "zero contract", wantErr: talos.ErrNoContract},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			settings := manifests.TalosSettings{Contract: tc.c, KubeProxyDisabled: true}
			_, helmErr := manifests.HelmInstallMethod(r, settings, manifests.HelmInstallOptions{})
			_, templateErr := manifests.TemplateMethod(r, settings, manifests.TemplateOptions{})
			_, inlineErr := manifests.InlineMethod(r, settings, manifests.InlineOptions{})
			_, hostedErr := manifests.HostedMethod(r, "https://example.com/cilium.yaml", settings, manifests.HostedOptions{})
			for method, err := range map[string]error{"helm": helmErr, "template": templateErr, "inline": inlineErr, "hosted": hostedErr} {
				require.ErrorIs(t, err, manifests.ErrInvalidMethodOptions, method)
				require.ErrorIs(t, err, tc.wantErr, method)
			}
		})
	}
}

// TestMethodsOnV114: every method's patches, in the v1.14 forms, applied to the configs of a
// v1.14 cluster (to every node: the control-plane patches carry their scope) give configs
// machinery v1.14.1 validates; the inline method writes a KubeInlineManifestConfig document, the
// hosted method the flannel deletion and a KubeExternalManifestConfig.
func TestMethodsOnV114(t *testing.T) {
	t.Parallel()

	r := methodRender(t, "1.18.12", manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}, manifests.RenderOptions{Deterministic: true})
	settings := manifests.TalosSettings{Contract: talos.V1_14, KubeProxyDisabled: true}

	secrets, err := config.LoadSecrets(benchSecretsYAML(t))
	require.NoError(t, err)

	cfgs, err := config.Generate(config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0"}, secrets)
	require.NoError(t, err)

	h, err := manifests.HelmInstallMethod(r, settings, manifests.HelmInstallOptions{})
	require.NoError(t, err)

	m, err := manifests.TemplateMethod(r, settings, manifests.TemplateOptions{})
	require.NoError(t, err)

	hosted, err := manifests.HostedMethod(r, "https://example.com/cilium.yaml", settings, manifests.HostedOptions{})
	require.NoError(t, err)

	in, err := manifests.InlineMethod(r, settings, manifests.InlineOptions{})
	require.NoError(t, err)
	require.Equal(t, patches.ScopeControlPlane, in.ControlPlanePatch.Scope())
	require.Contains(t, in.ControlPlanePatch.String(), "kind: KubeInlineManifestConfig")

	for name, ps := range map[string][]patches.Patch{
		"helm":     h.Patches,
		"template": m.Patches,
		"hosted":   hosted.Patches,
		"inline":   append(slices.Clone(in.Patches), in.ControlPlanePatch),
	} {
		for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
			cfg, err := cfgs.Node(role, config.Layers{AllNodes: ps})
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
			case name == "inline" && role == config.RoleControlPlane:
				require.Len(t, inline, 1)
				require.Equal(t, string(r.YAML), inline[0].Contents())
			case name == "hosted" && role == config.RoleControlPlane:
				require.Len(t, external, 1)
				require.Equal(t, "https://example.com/cilium.yaml", external[0].URL())
			default:
				require.Empty(t, inline, "%s %s", name, role)
				require.Empty(t, external, "%s %s", name, role)
			}
		}
	}
}

// TestCheckInlineManifestsBothForms: a name in a KubeInlineManifestConfig document and in
// cluster.inlineManifests of one config is reported (Talos accepts it and silently drops one).
func TestCheckInlineManifestsBothForms(t *testing.T) {
	t.Parallel()

	secrets, err := config.LoadSecrets(benchSecretsYAML(t))
	require.NoError(t, err)

	cfgs, err := config.Generate(config.Cluster{Name: "demo", Endpoint: "https://10.5.0.2:6443", Contract: talos.V1_14, KubernetesVersion: "1.37.0"}, secrets)
	require.NoError(t, err)

	cp, err := config.Encode(cfgs.ControlPlane)
	require.NoError(t, err)

	both := string(cp) + "---\napiVersion: v1alpha1\nkind: KubeInlineManifestConfig\nname: cilium\nmanifest: 'a: 1'\n"
	both = strings.Replace(both, "cluster:\n", "cluster:\n    inlineManifests:\n        - name: cilium\n          contents: 'a: 2'\n", 1)

	err = manifests.CheckInlineManifests(manifests.NodeConfig{Name: "cp-1", Config: []byte(both)})
	require.ErrorIs(t, err, manifests.ErrInlineMismatch)

	var me *manifests.InlineMismatchError
	require.ErrorAs(t, err, &me)
	require.Equal(t, []manifests.InlineMismatch{{Config: "cp-1", Manifest: "cilium", Problem: "in both forms"}}, me.Mismatches)
}

func benchSecretsYAML(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../testdata/bench/secrets.yaml")
	require.NoError(t, err)
	return data
}

package config_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

func TestValidateGenerated(t *testing.T) {
	t.Parallel()

	s := loadBench(t)

	withDisk := demo()
	withDisk.InstallDisk = "/dev/sda"

	old := demo()
	old.Contract, old.KubernetesVersion = talos.V1_0, "1.23.6"

	v114 := withDisk
	v114.Contract, v114.KubernetesVersion, v114.KubeSpan = talos.V1_14, "1.37.0", true
	v114.InstallImage = "ghcr.io/siderolabs/installer:v1.14.1" // v1.14 warns without one

	for _, tc := range []struct {
		name    string
		cluster config.Cluster
		mode    config.Mode
		paths   []string // field paths of the errors, sorted; nil: valid
		cpPaths []string // more paths for the control plane only
	}{
		{"container", demo(), config.ModeContainer, nil, nil},
		{"cloud", demo(), config.ModeCloud, nil, nil},
		{"metal without install disk", demo(), config.ModeMetal, []string{"v1alpha1 /machine/install/disk"}, nil},
		{"metal with install disk", withDisk, config.ModeMetal, nil, nil},
		{"v1.14 container", v114, config.ModeContainer, nil, nil},
		{"v1.14 metal with install disk", v114, config.ModeMetal, nil, nil},
		// machinery v1.14 needs an etcd encryption secret for v1.0-v1.2 control planes, which
		// get the aescbc secret a v1.13 bundle does not have: Talos's own finding, passed on.
		{"v1.0 in container mode", old, config.ModeContainer, []string{"v1alpha1 /machine/features/hostDNS"}, []string{"v1alpha1 /cluster/etcd"}},
		{"v1.0 in the cloud", old, config.ModeCloud, nil, []string{"v1alpha1 /cluster/etcd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			cfgs, err := config.Generate(tc.cluster, s)
			require.NoError(t, err)

			for _, cfg := range []coreconfig.Provider{cfgs.ControlPlane, cfgs.Worker} {
				warnings, err := config.Validate(cfg, tc.mode)
				require.Empty(t, warnings)

				want := tc.paths
				if cfg == cfgs.ControlPlane {
					want = append(slices.Clone(want), tc.cpPaths...)
					slices.Sort(want)
				}

				if want == nil {
					require.NoError(t, err)

					continue
				}

				require.ErrorIs(t, err, config.ErrInvalid)
				require.Equal(t, want, fieldPaths(err), "err: %v", err)
			}
		})
	}
}

// TestValidateExtraChecks: what machinery does not check, every problem at once, each with
// its field path.
func TestValidateExtraChecks(t *testing.T) {
	t.Parallel()

	cfgs, err := config.Generate(demo(), loadBench(t))
	require.NoError(t, err)

	for _, tc := range []struct {
		name     string
		patch    string
		more     string // a second patch, if any
		sentinel error
		paths    []string
		text     string
	}{
		{
			name:     "endpoint with a path",
			patch:    "cluster:\n  controlPlane:\n    endpoint: https://10.5.0.2:6443/k8s\n",
			sentinel: config.ErrEndpoint,
			paths:    []string{"v1alpha1 /cluster/controlPlane/endpoint"},
			text:     `fix: "https://10.5.0.2:6443"`,
		},
		{
			name:     "endpoint http",
			patch:    "cluster:\n  controlPlane:\n    endpoint: http://cp.example.com:6443\n",
			sentinel: config.ErrEndpoint,
			paths:    []string{"v1alpha1 /cluster/controlPlane/endpoint"},
			text:     `fix: "https://cp.example.com:6443"`,
		},
		{
			name:     "custom cni without urls (machinery only warns)",
			patch:    "cluster:\n  network:\n    cni:\n      name: custom\n",
			sentinel: config.ErrCNI,
			paths:    []string{"v1alpha1 /cluster/network/cni/urls"},
		},
		{
			name:     "kubespan without discovery",
			patch:    "cluster:\n  discovery:\n    enabled: false\n---\napiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\n",
			sentinel: config.ErrInvalid,
			paths:    []string{"v1alpha1 /cluster/discovery/enabled"},
			text:     "kubespan needs cluster discovery",
		},
		{
			name:     "kubespan without cluster id and secret",
			patch:    "apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\n",
			more:     `[{"op":"remove","path":"/cluster/id"},{"op":"remove","path":"/cluster/secret"}]`,
			sentinel: config.ErrInvalid,
			paths:    []string{"v1alpha1 /cluster/id", "v1alpha1 /cluster/secret"},
			text:     "kubespan needs cluster.secret",
		},
		{
			name:     "legacy kubespan problems reported once each",
			patch:    "machine:\n  network:\n    kubespan:\n      enabled: true\n      mtu: 1000\n      filters:\n        endpoints: ['10.0.0.0/33', '0.0.0.0/0']\n",
			sentinel: config.ErrInvalid,
			paths: []string{
				"v1alpha1 /machine/network/kubespan/filters/endpoints/0",
				"v1alpha1 /machine/network/kubespan/mtu",
			},
		},
		{
			name:     "kubespan document problems are under the document",
			patch:    "apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\nmtu: 1000\nfilters:\n  endpoints: ['10.0.0.0/33', '0.0.0.0/0']\n",
			sentinel: config.ErrInvalid,
			paths:    []string{"KubeSpanConfig /filters/endpoints/0", "KubeSpanConfig /mtu"},
		},
		{
			name:     "machinery's problem of another document names that document",
			patch:    "apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: node-1\n",
			sentinel: config.ErrInvalid,
			paths:    []string{"HostnameConfig"},
			text:     "'auto' and 'hostname' cannot be set at the same time",
		},
		{
			name:     "several problems",
			patch:    "cluster:\n  controlPlane:\n    endpoint: https://10.5.0.2:6443/k8s\n  network:\n    dnsDomain: \"bad domain\"\n    cni:\n      name: none\n      urls: [https://example.com/cni.yaml]\n",
			sentinel: config.ErrCNI,
			paths: []string{
				"v1alpha1 /cluster/controlPlane/endpoint",
				"v1alpha1 /cluster/network/cni/urls",
				"v1alpha1 /cluster/network/dnsDomain",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			ps := []patches.Patch{patches.MustParse(tc.patch)}
			if tc.more != "" {
				ps = append(ps, patches.MustParse(tc.more))
			}

			cfg, err := node(cfgs, config.RoleControlPlane, config.Layers{}, ps...)
			require.NoError(t, err)

			_, err = config.Validate(cfg, config.ModeContainer)
			require.ErrorIs(t, err, tc.sentinel)
			require.Equal(t, tc.paths, fieldPaths(err), "err: %v", err)

			if tc.text != "" {
				require.ErrorContains(t, err, tc.text)
			}
		})
	}
}

func TestValidateWarnings(t *testing.T) {
	t.Parallel()

	cfgs, err := config.Generate(demo(), loadBench(t))
	require.NoError(t, err)

	// machinery warns about a CNI URL that is not https? No: it warns about the legacy
	// machine.type name; use a deprecated field that warns.
	cfg, err := node(cfgs, config.RoleWorker, config.Layers{}, patches.MustParse("machine:\n  type: join\n"))
	require.NoError(t, err)

	warnings, err := config.Validate(cfg, config.ModeContainer)
	require.NoError(t, err)
	require.Equal(t, []talos.Warning{{Message: `use "worker" instead of "join" for machine type`}}, warnings)
}

func TestValidateArguments(t *testing.T) {
	t.Parallel()

	cfgs, err := config.Generate(demo(), loadBench(t))
	require.NoError(t, err)

	_, err = config.Validate(nil, config.ModeContainer)
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = config.Validate(cfgs.Worker, config.ModeUnknown)
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = config.Validate(cfgs.Worker, config.Mode(9))
	require.ErrorIs(t, err, config.ErrInvalid)
}

func TestModeText(t *testing.T) {
	t.Parallel()

	for _, m := range []config.Mode{config.ModeContainer, config.ModeMetal, config.ModeCloud} {
		text, err := m.MarshalText()
		require.NoError(t, err)
		require.Equal(t, m.String(), string(text))

		var back config.Mode
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, m, back)
	}

	require.True(t, config.ModeMetal.RequiresInstall())
	require.False(t, config.ModeCloud.RequiresInstall())
	require.False(t, config.ModeContainer.RequiresInstall())
	require.True(t, config.ModeContainer.InContainer())
	require.False(t, config.ModeMetal.InContainer())

	var m config.Mode
	require.ErrorIs(t, m.UnmarshalText([]byte("unknown")), config.ErrInvalid)
	require.ErrorIs(t, m.UnmarshalText([]byte("docker")), config.ErrInvalid)

	_, err := config.ModeUnknown.MarshalText()
	require.ErrorIs(t, err, config.ErrInvalid)
}

// TestValidateV114Conflicts: on a v1.14 config, each v1alpha1 field beside the document that
// replaced it is reported at the field's path, naming the document and the recipe; a
// control-plane-only document in a worker config names the document and the fix.
func TestValidateV114Conflicts(t *testing.T) {
	t.Parallel()

	c := demo()
	c.Contract, c.KubernetesVersion, c.KubeSpan = talos.V1_14, "1.37.0", true

	cfgs, err := config.Generate(c, loadBench(t))
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		role   config.Role
		patch  string
		paths  []string
		fix    string // in the error of the first path
		reason string // machinery's own text, kept
	}{
		{"cni in v1alpha1", config.RoleControlPlane, "cluster:\n  network:\n    cni:\n      name: none\n",
			[]string{"v1alpha1 /cluster/network"}, "patches.CNINone", "KubeNetworkConfig document"},
		{"proxy in v1alpha1", config.RoleControlPlane, "cluster:\n  proxy:\n    disabled: true\n",
			[]string{"v1alpha1 /cluster/proxy"}, "the KubeProxyConfig document: use patches.KubeProxyDisabled", "can't be used with KubeProxyConfig document"},
		{"discovery in v1alpha1", config.RoleWorker, "cluster:\n  discovery:\n    enabled: false\n",
			[]string{"v1alpha1 /cluster/discovery"}, "patches.ClusterDiscovery", "discovery service is already configured"},
		{"cluster id in v1alpha1", config.RoleWorker, "cluster:\n  id: " + loadBench(t).ClusterID() + "\n  secret: " + loadBench(t).ClusterSecret() + "\n",
			[]string{"v1alpha1 /cluster/id"}, "DiscoveryIdentityConfig", "cluster identity is already configured"},
		{"kubeprism in v1alpha1", config.RoleWorker, "machine:\n  features:\n    kubePrism:\n      enabled: true\n      port: 7445\n",
			[]string{"v1alpha1 /machine/features/kubePrism"}, "KubePrismConfig", "can't be used with KubePrismConfig"},
		{"kubespan in v1alpha1", config.RoleWorker, "machine:\n  network:\n    kubespan:\n      enabled: true\n",
			[]string{"v1alpha1 /machine/network/kubespan"}, "move the settings into the KubeSpanConfig document", "kubespan configured twice"},
		{"node labels in v1alpha1", config.RoleWorker, "machine:\n  nodeLabels:\n    zone: a\n",
			[]string{"v1alpha1 /machine/nodeLabels"}, "config.NodeSettings.Labels", ".machine.nodeLabels is already set in v1alpha1 config"},
		{"hostname in v1alpha1", config.RoleWorker, "machine:\n  network:\n    hostname: worker-1\n",
			[]string{"v1alpha1 /machine/network/hostname"}, "config.NodeSettings.Hostname", "static hostname is already set"},
		{"api server in v1alpha1", config.RoleControlPlane, "cluster:\n  apiServer:\n    extraArgs:\n      v: \"2\"\n",
			[]string{"v1alpha1 /cluster/apiServer"}, "KubeAPIServerConfig", "kube-apiserver config is already set"},
		{"kube-proxy document on a worker", config.RoleWorker, "apiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n",
			[]string{"KubeProxyConfig"}, "config.Layers.ControlPlane", "only allowed on control plane machines"},
		{"flannel document on a worker", config.RoleWorker, "apiVersion: v1alpha1\nkind: KubeFlannelCNIConfig\nbackendType: vxlan\n",
			[]string{"KubeFlannelCNIConfig"}, "--config-patch-control-plane", "only allowed on control plane machines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			role, err := cfgs.Role(tc.role)
			require.NoError(t, err)

			// As written: patches.Apply would translate the v1alpha1 fields into their documents.
			cfg, _, err := patches.ApplyWithOptions(role, patches.Options{NoTranslation: true}, patches.MustParse(tc.patch))
			if errors.Is(err, patches.ErrControlPlaneOnly) {
				// patches refuse to put the document into a worker config; a hand-written file
				// can still have it.
				base, err := config.Encode(cfgs.Worker)
				require.NoError(t, err)

				cfg, err = config.Load(append(base, []byte("---\n"+tc.patch)...))
				require.NoError(t, err)
			} else {
				require.NoError(t, err)
			}

			_, err = config.Validate(cfg, config.ModeContainer)
			require.ErrorIs(t, err, config.ErrInvalid)
			require.Equal(t, tc.paths, fieldPaths(err), "err: %v", err)
			require.ErrorContains(t, err, tc.fix)
			require.ErrorContains(t, err, tc.reason)
		})
	}
}

// TestLoadWrittenConfigs: the bytes Encode and EncodeWithComments write read back with Load into
// configs that encode to the same bytes and validate, for the newest and an older contract.
func TestLoadWrittenConfigs(t *testing.T) {
	t.Parallel()

	for _, contract := range []talos.Contract{talos.V1_14, talos.V1_11} {
		c := demo()
		c.Contract, c.KubernetesVersion = contract, contract.Kubernetes().Default

		cfgs, err := config.Generate(c, loadBench(t))
		require.NoError(t, err)

		for role, cfg := range map[config.Role]coreconfig.Provider{config.RoleControlPlane: cfgs.ControlPlane, config.RoleWorker: cfgs.Worker} {
			compact, err := config.Encode(cfg)
			require.NoError(t, err)

			commented, err := config.EncodeWithComments(cfg)
			require.NoError(t, err)

			for _, data := range [][]byte{compact, commented} {
				loaded, err := config.Load(data)
				require.NoError(t, err)
				require.Equal(t, role, config.RoleOf(loaded))

				again, err := config.Encode(loaded)
				require.NoError(t, err)
				require.Equal(t, string(compact), string(again), "%s %s", contract, role)

				_, err = config.Validate(loaded, config.ModeContainer)
				require.NoError(t, err)
			}
		}
	}

	for _, bad := range []string{"", "  \n", "version: v1alpha1\nmachine:\n  nope: 1\n", "apiVersion: v1alpha1\nkind: NoSuchConfig\n"} {
		cfg, err := config.Load([]byte(bad))
		require.ErrorIs(t, err, config.ErrInvalid, bad)
		require.Nil(t, cfg)
	}

	require.Equal(t, config.RoleUnknown, config.RoleOf(nil))
}

// TestValidateV114Documents: what machinery lets through in v1.14 documents is reported with the
// document and field: an inline manifest name in both forms, and a cluster secret of 31 bytes.
func TestValidateV114Documents(t *testing.T) {
	t.Parallel()

	c := demo()
	c.Contract, c.KubernetesVersion = talos.V1_14, "1.37.0"

	cfgs, err := config.Generate(c, loadBench(t))
	require.NoError(t, err)

	// A hand-written file with both forms (patches.InlineManifest would drop the legacy entry).
	cp, err := config.Encode(cfgs.ControlPlane)
	require.NoError(t, err)

	text := strings.Replace(string(cp), "cluster:\n", "cluster:\n    inlineManifests:\n        - name: cilium\n          contents: 'a: 2'\n", 1) +
		"---\napiVersion: v1alpha1\nkind: KubeInlineManifestConfig\nname: cilium\nmanifest: 'a: 1'\n"

	both, err := config.Load([]byte(text))
	require.NoError(t, err)

	_, err = config.Validate(both, config.ModeContainer)
	require.ErrorIs(t, err, config.ErrInvalid)
	require.Equal(t, []string{`KubeInlineManifestConfig "cilium" /name`}, fieldPaths(err))
	require.ErrorContains(t, err, "silently drops one")

	short, err := node(cfgs, config.RoleWorker, config.Layers{}, patches.MustParse("apiVersion: v1alpha1\nkind: DiscoveryIdentityConfig\nclusterID: "+loadBench(t).ClusterID()+"\nclusterSecret: PDnRsV8A+6SAKHRPLWSWhQX4ggLBEgKH+JASMLI8iQ==\n"))
	require.NoError(t, err)

	_, err = config.Validate(short, config.ModeContainer)
	require.ErrorIs(t, err, config.ErrInvalid)
	require.Equal(t, []string{"DiscoveryIdentityConfig /clusterSecret"}, fieldPaths(err))
}

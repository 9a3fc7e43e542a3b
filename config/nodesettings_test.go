package config_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/configtest"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

func TestNodeSettingsPatch(t *testing.T) {
	t.Parallel()

	s := config.NodeSettings{
		Hostname: "cp-0",
		Labels:   map[string]string{"example.com/node": "cp-0"},
		Taints:   map[string]string{"dedicated": "db:NoSchedule"},
		CertSANs: []string{"10.0.0.1"},
	}

	p, err := s.Patch(talos.V1_11)
	require.NoError(t, err)
	require.Equal(t, patches.KindStrategic, p.Kind())
	require.Equal(t, "machine:\n  certSANs:\n    - 10.0.0.1\n  network:\n    hostname: cp-0\n  nodeLabels:\n    example.com/node: cp-0\n  nodeTaints:\n    dedicated: db:NoSchedule\n", p.String())

	p, err = s.Patch(talos.V1_13)
	require.NoError(t, err)
	require.Equal(t, "machine:\n  certSANs:\n    - 10.0.0.1\n  nodeLabels:\n    example.com/node: cp-0\n  nodeTaints:\n    dedicated: db:NoSchedule\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nauto: 'off'\nhostname: cp-0\n", p.String())

	p, err = s.Patch(talos.V1_14)
	require.NoError(t, err)
	require.Equal(t, "machine:\n  certSANs:\n    - 10.0.0.1\n---\napiVersion: v1alpha1\nkind: KubeNodeConfig\nlabels:\n  example.com/node: cp-0\ntaints:\n  dedicated: db:NoSchedule\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nauto: 'off'\nhostname: cp-0\n", p.String())

	zero, err := config.NodeSettings{}.Patch(talos.V1_14)
	require.NoError(t, err)
	require.True(t, zero.IsZero())

	_, err = s.Patch(0)
	require.ErrorIs(t, err, config.ErrNoContract)
}

// TestNodeSettingsBadInput: what Talos or Kubernetes refuses is an error naming the setting and
// the fix, and nothing is built.
func TestNodeSettingsBadInput(t *testing.T) {
	t.Parallel()

	cfgs := configtest.Roles(t, "v1.14")

	b, err := cfgs.NewBuilder(config.Layers{})
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		s    config.NodeSettings
		path string
		text string
	}{
		{"uppercase hostname", config.NodeSettings{Hostname: "Worker-1"}, "/hostname", "uppercase"},
		{"underscore hostname", config.NodeSettings{Hostname: "worker_1"}, "/hostname", "underscore"},
		{"long hostname", config.NodeSettings{Hostname: strings.Repeat("a", 64)}, "/hostname", "longer than 63"},
		{"hostname ends with dash", config.NodeSettings{Hostname: "worker-"}, "/hostname", "'-'"},
		{"label key", config.NodeSettings{Labels: map[string]string{"bad key": "x"}}, "/labels/bad key", "label key"},
		{"label value", config.NodeSettings{Labels: map[string]string{"zone": "eu 1"}}, "/labels/zone", "label value"},
		{"long label value", config.NodeSettings{Labels: map[string]string{"zone": strings.Repeat("x", 64)}}, "/labels/zone", "label value"},
		{"label key with slash", config.NodeSettings{Labels: map[string]string{"a/b/c": "x"}}, "/labels/a~1b~1c", "label key"},
		{"taint without effect", config.NodeSettings{Taints: map[string]string{"dedicated": "db"}}, "/taints/dedicated", "effect"},
		{"taint bad effect", config.NodeSettings{Taints: map[string]string{"dedicated": "db:Sometimes"}}, "/taints/dedicated", "NoSchedule, PreferNoSchedule, NoExecute"},
		{"annotation key", config.NodeSettings{Annotations: map[string]string{"-x": "y"}}, "/annotations/-x", "annotation key"},
		{"empty SAN", config.NodeSettings{CertSANs: []string{" "}}, "/certSANs/0", "host name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			err := tc.s.Validate()
			require.ErrorIs(t, err, config.ErrNodeSettings)
			require.Equal(t, []string{tc.path}, fieldPaths(err), "err: %v", err)
			require.ErrorContains(t, err, tc.text)

			cfg, err := nodeWithSettings(cfgs, config.RoleWorker, config.Layers{}, tc.s)
			require.ErrorIs(t, err, config.ErrNodeSettings)
			require.Nil(t, cfg)

			out, err := b.Build(config.Node{Role: config.RoleWorker, Settings: tc.s})
			require.ErrorIs(t, err, config.ErrNodeSettings)
			require.Nil(t, out)

			p, err := tc.s.Patch(talos.V1_14)
			require.ErrorIs(t, err, config.ErrNodeSettings)
			require.True(t, p.IsZero())
		})
	}
}

func TestNodeConfigDoesNotModifyInputs(t *testing.T) {
	t.Parallel()

	cfgs := configtest.Roles(t, "v1.13")
	before, err := config.Encode(cfgs.Worker)
	require.NoError(t, err)

	s := config.NodeSettings{Labels: map[string]string{"a": "b"}, CertSANs: []string{"10.0.0.1"}}

	got, err := nodeWithSettings(cfgs, config.RoleWorker, config.Layers{}, s)
	require.NoError(t, err)

	// Changing the result changes neither the role config nor the settings.
	got.RawV1Alpha1().MachineConfig.MachineNodeLabels["a"] = "changed"
	got.RawV1Alpha1().MachineConfig.MachineCertSANs[0] = "192.0.2.1"

	after, err := config.Encode(cfgs.Worker)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))
	require.Equal(t, config.NodeSettings{Labels: map[string]string{"a": "b"}, CertSANs: []string{"10.0.0.1"}}, s)
}

// TestNodeConfigKeepsRoleAnnotations checks that settings merged into a role config with
// node annotations leave the role's annotations alone (machinery's DeepCopy shares that map).
func TestNodeConfigKeepsRoleAnnotations(t *testing.T) {
	t.Parallel()

	role, err := node(configtest.Roles(t, "v1.13"), config.RoleWorker, config.Layers{AllNodes: []patches.Patch{
		patches.MustParse("machine:\n  nodeAnnotations:\n    a: b\n"),
	}})
	require.NoError(t, err)

	before, err := config.Encode(role)
	require.NoError(t, err)

	_, err = nodeWithSettings(config.Configs{Worker: role}, config.RoleWorker, config.Layers{}, config.NodeSettings{
		Annotations: map[string]string{"node": "n", "a": "c"},
	})
	require.NoError(t, err)

	after, err := config.Encode(role)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))
}

func TestNodeConfigErrors(t *testing.T) {
	t.Parallel()

	cfgs := configtest.Roles(t, "v1.13")

	_, err := nodeWithSettings(cfgs, config.RoleUnknown, config.Layers{}, config.NodeSettings{})
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = nodeWithSettings(cfgs, config.RoleWorker, config.Layers{}, config.NodeSettings{Labels: map[string]string{"a": "b"}},
		patches.MustParse(`[{"op":"remove","path":"/machine/nope"}]`))

	var le *config.LayerError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "node", le.Layer)
	require.ErrorIs(t, err, patches.ErrMissingPath)
}

// nodeSettingsCases are the node settings the Builder tests run over.
var nodeSettingsCases = []struct {
	name string
	s    config.NodeSettings
}{
	{"zero", config.NodeSettings{}},
	{"label and SAN", config.NodeSettings{Labels: map[string]string{"example.com/node": "worker-7"}, CertSANs: []string{"10.0.0.8"}}},
	{"every field", config.NodeSettings{
		Labels:      map[string]string{"a": "1", "b": "", "zone": "eu-1"},
		Annotations: map[string]string{"example.com/rack": "r7", "quoted": "yes"},
		Taints:      map[string]string{"dedicated": "db:NoSchedule"},
		CertSANs:    []string{"10.0.0.8", "node.example", "fd00::8"},
	}},
	{"overrides a role label", config.NodeSettings{Labels: map[string]string{"role": "node"}}},
	{"empty value keeps a role label", config.NodeSettings{Labels: map[string]string{"role": ""}}},
	{"empty maps", config.NodeSettings{Labels: map[string]string{}, CertSANs: []string{}}},
	{"only SANs", config.NodeSettings{CertSANs: []string{"role.example", "10.0.0.9"}}},
	{"only taints", config.NodeSettings{Taints: map[string]string{"role": "x:NoExecute"}}},
	{"hostname", config.NodeSettings{Hostname: "worker-7"}},
	{"fqdn and labels", config.NodeSettings{Hostname: "worker-7.dc1.example", Labels: map[string]string{"zone": "eu-1"}, Taints: map[string]string{"gpu": "NoSchedule"}}},
	{"true-looking values", config.NodeSettings{Labels: map[string]string{"enabled": "true", "n": "1"}, Annotations: map[string]string{"x": "null"}}},
}

package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/patches"
)

func TestNodeWithSettingsEqualsPatch(t *testing.T) {
	t.Parallel()

	settings := nodeSettingsCases

	// A role layer that sets what the settings then override or extend.
	roleLayer := patches.MustParse("machine:\n  nodeLabels:\n    role: worker\n  certSANs:\n    - role.example\n")

	for _, contract := range []string{"v1.13", "v1.11"} {
		cfgs := nodeEncoderRoles(t, contract)

		for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
			for _, layers := range []config.Layers{{}, {AllNodes: []patches.Patch{roleLayer}}} {
				for _, tt := range settings {
					for _, extra := range [][]patches.Patch{nil, {patches.MustParse("machine:\n  nodeLabels:\n    a: from-node-patch\n")}} {
						t.Run(contract+"/"+role.String()+"/"+tt.name, func(t *testing.T) {
							t.Parallel()

							p, err := tt.s.Patch()
							require.NoError(t, err)

							viaPatch := append([]patches.Patch{}, extra...)
							if !p.IsZero() {
								viaPatch = append([]patches.Patch{p}, extra...)
							}

							want, err := cfgs.Node(role, layers, viaPatch...)
							require.NoError(t, err)

							got, err := cfgs.NodeWithSettings(role, layers, tt.s, extra...)
							require.NoError(t, err)

							wantYAML, err := config.Encode(want)
							require.NoError(t, err)

							gotYAML, err := config.Encode(got)
							require.NoError(t, err)

							if diff := cmp.Diff(string(wantYAML), string(gotYAML)); diff != "" {
								t.Fatalf("NodeWithSettings differs from Node with the settings' patch (-patch +settings):\n%s", diff)
							}
						})
					}
				}
			}
		}
	}
}

func TestNodeSettingsPatch(t *testing.T) {
	t.Parallel()

	p, err := config.NodeSettings{
		Labels:   map[string]string{"example.com/node": "cp-0"},
		Taints:   map[string]string{"dedicated": "db:NoSchedule"},
		CertSANs: []string{"10.0.0.1"},
	}.Patch()
	require.NoError(t, err)
	require.Equal(t, patches.KindStrategic, p.Kind())
	require.Equal(t, "machine:\n  certSANs:\n  - 10.0.0.1\n  nodeLabels:\n    example.com/node: cp-0\n  nodeTaints:\n    dedicated: db:NoSchedule\n", p.String())

	zero, err := config.NodeSettings{}.Patch()
	require.NoError(t, err)
	require.True(t, zero.IsZero())
}

func TestNodeWithSettingsDoesNotModifyInputs(t *testing.T) {
	t.Parallel()

	cfgs := nodeEncoderRoles(t, "v1.13")
	before, err := config.Encode(cfgs.Worker)
	require.NoError(t, err)

	s := config.NodeSettings{Labels: map[string]string{"a": "b"}, CertSANs: []string{"10.0.0.1"}}

	got, err := cfgs.NodeWithSettings(config.RoleWorker, config.Layers{}, s)
	require.NoError(t, err)

	// Changing the result changes neither the role config nor the settings.
	got.RawV1Alpha1().MachineConfig.MachineNodeLabels["a"] = "changed"
	got.RawV1Alpha1().MachineConfig.MachineCertSANs[0] = "192.0.2.1"

	after, err := config.Encode(cfgs.Worker)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))
	require.Equal(t, config.NodeSettings{Labels: map[string]string{"a": "b"}, CertSANs: []string{"10.0.0.1"}}, s)
}

// TestNodeWithSettingsKeepsRoleAnnotations checks that settings merged into a role config with
// node annotations leave the role's annotations alone (machinery's DeepCopy shares that map).
func TestNodeWithSettingsKeepsRoleAnnotations(t *testing.T) {
	t.Parallel()

	role, err := nodeEncoderRoles(t, "v1.13").Node(config.RoleWorker, config.Layers{AllNodes: []patches.Patch{
		patches.MustParse("machine:\n  nodeAnnotations:\n    a: b\n"),
	}})
	require.NoError(t, err)

	before, err := config.Encode(role)
	require.NoError(t, err)

	_, err = config.Configs{Worker: role}.NodeWithSettings(config.RoleWorker, config.Layers{}, config.NodeSettings{
		Annotations: map[string]string{"node": "n", "a": "c"},
	})
	require.NoError(t, err)

	after, err := config.Encode(role)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))
}

func TestNodeWithSettingsErrors(t *testing.T) {
	t.Parallel()

	cfgs := nodeEncoderRoles(t, "v1.13")

	_, err := cfgs.NodeWithSettings(config.RoleUnknown, config.Layers{}, config.NodeSettings{})
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = cfgs.NodeWithSettings(config.RoleWorker, config.Layers{}, config.NodeSettings{Labels: map[string]string{"a": "b"}},
		patches.MustParse(`[{"op":"remove","path":"/machine/nope"}]`))

	var le *config.LayerError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "node", le.Layer)
	require.ErrorIs(t, err, patches.ErrMissingPath)
}

func BenchmarkNodeWithSettings(b *testing.B) {
	cfgs := nodeEncoderRoles(b, "v1.13")
	s := config.NodeSettings{Labels: map[string]string{"example.com/node": "worker-7"}, CertSANs: []string{"10.0.0.8"}}

	p, err := s.Patch()
	require.NoError(b, err)

	b.Run("NodeWithSettings", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			if _, err := cfgs.NodeWithSettings(config.RoleWorker, config.Layers{}, s); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Node with the patch", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			if _, err := cfgs.Node(config.RoleWorker, config.Layers{}, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// nodeSettingsCases are the node settings the NodeWithSettings and NodeEncoder tests run over.
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
}

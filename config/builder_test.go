package config_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/configtest"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// roleConfigs returns Configs with cfg as the config of role.
func roleConfigs(role config.Role, cfg coreconfig.Provider) config.Configs {
	if role == config.RoleWorker {
		return config.Configs{Worker: cfg}
	}

	return config.Configs{ControlPlane: cfg}
}

// builderOf returns a Builder for the one role config base.
func builderOf(t testing.TB, role config.Role, base coreconfig.Provider) *config.Builder {
	t.Helper()

	b, err := roleConfigs(role, base).NewBuilder(config.Layers{})
	require.NoError(t, err)

	return b
}

// TestBuildEqualsPatch: Build (the fast path for nodes without patches), Config + Encode (the
// general path) and the settings' patch text applied with package patches give the same bytes,
// for every contract form, role, layer and settings case.
func TestBuildEqualsPatch(t *testing.T) {
	t.Parallel()

	for _, contract := range configtest.SettingsContracts {
		cfgs := configtest.Roles(t, contract)
		roleText, nodeText := configtest.LayerTexts(contract)
		roleLayer := patches.MustParse(roleText)

		for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
			for li, layers := range []config.Layers{{}, {AllNodes: []patches.Patch{roleLayer}}} {
				base, err := node(cfgs, role, layers)
				require.NoError(t, err)

				for bi, base := range []coreconfig.Provider{base, configtest.WithKubeSpan(t, base, network.NewKubeSpanV1Alpha1())} {
					b := builderOf(t, role, base)

					for _, tt := range nodeSettingsCases {
						t.Run(fmt.Sprintf("%s/%s/layers%d/base%d/%s", contract, role, li, bi, tt.name), func(t *testing.T) {
							t.Parallel()

							want := configtest.ViaSettingsPatch(t, contract, base, tt.s)

							got, err := b.Build(config.Node{Role: role, Settings: tt.s})
							require.NoError(t, err)

							if diff := cmp.Diff(want, string(got)); diff != "" {
								t.Fatalf("Build differs from the settings' patch (-patch +build):\n%s", diff)
							}

							cfg, err := b.Config(config.Node{Role: role, Settings: tt.s})
							require.NoError(t, err)

							general, err := config.Encode(cfg)
							require.NoError(t, err)
							require.Equal(t, want, string(general), "Config + Encode")

							// With a node patch: the settings' patch, then the node's.
							ps := []patches.Patch{patches.MustParse(nodeText)}
							wantCfg, err := patches.ApplyProvider(cfg, ps...)
							require.NoError(t, err)

							wantYAML, err := config.Encode(wantCfg)
							require.NoError(t, err)

							got, err = b.Build(config.Node{Role: role, Settings: tt.s, Patches: ps})
							require.NoError(t, err)
							require.Equal(t, string(wantYAML), string(got), "Build with a node patch")

							// Talos accepts the node's config.
							_, err = config.Validate(cfg, config.ModeContainer)
							require.NoError(t, err)
						})
					}
				}
			}
		}
	}
}

// nodeSettingsSamples holds a non-zero value for every field of NodeSettings, by field name. A
// field without one fails TestBuildEveryNodeSettingsField: a new field needs a sample here.
var nodeSettingsSamples = map[string]any{
	"Hostname":    "node-7",
	"Labels":      map[string]string{"example.com/node": "node-7", "zone": ""},
	"Annotations": map[string]string{"example.com/rack": "r7"},
	"Taints":      map[string]string{"dedicated": "db:NoSchedule"},
	"CertSANs":    []string{"10.0.0.8", "node-7.example"},
}

// settingsWith returns NodeSettings with the sample values of the named fields.
func settingsWith(t testing.TB, fields ...string) config.NodeSettings {
	t.Helper()

	var s config.NodeSettings

	v := reflect.ValueOf(&s).Elem()

	for _, name := range fields {
		sample, ok := nodeSettingsSamples[name]
		if !ok {
			t.Fatalf("NodeSettings.%s has no sample value: add one to nodeSettingsSamples, and make NodeSettings.documents write the field (the patch text is written from it)", name)
		}

		v.FieldByName(name).Set(reflect.ValueOf(sample))
	}

	return s
}

// settingsFields are the names of NodeSettings' fields, by reflection.
func settingsFields() []string {
	t := reflect.TypeFor[config.NodeSettings]()

	var names []string

	for i := range t.NumField() {
		names = append(names, t.Field(i).Name)
	}

	return names
}

// TestBuildEveryNodeSettingsField: every field of NodeSettings (found by reflection), alone, in
// pairs and all together, changes the node's config, and the fast path, the general path and
// the settings' patch text agree on it, for every contract form and role.
func TestBuildEveryNodeSettingsField(t *testing.T) {
	t.Parallel()

	fields := settingsFields()

	var combos [][]string

	for i, a := range fields {
		combos = append(combos, []string{a})

		for _, b := range fields[i+1:] {
			combos = append(combos, []string{a, b})
		}
	}

	combos = append(combos, fields)

	for _, contract := range configtest.SettingsContracts {
		cfgs := configtest.Roles(t, contract)

		for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
			base, err := cfgs.Role(role)
			require.NoError(t, err)

			b := builderOf(t, role, base)

			baseYAML, err := config.Encode(base)
			require.NoError(t, err)

			for _, combo := range combos {
				t.Run(fmt.Sprintf("%s/%s/%s", contract, role, strings.Join(combo, "+")), func(t *testing.T) {
					t.Parallel()

					s := settingsWith(t, combo...)
					require.False(t, s.IsZero(), "IsZero must see every field")

					fast, err := b.Build(config.Node{Role: role, Settings: s})
					require.NoError(t, err)
					require.NotEqual(t, string(baseYAML), string(fast), "NodeSettings.%s changes nothing: NodeSettings.documents must write it", combo)

					cfg, err := b.Config(config.Node{Role: role, Settings: s})
					require.NoError(t, err)

					general, err := config.Encode(cfg)
					require.NoError(t, err)

					if diff := cmp.Diff(string(general), string(fast)); diff != "" {
						t.Fatalf("fast path differs from the general path for %v (-general +fast):\n%s", combo, diff)
					}

					require.Equal(t, configtest.ViaSettingsPatch(t, contract, base, s), string(fast), "the settings' patch text")
				})
			}
		}
	}
}

// TestBuildGeneralPath covers a base without a v1alpha1 document, where the fast path does not
// apply: the settings are then added as the general path adds them.
func TestBuildGeneralPath(t *testing.T) {
	t.Parallel()

	base, err := container.New(network.NewKubeSpanV1Alpha1())
	require.NoError(t, err)

	b := builderOf(t, config.RoleWorker, base)
	s := config.NodeSettings{Labels: map[string]string{"example.com/node": "n"}, CertSANs: []string{"10.0.0.1"}}

	got, err := b.Build(config.Node{Role: config.RoleWorker, Settings: s})
	require.NoError(t, err)

	cfg, err := b.Config(config.Node{Role: config.RoleWorker, Settings: s})
	require.NoError(t, err)

	want, err := config.Encode(cfg)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	require.Contains(t, string(got), "example.com/node: ")
}

func TestBuildModifiesNothing(t *testing.T) {
	t.Parallel()

	cfgs := configtest.Roles(t, "v1.13")
	layers := config.Layers{AllNodes: []patches.Patch{
		patches.MustParse("machine:\n  nodeLabels:\n    role: worker\n  nodeAnnotations:\n    a: b\n  certSANs:\n    - role.example\n"),
	}}

	b, err := cfgs.NewBuilder(layers)
	require.NoError(t, err)

	base, err := b.Config(config.Node{Role: config.RoleWorker})
	require.NoError(t, err)

	baseYAML, err := config.Encode(base)
	require.NoError(t, err)

	workerBefore, err := config.Encode(cfgs.Worker)
	require.NoError(t, err)

	s := config.NodeSettings{
		Hostname:    "w-1",
		Labels:      map[string]string{"role": "node", "x": "1"},
		Annotations: map[string]string{"a": "1"},
		Taints:      map[string]string{"t": "v:NoSchedule"},
		CertSANs:    []string{"10.0.0.1"},
	}
	saved := config.NodeSettings{
		Hostname: s.Hostname, Labels: maps.Clone(s.Labels), Annotations: maps.Clone(s.Annotations),
		Taints: maps.Clone(s.Taints), CertSANs: slices.Clone(s.CertSANs),
	}

	first, err := b.Build(config.Node{Role: config.RoleWorker, Settings: s})
	require.NoError(t, err)

	// Changing a built config changes neither the builder nor the settings.
	cfg, err := b.Config(config.Node{Role: config.RoleWorker, Settings: s})
	require.NoError(t, err)

	cfg.RawV1Alpha1().MachineConfig.MachineNodeLabels["role"] = "changed"
	cfg.RawV1Alpha1().MachineConfig.MachineNodeAnnotations["a"] = "changed"
	cfg.RawV1Alpha1().MachineConfig.MachineCertSANs[0] = "192.0.2.1"
	base.RawV1Alpha1().MachineConfig.MachineNodeLabels["role"] = "changed"

	for range 3 {
		again, err := b.Build(config.Node{Role: config.RoleWorker, Settings: s})
		require.NoError(t, err)
		require.Equal(t, string(first), string(again))
	}

	require.Equal(t, saved, s, "the settings are not modified")

	zero, err := b.Build(config.Node{Role: config.RoleWorker})
	require.NoError(t, err)
	require.Equal(t, string(baseYAML), string(zero))

	workerAfter, err := config.Encode(cfgs.Worker)
	require.NoError(t, err)
	require.Equal(t, string(workerBefore), string(workerAfter), "the Configs are not modified")
}

func TestBuilderAppend(t *testing.T) {
	t.Parallel()

	cfgs := configtest.Roles(t, "v1.13")

	for _, base := range []coreconfig.Provider{cfgs.Worker, configtest.WithKubeSpan(t, cfgs.Worker, network.NewKubeSpanV1Alpha1())} {
		b := builderOf(t, config.RoleWorker, base)

		// One buffer reused for node after node gives what fresh encodings give.
		var buf []byte

		for i := range 5 {
			n := config.Node{Role: config.RoleWorker, Settings: config.NodeSettings{
				Labels:   map[string]string{"example.com/node": fmt.Sprint("node-", i)},
				CertSANs: []string{fmt.Sprintf("10.0.0.%d", i+1)},
			}}

			want, err := b.Build(n)
			require.NoError(t, err)

			buf, err = b.Append(buf[:0], n)
			require.NoError(t, err)
			require.Equal(t, string(want), string(buf))

			// Appending keeps what dst holds, on both paths.
			out, err := b.Append([]byte("prefix\n"), n)
			require.NoError(t, err)
			require.Equal(t, "prefix\n"+string(want), string(out))

			n.Patches = []patches.Patch{patches.MustParse("machine:\n  nodeLabels:\n    p: q\n")}
			want, err = b.Build(n)
			require.NoError(t, err)

			out, err = b.Append([]byte("prefix\n"), n)
			require.NoError(t, err)
			require.Equal(t, "prefix\n"+string(want), string(out))
		}
	}
}

func TestBuilderErrors(t *testing.T) {
	t.Parallel()

	cfgs := configtest.Roles(t, "v1.13")

	b, err := cfgs.NewBuilder(config.Layers{})
	require.NoError(t, err)

	_, err = b.Build(config.Node{})
	require.ErrorIs(t, err, config.ErrInvalid)
	require.ErrorContains(t, err, "set Node.Role")

	var zero *config.Builder
	_, err = zero.Build(config.Node{Role: config.RoleWorker})
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = (&config.Builder{}).Config(config.Node{Role: config.RoleWorker})
	require.ErrorIs(t, err, config.ErrInvalid)

	onlyWorker := builderOf(t, config.RoleWorker, cfgs.Worker)
	_, err = onlyWorker.Build(config.Node{Role: config.RoleControlPlane})
	require.ErrorIs(t, err, config.ErrInvalid)
	require.ErrorContains(t, err, "no controlplane config")

	dst := []byte("kept")
	out, err := b.Append(dst, config.Node{Role: config.RoleWorker, Settings: config.NodeSettings{Hostname: "Bad_Name"}})
	require.ErrorIs(t, err, config.ErrNodeSettings)
	require.Equal(t, "kept", string(out), "on error dst is returned unchanged")

	_, err = b.Build(config.Node{Role: config.RoleWorker, Settings: config.NodeSettings{Labels: map[string]string{"a": "b"}},
		Patches: []patches.Patch{patches.MustParse(`[{"op":"remove","path":"/machine/nope"}]`)}})

	var le *config.LayerError
	require.ErrorAs(t, err, &le)
	require.Equal(t, "node", le.Layer)
	require.ErrorIs(t, err, patches.ErrMissingPath)

	_, err = cfgs.NewBuilder(config.Layers{AllNodes: []patches.Patch{patches.MustParse(`[{"op":"remove","path":"/machine/nope"}]`)}})
	require.ErrorAs(t, err, &le)
	require.Equal(t, "allNodes", le.Layer)
}

func TestBuilderConcurrent(t *testing.T) {
	t.Parallel()

	cfgs := configtest.Roles(t, "v1.14")
	b, err := cfgs.NewBuilder(config.Layers{})
	require.NoError(t, err)

	var wg sync.WaitGroup

	for i := range 8 {
		wg.Go(func() {
			role := []config.Role{config.RoleWorker, config.RoleControlPlane}[i%2]
			base, _ := cfgs.Role(role)
			s := config.NodeSettings{
				Labels:   map[string]string{"example.com/node": fmt.Sprint("node-", i)},
				CertSANs: []string{fmt.Sprintf("10.0.0.%d", i+1)},
				Hostname: fmt.Sprint("node-", i),
			}

			for range 10 {
				got, err := b.Build(config.Node{Role: role, Settings: s})
				require.NoError(t, err)
				require.Equal(t, configtest.ViaSettingsPatch(t, "v1.14", base, s), string(got))
			}
		})
	}

	wg.Wait()
}

// FuzzBuild checks that any label, annotation, hostname and SAN strings build on the fast path
// as the settings' patch text applied with package patches gives them.
func FuzzBuild(f *testing.F) {
	for _, s := range []string{"worker-1", "", " x", "a\nb\n", "yes", "0x1F", "#c", "- x", "a: b", "ü", "role",
		"a\u2028b", "\u2029x", "a\rb", "\ufeffa", "a\tb", "'q'", "a\xffb", "\U0001F600"} {
		f.Add(s, s, s)
		f.Add("example.com/note", s, s)
	}

	type roleBase struct {
		contract string
		base     coreconfig.Provider
		b        *config.Builder
	}

	var bases []roleBase

	for _, contract := range configtest.SettingsContracts {
		roleText, _ := configtest.LayerTexts(contract)

		base, err := node(configtest.Roles(f, contract), config.RoleControlPlane, config.Layers{AllNodes: []patches.Patch{patches.MustParse(roleText)}})
		require.NoError(f, err)

		bases = append(bases, roleBase{contract, base, builderOf(f, config.RoleControlPlane, base)})
	}

	f.Fuzz(func(t *testing.T, key, value, san string) {
		// Keys and label values Kubernetes refuses are errors (TestNodeSettingsBadInput);
		// annotation values and SANs are free text.
		s := config.NodeSettings{
			Labels:      map[string]string{key: value},
			Annotations: map[string]string{"example.com/note": value, key: san},
			CertSANs:    []string{san},
			Hostname:    strings.ToLower(key),
		}

		if s.Validate() != nil {
			s.Labels, s.Hostname = map[string]string{"example.com/node": "n"}, ""
			s.Annotations = map[string]string{"example.com/note": value}
			s.CertSANs = nil
		}

		if s.Validate() != nil {
			return
		}

		for _, rb := range bases {
			p, err := s.Patch(talos.MustParseContract(rb.contract))
			require.NoError(t, err)

			cfg, err := patches.ApplyProvider(rb.base, p)
			if err != nil {
				t.Skip(err)
			}

			want, err := config.Encode(cfg)
			if err != nil {
				t.Skip(err)
			}

			got, err := rb.b.Build(config.Node{Role: config.RoleControlPlane, Settings: s})
			require.NoError(t, err)

			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Fatalf("Build differs from the settings' patch (-patch +build):\n%s", diff)
			}
		}
	})
}

// BenchmarkBuild: a worker node of the fleet (a label and a SAN) per contract: Build (the fast
// path, into a reused buffer), and for comparison Config + Encode (the general path: the
// settings' patch applied with package patches).
func BenchmarkBuild(b *testing.B) {
	for _, contract := range []string{"v1.13", "v1.14"} {
		b.Run(contract, func(b *testing.B) {
			bld, err := configtest.Roles(b, contract).NewBuilder(config.Layers{})
			require.NoError(b, err)

			n := config.Node{Role: config.RoleWorker, Settings: config.NodeSettings{
				Labels: map[string]string{"example.com/node": "worker-7"}, CertSANs: []string{"10.0.0.8"},
			}}

			b.Run("Append", func(b *testing.B) {
				b.ReportAllocs()

				var buf []byte

				for b.Loop() {
					if buf, err = bld.Append(buf[:0], n); err != nil {
						b.Fatal(err)
					}
				}
			})

			b.Run("Config+Encode", func(b *testing.B) {
				b.ReportAllocs()

				for b.Loop() {
					cfg, err := bld.Config(n)
					if err != nil {
						b.Fatal(err)
					}

					if _, err := config.Encode(cfg); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func ExampleBuilder() {
	data, err := os.ReadFile("../testdata/bench/secrets.yaml")
	if err != nil {
		fmt.Println(err)

		return
	}

	secrets, err := config.LoadSecrets(data)
	if err != nil {
		fmt.Println(err)

		return
	}

	cfgs, err := config.Generate(config.Cluster{Name: "demo", Endpoint: "https://demo.example:6443", Contract: talos.V1_13, KubernetesVersion: "1.35.0"}, secrets)
	if err != nil {
		fmt.Println(err)

		return
	}

	b, err := cfgs.NewBuilder(config.Layers{AllNodes: []patches.Patch{patches.MustParse("machine:\n  nodeLabels:\n    example.com/fleet: demo\n")}})
	if err != nil {
		fmt.Println(err)

		return
	}

	out, err := b.Build(config.Node{Role: config.RoleWorker, Settings: config.NodeSettings{
		Labels:   map[string]string{"example.com/node": "worker-0"},
		CertSANs: []string{"10.0.0.4"},
	}})
	if err != nil {
		fmt.Println(err)

		return
	}

	for line := range bytes.Lines(out) {
		if bytes.Contains(line, []byte("example.com/")) || bytes.Contains(line, []byte("10.0.0.4")) {
			fmt.Print(string(bytes.TrimSpace(line)), "\n")
		}
	}
	// Output:
	// - 10.0.0.4
	// example.com/fleet: demo
	// example.com/node: worker-0
}

// TestBuilderEncode: a config from Builder.Config, encoded with Builder.Encode, is what Encode
// and Build give, for a node with patches of its own.
func TestBuilderEncode(t *testing.T) {
	t.Parallel()

	cfgs := configtest.Roles(t, "v1.13")

	b, err := cfgs.NewBuilder(config.Layers{})
	require.NoError(t, err)

	n := config.Node{
		Role:     config.RoleControlPlane,
		Settings: config.NodeSettings{Hostname: "cp-1", Labels: map[string]string{"zone": "a"}},
		Patches:  []patches.Patch{patches.MustParse("machine:\n  sysctls:\n    vm.max_map_count: \"262144\"\n")},
	}

	cfg, err := b.Config(n)
	require.NoError(t, err)

	got, err := b.Encode(n.Role, cfg)
	require.NoError(t, err)

	want, err := config.Encode(cfg)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))

	built, err := b.Build(n)
	require.NoError(t, err)
	require.Equal(t, string(built), string(got))

	_, err = b.Encode(config.RoleUnknown, cfg)
	require.ErrorIs(t, err, config.ErrInvalid)
}

// TestBuilderValidate: Builder.Validate reports what Validate reports for the role config with
// the layers applied (a layer that breaks the config included), and does not change it.
func TestBuilderValidate(t *testing.T) {
	t.Parallel()

	cfgs := configtest.Roles(t, "v1.13")

	for name, layers := range map[string]config.Layers{
		"valid":  {},
		"broken": {Worker: []patches.Patch{patches.MustParse("cluster:\n  controlPlane:\n    endpoint: not-a-url\n")}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			b, err := cfgs.NewBuilder(layers)
			require.NoError(t, err)

			for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
				cfg, err := b.Config(config.Node{Role: role})
				require.NoError(t, err)

				wantWarnings, wantErr := config.Validate(cfg, config.ModeMetal)

				before, err := b.Build(config.Node{Role: role})
				require.NoError(t, err)

				warnings, err := b.Validate(role, config.ModeMetal)
				require.Equal(t, wantWarnings, warnings)
				require.Equal(t, fmt.Sprint(wantErr), fmt.Sprint(err))

				if name == "broken" && role == config.RoleWorker {
					require.ErrorIs(t, err, config.ErrInvalid)
				}

				after, err := b.Build(config.Node{Role: role})
				require.NoError(t, err)
				require.Equal(t, string(before), string(after), "Validate changed the role config")
			}

			_, err = b.Validate(config.RoleUnknown, config.ModeMetal)
			require.ErrorIs(t, err, config.ErrInvalid)
		})
	}
}

package config_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
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
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// roleConfigs returns cs with the role config of role replaced by cfg.
func roleConfigs(role config.Role, cfg coreconfig.Provider) config.Configs {
	if role == config.RoleWorker {
		return config.Configs{Worker: cfg}
	}

	return config.Configs{ControlPlane: cfg}
}

// viaNodeWithSettings is what EncodeWithSettings must return: NodeWithSettings, then Encode.
func viaNodeWithSettings(t testing.TB, role config.Role, base coreconfig.Provider, s config.NodeSettings) string {
	t.Helper()

	node, err := roleConfigs(role, base).NodeWithSettings(role, config.Layers{}, s)
	require.NoError(t, err)

	out, err := config.Encode(node)
	require.NoError(t, err)

	return string(out)
}

func TestEncodeWithSettingsEqualsNodeWithSettings(t *testing.T) {
	t.Parallel()

	settings := nodeSettingsCases

	for _, contract := range settingsContracts {
		cfgs := nodeEncoderRoles(t, contract)
		roleText, _ := layerTexts(contract)
		roleLayer := patches.MustParse(roleText)

		for _, role := range []config.Role{config.RoleControlPlane, config.RoleWorker} {
			for li, layers := range []config.Layers{{}, {AllNodes: []patches.Patch{roleLayer}}} {
				base, err := cfgs.Node(role, layers)
				require.NoError(t, err)

				bases := []coreconfig.Provider{base, withKubeSpan(t, base, network.NewKubeSpanV1Alpha1())}

				for bi, base := range bases {
					enc, err := config.NewNodeEncoder(base)
					require.NoError(t, err)

					for _, tt := range settings {
						t.Run(fmt.Sprintf("%s/%s/layers%d/base%d/%s", contract, role, li, bi, tt.name), func(t *testing.T) {
							t.Parallel()

							want := viaNodeWithSettings(t, role, base, tt.s)

							got, err := enc.EncodeWithSettings(tt.s)
							require.NoError(t, err)

							if diff := cmp.Diff(want, string(got)); diff != "" {
								t.Fatalf("EncodeWithSettings differs from Encode(NodeWithSettings) (-want +got):\n%s", diff)
							}
						})
					}
				}
			}
		}
	}
}

// TestEncodeWithSettingsGeneralPath covers a base without a v1alpha1 document, which the settings
// add as NodeWithSettings does.
func TestEncodeWithSettingsGeneralPath(t *testing.T) {
	t.Parallel()

	base, err := container.New(network.NewKubeSpanV1Alpha1())
	require.NoError(t, err)

	enc, err := config.NewNodeEncoder(base)
	require.NoError(t, err)

	s := config.NodeSettings{Labels: map[string]string{"example.com/node": "n"}, CertSANs: []string{"10.0.0.1"}}

	got, err := enc.EncodeWithSettings(s)
	require.NoError(t, err)
	require.Equal(t, viaNodeWithSettings(t, config.RoleWorker, base, s), string(got))
}

func TestEncodeWithSettingsModifiesNothing(t *testing.T) {
	t.Parallel()

	cfgs := nodeEncoderRoles(t, "v1.13")
	base, err := cfgs.Node(config.RoleWorker, config.Layers{AllNodes: []patches.Patch{
		patches.MustParse("machine:\n  nodeLabels:\n    role: worker\n  certSANs:\n    - role.example\n"),
	}})
	require.NoError(t, err)

	baseYAML, err := config.Encode(base)
	require.NoError(t, err)

	enc, err := config.NewNodeEncoder(base)
	require.NoError(t, err)

	s := config.NodeSettings{
		Labels:      map[string]string{"role": "node", "x": "1"},
		Annotations: map[string]string{"a": "1"},
		Taints:      map[string]string{"t": "v:NoSchedule"},
		CertSANs:    []string{"10.0.0.1"},
	}
	saved := config.NodeSettings{
		Labels: maps.Clone(s.Labels), Annotations: maps.Clone(s.Annotations),
		Taints: maps.Clone(s.Taints), CertSANs: slices.Clone(s.CertSANs),
	}

	first, err := enc.EncodeWithSettings(s)
	require.NoError(t, err)

	for range 3 {
		again, err := enc.EncodeWithSettings(s)
		require.NoError(t, err)
		require.Equal(t, string(first), string(again))
	}

	require.Equal(t, saved, s, "the settings are not modified")

	// Neither the encoder's base nor the caller's config changed.
	zero, err := enc.EncodeWithSettings(config.NodeSettings{})
	require.NoError(t, err)
	require.Equal(t, string(baseYAML), string(zero))

	fromBase, err := enc.Encode(base)
	require.NoError(t, err)
	require.Equal(t, string(baseYAML), string(fromBase))

	after, err := config.Encode(base)
	require.NoError(t, err)
	require.Equal(t, string(baseYAML), string(after))
}

func TestAppendWithSettings(t *testing.T) {
	t.Parallel()

	cfgs := nodeEncoderRoles(t, "v1.13")

	for _, base := range []coreconfig.Provider{cfgs.Worker, withKubeSpan(t, cfgs.ControlPlane, network.NewKubeSpanV1Alpha1())} {
		enc, err := config.NewNodeEncoder(base)
		require.NoError(t, err)

		// One buffer reused for node after node gives what fresh encodings give.
		var buf []byte

		for i := range 5 {
			s := config.NodeSettings{
				Labels:   map[string]string{"example.com/node": fmt.Sprint("node-", i)},
				CertSANs: []string{fmt.Sprintf("10.0.0.%d", i+1)},
			}

			want, err := enc.EncodeWithSettings(s)
			require.NoError(t, err)

			buf, err = enc.AppendWithSettings(buf[:0], s)
			require.NoError(t, err)
			require.Equal(t, string(want), string(buf))

			// Appending keeps what dst holds.
			out, err := enc.AppendWithSettings([]byte("prefix\n"), s)
			require.NoError(t, err)
			require.Equal(t, "prefix\n"+string(want), string(out))
		}
	}

	// The general path (a base without a v1alpha1 document) appends too.
	onlyKubeSpan, err := container.New(network.NewKubeSpanV1Alpha1())
	require.NoError(t, err)

	enc, err := config.NewNodeEncoder(onlyKubeSpan)
	require.NoError(t, err)

	s := config.NodeSettings{Labels: map[string]string{"a": "b"}}
	out, err := enc.AppendWithSettings([]byte("x"), s)
	require.NoError(t, err)
	require.Equal(t, "x"+viaNodeWithSettings(t, config.RoleWorker, onlyKubeSpan, s), string(out))
}

func TestEncodeWithSettingsErrors(t *testing.T) {
	t.Parallel()

	var nilEnc *config.NodeEncoder
	_, err := nilEnc.EncodeWithSettings(config.NodeSettings{})
	require.ErrorIs(t, err, config.ErrInvalid)

	_, err = (&config.NodeEncoder{}).EncodeWithSettings(config.NodeSettings{CertSANs: []string{"x"}})
	require.ErrorIs(t, err, config.ErrInvalid)

	dst := []byte("kept")
	out, err := (&config.NodeEncoder{}).AppendWithSettings(dst, config.NodeSettings{})
	require.ErrorIs(t, err, config.ErrInvalid)
	require.Equal(t, "kept", string(out), "on error dst is returned unchanged")
}

func TestEncodeWithSettingsConcurrent(t *testing.T) {
	t.Parallel()

	base := nodeEncoderRoles(t, "v1.13").Worker
	enc, err := config.NewNodeEncoder(base)
	require.NoError(t, err)

	var wg sync.WaitGroup

	for i := range 8 {
		wg.Go(func() {
			s := config.NodeSettings{
				Labels:   map[string]string{"example.com/node": fmt.Sprint("worker-", i)},
				CertSANs: []string{fmt.Sprintf("10.0.0.%d", i+1)},
			}

			for range 20 {
				got, err := enc.EncodeWithSettings(s)
				require.NoError(t, err)
				require.Equal(t, viaNodeWithSettings(t, config.RoleWorker, base, s), string(got))
			}
		})
	}

	wg.Wait()
}

// FuzzEncodeWithSettings checks that any label, annotation and SAN strings encode as
// NodeWithSettings and Encode give them.
func FuzzEncodeWithSettings(f *testing.F) {
	for _, s := range []string{"worker-1", "", " x", "a\nb\n", "yes", "0x1F", "#c", "- x", "a: b", "ü", "role"} {
		f.Add(s, s, s)
	}

	for _, s := range trickyStrings {
		f.Add("example.com/note", s, s)
		f.Add(s, "v", "10.0.0.1")
	}

	type roleBase struct {
		base coreconfig.Provider
		enc  *config.NodeEncoder
	}

	var bases []roleBase

	for _, contract := range settingsContracts {
		roleText, _ := layerTexts(contract)

		base, err := nodeEncoderRoles(f, contract).Node(config.RoleControlPlane, config.Layers{AllNodes: []patches.Patch{patches.MustParse(roleText)}})
		require.NoError(f, err)

		enc, err := config.NewNodeEncoder(base)
		require.NoError(f, err)

		bases = append(bases, roleBase{base, enc})
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

		for _, b := range bases {
			node, err := config.Configs{ControlPlane: b.base}.NodeWithSettings(config.RoleControlPlane, config.Layers{}, s)
			if err != nil {
				t.Skip(err)
			}

			want, err := config.Encode(node)
			if err != nil {
				t.Skip(err)
			}

			got, err := b.enc.EncodeWithSettings(s)
			require.NoError(t, err)

			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Fatalf("EncodeWithSettings differs (-want +got):\n%s", diff)
			}
		}
	})
}

// BenchmarkEncodeWithSettings: a worker node of the fleet (a label and a SAN) per contract. On
// v1.13 the label is a v1alpha1 field and takes the fast path; on v1.14 it is the KubeNodeConfig
// document, so the node goes through the general path (a strategic merge of the settings'
// documents, then an encoding that reuses the role's unchanged documents).
func BenchmarkEncodeWithSettings(b *testing.B) {
	for _, contract := range []string{"v1.13", "v1.14"} {
		b.Run(contract, func(b *testing.B) { benchmarkEncodeWithSettings(b, contract) })
	}
}

func benchmarkEncodeWithSettings(b *testing.B, contract string) {
	base := nodeEncoderRoles(b, contract).Worker
	s := config.NodeSettings{Labels: map[string]string{"example.com/node": "worker-7"}, CertSANs: []string{"10.0.0.8"}}

	enc, err := config.NewNodeEncoder(base)
	require.NoError(b, err)

	b.Run("NodeWithSettings+Encode", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			node, err := config.Configs{Worker: base}.NodeWithSettings(config.RoleWorker, config.Layers{}, s)
			if err != nil {
				b.Fatal(err)
			}

			if _, err := enc.Encode(node); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("EncodeWithSettings", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			if _, err := enc.EncodeWithSettings(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func ExampleNodeEncoder_EncodeWithSettings() {
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

	enc, err := config.NewNodeEncoder(cfgs.Worker)
	if err != nil {
		fmt.Println(err)

		return
	}

	out, err := enc.EncodeWithSettings(config.NodeSettings{
		Labels:   map[string]string{"example.com/node": "worker-0"},
		CertSANs: []string{"10.0.0.4"},
	})
	if err != nil {
		fmt.Println(err)

		return
	}

	for line := range bytes.Lines(out) {
		if bytes.Contains(line, []byte("worker-0")) || bytes.Contains(line, []byte("10.0.0.4")) {
			fmt.Print(string(bytes.TrimSpace(line)), "\n")
		}
	}
	// Output:
	// - 10.0.0.4
	// example.com/node: worker-0
}

package nodeencode_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config"
	configconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/types/k8s"
	"github.com/siderolabs/talos/pkg/machinery/config/types/meta"
	"github.com/siderolabs/talos/pkg/machinery/config/types/network"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/nethelpers"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/internal/configtest"
	"github.com/talospatch/talospatch/internal/nodeencode"
)

// patchV1 returns a copy of cfg with f applied to its v1alpha1 document.
func patchV1(t testing.TB, cfg coreconfig.Provider, f func(*v1alpha1.Config)) coreconfig.Provider {
	t.Helper()

	out, err := cfg.PatchV1Alpha1(func(c *v1alpha1.Config) error {
		f(c)

		return nil
	})
	require.NoError(t, err)

	return out
}

func TestEncoderMatchesEncode(t *testing.T) {
	t.Parallel()

	for _, contract := range []string{"v1.14", "v1.13", "v1.11", "v1.5"} {
		roles := configtest.Roles(t, contract)

		for role, base := range map[string]coreconfig.Provider{"controlplane": roles.ControlPlane, "worker": roles.Worker} {
			manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: |\n    line\n\n      indented\n    trailing  \n"
			base := patchV1(t, base, func(c *v1alpha1.Config) {
				c.ClusterConfig.ClusterInlineManifests = v1alpha1.ClusterInlineManifests{{InlineManifestName: "cilium", InlineManifestContents: manifest}}
			})
			ks := network.NewKubeSpanV1Alpha1()
			ks.ConfigEnabled = new(true)
			base = configtest.WithKubeSpan(t, base, ks)

			tests := []struct {
				name string
				cfg  coreconfig.Provider
			}{
				{"base", base},
				{"clone", base.Clone()},
				{"node patch", patchV1(t, base, func(c *v1alpha1.Config) {
					c.MachineConfig.MachineNodeLabels = map[string]string{"example.com/node": "worker-7"}
					c.MachineConfig.MachineCertSANs = []string{"10.0.0.8"}
				})},
				{"node labels that need quoting", patchV1(t, base, func(c *v1alpha1.Config) {
					c.MachineConfig.MachineNodeLabels = map[string]string{"a": "yes", "b": "012", "c": " x", "d": "", "e": "multi\nline\n", "f": "tab\there: #"}
				})},
				{"several fields, some emptied", patchV1(t, base, func(c *v1alpha1.Config) {
					c.MachineConfig.MachineCertSANs = []string{"10.0.0.8", "node.example"}
					c.MachineConfig.MachineNodeLabels = map[string]string{"a": "b: c"}
					c.MachineConfig.MachineNodeAnnotations = map[string]string{"note": "line\n\n  indented\n"}
					c.MachineConfig.MachineKubelet = nil
					c.MachineConfig.MachineFeatures = &v1alpha1.FeaturesConfig{}
					c.ClusterConfig.ClusterName = ""
					c.ClusterConfig.ClusterInlineManifests = nil
					c.ClusterConfig.ClusterNetwork = &v1alpha1.ClusterNetworkConfig{DNSDomain: "x.local"}
				})},
				{"empty machine section", patchV1(t, base, func(c *v1alpha1.Config) {
					c.MachineConfig = &v1alpha1.MachineConfig{}
				})},
				{"no cluster section", patchV1(t, base, func(c *v1alpha1.Config) {
					c.ClusterConfig = nil
				})},
				{"no machine section", patchV1(t, base, func(c *v1alpha1.Config) {
					c.MachineConfig = nil
				})},
				{"other inline manifest", patchV1(t, base, func(c *v1alpha1.Config) {
					c.ClusterConfig.ClusterInlineManifests = v1alpha1.ClusterInlineManifests{{InlineManifestName: "other", InlineManifestContents: "a: b\n"}}
				})},
				{"nested change", patchV1(t, base, func(c *v1alpha1.Config) {
					if c.MachineConfig.MachineKubelet == nil { // v1.14: the KubeletConfig document
						c.MachineConfig.MachineKubelet = &v1alpha1.KubeletConfig{}
					}

					c.MachineConfig.MachineKubelet.KubeletExtraArgs = meta.Args{"node-ip": meta.ArgValue{}}
					c.MachineConfig.MachineFeatures.DiskQuotaSupport = new(false)
				})},
				{"top-level change", patchV1(t, base, func(c *v1alpha1.Config) {
					c.ConfigDebug = new(true)
				})},
				{"document changed", configtest.WithKubeSpan(t, base, func() *network.KubeSpanConfigV1Alpha1 {
					k := network.NewKubeSpanV1Alpha1()
					k.ConfigEnabled = new(true)
					k.ConfigMTU = new(uint32(1500))

					return k
				}())},
				{"document removed", configtest.WithoutKubeSpan(t, base)},
				{"other role", roles.Worker},
			}

			enc, err := newEncoder(base)
			require.NoError(t, err)

			for _, tt := range tests {
				t.Run(contract+"/"+role+"/"+tt.name, func(t *testing.T) {
					t.Parallel()

					want, err := config.Encode(tt.cfg)
					require.NoError(t, err)

					got, err := enc.Encode(tt.cfg)
					require.NoError(t, err)

					if diff := cmp.Diff(string(want), string(got)); diff != "" {
						t.Fatalf("Encoder.Encode differs from Encode (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

func TestEncoderDoesNotKeepBase(t *testing.T) {
	t.Parallel()

	base := configtest.Roles(t, "v1.13").Worker.Clone()
	want, err := config.Encode(base)
	require.NoError(t, err)

	enc, err := newEncoder(base)
	require.NoError(t, err)

	// Changing the caller's base afterwards does not change the encoder's copy.
	base.RawV1Alpha1().MachineConfig.MachineCertSANs = []string{"192.0.2.1"}

	got, err := enc.Encode(configtest.Roles(t, "v1.13").Worker)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestEncoderErrors(t *testing.T) {
	t.Parallel()

	_, err := nodeencode.New(nil)
	require.ErrorContains(t, err, "nil config")

	enc, err := newEncoder(configtest.Roles(t, "v1.13").Worker)
	require.NoError(t, err)

	_, err = enc.Encode(nil)
	require.ErrorContains(t, err, "nil config")
}

// encoder is an Encoder with the Encode form the tests use.
type encoder struct{ *nodeencode.Encoder }

func newEncoder(base coreconfig.Provider) (encoder, error) {
	e, err := nodeencode.New(base)

	return encoder{e}, err
}

// Encode is Append to nil.
func (e encoder) Encode(cfg coreconfig.Provider) ([]byte, error) { return e.Append(nil, cfg) }

func TestEncoderConcurrent(t *testing.T) {
	t.Parallel()

	base := configtest.Roles(t, "v1.13").Worker
	enc, err := newEncoder(base)
	require.NoError(t, err)

	var wg sync.WaitGroup

	for i := range 8 {
		wg.Go(func() {
			node := patchV1(t, base, func(c *v1alpha1.Config) {
				c.MachineConfig.MachineNodeLabels = map[string]string{"example.com/node": fmt.Sprint("worker-", i)}
			})

			want, err := config.Encode(node)
			require.NoError(t, err)

			got, err := enc.Encode(node)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
		})
	}

	wg.Wait()
}

// FuzzEncoder checks that any strings in per-node fields and in an inline manifest (plain,
// quoted, block scalars at nested indentation) encode exactly as Encode encodes them.
func FuzzEncoder(f *testing.F) {
	for _, s := range []string{"worker-1", "", " x", "a\nb\n", "a\n\n  b\n", "yes", "0x1F", "#c", "- x", "a: b", "trailing \n", "\t", "ü", strings.Repeat("long ", 40)} {
		f.Add(s, s)
	}

	for _, s := range trickyStrings {
		f.Add(s, s)
		f.Add("example-"+s, "a: |\n  "+s+"\n")
	}

	base := configtest.Roles(f, "v1.13").ControlPlane

	enc, err := newEncoder(base)
	require.NoError(f, err)

	// v1.14: per-node values live in typed documents (KubeNodeConfig, HostnameConfig,
	// KubeInlineManifestConfig), which the encoder encodes whole when they changed.
	base114 := configtest.Roles(f, "v1.14").ControlPlane

	enc114, err := newEncoder(base114)
	require.NoError(f, err)

	f.Fuzz(func(t *testing.T, label, contents string) {
		node := patchV1(t, base, func(c *v1alpha1.Config) {
			c.MachineConfig.MachineNodeLabels = map[string]string{"example.com/node": label}
			c.MachineConfig.MachineCertSANs = []string{label}
			c.ClusterConfig.ClusterInlineManifests = v1alpha1.ClusterInlineManifests{{InlineManifestName: label, InlineManifestContents: contents}}
		})

		requireSameEncoding(t, enc, node)

		var docs []configconfig.Document

		for _, d := range base114.Documents() {
			switch d := d.(type) {
			case *k8s.KubeNodeConfigV1Alpha1:
				n := d.DeepCopy()
				n.LabelsConfig = map[string]string{"example.com/node": label}
				n.AnnotationsConfig = map[string]string{label: contents}
				docs = append(docs, n)
			case *network.HostnameConfigV1Alpha1:
				h := d.DeepCopy()
				h.ConfigAuto, h.ConfigHostname = new(nethelpers.AutoHostnameKindOff), label
				docs = append(docs, h)
			default:
				docs = append(docs, d)
			}
		}

		inline := k8s.NewKubeInlineManifestConfigV1Alpha1()
		inline.MetaName, inline.ManifestSpec = label, contents

		node114, err := container.New(append(docs, inline)...)
		if err != nil {
			t.Skip(err)
		}

		requireSameEncoding(t, enc114, node114)
	})
}

func requireSameEncoding(t *testing.T, enc encoder, node coreconfig.Provider) {
	t.Helper()

	want, err := config.Encode(node)
	if err != nil {
		t.Skip(err)
	}

	got, err := enc.Encode(node)
	require.NoError(t, err)

	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("Encoder.Encode differs from Encode (-want +got):\n%s", diff)
	}
}

func BenchmarkEncoder(b *testing.B) {
	base := configtest.Roles(b, "v1.13").Worker
	node := patchV1(b, base, func(c *v1alpha1.Config) {
		c.MachineConfig.MachineNodeLabels = map[string]string{"example.com/node": "worker-7"}
		c.MachineConfig.MachineCertSANs = []string{"10.0.0.8"}
	})

	enc, err := newEncoder(base)
	require.NoError(b, err)

	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			if _, err := config.Encode(node); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Encoder", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			if _, err := enc.Encode(node); err != nil {
				b.Fatal(err)
			}
		}
	})
}

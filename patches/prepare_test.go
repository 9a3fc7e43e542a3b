package patches_test

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// preparedCases are patch lists whose one-shot and prepared applications are compared: every
// kind, scopes, replace-by-name, the v1.14 translations, and failures.
func preparedCases(t testing.TB) map[string][]patches.Patch {
	t.Helper()

	return map[string][]patches.Patch{
		"strategic labels and SANs":    {patches.MustParse("machine:\n  nodeLabels:\n    a: b\n  certSANs:\n    - 10.0.0.1\n")},
		"strategic new document":       {patches.MustParse("apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\n")},
		"strategic delete":             {patches.MustParse("apiVersion: v1alpha1\nkind: HostnameConfig\n$patch: delete\n")},
		"new section (shared pointer)": {patches.MustParse("machine:\n  network:\n    hostname: h\n")},
		"json6902":                     {patches.MustParse(`[{"op":"add","path":"/machine/nodeLabels","value":{"x":"y"}}]`)},
		"guide cni none (translated on v1.14)": {
			patches.MustParse(`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`),
		},
		"labels twice": {
			patches.MustParse("machine:\n  nodeLabels:\n    a: b\n"),
			patches.MustParse("machine:\n  nodeLabels:\n    a: c\n    d: e\n"),
		},
		"inline manifest, replaced": {
			must(patches.InlineManifest(talos.V1_13, "m", "a: 1\n")),
			must(patches.InlineManifest(talos.V1_13, "m", "a: 2\n")),
		},
		"control-plane scoped": {
			must(patches.InlineManifest(talos.V1_14, "m", "a: 1\n")),
			patches.MustParse("machine:\n  nodeLabels:\n    a: b\n"),
		},
		"failing test op": {
			patches.MustParse("machine:\n  nodeLabels:\n    a: b\n"),
			patches.MustParse(`[{"op":"test","path":"/machine/type","value":"nope"}]`),
		},
		"missing path": {patches.MustParse(`[{"op":"remove","path":"/machine/nope"}]`)},
	}
}

// TestPreparedEqualsApply: a Prepared applied again and again, concurrently, gives what Apply
// gives each time, results and errors alike, also when a caller changes an earlier result.
func TestPreparedEqualsApply(t *testing.T) {
	t.Parallel()

	for name, ps := range preparedCases(t) {
		for _, c := range []struct {
			contract string
			typ      machine.Type
		}{{"v1.13", machine.TypeControlPlane}, {"v1.13", machine.TypeWorker}, {"v1.14", machine.TypeControlPlane}, {"v1.14", machine.TypeWorker}} {
			t.Run(fmt.Sprintf("%s/%s/%s", name, c.contract, c.typ), func(t *testing.T) {
				t.Parallel()

				cfg := genConfig(t, c.contract, c.typ)
				in := encode(t, cfg)

				want, wantErr := patches.Apply(in, ps...)
				wantProvider, wantWarnings, _ := patches.ApplyWithOptions(cfg, patches.Options{}, ps...)

				pp, err := patches.Prepare(ps...)
				require.NoError(t, err)
				require.Equal(t, ps, pp.Patches())

				var wg sync.WaitGroup

				for range 4 {
					wg.Go(func() {
						for range 3 {
							got, err := pp.Apply(in)
							requireSameError(t, wantErr, err)
							require.Equal(t, string(want), string(got))

							out, warnings, err := pp.ApplyWithOptions(cfg, patches.Options{})
							requireSameError(t, wantErr, err)
							require.Equal(t, wantWarnings, warnings)

							if err == nil {
								require.Equal(t, string(encode(t, wantProvider)), string(encode(t, out)))
								scribble(out)
							}
						}
					})
				}

				wg.Wait()
				require.Equal(t, string(in), string(encode(t, cfg)), "the input config is not modified")
			})
		}
	}
}

// scribble changes a result in place where patches write, as a caller may: the next
// application of the same Prepared must not see it.
func scribble(cfg config.Provider) {
	ctr, ok := cfg.(*container.Container)
	if !ok || ctr.RawV1Alpha1() == nil || ctr.RawV1Alpha1().MachineConfig == nil {
		return
	}

	m := ctr.RawV1Alpha1().MachineConfig
	if m.MachineNodeLabels != nil {
		m.MachineNodeLabels["scribbled"] = "yes"
	}

	if m.MachineNetwork != nil {
		m.MachineNetwork.NetworkHostname = "scribbled"
	}

	m.MachineCertSANs = append(m.MachineCertSANs[:len(m.MachineCertSANs):len(m.MachineCertSANs)], "scribbled")

	if c := ctr.RawV1Alpha1().ClusterConfig; c != nil && len(c.ClusterInlineManifests) > 0 {
		c.ClusterInlineManifests[0].InlineManifestContents = "scribbled"
	}
}

func requireSameError(t *testing.T, want, got error) {
	t.Helper()

	if want == nil {
		require.NoError(t, got)

		return
	}

	require.Error(t, got)
	require.Equal(t, want.Error(), got.Error())

	var we, ge *patches.Error
	if errors.As(want, &we) {
		require.ErrorAs(t, got, &ge)
		require.Equal(t, *we, *ge)
	}
}

func TestPrepareErrors(t *testing.T) {
	t.Parallel()

	_, err := patches.Prepare(patches.MustParse("machine:\n  nodeLabels:\n    a: b\n"), patches.Patch{})
	require.ErrorIs(t, err, patches.ErrEmptyPatch)

	var pe *patches.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 1, pe.Patch)

	// A nil Prepared holds no patches.
	var none *patches.Prepared
	require.Zero(t, none.Len())

	cfg := genConfig(t, "v1.13", machine.TypeWorker)
	out, err := none.ApplyProvider(cfg)
	require.NoError(t, err)
	require.Equal(t, string(encode(t, cfg)), string(encode(t, out)))

	_, err = none.ApplyProvider(nil)
	require.ErrorIs(t, err, patches.ErrInvalidConfig)
}

// FuzzPrepared: any patch text that parses, prepared once and applied twice (with the first
// result changed in between), gives what Apply gives, results and errors alike.
func FuzzPrepared(f *testing.F) {
	configs := fuzzConfigs(f)
	addTextSeeds(f)

	f.Fuzz(func(t *testing.T, which uint8, text string) {
		p, err := patches.Parse([]byte(text))
		if err != nil {
			return
		}

		c := configs[int(which)%len(configs)]
		ps := []patches.Patch{p, p}

		want, wantErr := patches.Apply(c.cfg, ps...)

		pp, err := patches.Prepare(ps...)
		if err != nil {
			t.Fatalf("prepare a parsed patch: %v", err)
		}

		for range 2 {
			got, err := pp.Apply(c.cfg)
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("errors differ: Apply %v, Prepared %v", wantErr, err)
			}

			if !bytes.Equal(want, got) {
				t.Fatalf("results differ:\n%s\n----\n%s", want, got)
			}

			if cfg, err := pp.ApplyProvider(mustLoad(t, c.cfg)); err == nil {
				scribble(cfg)
			}
		}
	})
}

func mustLoad(t *testing.T, data []byte) config.Provider {
	t.Helper()

	cfg, err := configloader.NewFromBytes(data)
	require.NoError(t, err)

	return cfg
}

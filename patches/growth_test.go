package patches_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
)

// bigAnnotationConfig is a v1.13 worker config whose machine.nodeAnnotations holds "big", a
// string of size bytes.
func bigAnnotationConfig(t *testing.T, size int) []byte {
	t.Helper()

	cfg, err := patches.Apply(genBytes(t, "v1.13", machine.TypeWorker),
		patches.MustOps(patches.Add("/machine/nodeAnnotations", map[string]string{"big": strings.Repeat("x", size)})))
	require.NoError(t, err)

	return cfg
}

// TestApplyGrowthIsPerCall: the bound on growth holds for all the patches of one call
// together. Thirty patches that each copy a value of almost 4 MiB (each within the per-patch
// bound on copies) would grow a config by about 118 MiB: the second is refused, named with its
// operation, and the input is left as it was.
func TestApplyGrowthIsPerCall(t *testing.T) {
	t.Parallel()

	if underRace {
		t.Skip("4 MiB configs: minutes under the race detector; the default test run has it")
	}

	cfg := bigAnnotationConfig(t, 4<<20-64<<10)
	before := bytes.Clone(cfg)

	ps := make([]patches.Patch, 30)
	for i := range ps {
		ps[i] = patches.MustOps(patches.Copy("/machine/nodeAnnotations/big", fmt.Sprintf("/machine/nodeAnnotations/c%d", i)))
	}

	out, err := patches.Apply(cfg, ps...)
	require.ErrorIs(t, err, patches.ErrGrowthLimit)
	require.Nil(t, out)
	require.Equal(t, before, cfg, "input changed")

	var perr *patches.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, 1, perr.Patch, "%v", err)
	require.Equal(t, 0, perr.Op)
	require.Equal(t, patches.OpCopy, perr.Operation)
	require.Equal(t, "/machine/nodeAnnotations/c1", perr.Path)
	require.Contains(t, err.Error(), "apply patch 1 (json6902) to document v1alpha1: operation 0 copy \"/machine/nodeAnnotations/c1\": config growth limit exceeded")
	require.Contains(t, err.Error(), "Options.MaxGrowth", "the message names the fix")

	// ApplyProvider refuses the same and leaves its provider alone.
	provider, err := configloader.NewFromBytes(cfg)
	require.NoError(t, err)

	encoded := encode(t, provider)

	_, err = patches.ApplyProvider(provider, ps...)
	require.ErrorIs(t, err, patches.ErrGrowthLimit)
	require.Equal(t, string(encoded), string(encode(t, provider)))

	// A larger bound asked for lets more through.
	_, _, err = patches.ApplyWithOptions(provider, patches.Options{MaxGrowth: 9 << 20}, ps...)
	require.ErrorIs(t, err, patches.ErrGrowthLimit)
	require.ErrorAs(t, err, &perr)
	require.Equal(t, 2, perr.Patch)
}

// TestApplyGrowthCountsAddsAndStrategic: values added by RFC 6902 operations and strategic
// merge patches count too, and removals give room back to RFC 6902 patches.
func TestApplyGrowthCountsAddsAndStrategic(t *testing.T) {
	t.Parallel()

	cfg := genBytes(t, "v1.13", machine.TypeWorker)
	big := strings.Repeat("y", 3<<19) // 1.5 MiB

	add := func(key string) patches.Patch {
		return patches.MustOps(patches.Add("/machine/nodeAnnotations", map[string]string{key: big}))
	}
	strategic := func(key string) patches.Patch {
		return patches.MustParse(fmt.Sprintf("machine:\n  nodeLabels:\n    %s: %s\n", key, big))
	}

	for _, tc := range []struct {
		name    string
		ps      []patches.Patch
		failing int // index of the refused patch, or -1
		op      int
	}{
		{"adds that replace", []patches.Patch{add("a"), add("b"), add("c")}, -1, 0},
		{"three adds", []patches.Patch{
			add("a"),
			patches.MustOps(patches.Add("/machine/nodeLabels", map[string]string{})),
			patches.MustOps(patches.Add("/machine/nodeAnnotations/b", big)),
			patches.MustOps(patches.Test("/machine/type", "worker"), patches.Add("/machine/nodeAnnotations/c", big)),
		}, 3, 1},
		{"adds in one patch", []patches.Patch{patches.MustOps(
			patches.Add("/machine/nodeAnnotations", map[string]string{}),
			patches.Add("/machine/nodeAnnotations/a", big),
			patches.Test("/machine/nodeAnnotations/a", big),
			patches.Add("/machine/nodeAnnotations/b", big),
			patches.Add("/machine/nodeAnnotations/c", big),
			patches.Add("/machine/nodeAnnotations/d", "small"),
		)}, 0, 4},
		{"removal makes room", []patches.Patch{patches.MustOps(
			patches.Add("/machine/nodeAnnotations", map[string]string{}),
			patches.Add("/machine/nodeAnnotations/a", big),
			patches.Add("/machine/nodeAnnotations/b", big),
			patches.Remove("/machine/nodeAnnotations/a"),
			patches.Add("/machine/nodeAnnotations/c", big),
		)}, -1, 0},
		{"strategic", []patches.Patch{strategic("a"), add("b"), strategic("c")}, 2, -1},
		{"strategic aliases", []patches.Patch{
			add("a"),
			patches.MustParse("machine:\n  nodeLabels:\n    a: &x " + big[:1<<20] + "\n    b: *x\n    c: *x\n    d: *x\n"),
		}, 1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			out, err := patches.Apply(cfg, tc.ps...)
			if tc.failing < 0 {
				require.NoError(t, err)

				return
			}

			require.ErrorIs(t, err, patches.ErrGrowthLimit)
			require.Nil(t, out)

			var perr *patches.Error
			require.ErrorAs(t, err, &perr)
			require.Equal(t, tc.failing, perr.Patch, "%v", err)
			require.Equal(t, tc.op, perr.Op, "%v", err)
		})
	}
}

// TestApplyManyOpsErrors: in a long patch, the failing operation is named with the error
// and the hint it has when applied alone.
func TestApplyManyOpsErrors(t *testing.T) {
	t.Parallel()

	cfg := genBytes(t, "v1.13", machine.TypeWorker)

	for _, bad := range []int{0, 1, 2, 37, 254, 255} {
		ops := []patches.Operation{patches.Add("/machine/nodeLabels", map[string]string{})}
		for i := 1; i < 256; i++ {
			ops = append(ops, patches.Add(fmt.Sprintf("/machine/nodeLabels/l%d", i), "v"))
		}

		ops[bad] = patches.Add("/machine/nodeLabels/missing/x", "v")
		if bad == 0 {
			ops[bad] = patches.Replace("/machine/nodeLabels/missing", "v")
		}

		_, err := patches.Apply(cfg, patches.MustOps(ops...))
		require.ErrorIs(t, err, patches.ErrMissingPath)

		var perr *patches.Error
		require.ErrorAs(t, err, &perr)
		require.Equal(t, bad, perr.Op, "%v", err)

		if bad > 0 {
			require.Contains(t, err.Error(), `"/machine/nodeLabels/missing" does not exist`)
		}
	}
}

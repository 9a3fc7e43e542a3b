package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/config"
	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/source"
	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// Stage benchmarks of the fleet pipeline, with allocations, so that regressions show:
//
//	go test -run '^$' -bench . -benchmem ./examples/fleet
//
// BenchmarkFleet is the whole pipeline in process (bench/fleet.sh measures whole processes
// against today's way).

// BenchmarkChartLoad loads the chart archive (source.LoadPath).
func BenchmarkChartLoad(b *testing.B) {
	b.ReportAllocs()

	for b.Loop() {
		if _, err := source.LoadPath(b.Context(), testChart); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender renders a loaded chart once with a new Renderer (parsing its templates
// included, as in the fleet).
func BenchmarkRender(b *testing.B) {
	ch, err := source.LoadPath(b.Context(), testChart)
	require.NoError(b, err)

	b.ReportAllocs()

	for b.Loop() {
		if _, err := renderCilium(context.Background(), manifests.NewRenderer(ch.Chart), "1.35.0", true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadAndRender is the fleet's critical path to the manifest: loading the archive
// and rendering it once, with the template parse overlapping the load (LoadRenderer, what the
// fleet does) or after it (LoadPath, then Render).
func BenchmarkLoadAndRender(b *testing.B) {
	b.Run("LoadRenderer", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			rd, err := loadChart(b.Context(), testChart)
			if err != nil {
				b.Fatal(err)
			}

			if _, err := renderCilium(context.Background(), rd, "1.35.0", true); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("LoadPath+Render", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			ch, err := source.LoadPath(b.Context(), testChart)
			if err != nil {
				b.Fatal(err)
			}

			if _, err := renderCilium(context.Background(), manifests.NewRenderer(ch.Chart), "1.35.0", true); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchRoles returns both roles' builders: control plane, worker.
func benchRoles(b *testing.B) (*role, *role) {
	b.Helper()

	f := testFleet(b)

	rd, err := loadChart(b.Context(), f.chartPath)
	require.NoError(b, err)

	cilium, err := renderCilium(context.Background(), rd, f.kubernetes, true)
	require.NoError(b, err)

	g, err := generate(f)
	require.NoError(b, err)

	w, err := roleBuilder(f, g, config.RoleWorker, config.Layers{})
	require.NoError(b, err)

	cp, err := roleBuilder(f, g, config.RoleControlPlane, config.Layers{
		ControlPlane: []patches.Patch{must(patches.InlineManifest(g.contract, release, string(cilium)))},
	})
	require.NoError(b, err)

	return cp, w
}

// BenchmarkRoleConfig generates the role configs from the secrets and patches them with the
// role layers (Cilium for the control planes; KubeSpan is in the description).
func BenchmarkRoleConfig(b *testing.B) {
	f := testFleet(b)

	rd, err := loadChart(b.Context(), f.chartPath)
	require.NoError(b, err)

	cilium, err := renderCilium(context.Background(), rd, f.kubernetes, true)
	require.NoError(b, err)

	inline := must(patches.InlineManifest(talos.MustParseContract(f.contract), release, string(cilium)))

	b.ReportAllocs()

	for b.Loop() {
		g, err := generate(f)
		if err != nil {
			b.Fatal(err)
		}

		if _, err = roleBuilder(f, g, config.RoleWorker, config.Layers{}); err != nil {
			b.Fatal(err)
		}

		if _, err = roleBuilder(f, g, config.RoleControlPlane, config.Layers{ControlPlane: []patches.Patch{inline}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNodePatch applies one node's settings to the role config (Builder.Config: the
// settings' patch through package patches), and for comparison the same settings as patch text
// parsed per node (NodeSettings.Patch, then a Node with that patch).
func BenchmarkNodePatch(b *testing.B) {
	cp, w := benchRoles(b)
	contract := talos.MustParseContract(testFleet(b).contract)

	for _, r := range []*role{cp, w} {
		b.Run(r.role.String()+"/Config", func(b *testing.B) {
			b.ReportAllocs()

			for i := 0; b.Loop(); i++ {
				if _, err := r.nodes.Config(config.Node{Role: r.role, Settings: nodeSettings(nodeName(i, 3), nodeAddress(i))}); err != nil {
					b.Fatal(err)
				}
			}
		})

		b.Run(r.role.String()+"/text patch", func(b *testing.B) {
			b.ReportAllocs()

			for i := 0; b.Loop(); i++ {
				p, err := nodeSettings(nodeName(i, 3), nodeAddress(i)).Patch(contract)
				if err != nil {
					b.Fatal(err)
				}

				if _, err = r.nodes.Config(config.Node{Role: r.role, Patches: []patches.Patch{p}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncode encodes one patched node config with config.Encode, and with the role's
// encoder (Builder.Encode, what cluster uses for a node with its own patches), which
// re-encodes only the documents the node changed.
func BenchmarkEncode(b *testing.B) {
	cp, w := benchRoles(b)

	for _, r := range []*role{cp, w} {
		node, err := r.nodes.Config(config.Node{Role: r.role, Settings: nodeSettings("node", nodeAddress(7))})
		require.NoError(b, err)

		b.Run(r.role.String()+"/Encode", func(b *testing.B) {
			b.ReportAllocs()

			for b.Loop() {
				if _, err := config.Encode(node); err != nil {
					b.Fatal(err)
				}
			}
		})

		b.Run(r.role.String()+"/Builder.Encode", func(b *testing.B) {
			b.ReportAllocs()

			for b.Loop() {
				if _, err := r.nodes.Encode(r.role, node); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNode is the fleet's per-node work (stages "node patch" and "encode" together):
// Builder.Append into a reused buffer, which the fleet uses (the fast path), and for comparison
// Builder.Config then config.Encode, which give the same bytes.
func BenchmarkNode(b *testing.B) {
	cp, w := benchRoles(b)

	for _, r := range []*role{cp, w} {
		b.Run(r.role.String()+"/Append", func(b *testing.B) {
			b.ReportAllocs()

			var buf []byte

			for i := 0; b.Loop(); i++ {
				_, data, err := r.node(i, 3, buf)
				if err != nil {
					b.Fatal(err)
				}

				buf = data
			}
		})

		b.Run(r.role.String()+"/Config+Encode", func(b *testing.B) {
			b.ReportAllocs()

			for i := 0; b.Loop(); i++ {
				node, err := r.nodes.Config(config.Node{Role: r.role, Settings: nodeSettings(nodeName(i, 3), nodeAddress(i))})
				if err != nil {
					b.Fatal(err)
				}

				if _, err := config.Encode(node); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFleet is the whole pipeline in process, from the chart file and the secrets to every
// node's bytes (not written).
func BenchmarkFleet(b *testing.B) {
	for _, workers := range []int{100, 1000} {
		f := testFleet(b)
		f.workers = workers

		b.Run(fmt.Sprintf("nodes=%d", f.controlPlanes+workers), func(b *testing.B) {
			b.ReportAllocs()

			for b.Loop() {
				if err := build(b.Context(), f, func(int, string, []byte) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAfterRender is the work between the end of the render and the control-plane nodes,
// on the critical path: the inline-manifest patch of the rendered Cilium, and the control-plane
// role (its layers applied, validated, its node builder made).
func BenchmarkAfterRender(b *testing.B) {
	f := testFleet(b)

	rd, err := loadChart(b.Context(), f.chartPath)
	require.NoError(b, err)

	cilium, err := renderCilium(context.Background(), rd, f.kubernetes, true)
	require.NoError(b, err)

	g, err := generate(f)
	require.NoError(b, err)

	b.Run("inline manifest patch", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			_ = must(patches.InlineManifest(g.contract, release, string(cilium)))
		}
	})

	inline := must(patches.InlineManifest(g.contract, release, string(cilium)))

	b.Run("control-plane role", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			if _, err := roleBuilder(f, g, config.RoleControlPlane, config.Layers{ControlPlane: []patches.Patch{inline}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func must(p patches.Patch, err error) patches.Patch {
	if err != nil {
		panic(err)
	}

	return p
}

package patches_test

import (
	"strings"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config/machine"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

func BenchmarkApply(b *testing.B) {
	cfg := genBytes(b, "v1.13", machine.TypeControlPlane)
	// about the size of a rendered Cilium manifest
	big := strings.Repeat("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n---\n", 1100)

	for _, bc := range []struct {
		name string
		p    patches.Patch
	}{
		{"json6902-cni-none", patches.MustParse(`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`)},
		{"strategic-strict-mode", must(patches.StrictMode(talos.V1_13))},
		{"inline-manifest-70KB", must(patches.InlineManifest(talos.V1_13, "cilium", big))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()

			for b.Loop() {
				if _, err := patches.Apply(cfg, bc.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"json6902", `[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}},{"op":"add","path":"/cluster/proxy","value":{"disabled":true}}]`},
		{"strategic", must(patches.StrictMode(talos.V1_13)).String()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()

			for b.Loop() {
				if _, err := patches.Parse([]byte(bc.text)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDiff(b *testing.B) {
	cp := genBytes(b, "v1.13", machine.TypeControlPlane)
	strict, err := patches.Apply(cp, must(patches.StrictMode(talos.V1_13)), must(patches.InlineManifest(talos.V1_13, "a", "b: 1\n")))
	if err != nil {
		b.Fatal(err)
	}

	worker := genBytes(b, "v1.13", machine.TypeWorker)

	for _, bc := range []struct {
		name string
		a, b []byte
	}{
		{"recipes", cp, strict},
		{"controlplane-to-worker", cp, worker},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()

			for b.Loop() {
				if _, err := patches.Diff(bc.a, bc.b); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

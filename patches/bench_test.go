package patches_test

import (
	"fmt"
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

// BenchmarkManyOps: RFC 6902 patches of 10, 100 and 1,000 small operations on a config of
// about 2 MiB (a large inline manifest). The cost should grow with the operations plus the
// document, not with their product.
func BenchmarkManyOps(b *testing.B) {
	cfg := manyOpsConfig(b)

	for _, n := range []int{10, 100, 1000} {
		p := manyOpsPatch(b, n)

		b.Run(fmt.Sprintf("ops=%d", n), func(b *testing.B) {
			b.ReportAllocs()

			for b.Loop() {
				if _, err := patches.Apply(cfg, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	// Nulls added to some annotations and other annotations tested after each: the tests cannot
	// see the nulls, so this stays one pass (it used to end a pass at every null: 15.8 s).
	nullOps := []patches.Operation{patches.Add("/machine/nodeAnnotations", map[string]string{})}
	for i := 0; len(nullOps) < 1000; i++ {
		nullOps = append(nullOps,
			patches.Add(fmt.Sprintf("/machine/nodeAnnotations/n%d", i), nil),
			patches.Add(fmt.Sprintf("/machine/nodeAnnotations/t%d", i), "v"),
			patches.Test(fmt.Sprintf("/machine/nodeAnnotations/t%d", i), "v"))
	}
	nullThenTest := patches.MustOps(nullOps[:1000]...)

	b.Run("ops=1000-null-then-test", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			if _, err := patches.Apply(cfg, nullThenTest); err != nil {
				b.Fatal(err)
			}
		}
	})

	// A patch whose last operation fails: the failing operation is found by bisection.
	ops := manyOpsPatch(b, 1000).Operations()
	ops[len(ops)-1] = patches.Replace("/machine/nodeLabels/missing", "x")
	failing := patches.MustOps(ops...)

	b.Run("ops=1000-last-fails", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			if _, err := patches.Apply(cfg, failing); err == nil {
				b.Fatal("no error")
			}
		}
	})
}

// manyOpsConfig is a v1.13 control-plane config with an inline manifest of about 2 MiB.
func manyOpsConfig(b *testing.B) []byte {
	b.Helper()

	manifest := strings.Repeat("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n---\n", 2<<20/64)

	cfg, err := patches.Apply(genBytes(b, "v1.13", machine.TypeControlPlane), must(patches.InlineManifest(talos.V1_13, "big", manifest)))
	if err != nil {
		b.Fatal(err)
	}

	return cfg
}

// manyOpsPatch is n operations on machine.nodeLabels: adds, each third label replaced after
// its add and each seventh tested.
func manyOpsPatch(b *testing.B, n int) patches.Patch {
	b.Helper()

	ops := []patches.Operation{patches.Add("/machine/nodeLabels", map[string]string{})}

	for i := 0; len(ops) < n; i++ {
		path := fmt.Sprintf("/machine/nodeLabels/l%d", i)
		value := fmt.Sprintf("v%d", i)
		ops = append(ops, patches.Add(path, value))

		if i%3 == 0 {
			value = fmt.Sprintf("r%d", i)
			ops = append(ops, patches.Replace(path, value))
		}

		if i%7 == 0 {
			ops = append(ops, patches.Test(path, value))
		}
	}

	p, err := patches.Ops(ops[:n]...)
	if err != nil {
		b.Fatal(err)
	}

	return p
}

package patches_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

// FuzzParse: Parse never panics, and printing then parsing a patch is the
// identity.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`,
		`[{"op":"move","from":"/a","path":"/b"},{"op":"test","path":"/c","value":null}]`,
		"- op: remove\n  path: /machine/install\n",
		"cluster:\n  proxy:\n    disabled: true\n",
		"machine:\n  nodeLabels:\n    $patch: delete\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n",
		must(patches.InlineManifest(talos.V1_13, "cilium", "a: 1\n")).String(),
		must(patches.StrictMode(talos.V1_13)).String(),
		"", "[]", "{}", "---", "- 1", "[{\"op\":\"add\"}]", "cluster: [",
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, text string) {
		p, err := patches.Parse([]byte(text))
		if err != nil {
			if !p.IsZero() {
				t.Fatalf("error with a non-zero patch: %v", err)
			}

			return
		}

		if p.IsZero() || p.String() == "" {
			t.Fatalf("parsed %q into an empty patch", text)
		}

		back, err := patches.Parse([]byte(p.String()))
		if err != nil {
			t.Fatalf("printed patch does not parse: %v\n%s", err, p.String())
		}

		if back != p {
			t.Fatalf("print -> parse changed the patch:\n%s\n%s", p.String(), back.String())
		}

		if p.Kind() == patches.KindJSON6902 {
			again, err := patches.Ops(p.Operations()...)
			if err != nil || again != p {
				t.Fatalf("operations do not rebuild the patch: %v", err)
			}
		}
	})
}

// pointers lists every JSON pointer of a document, sorted.
func pointers(v any, prefix string, out *[]string) {
	*out = append(*out, prefix)

	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			pointers(sub, prefix+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), out)
		}
	case []any:
		for i, sub := range v {
			pointers(sub, prefix+"/"+strconv.Itoa(i), out)
		}
	}
}

type fuzzConfig struct {
	cfg      []byte
	pointers []string
}

func fuzzConfigs(f *testing.F) []fuzzConfig {
	var out []fuzzConfig

	for _, c := range []struct {
		contract string
		typ      machine.Type
	}{
		{"v1.11", machine.TypeControlPlane},
		{"v1.13", machine.TypeControlPlane},
		{"v1.13", machine.TypeWorker},
	} {
		cfg := genBytes(f, c.contract, c.typ)
		first, _, _ := bytes.Cut(cfg, []byte("\n---\n"))

		js, err := yaml.YAMLToJSON(first)
		if err != nil {
			f.Fatal(err)
		}

		var tree any
		if err := json.Unmarshal(js, &tree); err != nil {
			f.Fatal(err)
		}

		var ptrs []string

		pointers(tree, "", &ptrs)
		slices.Sort(ptrs)

		out = append(out, fuzzConfig{cfg: cfg, pointers: ptrs})
	}

	return out
}

var fuzzValues = []any{
	nil, true, false, 0, 7445, -1, "", "none", "10.0.0.1", "a/b~c",
	map[string]any{}, map[string]any{"name": "none"}, map[string]any{"disabled": true},
	[]any{}, []any{"x"}, []any{map[string]any{"name": "m", "contents": "a: 1"}},
}

// opsFromBytes turns fuzz bytes into RFC 6902 operations on real paths (and
// some made-up ones).
func opsFromBytes(data []byte, ptrs []string) []patches.Operation {
	var ops []patches.Operation

	next := func() int {
		if len(data) == 0 {
			return 0
		}

		b := int(data[0])
		data = data[1:]

		return b
	}

	path := func() string {
		p := ptrs[(next()<<8|next())%len(ptrs)]

		switch next() % 8 {
		case 0:
			return p + "/-"
		case 1:
			return p + "/nope"
		case 2:
			return p + "/" + strconv.Itoa(next()%4)
		default:
			return p
		}
	}

	for len(data) > 0 && len(ops) < 8 {
		switch next() % 6 {
		case 0:
			ops = append(ops, patches.Add(path(), fuzzValues[next()%len(fuzzValues)]))
		case 1:
			ops = append(ops, patches.Remove(path()))
		case 2:
			ops = append(ops, patches.Replace(path(), fuzzValues[next()%len(fuzzValues)]))
		case 3:
			ops = append(ops, patches.Move(path(), path()))
		case 4:
			ops = append(ops, patches.Copy(path(), path()))
		default:
			ops = append(ops, patches.Test(path(), fuzzValues[next()%len(fuzzValues)]))
		}
	}

	return ops
}

// FuzzApplyOps: random operation lists on real generated configs never panic,
// a failed Apply returns nothing and leaves the input byte-identical, and a
// successful one returns a loadable config, the same bytes every time.
func FuzzApplyOps(f *testing.F) {
	configs := fuzzConfigs(f)

	f.Add(uint8(0), []byte{0, 1, 2, 3})
	f.Add(uint8(1), []byte{1, 0, 200, 5, 2, 3, 4, 9, 9})
	f.Add(uint8(2), []byte{3, 7, 7, 3, 1, 1, 0, 4, 2, 2, 2, 2})
	f.Add(uint8(1), []byte{4, 10, 20, 0, 5, 6, 7, 8, 0, 0, 1, 2, 3, 4})

	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		c := configs[int(which)%len(configs)]

		p, err := patches.Ops(opsFromBytes(data, c.pointers)...)
		if err != nil {
			return
		}

		in := bytes.Clone(c.cfg)

		out, err := patches.Apply(in, p)
		if !bytes.Equal(in, c.cfg) {
			t.Fatal("Apply modified its input")
		}

		if err != nil {
			if out != nil {
				t.Fatalf("failed Apply returned output: %v", err)
			}

			return
		}

		if _, err := configloader.NewFromBytes(out); err != nil {
			t.Fatalf("output does not load: %v\n%s", err, p)
		}

		again, err := patches.Apply(in, p)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("Apply is not deterministic: %v", err)
		}
	})
}

// addTextSeeds seeds a fuzz target of (config index, patch text) with patch texts of each kind:
// an RFC 6902 patch, strategic merges of fields and of a list item, document deletes and adds,
// an inline manifest.
func addTextSeeds(f *testing.F) {
	for _, seed := range []string{
		`[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`,
		"cluster:\n  proxy:\n    disabled: true\n",
		"machine:\n  nodeLabels:\n    a: b\n  certSANs:\n    - x\n",
		"cluster:\n  inlineManifests:\n    - name: x\n      $patch: delete\n",
		"apiVersion: v1alpha1\nkind: HostnameConfig\n$patch: delete\n",
		"apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\n",
		must(patches.InlineManifest(talos.V1_13, "a", "b: 1\n")).String(),
	} {
		f.Add(uint8(1), seed)
	}
}

// FuzzApplyText: any patch text that parses applies to a real config without
// panicking and atomically.
func FuzzApplyText(f *testing.F) {
	configs := fuzzConfigs(f)
	addTextSeeds(f)

	f.Fuzz(func(t *testing.T, which uint8, text string) {
		p, err := patches.Parse([]byte(text))
		if err != nil {
			return
		}

		c := configs[int(which)%len(configs)]
		in := bytes.Clone(c.cfg)

		out, err := patches.Apply(in, p)
		if !bytes.Equal(in, c.cfg) {
			t.Fatal("Apply modified its input")
		}

		if err != nil && out != nil {
			t.Fatalf("failed Apply returned output: %v", err)
		}
	})
}

// FuzzDiff: for b made from a real config by random operations,
// Apply(a, Diff(a, b)) and Apply(a, DiffOps(a, b)) equal b.
func FuzzDiff(f *testing.F) {
	configs := fuzzConfigs(f)

	f.Add(uint8(0), []byte{0, 1, 2, 3})
	f.Add(uint8(1), []byte{1, 0, 200, 5, 2, 3, 4, 9, 9})
	f.Add(uint8(2), []byte{3, 7, 7, 3, 1, 1, 0, 4, 2, 2, 2, 2})
	f.Add(uint8(1), []byte{4, 10, 20, 0, 5, 6, 7, 8, 0, 0, 1, 2, 3, 4})

	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		c := configs[int(which)%len(configs)]

		p, err := patches.Ops(opsFromBytes(data, c.pointers)...)
		if err != nil {
			return
		}

		b, err := patches.Apply(c.cfg, p)
		if err != nil {
			return
		}

		want := docsOf(t, b)

		// ErrUnsupported: machinery cannot merge some of b's values.
		d, err := patches.Diff(c.cfg, b)
		if err != nil && !errors.Is(err, patches.ErrUnsupported) {
			t.Fatalf("diff: %v\npatch: %s", err, p)
		}

		if err == nil && !d.IsZero() {
			out, err := patches.Apply(c.cfg, d)
			if err != nil {
				t.Fatalf("diff does not apply: %v\npatch: %s\ndiff:\n%s", err, p, d)
			}

			if diff := cmp.Diff(want, docsOf(t, out)); diff != "" {
				t.Fatalf("Apply(a, Diff(a, b)) != b:\n%s\npatch: %s\ndiff:\n%s", diff, p, d)
			}
		}

		o, err := patches.DiffOps(c.cfg, b, patches.Document{})
		if err != nil {
			t.Fatalf("diff ops: %v\npatch: %s", err, p)
		}

		if !o.IsZero() {
			out, err := patches.Apply(c.cfg, o)
			if err != nil {
				t.Fatalf("diff ops do not apply: %v\npatch: %s\ndiff: %s", err, p, o)
			}

			if diff := cmp.Diff(want, docsOf(t, out)); diff != "" {
				t.Fatalf("Apply(a, DiffOps(a, b)) != b:\n%s\npatch: %s\ndiff: %s", diff, p, o)
			}
		}
	})
}

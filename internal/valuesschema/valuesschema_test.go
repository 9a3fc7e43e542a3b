package valuesschema

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// reference validates like Helm: jsonschema/v6, the schema added as file:///values.schema.json.
type reference struct {
	schema *jsonschema.Schema
}

func compileReference(t testing.TB, schemaJSON []byte) (*reference, error) {
	t.Helper()

	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}

	c := jsonschema.NewCompiler()
	if err := c.AddResource("file:///values.schema.json", doc); err != nil {
		return nil, err
	}

	s, err := c.Compile("file:///values.schema.json")
	if err != nil {
		return nil, err
	}

	return &reference{schema: s}, nil
}

// valid reports what jsonschema says, turning its panics into "invalid" like Helm's callers.
func (r *reference) valid(v any) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()

	return r.schema.Validate(v) == nil
}

// agree fails when the fast path claims something jsonschema contradicts.
func agree(t *testing.T, fast *Schema, ref *reference, v any, what string) Result {
	t.Helper()

	got := fast.Check(v)
	want := ref.valid(v)

	switch {
	case got == Valid && !want:
		t.Fatalf("%s: fast path says valid, jsonschema says invalid: %s", what, show(v))
	case got == Invalid && want:
		t.Fatalf("%s: fast path says invalid, jsonschema says valid: %s", what, show(v))
	}

	return got
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}

	if len(b) > 400 {
		return string(b[:400]) + "..."
	}

	return string(b)
}

// chartFile reads one file of a chart archive in testdata/charts at the repository root.
func chartFile(t testing.TB, archive, name string) []byte {
	t.Helper()

	f, err := os.Open(archive)
	require.NoError(t, err)

	defer f.Close()

	gz, err := gzip.NewReader(f)
	require.NoError(t, err)

	tr := tar.NewReader(gz)

	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}

		require.NoError(t, err)

		if strings.Count(h.Name, "/") == 1 && strings.HasSuffix(h.Name, "/"+name) {
			b, err := io.ReadAll(tr)
			require.NoError(t, err)

			return b
		}
	}
}

func ciliumCharts(t *testing.T) []string {
	t.Helper()

	charts, err := filepath.Glob("../../testdata/charts/cilium-*.tgz")
	require.NoError(t, err)

	if len(charts) == 0 {
		t.Fatal("no chart fixtures in testdata/charts at the repository root")
	}

	return charts
}

// TestCiliumSchemas: every shipped Cilium schema with a values.schema.json compiles on the fast
// path, accepts the chart's default values like jsonschema, and agrees with jsonschema on
// thousands of mutations of them.
func TestCiliumSchemas(t *testing.T) {
	for _, archive := range ciliumCharts(t) {
		t.Run(filepath.Base(archive), func(t *testing.T) {
			schemaJSON := chartFile(t, archive, "values.schema.json")
			if schemaJSON == nil {
				t.Skip("chart has no values.schema.json")
			}

			fast, err := Compile(schemaJSON)
			require.NoError(t, err)

			ref, err := compileReference(t, schemaJSON)
			require.NoError(t, err)

			var values map[string]any
			require.NoError(t, yaml.Unmarshal(chartFile(t, archive, "values.yaml"), &values))

			require.Equal(t, Valid, agree(t, fast, ref, values, "defaults"))

			rng := rand.New(rand.NewPCG(1, uint64(len(schemaJSON))))
			counts := map[Result]int{}

			for i := range 1000 {
				v := deepCopy(values)
				for range 1 + rng.IntN(3) {
					v = mutate(rng, v, 0).(map[string]any)
				}

				counts[agree(t, fast, ref, v, fmt.Sprintf("mutation %d", i))]++
			}

			require.Zero(t, counts[Unsure], "values of JSON types are never unsure")
			require.Positive(t, counts[Valid])
			require.Positive(t, counts[Invalid])
			t.Logf("valid %d, invalid %d", counts[Valid], counts[Invalid])
		})
	}
}

// mutate changes one random place of v: replaces a value (with another JSON value, often of
// another type), deletes or adds a key, or descends.
func mutate(rng *rand.Rand, v any, depth int) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 && rng.IntN(4) != 0 {
			keys := slices.Sorted(maps.Keys(x))
			k := keys[rng.IntN(len(keys))]

			switch rng.IntN(6) {
			case 0:
				delete(x, k)
			case 1:
				x[k] = randomValue(rng, depth+1)
			default:
				x[k] = mutate(rng, x[k], depth+1)
			}

			return x
		}

		x[fmt.Sprintf("k%d", rng.IntN(5))] = randomValue(rng, depth+1)

		return x
	case []any:
		if len(x) > 0 && rng.IntN(3) != 0 {
			i := rng.IntN(len(x))
			x[i] = mutate(rng, x[i], depth+1)

			return x
		}

		return append(x, randomValue(rng, depth+1))
	default:
		return randomValue(rng, depth+1)
	}
}

func randomValue(rng *rand.Rand, depth int) any {
	n := 10
	if depth > 4 {
		n = 8
	}

	switch rng.IntN(n) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return float64(rng.IntN(7) - 2)
	case 3:
		return float64(rng.IntN(100)) / 4
	case 4:
		return int64(rng.IntN(7) - 2)
	case 5:
		return []string{"", "a", "b", "true", "1", "ipv4", "kubernetes", "cluster-pool"}[rng.IntN(8)]
	case 6:
		return fmt.Sprintf("s%d", rng.IntN(3))
	case 7:
		return []any{"a"}
	case 8:
		out := []any{}
		for range rng.IntN(3) {
			out = append(out, randomValue(rng, depth+1))
		}

		return out
	default:
		out := map[string]any{}
		for range rng.IntN(3) {
			out[fmt.Sprintf("k%d", rng.IntN(4))] = randomValue(rng, depth+1)
		}

		return out
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}

		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}

		return out
	default:
		return x
	}
}

// TestRandomSchemas generates random schemas over the supported keywords (and some the fast
// path declines) with random values: whatever Compile accepts, jsonschema compiles, and the
// two never disagree on a value.
func TestRandomSchemas(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	accepted, declined := 0, 0
	counts := map[Result]int{}

	for i := range 4000 {
		doc := map[string]any{"$schema": []string{
			"http://json-schema.org/draft-07/schema#", "https://json-schema.org/draft-07/schema",
			"http://json-schema.org/draft-06/schema#",
		}[rng.IntN(3)]}
		for k, v := range randomSchema(rng, 0).(map[string]any) {
			doc[k] = v
		}

		schemaJSON, err := json.Marshal(doc)
		require.NoError(t, err)

		fast, err := Compile(schemaJSON)
		ref, refErr := compileReference(t, schemaJSON)

		if err != nil {
			declined++

			continue
		}

		accepted++

		require.NoError(t, refErr, "schema %d accepted by the fast path: %s", i, schemaJSON)

		for j := range 30 {
			v := randomValue(rng, 0)
			if j%3 == 0 {
				v = map[string]any{"a": randomValue(rng, 1), "b": randomValue(rng, 1), "c": []any{randomValue(rng, 2), randomValue(rng, 2)}}
			}

			counts[agree(t, fast, ref, v, fmt.Sprintf("schema %s", schemaJSON))]++
		}
	}

	t.Logf("schemas accepted %d, declined %d; values %v", accepted, declined, counts)
	require.Greater(t, accepted, 1000)
	require.Greater(t, counts[Valid], 10000)
	require.Greater(t, counts[Invalid], 10000)
}

func randomSchema(rng *rand.Rand, depth int) any {
	if depth > 0 && rng.IntN(8) == 0 {
		return rng.IntN(3) != 0
	}

	types := []string{"null", "boolean", "number", "integer", "string", "array", "object"}
	s := map[string]any{}

	for range 1 + rng.IntN(3) {
		switch rng.IntN(24) {
		case 0, 1, 2:
			if rng.IntN(3) == 0 {
				s["type"] = []any{types[rng.IntN(7)], types[rng.IntN(7)]}
			} else {
				s["type"] = types[rng.IntN(7)]
			}
		case 3:
			s["enum"] = []any{"a", float64(rng.IntN(3)), nil, []any{"a"}}[:1+rng.IntN(4)]
		case 4:
			s["const"] = []any{"a", 1, true, nil, map[string]any{}}[rng.IntN(5)]
		case 5:
			s["required"] = []any{"a", "b"}[:rng.IntN(3)]
		case 6, 7:
			if depth < 3 {
				s["properties"] = map[string]any{"a": randomSchema(rng, depth+1), "c": randomSchema(rng, depth+1)}
			}
		case 8:
			if depth < 3 {
				s["additionalProperties"] = randomSchema(rng, depth+1)
			}
		case 9:
			s[[]string{"minProperties", "maxProperties", "minItems", "maxItems", "minLength", "maxLength"}[rng.IntN(6)]] = float64(rng.IntN(3))
		case 10, 11:
			if depth < 3 {
				if rng.IntN(2) == 0 {
					s["items"] = randomSchema(rng, depth+1)
				} else {
					s["items"] = []any{randomSchema(rng, depth+1)}
					if rng.IntN(2) == 0 {
						s["additionalItems"] = randomSchema(rng, depth+1)
					}
				}
			}
		case 12:
			s["uniqueItems"] = rng.IntN(2) == 0
		case 13:
			s[[]string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}[rng.IntN(4)]] = float64(rng.IntN(5)-1) / 2
		case 14:
			s["multipleOf"] = []float64{0.5, 1, 2, 0}[rng.IntN(4)]
		case 15, 16:
			if depth < 3 {
				s[[]string{"allOf", "anyOf", "oneOf"}[rng.IntN(3)]] = []any{randomSchema(rng, depth+1), randomSchema(rng, depth+1)}[:1+rng.IntN(2)]
			}
		case 17:
			if depth < 3 {
				s["not"] = randomSchema(rng, depth+1)
			}
		case 18:
			s["description"] = "d"
			s["default"] = 3
		case 19:
			// Malformed or declined: the fast path must not accept what jsonschema refuses.
			switch rng.IntN(8) {
			case 0:
				s["type"] = "strin"
			case 1:
				s["enum"] = []any{}
			case 2:
				s["required"] = []any{"a", "a"}
			case 3:
				s["minItems"] = -1.0
			case 4:
				s["pattern"] = "^a"
			case 5:
				s["$ref"] = "#"
			case 6:
				s["minLength"] = 1.5
			default:
				s["type"] = []any{"string", "string"}
			}
		default:
			s["title"] = "t"
		}
	}

	return s
}

// TestUnsure: Go values without a JSON type that the schema reaches make the fast path unsure
// (jsonschema reports an error of its own for them); unreached ones do not matter.
func TestUnsure(t *testing.T) {
	schema := []byte(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"a":{"type":"array"},"b":{"anyOf":[{"type":"string"},{"type":"object"}]}}}`)

	fast, err := Compile(schema)
	require.NoError(t, err)

	ref, err := compileReference(t, schema)
	require.NoError(t, err)

	for _, tc := range []struct {
		v    map[string]any
		want Result
	}{
		{map[string]any{"a": []string{"x"}}, Unsure},
		{map[string]any{"b": map[string]string{"x": "y"}}, Unsure},
		{map[string]any{"b": float32(1)}, Unsure},
		{map[string]any{"other": []string{"x"}}, Valid},
		{map[string]any{"a": []any{"x"}, "b": "s"}, Valid},
		{map[string]any{"a": "x"}, Invalid},
	} {
		require.Equal(t, tc.want, agree(t, fast, ref, tc.v, show(tc.v)), show(tc.v))
	}
}

// TestDeclines: what the fast path leaves to jsonschema.
func TestDeclines(t *testing.T) {
	for _, schema := range []string{
		`{"type":"object"}`, // no $schema: draft 2020-12 in jsonschema
		`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","$ref":"#/definitions/a","definitions":{"a":{}}}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"pattern":"^x"}}}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"format":"uri"}}}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"$schema":"http://json-schema.org/draft-07/schema#"}}}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","x-custom":1}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","type":"strng"}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#","anyOf":[]}`,
		`{"$schema":"http://json-schema.org/draft-07/schema#"} {}`,
		`{"$schema":"http://json-schema.org/draft-06/schema#","$comment":"draft-07 keyword"}`,
	} {
		_, err := Compile([]byte(schema))
		require.Error(t, err, schema)
	}
}

// BenchmarkCompile compares the fast path's compile and check of the Cilium 1.18.12 schema
// with jsonschema's (what Helm does on every render).
func BenchmarkCompile(b *testing.B) {
	archive := "../../testdata/charts/cilium-1.18.12.tgz"
	if _, err := os.Stat(archive); err != nil {
		b.Skip(err)
	}

	schemaJSON := chartFile(b, archive, "values.schema.json")

	var values map[string]any
	require.NoError(b, yaml.Unmarshal(chartFile(b, archive, "values.yaml"), &values))

	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			s, err := Compile(schemaJSON)
			if err != nil || s.Check(values) != Valid {
				b.Fatal(err)
			}
		}
	})

	b.Run("jsonschema", func(b *testing.B) {
		b.ReportAllocs()

		for b.Loop() {
			ref, err := compileReference(b, schemaJSON)
			if err != nil || !ref.valid(values) {
				b.Fatal(err)
			}
		}
	})
}

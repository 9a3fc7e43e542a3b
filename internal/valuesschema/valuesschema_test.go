package valuesschema

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// uniqueItemsSchema is an array schema with only uniqueItems, so that checking an array costs
// the duplicate search alone.
const uniqueItemsSchema = `{"$schema":"http://json-schema.org/draft-07/schema#","type":"array","uniqueItems":true}`

// distinctItems returns n pairwise different JSON values of the given kind.
func distinctItems(kind string, n int) []any {
	out := make([]any, n)

	for i := range out {
		switch kind {
		case "numbers":
			out[i] = float64(i) + 0.5
		case "strings":
			out[i] = fmt.Sprintf("item-%d", i)
		default:
			out[i] = map[string]any{"name": fmt.Sprintf("item-%d", i), "port": float64(i % 7), "tags": []any{"a", int64(i)}}
		}
	}

	return out
}

// BenchmarkUniqueItems measures uniqueItems on large arrays of distinct values.
func BenchmarkUniqueItems(b *testing.B) {
	fast, err := Compile([]byte(uniqueItemsSchema))
	require.NoError(b, err)

	for _, kind := range []string{"numbers", "strings", "objects"} {
		for _, n := range []int{5000, 50000} {
			items := distinctItems(kind, n)

			b.Run(fmt.Sprintf("%s/n=%d", kind, n), func(b *testing.B) {
				b.ReportAllocs()

				for b.Loop() {
					if got := fast.Check(items); got != Valid {
						b.Fatalf("got %v, want valid", got)
					}
				}
			})
		}
	}
}

// TestUniqueItems: uniqueItems compares numbers by value whatever their Go types, objects
// whatever the order of their keys and arrays in order, like jsonschema, for short arrays
// (compared pair by pair) and long ones (encoded), and is unsure of values without a JSON type.
func TestUniqueItems(t *testing.T) {
	fast, err := Compile([]byte(uniqueItemsSchema))
	require.NoError(t, err)

	ref, err := compileReference(t, []byte(uniqueItemsSchema))
	require.NoError(t, err)

	var fromJSON []any
	dec := json.NewDecoder(strings.NewReader(`[{"a":1,"b":{"x":[1,2],"y":null}},{"b":{"y":null,"x":[1.0,2]},"a":1.00}]`))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&fromJSON))

	for _, tc := range []struct {
		name  string
		items []any
		want  Result
	}{
		{"int and float64", []any{1, 1.0}, Invalid},
		{"int64 and json.Number", []any{int64(2), json.Number("2")}, Invalid},
		{"json.Number with fraction and int", []any{json.Number("1.0"), 1}, Invalid},
		{"json.Number exponent and int", []any{json.Number("1e2"), int64(100)}, Invalid},
		{"fractions", []any{0.5, json.Number("0.50")}, Invalid},
		{"large float64 and json.Number", []any{1e21, json.Number("1000000000000000000000")}, Invalid},
		{"uint64 and json.Number", []any{uint64(math.MaxUint64), json.Number("18446744073709551615")}, Invalid},
		{"uint8 and float64", []any{uint8(7), 7.0}, Invalid},
		{"negative zero", []any{math.Copysign(0, -1), 0}, Invalid},
		{"distinct numbers of several types", []any{1, int64(2), 3.0, json.Number("4"), 4.5, uint16(5), json.Number("-1")}, Valid},
		{"sign", []any{-1, 1}, Valid},
		{"number and string", []any{1, "1"}, Valid},
		{"null and false", []any{nil, false}, Valid},
		{"nulls", []any{nil, nil}, Invalid},
		{"nested objects, keys in another order", fromJSON, Invalid},
		{"nested objects differing deep inside", []any{
			map[string]any{"a": map[string]any{"b": []any{1, map[string]any{"c": "x"}}}},
			map[string]any{"a": map[string]any{"b": []any{1.0, map[string]any{"c": "y"}}}},
		}, Valid},
		{"nested objects equal deep inside", []any{
			map[string]any{"a": map[string]any{"b": []any{1, map[string]any{"c": "x"}}}},
			map[string]any{"a": map[string]any{"b": []any{int64(1), map[string]any{"c": "x"}}}},
		}, Invalid},
		{"object keys are not values", []any{map[string]any{"a": "b"}, map[string]any{"b": "a"}}, Valid},
		{"arrays in order", []any{[]any{1, 2}, []any{2, 1}}, Valid},
		{"equal arrays", []any{[]any{1, "a", nil}, []any{1.0, "a", nil}}, Invalid},
		{"empty array and object", []any{[]any{}, map[string]any{}}, Valid},
		{"strings that frame alike", []any{[]any{"ab", "c"}, []any{"a", "bc"}}, Valid},
		{"no JSON type", []any{float32(1), 2}, Unsure},
		{"no JSON type nested, reached", []any{[]any{1, float32(2)}, []any{1, float32(2)}}, Unsure},
		{"no JSON type nested, not reached", []any{[]any{1, float32(2)}, []any{2, float32(2)}}, Valid},
		{"no JSON type nested, other length", []any{[]any{1, float32(2)}, []any{1}}, Valid},
		{"no JSON type and a duplicate", []any{1, float32(3), 1.0}, Invalid},
		{"json.Number that is not a number", []any{json.Number("x"), 0}, Unsure},
	} {
		for _, padding := range []int{0, 40} {
			items := slices.Clone(tc.items)
			for i := range padding {
				items = append(items, fmt.Sprintf("padding %d", i))
			}

			if padding > 0 {
				// Move the first case item to the end: the pair is far apart.
				items = append(items[1:], items[0])
			}

			t.Run(fmt.Sprintf("%s/%d", tc.name, len(items)), func(t *testing.T) {
				require.Equal(t, tc.want, agree(t, fast, ref, items, tc.name))
			})
		}
	}
}

// TestUniqueItemsRandom: for random arrays of numbers of several Go types and of nested
// values, the encoded search answers what comparing every pair answers, and agrees with
// jsonschema.
func TestUniqueItemsRandom(t *testing.T) {
	fast, err := Compile([]byte(uniqueItemsSchema))
	require.NoError(t, err)

	ref, err := compileReference(t, []byte(uniqueItemsSchema))
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(3, 5))
	counts := map[Result]int{}

	for i := range 3000 {
		items := make([]any, 1+rng.IntN(60))
		for j := range items {
			items[j] = randomItem(rng, 0)
		}

		want := distinctPairwise(items)
		require.Equal(t, want, distinct(items), "array %d: %s", i, show(items))

		counts[agree(t, fast, ref, items, fmt.Sprintf("array %d", i))]++
	}

	t.Logf("%v", counts)
	require.Greater(t, counts[Valid], 300)
	require.Greater(t, counts[Invalid], 300)
	require.Positive(t, counts[Unsure])
}

// randomItem returns a number of one of several Go types, or a small array or object of
// such, rarely a float32 (no JSON type).
func randomItem(rng *rand.Rand, depth int) any {
	k := rng.IntN(12) - 3
	switch n := rng.IntN(16); {
	case n < 8:
		return []any{
			k, int64(k), float64(k), json.Number(strconv.Itoa(k)), json.Number(fmt.Sprintf("%d.0", k)),
			float64(k) + 0.25, json.Number(fmt.Sprintf("%d.25", k)), uint8(k + 3),
		}[n]
	case n < 10:
		return []any{"a", "b", nil, true}[rng.IntN(4)]
	case n == 10 && depth == 0 && rng.IntN(20) == 0:
		return float32(k)
	case n < 13 && depth < 2:
		out := make([]any, rng.IntN(3))
		for i := range out {
			out[i] = randomItem(rng, depth+1)
		}

		if len(out) > 0 && rng.IntN(40) == 0 {
			out[len(out)-1] = float32(k) // deterministic place: compared only after the rest
		}

		return out
	case depth < 2:
		out := map[string]any{}
		for range rng.IntN(3) {
			out[[]string{"x", "y", "z"}[rng.IntN(3)]] = randomItem(rng, depth+1)
		}

		return out
	default:
		return k
	}
}

// TestUniqueItemsLarge: large arrays of distinct values are valid, and a duplicate (of another
// Go type) at the end is found.
func TestUniqueItemsLarge(t *testing.T) {
	fast, err := Compile([]byte(uniqueItemsSchema))
	require.NoError(t, err)

	ref, err := compileReference(t, []byte(uniqueItemsSchema))
	require.NoError(t, err)

	for _, kind := range []string{"numbers", "strings", "objects"} {
		for _, n := range []int{5000, 50000} {
			t.Run(fmt.Sprintf("%s/%d", kind, n), func(t *testing.T) {
				items := distinctItems(kind, n)
				require.Equal(t, Valid, agree(t, fast, ref, items, "distinct"))

				var dup any

				switch first := items[0].(type) {
				case float64:
					dup = json.Number(strconv.FormatFloat(first, 'f', -1, 64))
				case map[string]any:
					dup = map[string]any{"tags": []any{"a", 0.0}, "port": int64(0), "name": first["name"]}
				default:
					dup = first
				}

				require.Equal(t, Invalid, agree(t, fast, ref, append(items, dup), "duplicate at the end"))
			})
		}
	}
}

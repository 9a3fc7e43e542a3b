package patches

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// applyOpsOneByOne is the reference for applyOps: each operation applied alone with json-patch
// to the encoding of the result of the one before, as Apply did before applyOps (without the
// growth bound, and with json-patch's copy accounting for the patch's copies).
func applyOpsOneByOne(ops []Operation, doc []byte, docName string) ([]byte, error) {
	for j, o := range ops {
		single, err := jsonpatch.DecodePatch([]byte("[" + o.String() + "]"))

		var next []byte
		if err == nil {
			next, err = applyPass(single, doc)
		}

		if err != nil {
			return nil, &Error{Op: j, Operation: o.op, Path: o.path, Document: docName, Err: classify(err, o, doc)}
		}

		doc = next
	}

	return doc, nil
}

// TestApplyOpsMatchesOneByOne: applying a patch's operations in one pass gives what applying
// them one at a time gives, the same document or the same error at the same operation, on
// random documents and random operation sequences (all six operations, existing and missing
// paths, array indices in and out of range, "-", negative indices, nulls).
func TestApplyOpsMatchesOneByOne(t *testing.T) {
	t.Parallel()

	rng := rand.New(rand.NewPCG(1, 2))

	iterations := 20000

	switch {
	case testing.Short():
		iterations = 300
	case raceEnabled:
		iterations = 2000
	}

	failures := 0

	for it := range iterations {
		docValue := randomObject(rng, 3)

		doc, err := json.Marshal(docValue)
		if err != nil {
			t.Fatal(err)
		}

		paths := collectPaths(docValue, "")
		ops := make([]Operation, 1+rng.IntN(40))

		for i := range ops {
			ops[i] = randomOperation(rng, paths)
			if ops[i].op == OpAdd || ops[i].op == OpCopy || ops[i].op == OpMove {
				paths = append(paths, ops[i].path)
			}
		}

		want, wantErr := applyOpsOneByOne(ops, doc, "v1alpha1")
		got, gotErr := applyOps(ops, doc, "v1alpha1", &growth{limit: 1 << 40})

		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("iteration %d: one pass %v, one by one %v\ndoc %s\nops %v", it, gotErr, wantErr, doc, ops)
		}

		if wantErr != nil {
			failures++

			var we, ge *Error
			if !errors.As(wantErr, &we) || !errors.As(gotErr, &ge) {
				t.Fatalf("iteration %d: errors are not *Error: %v, %v", it, gotErr, wantErr)
			}

			if ge.Op != we.Op || gotErr.Error() != wantErr.Error() {
				t.Fatalf("iteration %d: one pass fails with\n  %v\none by one with\n  %v\ndoc %s\nops %v", it, gotErr, wantErr, doc, ops)
			}

			// The operations before the failing one apply, and give the same document.
			ops = ops[:we.Op]
			want, wantErr = applyOpsOneByOne(ops, doc, "v1alpha1")
			got, gotErr = applyOps(ops, doc, "v1alpha1", &growth{limit: 1 << 40})

			if wantErr != nil || gotErr != nil {
				t.Fatalf("iteration %d: the operations before the failing one fail: %v, %v", it, gotErr, wantErr)
			}
		}

		if string(got) != string(want) {
			t.Fatalf("iteration %d: one pass gives\n  %s\none by one\n  %s\ndoc %s\nops %v", it, got, want, doc, ops)
		}
	}

	// Both outcomes are exercised.
	if failures == 0 || failures == iterations {
		t.Fatalf("%d of %d sequences failed", failures, iterations)
	}
}

func randomObject(rng *rand.Rand, depth int) map[string]any {
	obj := map[string]any{}
	for range rng.IntN(4) + 1 {
		obj[randomKey(rng)] = randomValue(rng, depth-1)
	}

	return obj
}

func randomValue(rng *rand.Rand, depth int) any {
	n := 6
	if depth <= 0 {
		n = 4
	}

	switch rng.IntN(n) {
	case 0:
		return "s" + strconv.Itoa(rng.IntN(3))
	case 1:
		return float64(rng.IntN(3))
	case 2:
		return rng.IntN(2) == 0
	case 3:
		if rng.IntN(2) == 0 {
			return nil
		}

		return "<&>" // escaped differently by encoding/json and json-patch
	case 4:
		arr := make([]any, rng.IntN(4))
		for i := range arr {
			arr[i] = randomValue(rng, depth-1)
		}

		return arr
	default:
		return randomObject(rng, depth-1)
	}
}

func randomKey(rng *rand.Rand) string {
	return []string{"a", "b", "c", "a/b", "t~k", "0", "1", ""}[rng.IntN(8)]
}

// collectPaths returns the JSON pointers of v and everything under it.
func collectPaths(v any, at string) []string {
	paths := []string{at}

	switch c := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(c) {
			paths = append(paths, collectPaths(c[k], at+"/"+escapeToken(k))...)
		}
	case []any:
		for i, e := range c {
			paths = append(paths, collectPaths(e, at+"/"+strconv.Itoa(i))...)
		}
	}

	return paths
}

func escapeToken(k string) string {
	out := ""

	for _, r := range k {
		switch r {
		case '~':
			out += "~0"
		case '/':
			out += "~1"
		default:
			out += string(r)
		}
	}

	return out
}

// randomPath is a known path, one changed at its end (a missing member, an index past the
// end, "-", a negative index) or one under a known path.
// TestApplyOpsNullsMatchOneByOne: patches of adds, replaces and tests of nulls and other values
// around the same few paths, without moves or copies (which end a pass after every null): the
// trie of later tests decides which nulls end a pass, and must give what one-at-a-time
// application gives.
func TestApplyOpsNullsMatchOneByOne(t *testing.T) {
	t.Parallel()

	rng := rand.New(rand.NewPCG(3, 4))

	iterations := 20000

	switch {
	case testing.Short():
		iterations = 300
	case raceEnabled:
		iterations = 2000
	}

	for it := range iterations {
		docValue := randomObject(rng, 3)

		doc, err := json.Marshal(docValue)
		if err != nil {
			t.Fatal(err)
		}

		paths := collectPaths(docValue, "")
		ops := make([]Operation, 1+rng.IntN(30))

		for i := range ops {
			path := randomPath(rng, paths)

			var value any
			if rng.IntN(2) == 0 {
				value = randomValue(rng, 1)
			}

			switch rng.IntN(6) {
			case 0, 1:
				ops[i] = Add(path, value)
				paths = append(paths, path)
			case 2:
				ops[i] = Replace(path, value)
			case 3:
				ops[i] = Remove(path)
			default:
				ops[i] = Test(path, value)
			}
		}

		want, wantErr := applyOpsOneByOne(ops, doc, "v1alpha1")
		got, gotErr := applyOps(ops, doc, "v1alpha1", &growth{limit: 1 << 40})

		if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
			t.Fatalf("iteration %d: one pass %v, one by one %v\ndoc %s\nops %v", it, gotErr, wantErr, doc, ops)
		}

		if string(got) != string(want) {
			t.Fatalf("iteration %d: one pass gives\n  %s\none by one\n  %s\ndoc %s\nops %v", it, got, want, doc, ops)
		}
	}
}

func TestPassEndsAtVisibleNullsOnly(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		ops  []Operation
		want []int
	}{
		{"unrelated test", []Operation{Add("/a/x", nil), Test("/a/y", "v"), Add("/a/z", 1)}, nil},
		{"same path", []Operation{Add("/a/x", nil), Test("/a/x", nil), Add("/a/z", 1)}, []int{1}},
		{"test above", []Operation{Add("/a/x", nil), Test("/a", map[string]any{"x": nil}), Add("/a/z", 1)}, []int{1}},
		{"test inside", []Operation{Add("/a/x", nil), Test("/a/x/y", 1), Add("/a/z", 1)}, []int{1}},
		{"indices match any index", []Operation{Add("/l/0", nil), Add("/l/0", 1), Test("/l/1", nil)}, []int{1}},
		{"whole document test", []Operation{Add("/a", nil), Test("", map[string]any{"a": nil})}, []int{1}},
		{"later move", []Operation{Add("/a", nil), Move("/a", "/b"), Test("/b", nil)}, []int{1}},
		{"test before the null", []Operation{Test("/a", 1), Replace("/a", nil), Add("/b", 2)}, nil},
		{"non-null add", []Operation{Add("/a/x", 1), Test("/a/x", 1)}, nil},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			if got := passEnds(tt.ops); !slices.Equal(got, tt.want) {
				t.Fatalf("passEnds = %v, want %v", got, tt.want)
			}
		})
	}
}

func randomPath(rng *rand.Rand, paths []string) string {
	p := paths[rng.IntN(len(paths))]

	switch rng.IntN(6) {
	case 0:
		return p + "/" + escapeToken(randomKey(rng))
	case 1:
		return p + "/-"
	case 2:
		return p + "/" + strconv.Itoa(rng.IntN(5)-1)
	case 3:
		return p + "/" + escapeToken(randomKey(rng)) + "/x"
	default:
		return p
	}
}

func randomOperation(rng *rand.Rand, paths []string) Operation {
	path := randomPath(rng, paths)

	var o Operation

	switch rng.IntN(8) {
	case 0, 1:
		o = Add(path, randomValue(rng, 2))
	case 2:
		o = Remove(path)
	case 3:
		o = Replace(path, randomValue(rng, 2))
	case 4:
		o = Move(randomPath(rng, paths), path)
	case 5:
		o = Copy(randomPath(rng, paths), path)
	default:
		// Test mostly values that are there.
		o = Test(path, randomValue(rng, 1))
	}

	if o.err != nil {
		// A move into its own child, say: test the path for a string instead.
		return Test(path, "s0")
	}

	return o
}

// TestApplyOpsFirstFailure: the bisection names the first failing operation of any position.
func TestApplyOpsFirstFailure(t *testing.T) {
	t.Parallel()

	doc := []byte(`{"a":{}}`)

	for n := 1; n <= 40; n++ {
		for bad := range n {
			ops := make([]Operation, n)
			for i := range ops {
				ops[i] = Add(fmt.Sprintf("/a/k%d", i), i)
			}

			ops[bad] = Remove("/a/none")

			_, err := applyOps(ops, doc, "v1alpha1", newGrowth(0))

			var e *Error
			if !errors.As(err, &e) || e.Op != bad || !errors.Is(err, ErrMissingPath) {
				t.Fatalf("n=%d bad=%d: %v", n, bad, err)
			}
		}
	}
}

// TestApplyOpsGrowth: the operation at which the growth crosses the bound is named, within a
// pass and at the end of a pass that is not the last.
func TestApplyOpsGrowth(t *testing.T) {
	t.Parallel()

	doc := []byte(`{"z":{}}`)
	long := strings.Repeat("x", 60)

	for _, tc := range []struct {
		name string
		ops  []Operation
		want int // failing operation, or -1
	}{
		{"within", []Operation{Add("/a", long), Add("/n", nil), Test("/n", nil), Add("/b", long), Add("/c", 1)}, 3},
		{"shrinks back", []Operation{Add("/a", long), Add("/b", long), Remove("/a"), Remove("/b")}, -1},
		{"before a pass ends", []Operation{Add("/a", long), Add("/b", long), Add("/n", nil), Test("/n", nil), Remove("/a"), Remove("/b")}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			g := &growth{limit: 100}

			_, err := applyOps(tc.ops, doc, "v1alpha1", g)
			if tc.want < 0 {
				if err != nil || g.used > g.limit {
					t.Fatalf("%v, growth %d", err, g.used)
				}

				return
			}

			var e *Error
			if !errors.As(err, &e) || e.Op != tc.want || !errors.Is(err, ErrGrowthLimit) {
				t.Fatalf("want a growth error at operation %d, got %v", tc.want, err)
			}
		})
	}
}

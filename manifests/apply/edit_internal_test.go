package apply

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiffScalarLists(t *testing.T) {
	t.Parallel()

	list := func(v ...any) []any { return v }
	tests := []struct {
		name   string
		before []any
		after  []any
		want   []string
	}{
		{"same", list("a", "b"), list("a", "b"), nil},
		{"changed in place", list("a", "b", "c"), list("a", "x", "c"), []string{`~ /l/1: "b" -> "x"`}},
		{"inserted", list("a", "c"), list("a", "b", "c"), []string{`+ /l/1: "b"`}},
		{"removed", list("a", "b", "c"), list("a", "c"), []string{`- /l/1: "b"`}},
		{"appended", list("a"), list("a", int64(2)), []string{`+ /l/1: 2`}},
		{"emptied", list("a", "b"), list(), []string{`- /l/0: "a"`, `- /l/1: "b"`}},
		{"from empty", list(), list(true), []string{`+ /l/0: true`}},
		{"all different", list("a", "b"), list("x", "y"), []string{`~ /l/0: "a" -> "x"`, `~ /l/1: "b" -> "y"`}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			var got []string
			for _, f := range diffFields(nil, map[string]any{"l": tt.before}, map[string]any{"l": tt.after}, true, true, nil) {
				got = append(got, f.String())
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDiffFieldsObjects(t *testing.T) {
	t.Parallel()

	before := map[string]any{"a": int64(1), "m": map[string]any{"x": "1", "gone": nil}, "objs": []any{map[string]any{"n": "a"}}}
	after := map[string]any{"a": "1", "m": map[string]any{"x": "1", "new/key~": false}, "objs": []any{map[string]any{"n": "b"}, map[string]any{"n": "c"}}}

	var got []string
	for _, f := range diffFields(nil, before, after, true, true, nil) {
		got = append(got, f.String())
	}

	require.Equal(t, []string{
		`~ /a: 1 -> "1"`,
		`- /m/gone: null`,
		`+ /m/new~1key~0: false`,
		`~ /objs/0/n: "a" -> "b"`,
		`+ /objs/1: {"n":"c"}`,
	}, got)
}

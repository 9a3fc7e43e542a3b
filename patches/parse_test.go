package patches_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
	"github.com/talospatch/talospatch/talos"
)

func TestParse(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		in   string
		kind patches.Kind
		text string // canonical String(); "" means the input
		err  error
	}{
		{
			name: "guide json",
			in:   `[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`,
			kind: patches.KindJSON6902,
		},
		{
			name: "json with spaces and member order",
			in:   "[ {\"value\": {\"name\": \"none\"}, \"path\": \"/cluster/network/cni\", \"op\": \"add\"} ]\n",
			kind: patches.KindJSON6902,
			text: `[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}}]`,
		},
		{
			name: "yaml op list",
			in:   "- op: add\n  path: /cluster/proxy\n  value:\n    disabled: true\n- op: remove\n  path: /machine/install\n",
			kind: patches.KindJSON6902,
			text: `[{"op":"add","path":"/cluster/proxy","value":{"disabled":true}},{"op":"remove","path":"/machine/install"}]`,
		},
		{
			name: "move and copy",
			in:   `[{"op":"move","from":"/a","path":"/b"},{"op":"copy","from":"/b","path":"/c"}]`,
			kind: patches.KindJSON6902,
		},
		{
			name: "html characters stay",
			in:   `[{"op":"add","path":"/cluster/clusterName","value":"a<b>&c"}]`,
			kind: patches.KindJSON6902,
		},
		{
			name: "strategic",
			in:   "cluster:\n  network:\n    cni:\n      name: none\n",
			kind: patches.KindStrategic,
		},
		{
			name: "strategic json object",
			in:   `{"cluster":{"proxy":{"disabled":true}}}`,
			kind: patches.KindStrategic,
		},
		{
			name: "strategic multi-document with delete",
			in:   "machine:\n  nodeLabels:\n    $patch: delete\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n",
			kind: patches.KindStrategic,
		},
		{
			name: "strategic document delete",
			in:   "apiVersion: v1alpha1\nkind: HostnameConfig\n$patch: delete\n",
			kind: patches.KindStrategic,
		},
		{name: "empty", in: "", err: patches.ErrEmptyPatch},
		{name: "blank", in: "  \n\t\n", err: patches.ErrEmptyPatch},
		{name: "comments only", in: "# nothing\n---\n", err: patches.ErrEmptyPatch},
		{name: "empty json list", in: "[]", err: patches.ErrEmptyPatch},
		{name: "empty yaml list", in: "[ ]\n", err: patches.ErrEmptyPatch},
		{name: "unknown field", in: "cluster:\n  nope: 1\n", err: patches.ErrInvalidPatch},
		{name: "bad json", in: `[{"op":"add",`, err: patches.ErrInvalidPatch},
		{name: "single op object", in: `{"op":"add","path":"/a","value":1}`, err: patches.ErrInvalidPatch},
		{name: "unknown op", in: `[{"op":"merge","path":"/a","value":1}]`, err: patches.ErrInvalidOperation},
		{name: "missing op", in: `[{"path":"/a","value":1}]`, err: patches.ErrInvalidOperation},
		{name: "missing path", in: `[{"op":"add","value":1}]`, err: patches.ErrInvalidOperation},
		{name: "missing value", in: `[{"op":"add","path":"/a"}]`, err: patches.ErrInvalidOperation},
		{name: "missing from", in: `[{"op":"move","path":"/a"}]`, err: patches.ErrInvalidOperation},
		{name: "value on remove", in: `[{"op":"remove","path":"/a","value":1}]`, err: patches.ErrInvalidOperation},
		{name: "unknown member", in: `[{"op":"add","path":"/a","valeu":1,"value":1}]`, err: patches.ErrInvalidOperation},
		{name: "relative pointer", in: `[{"op":"add","path":"cluster/a","value":1}]`, err: patches.ErrInvalidOperation},
		{name: "bad escape", in: `[{"op":"add","path":"/a~2","value":1}]`, err: patches.ErrInvalidOperation},
		{
			name: "negative token parses (it may name an object member)",
			in:   `[{"op":"remove","path":"/machine/certSANs/-1"}]`,
			kind: patches.KindJSON6902,
		},
		{name: "move into child", in: `[{"op":"move","from":"/a","path":"/a/b"}]`, err: patches.ErrInvalidOperation},
		{name: "not an object", in: `[1]`, err: patches.ErrInvalidOperation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			p, err := patches.Parse([]byte(tc.in))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.True(t, p.IsZero())

				return
			}

			require.NoError(t, err)
			require.Equal(t, tc.kind, p.Kind())

			want := tc.text
			if want == "" {
				want = tc.in
			}

			require.Equal(t, want, p.String())

			back, err := patches.Parse([]byte(p.String()))
			require.NoError(t, err)
			require.Equal(t, p, back)
		})
	}
}

func TestParseErrorNamesOperation(t *testing.T) {
	t.Parallel()

	_, err := patches.Parse([]byte(`[{"op":"add","path":"/a","value":1},{"op":"replace","path":"/b"}]`))

	var pe *patches.ParseError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 1, pe.Op)
	require.Contains(t, err.Error(), "operation 1")
}

func TestLoadAndParseFile(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	file := filepath.Join(dir, "cni.yaml")
	require.NoError(t, os.WriteFile(file, []byte("cluster:\n  network:\n    cni:\n      name: none\n"), 0o600))

	fromFile, err := patches.Load("@" + file)
	require.NoError(t, err)
	require.Equal(t, patches.KindStrategic, fromFile.Kind())

	direct, err := patches.ParseFile(file)
	require.NoError(t, err)
	require.Equal(t, fromFile, direct)

	// Without "@", Load never reads files.
	_, err = patches.Load(file)
	require.ErrorIs(t, err, patches.ErrInvalidPatch)

	_, err = patches.Load("@" + filepath.Join(dir, "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestMustParsePanics(t *testing.T) {
	t.Parallel()

	require.Panics(t, func() { patches.MustParse("") })
	require.NotPanics(t, func() { patches.MustParse(`[{"op":"test","path":"/version","value":"v1alpha1"}]`) })
}

func TestTextMarshaling(t *testing.T) {
	t.Parallel()

	p := must(patches.CNINone(talos.V1_13))

	text, err := p.MarshalText()
	require.NoError(t, err)

	var back patches.Patch
	require.NoError(t, back.UnmarshalText(text))
	require.Equal(t, p, back)

	_, err = patches.Patch{}.MarshalText()
	require.ErrorIs(t, err, patches.ErrEmptyPatch)
}

func TestBuilders(t *testing.T) {
	t.Parallel()

	p, err := patches.Ops(
		patches.Add("/cluster/network/cni", map[string]string{"name": "none"}),
		patches.Test("/version", "v1alpha1"),
		patches.Replace("/machine/install/wipe", true),
		patches.Copy("/cluster/clusterName", "/machine/network/hostname"),
		patches.Move("/machine/network/hostname", "/machine/nodeLabels/name"),
		patches.Remove("/machine/nodeLabels/name"),
	)
	require.NoError(t, err)
	require.Equal(t, `[{"op":"add","path":"/cluster/network/cni","value":{"name":"none"}},`+
		`{"op":"test","path":"/version","value":"v1alpha1"},`+
		`{"op":"replace","path":"/machine/install/wipe","value":true},`+
		`{"op":"copy","from":"/cluster/clusterName","path":"/machine/network/hostname"},`+
		`{"op":"move","from":"/machine/network/hostname","path":"/machine/nodeLabels/name"},`+
		`{"op":"remove","path":"/machine/nodeLabels/name"}]`, p.String())
	require.Len(t, p.Operations(), 6)
	require.Equal(t, patches.Document{}, p.Target())

	_, err = patches.Ops()
	require.ErrorIs(t, err, patches.ErrEmptyPatch)

	_, err = patches.Ops(patches.Add("/a", func() {}))
	require.ErrorIs(t, err, patches.ErrInvalidOperation)

	_, err = patches.Ops(patches.Operation{})
	require.ErrorIs(t, err, patches.ErrInvalidOperation)

	target := patches.Document{Kind: "HostnameConfig"}
	q, err := patches.OpsFor(target, patches.Add("/hostname", "cp-1"))
	require.NoError(t, err)
	require.Equal(t, `[{"op":"test","path":"/kind","value":"HostnameConfig"},{"op":"add","path":"/hostname","value":"cp-1"}]`, q.String())
	require.Equal(t, target, q.Target())
	require.Equal(t, target, patches.MustParse(q.String()).Target())

	named, err := patches.OpsFor(patches.Document{Kind: "UserVolumeConfig", Name: "data"}, patches.Remove("/encryption"))
	require.NoError(t, err)
	require.Equal(t, patches.Document{Kind: "UserVolumeConfig", Name: "data"}, named.Target())

	_, err = patches.OpsFor(patches.Document{Name: "x"}, patches.Remove("/a"))
	require.ErrorIs(t, err, patches.ErrInvalidOperation)

	s, err := patches.Strategic("cluster:\n  proxy:\n    disabled: true\n")
	require.NoError(t, err)
	require.Equal(t, patches.KindStrategic, s.Kind())

	_, err = patches.Strategic(`[{"op":"remove","path":"/a"}]`)
	require.ErrorIs(t, err, patches.ErrInvalidPatch)
}

func TestKindText(t *testing.T) {
	t.Parallel()

	for _, k := range []patches.Kind{patches.KindJSON6902, patches.KindStrategic} {
		text, err := k.MarshalText()
		require.NoError(t, err)

		var back patches.Kind
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, k, back)
	}

	_, err := patches.KindUnknown.MarshalText()
	require.ErrorIs(t, err, patches.ErrInvalidArgument)

	var k patches.Kind
	require.ErrorIs(t, k.UnmarshalText([]byte("JSON6902")), patches.ErrInvalidArgument)
}

func TestOperationJSON(t *testing.T) {
	t.Parallel()

	ops := []patches.Operation{patches.Add("/a~1b", map[string]any{"x": []int{1}}), patches.Move("/a", "/b"), patches.Remove("/c")}

	data, err := json.Marshal(ops)
	require.NoError(t, err)
	require.Equal(t, `[{"op":"add","path":"/a~1b","value":{"x":[1]}},{"op":"move","from":"/a","path":"/b"},{"op":"remove","path":"/c"}]`, string(data))

	var back []patches.Operation
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, ops, back)

	require.ErrorIs(t, json.Unmarshal([]byte(`[{"op":"nope","path":"/a"}]`), &back), patches.ErrInvalidOperation)

	_, err = json.Marshal(patches.Add("/a", make(chan int)))
	require.ErrorIs(t, err, patches.ErrInvalidOperation)
}

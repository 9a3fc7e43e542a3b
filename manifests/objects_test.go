package manifests_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/manifests"
)

func obj(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetName(name)

	if namespace != "" {
		u.SetNamespace(namespace)
	}

	return u
}

func ids(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}

	return out
}

func TestParseObjects(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr int // document index of the error, -1 for none
	}{
		{
			name:    "empty stream",
			in:      "",
			wantErr: -1,
		},
		{
			name: "documents with empty and comment-only ones",
			in: `---
# Source: a.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: one
---
# only a comment
---

---
apiVersion: v1
kind: Namespace
metadata:
  name: two
`,
			want:    []string{"ConfigMap/one", "Namespace/two"},
			wantErr: -1,
		},
		{
			name:    "json document",
			in:      `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}`,
			want:    []string{"Secret/s"},
			wantErr: -1,
		},
		{
			name: "missing kind names the document",
			in: `apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
# empty
---
apiVersion: v1
metadata: {name: b}
`,
			wantErr: 2,
		},
		{
			name:    "not a mapping",
			in:      "- a\n- b\n",
			wantErr: 0,
		},
		{
			name:    "missing apiVersion",
			in:      "kind: ConfigMap\nmetadata: {name: a}\n",
			wantErr: 0,
		},
		{
			name:    "bad yaml",
			in:      "apiVersion: v1\nkind: [\n",
			wantErr: 0,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			objs, err := manifests.ParseObjects([]byte(tt.in))
			if tt.wantErr >= 0 {
				var docErr *manifests.DocumentError
				require.ErrorAs(t, err, &docErr)
				require.Equal(t, tt.wantErr, docErr.Index)
				require.Nil(t, objs)

				return
			}

			require.NoError(t, err)

			if diff := cmp.Diff(tt.want, ids(objs)); diff != "" {
				t.Fatalf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseObjectsInvalidObjectSentinel(t *testing.T) {
	t.Parallel()

	_, err := manifests.ParseObjects([]byte("apiVersion: v1\nmetadata: {name: a}\n"))
	require.True(t, errors.Is(err, manifests.ErrInvalidObject), "error %v", err)
	require.ErrorContains(t, err, "document 0")
}

func TestParseObjectsIntegers(t *testing.T) {
	t.Parallel()

	objs, err := manifests.ParseObjects([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 2, ratio: 0.5}\n"))
	require.NoError(t, err)
	require.Len(t, objs, 1)

	replicas, found, err := unstructured.NestedInt64(objs[0].Object, "spec", "replicas")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, int64(2), replicas)

	// Integers must survive DeepCopy (float64 ints would too, but int64 is what client-go gives).
	require.Equal(t, objs[0].Object, objs[0].DeepCopy().Object)
}

func TestSortForTalos(t *testing.T) {
	t.Parallel()

	in := []*unstructured.Unstructured{
		obj("v1", "ServiceAccount", "kube-system", "sa"),
		obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "zeta.example.com"),
		obj("v1", "Namespace", "", "b"),
		obj("v1", "ConfigMap", "kube-system", "cm"),
		obj("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "", "alpha.example.com"),
		obj("v1", "Namespace", "", "a"),
		obj("example.com/v1", "Namespace", "", "custom-group-namespace"), // Talos checks kind and version only
		obj("v2", "Namespace", "", "not-v1"),
		obj("example.com/v1", "CustomResourceDefinition", "", "not-a-crd"),
		obj("apps/v1", "DaemonSet", "kube-system", "ds"),
	}
	inIDs := ids(in)

	got := manifests.SortForTalos(in)

	want := []string{
		"Namespace/a",
		"Namespace/b",
		"Namespace/custom-group-namespace",
		"CustomResourceDefinition/alpha.example.com",
		"CustomResourceDefinition/zeta.example.com",
		"ServiceAccount/sa",
		"ConfigMap/cm",
		"Namespace/not-v1",
		"CustomResourceDefinition/not-a-crd",
		"DaemonSet/ds",
	}
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}

	require.Equal(t, inIDs, ids(in), "input slice must not be reordered")
	require.Same(t, in[0], got[5], "objects are shared, not copied")
	require.Empty(t, manifests.SortForTalos(nil))
}

func TestSortForTalosStableForEqualNames(t *testing.T) {
	t.Parallel()

	first := obj("v1", "Namespace", "", "same")
	first.SetLabels(map[string]string{"n": "1"})
	second := obj("v1", "Namespace", "", "same")
	second.SetLabels(map[string]string{"n": "2"})

	got := manifests.SortForTalos([]*unstructured.Unstructured{obj("v1", "ConfigMap", "x", "c"), first, second})
	require.Same(t, first, got[0])
	require.Same(t, second, got[1])
}

func TestEncodeObjects(t *testing.T) {
	t.Parallel()

	cm := obj("v1", "ConfigMap", "kube-system", "cm")
	require.NoError(t, unstructured.SetNestedStringMap(cm.Object, map[string]string{"z": "1", "a": "2"}, "data"))

	out, err := manifests.EncodeObjects([]*unstructured.Unstructured{obj("v1", "Namespace", "", "ns"), cm})
	require.NoError(t, err)

	want := `apiVersion: v1
kind: Namespace
metadata:
  name: ns
---
apiVersion: v1
data:
  a: "2"
  z: "1"
kind: ConfigMap
metadata:
  name: cm
  namespace: kube-system
`
	require.Equal(t, want, string(out))

	again, err := manifests.EncodeObjects([]*unstructured.Unstructured{obj("v1", "Namespace", "", "ns"), cm.DeepCopy()})
	require.NoError(t, err)
	require.Equal(t, out, again)

	// Round trip.
	back, err := manifests.ParseObjects(out)
	require.NoError(t, err)
	require.Len(t, back, 2)
	require.Equal(t, cm.Object, back[1].Object)

	empty, err := manifests.EncodeObjects(nil)
	require.NoError(t, err)
	require.Empty(t, empty)

	_, err = manifests.EncodeObjects([]*unstructured.Unstructured{nil})
	require.Error(t, err)
}

func FuzzParseObjects(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n"))
	f.Add([]byte("---\n# comment\n---\n{}\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: []\nmetadata: {name: x}\n"))
	f.Add([]byte("a: [1, 2\n"))
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"x<&>\"}\ndata: {a10: 1.0, a2: 1e21, b: \"yes\", c: null, d: [1.5, -0, 2.0e3], \"1\": \"\\u00e9\\t\"}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := manifests.ParseObjects(data)
		if err != nil {
			return
		}

		// Round trip: encoding the objects and parsing them again gives the same objects.
		out, err := manifests.EncodeObjects(objs)
		require.NoError(t, err)

		back, err := manifests.ParseObjects(out)
		require.NoError(t, err)
		require.Len(t, back, len(objs))

		again, err := manifests.EncodeObjects(back)
		require.NoError(t, err)
		require.Equal(t, string(out), string(again))

		// EncodeObjects writes what sigs.k8s.io/yaml.Marshal writes.
		var want []string
		for _, o := range objs {
			doc, err := sigsyaml.Marshal(o.Object)
			require.NoError(t, err)
			want = append(want, string(doc))
		}

		require.Equal(t, strings.Join(want, "---\n"), string(out))
	})
}

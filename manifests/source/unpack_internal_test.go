package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	helmarchive "helm.sh/helm/v4/pkg/chart/loader/archive"

	"github.com/stretchr/testify/require"
)

// checkUnpack compares unpackArchive with Helm's archive.LoadArchiveFiles on data: whenever the
// former unpacks, the latter gives the same files, and every file was fed, as the very bytes
// unpacked; without a feed, it unpacks the same.
func checkUnpack(t *testing.T, data []byte) bool {
	t.Helper()

	plain, plainOK := unpackArchive(data, nil)

	type fed struct {
		name string
		data []byte
	}

	var feed []fed

	files, ok := unpackArchive(data, func(name string, data []byte) { feed = append(feed, fed{name, data}) })
	require.Equal(t, ok, plainOK)
	require.Equal(t, files, plain)
	if !ok {
		return false
	}

	want, err := helmarchive.LoadArchiveFiles(bytes.NewReader(data))
	require.NoError(t, err, "unpacked what Helm's loader refuses")
	require.Len(t, files, len(want))
	require.Len(t, feed, len(files))

	for i := range want {
		require.Equal(t, want[i].Name, files[i].Name)
		require.Equal(t, want[i].Data, files[i].Data, want[i].Name)
		require.Equal(t, files[i].Name, feed[i].name)
		require.True(t, len(files[i].Data) == 0 || &files[i].Data[0] == &feed[i].data[0], "%s: fed the very bytes", files[i].Name)
	}

	return true
}

type entry struct {
	name     string
	typeflag byte
	data     string
}

func archive(t testing.TB, entries ...entry) []byte {
	t.Helper()

	var buf bytes.Buffer

	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)

	for _, e := range entries {
		typ := e.typeflag
		if typ == 0 {
			typ = tar.TypeReg
		}

		hd := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: int64(len(e.data))}
		if typ != tar.TypeReg {
			hd.Size = 0
			hd.Linkname = e.data
		}

		require.NoError(t, tw.WriteHeader(hd))

		if typ == tar.TypeReg {
			_, err := tw.Write([]byte(e.data))
			require.NoError(t, err)
		}
	}

	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())

	return buf.Bytes()
}

const chartYAML = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"

func TestUnpackEqualsHelmLoader(t *testing.T) {
	t.Parallel()

	charts, _ := filepath.Glob("../../testdata/charts/*.tgz")
	sources, _ := filepath.Glob("testdata/*.tgz")

	for _, p := range append(charts, sources...) {
		data, err := os.ReadFile(p)
		require.NoError(t, err)

		ok := checkUnpack(t, data)
		if filepath.Dir(p) != "testdata" {
			require.True(t, ok, "a packaged chart is unpacked on the fast path: %s", p)
		}
	}

	tpl := "{{ .Values.x }}"

	for _, tc := range []struct {
		name    string
		entries []entry
		fast    bool
	}{
		{"plain", []entry{{name: "demo/Chart.yaml", data: chartYAML}, {name: "demo/templates/a.yaml", data: tpl}}, true},
		{"templates first", []entry{{name: "demo/templates/a.yaml", data: tpl}, {name: "demo/Chart.yaml", data: chartYAML}}, true},
		{"bom", []entry{{name: "demo/Chart.yaml", data: "\ufeff" + chartYAML}, {name: "demo/templates/a.yaml", data: "\ufeff" + tpl}}, true},
		{"directories", []entry{{name: "demo/", typeflag: tar.TypeDir}, {name: "demo/Chart.yaml", data: chartYAML}}, true},
		{"bad template", []entry{{name: "demo/Chart.yaml", data: chartYAML}, {name: "demo/templates/a.yaml", data: "{{ if }}"}}, true},
		{"symlink", []entry{{name: "demo/Chart.yaml", data: chartYAML}, {name: "demo/templates/l.yaml", typeflag: tar.TypeSymlink, data: "a.yaml"}}, false},
		{"dot segment", []entry{{name: "demo/./Chart.yaml", data: chartYAML}}, false},
		{"backslashes", []entry{{name: "demo\\Chart.yaml", data: chartYAML}}, false},
		{"parent", []entry{{name: "demo/../Chart.yaml", data: chartYAML}}, false},
		{"absolute", []entry{{name: "/demo/Chart.yaml", data: chartYAML}}, false},
		{"no top directory", []entry{{name: "Chart.yaml", data: chartYAML}}, false},
		{"drive", []entry{{name: "demo/c:/x", data: "x"}}, false},
		{"empty", nil, false},
	} {
		data := archive(t, tc.entries...)
		require.Equal(t, tc.fast, checkUnpack(t, data), tc.name)
	}
}

// FuzzUnpack mutates a small archive: the fast path never unpacks what Helm's loader refuses
// or unpacks differently.
func FuzzUnpack(f *testing.F) {
	f.Add(archive(f, entry{name: "demo/Chart.yaml", data: chartYAML}, entry{name: "demo/templates/a.yaml", data: "{{ .Values.x }}"}))
	f.Add(archive(f, entry{name: "demo/templates/b.yaml", data: "x"}, entry{name: "demo/values.yaml", data: "x: 1"}))

	f.Fuzz(func(t *testing.T, data []byte) {
		checkUnpack(t, data)
	})
}

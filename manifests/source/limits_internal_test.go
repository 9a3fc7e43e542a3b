package source

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	helmarchive "helm.sh/helm/v4/pkg/chart/loader/archive"

	"github.com/stretchr/testify/require"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// TestLimitTransportBlobs: blob bodies are cut off past the archive limit whatever their
// Content-Length says, and refused up front when it is over the limit; other requests pass.
func TestLimitTransportBlobs(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	zeros := make([]byte, 32<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		if r.URL.Query().Get("length") != "" {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		for left := size; left > 0; left -= len(zeros) {
			if _, err := w.Write(zeros[:min(left, len(zeros))]); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: &limitTransport{base: http.DefaultTransport, lim: sourceLimits{archiveSize: limit}}}

	tests := []struct {
		name    string
		path    string
		size    int
		length  bool
		wantErr bool
	}{
		{name: "blob at the limit", path: "/v2/charts/x/blobs/sha256:aa", size: limit},
		{name: "blob over the limit, chunked", path: "/v2/charts/x/blobs/sha256:aa", size: 64 << 20, wantErr: true},
		{name: "blob over the limit, Content-Length", path: "/v2/charts/x/blobs/sha256:aa", size: 64 << 20, length: true, wantErr: true},
		{name: "one byte over", path: "/v2/charts/x/blobs/sha256:aa", size: limit + 1, wantErr: true},
		{name: "not a blob", path: "/v2/charts/x/tags/list", size: 2 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := srv.URL + tt.path + "?size=" + strconv.Itoa(tt.size)
			if tt.length {
				u += "&length=1"
			}
			resp, err := client.Get(u)
			var n int64
			if err == nil {
				n, err = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
			if !tt.wantErr {
				require.NoError(t, err)
				require.EqualValues(t, tt.size, n)
				return
			}
			require.ErrorIs(t, err, ErrLimitExceeded)
			require.Contains(t, err.Error(), "WithMaxArchiveSize")
			require.LessOrEqual(t, n, int64(limit))
		})
	}
}

// TestLoadFilesEqualsHelm: loadFiles, Helm's LoadFiles without its logging, loads every
// shipped chart and the test charts as Helm's does. Not parallel: Helm's loader logs for some
// of them, to the standard logger, which the test silences.
func TestLoadFilesEqualsHelm(t *testing.T) {
	out := log.Writer()
	log.SetOutput(io.Discard)
	t.Cleanup(func() { log.SetOutput(out) })
	charts, _ := filepath.Glob("../../testdata/charts/*.tgz")
	for _, p := range charts {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		files, err := helmarchive.LoadArchiveFiles(bytes.NewReader(data))
		require.NoError(t, err)
		checkLoadFiles(t, files)
	}
	sub, err := os.ReadFile("../../testdata/charts/cilium-1.16.18.tgz")
	require.NoError(t, err)
	for _, files := range [][]*helmarchive.BufferedFile{
		{{Name: "Chart.yaml", Data: []byte(chartYAML)}, {Name: "requirements.yaml", Data: []byte("dependencies:\n- name: a\n  version: 1.0.0\n")}, {Name: "requirements.lock", Data: []byte("digest: x\n")}},
		{{Name: "Chart.yaml", Data: []byte("name: old\nversion: 1.0.0\n")}, {Name: "requirements.yaml", Data: []byte("dependencies:\n- name: a\n  version: 1.0.0\n")}, {Name: "requirements.lock", Data: []byte("digest: x\n")}},
		{{Name: "Chart.yaml", Data: []byte(chartYAML)}, {Name: "charts/cilium-1.16.18.tgz", Data: sub}, {Name: "charts/local/Chart.yaml", Data: []byte("apiVersion: v2\nname: local\nversion: 1.0.0\n")}, {Name: "charts/local/templates/a.yaml", Data: []byte("a: 1\n")}, {Name: "charts/x.prov", Data: []byte("sig")}},
		{{Name: "values.yaml", Data: []byte("a: 1\n")}},
		{{Name: "Chart.yaml", Data: []byte("name: [unclosed\n")}},
		{{Name: "Chart.yaml", Data: []byte(chartYAML)}, {Name: "values.yaml", Data: []byte("a: [\n")}},
	} {
		checkLoadFiles(t, files)
	}
}

func checkLoadFiles(t *testing.T, files []*helmarchive.BufferedFile) {
	t.Helper()
	clone := func() []*helmarchive.BufferedFile {
		out := make([]*helmarchive.BufferedFile, len(files))
		for i, f := range files {
			out[i] = &helmarchive.BufferedFile{Name: f.Name, Data: f.Data}
		}
		return out
	}
	want, wantErr := loader.LoadFiles(clone())
	got, err := loadFiles(clone(), defaultLimits())
	if wantErr != nil {
		require.Error(t, err)
		require.Equal(t, wantErr.Error(), err.Error())
		return
	}
	require.NoError(t, err)
	sortDependencies(want)
	require.Equal(t, want, got)
}

// sortDependencies sorts the subcharts of c by name, the order of loadFiles (Helm's is random).
func sortDependencies(c *chart.Chart) {
	deps := c.Dependencies()
	slices.SortFunc(deps, func(a, b *chart.Chart) int {
		switch {
		case a.Name() < b.Name():
			return -1
		case a.Name() > b.Name():
			return 1
		}
		return 0
	})
	c.SetDependencies(deps...)
	for _, d := range deps {
		sortDependencies(d)
	}
}

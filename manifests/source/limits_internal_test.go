package source

import (
	"bytes"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"testing"

	helmarchive "helm.sh/helm/v4/pkg/chart/loader/archive"

	"github.com/stretchr/testify/require"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

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

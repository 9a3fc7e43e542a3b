package helmengine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	helmarchive "helm.sh/helm/v4/pkg/chart/loader/archive"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// TestPipelineTreesAreUsed: the templates a Pipeline parsed while a chart was unpacked are the
// trees Parse returns for that chart, for every shipped chart; a template whose bytes changed
// since is parsed again.
func TestPipelineTreesAreUsed(t *testing.T) {
	t.Parallel()

	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "charts", "cilium-*.tgz"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)

	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()

			data, err := os.ReadFile(p)
			require.NoError(t, err)

			files, err := helmarchive.LoadArchiveFiles(bytes.NewReader(data))
			require.NoError(t, err)

			pp := NewPipeline()
			for _, f := range files {
				pp.Add(f.Name, f.Data)
			}

			pre := pp.Finish()

			c, err := loader.LoadFiles(files)
			require.NoError(t, err)

			changed := c.Templates[len(c.Templates)-1]
			changed.Data = append([]byte(nil), changed.Data...) // equal bytes, another slice

			parsed := Parse(c, pre)
			require.NoError(t, parsed.err)

			early := pre.wait()
			require.NotEmpty(t, early)

			for name, f := range early {
				require.NoError(t, f.err, name)

				if name == c.Name()+"/"+changed.Name {
					require.NotEqual(t, fmt.Sprintf("%p", f.trees), fmt.Sprintf("%p", parsed.trees[name]), "%s: parsed again", name)

					continue
				}

				require.Equal(t, fmt.Sprintf("%p", f.trees), fmt.Sprintf("%p", parsed.trees[name]), name)
			}
		})
	}
}

// TestPipelineAbandon: an abandoned pipeline stops its goroutines; templates before Chart.yaml
// wait for the chart's name.
func TestPipelineAbandon(t *testing.T) {
	t.Parallel()

	pp := NewPipeline()
	pp.Add("templates/a.yaml", []byte("{{ .Values.x }}"))
	require.False(t, pp.started, "no chart name yet")
	pp.Add("Chart.yaml", []byte("apiVersion: v2\nname: demo\nversion: 0.1.0\n"))
	require.True(t, pp.started)
	pp.Abandon()

	pp = NewPipeline()
	pp.Add("templates/a.yaml", []byte("{{ .Values.x }}"))
	files := pp.Finish().wait()
	require.Contains(t, files, "templates/a.yaml", "without Chart.yaml the template is parsed under no chart name")
}

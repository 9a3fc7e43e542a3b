package manifests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/chart/common"
	helmarchive "helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

// smallChart is a chart of one template and a helper.
func smallChart() *chart.Chart {
	return &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "app", Version: "1.0.0"},
		Values:   map[string]any{"name": "demo"},
		Templates: []*common.File{
			{Name: "templates/_helpers.tpl", Data: []byte(`{{- define "app.suffix" -}}v1{{- end -}}`)},
			{Name: "templates/cm.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  name: {{ .Values.name }}-{{ include \"app.suffix\" . }}\n")},
		},
	}
}

// TestRendererParsesOnce: a Renderer parses its chart's templates once, whatever the number of
// renders, and concurrent renders share the trees.
func TestRendererParsesOnce(t *testing.T) {
	t.Parallel()

	c := smallChart()
	rd := NewRenderer(c)

	first, err := rd.Render(context.Background(), "1.33.0", RenderOptions{})
	require.NoError(t, err)

	parsed := rd.parsedTemplates()

	for i := range 3 {
		r, err := rd.Render(context.Background(), "1.33.0", RenderOptions{Set: []string{fmt.Sprintf("name=n%d", i)}})
		require.NoError(t, err)
		require.Contains(t, string(r.YAML), fmt.Sprintf("n%d-v1", i))
	}

	require.Same(t, parsed, rd.parsedTemplates())

	again, err := rd.Render(context.Background(), "1.33.0", RenderOptions{})
	require.NoError(t, err)
	require.Equal(t, first.YAML, again.YAML)
}

// TestNewRendererFunc: a Renderer made while its chart loads renders what NewRenderer renders
// for every shipped chart, with the templates parsed during the load; a failed load is
// returned as it is.
func TestNewRendererFunc(t *testing.T) {
	t.Parallel()

	for _, version := range []string{"1.11.2", "1.18.12", "1.20.0"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()

			data, err := os.ReadFile(filepath.Join("..", "testdata", "charts", "cilium-"+version+".tgz"))
			require.NoError(t, err)

			rd, err := NewRendererFunc(func(file func(string, []byte)) (*chart.Chart, error) {
				files, err := helmarchive.LoadArchiveFiles(bytes.NewReader(data))
				if err != nil {
					return nil, err
				}

				for _, f := range files {
					file(f.Name, f.Data)
				}

				return loader.LoadFiles(files)
			})
			require.NoError(t, err)
			require.NotNil(t, rd.pre)

			ch, err := loader.LoadArchive(bytes.NewReader(data))
			require.NoError(t, err)

			copts := CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}
			opts := RenderOptions{Deterministic: true}

			got, err := rd.RenderCilium(context.Background(), "1.35.0", copts, opts)
			require.NoError(t, err)

			want, err := RenderCilium(context.Background(), ch, "1.35.0", copts, opts)
			require.NoError(t, err)

			require.Equal(t, string(want.YAML), string(got.YAML))
			require.Equal(t, string(want.HelmOutput), string(got.HelmOutput))
		})
	}

	loadErr := errors.New("load failed")

	_, err := NewRendererFunc(func(file func(string, []byte)) (*chart.Chart, error) {
		file("Chart.yaml", []byte("apiVersion: v2\nname: demo\nversion: 0.1.0\n"))
		file("templates/a.yaml", []byte("{{ .Values.x }}"))

		return nil, loadErr
	})
	require.ErrorIs(t, err, loadErr)
}

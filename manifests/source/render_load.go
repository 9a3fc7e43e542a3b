package source

import (
	"context"
	"os"

	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/talospatch/talospatch/manifests"
)

// LoadRenderer loads the chart at p, like LoadPath, and returns a [manifests.Renderer] for it.
// For a chart archive, parsing the chart's templates (the largest part of a first render)
// starts as soon as they come out of the archive and runs while the rest of it is decompressed
// and the rest of the chart (Chart.yaml, values.yaml) is read ([manifests.NewRendererFunc]), so
// that loading and rendering once take less time than LoadPath followed by Render. Errors are
// those of LoadPath.
//
// The Renderer owns the chart; Renderer.Chart returns it for reading.
func LoadRenderer(ctx context.Context, p string) (*manifests.Renderer, error) {
	if err := ctx.Err(); err != nil {
		return nil, &SourceError{Source: p, Err: err}
	}

	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		c, err := LoadPath(ctx, p)
		if err != nil {
			return nil, err
		}

		return manifests.NewRenderer(c.Chart), nil
	}

	data, err := readFileLimited(p)
	if err != nil {
		return nil, &SourceError{Source: p, Err: err}
	}

	rd, err := manifests.NewRendererFunc(func(file func(string, []byte)) (*chart.Chart, error) {
		return loadArchiveFeeding(ctx, data, file, defaultLimits())
	})
	if err != nil {
		return nil, &SourceError{Source: p, Err: err}
	}

	return rd, nil
}

package manifests

import (
	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/talospatch/talospatch/internal/helmengine"
)

// NewRendererFunc returns a Renderer for the chart that load loads, with the chart's templates
// parsed while load is still running: parsing the templates is the largest part of a first
// render, and a chart source that unpacks an archive can hand them over as they come out of
// it (source.LoadRenderer does).
//
// load calls file with the chart's files as it reads them, from one goroutine at a time:
// name is the path in the chart ("Chart.yaml", "templates/deployment.yaml"; other files may be
// passed and are ignored) and data the bytes, which the returned chart must hold as the very
// same slices (not copies) for their parse to be used; a template whose bytes differ, or that
// was never passed, is parsed at the first render. load may call file with nothing. An error
// of load is returned as it is, after the parsing has stopped.
//
// The Renderer owns the chart; Renderer.Chart returns it for reading.
func NewRendererFunc(load func(file func(name string, data []byte)) (*chart.Chart, error)) (*Renderer, error) {
	pp := helmengine.NewPipeline()

	c, err := load(pp.Add)
	if err != nil {
		pp.Abandon()

		return nil, err
	}

	rd := NewRenderer(c)
	rd.pre = pp.Finish()

	return rd, nil
}

// Chart returns the Renderer's chart. It must not be modified.
func (rd *Renderer) Chart() *chart.Chart { return rd.chart }

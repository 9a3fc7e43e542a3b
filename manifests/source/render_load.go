package source

import (
	"context"
	"os"

	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/talospatch/talospatch/manifests"
)

// Renderer is a [manifests.Renderer] of a loaded chart with the digest of what the chart was
// loaded from, as [Chart] is a chart with its digest.
type Renderer struct {
	*manifests.Renderer

	// Digest identifies the bytes the chart was loaded from, as [Chart.Digest] does: a caller
	// can key what it keeps of a chart's renders by it.
	Digest string
}

// LoadRenderer loads the chart at p, like LoadPath with the same options (the limits), and
// returns a [manifests.Renderer] for it with the chart's digest. For a chart archive, parsing
// the chart's templates (the largest part of a first render) starts as soon as they come out of
// the archive and runs while the rest of it is decompressed and the rest of the chart
// (Chart.yaml, values.yaml) is read ([manifests.NewRendererFunc]), so that loading and rendering
// once take less time than LoadPath followed by Render. Errors are those of LoadPath.
//
// The Renderer owns the chart; Renderer.Chart returns it for reading.
func LoadRenderer(ctx context.Context, p string, opts ...LoadOption) (*Renderer, error) {
	if err := ctx.Err(); err != nil {
		return nil, &SourceError{Source: p, Err: err}
	}

	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		c, err := LoadPath(ctx, p, opts...)
		if err != nil {
			return nil, err
		}

		return &Renderer{Renderer: manifests.NewRenderer(c.Chart), Digest: c.Digest}, nil
	}

	lim := collectLimits(opts)

	data, err := readFileLimits(ctx, p, lim)
	if err != nil {
		return nil, &SourceError{Source: p, Err: err}
	}

	rd, err := manifests.NewRendererFunc(func(file func(string, []byte)) (*chart.Chart, error) {
		return loadArchiveFeeding(ctx, data, file, lim)
	})
	if err != nil {
		return nil, &SourceError{Source: p, Err: err}
	}

	return &Renderer{Renderer: rd, Digest: archiveDigest(data)}, nil
}

// LoadRendererRef loads ref, any reference [Load] takes (a path, file://, a repository URL
// with the chart name, oci://), with version as Load reads it, and returns a Renderer for it:
// a local path goes through [LoadRenderer], so an archive's templates are parsed while it
// unpacks; the others through Load. A program that takes a chart reference from its user
// calls this instead of choosing between the two itself.
func LoadRendererRef(ctx context.Context, ref, version string, opts ...LoadOption) (*Renderer, error) {
	p, plain, local := localRef(ref)
	if !local {
		c, err := Load(ctx, ref, version, opts...)
		if err != nil {
			return nil, err
		}
		return &Renderer{Renderer: manifests.NewRenderer(c.Chart), Digest: c.Digest}, nil
	}
	rd, err := LoadRenderer(ctx, p, opts...)
	if err != nil {
		if plain {
			err = withRepoNameHint(ref, err)
		}
		return nil, err
	}
	if err := checkVersion(p, rd.Chart(), version); err != nil {
		return nil, err
	}
	return rd, nil
}

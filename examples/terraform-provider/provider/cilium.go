package provider

// Every use of package manifests in the provider is in this file.

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/talospatch/talospatch/manifests/source"
	"github.com/talospatch/talospatch/manifests/source/oci"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/talospatch/talospatch/cluster"
	"github.com/talospatch/talospatch/manifests"
)

// charts keeps loaded charts for the life of the provider process, so that the validate, plan
// and apply calls of one run load a chart once (and the Builder's render memo, which is keyed by
// the loaded chart, hits).
type charts struct {
	mu sync.Mutex
	m  map[string]*chartEntry
}

type chartEntry struct {
	once sync.Once
	rd   *manifests.Renderer
	err  error
}

// load returns the chart at ref (source.Load's references: a path, an HTTP repository URL
// with the chart name, oci://...) and version. A local file is loaded again when its size or
// modification time changed. A failed load is not kept: the next call tries again (the
// failure may have been this call's context).
func (c *charts) load(ctx context.Context, ref, version string) (*manifests.Renderer, error) {
	key := ref + "\x00" + version
	if fi, err := os.Stat(ref); err == nil {
		key += fmt.Sprintf("\x00%d\x00%d", fi.Size(), fi.ModTime().UnixNano())
	}

	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]*chartEntry)
	}

	e, ok := c.m[key]
	if !ok {
		e = &chartEntry{}
		c.m[key] = e
	}
	c.mu.Unlock()

	e.once.Do(func() {
		rd, err := source.LoadRendererRef(ctx, ref, version, oci.Enable())
		if e.err = err; err == nil {
			e.rd = rd.Renderer
		}
	})

	if e.err != nil {
		c.mu.Lock()
		if c.m[key] == e {
			delete(c.m, key)
		}
		c.mu.Unlock()
	}

	return e.rd, e.err
}

// cilium reads the cilium attribute into a cluster.Cilium; nil when unset (or unknown, noted
// in r). A chart that does not load is a diagnostic at cilium.chart.
func (p *talospatchProvider) cilium(ctx context.Context, r *reader, v attr.Value) *cluster.Cilium {
	a := r.object(v)
	if a == nil {
		return nil
	}

	ref, version := r.str(a["chart"]), r.str(a["version"])
	opts := manifests.RenderOptions{Namespace: r.str(a["namespace"]), Set: r.strings(a["set"])}

	for _, vf := range r.strings(a["values"]) {
		opts.ValuesFiles = append(opts.ValuesFiles, []byte(vf))
	}

	c := &cluster.Cilium{
		Options:               opts,
		CertificatesInCluster: r.optionalBool(a["certificates_in_cluster"], true),
		Deterministic:         r.optionalBool(a["deterministic"], true),
	}

	if r.unknown {
		return c
	}

	rd, err := p.charts.load(ctx, ref, version)
	if err != nil {
		r.diags.AddAttributeError(path.Root(attrCilium).AtName("chart"), "Cilium chart not loaded", err.Error())

		return nil
	}

	c.Renderer = rd

	return c
}

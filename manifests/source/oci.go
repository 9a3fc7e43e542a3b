package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/registry"
	"oras.land/oras-go/v2/errdef"
	orasregistry "oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// ociRef is a parsed "oci://" chart reference.
type ociRef struct {
	repository string // REGISTRY/REPOSITORY, without scheme
	tag        string // Helm version form (with "+", not "_")
	digest     string // "sha256:..."
}

func (r ociRef) pullRef() string {
	s := r.repository
	if r.tag != "" {
		s += ":" + strings.ReplaceAll(r.tag, "+", "_")
	}
	if r.digest != "" {
		s += "@" + r.digest
	}
	return s
}

// parseOCIRef parses "oci://REGISTRY/REPOSITORY[:TAG][@DIGEST]". A "+" in the tag (semver
// build metadata) is accepted, as Helm stores it as "_".
func parseOCIRef(ref string) (ociRef, error) {
	raw, ok := strings.CutPrefix(ref, schemeOCI)
	if !ok {
		return ociRef{}, fmt.Errorf("%w: want oci://REGISTRY/REPOSITORY[:TAG]", ErrInvalidReference)
	}
	if host, _, hasPath := strings.Cut(raw, "/"); hasPath && strings.Contains(host, "@") {
		return ociRef{}, fmt.Errorf("%w: credentials in an OCI reference are not supported: remove the USER[:PASSWORD]@ before the registry and log in with `helm registry login REGISTRY` (Helm's registry config) or pass WithRegistryClient", ErrInvalidReference)
	}
	var r ociRef
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		raw, r.digest = raw[:i], raw[i+1:]
	}
	if i := strings.LastIndex(raw, ":"); i > strings.LastIndex(raw, "/") {
		raw, r.tag = raw[:i], strings.ReplaceAll(raw[i+1:], "_", "+")
		if r.tag == "" {
			return ociRef{}, fmt.Errorf("%w: empty tag", ErrInvalidReference)
		}
	}
	r.repository = raw
	parsed, err := orasregistry.ParseReference(r.pullRef())
	if err != nil {
		return ociRef{}, fmt.Errorf("%w: %w", ErrInvalidReference, err)
	}
	if parsed.Repository == "" {
		return ociRef{}, fmt.Errorf("%w: no repository in %q", ErrInvalidReference, redactURL(ref))
	}
	return r, nil
}

// LoadOCI loads a chart from an OCI registry through Helm's registry client, as
// `helm pull oci://...` does: ref is "oci://REGISTRY/REPOSITORY[:TAG][@DIGEST]".
//
// version selects the tag when ref has none: an exact version, a semver constraint (the
// highest matching tag) or empty for the highest tag that is not a pre-release. If both ref and
// version name a tag they must agree. Blob digests are verified by the registry client.
//
// Credentials come from Helm's registry config like `helm pull` (or pass
// [WithRegistryClient]); use [WithPlainHTTP] for a registry without TLS.
//
// The chart layer obeys [WithMaxArchiveSize] like a repository archive: a manifest that
// declares a larger chart layer or config is refused before the blob is requested, and every
// blob is read through a reader that fails past the limit, so a registry that lies about a
// size costs no more memory than the limit. With [WithRegistryClient] the requests go through
// that client's transport, which this package cannot bound: only the pulled archive is
// checked, after the client has read it.
func LoadOCI(ctx context.Context, ref, version string, opts ...LoadOption) (*chart.Chart, error) {
	src := redactURL(ref)
	if version != "" {
		src = fmt.Sprintf("%s (version %s)", src, version)
	}
	c, err := loadOCI(ctx, ref, version, collectOptions(opts))
	if err != nil {
		return nil, &SourceError{Source: src, Err: err}
	}
	return c, nil
}

func loadOCI(ctx context.Context, ref, version string, o loadOptions) (*chart.Chart, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := parseOCIRef(ref)
	if err != nil {
		return nil, err
	}
	if r.tag != "" && version != "" && r.tag != version {
		return nil, fmt.Errorf("%w: reference tag %s and version %s differ", ErrInvalidReference, r.tag, version)
	}
	client := o.registryClient
	if client == nil {
		httpClient := *o.httpClient
		base := httpClient.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		httpClient.Transport = &ctxTransport{ctx: ctx, base: &limitTransport{base: base, lim: o.limits}}
		copts := []registry.ClientOption{registry.ClientOptHTTPClient(&httpClient), registry.ClientOptWriter(io.Discard)}
		if o.plainHTTP {
			copts = append(copts, registry.ClientOptPlainHTTP())
		}
		client, err = registry.NewClient(copts...)
		if err != nil {
			return nil, fmt.Errorf("registry client: %w", err)
		}
	}

	if r.tag == "" && r.digest == "" {
		tags, err := client.Tags(r.repository)
		if err != nil {
			return nil, classifyOCIError(ctx, err)
		}
		i := pickVersion(tags, version)
		if i < 0 {
			if len(tags) == 0 {
				return nil, fmt.Errorf("%w: repository %s has no semver tags", ErrChartNotFound, r.repository)
			}
			return nil, fmt.Errorf("%w: no tag matches %q (tags: %s)", ErrVersionNotFound, version, shortList(tags))
		}
		r.tag = tags[i]
	}

	result, err := client.Pull(r.pullRef(), registry.PullOptWithChart(true))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		err = classifyOCIError(ctx, err)
		if errors.Is(err, ErrChartNotFound) && r.tag != "" {
			// Tell a missing version from a missing repository.
			if tags, tagErr := client.Tags(r.repository); tagErr == nil && len(tags) > 0 {
				return nil, fmt.Errorf("%w: no tag %s (tags: %s)", ErrVersionNotFound, r.tag, shortList(tags))
			}
		}
		return nil, err
	}
	c, err := loadArchiveLimits(result.Chart.Data, o.limits)
	if err != nil {
		return nil, err
	}
	if r.tag != "" && c.Metadata.Version != r.tag {
		return nil, fmt.Errorf("%w: tag %s holds chart %s version %s", ErrCorruptArchive, r.tag, c.Name(), c.Metadata.Version)
	}
	return c, nil
}

// classifyOCIError wraps registry client errors with the sentinels of this package.
func classifyOCIError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var resp *errcode.ErrorResponse
	var limitErr *LimitError
	switch {
	case errors.As(err, &limitErr):
		return limitErr
	case errors.Is(err, errdef.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrChartNotFound, err)
	case errors.As(err, &resp) && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone):
		return fmt.Errorf("%w: %w", ErrChartNotFound, err)
	case errors.As(err, &resp) && resp.StatusCode >= 500:
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	case isTransportError(err):
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

func isTransportError(err error) bool {
	var netErr net.Error
	var urlErr *url.Error
	return errors.As(err, &netErr) || errors.As(err, &urlErr)
}

// ctxTransport binds every request to ctx as well as to the request's own context, so that
// the registry client (which uses context.Background) is cancelled with the caller's ctx.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *ctxTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.ctx.Err(); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(t.ctx, cancel)
	resp, err := t.base.RoundTrip(req.WithContext(rctx))
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, release: func() { stop(); cancel() }}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	release func()
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

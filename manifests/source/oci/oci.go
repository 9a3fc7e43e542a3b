package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/registry"
	"oras.land/oras-go/v2/errdef"
	orasregistry "oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/talospatch/talospatch/manifests/source"
	"github.com/talospatch/talospatch/manifests/source/internal/scheme"
)

// schemeOCI is the scheme of the references of this package.
const schemeOCI = "oci://"

// Enable is the option that makes [source.Load] load oci:// references: a program that loads
// charts from OCI registries passes it (or calls [Load]); a program that does not neither links
// nor initialises Helm's registry client and oras, and source.Load refuses oci:// references
// naming this option.
func Enable() source.LoadOption {
	return func(o *scheme.Options) { o.OCIPull = pull }
}

// Load loads a chart from an OCI registry: it is [source.Load] for a reference of the form
// "oci://REGISTRY/REPOSITORY[:TAG][@DIGEST]", and fails with [source.ErrInvalidReference] for
// any other. See the package documentation for versions, credentials and limits.
func Load(ctx context.Context, ref, version string, opts ...source.LoadOption) (*source.Chart, error) {
	if !strings.HasPrefix(ref, schemeOCI) {
		return nil, &source.SourceError{Source: ref, Err: fmt.Errorf("%w: want oci://REGISTRY/REPOSITORY[:TAG] (use source.Load for other references)", source.ErrInvalidReference)}
	}
	return source.Load(ctx, ref, version, append(slices.Clone(opts), Enable())...)
}

// WithPlainHTTP makes OCI requests over plain HTTP instead of HTTPS, for a registry on
// loopback or a trusted network. It has no effect on the other sources (an http://
// repository URL always uses plain HTTP).
func WithPlainHTTP() source.LoadOption {
	return func(o *scheme.Options) { o.PlainHTTP = true }
}

// WithRegistryClient uses c for OCI references instead of a client built from the other
// options (for credentials other than Helm's registry config file, or a custom authorizer).
// Helm's client makes its requests with context.Background, so the context is then only
// checked before the pull; without this option the context reaches every request. The
// client's transport is not bounded by [source.WithMaxArchiveSize]: only the pulled archive
// is checked, after the client has read it.
func WithRegistryClient(c *registry.Client) source.LoadOption {
	return func(o *scheme.Options) { o.RegistryClient = c }
}

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
		return ociRef{}, fmt.Errorf("%w: want oci://REGISTRY/REPOSITORY[:TAG]", source.ErrInvalidReference)
	}
	if host, _, hasPath := strings.Cut(raw, "/"); hasPath && strings.Contains(host, "@") {
		return ociRef{}, fmt.Errorf("%w: credentials in an OCI reference are not supported: remove the USER[:PASSWORD]@ before the registry and log in with `helm registry login REGISTRY` (Helm's registry config) or pass oci.WithRegistryClient", source.ErrInvalidReference)
	}
	var r ociRef
	if i := strings.LastIndex(raw, "@"); i >= 0 {
		raw, r.digest = raw[:i], raw[i+1:]
	}
	if i := strings.LastIndex(raw, ":"); i > strings.LastIndex(raw, "/") {
		raw, r.tag = raw[:i], strings.ReplaceAll(raw[i+1:], "_", "+")
		if r.tag == "" {
			return ociRef{}, fmt.Errorf("%w: empty tag", source.ErrInvalidReference)
		}
	}
	r.repository = raw
	parsed, err := orasregistry.ParseReference(r.pullRef())
	if err != nil {
		return ociRef{}, fmt.Errorf("%w: %w", source.ErrInvalidReference, err)
	}
	if parsed.Repository == "" {
		return ociRef{}, fmt.Errorf("%w: no repository in %q", source.ErrInvalidReference, ref)
	}
	return r, nil
}

// pull downloads the chart archive of ref, within o.ArchiveSize, through Helm's registry
// client (or o.RegistryClient), choosing the tag by version when ref has none.
func pull(ctx context.Context, ref, version string, o scheme.Options) ([]byte, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	r, err := parseOCIRef(ref)
	if err != nil {
		return nil, "", err
	}
	if r.tag != "" && version != "" && r.tag != version {
		return nil, "", fmt.Errorf("%w: reference tag %s and version %s differ", source.ErrInvalidReference, r.tag, version)
	}
	client, _ := o.RegistryClient.(*registry.Client)
	if client == nil {
		httpClient := http.Client{}
		if o.HTTPClient != nil {
			httpClient = *o.HTTPClient
		}
		base := httpClient.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		httpClient.Transport = &ctxTransport{ctx: ctx, base: &limitTransport{base: base, archiveSize: o.ArchiveSize}}
		copts := []registry.ClientOption{registry.ClientOptHTTPClient(&httpClient), registry.ClientOptWriter(io.Discard)}
		if o.PlainHTTP {
			copts = append(copts, registry.ClientOptPlainHTTP())
		}
		client, err = registry.NewClient(copts...)
		if err != nil {
			return nil, "", fmt.Errorf("registry client: %w", err)
		}
	}

	if r.tag == "" && r.digest == "" {
		tags, err := client.Tags(r.repository)
		if err != nil {
			return nil, "", classifyOCIError(ctx, err)
		}
		i := scheme.PickVersion(tags, version)
		if i < 0 {
			if len(tags) == 0 {
				return nil, "", fmt.Errorf("%w: repository %s has no semver tags", source.ErrChartNotFound, r.repository)
			}
			return nil, "", fmt.Errorf("%w: no tag matches %q (tags: %s)", source.ErrVersionNotFound, version, scheme.ShortList(tags))
		}
		r.tag = tags[i]
	}

	result, err := client.Pull(r.pullRef(), registry.PullOptWithChart(true))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, "", ctxErr
		}
		err = classifyOCIError(ctx, err)
		if errors.Is(err, source.ErrChartNotFound) && r.tag != "" {
			// Tell a missing version from a missing repository.
			if tags, tagErr := client.Tags(r.repository); tagErr == nil && len(tags) > 0 {
				return nil, "", fmt.Errorf("%w: no tag %s (tags: %s)", source.ErrVersionNotFound, r.tag, scheme.ShortList(tags))
			}
		}
		return nil, "", err
	}
	if result.Chart == nil {
		return nil, "", fmt.Errorf("%w: %s holds no chart layer", source.ErrCorruptArchive, r.pullRef())
	}
	return result.Chart.Data, r.tag, nil
}

// classifyOCIError wraps registry client errors with the sentinels of package source.
func classifyOCIError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var resp *errcode.ErrorResponse
	var limitErr *source.LimitError
	switch {
	case errors.As(err, &limitErr):
		return limitErr
	case errors.Is(err, errdef.ErrNotFound):
		return fmt.Errorf("%w: %w", source.ErrChartNotFound, err)
	case errors.As(err, &resp) && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone):
		return fmt.Errorf("%w: %w", source.ErrChartNotFound, err)
	case errors.As(err, &resp) && resp.StatusCode >= 500:
		return fmt.Errorf("%w: %w", source.ErrUnreachable, err)
	case isTransportError(err):
		return fmt.Errorf("%w: %w", source.ErrUnreachable, err)
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

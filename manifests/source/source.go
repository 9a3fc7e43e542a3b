package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	helmarchive "helm.sh/helm/v4/pkg/chart/loader/archive"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/ignore"

	"github.com/talospatch/talospatch/internal/ctxread"
	"github.com/talospatch/talospatch/manifests/source/internal/scheme"
)

// Errors of the chart sources. Every error returned by [Load], [LoadPath], [LoadFS],
// [LoadArchive], [LoadRepo] and package oci is a [*SourceError] that names the source and wraps
// one of these (test with [errors.Is]) or the underlying I/O error.
var (
	// ErrChartNotFound: the path, repository, chart name, archive or OCI repository does not
	// exist.
	ErrChartNotFound = errors.New("chart not found")
	// ErrVersionNotFound: the chart exists but not in the requested version (a version absent
	// from a repository index or from an OCI repository's tags, or a local chart of another
	// version).
	ErrVersionNotFound = errors.New("chart version not found")
	// ErrUnreachable: the server could not be reached (connection refused, DNS, TLS, timeout)
	// or answered with a server error.
	ErrUnreachable = errors.New("chart source unreachable")
	// ErrDigestMismatch: a downloaded or cached archive does not have the sha256 digest the
	// repository index promises. Errors carrying it are [*DigestError] values.
	ErrDigestMismatch = errors.New("chart digest mismatch")
	// ErrNoDigest: a repository index entry carries no digest, so the archive cannot be
	// verified; it is refused.
	ErrNoDigest = errors.New("chart index entry has no digest")
	// ErrCorruptArchive: the bytes are not a valid gzipped chart archive (bad gzip or tar
	// stream, no Chart.yaml, invalid chart metadata, too large). An archive over a limit of
	// the sources gives a [*LimitError], which matches both this and [ErrLimitExceeded].
	ErrCorruptArchive = errors.New("corrupt chart archive")
	// ErrInvalidChart: a chart directory is not a valid chart (no Chart.yaml, invalid
	// metadata, irregular files).
	ErrInvalidChart = errors.New("invalid chart directory")
	// ErrInvalidIndex: a repository's index.yaml cannot be parsed.
	ErrInvalidIndex = errors.New("invalid repository index")
	// ErrInvalidReference: a chart reference does not follow the rules of [Load] or is not a
	// valid repository URL or OCI reference.
	ErrInvalidReference = errors.New("invalid chart reference")
)

// SourceError is the error of every chart source: it names the source (a path, an fs.FS
// entry, a repository URL with chart name and version, or an OCI reference) and wraps the
// cause. Credentials in URLs are redacted in Source and in the message: a password becomes
// "xxxxx" ("https://user:xxxxx@host"), as does a user name given without a password.
type SourceError struct {
	// Source names what was loaded (URL credentials redacted), for example
	// "https://helm.cilium.io cilium 1.18.12",
	// "oci://ghcr.io/org/cilium:1.18.12" or "charts/cilium-1.18.12.tgz".
	Source string
	// Err is the cause; it wraps one of the ErrX sentinels of this package where one applies.
	Err error
}

// Error implements error.
func (e *SourceError) Error() string {
	// The causes of this package carry redacted URLs already; redactText also catches URLs
	// with credentials in messages of other packages.
	return redactText(fmt.Sprintf("load chart %s: %v", e.Source, e.Err))
}

// Unwrap returns the cause.
func (e *SourceError) Unwrap() error { return e.Err }

// DigestError reports an archive whose sha256 digest differs from the repository index.
// It matches [ErrDigestMismatch] with [errors.Is].
type DigestError struct {
	// Location is the archive URL (credentials redacted) or the cache file that was checked.
	Location string
	// Want is the digest of the index entry, Got the digest of the bytes (lowercase hex).
	Want, Got string
}

// Error implements error.
func (e *DigestError) Error() string {
	return fmt.Sprintf("%s: sha256 %s, index says %s", e.Location, e.Got, e.Want)
}

// Is reports whether target is [ErrDigestMismatch].
func (e *DigestError) Is(target error) bool { return target == ErrDigestMismatch }

// StatusError is an HTTP response with an unexpected status code. A 404 or 410 also matches
// [ErrChartNotFound], a 5xx [ErrUnreachable].
type StatusError struct {
	// URL is the requested URL, credentials redacted.
	URL string
	// StatusCode is the HTTP status code of the response.
	StatusCode int
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// Is matches [ErrChartNotFound] for 404 and 410 and [ErrUnreachable] for 5xx codes.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrChartNotFound:
		return e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusGone
	case ErrUnreachable:
		return e.StatusCode >= 500
	}
	return false
}

// LoadOption configures the chart sources: the network sources ([Load], [LoadRepo] and
// package oci) take every option, the local ones ([LoadPath], [LoadFS], [LoadArchive]) the
// limits ([WithMaxArchiveSize], [WithMaxChartFiles], [WithMaxChartSize]) and ignore the rest.
// The zero set of options uses a fresh [http.Client] without a cache and the default limits.
// Package oci has options of its own (oci.WithPlainHTTP, oci.WithRegistryClient).
type LoadOption func(*scheme.Options)

// loadOptions are the options of one load with the defaults in place (also for the loaders of
// package oci, which get them whole).
type loadOptions struct {
	scheme.Options
}

// limits returns the limits of the load.
func (o loadOptions) limits() sourceLimits {
	return sourceLimits{archiveSize: o.ArchiveSize, files: o.Files, chartSize: o.ChartSize}
}

// WithHTTPClient sets the HTTP client for repository and OCI requests (proxies, TLS roots,
// timeouts). The default is a new client on [http.DefaultTransport].
func WithHTTPClient(c *http.Client) LoadOption {
	return func(o *scheme.Options) { o.HTTPClient = c }
}

// WithCacheDir keeps downloaded repository archives in dir, content-addressed by their sha256
// digest ("<hex>.tgz"), and the last index of each repository ("index-<hash of the URL>.yaml").
// A cached archive is verified against the index on every use and downloaded again if it does
// not match. The index is fetched on every load; the cached one is used only when the
// repository is unreachable, which makes loads of cached charts work offline. The directory is
// created if missing.
func WithCacheDir(dir string) LoadOption {
	return func(o *scheme.Options) { o.CacheDir = dir }
}

// applyOptions returns what opts set.
func applyOptions(opts []LoadOption) scheme.Options {
	var set scheme.Options
	for _, opt := range opts {
		if opt != nil {
			opt(&set)
		}
	}
	return set
}

// collectOptions returns the options of a network load: opts with the defaults in place.
func collectOptions(opts []LoadOption) loadOptions {
	set := applyOptions(opts)
	lim := collectLimitsOf(set)
	set.ArchiveSize, set.Files, set.ChartSize = lim.archiveSize, lim.files, lim.chartSize
	if set.HTTPClient == nil {
		set.HTTPClient = &http.Client{Transport: http.DefaultTransport}
	}
	return loadOptions{set}
}

// collectLimits returns the limits set by opts, the defaults in place: all a local load needs.
func collectLimits(opts []LoadOption) sourceLimits {
	return collectLimitsOf(applyOptions(opts))
}

func collectLimitsOf(set scheme.Options) sourceLimits {
	return sourceLimits{archiveSize: set.ArchiveSize, files: set.Files, chartSize: set.ChartSize}.withDefaults()
}

// The reference schemes of [Load].
const (
	schemeOCI   = "oci://"
	schemeHTTPS = "https://"
	schemeHTTP  = "http://"
	schemeFile  = "file://"
)

// Load loads a chart from ref, chosen by explicit scheme rules (a string is never probed to
// guess whether it is a file):
//
//   - "oci://REGISTRY/REPOSITORY/NAME[:TAG|@DIGEST]": an OCI registry, through package
//     [github.com/talospatch/talospatch/manifests/source/oci], whose option oci.Enable() the
//     program passes (without it the load fails with [ErrInvalidReference] naming the
//     option). version, if set, is the tag; it must agree with a tag in ref.
//   - "https://HOST/PATH/NAME" or "http://HOST/PATH/NAME": chart NAME of the Helm repository
//     at "https://HOST/PATH" (the last path segment is the chart name, the rest the
//     repository URL, as in `helm install --repo https://HOST/PATH NAME`), see [LoadRepo].
//     version is an exact version or a semver constraint; empty means the latest stable one.
//   - "file://PATH": the local path PATH.
//   - any other string without "://": a local chart archive or chart directory, see
//     [LoadPath]. version, if set, must equal the chart's version. A Helm repository name
//     ("cilium/cilium" after `helm repo add cilium https://helm.cilium.io`) is such a path;
//     when it does not exist the error says to use the repository URL
//     ("https://helm.cilium.io/cilium").
//   - any other scheme: [ErrInvalidReference].
//
// Options apply to the network sources.
func Load(ctx context.Context, ref, version string, opts ...LoadOption) (*Chart, error) {
	if p, plain, ok := localRef(ref); ok {
		c, err := loadPathVersion(ctx, p, version, opts)
		if plain {
			err = withRepoNameHint(ref, err)
		}
		return c, err
	}

	switch {
	case strings.HasPrefix(ref, schemeOCI):
		return loadOCI(ctx, ref, version, opts)
	case strings.HasPrefix(ref, schemeHTTPS), strings.HasPrefix(ref, schemeHTTP):
		repoURL, name, err := splitRepoRef(ref)
		if err != nil {
			return nil, &SourceError{Source: redactURL(ref), Err: err}
		}
		return LoadRepo(ctx, repoURL, name, version, opts...)
	case ref == "":
		return nil, &SourceError{Source: `""`, Err: fmt.Errorf("%w: empty reference", ErrInvalidReference)}
	default:
		scheme, _, _ := strings.Cut(ref, "://")
		return nil, &SourceError{Source: redactURL(ref), Err: fmt.Errorf("%w: scheme %q is not one of oci, https, http, file", ErrInvalidReference, scheme)}
	}
}

// localRef reports whether ref, a reference Load takes, names a local chart, and its path:
// "file://PATH", or a non-empty string without "://" (plain: a bare path, which may be a
// mistyped Helm repository name; see withRepoNameHint).
func localRef(ref string) (p string, plain, ok bool) {
	if p, ok := strings.CutPrefix(ref, schemeFile); ok {
		return p, false, true
	}
	if ref == "" || strings.Contains(ref, "://") {
		return "", false, false
	}
	return ref, true, true
}

// withRepoNameHint adds to err, the error of loading the local path ref, what to write
// instead when ref reads like a Helm repository name and the path does not exist.
func withRepoNameHint(ref string, err error) error {
	if hint := repoNameHint(ref); hint != "" && errors.Is(err, ErrChartNotFound) {
		return &SourceError{Source: ref, Err: fmt.Errorf("%w (%s)", errors.Unwrap(err), hint)}
	}
	return err
}

// repoNameHint returns, for a reference that reads like a Helm repository name and chart name
// ("cilium/cilium", as in `helm install cilium cilium/cilium` after `helm repo add`) or a
// repository URL without its scheme ("helm.cilium.io/cilium"), what to write instead; else "".
// It is only used to word the error of a path that does not exist: Load never guesses.
func repoNameHint(ref string) string {
	repo, name, ok := strings.Cut(ref, "/")
	if !ok || repo == "" || name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(repo, ".") ||
		strings.HasSuffix(name, ".tgz") || strings.ContainsAny(repo, ":\\") {
		return ""
	}
	if strings.Contains(repo, ".") {
		return fmt.Sprintf("%q is read as a path: for the repository at %s write its URL, https://%s", ref, repo, ref)
	}
	url := "https://REPOSITORY-URL/" + name + " (the URL given to helm repo add " + repo + ")"
	if repo == "cilium" {
		url = "https://helm.cilium.io/" + name
	}
	return fmt.Sprintf("%q is read as a path: a Helm repository name is not a reference here, use the repository URL and the chart name, %s", ref, url)
}

// ociPackage is the package that loads oci:// references.
const ociPackage = "github.com/talospatch/talospatch/manifests/source/oci"

// loadOCI loads an oci:// reference through the loader of package oci's Enable option, or
// says to give it.
func loadOCI(ctx context.Context, ref, version string, opts []LoadOption) (*Chart, error) {
	src := redactURL(ref)
	if version != "" {
		src = fmt.Sprintf("%s (version %s)", src, version)
	}
	o := collectOptions(opts)
	if o.OCIPull == nil {
		return nil, &SourceError{Source: src, Err: fmt.Errorf(`%w: oci:// references are loaded by package %s: pass its option, source.Load(ctx, ref, version, oci.Enable()), or call oci.Load`, ErrInvalidReference, ociPackage)}
	}
	archive, tag, err := o.OCIPull(ctx, ref, version, o.Options)
	if err != nil {
		return nil, &SourceError{Source: src, Err: err}
	}
	c, err := loadArchiveLimits(ctx, archive, o.limits())
	if err != nil {
		return nil, &SourceError{Source: src, Err: err}
	}
	if tag != "" && c.Metadata.Version != tag {
		return nil, &SourceError{Source: src, Err: fmt.Errorf("%w: tag %s holds chart %s version %s", ErrCorruptArchive, tag, c.Name(), c.Metadata.Version)}
	}
	return c, nil
}

// splitRepoRef splits "https://host/path/name" into the repository URL and the chart name.
func splitRepoRef(ref string) (repoURL, name string, err error) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrInvalidReference, redactErr(err))
	}
	p := strings.TrimRight(u.Path, "/")
	i := strings.LastIndex(p, "/")
	if u.Host == "" || i < 0 || p[i+1:] == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("%w: want REPOSITORY-URL/CHART-NAME, for example https://helm.cilium.io/cilium", ErrInvalidReference)
	}
	name = p[i+1:]
	repo := *u
	repo.Path, repo.RawPath = p[:i], ""
	return repo.String(), name, nil
}

func loadPathVersion(ctx context.Context, p, version string, opts []LoadOption) (*Chart, error) {
	c, err := LoadPath(ctx, p, opts...)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(p, c.Chart, version); err != nil {
		return nil, err
	}
	return c, nil
}

// checkVersion refuses the chart c loaded from the local path p when version is set and is not
// its version.
func checkVersion(p string, c *chart.Chart, version string) error {
	if version != "" && c.Metadata.Version != version {
		return &SourceError{Source: p, Err: fmt.Errorf("%w: chart %s has version %s, want %s", ErrVersionNotFound, c.Name(), c.Metadata.Version, version)}
	}
	return nil
}

// LoadPath loads a chart archive (.tgz) or an unpacked chart directory from the local file
// system. A directory honours its .helmignore like `helm template DIR`; a symbolic link in it
// is followed when it points inside the chart directory and refused ([ErrInvalidChart])
// when it points outside. Options set the limits (see [MaxChartFiles]); others are ignored.
// An archive path may name a pipe (a named pipe, /dev/stdin): it is read within the archive
// size limit, and a pipe that no writer opens, or a writer that stops, ends the load when ctx
// ends instead of blocking it. Nothing is written to the standard logger.
func LoadPath(ctx context.Context, p string, opts ...LoadOption) (*Chart, error) {
	lim := collectLimits(opts)
	if err := ctx.Err(); err != nil {
		return nil, &SourceError{Source: p, Err: err}
	}
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w: %w", ErrChartNotFound, err)
		}
		return nil, &SourceError{Source: p, Err: err}
	}
	if fi.IsDir() {
		c, err := loadChartDir(ctx, os.DirFS(p), ".", lim)
		if err != nil {
			return nil, &SourceError{Source: p, Err: err}
		}
		return c, nil
	}
	data, err := readFileLimits(ctx, p, lim)
	if err != nil {
		return nil, &SourceError{Source: p, Err: err}
	}
	c, err := loadArchiveLimits(ctx, data, lim)
	if err != nil {
		return nil, &SourceError{Source: p, Err: err}
	}
	return c, nil
}

// readFileLimits reads the chart archive at p within lim's archive size, giving up when ctx
// ends: p may name a pipe (the archive is read from it; one that no writer opens waits until
// ctx ends instead of forever).
func readFileLimits(ctx context.Context, p string, lim sourceLimits) ([]byte, error) {
	data, err := ctxread.File(ctx, p, lim.archiveSize)
	var stopped *ctxread.StoppedError
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, ctxread.ErrTooLarge):
		return nil, lim.archiveError("archive", 0)
	case errors.As(err, &stopped):
		return nil, stopped // names the cause and wraps the context's error
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %w", ErrChartNotFound, err)
	}
	var opened *fs.PathError
	if errors.As(err, &opened) && opened.Op == "open" {
		return nil, err
	}
	return nil, fmt.Errorf("%w: %w", ErrCorruptArchive, err)
}

func readLimited(r io.Reader, lim sourceLimits) ([]byte, error) {
	data, err := readAllLimit(r, lim.archiveSize, func() error { return lim.archiveError("archive", 0) })
	if err != nil {
		if errors.Is(err, ErrLimitExceeded) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrCorruptArchive, err)
	}
	return data, nil
}

// readAllLimit reads r to the end, refusing more than limit bytes with the error of
// tooLarge.
func readAllLimit(r io.Reader, limit int64, tooLarge func() error) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge()
	}
	return data, nil
}

// LoadArchive loads a chart from the bytes of a gzipped chart archive, as written by
// `helm package`. It is pure; errors wrap [ErrCorruptArchive]. Options set the limits (see
// [MaxChartFiles]); others are ignored. Unpacking stops between files when ctx ends.
func LoadArchive(ctx context.Context, data []byte, opts ...LoadOption) (*Chart, error) {
	c, err := loadArchiveLimits(ctx, data, collectLimits(opts))
	if err != nil {
		return nil, &SourceError{Source: "archive", Err: err}
	}
	return c, nil
}

// loadArchiveLimits loads a chart archive within lim, with its digest.
func loadArchiveLimits(ctx context.Context, data []byte, lim sourceLimits) (*Chart, error) {
	c, err := loadArchiveFeeding(ctx, data, nil, lim)
	if err != nil {
		return nil, err
	}
	return &Chart{Chart: c, Digest: archiveDigest(data)}, nil
}

// loadArchiveFeeding loads a chart archive as loader.LoadArchive does (LoadArchiveFiles, then
// LoadFiles), within lim. The archive is unpacked by unpackArchiveLimits, into buffers of the
// files' sizes, each file passed to feed (if not nil) as it comes out of the archive; archives
// unpackArchiveLimits does not handle are counted and measured, then unpacked by Helm's
// loader, which words any error. The files are loaded by loadFiles, Helm's LoadFiles without
// its logging.
func loadArchiveFeeding(ctx context.Context, data []byte, feed func(name string, data []byte), lim sourceLimits) (*chart.Chart, error) {
	lim.ctx = ctx
	if err := lim.stopped(); err != nil {
		return nil, err
	}
	if err := checkArchive(data, lim); err != nil {
		return nil, err
	}
	files, ok, err := unpackArchiveLimits(data, feed, lim)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := scanArchive(data, lim); err != nil {
			return nil, err
		}
		if files, err = helmarchive.LoadArchiveFiles(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorruptArchive, err)
		}
	}
	c, err := loadFiles(files, lim)
	if err != nil {
		if errors.Is(err, ErrLimitExceeded) || lim.stopped() != nil {
			return nil, err // a limit, or the end of the load's context: not a corrupt archive
		}
		return nil, fmt.Errorf("%w: %w", ErrCorruptArchive, err)
	}
	return c, nil
}

// checkArchive refuses data that is too large or not gzip data before it is unpacked.
func checkArchive(data []byte, lim sourceLimits) error {
	if int64(len(data)) > lim.archiveSize {
		return lim.archiveError("archive", int64(len(data)))
	}
	if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		return fmt.Errorf("%w: not gzip data (want a .tgz made by helm package)", ErrCorruptArchive)
	}
	return nil
}

// LoadFS loads a chart from fsys: name is either a chart directory (use "." when fsys is
// rooted at the chart) or a chart archive file. A directory honours its .helmignore; a
// symbolic link in it (when fsys implements [fs.ReadLinkFS], as [os.DirFS] does) is followed
// when it points inside the chart directory and refused when it points outside. Use it with
// embed.FS to ship a chart inside a binary. Options set the limits (see [MaxChartFiles]);
// others are ignored.
func LoadFS(ctx context.Context, fsys fs.FS, name string, opts ...LoadOption) (*Chart, error) {
	lim := collectLimits(opts)
	src := "fs:" + name
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w: %w", ErrChartNotFound, err)
		}
		return nil, &SourceError{Source: src, Err: err}
	}
	if !fi.IsDir() {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, &SourceError{Source: src, Err: err}
		}
		data, err := readLimited(f, lim)
		_ = f.Close()
		if err != nil {
			return nil, &SourceError{Source: src, Err: err}
		}
		c, err := loadArchiveLimits(ctx, data, lim)
		if err != nil {
			return nil, &SourceError{Source: src, Err: err}
		}
		return c, nil
	}
	c, err := loadChartDir(ctx, fsys, name, lim)
	if err != nil {
		return nil, &SourceError{Source: src, Err: err}
	}
	return c, nil
}

// loadChartDir loads the chart directory root of fsys.
func loadChartDir(ctx context.Context, fsys fs.FS, root string, lim sourceLimits) (*Chart, error) {
	lim.ctx = ctx // subchart archives in the directory stop with it too
	files, sums, err := readChartDir(ctx, fsys, root, lim)
	if err != nil {
		return nil, err
	}
	c, err := loadFiles(files, lim)
	if err != nil {
		if errors.Is(err, ErrLimitExceeded) || lim.stopped() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalidChart, err)
	}
	return &Chart{Chart: c, Digest: dirDigest(sums)}, nil
}

// errOutsideChart: a symbolic link resolves outside the chart directory.
var errOutsideChart = errors.New("outside the chart")

// maxLinkHops bounds the symbolic links followed to resolve one path (Linux's MAXSYMLINKS).
const maxLinkHops = 40

// readChartDir reads the files of the chart directory root of fsys, in lexical order, minus
// those .helmignore excludes (like Helm's directory loader), within lim, and the sha256 of
// each file's bytes. Symbolic links are followed, like Helm's loader does, only when they
// resolve inside root.
func readChartDir(ctx context.Context, fsys fs.FS, root string, lim sourceLimits) ([]*helmarchive.BufferedFile, []fileSum, error) {
	rules := ignore.Empty()
	ignoreFile := path.Join(root, ignore.HelmIgnore)
	if fi, err := fs.Stat(fsys, ignoreFile); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%w: %s is not a regular file", ErrInvalidChart, ignore.HelmIgnore)
	}
	if data, err := readFileMax(fsys, ignoreFile, lim.chartSize); err == nil {
		r, err := ignore.Parse(bytes.NewReader(data))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrInvalidChart, ignore.HelmIgnore, err)
		}
		rules = r
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	rules.AddDefaults()

	r := &dirReader{ctx: ctx, fsys: fsys, root: root, rules: rules, lim: lim}
	if err := r.walk(root, "", []string{root}); err != nil {
		return nil, nil, err
	}
	return r.files, r.sums, nil
}

type dirReader struct {
	ctx   context.Context
	fsys  fs.FS
	root  string
	rules *ignore.Rules
	lim   sourceLimits
	files []*helmarchive.BufferedFile
	sums  []fileSum
	size  int64
}

// walk reads the directory dir of fsys (a path without symbolic links), whose name in the
// chart is rel; chain holds the directories being walked, to refuse link cycles.
func (r *dirReader) walk(dir, rel string, chain []string) error {
	entries, err := fs.ReadDir(r.fsys, dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		p := path.Join(dir, e.Name())
		name := e.Name()
		if rel != "" {
			name = rel + "/" + name
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			link := fi
			if p, fi, err = r.follow(p, name); err != nil {
				if r.rules.Ignore(name, link) {
					continue // .helmignore excludes the link: where it points does not matter
				}
				return err
			}
			if fi.IsDir() && slices.ContainsFunc(chain, func(d string) bool { return fsPathWithin(d, p) }) {
				return fmt.Errorf("%w: %s is a symbolic link to a directory that contains it (a cycle)", ErrInvalidChart, name)
			}
		}
		if fi.IsDir() {
			if r.rules.Ignore(name, fi) {
				continue
			}
			if err := r.walk(p, name, append(chain[:len(chain):len(chain)], p)); err != nil {
				return err
			}
			continue
		}
		if r.rules.Ignore(name, fi) {
			continue
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: %s is not a regular file", ErrInvalidChart, name)
		}
		if n := int64(len(r.files)) + 1; n > r.lim.files {
			err := r.lim.filesError("files of the chart directory", 0)
			err.dir = true
			return err
		}
		if r.size += fi.Size(); r.size > r.lim.chartSize {
			err := r.lim.sizeError("files of the chart directory", 0)
			err.dir = true
			return err
		}
		data, err := readFileMax(r.fsys, p, r.lim.chartSize-(r.size-fi.Size()))
		if err != nil {
			return err
		}
		r.sums = append(r.sums, fileSum{name: name, sum: sha256.Sum256(data)})
		r.files = append(r.files, &helmarchive.BufferedFile{Name: name, ModTime: fi.ModTime(), Data: bytes.TrimPrefix(data, utf8BOM)})
	}
	return nil
}

// follow resolves the symbolic link p (named name in the chart) inside the chart and returns
// the target's path and information. Without fs.ReadLinkFS the link is returned as it is
// (and refused as not a regular file).
func (r *dirReader) follow(p, name string) (string, fs.FileInfo, error) {
	rl, ok := r.fsys.(fs.ReadLinkFS)
	if !ok {
		fi, err := fs.Lstat(r.fsys, p)
		return p, fi, err
	}
	t, err := resolveInside(rl, r.root, p)
	if err != nil {
		if errors.Is(err, errOutsideChart) {
			target, _ := rl.ReadLink(p)
			return "", nil, fmt.Errorf("%w: %s is a symbolic link to %s, outside the chart (links are followed only inside the chart directory: copy the target into the chart)", ErrInvalidChart, name, target)
		}
		return "", nil, fmt.Errorf("%w: symbolic link %s: %w", ErrInvalidChart, name, err)
	}
	fi, err := rl.Lstat(t)
	if err != nil {
		return "", nil, err
	}
	return t, fi, nil
}

// fsPathWithin reports whether p is base or inside it (paths of an fs.FS).
func fsPathWithin(p, base string) bool {
	return base == "." || p == base || strings.HasPrefix(p, base+"/")
}

// resolveInside evaluates the symbolic links of p, a path inside root, like
// filepath.EvalSymlinks, and fails with errOutsideChart as soon as a link leads out of root.
func resolveInside(rl fs.ReadLinkFS, root, p string) (string, error) {
	rest := p
	if root != "." {
		rest = strings.TrimPrefix(p, root+"/")
	}
	todo := strings.Split(rest, "/")
	done := root
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if done == root {
				return "", errOutsideChart
			}
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, c)
		fi, err := rl.Lstat(next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if hops++; hops > maxLinkHops {
			return "", errors.New("too many levels of symbolic links")
		}
		t, err := rl.ReadLink(next)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(t, "/") || filepath.IsAbs(t) || filepath.VolumeName(t) != "" {
			return "", errOutsideChart
		}
		todo = append(strings.Split(t, "/"), todo...)
	}
	return done, nil
}

// readFileMax reads the file p of fsys, refusing more than limit bytes (a file may grow after
// it was measured).
func readFileMax(fsys fs.FS, p string, limit int64) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllLimit(f, limit, func() error {
		return fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidChart, p, limit)
	})
}

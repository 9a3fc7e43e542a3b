package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"sigs.k8s.io/yaml"

	"github.com/talospatch/talospatch/internal/ctxread"
	"github.com/talospatch/talospatch/manifests/source/internal/scheme"
)

// maxIndexSize bounds the index.yaml a repository may send (Bitnami's full index is ~15 MiB).
const maxIndexSize = 128 << 20

// LoadRepo loads chart name from the Helm chart repository at repoURL (http or https; the
// URL `helm repo add` takes): it fetches repoURL/index.yaml, picks the version, downloads the
// archive (index URLs may be absolute or relative to repoURL), checks its sha256 digest
// against the index entry and loads it.
//
// version is an exact version ("1.18.12"), a semver constraint ("~1.18") that picks the
// highest matching version, or empty for the highest version that is not a pre-release.
// With [WithCacheDir], the index and the archives are kept: archives are re-verified on every
// use, and the kept index is used when the repository is unreachable (offline); an error of
// an unreachable repository says so.
func LoadRepo(ctx context.Context, repoURL, name, version string, opts ...LoadOption) (*Chart, error) {
	want := version
	if want == "" {
		want = "latest"
	}
	src := fmt.Sprintf("%s (chart %s, version %s)", redactURL(repoURL), name, want)
	c, err := loadRepo(ctx, repoURL, name, version, collectOptions(opts))
	if err != nil {
		return nil, &SourceError{Source: src, Err: err}
	}
	return c, nil
}

func loadRepo(ctx context.Context, repoURL, name, version string, o loadOptions) (*Chart, error) {
	base, err := repoBase(repoURL)
	if err != nil {
		return nil, err
	}
	if name == "" || strings.ContainsAny(name, "/?#") {
		return nil, fmt.Errorf("%w: chart name %q", ErrInvalidReference, name)
	}
	indexURL := base.JoinPath("index.yaml").String()
	// shownIndex and shownArchive are the URLs for messages: without credentials.
	shownIndex := redactURL(indexURL)
	data, err := httpGet(ctx, o.HTTPClient, indexURL, maxIndexSize, func(int64) error {
		return fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidIndex, shownIndex, maxIndexSize)
	})
	indexCache := ""
	if o.CacheDir != "" {
		indexCache = filepath.Join(o.CacheDir, "index-"+sha256Hex([]byte(base.String()))[:32]+".yaml")
	}
	switch {
	case err == nil && indexCache != "":
		if err := writeCache(indexCache, data); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	case errors.Is(err, ErrUnreachable) && indexCache != "":
		cached, cacheErr := ctxread.File(ctx, indexCache, maxIndexSize)
		switch {
		case errors.Is(cacheErr, fs.ErrNotExist):
			return nil, fmt.Errorf("repository index: %w; %s", err, offlineHint(o.CacheDir, false))
		case cacheErr != nil:
			return nil, fmt.Errorf("repository index: %w; the cached index: %w", err, cacheErr)
		}
		data = cached // offline: the index of the last load that reached the repository
	case errors.Is(err, ErrUnreachable):
		return nil, fmt.Errorf("repository index: %w; %s", err, offlineHint("", false))
	case err != nil:
		return nil, fmt.Errorf("repository index: %w", err)
	}
	index, err := parseIndex(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shownIndex, err)
	}
	entry, err := findVersion(index, name, version)
	if err != nil {
		return nil, err
	}
	if len(entry.URLs) == 0 {
		return nil, fmt.Errorf("%w: %s: entry %s %s has no urls", ErrInvalidIndex, shownIndex, name, entry.Version)
	}
	archiveURL, err := resolveArchiveURL(base, entry.URLs[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %s: entry %s %s: %w", ErrInvalidIndex, shownIndex, name, entry.Version, err)
	}
	shownArchive := redactURL(archiveURL)
	digest, err := normalizeDigest(entry.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: entry %s %s: %w", shownIndex, name, entry.Version, err)
	}

	archive, err := fetchArchive(ctx, o, archiveURL, digest)
	if errors.Is(err, ErrUnreachable) {
		return nil, fmt.Errorf("%w; %s", err, offlineHint(o.CacheDir, true))
	}
	if err != nil {
		return nil, err
	}
	c, err := loadArchiveFeeding(ctx, archive, nil, o.limits())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shownArchive, err)
	}
	if c.Name() != entry.Name || c.Metadata.Version != entry.Version {
		return nil, fmt.Errorf("%w: %s holds chart %s %s, index says %s %s", ErrCorruptArchive, shownArchive, c.Name(), c.Metadata.Version, entry.Name, entry.Version)
	}
	// Its digest is the index's: fetchArchive checked the bytes against it (no second hash).
	return &Chart{Chart: c, Digest: "sha256:" + digest}, nil
}

// offlineHint says how to load charts of a repository without the network: a cache directory
// (WithCacheDir) keeps the index and the archives of every load that reached the repository.
func offlineHint(cacheDir string, archive bool) string {
	switch {
	case cacheDir == "":
		return "to load charts of this repository offline, load them once with source.WithCacheDir(DIR): DIR keeps the index and the archives, which later loads with the same DIR use when the repository is unreachable"
	case archive:
		return fmt.Sprintf("the cache %s does not hold this archive yet (source.WithCacheDir keeps it once a load reaches the repository)", cacheDir)
	default:
		return fmt.Sprintf("the cache %s holds no index of this repository yet (source.WithCacheDir keeps it once a load reaches the repository)", cacheDir)
	}
}

// repoBase parses a repository URL and returns it with a trailing slash, so relative archive
// URLs resolve inside it.
func repoBase(repoURL string) (*url.URL, error) {
	u, err := url.Parse(repoURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidReference, redactErr(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: repository URL %q: want http(s)://HOST[/PATH]", ErrInvalidReference, redactURL(repoURL))
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// resolveArchiveURL resolves an index entry URL: absolute URLs are used as they are, relative
// ones are resolved against the repository URL (with its trailing slash), like Helm does.
func resolveArchiveURL(base *url.URL, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", redactErr(err)
	}
	if u.IsAbs() {
		if u.Scheme != "http" && u.Scheme != "https" {
			return "", fmt.Errorf("archive URL %q: scheme %q is not http or https", redactURL(raw), u.Scheme)
		}
		return u.String(), nil
	}
	return base.ResolveReference(u).String(), nil
}

// indexFile is the part of a repository index.yaml that LoadRepo reads, with the field types of
// Helm's repo.IndexFile (so that the same files parse and fail). Helm's repo package is not
// imported: it pulls in Helm's getter, plugin, cli and kube packages, kubectl and client-go's
// typed clients, 28 MB of binary whose initialisation and pages every program that renders
// with this package would pay (10 MiB more peak RSS for examples/fleet).
type indexFile struct {
	APIVersion string                   `json:"apiVersion"`
	Generated  time.Time                `json:"generated"`
	Entries    map[string]indexVersions `json:"entries"`
}

// indexEntry is one chart version of an index (Helm's repo.ChartVersion).
type indexEntry struct {
	*chart.Metadata
	URLs    []string  `json:"urls"`
	Created time.Time `json:"created,omitempty"`
	Removed bool      `json:"removed,omitempty"`
	Digest  string    `json:"digest,omitempty"`
}

// indexVersions sorts like Helm's repo.ChartVersions: by semantic version, unparsable last.
type indexVersions []*indexEntry

func (c indexVersions) Len() int      { return len(c) }
func (c indexVersions) Swap(i, j int) { c[i], c[j] = c[j], c[i] }
func (c indexVersions) Less(a, b int) bool {
	i, err := semver.NewVersion(c[a].Version)
	if err != nil {
		return true
	}

	j, err := semver.NewVersion(c[b].Version)
	if err != nil {
		return false
	}

	return i.LessThan(j)
}

// parseIndex parses a repository index.yaml (or its JSON form) without Helm's logging; it
// drops empty and invalid entries like Helm does and sorts each chart's versions, highest
// first.
func parseIndex(data []byte) (*indexFile, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrInvalidIndex)
	}
	var index indexFile
	if err := yaml.Unmarshal(data, &index); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidIndex, err)
	}
	if index.APIVersion == "" {
		return nil, fmt.Errorf("%w: no apiVersion", ErrInvalidIndex)
	}
	for name, versions := range index.Entries {
		kept := versions[:0:0]
		for _, v := range versions {
			if v == nil || v.Metadata == nil || v.Version == "" {
				continue
			}
			if v.Name == "" {
				v.Name = name
			}
			kept = append(kept, v)
		}
		index.Entries[name] = kept
	}
	for _, versions := range index.Entries {
		sort.Sort(sort.Reverse(versions)) // highest first, as Helm's SortEntries
	}
	return &index, nil
}

// findVersion picks the entry of chart name for version (exact, constraint or empty).
func findVersion(index *indexFile, name, version string) (*indexEntry, error) {
	versions, ok := index.Entries[name]
	if !ok || len(versions) == 0 {
		names := make([]string, 0, len(index.Entries))
		for n := range index.Entries {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("%w: no chart %q in the index (charts: %s)", ErrChartNotFound, name, scheme.ShortList(names))
	}
	available := make([]string, len(versions))
	for i, v := range versions {
		available[i] = v.Version
	}
	i := scheme.PickVersion(available, version)
	if i < 0 {
		return nil, fmt.Errorf("%w: %s %s is not in the index (versions: %s)", ErrVersionNotFound, name, version, scheme.ShortList(available))
	}
	return versions[i], nil
}

// normalizeDigest accepts "HEX" or "sha256:HEX" and returns lowercase hex.
func normalizeDigest(d string) (string, error) {
	if d == "" {
		return "", ErrNoDigest
	}
	d = strings.ToLower(strings.TrimPrefix(d, "sha256:"))
	if b, err := hex.DecodeString(d); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%w: digest %q is not a sha256 hex string", ErrInvalidIndex, d)
	}
	return d, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fetchArchive returns the archive bytes with the given digest, from the cache when present
// and valid, else downloaded (and then cached).
func fetchArchive(ctx context.Context, o loadOptions, archiveURL, digest string) ([]byte, error) {
	var cachePath string
	if o.CacheDir != "" {
		cachePath = filepath.Join(o.CacheDir, digest+".tgz")
		data, err := readFileLimits(ctx, cachePath, o.limits())
		switch {
		case err == nil && sha256Hex(data) == digest:
			return data, nil
		case err == nil, errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrLimitExceeded):
			// A stale or damaged cache entry is replaced by a fresh download below.
		default:
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	data, err := httpGet(ctx, o.HTTPClient, archiveURL, o.limits().archiveSize, func(got int64) error {
		return o.limits().archiveError("archive "+redactURL(archiveURL), got)
	})
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	if got := sha256Hex(data); got != digest {
		return nil, &DigestError{Location: redactURL(archiveURL), Want: digest, Got: got}
	}
	if cachePath != "" {
		if err := writeCache(cachePath, data); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	return data, nil
}

// writeCache writes data to p atomically (temporary file in the same folder, then rename).
func writeCache(p string, data []byte) error {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// httpGet fetches u with ctx; transport failures wrap [ErrUnreachable], unexpected status
// codes are [*StatusError] values, bodies over limit bytes are refused with the error of
// tooLarge, called with the Content-Length when it is over the limit (then before the body is
// read), else with 0. Its errors show u with
// its credentials redacted (the *url.Error values of net/http included).
func httpGet(ctx context.Context, client *http.Client, u string, limit int64, tooLarge func(got int64) error) ([]byte, error) {
	shown := redactURL(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidReference, redactErr(err))
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("GET %s: %w", shown, ctxErr)
		}
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, redactErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{URL: shown, StatusCode: resp.StatusCode}
	}
	if resp.ContentLength > limit {
		return nil, tooLarge(resp.ContentLength)
	}
	data, err := readAllLimit(resp.Body, limit, func() error { return tooLarge(0) })
	if err != nil {
		if errors.Is(err, ErrLimitExceeded) || errors.Is(err, ErrInvalidIndex) {
			return nil, err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("GET %s: %w", shown, ctxErr)
		}
		return nil, fmt.Errorf("GET %s: %w", shown, redactErr(err))
	}
	return data, nil
}

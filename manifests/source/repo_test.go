package source_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests/source"
)

// newFileRepo serves testdata/charts as it is (index.yaml with relative URLs) on loopback and
// returns the repository URL.
func newFileRepo(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir(srcChartsDir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fakeRepo is a loopback web server with fixed documents, counting requests per path.
type fakeRepo struct {
	srv  *httptest.Server
	mu   sync.Mutex
	docs map[string][]byte
	hits map[string]*atomic.Int64
}

func newFakeRepo(t *testing.T) *fakeRepo {
	t.Helper()
	r := &fakeRepo{docs: map[string][]byte{}, hits: map[string]*atomic.Int64{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		data, ok := r.docs[req.URL.Path]
		if r.hits[req.URL.Path] == nil {
			r.hits[req.URL.Path] = &atomic.Int64{}
		}
		r.hits[req.URL.Path].Add(1)
		r.mu.Unlock()
		switch {
		case strings.HasPrefix(req.URL.Path, "/fail/"):
			http.Error(w, "boom", http.StatusInternalServerError)
		case !ok:
			http.NotFound(w, req)
		default:
			_, _ = w.Write(data)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *fakeRepo) put(path string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.docs[path] = data
}

func (r *fakeRepo) count(path string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.hits[path]; c != nil {
		return c.Load()
	}
	return 0
}

func srcReadShared(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(srcChartsDir, name))
	require.NoError(t, err)
	return data
}

func srcDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// indexYAML writes a one-chart index.
func srcIndexYAML(version, url, digest string) []byte {
	s := "apiVersion: v1\nentries:\n  cilium:\n  - apiVersion: v2\n    name: cilium\n    version: " + version + "\n    urls:\n    - " + url + "\n"
	if digest != "" {
		s += "    digest: \"" + digest + "\"\n"
	}
	return []byte(s)
}

func TestLoadRepoSharedCharts(t *testing.T) {
	t.Parallel()
	repoURL := newFileRepo(t)
	for _, v := range srcVersions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c, err := source.LoadRepo(context.Background(), repoURL, "cilium", v)
			require.NoError(t, err)
			require.Equal(t, "cilium", c.Name())
			require.Equal(t, v, c.Metadata.Version)
		})
	}
}

func TestLoadRepo(t *testing.T) {
	t.Parallel()
	repo := newFakeRepo(t)
	base := repo.srv.URL

	shared := srcReadShared(t, "index.yaml")
	good := srcReadShared(t, "cilium-1.18.12.tgz")
	goodDigest := srcDigest(good)
	// The shared index under a sub-path, archive URLs relative.
	repo.put("/rel/index.yaml", shared)
	for _, v := range srcVersions {
		repo.put("/rel/cilium-"+v+".tgz", srcReadShared(t, "cilium-"+v+".tgz"))
	}
	// The shared index with absolute archive URLs pointing elsewhere on the server.
	repo.put("/abs/index.yaml", []byte(strings.ReplaceAll(string(shared), "    - cilium-", "    - "+base+"/rel/cilium-")))
	// Root-relative URL.
	repo.put("/rootrel/index.yaml", srcIndexYAML("1.18.12", "/rel/cilium-1.18.12.tgz", goodDigest))
	// Wrong digest.
	repo.put("/baddigest/index.yaml", srcIndexYAML("1.18.12", "cilium-1.18.12.tgz", strings.Repeat("ab", 32)))
	repo.put("/baddigest/cilium-1.18.12.tgz", good)
	// Digest with the sha256: prefix and upper case.
	repo.put("/prefixed/index.yaml", srcIndexYAML("1.18.12", "cilium-1.18.12.tgz", "sha256:"+strings.ToUpper(goodDigest)))
	repo.put("/prefixed/cilium-1.18.12.tgz", good)
	// No digest.
	repo.put("/nodigest/index.yaml", srcIndexYAML("1.18.12", "cilium-1.18.12.tgz", ""))
	repo.put("/nodigest/cilium-1.18.12.tgz", good)
	// Corrupt archive whose digest matches the index.
	corrupt := good[:1000]
	repo.put("/corrupt/index.yaml", srcIndexYAML("1.18.12", "cilium-1.18.12.tgz", srcDigest(corrupt)))
	repo.put("/corrupt/cilium-1.18.12.tgz", corrupt)
	// The index promises 1.18.12 but the archive is 1.17.18.
	other := srcReadShared(t, "cilium-1.17.18.tgz")
	repo.put("/mislabelled/index.yaml", srcIndexYAML("1.18.12", "cilium-1.18.12.tgz", srcDigest(other)))
	repo.put("/mislabelled/cilium-1.18.12.tgz", other)
	// Archive missing.
	repo.put("/noarchive/index.yaml", srcIndexYAML("1.18.12", "cilium-1.18.12.tgz", goodDigest))
	// Broken index.
	repo.put("/brokenindex/index.yaml", []byte("entries: [\n"))
	repo.put("/emptyindex/index.yaml", []byte("\n"))
	repo.put("/noapiversion/index.yaml", []byte("entries: {}\n"))
	// Bad URL scheme in the index.
	repo.put("/ftp/index.yaml", srcIndexYAML("1.18.12", "ftp://example.com/cilium-1.18.12.tgz", goodDigest))

	tests := []struct {
		name        string
		repo        string
		chart       string
		version     string
		wantVersion string
		wantErr     error
		wantMsg     string
	}{
		{name: "relative URLs under a path", repo: base + "/rel", chart: "cilium", version: "1.16.18", wantVersion: "1.16.18"},
		{name: "repository URL with trailing slash", repo: base + "/rel/", chart: "cilium", version: "1.16.18", wantVersion: "1.16.18"},
		{name: "absolute URLs", repo: base + "/abs", chart: "cilium", version: "1.19.6", wantVersion: "1.19.6"},
		{name: "root-relative URL", repo: base + "/rootrel", chart: "cilium", version: "1.18.12", wantVersion: "1.18.12"},
		{name: "latest stable", repo: base + "/rel", chart: "cilium", wantVersion: "1.20.0"},
		{name: "constraint", repo: base + "/rel", chart: "cilium", version: "~1.17", wantVersion: "1.17.18"},
		{name: "constraint range", repo: base + "/rel", chart: "cilium", version: ">=1.12 <1.17", wantVersion: "1.16.18"},
		{name: "prefixed digest", repo: base + "/prefixed", chart: "cilium", version: "1.18.12", wantVersion: "1.18.12"},
		{name: "version absent", repo: base + "/rel", chart: "cilium", version: "1.15.0", wantErr: source.ErrVersionNotFound, wantMsg: "versions: 1.20.0, 1.19.6"},
		{name: "constraint unmatched", repo: base + "/rel", chart: "cilium", version: "^2", wantErr: source.ErrVersionNotFound},
		{name: "chart absent", repo: base + "/rel", chart: "hubble", version: "1.0.0", wantErr: source.ErrChartNotFound, wantMsg: `no chart "hubble" in the index (charts: cilium)`},
		{name: "repository absent", repo: base + "/nothing", chart: "cilium", version: "1.18.12", wantErr: source.ErrChartNotFound, wantMsg: "404"},
		{name: "server error", repo: base + "/fail", chart: "cilium", version: "1.18.12", wantErr: source.ErrUnreachable, wantMsg: "500"},
		{name: "bad digest", repo: base + "/baddigest", chart: "cilium", version: "1.18.12", wantErr: source.ErrDigestMismatch, wantMsg: goodDigest},
		{name: "no digest", repo: base + "/nodigest", chart: "cilium", version: "1.18.12", wantErr: source.ErrNoDigest},
		{name: "corrupt archive", repo: base + "/corrupt", chart: "cilium", version: "1.18.12", wantErr: source.ErrCorruptArchive},
		{name: "archive of another version", repo: base + "/mislabelled", chart: "cilium", version: "1.18.12", wantErr: source.ErrCorruptArchive, wantMsg: "holds chart cilium 1.17.18"},
		{name: "archive absent", repo: base + "/noarchive", chart: "cilium", version: "1.18.12", wantErr: source.ErrChartNotFound},
		{name: "broken index", repo: base + "/brokenindex", chart: "cilium", version: "1.18.12", wantErr: source.ErrInvalidIndex},
		{name: "empty index", repo: base + "/emptyindex", chart: "cilium", version: "1.18.12", wantErr: source.ErrInvalidIndex},
		{name: "index without apiVersion", repo: base + "/noapiversion", chart: "cilium", version: "1.18.12", wantErr: source.ErrInvalidIndex},
		{name: "archive URL with other scheme", repo: base + "/ftp", chart: "cilium", version: "1.18.12", wantErr: source.ErrInvalidIndex},
		{name: "not http", repo: "ftp://127.0.0.1/charts", chart: "cilium", version: "1.18.12", wantErr: source.ErrInvalidReference},
		{name: "empty chart name", repo: base + "/rel", chart: "", version: "1.18.12", wantErr: source.ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := source.LoadRepo(context.Background(), tt.repo, tt.chart, tt.version)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), tt.repo, "the error names the repository")
				require.Contains(t, err.Error(), tt.wantMsg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantVersion, c.Metadata.Version)
		})
	}
}

func TestLoadRepoDigestError(t *testing.T) {
	t.Parallel()
	repo := newFakeRepo(t)
	good := srcReadShared(t, "cilium-1.18.12.tgz")
	want := strings.Repeat("0", 64)
	repo.put("/index.yaml", srcIndexYAML("1.18.12", "cilium-1.18.12.tgz", want))
	repo.put("/cilium-1.18.12.tgz", good)
	_, err := source.LoadRepo(context.Background(), repo.srv.URL, "cilium", "1.18.12")
	var de *source.DigestError
	require.ErrorAs(t, err, &de)
	require.Equal(t, source.DigestError{Location: repo.srv.URL + "/cilium-1.18.12.tgz", Want: want, Got: srcDigest(good)}, *de)
}

func TestLoadRepoUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := source.LoadRepo(context.Background(), url, "cilium", "1.18.12")
	require.ErrorIs(t, err, source.ErrUnreachable)
	require.Contains(t, err.Error(), url)
	require.Contains(t, err.Error(), "source.WithCacheDir", "the error says how to work offline")
}

func TestLoadRepoCancelled(t *testing.T) {
	t.Parallel()
	repoURL := newFileRepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := source.LoadRepo(ctx, repoURL, "cilium", "1.18.12")
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, source.ErrUnreachable)
}

func TestLoadRepoCache(t *testing.T) {
	t.Parallel()
	repo := newFakeRepo(t)
	good := srcReadShared(t, "cilium-1.18.12.tgz")
	digest := srcDigest(good)
	repo.put("/index.yaml", srcIndexYAML("1.18.12", "cilium-1.18.12.tgz", digest))
	repo.put("/cilium-1.18.12.tgz", good)
	dir := filepath.Join(t.TempDir(), "cache")
	cached := filepath.Join(dir, digest+".tgz")
	load := func() {
		t.Helper()
		c, err := source.LoadRepo(context.Background(), repo.srv.URL, "cilium", "1.18.12", source.WithCacheDir(dir))
		require.NoError(t, err)
		require.Equal(t, "1.18.12", c.Metadata.Version)
	}

	load()
	require.EqualValues(t, 1, repo.count("/cilium-1.18.12.tgz"))
	data, err := os.ReadFile(cached)
	require.NoError(t, err)
	require.Equal(t, good, data)

	load() // from the cache
	require.EqualValues(t, 1, repo.count("/cilium-1.18.12.tgz"))
	require.EqualValues(t, 2, repo.count("/index.yaml"), "the index is fetched whenever the repository is reachable")

	// A damaged cache entry is detected and replaced.
	require.NoError(t, os.WriteFile(cached, good[:100], 0o644))
	load()
	require.EqualValues(t, 2, repo.count("/cilium-1.18.12.tgz"))
	data, err = os.ReadFile(cached)
	require.NoError(t, err)
	require.Equal(t, good, data)

	// A server that now sends other bytes is refused and the cache is left alone.
	repo.put("/cilium-1.18.12.tgz", good[:100])
	require.NoError(t, os.Remove(cached))
	_, err = source.LoadRepo(context.Background(), repo.srv.URL, "cilium", "1.18.12", source.WithCacheDir(dir))
	require.ErrorIs(t, err, source.ErrDigestMismatch)
	_, err = os.Stat(cached)
	require.ErrorIs(t, err, os.ErrNotExist)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the index, no temporary files left behind")
	require.True(t, strings.HasPrefix(entries[0].Name(), "index-"), entries[0].Name())
}

// TestLoadRepoOffline: with a cache directory, a repository that became unreachable still
// serves the charts loaded before (its last index and the archives, verified); without one,
// or for a chart never loaded, the error says how to work offline.
func TestLoadRepoOffline(t *testing.T) {
	t.Parallel()
	repo := newFakeRepo(t)
	good := srcReadShared(t, "cilium-1.18.12.tgz")
	digest := srcDigest(good)
	repo.put("/index.yaml", srcIndexYAML("1.18.12", "cilium-1.18.12.tgz", digest))
	repo.put("/cilium-1.18.12.tgz", good)
	dir := t.TempDir()
	online, err := source.LoadRepo(context.Background(), repo.srv.URL, "cilium", "1.18.12", source.WithCacheDir(dir))
	require.NoError(t, err)
	require.Equal(t, "sha256:"+digest, online.Digest)

	repo.srv.Close()

	offline, err := source.LoadRepo(context.Background(), repo.srv.URL, "cilium", "1.18.12", source.WithCacheDir(dir))
	require.NoError(t, err, "the cached index and archive")
	require.Equal(t, online.Digest, offline.Digest)
	offline, err = source.Load(context.Background(), repo.srv.URL+"/cilium", "", source.WithCacheDir(dir))
	require.NoError(t, err)
	require.Equal(t, online.Digest, offline.Digest)

	_, err = source.LoadRepo(context.Background(), repo.srv.URL, "cilium", "1.18.12")
	require.ErrorIs(t, err, source.ErrUnreachable)
	require.Contains(t, err.Error(), "load them once with source.WithCacheDir(DIR)")

	_, err = source.LoadRepo(context.Background(), repo.srv.URL, "cilium", "1.18.12", source.WithCacheDir(t.TempDir()))
	require.ErrorIs(t, err, source.ErrUnreachable)
	require.Contains(t, err.Error(), "holds no index of this repository yet (source.WithCacheDir")
}

func TestLoadRepoConcurrentCache(t *testing.T) {
	t.Parallel()
	repoURL := newFileRepo(t)
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = source.LoadRepo(context.Background(), repoURL, "cilium", srcVersions[i%len(srcVersions)], source.WithCacheDir(dir))
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	archives, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
	require.NoError(t, err)
	require.Len(t, archives, len(srcVersions))
	indexes, err := filepath.Glob(filepath.Join(dir, "index-*.yaml"))
	require.NoError(t, err)
	require.Len(t, indexes, 1, "one index per repository")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, len(srcVersions)+1, "no temporary files left behind")
}

func TestLoadRepoHTTPClient(t *testing.T) {
	t.Parallel()
	repoURL := newFileRepo(t)
	var calls atomic.Int64
	client := &http.Client{Transport: srcRoundTrip(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	_, err := source.LoadRepo(context.Background(), repoURL, "cilium", "1.11.2", source.WithHTTPClient(client))
	require.NoError(t, err)
	require.EqualValues(t, 2, calls.Load(), "index and archive through the given client")
}

type srcRoundTrip func(*http.Request) (*http.Response, error)

func (f srcRoundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestFixtureDigests: the chart fixtures are the published archives: each file's sha256 is the
// digest of its entry in the repository index (testdata/README.md lists them).
func TestFixtureDigests(t *testing.T) {
	t.Parallel()

	index := srcReadShared(t, "index.yaml")
	files, err := filepath.Glob(filepath.Join(srcChartsDir, "cilium-*.tgz"))
	require.NoError(t, err)
	require.Len(t, files, 6)

	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)

		sum := sha256.Sum256(data)
		require.Contains(t, string(index), "digest: "+hex.EncodeToString(sum[:]), f)
	}
}

package source_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	chart "helm.sh/helm/v4/pkg/chart/v2"

	"github.com/talospatch/talospatch/manifests/source"
)

// srcChartsDir is testdata/charts at the repository root (see testdata/README.md).
const srcChartsDir = "../../testdata/charts"

// srcVersions are the Cilium versions in srcChartsDir.
var srcVersions = []string{"1.11.2", "1.16.18", "1.17.18", "1.18.12", "1.19.6", "1.20.0"}

func srcChart(version string) string {
	return filepath.Join(srcChartsDir, "cilium-"+version+".tgz")
}

func srcTemplateNames(c *chart.Chart) []string {
	names := make([]string, len(c.Templates))
	for i, t := range c.Templates {
		names[i] = t.Name
	}
	return names
}

func TestLoadPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		path        string
		wantName    string
		wantVersion string
		wantErr     error
	}{
		{name: "archive 1.11.2", path: srcChart("1.11.2"), wantName: "cilium", wantVersion: "1.11.2"},
		{name: "archive 1.18.12", path: srcChart("1.18.12"), wantName: "cilium", wantVersion: "1.18.12"},
		{name: "directory", path: "testdata/minimal", wantName: "minimal", wantVersion: "0.1.0"},
		{name: "missing", path: "testdata/nope.tgz", wantErr: source.ErrChartNotFound},
		{name: "not gzip", path: "testdata/not-an-archive.tgz", wantErr: source.ErrCorruptArchive},
		{name: "truncated", path: "testdata/truncated.tgz", wantErr: source.ErrCorruptArchive},
		{name: "no Chart.yaml", path: "testdata/no-chart-yaml.tgz", wantErr: source.ErrCorruptArchive},
		{name: "directory without Chart.yaml", path: "testdata/minimal/templates", wantErr: source.ErrInvalidChart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := source.LoadPath(context.Background(), tt.path)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				var se *source.SourceError
				require.ErrorAs(t, err, &se)
				require.Equal(t, tt.path, se.Source)
				require.Contains(t, err.Error(), tt.path, "the error names the source")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantName, c.Name())
			require.Equal(t, tt.wantVersion, c.Metadata.Version)
		})
	}
}

func TestLoadPathHonoursHelmignore(t *testing.T) {
	t.Parallel()
	fromDir, err := source.LoadPath(context.Background(), "testdata/minimal")
	require.NoError(t, err)
	fromFS, err := source.LoadFS(context.Background(), os.DirFS("testdata"), "minimal")
	require.NoError(t, err)
	for _, c := range []*source.Chart{fromDir, fromFS} {
		require.Empty(t, cmp.Diff([]string{"templates/configmap.yaml"}, srcTemplateNames(c.Chart)))
		files := make([]string, len(c.Files))
		for i, f := range c.Files {
			files[i] = f.Name
		}
		require.Empty(t, cmp.Diff([]string{".helmignore"}, files), "notes/ is ignored by .helmignore")
		require.Equal(t, map[string]any{"greeting": "hello"}, c.Values)
	}
}

func TestLoadPathCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := source.LoadPath(ctx, srcChart("1.18.12"))
	require.ErrorIs(t, err, context.Canceled)
}

func TestLoadFS(t *testing.T) {
	t.Parallel()
	archive, err := os.ReadFile(srcChart("1.17.18"))
	require.NoError(t, err)
	rooted := fstest.MapFS{
		"Chart.yaml":           {Data: []byte("apiVersion: v2\nname: rooted\nversion: 2.0.0\n")},
		"templates/a.yaml":     {Data: []byte("kind: A\n")},
		"templates/skip.tmp":   {Data: []byte("kind: B\n")},
		".helmignore":          {Data: []byte("*.tmp\n")},
		"charts/cilium.tgz":    {Data: archive},
		"garbage/Chart.yaml":   {Data: []byte("name: [unclosed\n")},
		"nochart/values.yaml":  {Data: []byte("a: 1\n")},
		"files/cilium-1.17.18": {Data: archive},
	}
	tests := []struct {
		name        string
		fsys        fstest.MapFS
		path        string
		wantName    string
		wantVersion string
		wantErr     error
	}{
		{name: "rooted at the chart", fsys: rooted, path: ".", wantName: "rooted", wantVersion: "2.0.0"},
		{name: "archive in the fs", fsys: rooted, path: "files/cilium-1.17.18", wantName: "cilium", wantVersion: "1.17.18"},
		{name: "missing", fsys: rooted, path: "nothing", wantErr: source.ErrChartNotFound},
		{name: "invalid Chart.yaml", fsys: rooted, path: "garbage", wantErr: source.ErrInvalidChart},
		{name: "no Chart.yaml", fsys: rooted, path: "nochart", wantErr: source.ErrInvalidChart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := source.LoadFS(context.Background(), tt.fsys, tt.path)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), "fs:"+tt.path)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantName, c.Name())
			require.Equal(t, tt.wantVersion, c.Metadata.Version)
		})
	}

	t.Run("subchart and helmignore", func(t *testing.T) {
		t.Parallel()
		c, err := source.LoadFS(context.Background(), rooted, ".")
		require.NoError(t, err)
		require.Empty(t, cmp.Diff([]string{"templates/a.yaml"}, srcTemplateNames(c.Chart)))
		require.Len(t, c.Dependencies(), 1)
		require.Equal(t, "cilium", c.Dependencies()[0].Name())
	})
}

// TestLoadArchiveStopsWithItsContext: an archive load whose context has ended stops, with the
// context's error, before or between the archive's files.
func TestLoadArchiveStopsWithItsContext(t *testing.T) {
	t.Parallel()

	good, err := os.ReadFile(srcChart("1.18.12"))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err = source.LoadArchive(ctx, good)
	require.ErrorIs(t, err, context.Canceled)

	_, err = source.LoadPath(ctx, srcChart("1.18.12"))
	require.ErrorIs(t, err, context.Canceled)

	_, err = source.LoadRenderer(ctx, srcChart("1.18.12"))
	require.ErrorIs(t, err, context.Canceled)
}

func TestLoadArchive(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(srcChart("1.16.18"))
	require.NoError(t, err)
	tests := []struct {
		name    string
		data    []byte
		wantErr error
	}{
		{name: "valid", data: good},
		{name: "empty", data: nil, wantErr: source.ErrCorruptArchive},
		{name: "yaml", data: []byte("apiVersion: v2\nname: x\n"), wantErr: source.ErrCorruptArchive},
		{name: "truncated", data: good[:len(good)/2], wantErr: source.ErrCorruptArchive},
		{name: "too large", data: append([]byte{0x1f, 0x8b}, make([]byte, source.MaxArchiveSize)...), wantErr: source.ErrCorruptArchive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := source.LoadArchive(context.Background(), tt.data)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "1.16.18", c.Metadata.Version)
		})
	}
}

func TestLoadDispatch(t *testing.T) {
	t.Parallel()
	repoURL := newFileRepo(t)
	abs, err := filepath.Abs(srcChart("1.11.2"))
	require.NoError(t, err)
	tests := []struct {
		name        string
		ref         string
		version     string
		opts        []source.LoadOption
		wantVersion string
		wantErr     error
	}{
		{name: "relative path", ref: srcChart("1.19.6"), wantVersion: "1.19.6"},
		{name: "path with matching version", ref: srcChart("1.19.6"), version: "1.19.6", wantVersion: "1.19.6"},
		{name: "path with other version", ref: srcChart("1.19.6"), version: "1.18.12", wantErr: source.ErrVersionNotFound},
		{name: "file URL", ref: "file://" + abs, wantVersion: "1.11.2"},
		{name: "directory", ref: "testdata/minimal", wantVersion: "0.1.0"},
		{name: "https-looking path without scheme is a path", ref: "helm.cilium.io/cilium", wantErr: source.ErrChartNotFound},
		{name: "repository", ref: repoURL + "/cilium", version: "1.17.18", wantVersion: "1.17.18"},
		{name: "repository trailing slash", ref: repoURL + "/cilium/", version: "1.20.0", wantVersion: "1.20.0"},
		{name: "repository latest", ref: repoURL + "/cilium", wantVersion: "1.20.0"},
		{name: "repository without chart name", ref: "http://127.0.0.1/", wantErr: source.ErrInvalidReference},
		{name: "oci without package oci", ref: "oci://127.0.0.1:1/charts/cilium:1.18.12", wantErr: source.ErrInvalidReference},
		{name: "unknown scheme", ref: "ftp://example.com/cilium", wantErr: source.ErrInvalidReference},
		{name: "empty", ref: "", wantErr: source.ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := source.Load(context.Background(), tt.ref, tt.version, tt.opts...)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				var se *source.SourceError
				require.True(t, errors.As(err, &se), "%T", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantVersion, c.Metadata.Version)
		})
	}
}

// TestLoadOCIWithoutPackage: without package oci's Enable option an oci:// reference fails
// before any request, with an error that names the option; this test binary links neither
// Helm's registry client nor oras (see also internal/depcheck).
func TestLoadOCIWithoutPackage(t *testing.T) {
	t.Parallel()
	_, err := source.Load(context.Background(), "oci://ghcr.io/org/charts/cilium:1.18.12", "")
	require.ErrorIs(t, err, source.ErrInvalidReference)
	var se *source.SourceError
	require.ErrorAs(t, err, &se)
	require.Equal(t, "oci://ghcr.io/org/charts/cilium:1.18.12", se.Source)
	require.Contains(t, err.Error(), "oci.Enable()")
	require.Contains(t, err.Error(), "github.com/talospatch/talospatch/manifests/source/oci")
}

// TestLoadRepositoryNameSaysURL: a Helm repository name ("cilium/cilium") or a repository URL
// without its scheme is a path to Load; when no such path exists, the error says which URL to
// write.
func TestLoadRepositoryNameSaysURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref, want string
	}{
		{"cilium/cilium", "use the repository URL and the chart name, https://helm.cilium.io/cilium"},
		{"bitnami/nginx", "https://REPOSITORY-URL/nginx (the URL given to helm repo add bitnami)"},
		{"helm.cilium.io/cilium", "write its URL, https://helm.cilium.io/cilium"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			t.Parallel()
			_, err := source.Load(context.Background(), tt.ref, "1.18.12")
			require.ErrorIs(t, err, source.ErrChartNotFound)
			var se *source.SourceError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tt.ref, se.Source)
			require.Contains(t, err.Error(), tt.want)
		})
	}
	// Other paths get no hint.
	for _, ref := range []string{"charts/cilium-1.18.12.tgz", "./cilium/cilium", "missing"} {
		_, err := source.Load(context.Background(), ref, "")
		require.ErrorIs(t, err, source.ErrChartNotFound)
		require.NotContains(t, err.Error(), "URL", ref)
	}
}

// TestChartDigest: an archive's digest is the sha256 of its bytes, whatever the source; a
// directory's is the documented sha256 over "HEX  NAME\n" lines of its loaded files, the same
// for a path and an fs.FS, independent of modification times and of files .helmignore
// excludes, and changed by any loaded byte.
func TestChartDigest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	data, err := os.ReadFile(srcChart("1.18.12"))
	require.NoError(t, err)
	want := "sha256:" + srcDigest(data)
	fromPath, err := source.LoadPath(ctx, srcChart("1.18.12"))
	require.NoError(t, err)
	fromArchive, err := source.LoadArchive(context.Background(), data)
	require.NoError(t, err)
	fromFS, err := source.LoadFS(ctx, os.DirFS(srcChartsDir), "cilium-1.18.12.tgz")
	require.NoError(t, err)
	fromRepo, err := source.Load(ctx, newFileRepo(t)+"/cilium", "1.18.12")
	require.NoError(t, err)
	for _, c := range []*source.Chart{fromPath, fromArchive, fromFS, fromRepo} {
		require.Equal(t, want, c.Digest)
	}

	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"values.yaml":        "x: 1\n",
		"templates/a.yaml":   "a: {{ .Values.x }}\n",
		"templates/b/c.yaml": "c: 1\n",
		"templates.txt":      "sorts before templates/",
		".helmignore":        "ignored.txt\n",
		"ignored.txt":        "not part of the chart",
	})
	lines := ""
	for _, name := range []string{".helmignore", "Chart.yaml", "templates.txt", "templates/a.yaml", "templates/b/c.yaml", "values.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		require.NoError(t, err)
		lines += srcDigest(b) + "  " + name + "\n"
	}
	wantDir := "sha256:" + srcDigest([]byte(lines))

	digest := func() string {
		t.Helper()
		c, err := source.LoadPath(ctx, dir)
		require.NoError(t, err)
		f, err := source.LoadFS(ctx, os.DirFS(dir), ".")
		require.NoError(t, err)
		require.Equal(t, c.Digest, f.Digest, "a path and an fs.FS of the same directory")
		return c.Digest
	}
	require.Equal(t, wantDir, digest())

	later := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(dir, "values.yaml"), later, later))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ignored.txt"), []byte("changed"), 0o644))
	require.Equal(t, wantDir, digest(), "modification times and ignored files do not count")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "values.yaml"), []byte("x: 2\n"), 0o644))
	require.NotEqual(t, wantDir, digest())
}

// cancelOnOpen is an fs.FS that cancels a context when a given file is opened.
type cancelOnOpen struct {
	fstest.MapFS
	name   string
	cancel context.CancelFunc
}

func (c cancelOnOpen) Open(name string) (fs.File, error) {
	if name == c.name {
		c.cancel()
	}

	return c.MapFS.Open(name)
}

// TestLoadFSSubchartArchiveStops: a chart directory whose subchart archive is reached after
// the load's context ended stops with the context's error (the subchart loaded without a
// context before), not as an invalid chart.
func TestLoadFSSubchartArchiveStops(t *testing.T) {
	t.Parallel()

	sub, err := os.ReadFile(srcChart("1.11.2"))
	require.NoError(t, err)

	fsys := fstest.MapFS{
		"p/Chart.yaml":                 {Data: []byte("apiVersion: v2\nname: p\nversion: 0.1.0\n")},
		"p/charts/cilium-1.11.2.tgz":   {Data: sub},
		"p/templates/cm.yaml":          {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")},
		"p/templates/zz-last-file.txt": {Data: []byte("read last")},
	}

	c, err := source.LoadFS(t.Context(), fsys, "p")
	require.NoError(t, err, "the chart loads with a live context")
	require.Len(t, c.Dependencies(), 1)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	_, err = source.LoadFS(ctx, cancelOnOpen{MapFS: fsys, name: "p/templates/zz-last-file.txt", cancel: cancel}, "p")
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, source.ErrInvalidChart)
}

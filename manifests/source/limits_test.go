package source_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/talospatch/talospatch/manifests/source"
)

type tarEntry struct {
	name     string
	typeflag byte
	data     []byte
	link     string
}

// tgzOf writes a gzipped tar of entries (regular files unless typeflag says otherwise).
func tgzOf(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	require.NoError(t, err)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hd := &tar.Header{Name: e.name, Typeflag: e.typeflag, Mode: 0o644, Size: int64(len(e.data)), Linkname: e.link}
		if hd.Typeflag == 0 {
			hd.Typeflag = tar.TypeReg
		}
		require.NoError(t, tw.WriteHeader(hd))
		_, err := tw.Write(e.data)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

// demoChart returns the entries of chart demo with n templates of size bytes each.
func demoChart(n, size int) []tarEntry {
	entries := []tarEntry{{name: "demo/Chart.yaml", data: []byte("apiVersion: v2\nname: demo\nversion: 0.1.0\n")}}
	for i := range n {
		entries = append(entries, tarEntry{name: fmt.Sprintf("demo/templates/t%06d.yaml", i), data: make([]byte, size)})
	}
	return entries
}

func TestArchiveLimits(t *testing.T) {
	t.Parallel()
	sub := tgzOf(t, append([]tarEntry{{name: "sub/Chart.yaml", data: []byte("apiVersion: v2\nname: sub\nversion: 0.1.0\n")}}, demoChart(30, 1)[1:]...)...)
	tests := []struct {
		name       string
		entries    []tarEntry
		opts       []source.LoadOption
		wantOption string // the option named by the error; "" for a chart within the limits
		wantLimit  int
	}{
		{name: "within the limits", entries: demoChart(5, 10), opts: []source.LoadOption{source.WithMaxChartFiles(6), source.WithMaxChartSize(1 << 10)}},
		{name: "100000 tiny files, default limit", entries: demoChart(100_000, 0), wantOption: "WithMaxChartFiles", wantLimit: source.MaxChartFiles},
		{name: "files over a set limit", entries: demoChart(20, 1), opts: []source.LoadOption{source.WithMaxChartFiles(10)}, wantOption: "WithMaxChartFiles", wantLimit: 10},
		{
			name:    "files over the limit, unpacked by Helm's loader",
			entries: append([]tarEntry{{name: "demo/templates/l.yaml", typeflag: tar.TypeSymlink, link: "a.yaml"}}, demoChart(20, 1)...),
			opts:    []source.LoadOption{source.WithMaxChartFiles(10)}, wantOption: "WithMaxChartFiles", wantLimit: 10,
		},
		{name: "unpacked size", entries: demoChart(3, 512<<10), opts: []source.LoadOption{source.WithMaxChartSize(1 << 20)}, wantOption: "WithMaxChartSize", wantLimit: 1 << 20},
		{name: "zip bomb", entries: demoChart(5, 4<<20), opts: []source.LoadOption{source.WithMaxChartSize(8 << 20)}, wantOption: "WithMaxChartSize", wantLimit: 8 << 20},
		{
			name:    "subchart archive shares the limits",
			entries: append(demoChart(3, 1), tarEntry{name: "demo/charts/sub.tgz", data: sub}),
			opts:    []source.LoadOption{source.WithMaxChartFiles(20)}, wantOption: "WithMaxChartFiles", wantLimit: 20,
		},
		{name: "archive size", entries: demoChart(3, 1), opts: []source.LoadOption{source.WithMaxArchiveSize(64)}, wantOption: "WithMaxArchiveSize", wantLimit: 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := tgzOf(t, tt.entries...)
			p := filepath.Join(t.TempDir(), "demo-0.1.0.tgz")
			require.NoError(t, os.WriteFile(p, data, 0o644))
			loads := map[string]func() (*source.Chart, error){
				p:         func() (*source.Chart, error) { return source.LoadPath(context.Background(), p, tt.opts...) },
				"archive": func() (*source.Chart, error) { return source.LoadArchive(context.Background(), data, tt.opts...) },
				"fs:demo-0.1.0.tgz": func() (*source.Chart, error) {
					return source.LoadFS(context.Background(), os.DirFS(filepath.Dir(p)), "demo-0.1.0.tgz", tt.opts...)
				},
			}
			for src, load := range loads {
				c, err := load()
				if tt.wantOption == "" {
					require.NoError(t, err, src)
					require.Equal(t, "demo", c.Name())
					continue
				}
				require.ErrorIs(t, err, source.ErrLimitExceeded, src)
				require.ErrorIs(t, err, source.ErrCorruptArchive, src)
				msg := err.Error()
				require.Contains(t, msg, "load chart "+src+":", "the error names the archive")
				require.Contains(t, msg, "source."+tt.wantOption, "the error names the option")
				require.Contains(t, msg, "limit of "+strconv.Itoa(tt.wantLimit)+" ", "the error names the limit")
			}
		})
	}
}

// TestDefaultLimitsFitCharts: every shipped Cilium chart is far within the default limits.
func TestDefaultLimitsFitCharts(t *testing.T) {
	t.Parallel()
	for _, v := range srcVersions {
		c, err := source.LoadPath(context.Background(), srcChart(v))
		require.NoError(t, err)
		size := 0
		for _, f := range c.Raw {
			size += len(f.Data)
		}
		require.Less(t, len(c.Raw), source.MaxChartFiles/10, v)
		require.Less(t, size, source.MaxChartSize/10, v)
		fi, err := os.Stat(srcChart(v))
		require.NoError(t, err)
		require.Less(t, fi.Size(), int64(source.MaxArchiveSize/10), v)
	}
}

// writeTree writes files (name to content) under dir; a content "-> TARGET" makes a symbolic
// link to TARGET.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			require.NoError(t, os.Symlink(filepath.FromSlash(target), p))
			continue
		}
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

func TestLoadDirSymlinks(t *testing.T) {
	t.Parallel()
	outsideAbs := filepath.Join(t.TempDir(), "outside.yaml")
	require.NoError(t, os.WriteFile(outsideAbs, []byte("secret: x\n"), 0o644))
	tests := []struct {
		name      string
		files     map[string]string // chart files, besides Chart.yaml and templates/a.yaml
		wantErr   string            // in the message, with the link's name; "" to load
		templates []string
	}{
		{name: "file outside", files: map[string]string{"templates/evil.yaml": "-> ../../outside.yaml"}, wantErr: "templates/evil.yaml is a symbolic link to ../../outside.yaml, outside the chart"},
		{name: "absolute", files: map[string]string{"templates/evil.yaml": "-> " + outsideAbs}, wantErr: "templates/evil.yaml is a symbolic link to " + outsideAbs + ", outside the chart"},
		{name: "directory outside", files: map[string]string{"templates/ext": "-> ../../outdir"}, wantErr: "templates/ext is a symbolic link to ../../outdir, outside the chart"},
		{name: "chart directory itself", files: map[string]string{"templates/up": "-> .."}, wantErr: "templates/up is a symbolic link to a directory that contains it"},
		{name: "through an ignored link", files: map[string]string{".helmignore": "hop\n", "hop": "-> ..", "templates/evil.yaml": "-> ../hop/outside.yaml"}, wantErr: "templates/evil.yaml is a symbolic link to ../hop/outside.yaml, outside the chart"},
		{name: "dangling", files: map[string]string{"templates/x.yaml": "-> nothing.yaml"}, wantErr: "symbolic link templates/x.yaml"},
		{name: "ignored link outside", files: map[string]string{".helmignore": "evil.yaml\n", "evil.yaml": "-> ../outside.yaml"}, templates: []string{"templates/a.yaml"}},
		{name: "file inside", files: map[string]string{"templates/b.yaml": "-> a.yaml"}, templates: []string{"templates/a.yaml", "templates/b.yaml"}},
		{name: "directory inside", files: map[string]string{"extra/c.yaml": "c: 1\n", "templates/more": "-> ../extra"}, templates: []string{"templates/a.yaml", "templates/more/c.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir() // the chart is parent/chart, next to files it must not read
			writeTree(t, parent, map[string]string{"outside.yaml": "secret: x\n", "outdir/a.yaml": "secret: y\n"})
			dir := filepath.Join(parent, "chart")
			files := map[string]string{"Chart.yaml": "apiVersion: v2\nname: links\nversion: 0.1.0\n", "templates/a.yaml": "a: 1\n"}
			maps.Copy(files, tt.files)
			writeTree(t, dir, files)
			loads := map[string]func() (*source.Chart, error){
				dir:    func() (*source.Chart, error) { return source.LoadPath(context.Background(), dir) },
				"fs:.": func() (*source.Chart, error) { return source.LoadFS(context.Background(), os.DirFS(dir), ".") },
				"fs:chart": func() (*source.Chart, error) {
					return source.LoadFS(context.Background(), os.DirFS(filepath.Dir(dir)), "chart")
				},
				"dispatched": func() (*source.Chart, error) { return source.Load(context.Background(), dir, "") },
			}
			for src, load := range loads {
				c, err := load()
				if tt.wantErr != "" {
					require.ErrorIs(t, err, source.ErrInvalidChart, src)
					require.Contains(t, err.Error(), tt.wantErr, src)
					continue
				}
				require.NoError(t, err, src)
				require.Equal(t, tt.templates, srcTemplateNames(c.Chart), src)
				for _, f := range c.Templates {
					require.NotContains(t, string(f.Data), "secret", src)
				}
			}
		})
	}
}

func TestLoadDirLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{"Chart.yaml": "apiVersion: v2\nname: many\nversion: 0.1.0\n"}
	for i := range 20 {
		files[fmt.Sprintf("templates/t%02d.yaml", i)] = strings.Repeat("x", 100)
	}
	writeTree(t, dir, files)
	tests := []struct {
		name       string
		opt        source.LoadOption
		wantOption string
		wantLimit  int
	}{
		{name: "files", opt: source.WithMaxChartFiles(10), wantOption: "WithMaxChartFiles", wantLimit: 10},
		{name: "size", opt: source.WithMaxChartSize(1000), wantOption: "WithMaxChartSize", wantLimit: 1000},
		{name: "within", opt: source.WithMaxChartFiles(21)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := source.LoadPath(context.Background(), dir, tt.opt)
			if tt.wantOption == "" {
				require.NoError(t, err)
				require.Len(t, c.Templates, 20)
				return
			}
			require.ErrorIs(t, err, source.ErrLimitExceeded)
			require.ErrorIs(t, err, source.ErrInvalidChart)
			require.NotErrorIs(t, err, source.ErrCorruptArchive)
			require.Contains(t, err.Error(), "load chart "+dir+":")
			require.Contains(t, err.Error(), "source."+tt.wantOption)
			require.Contains(t, err.Error(), "limit of "+strconv.Itoa(tt.wantLimit)+" ")
		})
	}
}

// TestLoadWritesNoLog: nothing of Helm's loader reaches the standard logger, for a chart that
// makes Helm's loader log (requirements.yaml and requirements.lock in a v2 chart and its
// subcharts, a symbolic link). Not parallel: it redirects the standard logger.
func TestLoadWritesNoLog(t *testing.T) {
	var buf bytes.Buffer
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf)
	t.Cleanup(func() { log.SetOutput(out); log.SetFlags(flags) })

	reqs := "dependencies:\n- name: sub\n  version: 0.1.0\n"
	subFiles := []tarEntry{
		{name: "sub/Chart.yaml", data: []byte("apiVersion: v2\nname: sub\nversion: 0.1.0\n")},
		{name: "sub/requirements.yaml", data: []byte(reqs)},
		{name: "sub/requirements.lock", data: []byte("digest: x\n")},
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":                   "apiVersion: v2\nname: noisy\nversion: 0.1.0\n",
		"requirements.yaml":            reqs,
		"requirements.lock":            "digest: x\n",
		"templates/a.yaml":             "a: 1\n",
		"templates/b.yaml":             "-> a.yaml",
		"charts/dir/Chart.yaml":        "apiVersion: v2\nname: dir\nversion: 0.1.0\n",
		"charts/dir/requirements.yaml": reqs,
	})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "charts", "sub-0.1.0.tgz"), tgzOf(t, subFiles...), 0o644))

	helm, err := loader.LoadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, buf.String(), "Helm's loader logs for this chart")
	buf.Reset()

	var archive []tarEntry
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		archive = append(archive, tarEntry{name: "noisy/" + filepath.ToSlash(rel), data: data})
		return err
	}))
	data := tgzOf(t, archive...)

	loads := map[string]func() (*source.Chart, error){
		"LoadPath dir": func() (*source.Chart, error) { return source.LoadPath(context.Background(), dir) },
		"LoadFS":       func() (*source.Chart, error) { return source.LoadFS(context.Background(), os.DirFS(dir), ".") },
		"LoadArchive":  func() (*source.Chart, error) { return source.LoadArchive(context.Background(), data) },
		"LoadRenderer": func() (*source.Chart, error) {
			p := filepath.Join(t.TempDir(), "noisy-0.1.0.tgz")
			if err := os.WriteFile(p, data, 0o644); err != nil {
				return nil, err
			}
			rd, err := source.LoadRenderer(context.Background(), p)
			if err != nil {
				return nil, err
			}
			return &source.Chart{Chart: rd.Chart()}, nil
		},
	}
	for name, load := range loads {
		c, err := load()
		require.NoError(t, err, name)
		require.Empty(t, buf.String(), "%s wrote to the standard logger", name)
		require.Equal(t, helm.Metadata, c.Metadata, name)
		require.Len(t, c.Dependencies(), 2, name)
		require.Len(t, c.Templates, 2, name)
	}
}

// TestNetworkAndDispatchLimits: a repository archive obeys WithMaxArchiveSize, and Load passes
// the limits to every source.
func TestNetworkAndDispatchLimits(t *testing.T) {
	t.Parallel()
	repo := newFileRepo(t)
	tests := []struct {
		name       string
		ref        string
		version    string
		opts       []source.LoadOption
		wantOption string
		wantLimit  int
	}{
		{name: "repository archive", ref: repo + "/cilium", version: "1.18.12", opts: []source.LoadOption{source.WithMaxArchiveSize(1024)}, wantOption: "WithMaxArchiveSize", wantLimit: 1024},
		{name: "repository archive, cached", ref: repo + "/cilium", version: "1.18.12", opts: []source.LoadOption{source.WithMaxArchiveSize(1024), source.WithCacheDir(t.TempDir())}, wantOption: "WithMaxArchiveSize", wantLimit: 1024},
		{name: "repository, files", ref: repo + "/cilium", version: "1.18.12", opts: []source.LoadOption{source.WithMaxChartFiles(50)}, wantOption: "WithMaxChartFiles", wantLimit: 50},
		{name: "path", ref: srcChart("1.18.12"), opts: []source.LoadOption{source.WithMaxChartSize(1000)}, wantOption: "WithMaxChartSize", wantLimit: 1000},
		{name: "file URL", ref: "file://" + srcChart("1.18.12"), opts: []source.LoadOption{source.WithMaxChartFiles(3)}, wantOption: "WithMaxChartFiles", wantLimit: 3},
		{name: "repository within the limits", ref: repo + "/cilium", version: "1.18.12", opts: []source.LoadOption{source.WithMaxArchiveSize(1 << 20)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := source.Load(context.Background(), tt.ref, tt.version, tt.opts...)
			if tt.wantOption == "" {
				require.NoError(t, err)
				require.Equal(t, "1.18.12", c.Metadata.Version)
				return
			}
			require.ErrorIs(t, err, source.ErrLimitExceeded)
			var se *source.SourceError
			require.ErrorAs(t, err, &se)
			require.Contains(t, err.Error(), "source."+tt.wantOption)
			require.Contains(t, err.Error(), "limit of "+strconv.Itoa(tt.wantLimit)+" ")
		})
	}
}

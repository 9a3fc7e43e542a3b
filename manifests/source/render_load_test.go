package source_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests"
	"github.com/talospatch/talospatch/manifests/source"
)

// TestLoadRendererEqualsLoadPath: LoadRenderer renders what LoadPath and Render give, for every
// shipped chart, with the templates parsed while the archive loaded.
func TestLoadRendererEqualsLoadPath(t *testing.T) {
	t.Parallel()

	for _, version := range []string{"1.11.2", "1.16.18", "1.18.12", "1.20.0"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()

			p := filepath.Join("..", "..", "testdata", "charts", "cilium-"+version+".tgz")
			if _, err := os.Stat(p); err != nil {
				t.Skip(err)
			}

			rd, err := source.LoadRenderer(t.Context(), p)
			require.NoError(t, err)

			ch, err := source.LoadPath(t.Context(), p)
			require.NoError(t, err)

			copts := manifests.CiliumOptions{KubeProxyDisabled: true, CertificatesInCluster: true}
			opts := manifests.RenderOptions{Deterministic: true}

			got, err := rd.RenderCilium(context.Background(), "1.35.0", copts, opts)
			require.NoError(t, err)

			want, err := manifests.RenderCilium(context.Background(), ch.Chart, "1.35.0", copts, opts)
			require.NoError(t, err)

			require.Equal(t, string(want.YAML), string(got.YAML))
			require.Equal(t, string(want.HelmOutput), string(got.HelmOutput))
			require.Equal(t, ch.Digest, rd.Digest, "the digest of the archive, as LoadPath's")
			// That the trees parsed during the load are the ones rendered is tested in
			// internal/helmengine (TestPipelineTreesAreUsed).
		})
	}
}

// TestLoadRendererChangedTemplate: a template whose bytes are not the ones parsed during the
// load is parsed again.
func TestLoadRendererChangedTemplate(t *testing.T) {
	t.Parallel()

	p := filepath.Join("..", "..", "testdata", "charts", "cilium-1.18.12.tgz")
	if _, err := os.Stat(p); err != nil {
		t.Skip(err)
	}

	rd, err := source.LoadRenderer(t.Context(), p)
	require.NoError(t, err)

	for _, tpl := range rd.Chart().Templates {
		if tpl.Name == "templates/cilium-agent/serviceaccount.yaml" {
			tpl.Data = []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: changed-{{ .Release.Name }}\n")
		}
	}

	r, err := rd.Render(context.Background(), "1.35.0", manifests.RenderOptions{})
	require.NoError(t, err)
	require.Contains(t, string(r.YAML), "name: changed-cilium")
}

// TestLoadRendererErrors: LoadRenderer fails as LoadPath does, and loads directories too.
func TestLoadRendererErrors(t *testing.T) {
	t.Parallel()

	_, err := source.LoadRenderer(t.Context(), filepath.Join(t.TempDir(), "missing.tgz"))
	require.ErrorIs(t, err, source.ErrChartNotFound)

	bad := filepath.Join(t.TempDir(), "bad.tgz")
	require.NoError(t, os.WriteFile(bad, []byte("not a chart"), 0o644))

	_, err = source.LoadRenderer(t.Context(), bad)
	require.ErrorIs(t, err, source.ErrCorruptArchive)

	var serr *source.SourceError
	require.ErrorAs(t, err, &serr)
	require.Equal(t, bad, serr.Source)

	// A gzip stream that is not a chart.
	truncated := filepath.Join(t.TempDir(), "truncated.tgz")
	require.NoError(t, os.WriteFile(truncated, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0}, 0o644))

	_, err = source.LoadRenderer(t.Context(), truncated)
	require.ErrorIs(t, err, source.ErrCorruptArchive)

	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: dir\nversion: 0.1.0\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "templates", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\n"), 0o644))

	rd, err := source.LoadRenderer(t.Context(), dir)
	require.NoError(t, err)

	ch, err := source.LoadPath(t.Context(), dir)
	require.NoError(t, err)
	require.Equal(t, ch.Digest, rd.Digest, "a directory's digest, as LoadPath's")

	r, err := rd.Render(context.Background(), "1.35.0", manifests.RenderOptions{})
	require.NoError(t, err)
	require.Contains(t, string(r.YAML), "name: dir")
}

// TestLoadRendererOptions: LoadRenderer takes LoadPath's options, the limits among them.
func TestLoadRendererOptions(t *testing.T) {
	t.Parallel()

	p := filepath.Join("..", "..", "testdata", "charts", "cilium-1.18.12.tgz")

	_, err := source.LoadRenderer(t.Context(), p, source.WithMaxArchiveSize(1<<10))
	require.ErrorIs(t, err, source.ErrLimitExceeded)

	_, err = source.LoadRenderer(t.Context(), p, source.WithMaxChartFiles(10))
	require.ErrorIs(t, err, source.ErrLimitExceeded)

	rd, err := source.LoadRenderer(t.Context(), p, source.WithMaxArchiveSize(64<<20))
	require.NoError(t, err)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, rd.Digest)
}

// TestLoadRendererRef: Load's references, a local one through LoadRenderer, with Load's
// version check and repository-name hint.
func TestLoadRendererRef(t *testing.T) {
	t.Parallel()

	p := filepath.Join("..", "..", "testdata", "charts", "cilium-1.18.12.tgz")

	want, err := source.LoadPath(t.Context(), p)
	require.NoError(t, err)

	for _, ref := range []string{p, "file://" + p} {
		rd, err := source.LoadRendererRef(t.Context(), ref, "1.18.12")
		require.NoError(t, err, ref)
		require.Equal(t, want.Digest, rd.Digest, ref)
	}

	_, err = source.LoadRendererRef(t.Context(), p, "1.19.6")
	require.ErrorIs(t, err, source.ErrVersionNotFound)

	_, err = source.LoadRendererRef(t.Context(), "cilium/cilium", "")
	require.ErrorIs(t, err, source.ErrChartNotFound)
	require.ErrorContains(t, err, "https://helm.cilium.io/cilium")

	_, err = source.LoadRendererRef(t.Context(), "oci://registry.example/charts/cilium", "1.18.12")
	require.ErrorIs(t, err, source.ErrInvalidReference, "without oci.Enable, as Load")
}

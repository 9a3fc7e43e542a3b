package source_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/stretchr/testify/require"
	helmregistry "helm.sh/helm/v4/pkg/registry"

	"github.com/talospatch/talospatch/manifests/source"
)

// newOCIRegistry starts an OCI registry on loopback, pushes the given shared Cilium charts to
// HOST/charts/cilium:VERSION with Helm's registry client and returns HOST.
func newOCIRegistry(t *testing.T, versions ...string) string {
	t.Helper()
	host, _ := newOCIRegistryDigests(t, versions...)
	return host
}

// newOCIRegistryDigests is newOCIRegistry that also returns the manifest digest per version.
func newOCIRegistryDigests(t *testing.T, versions ...string) (string, map[string]string) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	client := pushClient(t)
	digests := map[string]string{}
	for _, v := range versions {
		res, err := client.Push(srcReadShared(t, "cilium-"+v+".tgz"), host+"/charts/cilium:"+v)
		require.NoError(t, err)
		digests[v] = res.Manifest.Digest
	}
	return host, digests
}

func pushClient(t *testing.T) *helmregistry.Client {
	t.Helper()
	client, err := helmregistry.NewClient(
		helmregistry.ClientOptPlainHTTP(),
		helmregistry.ClientOptWriter(io.Discard),
		helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")),
	)
	require.NoError(t, err)
	return client
}

func TestLoadOCI(t *testing.T) {
	t.Parallel()
	host, digests := newOCIRegistryDigests(t, "1.16.18", "1.18.12", "1.19.6")
	plain := source.WithPlainHTTP()
	tests := []struct {
		name        string
		ref         string
		version     string
		opts        []source.LoadOption
		wantVersion string
		wantErr     error
		wantMsg     string
	}{
		{name: "tag", ref: "oci://" + host + "/charts/cilium:1.18.12", wantVersion: "1.18.12"},
		{name: "tag and same version", ref: "oci://" + host + "/charts/cilium:1.18.12", version: "1.18.12", wantVersion: "1.18.12"},
		{name: "version", ref: "oci://" + host + "/charts/cilium", version: "1.16.18", wantVersion: "1.16.18"},
		{name: "latest", ref: "oci://" + host + "/charts/cilium", wantVersion: "1.19.6"},
		{name: "constraint", ref: "oci://" + host + "/charts/cilium", version: "<1.19", wantVersion: "1.18.12"},
		{name: "digest", ref: "oci://" + host + "/charts/cilium@" + digests["1.16.18"], wantVersion: "1.16.18"},
		{name: "tag and digest", ref: "oci://" + host + "/charts/cilium:1.19.6@" + digests["1.19.6"], wantVersion: "1.19.6"},
		{name: "tag absent", ref: "oci://" + host + "/charts/cilium:1.17.18", wantErr: source.ErrVersionNotFound, wantMsg: "tags: 1.19.6, 1.18.12, 1.16.18"},
		{name: "version absent", ref: "oci://" + host + "/charts/cilium", version: "1.17.18", wantErr: source.ErrVersionNotFound},
		{name: "constraint unmatched", ref: "oci://" + host + "/charts/cilium", version: ">=2", wantErr: source.ErrVersionNotFound},
		{name: "repository absent", ref: "oci://" + host + "/charts/hubble:1.0.0", wantErr: source.ErrChartNotFound},
		{name: "repository absent without tag", ref: "oci://" + host + "/charts/hubble", wantErr: source.ErrChartNotFound},
		{name: "tag and version differ", ref: "oci://" + host + "/charts/cilium:1.18.12", version: "1.19.6", wantErr: source.ErrInvalidReference},
		{name: "no scheme", ref: host + "/charts/cilium:1.18.12", wantErr: source.ErrInvalidReference},
		{name: "no repository", ref: "oci://" + host, wantErr: source.ErrInvalidReference},
		{name: "invalid characters", ref: "oci://" + host + "/Charts/CILIUM:1.18.12", wantErr: source.ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]source.LoadOption{plain}, tt.opts...)
			c, err := source.LoadOCI(context.Background(), tt.ref, tt.version, opts...)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), tt.ref, "the error names the reference")
				require.Contains(t, err.Error(), tt.wantMsg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "cilium", c.Name())
			require.Equal(t, tt.wantVersion, c.Metadata.Version)
		})
	}
}

func TestLoadOCIUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	_, err := source.LoadOCI(context.Background(), "oci://"+host+"/charts/cilium:1.18.12", "", source.WithPlainHTTP())
	require.ErrorIs(t, err, source.ErrUnreachable)
}

func TestLoadOCICancelled(t *testing.T) {
	t.Parallel()
	host := newOCIRegistry(t, "1.18.12")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := source.LoadOCI(ctx, "oci://"+host+"/charts/cilium:1.18.12", "", source.WithPlainHTTP())
	require.ErrorIs(t, err, context.Canceled)
}

func TestLoadOCIRegistryClient(t *testing.T) {
	t.Parallel()
	host := newOCIRegistry(t, "1.18.12")
	c, err := source.LoadOCI(context.Background(), "oci://"+host+"/charts/cilium:1.18.12", "", source.WithRegistryClient(pushClient(t)))
	require.NoError(t, err)
	require.Equal(t, "1.18.12", c.Metadata.Version)
}

// TestLoadSlowServerHonoursContext: Helm's registry client uses context.Background, so a
// hanging registry would block forever without the caller's context reaching the requests.
func TestLoadSlowServerHonoursContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	host := strings.TrimPrefix(srv.URL, "http://")

	tests := []struct {
		name string
		load func(ctx context.Context) error
	}{
		{name: "oci", load: func(ctx context.Context) error {
			_, err := source.LoadOCI(ctx, "oci://"+host+"/charts/cilium:1.18.12", "", source.WithPlainHTTP())
			return err
		}},
		{name: "oci without tag", load: func(ctx context.Context) error {
			_, err := source.LoadOCI(ctx, "oci://"+host+"/charts/cilium", "", source.WithPlainHTTP())
			return err
		}},
		{name: "repository", load: func(ctx context.Context) error {
			_, err := source.LoadRepo(ctx, srv.URL, "cilium", "1.18.12")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := tt.load(ctx)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.NotErrorIs(t, err, source.ErrUnreachable)
			require.Less(t, time.Since(start), 10*time.Second)
		})
	}
}

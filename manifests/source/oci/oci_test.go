package oci_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/stretchr/testify/require"
	helmregistry "helm.sh/helm/v4/pkg/registry"

	"github.com/talospatch/talospatch/manifests/source"
	"github.com/talospatch/talospatch/manifests/source/oci"
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
		res, err := client.Push(readShared(t, "cilium-"+v+".tgz"), host+"/charts/cilium:"+v)
		require.NoError(t, err)
		digests[v] = res.Manifest.Digest
	}
	return host, digests
}

// readShared reads a chart archive of testdata/charts at the repository root.
func readShared(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "charts", name))
	require.NoError(t, err)
	return data
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
	plain := oci.WithPlainHTTP()
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
			c, err := oci.Load(context.Background(), tt.ref, tt.version, opts...)
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
	_, err := oci.Load(context.Background(), "oci://"+host+"/charts/cilium:1.18.12", "", oci.WithPlainHTTP())
	require.ErrorIs(t, err, source.ErrUnreachable)
}

func TestLoadOCICancelled(t *testing.T) {
	t.Parallel()
	host := newOCIRegistry(t, "1.18.12")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := oci.Load(ctx, "oci://"+host+"/charts/cilium:1.18.12", "", oci.WithPlainHTTP())
	require.ErrorIs(t, err, context.Canceled)
}

func TestLoadOCIRegistryClient(t *testing.T) {
	t.Parallel()
	host := newOCIRegistry(t, "1.18.12")
	c, err := oci.Load(context.Background(), "oci://"+host+"/charts/cilium:1.18.12", "", oci.WithRegistryClient(pushClient(t)))
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
			_, err := oci.Load(ctx, "oci://"+host+"/charts/cilium:1.18.12", "", oci.WithPlainHTTP())
			return err
		}},
		{name: "oci without tag", load: func(ctx context.Context) error {
			_, err := oci.Load(ctx, "oci://"+host+"/charts/cilium", "", oci.WithPlainHTTP())
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

// TestSourceLoadDispatchesOCI: with the Enable option, source.Load loads oci:// references
// through this package, with its options.
func TestSourceLoadDispatchesOCI(t *testing.T) {
	t.Parallel()
	reg := newOCIRegistry(t, "1.18.12", "1.19.6")
	tests := []struct {
		name        string
		ref         string
		version     string
		wantVersion string
		wantErr     error
	}{
		{name: "tag", ref: "oci://" + reg + "/charts/cilium:1.18.12", wantVersion: "1.18.12"},
		{name: "version", ref: "oci://" + reg + "/charts/cilium", version: "1.19.6", wantVersion: "1.19.6"},
		{name: "latest", ref: "oci://" + reg + "/charts/cilium", wantVersion: "1.19.6"},
		{name: "tag and other version", ref: "oci://" + reg + "/charts/cilium:1.18.12", version: "1.19.6", wantErr: source.ErrInvalidReference},
		{name: "missing version", ref: "oci://" + reg + "/charts/cilium:1.0.0", wantErr: source.ErrVersionNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := source.Load(context.Background(), tt.ref, tt.version, oci.Enable(), oci.WithPlainHTTP())
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				var se *source.SourceError
				require.ErrorAs(t, err, &se)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantVersion, c.Metadata.Version)
			sum := sha256.Sum256(readShared(t, "cilium-"+tt.wantVersion+".tgz"))
			require.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), c.Digest, "the digest of the chart layer: the pushed archive's")
		})
	}

	_, err := oci.Load(context.Background(), "https://helm.cilium.io/cilium", "")
	require.ErrorIs(t, err, source.ErrInvalidReference, "oci.Load takes oci:// references only")
}

// TestLoadOCIRedactsCredentials: credentials in an OCI reference are refused (Helm's registry
// config or WithRegistryClient carry them) and never shown.
func TestLoadOCIRedactsCredentials(t *testing.T) {
	t.Parallel()
	const password, token = "s3cr3t-Pa55w0rd", "tok3n-ghp-0123456789"
	for _, ref := range []string{
		"oci://chartuser:" + password + "@127.0.0.1:1/charts/cilium:1.0.0",
		"oci://" + token + "@127.0.0.1:1/charts/cilium",
	} {
		_, err := source.Load(context.Background(), ref, "", oci.Enable(), oci.WithPlainHTTP())
		require.ErrorIs(t, err, source.ErrInvalidReference)
		var se *source.SourceError
		require.ErrorAs(t, err, &se)
		for _, form := range []string{err.Error(), se.Source, fmt.Sprintf("%+v", err)} {
			require.NotContains(t, form, password)
			require.NotContains(t, form, token)
		}
		require.Contains(t, err.Error(), "helm registry login")
	}
}

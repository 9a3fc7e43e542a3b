package oci_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	helmregistry "helm.sh/helm/v4/pkg/registry"

	"github.com/talospatch/talospatch/manifests/source"
	"github.com/talospatch/talospatch/manifests/source/oci"
)

// bigLayerRegistry is a loopback OCI registry with one chart, charts/big:1.0.0, whose layer
// streams size zero bytes from a small buffer (the server allocates nothing per byte) while
// the manifest declares declared bytes.
type bigLayerRegistry struct {
	host           string
	layerRequested atomic.Bool
}

func newBigLayerRegistry(t *testing.T, size, declared int64) *bigLayerRegistry {
	t.Helper()
	zeros := make([]byte, 32<<10)
	h := sha256.New()
	for left := size; left > 0; left -= int64(len(zeros)) {
		h.Write(zeros[:min(left, int64(len(zeros)))])
	}
	layerDigest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	config := []byte(`{"apiVersion":"v2","name":"big","version":"1.0.0"}`)
	configDigest := digestOf(config)
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        map[string]any{"mediaType": helmregistry.ConfigMediaType, "digest": configDigest, "size": len(config)},
		"layers":        []any{map[string]any{"mediaType": helmregistry.ChartLayerMediaType, "digest": layerDigest, "size": declared}},
	})
	require.NoError(t, err)
	manifestDigest := digestOf(manifest)

	reg := &bigLayerRegistry{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == "/v2/":
			w.WriteHeader(http.StatusOK)
		case p == "/v2/charts/big/manifests/1.0.0" || p == "/v2/charts/big/manifests/"+manifestDigest:
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Docker-Content-Digest", manifestDigest)
			w.Header().Set("Content-Length", strconv.Itoa(len(manifest)))
			if r.Method == http.MethodGet {
				_, _ = w.Write(manifest)
			}
		case p == "/v2/charts/big/blobs/"+configDigest:
			w.Header().Set("Content-Length", strconv.Itoa(len(config)))
			_, _ = w.Write(config)
		case p == "/v2/charts/big/blobs/"+layerDigest:
			reg.layerRequested.Store(true)
			// No Content-Length: the body is chunked, its size unknown until read.
			for left := size; left > 0; left -= int64(len(zeros)) {
				if _, err := w.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
					return
				}
			}
		case p == "/v2/charts/big/tags/list":
			_, _ = fmt.Fprint(w, `{"name":"charts/big","tags":["1.0.0"]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	reg.host = strings.TrimPrefix(srv.URL, "http://")
	return reg
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// totalAlloc returns the bytes allocated by the process so far.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestLoadOCIArchiveLimit: an OCI chart layer obeys the archive limit like a repository
// archive, refused from the manifest's declared size before the download, and bounded while
// streaming when the declared size lies. Not parallel: it measures the allocations of the
// process.
func TestLoadOCIArchiveLimit(t *testing.T) {
	const (
		layer = 64 << 20
		limit = 1 << 20
	)
	tests := []struct {
		name          string
		declared      int64
		wantLimit     bool // the error is a *LimitError naming the limit and the option
		wantRequested bool
	}{
		{name: "declared size over the limit", declared: layer, wantLimit: true},
		{name: "declared size under the limit, body over it", declared: limit / 2, wantRequested: true},
		{name: "declared size at the limit, body over it", declared: limit, wantRequested: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newBigLayerRegistry(t, layer, tt.declared)
			ref := "oci://" + reg.host + "/charts/big:1.0.0"
			runtime.GC()
			before := totalAlloc()
			_, err := oci.Load(context.Background(), ref, "", oci.WithPlainHTTP(), source.WithMaxArchiveSize(limit))
			grown := totalAlloc() - before
			require.Error(t, err)
			require.Contains(t, err.Error(), ref, "the error names the source")
			if tt.wantLimit {
				require.ErrorIs(t, err, source.ErrLimitExceeded)
				var le *source.LimitError
				require.ErrorAs(t, err, &le)
				require.EqualValues(t, limit, le.Limit)
				require.EqualValues(t, layer, le.Got)
				require.Contains(t, err.Error(), "WithMaxArchiveSize")
				require.Contains(t, err.Error(), strconv.Itoa(limit))
			}
			require.Equal(t, tt.wantRequested, reg.layerRequested.Load(), "layer requested")
			require.Less(t, grown, uint64(16<<20), "allocated %d MiB for a %d MiB layer", grown>>20, layer>>20)
		})
	}
}

// TestLoadOCIArchiveLimitPushed: a chart pushed with Helm's client is refused under a limit
// smaller than its archive and loads under the default one.
func TestLoadOCIArchiveLimitPushed(t *testing.T) {
	t.Parallel()
	host := newOCIRegistry(t, "1.18.12")
	ref := "oci://" + host + "/charts/cilium:1.18.12"
	_, err := oci.Load(context.Background(), ref, "", oci.WithPlainHTTP(), source.WithMaxArchiveSize(1024))
	require.ErrorIs(t, err, source.ErrLimitExceeded)
	require.Contains(t, err.Error(), "WithMaxArchiveSize")
	require.Contains(t, err.Error(), "1024 bytes")
	c, err := oci.Load(context.Background(), ref, "", oci.WithPlainHTTP())
	require.NoError(t, err)
	require.Equal(t, "1.18.12", c.Metadata.Version)
}

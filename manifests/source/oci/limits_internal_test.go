package oci

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests/source"
)

// TestLimitTransportBlobs: blob bodies are cut off past the archive limit whatever their
// Content-Length says, and refused up front when it is over the limit; other requests pass.
func TestLimitTransportBlobs(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	zeros := make([]byte, 32<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		if r.URL.Query().Get("length") != "" {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		for left := size; left > 0; left -= len(zeros) {
			if _, err := w.Write(zeros[:min(left, len(zeros))]); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: &limitTransport{base: http.DefaultTransport, archiveSize: limit}}

	tests := []struct {
		name    string
		path    string
		size    int
		length  bool
		wantErr bool
	}{
		{name: "blob at the limit", path: "/v2/charts/x/blobs/sha256:aa", size: limit},
		{name: "blob over the limit, chunked", path: "/v2/charts/x/blobs/sha256:aa", size: 64 << 20, wantErr: true},
		{name: "blob over the limit, Content-Length", path: "/v2/charts/x/blobs/sha256:aa", size: 64 << 20, length: true, wantErr: true},
		{name: "one byte over", path: "/v2/charts/x/blobs/sha256:aa", size: limit + 1, wantErr: true},
		{name: "not a blob", path: "/v2/charts/x/tags/list", size: 2 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := srv.URL + tt.path + "?size=" + strconv.Itoa(tt.size)
			if tt.length {
				u += "&length=1"
			}
			resp, err := client.Get(u)
			var n int64
			if err == nil {
				n, err = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
			if !tt.wantErr {
				require.NoError(t, err)
				require.EqualValues(t, tt.size, n)
				return
			}
			require.ErrorIs(t, err, source.ErrLimitExceeded)
			require.Contains(t, err.Error(), "WithMaxArchiveSize")
			require.LessOrEqual(t, n, int64(limit))
		})
	}
}

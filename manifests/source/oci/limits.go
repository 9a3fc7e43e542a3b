package oci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"helm.sh/helm/v4/pkg/registry"

	"github.com/talospatch/talospatch/manifests/source"
)

// maxOCIManifestSize bounds an OCI manifest (oras-go's own default limit for manifests).
const maxOCIManifestSize = 4 << 20

// limitTransport bounds what an OCI registry can make the registry client read: a manifest
// that declares a chart layer or config larger than the archive limit is refused before any
// blob is requested, and blob bodies are cut off with a *LimitError past the limit, whatever
// sizes the manifest and Content-Length claim.
type limitTransport struct {
	base        http.RoundTripper
	archiveSize int64
}

// archiveError is the error of an OCI blob over the archive limit.
func (t *limitTransport) archiveError(what string, got int64) *source.LimitError {
	return &source.LimitError{What: what, Limit: t.archiveSize, Got: got, Unit: "bytes", Option: "WithMaxArchiveSize"}
}

// RoundTrip implements http.RoundTripper.
func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	switch kind := ociPathKind(req.URL.Path); kind {
	case "blobs":
		if resp.ContentLength > t.archiveSize {
			_ = resp.Body.Close()
			return nil, t.archiveError("OCI blob "+ociPathRef(req.URL.Path), resp.ContentLength)
		}
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: t.archiveSize, err: t.archiveError("OCI blob "+ociPathRef(req.URL.Path), 0)}
	case "manifests":
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxOCIManifestSize+1))
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(data) > maxOCIManifestSize {
			return nil, fmt.Errorf("OCI manifest %s: larger than %d bytes", ociPathRef(req.URL.Path), maxOCIManifestSize)
		}
		if err := t.checkManifest(data); err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(data))
		resp.ContentLength = int64(len(data))
	}
	return resp, nil
}

// checkManifest refuses an image manifest whose config or chart layer is declared larger
// than the archive limit (the layers Helm's client skips are not checked). Other documents,
// such as an index, are left to the registry client.
func (t *limitTransport) checkManifest(data []byte) error {
	type descriptor struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int64  `json:"size"`
	}
	var m struct {
		Config *descriptor  `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	if json.Unmarshal(data, &m) != nil {
		return nil // the registry client words the error
	}
	descs := m.Layers
	if m.Config != nil {
		descs = append(descs, *m.Config)
	}
	for _, d := range descs {
		switch d.MediaType {
		case registry.ConfigMediaType, registry.ChartLayerMediaType, registry.LegacyChartLayerMediaType:
		default:
			continue
		}
		if d.Size > t.archiveSize {
			return t.archiveError(fmt.Sprintf("OCI blob %s (%s) declared by its manifest", d.Digest, d.MediaType), d.Size)
		}
	}
	return nil
}

// ociPathKind returns "blobs" or "manifests" for the distribution API paths
// /v2/NAME/blobs/DIGEST and /v2/NAME/manifests/REFERENCE, else "".
func ociPathKind(p string) string {
	if !strings.HasPrefix(p, "/v2/") {
		return ""
	}
	parts := strings.Split(p, "/")
	if len(parts) < 5 {
		return ""
	}
	switch kind := parts[len(parts)-2]; kind {
	case "blobs", "manifests":
		if parts[len(parts)-1] != "" {
			return kind
		}
	}
	return ""
}

// ociPathRef returns the digest or reference at the end of a distribution API path.
func ociPathRef(p string) string {
	return p[strings.LastIndex(p, "/")+1:]
}

// limitedBody is a response body that fails with err once more than left bytes were read.
type limitedBody struct {
	io.ReadCloser
	left int64
	err  error
}

// Read implements io.Reader.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, b.err
	}
	return n, err
}

package source_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests/source"
)

// Credentials of the tests: never to appear in an error.
const (
	redactUser     = "chartuser"
	redactPassword = "s3cr3t-Pa55w0rd"
	redactToken    = "tok3n-ghp-0123456789"
)

// requireNoSecret fails when an error in err's chain (or its %+v / %#v forms) shows one of the
// secrets.
func requireNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	var walk func(e error)
	walk = func(e error) {
		if e == nil {
			return
		}
		for _, form := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			for _, s := range secrets {
				require.NotContains(t, form, s, "error (%T) shows a secret", e)
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
}

// newAuthRepo is a loopback repository that wants basic auth on /auth/ and fails on purpose
// elsewhere: /missing/ answers 404, /fail/ 500, /close/ drops the connection, /archive-404/,
// /archive-500/, /archive-close/ and /archive-digest/ serve an index whose archive is missing,
// failing, dropped or not the one of the digest.
func newAuthRepo(t *testing.T) *httptest.Server {
	t.Helper()
	other := sha256.Sum256([]byte("another archive"))
	digest := hex.EncodeToString(other[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		first, rest, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/")
		switch first {
		case "auth":
			if u, p, ok := req.BasicAuth(); !ok || u != redactUser || p != redactPassword {
				w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			http.NotFound(w, req)
		case "fail":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "close":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		case "archive-404", "archive-500", "archive-close", "archive-digest":
			switch rest {
			case "index.yaml":
				_, _ = w.Write(srcIndexYAML("1.0.0", "charts/cilium-1.0.0.tgz", digest))
			case "charts/cilium-1.0.0.tgz":
				switch first {
				case "archive-404":
					http.NotFound(w, req)
				case "archive-500":
					http.Error(w, "boom", http.StatusInternalServerError)
				case "archive-close":
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						_ = conn.Close()
					}
				default:
					_, _ = w.Write([]byte("not the archive of the digest"))
				}
			default:
				http.NotFound(w, req)
			}
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestLoadRedactsCredentials: whatever fails, errors of repository and OCI sources show no
// password or token of the URL, including the *url.Error values of net/http.
func TestLoadRedactsCredentials(t *testing.T) {
	t.Parallel()
	srv := newAuthRepo(t)
	host := strings.TrimPrefix(srv.URL, "http://")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedHost := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now: connection refused

	withPassword := "http://" + redactUser + ":" + redactPassword + "@"
	withToken := "http://" + redactToken + "@"

	tests := []struct {
		name     string
		ref      string
		opts     []source.LoadOption
		sentinel error
	}{
		{"wrong password", "http://" + redactUser + ":wrong-" + redactPassword + "@" + host + "/auth/cilium", nil, nil},
		{"authorized, no index", withPassword + host + "/auth/cilium", nil, source.ErrChartNotFound},
		{"index 404", withPassword + host + "/missing/cilium", nil, source.ErrChartNotFound},
		{"index 500", withPassword + host + "/fail/cilium", nil, source.ErrUnreachable},
		{"connection closed", withPassword + host + "/close/cilium", nil, source.ErrUnreachable},
		{"connection refused", withPassword + closedHost + "/charts/cilium", nil, source.ErrUnreachable},
		{"token, connection refused", withToken + closedHost + "/charts/cilium", nil, source.ErrUnreachable},
		{"token, index 500", withToken + host + "/fail/cilium", nil, source.ErrUnreachable},
		{"archive 404", withPassword + host + "/archive-404/cilium", nil, source.ErrChartNotFound},
		{"archive 500", withPassword + host + "/archive-500/cilium", nil, source.ErrUnreachable},
		{"archive closed", withPassword + host + "/archive-close/cilium", nil, source.ErrUnreachable},
		{"archive digest", withPassword + host + "/archive-digest/cilium", nil, source.ErrDigestMismatch},
		{"archive digest, cached", withPassword + host + "/archive-digest/cilium", []source.LoadOption{source.WithCacheDir(t.TempDir())}, source.ErrDigestMismatch},
		{"no chart name", withPassword + host, nil, source.ErrInvalidReference},
		{"unparsable URL", "https://" + redactUser + ":" + redactPassword + "@host name/charts/cilium", nil, source.ErrInvalidReference},
		{"unparsable URL, slash in password", "https://" + redactUser + ":" + redactPassword[:6] + "/" + redactPassword[6:] + "@host/charts/cilium", nil, source.ErrInvalidReference},
		{"other scheme", "ftp://" + redactUser + ":" + redactPassword + "@" + host + "/charts/cilium", nil, source.ErrInvalidReference},
		// This test binary does not link package oci: the error says to import it (its own
		// tests cover OCI references with credentials).
		{"OCI reference, no package oci", "oci://" + redactUser + ":" + redactPassword + "@" + closedHost + "/charts/cilium:1.0.0", nil, source.ErrInvalidReference},
		{"OCI token, no package oci", "oci://" + redactToken + "@" + closedHost + "/charts/cilium", nil, source.ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, err := source.Load(ctx, tt.ref, "", tt.opts...)
			requireNoSecret(t, err, redactPassword[:6], redactPassword[6:], redactToken)
			if tt.sentinel != nil {
				require.ErrorIs(t, err, tt.sentinel)
			}
			var se *source.SourceError
			require.ErrorAs(t, err, &se)
			require.NotContains(t, se.Source, redactPassword)
			t.Log(err)
		})
	}
}

// TestLoadRepoRedactsCredentials: the URL of LoadRepo itself, the StatusError and DigestError
// fields and the cache errors are redacted like url.URL.Redacted does (the user name stays).
func TestLoadRepoRedactsCredentials(t *testing.T) {
	t.Parallel()
	srv := newAuthRepo(t)
	base := "http://" + redactUser + ":" + redactPassword + "@" + strings.TrimPrefix(srv.URL, "http://")
	shown := "http://" + redactUser + ":xxxxx@" + strings.TrimPrefix(srv.URL, "http://")

	_, err := source.LoadRepo(context.Background(), base+"/fail", "cilium", "1.0.0")
	requireNoSecret(t, err, redactPassword)
	var se *source.StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, shown+"/fail/index.yaml", se.URL)
	require.Contains(t, err.Error(), shown+"/fail (chart cilium, version 1.0.0)")

	_, err = source.LoadRepo(context.Background(), base+"/archive-digest", "cilium", "1.0.0")
	requireNoSecret(t, err, redactPassword)
	var de *source.DigestError
	require.ErrorAs(t, err, &de)
	require.Equal(t, shown+"/archive-digest/charts/cilium-1.0.0.tgz", de.Location)

	// A cache directory that cannot be read: the error names the cache file, not the URL.
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	_, err = source.LoadRepo(context.Background(), base+"/archive-404", "cilium", "1.0.0", source.WithCacheDir(filepath.Join(blocker, "cache")))
	requireNoSecret(t, err, redactPassword)
	require.Contains(t, err.Error(), "cache: mkdir "+blocker+": not a directory")

	_, err = source.LoadRepo(context.Background(), "ftp://"+redactUser+":"+redactPassword+"@example.invalid/charts", "cilium", "")
	requireNoSecret(t, err, redactPassword)
	require.ErrorIs(t, err, source.ErrInvalidReference)
	require.Contains(t, err.Error(), "ftp://"+redactUser+":xxxxx@example.invalid/charts")
}

// TestLoadRepoRedactsURLErrorOfClient: the *url.Error of an http.Client whose transport fails
// is rewritten too (net/http leaves a user name without password as it is).
func TestLoadRepoRedactsURLErrorOfClient(t *testing.T) {
	t.Parallel()
	failing := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("transport down")
	})}
	_, err := source.LoadRepo(context.Background(), "https://"+redactToken+"@127.0.0.1:1/charts", "cilium", "", source.WithHTTPClient(failing))
	requireNoSecret(t, err, redactToken)
	require.ErrorIs(t, err, source.ErrUnreachable)
	require.Contains(t, err.Error(), "https://xxxxx@127.0.0.1:1/charts/index.yaml")
	require.Contains(t, err.Error(), "transport down")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

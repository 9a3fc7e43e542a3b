package source

import (
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://charts.example.com/stable", "https://charts.example.com/stable"},
		{"https://user:pass@charts.example.com/stable", "https://user:xxxxx@charts.example.com/stable"},
		{"https://token@charts.example.com/stable", "https://xxxxx@charts.example.com/stable"},
		{"https://user:p%40ss@charts.example.com/a?x=1", "https://user:xxxxx@charts.example.com/a?x=1"},
		{"https://user:pa ss@host name/x", "https://xxxxx@host name/x"},
		{"https://user:pa/ss@host:port/x", "https://xxxxx@host:port/x"},
		{"oci://ghcr.io/org/cilium@sha256:abc", "oci://ghcr.io/org/cilium@sha256:abc"},
		{"charts/cilium@1.0.tgz", "charts/cilium@1.0.tgz"},
	} {
		require.Equal(t, tc.want, redactURL(tc.in), tc.in)
	}
}

func TestRedactText(t *testing.T) {
	require.Equal(t,
		`Get "https://u:xxxxx@h/x": EOF; see http://xxxxx@h2 and oci://r.io/o/c@sha256:1`,
		redactText(`Get "https://u:p@ss@h/x": EOF; see http://tok@h2 and oci://r.io/o/c@sha256:1`))
}

func TestRedactErr(t *testing.T) {
	for _, raw := range []string{"https://user:pa ss@host name/x", "https://user:secret/more@host/x"} {
		_, err := url.Parse(raw)
		require.Error(t, err)
		got := redactErr(err).Error()
		require.NotContains(t, got, "pa ss")
		require.NotContains(t, got, "secret")
		require.NotContains(t, got, "more")
		require.Contains(t, got, "percent-encode")
	}

	wrapped := &url.Error{Op: "Get", URL: "https://user:secret@h/x", Err: errors.Join(ErrUnreachable, errors.New("down"))}
	got := redactErr(wrapped)
	require.Equal(t, `Get "https://user:xxxxx@h/x": `+ErrUnreachable.Error()+"\ndown", got.Error())
	require.ErrorIs(t, got, ErrUnreachable)
}

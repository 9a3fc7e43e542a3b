package manifests_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests"
)

// TestRenderSetErrorHidesValue: a malformed set expression is named by field, index and key,
// never with its value.
func TestRenderSetErrorHidesValue(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-Sup3rS3cret"
	tests := []struct {
		name string
		opts manifests.RenderOptions
		want []string
	}{
		{"unterminated list", manifests.RenderOptions{Set: []string{"a=1", "b=2", "c=3", "db.password={" + secret}}, []string{`Set[3] (key "db.password")`}},
		{"value without key", manifests.RenderOptions{Set: []string{"a=1," + secret}}, []string{`Set[0] (key "a")`, "KEY=VALUE"}},
		{"secret alone", manifests.RenderOptions{SetString: []string{secret}}, []string{"SetString[0] (no KEY= before the first value)"}},
		{"bad index", manifests.RenderOptions{Set: []string{"list[x]=" + secret}}, []string{`Set[0] (key "list[x]")`, "error parsing index"}},
		{"bad JSON", manifests.RenderOptions{SetJSON: []string{"token=" + secret}}, []string{`SetJSON[0] (key "token")`, "KEY=JSON"}},
		{"bad JSON, second assignment", manifests.RenderOptions{SetJSON: []string{`a=1`, `b={"c":1},` + secret}}, []string{`SetJSON[1] (key "b")`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := manifests.Render(context.Background(), appChart(), testKubeVersion, tt.opts)
			require.ErrorIs(t, err, manifests.ErrValues)
			requireNoSecret(t, err, secret, secret[:8])
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
			t.Log(err)
		})
	}
}

// requireNoSecret fails when an error in err's chain (or its %+v / %#v forms) shows one of the
// secrets.
func requireNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	require.Error(t, err)
	for e := err; e != nil; e = errorsUnwrap(e) {
		for _, form := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
			for _, s := range secrets {
				require.NotContains(t, form, s, "error (%T) shows a secret", e)
			}
		}
	}
}

func errorsUnwrap(e error) error {
	if u, ok := e.(interface{ Unwrap() error }); ok {
		return u.Unwrap()
	}

	return nil
}

package install

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestShellQuote(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                      "''",
		"cilium/cilium":         "cilium/cilium",
		"a=b,c@d%e+f:g.h-i_j":   "a=b,c@d%e+f:g.h-i_j",
		"my values.yaml":        "'my values.yaml'",
		"it's":                  `'it'"'"'s'`,
		"$(rm -rf /)":           "'$(rm -rf /)'",
		"https://x.io/?a=1&b=2": "'https://x.io/?a=1&b=2'",
		"ünïcode":               "'ünïcode'",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, want, shellQuote(in))
		})
	}
}

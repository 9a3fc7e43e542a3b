package manifests

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

// helmSplit is releaseutil.SplitManifests as an ordered slice.
func helmSplit(text string) []string {
	m := releaseutil.SplitManifests(text)

	var out []string
	for i := range len(m) {
		out = append(out, m[fmt.Sprintf("manifest-%d", i)])
	}

	return out
}

func FuzzSplitManifests(f *testing.F) {
	for _, seed := range []string{
		"", "---", "a", "---\na: 1\n---\nb: 2\n", "a\n---\n---\nb", "  \n--- \n x\n---y\n----\n",
		"a: |\n  ---\n  b\n---\nc", "\t---\r\n---", "x\n   \n---\n\n\n", "---a\n---", "a\n--", "\n---\n",
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, text string) {
		require.Equal(t, helmSplit(text), splitManifests(text), "%q", text)
	})
}

package scheme_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests/source/internal/scheme"
)

func TestPickVersion(t *testing.T) {
	t.Parallel()
	available := []string{"2.0.0-rc.1", "1.20.0", "1.19.6", "1.18.12", "not-semver"}
	tests := []struct {
		version string
		want    int
	}{
		{version: "", want: 1},
		{version: "1.19.6", want: 2},
		{version: "not-semver", want: 4},
		{version: "2.0.0-rc.1", want: 0},
		{version: ">=2.0.0-0", want: 0},
		{version: "~1.18", want: 3},
		{version: "1.17.0", want: -1},
		{version: "[[", want: -1},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, scheme.PickVersion(available, tt.version))
		})
	}
}

func TestShortList(t *testing.T) {
	t.Parallel()
	require.Equal(t, "none", scheme.ShortList(nil))
	require.Equal(t, "a, b", scheme.ShortList([]string{"a", "b"}))
	require.Equal(t, "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more", scheme.ShortList([]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}))
}

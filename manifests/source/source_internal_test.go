package source

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/require"
)

func TestSplitRepoRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref      string
		wantRepo string
		wantName string
		wantErr  bool
	}{
		{ref: "https://helm.cilium.io/cilium", wantRepo: "https://helm.cilium.io", wantName: "cilium"},
		{ref: "https://helm.cilium.io/cilium/", wantRepo: "https://helm.cilium.io", wantName: "cilium"},
		{ref: "http://127.0.0.1:8080/charts/stable/cilium", wantRepo: "http://127.0.0.1:8080/charts/stable", wantName: "cilium"},
		{ref: "https://user:pw@example.com/repo/app", wantRepo: "https://user:pw@example.com/repo", wantName: "app"},
		{ref: "https://helm.cilium.io", wantErr: true},
		{ref: "https://helm.cilium.io/", wantErr: true},
		{ref: "https:///cilium", wantErr: true},
		{ref: "https://example.com/cilium?x=1", wantErr: true},
		{ref: "https://example.com/%zz", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			t.Parallel()
			repo, name, err := splitRepoRef(tt.ref)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrInvalidReference)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantRepo, repo)
			require.Equal(t, tt.wantName, name)
		})
	}
}

func FuzzParseIndex(f *testing.F) {
	shared, err := os.ReadFile("../../testdata/charts/index.yaml")
	if err == nil {
		f.Add(shared)
	}
	f.Add([]byte("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a-1.0.0.tgz]\n"))
	f.Add([]byte(`{"apiVersion":"v1","entries":{"a":[null,{"version":"x"}]}}`))
	f.Add([]byte("entries: [\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		index, err := parseIndex(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidIndex) {
				t.Fatalf("error %v does not wrap ErrInvalidIndex", err)
			}
			return
		}
		for name, versions := range index.Entries {
			for i, v := range versions {
				if v == nil || v.Metadata == nil || v.Version == "" || v.Name == "" {
					t.Fatalf("entry %s[%d] kept although incomplete", name, i)
				}
			}
			// Highest semver first, like Helm's SortEntries.
			var parsed []*semver.Version
			for _, v := range versions {
				if sv, err := semver.NewVersion(v.Version); err == nil {
					parsed = append(parsed, sv)
				}
			}
			if !slices.IsSortedFunc(parsed, func(a, b *semver.Version) int { return b.Compare(a) }) {
				t.Fatalf("entries of %s not sorted highest first", name)
			}
		}
	})
}

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

func TestParseOCIRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ref     string
		want    ociRef
		wantErr bool
	}{
		{ref: "oci://ghcr.io/org/cilium", want: ociRef{repository: "ghcr.io/org/cilium"}},
		{ref: "oci://ghcr.io/org/cilium:1.18.12", want: ociRef{repository: "ghcr.io/org/cilium", tag: "1.18.12"}},
		{ref: "oci://127.0.0.1:5000/cilium:1.0.0_build.1", want: ociRef{repository: "127.0.0.1:5000/cilium", tag: "1.0.0+build.1"}},
		{ref: "oci://127.0.0.1:5000/cilium:1.0.0+build.1", want: ociRef{repository: "127.0.0.1:5000/cilium", tag: "1.0.0+build.1"}},
		{ref: "oci://127.0.0.1:5000/cilium", want: ociRef{repository: "127.0.0.1:5000/cilium"}},
		{
			ref:  "oci://r.io/c@sha256:0000000000000000000000000000000000000000000000000000000000000000",
			want: ociRef{repository: "r.io/c", digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"},
		},
		{ref: "ghcr.io/org/cilium", wantErr: true},
		{ref: "oci://ghcr.io", wantErr: true},
		{ref: "oci://ghcr.io/org/cilium:", wantErr: true},
		{ref: "oci://ghcr.io/UPPER/cilium", wantErr: true},
		{ref: "oci://r.io/c@sha256:short", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			t.Parallel()
			got, err := parseOCIRef(tt.ref)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrInvalidReference)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

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
			require.Equal(t, tt.want, pickVersion(available, tt.version))
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

func FuzzParseOCIRef(f *testing.F) {
	for _, s := range []string{"oci://ghcr.io/org/cilium:1.18.12", "oci://127.0.0.1:5000/c", "oci://r.io/c:1.0.0+b@sha256:abc", "oci://", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		r, err := parseOCIRef(ref)
		if err != nil {
			return
		}
		again, err := parseOCIRef(schemeOCI + r.pullRef())
		if err != nil {
			t.Fatalf("round trip of %q via %q: %v", ref, r.pullRef(), err)
		}
		if again != r {
			t.Fatalf("round trip of %q: %+v, then %+v", ref, r, again)
		}
	})
}

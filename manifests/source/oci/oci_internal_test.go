package oci

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests/source"
)

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
				require.ErrorIs(t, err, source.ErrInvalidReference)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
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

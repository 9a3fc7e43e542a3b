package source_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/talospatch/talospatch/manifests/source"
)

// Load picks the source by the reference's scheme; a string without a scheme is a path.
func ExampleLoad() {
	ctx := context.Background()

	ch, err := source.Load(ctx, "testdata/minimal", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.Name(), ch.Metadata.Version)

	_, err = source.Load(ctx, "ftp://example.com/charts/cilium", "1.18.12")
	fmt.Println(errors.Is(err, source.ErrInvalidReference))

	_, err = source.Load(ctx, "testdata/minimal", "0.2.0")
	fmt.Println(err)
	// Output:
	// minimal 0.1.0
	// true
	// load chart testdata/minimal: chart version not found: chart minimal has version 0.1.0, want 0.2.0
}

// LoadRepo reads the repository's index.yaml, downloads the archive and checks its digest.
func ExampleLoadRepo() {
	srv := httptest.NewServer(http.FileServer(http.Dir("../../testdata/charts")))
	defer srv.Close()
	ctx := context.Background()

	ch, err := source.LoadRepo(ctx, srv.URL, "cilium", "~1.18")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.Name(), ch.Metadata.Version)

	_, err = source.LoadRepo(ctx, srv.URL, "cilium", "1.15.0")
	fmt.Println(errors.Is(err, source.ErrVersionNotFound))
	// Output:
	// cilium 1.18.12
	// true
}

// A loaded chart carries the digest of what it was loaded from: for an archive the sha256 of
// its bytes, what `sha256sum` prints and a repository index or an OCI registry gives.
func ExampleChart() {
	ch, err := source.LoadPath(context.Background(), "../../testdata/charts/cilium-1.18.12.tgz")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.Name(), ch.Metadata.Version)
	fmt.Println(ch.Digest)

	_, err = source.Load(context.Background(), "cilium/cilium", "1.18.12")
	fmt.Println(errors.Is(err, source.ErrChartNotFound), strings.Contains(err.Error(), "https://helm.cilium.io/cilium"))
	// Output:
	// cilium 1.18.12
	// sha256:5923f9d9fcb11bc4692ad52353cc791b935d96e09ba0c535c5a8b88ea8a37572
	// true true
}

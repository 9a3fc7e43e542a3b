// Package scheme is the contract between package source and the loaders of reference schemes
// that live in their own packages, so that a program links them only when it imports them
// (today one: package oci, for oci:// references, with Helm's registry client and oras). It
// holds the settings every LoadOption writes (Options, including the OCI loader that package
// oci's Enable option sets) and how a version is chosen from a list (PickVersion).
package scheme

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Options are the settings of one load, written by the LoadOption values of package source
// and its subpackages. Zero values mean the defaults of package source.
type Options struct {
	// HTTPClient is the client of repository and OCI requests; nil: a new client on
	// http.DefaultTransport.
	HTTPClient *http.Client
	// CacheDir is the repository archive cache; empty: none.
	CacheDir string
	// ArchiveSize, Files and ChartSize are the limits of the sources; <= 0: the default.
	ArchiveSize, Files, ChartSize int64

	// PlainHTTP makes OCI requests over plain HTTP (package oci).
	PlainHTTP bool
	// RegistryClient is a *registry.Client of Helm for OCI references, nil for one built
	// from the other options (package oci; held as any so that package source does not link
	// Helm's registry client).
	RegistryClient any
	// OCIPull loads oci:// references; nil unless package oci's Enable option is given (held
	// here so that package source does not link Helm's registry client and oras).
	OCIPull PullFunc
}

// PullFunc downloads the chart archive of an oci:// reference (ref as given to source.Load,
// version as given too), within o.ArchiveSize. tag is the tag that was pulled, empty when ref
// names a digest only; package source loads the archive and checks that its chart has that
// version. Errors wrap the sentinels of package source.
type PullFunc func(ctx context.Context, ref, version string, o Options) (archive []byte, tag string, err error)

// PickVersion picks from available (highest first) the exact version, else the first one a
// semver constraint accepts; an empty version is the constraint "*" (no pre-releases). It
// returns the index in available, or -1.
func PickVersion(available []string, version string) int {
	if i := slices.Index(available, version); version != "" && i >= 0 {
		return i
	}
	constraint := "*"
	if version != "" {
		constraint = version
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return -1
	}
	for i, v := range available {
		sv, err := semver.NewVersion(v)
		if err == nil && c.Check(sv) {
			return i
		}
	}
	return -1
}

// ShortList joins the first ten of s for a message ("a, b and 3 more"; "none" when empty).
func ShortList(s []string) string {
	const limit = 10
	if len(s) == 0 {
		return "none"
	}
	if len(s) > limit {
		return fmt.Sprintf("%s and %d more", strings.Join(s[:limit], ", "), len(s)-limit)
	}
	return strings.Join(s, ", ")
}

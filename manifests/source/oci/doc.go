// Package oci loads Helm charts from OCI registries ("oci://REGISTRY/REPOSITORY[:TAG][@DIGEST]")
// through Helm's registry client, as `helm pull oci://...` does. It is a package of its own so
// that only programs that load OCI references link and initialise Helm's registry client and
// oras.
//
// The option Enable makes source.Load take oci:// references, so a program that loads
// references from its users keeps calling source.Load (there is no registration and no
// package state: a program passes the option where it wants OCI):
//
//	ch, err := source.Load(ctx, "oci://ghcr.io/org/charts/cilium:1.18.12", "", oci.Enable())
//
// Load is the same for oci:// references only. A version given with a reference that has no
// tag selects the tag: an exact version, a semver constraint (the highest matching tag) or
// empty for the highest tag that is not a pre-release; if both name a tag they must agree. A
// "+" in a version (semver build metadata) is the "_" of its tag. Blob digests are verified by
// the registry client; Chart.Digest is the sha256 of the chart layer.
//
// Credentials come from Helm's registry config like `helm pull` (`helm registry login`), or
// from a client passed with WithRegistryClient; a reference with USER:PASSWORD@ is refused.
// WithPlainHTTP is for a registry without TLS (loopback). The source options apply
// (source.WithHTTPClient; source.WithMaxArchiveSize bounds the chart layer: a manifest that
// declares a larger chart layer or config is refused before the blob is requested, and every
// blob is read through a reader that fails past the limit, so a registry that lies about a size
// costs no more memory than the limit). Errors are those of package source (*source.SourceError
// wrapping its sentinels).
package oci

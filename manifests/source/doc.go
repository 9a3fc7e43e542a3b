// Package source loads Helm charts from where they are kept: a chart archive or directory on
// disk, an fs.FS (embed.FS), the bytes of an archive, an HTTP(S) Helm repository, or an OCI
// registry (through package oci). Loading is I/O and lives here, at the edge, context first;
// rendering a loaded chart is the pure business of package manifests.
//
// Load dispatches by explicit scheme rules and never guesses whether a string is a file:
// "oci://" is an OCI registry, "https://HOST/PATH/NAME" chart NAME of the repository at
// https://HOST/PATH, "file://PATH" and anything without "://" a local path. A Helm repository
// name ("cilium/cilium" after `helm repo add`) is a path to Load, and the error of such a path
// that does not exist says which repository URL to write instead (https://helm.cilium.io/cilium).
//
// Every loader returns a *Chart: the Helm chart and its Digest, the sha256 of the archive
// (the digest a repository index and an OCI registry give) or, for a directory, a sha256 over
// its files' names and contents (see Chart.Digest), so a caller can pin a chart or tell that it
// changed.
//
// LoadRepo reads the repository's index.yaml, picks the version (exact, semver constraint, or
// the latest stable one), downloads the archive and checks it against the index's sha256
// digest. WithCacheDir keeps the archives, verified on every use, and each repository's last
// index, which a load uses when the repository is unreachable: charts loaded once load offline,
// and the error of an unreachable repository says so.
//
// OCI references need package oci, which links Helm's registry client and oras: a program
// that does not import it links neither. Its option oci.Enable() makes Load accept oci://
// references; without it Load refuses them with ErrInvalidReference naming the option.
//
// Every error is a *SourceError naming the source and wrapping ErrChartNotFound,
// ErrVersionNotFound, ErrUnreachable, ErrDigestMismatch (a *DigestError), ErrCorruptArchive,
// ErrInvalidChart, ErrInvalidIndex or ErrInvalidReference (test with errors.Is); an HTTP
// status is a *StatusError. Credentials in a repository URL ("https://user:password@host/...")
// never appear in an error (the password, or a user name given alone, shows as "xxxxx").
// Every source is bounded: MaxArchiveSize (also for an OCI layer, refused from its declared
// size before it is downloaded), MaxChartFiles and MaxChartSize unpacked (raise them with
// WithMaxArchiveSize, WithMaxChartFiles, WithMaxChartSize; a limit hit is a *LimitError
// matching ErrLimitExceeded); a symbolic link out of a chart directory is refused, and loading
// never writes to the standard logger.
//
// LoadRenderer loads a path into a manifests.Renderer (a source.Renderer, with the chart's
// digest) and parses the chart's templates while the rest of the archive is still being
// unpacked (manifests.NewRendererFunc): the quickest way from an archive to a first render.
//
//	ch, err := source.Load(ctx, "https://helm.cilium.io/cilium", "1.18.12",
//		source.WithCacheDir(".cache/charts"))
//	if errors.Is(err, source.ErrVersionNotFound) {
//		// the repository has no such version
//	}
//	r, err := manifests.RenderCilium(ctx, ch.Chart, "1.33.0", copts, ropts)
//	fmt.Println(ch.Digest) // sha256:..., the index entry's digest
package source

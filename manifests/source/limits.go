package source

import (
	"context"
	"errors"
	"fmt"

	"github.com/talospatch/talospatch/manifests/source/internal/scheme"
)

// Limits of the chart sources. Every chart source refuses input over them before it costs
// more memory than the limit: downloads are read through a limiting reader (and an OCI layer
// whose manifest declares a larger size is not downloaded at all), archives are counted and
// measured as they are unpacked. The defaults fit every real chart with ample room (Cilium's
// archive is about 200 KiB, with fewer than 200 files and 1.5 MiB unpacked); raise them with
// [WithMaxArchiveSize], [WithMaxChartFiles] and [WithMaxChartSize].
const (
	// MaxArchiveSize is the default largest chart archive the sources read (compressed
	// bytes, also the largest OCI layer); see [WithMaxArchiveSize].
	MaxArchiveSize = 64 << 20
	// MaxChartFiles is the default largest number of entries of a chart archive (files,
	// directories and other entries, subcharts included) and of files of a chart
	// directory; see [WithMaxChartFiles].
	MaxChartFiles = 10_000
	// MaxChartSize is the default largest total size of the files of a chart, unpacked
	// (Helm's archive.MaxDecompressedChartSize); see [WithMaxChartSize]. Helm v4 has no limit
	// per file (Helm v3 had 5 MiB), and neither does this package.
	MaxChartSize = 100 << 20
)

// ErrLimitExceeded: the input is over one of the limits of the chart sources. Errors carrying
// it are [*LimitError] values, which also match [ErrCorruptArchive] (an archive) or
// [ErrInvalidChart] (a chart directory).
var ErrLimitExceeded = errors.New("chart source limit exceeded")

// LimitError reports input over a limit of the chart sources. It matches [ErrLimitExceeded]
// with [errors.Is], and [ErrCorruptArchive] for an archive or [ErrInvalidChart] for a chart
// directory.
type LimitError struct {
	// What is what was measured, for example "archive", "OCI layer sha256:...",
	// "archive entries" or "unpacked chart".
	What string
	// Limit is the limit in force (bytes, or a count of entries or files).
	Limit int64
	// Got is the declared or measured amount when known, else 0 (more than Limit was seen).
	Got int64
	// Unit is "bytes" or "files".
	Unit string
	// Option is the LoadOption that raises the limit, for example "WithMaxArchiveSize".
	Option string

	dir bool // a chart directory, not an archive
}

// Error implements error.
func (e *LimitError) Error() string {
	got := "more than"
	if e.Got > 0 {
		got = fmt.Sprintf("%d %s, over", e.Got, e.Unit)
	}
	return fmt.Sprintf("%s: %s: %s the limit of %d %s (raise it with source.%s)", ErrLimitExceeded, e.What, got, e.Limit, e.Unit, e.Option)
}

// Is reports whether target is [ErrLimitExceeded], or [ErrCorruptArchive] for an archive, or
// [ErrInvalidChart] for a chart directory.
func (e *LimitError) Is(target error) bool {
	if e.dir {
		return target == ErrLimitExceeded || target == ErrInvalidChart
	}
	return target == ErrLimitExceeded || target == ErrCorruptArchive
}

// sourceLimits are the limits in force for one load. filesUsed and sizeUsed are the files and bytes
// of the enclosing charts when a subchart archive is loaded: a chart and its subcharts share
// the limits.
type sourceLimits struct {
	archiveSize int64
	files       int64
	chartSize   int64
	filesUsed   int64
	sizeUsed    int64
	// ctx is the load's context: unpacking stops between files when it ends. Nil: none.
	ctx context.Context
}

// stopped returns the context's error once it has ended.
func (l sourceLimits) stopped() error {
	if l.ctx == nil {
		return nil
	}

	return l.ctx.Err()
}

func defaultLimits() sourceLimits {
	return sourceLimits{archiveSize: MaxArchiveSize, files: MaxChartFiles, chartSize: MaxChartSize}
}

func (l sourceLimits) archiveError(what string, got int64) *LimitError {
	return &LimitError{What: what, Limit: l.archiveSize, Got: got, Unit: "bytes", Option: "WithMaxArchiveSize"}
}

func (l sourceLimits) filesError(what string, got int64) *LimitError {
	return &LimitError{What: what, Limit: l.files, Got: got, Unit: "files", Option: "WithMaxChartFiles"}
}

func (l sourceLimits) sizeError(what string, got int64) *LimitError {
	return &LimitError{What: what, Limit: l.chartSize, Got: got, Unit: "bytes", Option: "WithMaxChartSize"}
}

// WithMaxArchiveSize sets the largest chart archive (compressed bytes) and OCI layer the
// sources read; n <= 0 means [MaxArchiveSize].
func WithMaxArchiveSize(n int64) LoadOption {
	return func(o *scheme.Options) { o.ArchiveSize = n }
}

// WithMaxChartFiles sets the largest number of entries of a chart archive and of files of a
// chart directory; n <= 0 means [MaxChartFiles].
func WithMaxChartFiles(n int64) LoadOption {
	return func(o *scheme.Options) { o.Files = n }
}

// WithMaxChartSize sets the largest total size of a chart's files, unpacked; n <= 0 means
// [MaxChartSize]. Archives that Helm's loader unpacks (those with links or unusual entry
// names) stay within Helm's archive.MaxDecompressedChartSize as well.
func WithMaxChartSize(n int64) LoadOption {
	return func(o *scheme.Options) { o.ChartSize = n }
}

// withDefaults replaces unset limits by the defaults.
func (l sourceLimits) withDefaults() sourceLimits {
	d := defaultLimits()
	if l.archiveSize <= 0 {
		l.archiveSize = d.archiveSize
	}
	if l.files <= 0 {
		l.files = d.files
	}
	if l.chartSize <= 0 {
		l.chartSize = d.chartSize
	}
	return l
}

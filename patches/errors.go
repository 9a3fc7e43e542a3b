package patches

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap one of them where the
// category applies; test with errors.Is.
var (
	// ErrEmptyPatch: the patch has no documents or no operations (or is the zero Patch).
	ErrEmptyPatch = errors.New("empty patch")
	// ErrInvalidPatch: the text is neither a strategic merge patch nor an RFC 6902 patch.
	ErrInvalidPatch = errors.New("invalid patch")
	// ErrInvalidOperation: an RFC 6902 operation is malformed or cannot apply
	// (unknown op, bad pointer, negative index, wrong value type at the path).
	ErrInvalidOperation = errors.New("invalid operation")
	// ErrNegativeIndex: a JSON pointer indexes an array with a negative number
	// (json-patch accepts them by default; RFC 6902 does not). It comes wrapped
	// with ErrInvalidOperation.
	ErrNegativeIndex = errors.New("negative array index")
	// ErrMissingPath: an operation or a "$patch: delete" addresses a path that
	// does not exist (remove, replace, move/copy source, test).
	ErrMissingPath = errors.New("missing path")
	// ErrTestFailed: a "test" operation found a different value.
	ErrTestFailed = errors.New("test failed")
	// ErrUnknownDocument: the config has no document the patch addresses.
	ErrUnknownDocument = errors.New("unknown document")
	// ErrInvalidArgument: a recipe was given an invalid argument (URL, port, key).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnsupported: the recipe does not exist for the version contract.
	ErrUnsupported = errors.New("not supported by the version contract")
	// ErrControlPlaneOnly: a patch would put a document Talos allows only on control-plane
	// machines (KubeProxyConfig, KubeFlannelCNIConfig, ...) into a worker config.
	ErrControlPlaneOnly = errors.New("control-plane-only document")
	// ErrInvalidConfig: the config (input or patch result) is not a valid Talos
	// config: it does not load, or a patched document no longer decodes.
	ErrInvalidConfig = errors.New("invalid config")
)

// Error is the error Apply returns when a patch fails. It names the patch (its
// index in the list given to Apply), the RFC 6902 operation (index, op, JSON
// pointer) where there is one, and the document the patch addressed.
type Error struct {
	// Patch is the index of the failing patch in the Apply call.
	Patch int
	// Kind is the failing patch's form.
	Kind Kind
	// Op is the index of the failing operation in an RFC 6902 patch, or -1.
	Op int
	// Operation is the failing operation's name ("add", ...), or "".
	Operation string
	// Path is the JSON pointer of the failing operation (for strategic merge
	// patches, a "$patch: delete" path where known), or "".
	Path string
	// Document is the addressed document ("v1alpha1", "Kind" or "Kind/name"), or "".
	Document string
	// Err is the cause; it wraps one of the package's sentinel errors where one applies.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder

	b.WriteString("apply patch ")
	b.WriteString(strconv.Itoa(e.Patch))

	if e.Kind != KindUnknown {
		b.WriteString(" (" + e.Kind.String() + ")")
	}

	if e.Document != "" {
		b.WriteString(" to document " + e.Document)
	}

	if e.Op >= 0 {
		b.WriteString(": operation " + strconv.Itoa(e.Op))

		if e.Operation != "" {
			b.WriteString(" " + e.Operation)
		}

		if e.Path != "" {
			b.WriteString(" " + strconv.Quote(e.Path))
		}
	}

	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}

	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ParseError is returned for patch text or operations that do not form a
// patch. Op is the index of the offending RFC 6902 operation, or -1.
type ParseError struct {
	// Op is the index of the offending RFC 6902 operation, or -1.
	Op int
	// Err is the cause; it wraps ErrInvalidPatch or ErrInvalidOperation.
	Err error
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Op >= 0 {
		return "invalid patch: operation " + strconv.Itoa(e.Op) + ": " + e.Err.Error()
	}

	return "invalid patch: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

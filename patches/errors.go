package patches

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
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
	// does not exist (remove, replace, move/copy source, test), or an add (move,
	// copy) destination whose parent does not exist; the message then names the
	// first missing parent and the operations that create it.
	ErrMissingPath = errors.New("missing path")
	// ErrTestFailed: a "test" operation found a different value.
	ErrTestFailed = errors.New("test failed")
	// ErrUnknownDocument: the config has no document the patch addresses (or,
	// for a kind alone, several); the message lists the config's documents.
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
	// ErrPatchFileTooLarge: a patch file holds more than MaxPatchFileSize bytes.
	ErrPatchFileTooLarge = errors.New("patch file too large")
	// ErrGrowthLimit: the patches of one apply call would grow the config by more
	// than MaxApplyGrowth (or Options.MaxGrowth); the *Error names the patch and,
	// for RFC 6902, an operation that crossed the bound.
	ErrGrowthLimit = errors.New("config growth limit exceeded")
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

// Error implements error. It says "invalid patch" once: a cause that wraps
// ErrInvalidPatch already starts with it.
func (e *ParseError) Error() string {
	if e.Op >= 0 {
		return "invalid patch: operation " + strconv.Itoa(e.Op) + ": " + e.Err.Error()
	}

	return sentinelPrefixed(ErrInvalidPatch, e.Err)
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// sentinelPrefixed returns "<sentinel>: <err>", leaving out the sentinel's text
// when err's own text already starts with it.
func sentinelPrefixed(sentinel, err error) string {
	msg, prefix := err.Error(), sentinel.Error()
	if msg == prefix || strings.HasPrefix(msg, prefix+": ") {
		return msg
	}

	return prefix + ": " + msg
}

// withSentinel is err marked with a sentinel error: errors.Is matches both,
// and the message names the sentinel once (see sentinelPrefixed).
type withSentinel struct {
	sentinel, err error
}

// wrapSentinel returns err matching sentinel with errors.Is, prefixed with the
// sentinel's text unless err's text already starts with it.
func wrapSentinel(sentinel, err error) error {
	return &withSentinel{sentinel: sentinel, err: err}
}

func (e *withSentinel) Error() string { return sentinelPrefixed(e.sentinel, e.err) }

func (e *withSentinel) Unwrap() []error { return []error{e.sentinel, e.err} }

// unknownPosition is what machinery's YAML decoder (go-yaml) writes where it
// does not know the position of an error, e.g. for text that is not UTF-8.
const unknownPosition = "<unknown position>"

// yamlError is an error of machinery's YAML decoder with its "<unknown
// position>" replaced: by the line of the first invalid byte when the error is
// about UTF-8 and the text is not valid UTF-8, otherwise left out. errors.Is
// and errors.As see the decoder's error.
type yamlError struct {
	msg string
	err error
}

func (e *yamlError) Error() string { return e.msg }

func (e *yamlError) Unwrap() error { return e.err }

// decodeError returns err (an error of machinery's config loader) with
// "<unknown position>" replaced; text is the YAML that was decoded, or nil.
func decodeError(err error, text []byte) error {
	if err == nil || !strings.Contains(err.Error(), unknownPosition) {
		return err
	}

	msg := err.Error()

	if strings.Contains(msg, "UTF-8") && !utf8.Valid(text) {
		at := " at line " + strconv.Itoa(invalidUTF8Line(text))
		msg = strings.Replace(msg, " at "+unknownPosition, at, 1)
	}

	msg = strings.NewReplacer(
		" at "+unknownPosition+"-", " at ", // a range whose start is unknown: keep its end
		"-"+unknownPosition, "", // a range whose end is unknown: keep its start
		" at "+unknownPosition, "",
		unknownPosition+": ", "",
		unknownPosition, "",
	).Replace(msg)

	return &yamlError{msg: msg, err: err}
}

// invalidUTF8Line returns the 1-based line of the first byte of text that is
// not valid UTF-8.
func invalidUTF8Line(text []byte) int {
	line := 1

	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}

		if r == '\n' {
			line++
		}

		i += size
	}

	return line
}

package talos

import (
	"errors"
	"strings"
)

// Located is implemented by errors that know where their problem is: the config document (zero
// for an input that is not a config) and the RFC 6901 pointer into the input the failing call
// was given. [*FieldError] is Located; so are the errors of other packages that point into
// their own inputs (config.LayerError points at a patch: "/allNodes/1").
type Located interface {
	error
	// Location returns the document and the RFC 6901 path of the problem.
	Location() (Document, string)
}

// Location implements [Located]: the error's Document and Path.
func (e *FieldError) Location() (Document, string) { return e.Document, e.Path }

// Problem is one problem of a failed call, as a value: where it is and what it is. A caller
// that shows problems against its own inputs (a Terraform provider mapping them to attribute
// paths) reads Document and Segments instead of parsing messages.
type Problem struct {
	// Document is the config document of the problem; zero for a field of a cluster
	// description, of node settings or of another input that is not a config.
	Document Document
	// Path is the RFC 6901 pointer of the problem in the input the call was given ("/endpoint",
	// "/cni/urls/0", "/allNodes/1"); empty when the problem is not about one field.
	Path string
	// Err is the problem itself: the Located error when there is one (a *FieldError, a
	// config.LayerError, ...), otherwise the error as the call returned it. errors.Is and
	// errors.As work on it as on the call's error.
	Err error
}

// Segments returns Path as unescaped segments; nil for an empty Path.
func (p Problem) Segments() []string { return Segments(p.Path) }

// String returns `document path: message` as [FieldError.Error] writes it.
func (p Problem) String() string {
	if p.Err == nil {
		return ""
	}

	if _, ok := p.Err.(Located); ok {
		return p.Err.Error() // it writes its own location
	}

	var b strings.Builder

	writeLocation(&b, p.Document, p.Path)
	b.WriteString(p.Err.Error())

	return b.String()
}

// Problems returns every problem of err as a list, in the order the error reports them; nil for
// a nil error. The functions of this module report all problems at once, with Join and
// with wrapping ("generate configs: %w"); both unwrap to a list, and this tells them apart:
//
//   - a Located error (a *FieldError, ...) is one problem, at its location; what it wraps is its
//     cause, not another problem;
//   - an error that wraps one error is its wrapped error's problems (the outer text only adds
//     the name of the operation);
//   - a join ([Join], which this module's functions use, or errors.Join, recognised by its text:
//     its errors' texts one per line) is the problems of each
//     of its errors;
//   - an error that wraps several errors in one message (fmt.Errorf("%w: %w", ErrInvalid, cause))
//     is the problems of those of them that are Located, the others only classify them; when
//     none of them is, it is one problem;
//   - anything else, and any error with nothing Located inside, is one problem without a path.
func Problems(err error) []Problem {
	if err == nil {
		return nil
	}

	return collectProblems(err, nil)
}

func collectProblems(err error, out []Problem) []Problem {
	var loc Located
	if !errors.As(err, &loc) {
		return append(out, Problem{Err: err})
	}

	if l, ok := err.(Located); ok {
		doc, path := l.Location()

		return append(out, Problem{Document: doc, Path: path, Err: err})
	}

	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return collectProblems(u.Unwrap(), out)
	case *joinError:
		for _, e := range u.errs {
			out = collectProblems(e, out)
		}

		return out
	case interface{ Unwrap() []error }:
		errs := u.Unwrap()
		join := isJoin(err, errs)

		for _, e := range errs {
			if e == nil {
				continue
			}

			if join || errors.As(e, &loc) {
				out = collectProblems(e, out)
			}
		}

		return out
	}

	return append(out, Problem{Err: err})
}

// Join returns an error that joins errs, the nil ones left out, as separate problems: its text
// is theirs one per line and it unwraps to them, as errors.Join's, and [Problems] lists each of
// them without looking at texts. Join returns nil when every error is nil. The functions of
// this module join their problems with it.
func Join(errs ...error) error {
	n := 0

	for _, e := range errs {
		if e != nil {
			n++
		}
	}

	if n == 0 {
		return nil
	}

	j := &joinError{errs: make([]error, 0, n)}

	for _, e := range errs {
		if e != nil {
			j.errs = append(j.errs, e)
		}
	}

	return j
}

// joinError is the error of Join.
type joinError struct {
	errs []error
}

func (e *joinError) Error() string {
	if len(e.errs) == 1 {
		return e.errs[0].Error()
	}

	var b strings.Builder

	for i, err := range e.errs {
		if i > 0 {
			b.WriteByte('\n')
		}

		b.WriteString(err.Error())
	}

	return b.String()
}

func (e *joinError) Unwrap() []error { return e.errs }

// isJoin reports whether err's text is the texts of errs one per line, as errors.Join writes
// it: a join of problems rather than one message wrapping several errors.
func isJoin(err error, errs []error) bool {
	var b strings.Builder

	first := true

	for _, e := range errs {
		if e == nil {
			continue
		}

		if !first {
			b.WriteByte('\n')
		}

		first = false

		b.WriteString(e.Error())
	}

	return b.String() == err.Error()
}

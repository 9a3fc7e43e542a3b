package source

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// Credentials in chart source URLs never appear in the errors of this package. A repository
// URL may carry them as userinfo ("https://user:password@charts.example.com"); every URL an
// error shows is redacted first:
//
//   - a password is replaced by "xxxxx", as [url.URL.Redacted] does: "https://user:xxxxx@host";
//   - a user name without a password is replaced by "xxxxx" as well ("https://xxxxx@host"),
//     since access tokens are often given that way;
//   - a URL that does not parse loses everything between "://" and the last "@" of what would
//     be its host part.
//
// The *url.Error values of net/http (and of url.Parse), which print their URL, are rewritten
// with the redacted URL. url.Parse may quote a piece of a malformed URL in its message (a
// password read as a port, say): when the URL holds credentials, that message is replaced.

// redacted replaces a credential in a URL.
const redacted = "xxxxx"

// redactURL returns raw with its userinfo redacted (see above); raw need not parse.
func redactURL(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redactUnparsed(raw)
	}
	if u.User == nil {
		return raw
	}
	return redactUserinfo(u).String()
}

// redactUserinfo returns a copy of u with its userinfo redacted.
func redactUserinfo(u *url.URL) *url.URL {
	c := *u
	if c.User != nil {
		if _, hasPassword := c.User.Password(); hasPassword {
			c.User = url.UserPassword(c.User.Username(), redacted)
		} else {
			c.User = url.User(redacted)
		}
	}
	return &c
}

// redactUnparsed redacts a URL that url.Parse refuses: the part between "://" and the last
// "@" before the query or fragment goes, whatever it holds (a password may contain "/").
func redactUnparsed(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		// Without a scheme there is no userinfo to tell from a path; drop up to the last "@".
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			return redacted + raw[i:]
		}
		return raw
	}
	end := len(rest)
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		end = i
	}
	i := strings.LastIndex(rest[:end], "@")
	if i < 0 {
		return raw
	}
	return scheme + "://" + redacted + rest[i:]
}

// userinfoInText finds "scheme://userinfo@" in a message, the userinfo being the longest run
// of characters up to an "@" that cannot end a host.
var userinfoInText = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\s"'<>]*)@`)

// redactText redacts the userinfo of every URL in a message: the last safeguard of
// [SourceError.Error] for messages of other packages.
func redactText(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfoInText.ReplaceAllStringFunc(s, func(m string) string {
		sub := userinfoInText.FindStringSubmatch(m)
		user, _, hasPassword := strings.Cut(sub[2], ":")
		if !hasPassword {
			return sub[1] + redacted + "@"
		}
		return sub[1] + user + ":" + redacted + "@"
	})
}

// redactErr rewrites the *url.Error values in err's chain (of net/http or url.Parse) so that
// they print a redacted URL. Other errors are returned as they are.
func redactErr(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	return rewriteURLErrors(err)
}

// rewriteURLErrors copies the *url.Error values of a chain of single wraps with redacted URLs.
// A chain it cannot rebuild (an error that wraps a *url.Error inside its own type) is replaced
// by a plain error with the redacted text that keeps the sentinels of this package.
func rewriteURLErrors(err error) error {
	if ue, ok := err.(*url.Error); ok {
		shown := redactURL(ue.URL)
		if ue.Op == "parse" && shown != ue.URL {
			return &url.Error{Op: ue.Op, URL: shown, Err: errMalformedCredentials}
		}
		return &url.Error{Op: ue.Op, URL: shown, Err: redactErr(ue.Err)}
	}
	return &redactedError{msg: redactText(err.Error()), cause: err}
}

// errMalformedCredentials replaces the message of url.Parse for a URL with credentials.
var errMalformedCredentials = errors.New(`malformed URL (its message is not shown as it may hold a piece of the credentials); percent-encode "/", "?", "#", "@" and spaces in the user name and password`)

// redactedError is an error whose message had its URLs redacted. It matches the sentinels of
// this package and the context errors its cause matched, but does not unwrap to the cause,
// whose message may hold credentials.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }

// Is matches what the cause matches among the errors callers test for.
func (e *redactedError) Is(target error) bool {
	for _, s := range matchable {
		if target == s {
			return errors.Is(e.cause, s)
		}
	}
	return false
}

// matchable are the errors a redactedError passes on to errors.Is.
var matchable = []error{
	ErrChartNotFound, ErrVersionNotFound, ErrUnreachable, ErrDigestMismatch, ErrNoDigest,
	ErrCorruptArchive, ErrInvalidChart, ErrInvalidIndex, ErrInvalidReference,
	context.Canceled, context.DeadlineExceeded,
}

// Package ctxread reads files a user names (a patch file, a chart archive) the way a library
// must: within a size limit, and giving up when a context ends. The file need not be regular:
// a named pipe is opened without waiting for a writer (a plain open would wait forever), and
// then waited for, polling, until the context ends; a read waiting in Go's poller (a pipe, a
// terminal) ends when the context ends. A regular file or a device such as /dev/zero is not
// interrupted, but it is bounded by the limit. No goroutine is left running.
package ctxread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrTooLarge is wrapped by the error of a file longer than the limit; the read stopped after
// limit+1 bytes.
var ErrTooLarge = errors.New("file longer than the limit")

// StoppedError is a read that the context ended. Pipe says the file was a pipe, WriterSeen
// whether a writer had opened it (a pipe without a writer cannot be told from an empty one
// until a writer comes).
type StoppedError struct {
	Pipe       bool
	WriterSeen bool
	Err        error // the context's error
}

func (e *StoppedError) Error() string {
	switch {
	case e.Pipe && !e.WriterSeen:
		return "no writer opened the pipe before the context ended (start the program that writes it first): " + e.Err.Error()
	case e.Pipe:
		return "the writer did not finish before the context ended: " + e.Err.Error()
	}

	return e.Err.Error()
}

func (e *StoppedError) Unwrap() error { return e.Err }

// pollInterval is how often a read of a named pipe that no writer has opened yet looks again
// for a writer.
const pollInterval = 20 * time.Millisecond

// File reads the file name: at most limit bytes (an error wrapping ErrTooLarge beyond), a
// *StoppedError when ctx ends first. Errors of the open and of the read are returned as the
// os package gives them.
func File(ctx context.Context, name string, limit int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, &StoppedError{Err: err}
	}

	f, isPipe, err := open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	// A read waiting in Go's poller (pipes, terminals) returns when the deadline passes.
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	size := int64(0)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = min(st.Size(), limit)
	}

	var (
		data       = make([]byte, 0, size+512)
		writerSeen = !isPipe
		limited    = io.LimitReader(f, limit+1)
	)

	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}

		n, err := limited.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]

		if n > 0 {
			writerSeen = true
		}

		if int64(len(data)) > limit {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}

		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			if writerSeen {
				return data, nil
			}
			// A named pipe that no writer has opened: wait for one.
		case isWouldBlock(err):
			// A pipe with a writer but no data yet, on a system whose poller does not take
			// pipes: look again shortly.
			writerSeen = true
		case ctx.Err() != nil:
			return nil, &StoppedError{Pipe: isPipe, WriterSeen: writerSeen, Err: ctx.Err()}
		default:
			return nil, err
		}

		if err := sleep(ctx, pollInterval); err != nil {
			return nil, &StoppedError{Pipe: isPipe, WriterSeen: writerSeen, Err: err}
		}
	}
}

// sleep waits for d or until ctx ends, returning ctx.Err() then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

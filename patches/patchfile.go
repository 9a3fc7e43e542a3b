package patches

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxPatchFileSize is the largest patch file ParseFile, ParseFileContext, Load and
// LoadContext read: 16 MiB. A machine config patch is a few kilobytes; the largest real ones
// carry rendered manifests in cluster.inlineManifests (a rendered Cilium is well under 2 MiB),
// and Talos keeps the whole machine config much smaller than this. A longer file fails with
// ErrPatchFileTooLarge, after reading MaxPatchFileSize+1 bytes and no more, so a file such as
// /dev/zero cannot exhaust memory.
const MaxPatchFileSize = 16 << 20

// pipePollInterval is how often a read of a named pipe that no writer has opened yet looks
// again for a writer.
const pipePollInterval = 20 * time.Millisecond

// ParseFileContext reads the file at path and parses it with Parse. It reads at most
// MaxPatchFileSize bytes (ErrPatchFileTooLarge beyond). The file need not be a regular file:
// a named pipe, a process substitution such as <(...) or /dev/stdin work, and for a named
// pipe that no writer has opened yet ParseFileContext waits for one, polling every few
// milliseconds, until ctx ends. When ctx ends first the error wraps ctx.Err() and names the
// file. A read waiting for a pipe's writer to write (or for a terminal) also ends when ctx
// ends; a read of a regular file or a device such as /dev/zero is not interrupted, but it is
// bounded by the size limit. No goroutine is left running when it returns.
func ParseFileContext(ctx context.Context, path string) (Patch, error) {
	data, err := readPatchFile(ctx, path)
	if err != nil {
		return Patch{}, err
	}

	p, err := Parse(data)
	if err != nil {
		return Patch{}, fmt.Errorf("patch file %s: %w", path, err)
	}

	return p, nil
}

// LoadContext is Load with a context: "@path" reads the file at path with ParseFileContext
// (bounded by MaxPatchFileSize, and giving up on a named pipe without a writer when ctx
// ends); anything else is patch text (Parse).
func LoadContext(ctx context.Context, arg string) (Patch, error) {
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		return ParseFileContext(ctx, name)
	}

	return Parse([]byte(arg))
}

// readPatchFile reads the file name for ParseFileContext: at most MaxPatchFileSize bytes,
// giving up when ctx ends.
func readPatchFile(ctx context.Context, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read patch file %s: %w", name, err)
	}

	// openPatchFile never blocks: a named pipe is opened without waiting for a writer.
	f, isPipe, err := openPatchFile(name)
	if err != nil {
		return nil, fmt.Errorf("read patch file: %w", err)
	}
	defer f.Close()

	// A read waiting in Go's poller (pipes, terminals) returns when the deadline passes.
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	size := 0
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = int(min(st.Size(), MaxPatchFileSize))
	}

	var (
		data       = make([]byte, 0, size+512)
		writerSeen = !isPipe
		limited    = io.LimitReader(f, MaxPatchFileSize+1)
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

		if len(data) > MaxPatchFileSize {
			return nil, fmt.Errorf("read patch file %s: %w: more than %d bytes (patches.MaxPatchFileSize, 16 MiB); "+
				"split the patch into several files, or keep large manifests out of it (cluster.extraManifests URLs instead of inline manifests)",
				name, ErrPatchFileTooLarge, MaxPatchFileSize)
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
			return nil, ctxReadError(ctx, name, isPipe, writerSeen)
		default:
			return nil, fmt.Errorf("read patch file %s: %w", name, err)
		}

		if err := sleepContext(ctx, pipePollInterval); err != nil {
			return nil, ctxReadError(ctx, name, isPipe, writerSeen)
		}
	}
}

// ctxReadError is the error of a patch file read that ctx ended.
func ctxReadError(ctx context.Context, name string, isPipe, writerSeen bool) error {
	switch {
	case isPipe && !writerSeen:
		return fmt.Errorf("read patch file %s: no writer opened the pipe before the context ended "+
			"(start the program that writes the patch first): %w", name, ctx.Err())
	case isPipe:
		return fmt.Errorf("read patch file %s: the writer did not finish the patch before the context ended: %w", name, ctx.Err())
	}

	return fmt.Errorf("read patch file %s: %w", name, ctx.Err())
}

// sleepContext waits for d or until ctx ends, returning ctx.Err() then.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

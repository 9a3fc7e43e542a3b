package patches

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/talospatch/talospatch/internal/ctxread"
)

// MaxPatchFileSize is the largest patch file ParseFile, ParseFileContext, Load and
// LoadContext read: 16 MiB. A machine config patch is a few kilobytes; the largest real ones
// carry rendered manifests in cluster.inlineManifests (a rendered Cilium is well under 2 MiB),
// and Talos keeps the whole machine config much smaller than this. A longer file fails with
// ErrPatchFileTooLarge, after reading MaxPatchFileSize+1 bytes and no more, so a file such as
// /dev/zero cannot exhaust memory.
const MaxPatchFileSize = 16 << 20

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
	data, err := ctxread.File(ctx, name, MaxPatchFileSize)

	var (
		stopped *ctxread.StoppedError
		opened  *fs.PathError
	)

	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, ctxread.ErrTooLarge):
		return nil, fmt.Errorf("read patch file %s: %w: more than %d bytes (patches.MaxPatchFileSize, 16 MiB); "+
			"split the patch into several files, or keep large manifests out of it (cluster.extraManifests URLs instead of inline manifests)",
			name, ErrPatchFileTooLarge, MaxPatchFileSize)
	case errors.As(err, &stopped):
		return nil, fmt.Errorf("read patch file %s: %w", name, err)
	case errors.As(err, &opened) && opened.Op == "open":
		return nil, fmt.Errorf("read patch file: %w", err) // the *PathError names the file
	default:
		return nil, fmt.Errorf("read patch file %s: %w", name, err)
	}
}

//go:build unix

package source_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/manifests/source"
)

// TestLoadPathPipeWithoutWriter: a named pipe that no writer opens ends the load when its
// context ends (a plain open would wait forever), for LoadPath and LoadRenderer.
func TestLoadPathPipeWithoutWriter(t *testing.T) {
	t.Parallel()

	for name, load := range map[string]func(context.Context, string) error{
		"LoadPath":     func(ctx context.Context, p string) error { _, err := source.LoadPath(ctx, p); return err },
		"LoadRenderer": func(ctx context.Context, p string) error { _, err := source.LoadRenderer(ctx, p); return err },
		"Load":         func(ctx context.Context, p string) error { _, err := source.Load(ctx, p, ""); return err },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			fifo := filepath.Join(t.TempDir(), "chart.tgz")
			require.NoError(t, syscall.Mkfifo(fifo, 0o600))

			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()

			start := time.Now()
			err := load(ctx, fifo)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.ErrorContains(t, err, fifo)
			require.ErrorContains(t, err, "no writer")
			require.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

// TestLoadPathFromPipe: an archive written into a named pipe loads, with the digest of its
// bytes.
func TestLoadPathFromPipe(t *testing.T) {
	t.Parallel()

	data, err := os.ReadFile(srcChart("1.18.12"))
	require.NoError(t, err)

	fifo := filepath.Join(t.TempDir(), "chart.tgz")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))

	done := make(chan error, 1)

	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for the reader
		if err == nil {
			_, err = w.Write(data)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		done <- err
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c, err := source.LoadPath(ctx, fifo)
	require.NoError(t, err)
	require.NoError(t, <-done)

	want, err := source.LoadPath(ctx, srcChart("1.18.12"))
	require.NoError(t, err)
	require.Equal(t, want.Digest, c.Digest)
	require.Equal(t, want.Metadata.Version, c.Metadata.Version)
}

// TestLoadPathPipeLargerThanTheLimit: a pipe that streams more than the archive limit is
// refused after limit+1 bytes.
func TestLoadPathPipeLargerThanTheLimit(t *testing.T) {
	t.Parallel()

	fifo := filepath.Join(t.TempDir(), "chart.tgz")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))

	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()

		buf := make([]byte, 64<<10)
		for range 64 { // 4 MiB, or until the reader gives up
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	}()

	_, err := source.LoadPath(t.Context(), fifo, source.WithMaxArchiveSize(1<<20))
	require.ErrorIs(t, err, source.ErrLimitExceeded)
}

// TestHelmignorePipe: a .helmignore that is not a regular file (a pipe nobody writes) is
// refused instead of read.
func TestHelmignorePipe(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: p\nversion: 0.1.0\n"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, ".helmignore"), 0o600))

	_, err := source.LoadPath(t.Context(), dir)
	require.ErrorIs(t, err, source.ErrInvalidChart)
	require.ErrorContains(t, err, ".helmignore is not a regular file")
}

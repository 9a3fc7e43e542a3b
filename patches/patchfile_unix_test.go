//go:build unix

package patches_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/talospatch/talospatch/patches"
)

// TestLoadDevZero: an endless device stops at the size limit instead of filling memory.
func TestLoadDevZero(t *testing.T) {
	t.Parallel()

	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}

	start := time.Now()
	_, err := patches.Load("@/dev/zero")
	require.ErrorIs(t, err, patches.ErrPatchFileTooLarge)
	require.ErrorContains(t, err, "/dev/zero")
	require.Less(t, time.Since(start), 10*time.Second)
}

// mkfifo makes a named pipe in a fresh temporary directory.
func mkfifo(t *testing.T) string {
	t.Helper()

	path := filepath.Join(t.TempDir(), "patch.fifo")
	require.NoError(t, syscall.Mkfifo(path, 0o600))

	return path
}

// openWriter opens the write end of fifo once a reader has it open, retrying until then.
func openWriter(t *testing.T, fifo string) *os.File {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)

	for {
		w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return w
		}

		if !errors.Is(err, syscall.ENXIO) || time.Now().After(deadline) {
			t.Errorf("open %s for writing: %v", fifo, err)

			return nil
		}

		time.Sleep(5 * time.Millisecond)
	}
}

func TestLoadContextFIFONoWriter(t *testing.T) {
	t.Parallel()

	fifo := mkfifo(t)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, err := patches.LoadContext(ctx, "@"+fifo)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, fifo)
	require.ErrorContains(t, err, "no writer")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestLoadContextFIFOSilentWriter(t *testing.T) {
	t.Parallel()

	fifo := mkfifo(t)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()

	done := make(chan struct{})
	defer func() { <-done }()

	go func() {
		defer close(done)

		// A writer that opens the pipe and never writes.
		if w := openWriter(t, fifo); w != nil {
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond)
			_ = w.Close()
		}
	}()

	_, err := patches.LoadContext(ctx, "@"+fifo)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, fifo)
}

func TestLoadContextFIFOWriterLater(t *testing.T) {
	t.Parallel()

	fifo := mkfifo(t)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	done := make(chan struct{})
	defer func() { <-done }()

	go func() {
		defer close(done)

		// The writer comes after the reader has started waiting, and writes in two parts.
		time.Sleep(60 * time.Millisecond)

		w := openWriter(t, fifo)
		if w == nil {
			return
		}
		defer w.Close()

		_, _ = w.WriteString(cniNone[:10])
		time.Sleep(30 * time.Millisecond)
		_, _ = w.WriteString(cniNone[10:])
	}()

	p, err := patches.LoadContext(ctx, "@"+fifo)
	require.NoError(t, err)
	require.Equal(t, patches.MustParse(cniNone), p)
}

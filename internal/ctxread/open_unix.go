//go:build unix

package ctxread

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// open opens name for reading without blocking: O_NONBLOCK makes the open of a named pipe
// return at once even when no writer has opened it (a plain open would wait for one, forever).
// isPipe reports a named pipe (or an anonymous one, as /dev/stdin or /dev/fd/N can be), whose
// reader must tell "no writer yet" from the end of the data.
func open(name string) (f *os.File, isPipe bool, err error) {
	f, err = os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, false, err
	}

	st, err := f.Stat()
	if err != nil {
		_ = f.Close()

		return nil, false, err
	}

	return f, st.Mode()&fs.ModeNamedPipe != 0, nil
}

// isWouldBlock reports a read of a non-blocking file that found no data (a file Go's poller
// does not handle, such as a pipe on macOS).
func isWouldBlock(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
}

//go:build !unix

package ctxread

import "os"

// open opens name for reading. Outside Unix there are no named pipes in the file system to
// wait on, so isPipe is always false.
func open(name string) (f *os.File, isPipe bool, err error) {
	f, err = os.Open(name)

	return f, false, err
}

// isWouldBlock reports a read of a non-blocking file that found no data; files are opened
// blocking here.
func isWouldBlock(error) bool { return false }

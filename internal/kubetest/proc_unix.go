//go:build unix

package kubetest

import (
	"os"
	"syscall"
)

// terminateSignal asks a process to shut down cleanly.
func terminateSignal() os.Signal { return syscall.SIGTERM }

//go:build unix

// Package cputime reads the CPU time the process has used, so benchmarks on shared, loaded
// machines can report CPU time per operation next to wall-clock time.
package cputime

import (
	"syscall"
	"time"
)

// Now returns the user plus system CPU time of the process so far, or 0 if unavailable.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

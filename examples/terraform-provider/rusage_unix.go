//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// reportCPU appends the process's own CPU time (user and system, in nanoseconds) to the file
// named by TALOSPATCH_PROVIDER_CPU_FILE, if set: the acceptance benchmark's way of telling the
// provider's share of a terraform run from terraform's own.
func reportCPU() {
	name := os.Getenv("TALOSPATCH_PROVIDER_CPU_FILE")
	if name == "" {
		return
	}

	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return
	}

	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}

	fmt.Fprintf(f, "%d %d\n", ru.Utime.Nano(), ru.Stime.Nano())
	f.Close()
}

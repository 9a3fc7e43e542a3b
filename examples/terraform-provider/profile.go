package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole process into the directory named by
// TALOSPATCH_PROVIDER_CPUPROFILE_DIR, if set (one file per process, named by its pid): how the
// acceptance benchmark's figures were taken apart. It returns the function that ends it.
func startProfile() func() {
	dir := os.Getenv("TALOSPATCH_PROVIDER_CPUPROFILE_DIR")
	if dir == "" {
		return func() {}
	}

	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("cpu-%d.prof", os.Getpid())), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return func() {}
	}

	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()

		return func() {}
	}

	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

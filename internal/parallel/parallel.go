// Package parallel spreads independent work over the cores. The render of a chart is the
// critical path of a whole fleet build, and parsing templates, splitting and encoding the
// objects of a render are independent per file or document.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ForEach calls f(i) for every i in [0, n), spread over up to GOMAXPROCS goroutines (the
// caller's included); it returns when every call has returned. f must be safe to call
// concurrently for different i.
func ForEach(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}

		return
	}

	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)

	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}

			f(i)
		}
	}

	for range workers - 1 {
		wg.Go(work)
	}

	work()
	wg.Wait()
}

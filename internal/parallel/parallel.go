package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Do runs f(0) … f(n-1) on as many goroutines as there are CPUs (no more
// than n), each taking the next index as it finishes one, and returns once
// all have. f returning false stops the indexes not yet taken; Do then
// returns false.
func Do(n int, f func(i int) bool) bool {
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if !f(i) {
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return !failed.Load()
}

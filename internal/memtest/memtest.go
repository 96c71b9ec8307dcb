// Package memtest measures memory in benchmarks: the peak heap in use while
// some work runs, sampled every millisecond.
package memtest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Peak starts sampling runtime.MemStats.HeapInuse every millisecond and
// returns a function that stops sampling and reports the largest value seen
// and the value when Peak was called (after a GC), in bytes.
func Peak() (stop func() (peak, base uint64)) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var max atomic.Uint64
	max.Store(base)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > max.Load() {
					max.Store(ms.HeapInuse)
				}
			}
		}
	})
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return max.Load(), base
	}
}

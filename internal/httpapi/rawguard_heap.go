package httpapi

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	rmetrics "runtime/metrics"
	"sync"
	"time"
)

// ErrQueryMemory reports a raw query stopped because the heap grew past
// Limits.Memory while it ran.
var ErrQueryMemory = errors.New("query stopped: memory limit reached")

// A MemoryError is a raw query stopped by the heap watchdog: Limit is the
// bound in bytes, Grown how far the live heap had grown over its level when
// the query started.
type MemoryError struct {
	Limit int64
	Grown int64
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("query stopped: memory limit %d MiB (the heap grew %d MiB while it ran)", e.Limit>>20, e.Grown>>20)
}

// Is makes errors.Is(err, ErrQueryMemory) true.
func (e *MemoryError) Is(target error) bool { return target == ErrQueryMemory }

// ErrQueryBusy reports that Limits.Concurrency raw queries are running.
var ErrQueryBusy = errors.New("raw query slots busy")

const (
	heapObjects = "/memory/classes/heap/objects:bytes" // live and not yet swept
	heapLive    = "/gc/heap/live:bytes"                // live as of the last GC
)

// heapSampleEvery is how often the watchdog reads the heap while a query runs.
const heapSampleEvery = 2 * time.Millisecond

func readHeap() (objects, live int64) {
	s := []rmetrics.Sample{{Name: heapObjects}, {Name: heapLive}}
	rmetrics.Read(s)
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
}

// watchHeap samples the heap every few milliseconds until the returned
// stop is called, and calls cancel with a *MemoryError once the live heap
// has grown by more than limit over its level at the start. The reading is
// of the whole process: what other requests allocate meanwhile counts too.
// Heap objects include garbage not yet collected, so before deciding the
// watchdog forces a collection and judges the live heap after it; it
// forces one again only after the heap has grown by another quarter of the
// limit, so a query that churns garbage is not collected in a loop. It
// stops the query without waiting when a collection the runtime ran by
// itself found the heap grown past the limit, or when the heap grows by
// another half limit while the forced collection runs.
func watchHeap(limit int64, cancel context.CancelCauseFunc) (stop func()) {
	_, base := readHeap()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(heapSampleEvery)
		defer t.Stop()
		next := base + limit
		var collected chan [2]int64 // a forced collection in flight: objects and live after it
		var gcFrom int64            // heap objects when it started
		for {
			select {
			case <-done:
				return
			case r := <-collected:
				collected = nil
				if grown := r[1] - base; grown > limit {
					cancel(&MemoryError{Limit: limit, Grown: grown})
					return
				}
				next = max(base+limit, r[0]+limit/4)
				continue
			case <-t.C:
			}
			objects, live := readHeap()
			switch {
			case live-base > limit:
				// The last collection (the runtime's own) found it live.
				cancel(&MemoryError{Limit: limit, Grown: live - base})
				return
			case collected != nil && objects > gcFrom+limit/2:
				// Grown by another half limit while a collection runs: no
				// churn of garbage is that fast, a doubling string is
				// (it doubles again while the collection marks).
				cancel(&MemoryError{Limit: limit, Grown: objects - base})
				return
			case objects <= next || collected != nil:
				continue
			}
			gcFrom = objects
			// Over the limit counting garbage: collect, on another goroutine
			// so that the check above goes on meanwhile, and judge what is live.
			collected = make(chan [2]int64, 1)
			go func(c chan [2]int64) {
				runtime.GC()
				o, l := readHeap()
				c <- [2]int64{o, l}
			}(collected)
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
	}
}

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
const heapSampleEvery = 5 * time.Millisecond

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
// limit, so a query that churns garbage is not collected in a loop.
func watchHeap(limit int64, cancel context.CancelCauseFunc) (stop func()) {
	_, base := readHeap()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(heapSampleEvery)
		defer t.Stop()
		next := base + limit
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			objects, _ := readHeap()
			if objects <= next {
				continue
			}
			runtime.GC()
			objects, live := readHeap()
			if grown := live - base; grown > limit {
				cancel(&MemoryError{Limit: limit, Grown: grown})
				return
			}
			next = max(base+limit, objects+limit/4)
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
	}
}

package analytics

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// checkCtx is a context cancelled at its limit-th Err call: a kernel's
// own checks decide when the cancellation happens, not a timer, so the
// test does not depend on the machine's speed. Kernels check ctx.Err().
type checkCtx struct {
	context.Context
	limit, calls atomic.Int64
}

func (c *checkCtx) Err() error {
	if c.calls.Add(1) > c.limit.Load() {
		return context.Canceled
	}
	return nil
}

// TestKernelsStopOnCancel: every long kernel returns context.Canceled once
// its context is cancelled, mid-run: the context is cancelled at the
// kernel's fifth check, on a graph where each runs far longer than five
// checks (the spectral kernels, with a tolerance they never reach, would
// run forever). A kernel that ignored the cancellation would return a
// result, or hang until the test's timeout.
func TestKernelsStopOnCancel(t *testing.T) {
	g := generate(20_000, 80_000, 1)
	for _, k := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"betweenness", func(ctx context.Context) error { _, err := Betweenness(ctx, g, Undirected); return err }},
		{"closeness", func(ctx context.Context) error { _, err := Closeness(ctx, g, Undirected); return err }},
		{"harmonic", func(ctx context.Context) error { _, err := Harmonic(ctx, g, Directed); return err }},
		{"pagerank", func(ctx context.Context) error { _, err := PageRank(ctx, g, 0.85, Options{}); return err }},
		{"eigenvector", func(ctx context.Context) error {
			_, err := Eigenvector(ctx, g, Undirected, Options{Tol: 1e-300, MaxIter: 1 << 30})
			return err
		}},
		{"hits", func(ctx context.Context) error {
			_, _, err := HITS(ctx, g, Options{Tol: 1e-300, MaxIter: 1 << 30})
			return err
		}},
	} {
		ctx := &checkCtx{Context: t.Context()}
		ctx.limit.Store(5)
		if err := k.run(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err %v after %d checks of the context, cancelled at the 6th; want context.Canceled", k.name, err, ctx.calls.Load())
		}
	}
}

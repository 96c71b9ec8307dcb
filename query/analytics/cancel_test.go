package analytics

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestKernelsStopOnCancel: every long kernel returns context.Canceled
// soon after its context is cancelled, on a graph where each would run
// far longer than the allowance.
func TestKernelsStopOnCancel(t *testing.T) {
	g := generate(60_000, 240_000, 1)
	for _, k := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"betweenness", func(ctx context.Context) error { _, err := Betweenness(ctx, g, Undirected); return err }},
		{"closeness", func(ctx context.Context) error { _, err := Closeness(ctx, g, Undirected); return err }},
		{"harmonic", func(ctx context.Context) error { _, err := Harmonic(ctx, g, Directed); return err }},
		{"pagerank", func(ctx context.Context) error {
			// PageRank reaches an exact fixed point within 200ms here:
			// wait for the cancellation, then it must not run at all.
			<-ctx.Done()
			_, err := PageRank(ctx, g, 0.85, Options{})
			return err
		}},
		{"eigenvector", func(ctx context.Context) error {
			_, err := Eigenvector(ctx, g, Undirected, Options{Tol: 1e-300, MaxIter: 1 << 30})
			return err
		}},
		{"hits", func(ctx context.Context) error {
			_, _, err := HITS(ctx, g, Options{Tol: 1e-300, MaxIter: 1 << 30})
			return err
		}},
	} {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		err := k.run(ctx)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err %v; want context.Canceled (took %v)", k.name, err, took)
		}
		if took > time.Second {
			t.Errorf("%s: returned %v after start, cancelled at 200ms; want within a second", k.name, took)
		}
	}
}

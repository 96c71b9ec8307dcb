package query

import (
	"context"

	"github.com/cayleygraph/quad"
)

// A Store is what the answers read of a store: every quad, the quads that
// have a value in one direction, and the count. *graph.Store implements it
// (reading bbolt's buckets directly where cayley's iterators are slow); so
// will a SQL store, with plain queries.
type Store interface {
	// Scan calls fn for every quad, stopping at the first error fn returns.
	Scan(ctx context.Context, fn func(quad.Quad) error) error
	// Quads calls fn for every quad that has v in direction d, stopping at
	// the first error fn returns.
	Quads(ctx context.Context, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error
	// Count returns how many quads the store holds; without a
	// Generation (see generationOf), an unchanged count must mean
	// unchanged content.
	Count(ctx context.Context) (int64, error)
}

// A generationer is a Store whose content can change without its count
// (a retraction and a load can balance): its generation moves on with
// every change. *graph.Store is one.
type generationer interface {
	Generation(ctx context.Context) (uint64, error)
}

// generationOf returns the store's generation, or its count n for a store
// that has none.
func generationOf(ctx context.Context, qs Store, n int64) (uint64, error) {
	if g, ok := qs.(generationer); ok {
		return g.Generation(ctx)
	}
	return uint64(n), nil
}

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
	// Count returns how many quads the store holds; the store only grows,
	// so an unchanged count means unchanged content.
	Count(ctx context.Context) (int64, error)
}

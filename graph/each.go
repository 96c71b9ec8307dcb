package graph

import (
	"context"
	"fmt"

	cgraph "github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
)

// Quads calls fn for every quad that has v in direction d, stopping at the
// first error fn returns: subjects and objects through Out and In (bbolt's
// indexes read directly), predicates and labels through cayley's index
// iterators. With Scan and Count it is what query reads of a store
// (query.Store).
func (s *Store) Quads(ctx context.Context, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error {
	switch d {
	case quad.Subject:
		return s.Out(ctx, v, fn)
	case quad.Object:
		return s.In(ctx, v, fn)
	}
	qs, db := s.handles()
	if db != nil {
		var err error
		if fn, err = s.visibleFilter(ctx, fn); err != nil {
			return err
		}
	}
	return each(ctx, qs, d, v, fn)
}

// each reads the quads with v in direction d through cayley's iterators.
func each(ctx context.Context, qs cgraph.QuadStore, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error {
	ref, err := qs.ValueOf(v)
	if err != nil {
		return fmt.Errorf("looking up %v: %w", v, err)
	}
	if ref == nil {
		return nil
	}
	return drain(ctx, qs, qs.QuadIterator(d, ref).Iterate(), fn)
}

// drain runs a cayley iterator of quads to its end, closing it.
func drain(ctx context.Context, qs cgraph.QuadStore, it interface {
	Next(context.Context) bool
	Result() cgraph.Ref
	Err() error
	Close() error
}, fn func(quad.Quad) error) error {
	defer it.Close()
	for it.Next(ctx) {
		q, err := qs.Quad(it.Result())
		if err != nil {
			return fmt.Errorf("reading quad: %w", err)
		}
		if !q.IsValid() {
			continue
		}
		if err := fn(q); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("iterating quads: %w", err)
	}
	return ctx.Err()
}

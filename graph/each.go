package graph

import (
	"context"
	"fmt"

	cgraph "github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
)

// Each calls fn for every quad that has v in direction d, stopping at the
// first error fn returns. Subjects are read through OutReader where the
// store has it (bbolt), everything else through cayley's index iterators.
func Each(ctx context.Context, qs cgraph.QuadStore, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error {
	if or, ok := qs.(OutReader); ok {
		switch d {
		case quad.Subject:
			return or.Out(ctx, v, fn)
		case quad.Object:
			return or.In(ctx, v, fn)
		}
	}
	ref, err := qs.ValueOf(v)
	if err != nil {
		return fmt.Errorf("looking up %v: %v", v, err)
	}
	if ref == nil {
		return nil
	}
	return drain(ctx, qs, qs.QuadIterator(d, ref).Iterate(), fn)
}

// All calls fn for every quad of the store, through Scanner where the
// store has it (bbolt), else through cayley's iterator.
func All(ctx context.Context, qs cgraph.QuadStore, fn func(quad.Quad) error) error {
	if sc, ok := qs.(Scanner); ok {
		return sc.Scan(ctx, fn)
	}
	return drain(ctx, qs, qs.QuadsAllIterator().Iterate(), fn)
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
			return fmt.Errorf("reading quad: %v", err)
		}
		if !q.IsValid() {
			continue
		}
		if err := fn(q); err != nil {
			return err
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("iterating quads: %v", err)
	}
	return ctx.Err()
}

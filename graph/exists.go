package graph

import (
	"context"
	"strings"

	"github.com/cayleygraph/quad"
)

// Existing reports, for each quad, whether the store already holds it
// (cayley's identity: the same printed values in all four directions). It
// reads each distinct subject's quads once, so a load can say how many of
// each file's quads are new before it writes them all in one transaction.
func (s *Store) Existing(ctx context.Context, qs []quad.Quad) ([]bool, error) {
	out := make([]bool, len(qs))
	if len(qs) == 0 {
		return out, nil
	}
	n, err := s.storedCount(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return out, nil
	}
	bySubject := make(map[string][]int)
	var order []string
	for i, q := range qs {
		k := valueKey(q.Subject)
		if _, ok := bySubject[k]; !ok {
			order = append(order, k)
		}
		bySubject[k] = append(bySubject[k], i)
	}
	for _, k := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := bySubject[k]
		have := make(map[string]struct{})
		if err := s.outRaw(ctx, qs[idx[0]].Subject, func(q quad.Quad) error {
			have[quadKey(q)] = struct{}{}
			return nil
		}); err != nil {
			return nil, err
		}
		for _, i := range idx {
			_, out[i] = have[quadKey(qs[i])]
		}
	}
	return out, nil
}

func valueKey(v quad.Value) string {
	if v == nil {
		return ""
	}
	return v.String()
}

func quadKey(q quad.Quad) string {
	var b strings.Builder
	for _, v := range []quad.Value{q.Subject, q.Predicate, q.Object, q.Label} {
		b.WriteString(valueKey(v))
		b.WriteByte(0)
	}
	return b.String()
}

// outRaw is Out with the retracted quads too: what cayley holds, whether a
// write of q would add it.
func (s *Store) outRaw(ctx context.Context, v quad.Value, fn func(quad.Quad) error) error {
	qs, db := s.handles()
	if db == nil {
		return each(ctx, qs, quad.Subject, v, fn)
	}
	return s.byIndex(ctx, db, v, "sp", fn, true)
}

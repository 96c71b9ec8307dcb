package graph

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"time"

	"github.com/cayleygraph/quad"
	bolt "go.etcd.io/bbolt"

	"github.com/threatgraph/threatgraph/schema"
)

// statedIndex is every load's stated hashes inverted: a quad's hash to the
// numbers of the loads that stated it, read from tg.stated once per
// generation (and handle) when provenance is first asked for.
type statedIndex struct {
	gen uint64
	db  *bolt.DB
	by  map[quadHash][]uint64
}

// LoadsOf returns the loads in effect that stated q (recorded, not
// retracted; loads whose quads were purged no longer state any), in
// order, with when each was recorded: which loads brought a fact. As of a
// past generation (a Past's context), the loads in effect then. On
// backends without a history, ErrNoHistory.
func (s *Store) LoadsOf(ctx context.Context, q quad.Quad) ([]schema.LoadRef, error) {
	_, db := s.handles()
	if db == nil {
		return nil, fmt.Errorf("%w (this store is %s)", ErrNoHistory, s.opts.Backend)
	}
	h, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	idx, err := s.statedIndex(ctx, db)
	if err != nil {
		return nil, err
	}
	ns := idx.by[hashQuad(q)]
	if len(ns) == 0 {
		return nil, nil
	}
	live := inEffect(h.loads, h.retractions, h.gen)
	out := make([]schema.LoadRef, 0, len(ns))
	for _, n := range ns {
		l, ok := live[n]
		if !ok {
			continue
		}
		r := schema.LoadRef{Load: l.ID}
		if !l.Time.IsZero() {
			r.Time = l.Time.UTC().Format(time.RFC3339)
		}
		out = append(out, r)
	}
	return out, nil
}

// LoadsOf returns the loads in effect at the past generation that stated q.
func (p *Past) LoadsOf(ctx context.Context, q quad.Quad) ([]schema.LoadRef, error) {
	ctx, err := p.context(ctx)
	if err != nil {
		return nil, err
	}
	return p.s.LoadsOf(ctx, q)
}

// statedIndex returns the inverted tg.stated of the store's current
// generation, built on first use.
func (s *Store) statedIndex(ctx context.Context, db *bolt.DB) (*statedIndex, error) {
	gen, err := s.Generation(ctx)
	if err != nil {
		return nil, err
	}
	s.histMu.Lock()
	defer s.histMu.Unlock()
	if x := s.stated; x != nil && x.gen == gen && x.db == db {
		return x, nil
	}
	x := &statedIndex{gen: gen, db: db, by: map[quadHash][]uint64{}}
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStated)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, hs []byte) error {
			n := binary.BigEndian.Uint64(k)
			for i := 0; i+hashSize <= len(hs); i += hashSize {
				h := quadHash(hs[i : i+hashSize])
				x.by[h] = append(x.by[h], n)
			}
			return ctx.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading the quads each load stated: %w", err)
	}
	for _, ns := range x.by {
		sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	}
	s.stated = x
	return x, nil
}

// inEffect returns the loads in effect at generation g, by number:
// recorded by then and not retracted by a retraction in force then.
func inEffect(loads []Load, rs []Retraction, g uint64) map[uint64]Load {
	undone := map[string]bool{}
	for _, r := range rs {
		if r.Gen <= g && r.Kind == "undo" {
			undone[r.Target] = true
		}
	}
	retracted := map[string]bool{}
	for _, r := range rs {
		if r.Gen <= g && r.Kind == "load" && !undone[r.ID] {
			retracted[r.Target] = true
		}
	}
	out := map[uint64]Load{}
	for _, l := range loads {
		if l.Gen > g || retracted[l.ID] {
			continue
		}
		n, _ := parseSeq(l.ID, "load:")
		out[n] = l
	}
	return out
}

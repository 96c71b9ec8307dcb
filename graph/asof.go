package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cayleygraph/quad"
	bolt "go.etcd.io/bbolt"
)

// A Past is the store as it was at one generation of its history: the
// quads of the loads recorded up to then, less what the retractions
// recorded up to then hid (--as-of). It reads the same stored quads as the
// Store, filtered, and implements query.Store; it follows the store's
// later writes only in that what they added stays out of it.
type Past struct {
	s   *Store
	gen uint64
	// At is the generation's last record ("load:3", "retraction:1"), ""
	// before the first.
	At string
	// Time is when that record was made (zero before the first).
	Time time.Time
}

// pastKey carries a Past's history state to the Store's readers.
type pastKey struct{}

// AsOfForms says what AsOf takes, for messages and help.
const AsOfForms = "a time (2026-12-02T10:30:00Z, 2026-12-02T10:30; 2026-12-02, 2026-12 or 2026: the end of that day, month or year; UTC unless an offset is given), a load id (load:N) or a retraction id (retraction:N)"

// AsOf returns the store as it was at when: a time (RFC 3339, or a date
// meaning the end of that day, UTC), a load id (just after that load) or a
// retraction id (just after it). An unknown id or an unreadable time is a
// *HistoryError; on backends without a history, ErrNoHistory.
func (s *Store) AsOf(ctx context.Context, when string) (*Past, error) {
	_, db := s.handles()
	if db == nil {
		return nil, fmt.Errorf("%w (this store is %s)", ErrNoHistory, s.opts.Backend)
	}
	h, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	p := &Past{s: s}
	when = strings.TrimSpace(when)
	switch {
	case strings.HasPrefix(when, "load:"):
		i := slices.IndexFunc(h.loads, func(l Load) bool { return l.ID == when })
		if i < 0 {
			return nil, &HistoryError{Value: when, Want: "no such load (expected " + AsOfForms + "; threatgraph loads lists them)"}
		}
		p.gen, p.At, p.Time = h.loads[i].Gen, when, h.loads[i].Time
	case strings.HasPrefix(when, "retraction:"):
		i := slices.IndexFunc(h.retractions, func(r Retraction) bool { return r.ID == when })
		if i < 0 {
			return nil, &HistoryError{Value: when, Want: "no such retraction (expected " + AsOfForms + "; threatgraph loads lists them)"}
		}
		p.gen, p.At, p.Time = h.retractions[i].Gen, when, h.retractions[i].Time
	default:
		t, err := parseAsOf(when)
		if err != nil {
			return nil, err
		}
		for _, l := range h.loads {
			if !l.Time.After(t) && l.Gen > p.gen {
				p.gen, p.At, p.Time = l.Gen, l.ID, l.Time
			}
		}
		for _, r := range h.retractions {
			if !r.Time.After(t) && r.Gen > p.gen {
				p.gen, p.At, p.Time = r.Gen, r.ID, r.Time
			}
		}
	}
	return p, nil
}

// parseAsOf reads a time as AsOf takes it.
func parseAsOf(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, time.UTC); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
	}
	// A month or a year means its end, as a date means the end of its day.
	if d, err := time.ParseInLocation("2006-01", s, time.UTC); err == nil {
		return d.AddDate(0, 1, 0).Add(-time.Nanosecond), nil
	}
	if d, err := time.ParseInLocation("2006", s, time.UTC); err == nil && len(s) == 4 {
		return d.AddDate(1, 0, 0).Add(-time.Nanosecond), nil
	}
	return time.Time{}, &HistoryError{Value: s, Want: "not a time or a record id (expected " + AsOfForms + ")"}
}

// Generation is the past generation: the key of what is computed from its
// answers (the view), as the Store's is.
func (p *Past) Generation(ctx context.Context) (uint64, error) { return p.gen, nil }

// Current reports whether the past is the store's present: nothing was
// recorded after it.
func (p *Past) Current(ctx context.Context) (bool, error) {
	g, err := p.s.Generation(ctx)
	return g == p.gen, err
}

// Scan calls fn for every quad of the past.
func (p *Past) Scan(ctx context.Context, fn func(quad.Quad) error) error {
	ctx, err := p.context(ctx)
	if err != nil {
		return err
	}
	return p.s.Scan(ctx, fn)
}

// Quads calls fn for every quad of the past with v in direction d.
func (p *Past) Quads(ctx context.Context, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error {
	ctx, err := p.context(ctx)
	if err != nil {
		return err
	}
	return p.s.Quads(ctx, d, v, fn)
}

// Count returns how many quads the past holds.
func (p *Past) Count(ctx context.Context) (int64, error) {
	ctx, err := p.context(ctx)
	if err != nil {
		return 0, err
	}
	return p.s.Count(ctx)
}

// context returns ctx carrying the past's history state, which the Store's
// readers filter by.
func (p *Past) context(ctx context.Context) (context.Context, error) {
	h, err := p.s.pastState(ctx, p.gen)
	if err != nil {
		return nil, err
	}
	return context.WithValue(ctx, pastKey{}, h), nil
}

// maxPast bounds the past states kept (each holds the hashes it hides).
const maxPast = 4

// pastState returns the history state at generation g, derived from the
// current records and kept (at most maxPast, dropped when the store's
// generation moves).
func (s *Store) pastState(ctx context.Context, g uint64) (*historyState, error) {
	cur, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	if g == cur.gen {
		return cur, nil
	}
	s.histMu.Lock()
	defer s.histMu.Unlock()
	if s.pastGen != cur.gen {
		s.past, s.pastGen = map[uint64]*historyState{}, cur.gen
	}
	if h, ok := s.past[g]; ok {
		return h, nil
	}
	_, db := s.handles()
	h := &historyState{gen: g, loads: cur.loads, retractions: cur.retractions, purges: cur.purges}
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		h.hidden, h.labels, err = hiddenAt(tx, cur.loads, cur.retractions, g)
		return err
	})
	if err == nil {
		err = s.orphans(ctx, db, h)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the load history as of generation %d: %w", g, err)
	}
	if len(s.past) >= maxPast {
		for k := range s.past {
			delete(s.past, k)
			break
		}
	}
	s.past[g] = h
	return h, nil
}

package graph_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/graph"
)

// TestAsOf: the store as of each record of its history holds what was
// loaded and not retracted then, whatever was recorded later; the present
// is the store itself; bad values are *HistoryErrors.
func TestAsOf(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "db")
	s := openAt(t, dir)
	defer s.Close()
	all := quads()
	a, b := all[:3], all[2:] // all[2] is stated by both loads
	if _, err := s.Write(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	r, err := s.Retract(ctx, "load:1", "wrong file")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Undo(ctx, r.ID, "it was right"); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"load:1":       strs(a),
		"load:2":       strs(all),
		"retraction:1": strs(b), // load:1 retracted; all[2] stays, load:2 states it
		"retraction:2": strs(all),
	}
	for _, at := range []string{"load:1", "load:2", "retraction:1", "retraction:2"} {
		p, err := s.AsOf(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if got := visible(t, p); !slices.Equal(got, want[at]) {
			t.Errorf("as of %s: %v; want %v", at, got, want[at])
		}
		if p.At != at {
			t.Errorf("as of %s: At = %q", at, p.At)
		}
		cur, err := p.Current(ctx)
		if err != nil || cur != (at == "retraction:2") {
			t.Errorf("as of %s: Current = %v, %v", at, cur, err)
		}
		// The store itself is unchanged by having been read in the past.
		if got := visible(t, s); !slices.Equal(got, strs(all)) {
			t.Errorf("the store after reading as of %s: %v", at, got)
		}
	}

	// Times: before the first load nothing, later than everything the
	// present, a date the end of that day.
	for at, w := range map[string][]string{
		"2001-01-01T00:00:00Z": nil,
		"2001-01-01":           nil,
		time.Now().Add(time.Hour).UTC().Format(time.RFC3339): strs(all),
		time.Now().UTC().Format(time.DateOnly):               strs(all),
		"2001-01-01T00:30+02:00":                             nil,
		"2001":                                               nil,
		"2001-12":                                            nil,
		time.Now().Add(time.Hour).Format("2006-01-02T15:04Z07:00"): strs(all),
		time.Now().UTC().Format("2006"):                            strs(all),
		time.Now().UTC().Format("2006-01"):                         strs(all),
	} {
		p, err := s.AsOf(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if got := visible(t, p); !slices.Equal(got, w) {
			t.Errorf("as of %s: %v; want %v", at, got, w)
		}
	}

	for _, bad := range []string{"load:9", "retraction:7", "yesterday", "2026-13-01", "2026-13", "20261", "99"} {
		var he *graph.HistoryError
		if _, err := s.AsOf(ctx, bad); !errors.As(err, &he) {
			t.Errorf("as of %q: %v; want a *HistoryError", bad, err)
		}
	}
}

package query_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/testkg"
	"github.com/threatgraph/threatgraph/query"
)

// BenchmarkAsOf measures `centrality --measure pagerank` on an on-disk
// store of 200k entities and 1M relations (load:1) to which a second load
// added 50k relations (load:2), as each CLI call does it (a new Reader on
// the store, its view read from the snapshot kept beside it): of the
// present (present), as of load:1 with the past's view kept under
// asof/gen-1 (as-of), and as of load:1 with that view rebuilt every time
// (as-of-rebuilt: what keeping the past views per generation saves).
//
// go test ./query -run '^$' -bench AsOf -benchtime 5x -count 6
func BenchmarkAsOf(b *testing.B) {
	dir := b.TempDir()
	db := filepath.Join(dir, "db")
	s, err := graph.Open(b.Context(), graph.Options{Path: db}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write(b.Context(), testkg.Quads(200_000, 1_000_000, 200, 7)); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Write(b.Context(), testkg.Quads(20_000, 50_000, 20, 8)); err != nil {
		b.Fatal(err)
	}
	o := query.CentralityOptions{Measure: "pagerank", Top: 10}
	rank := func(b *testing.B, r *query.Reader) int {
		res, err := r.Centrality(b.Context(), o)
		if err != nil || len(res.Top) == 0 {
			b.Fatalf("centrality: %+v, %v", res, err)
		}
		return res.Edges
	}
	past := func(b *testing.B, dir string) *query.Reader {
		p, err := s.AsOf(b.Context(), "load:1")
		if err != nil {
			b.Fatal(err)
		}
		g, _ := p.Generation(b.Context())
		return query.NewReader(p, query.ReaderOptions{Dir: query.PastDir(dir, g, nil)})
	}
	// Writes the snapshots; the past is the graph without load:2.
	if now, then := rank(b, query.NewReader(s, query.ReaderOptions{Dir: db})), rank(b, past(b, db)); then >= now || then < 900_000 {
		b.Fatalf("as of load:1 the graph has %d edges, now %d; want fewer then", then, now)
	}
	b.Run("present", func(b *testing.B) {
		for b.Loop() {
			rank(b, query.NewReader(s, query.ReaderOptions{Dir: db}))
		}
	})
	b.Run("as-of", func(b *testing.B) {
		for b.Loop() {
			rank(b, past(b, db))
		}
	})
	b.Run("as-of-rebuilt", func(b *testing.B) {
		for b.Loop() {
			d, err := os.MkdirTemp(dir, "past")
			if err != nil {
				b.Fatal(err)
			}
			rank(b, past(b, d))
			b.StopTimer()
			os.RemoveAll(d)
			b.StartTimer()
		}
	})
}

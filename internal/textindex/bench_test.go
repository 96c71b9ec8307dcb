package textindex_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/testkg"
	"github.com/threatgraph/threatgraph/internal/textindex"
	"github.com/threatgraph/threatgraph/query"
)

// BenchmarkTextIndex measures, on an on-disk store of 200k entities and 1M
// relations (internal/testkg) with a name for every entity and a quoted
// description for every fourth (300k docs): building the index beside the
// store from one Scan (build), and a three-word search of the built index
// through the Reader, the 50 best hits with their entities' kinds and
// names (query).
//
// go test ./internal/textindex -run '^$' -bench TextIndex -benchtime 3x
func BenchmarkTextIndex(b *testing.B) {
	dir := b.TempDir()
	s, err := graph.Open(b.Context(), graph.Options{Path: filepath.Join(dir, "db")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write(b.Context(), append(testkg.Quads(200_000, 1_000_000, 200, 7), testkg.Text(200_000, 200, 7)...)); err != nil {
		b.Fatal(err)
	}
	search := func(r *query.Reader) int {
		rs, err := r.TextSearch(b.Context(), "sleeper cell team", 50, nil)
		if err != nil || len(rs) == 0 {
			b.Fatalf("search: %d hits, %v", len(rs), err)
		}
		return len(rs)
	}
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			d, err := os.MkdirTemp(dir, "build")
			if err != nil {
				b.Fatal(err)
			}
			search(query.NewReader(s, query.ReaderOptions{Dir: d, TextIndex: textindex.Opener}))
			b.StopTimer()
			os.RemoveAll(d)
			b.StartTimer()
		}
	})
	r := query.NewReader(s, query.ReaderOptions{Dir: filepath.Join(dir, "db"), TextIndex: textindex.Opener})
	search(r) // builds the index
	b.Run("query", func(b *testing.B) {
		for b.Loop() {
			search(r)
		}
	})
}

package builtin_test

import (
	"path/filepath"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/builtin"
)

// BenchmarkLoadBuiltin parses, validates and writes the built-in dataset
// into a new bbolt store, as threatgraph demo does on first run.
//
// go test ./ingest/builtin -run '^$' -bench LoadBuiltin -count 5
func BenchmarkLoadBuiltin(b *testing.B) {
	files, err := builtin.Files()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		s, err := graph.Open(b.Context(), graph.Options{Path: filepath.Join(b.TempDir(), "db")}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		var parsed []*ingest.File
		for _, f := range files {
			parsed = append(parsed, ingest.Parse(f.Name, f.Data))
		}
		rep, err := ingest.Load(b.Context(), s, parsed, ingest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if rep.Totals().Added == 0 {
			b.Fatal("nothing added")
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

package query_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/testkg"
	"github.com/threatgraph/threatgraph/query"
)

var (
	bigOnce  sync.Once
	bigStore *graph.Store
	bigDir   string
	bigErr   error
)

// bigGraphStore returns a bbolt store of a generated knowledge graph: 200k
// entities, 1M relations among them (preferential attachment plus random
// links), each relation stated by one of 200 sources.
func bigGraphStore(b *testing.B) *graph.Store {
	bigOnce.Do(func() {
		qs := testkg.Quads(200_000, 1_000_000, 200, 7)
		bigDir, bigErr = os.MkdirTemp("", "tg-bigview-")
		if bigErr != nil {
			return
		}
		bigStore, bigErr = graph.Open(context.Background(), graph.Options{Path: filepath.Join(bigDir, "db")}, nil)
		if bigErr != nil {
			return
		}
		_, bigErr = bigStore.Write(context.Background(), qs)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigStore
}

// BenchmarkView measures, on an on-disk store of 200k entities and 1M
// relations: building the view by reading every quad through cayley
// (build), loading it from its snapshot beside the store (snapshot, what
// every analytics command does while the store is unchanged), and building
// the compact analytics graph from the view (graph), with its bytes per
// edge.
//
// go test ./query -run '^$' -bench View -benchtime 3x
func BenchmarkView(b *testing.B) {
	s := bigGraphStore(b)
	dir := filepath.Join(bigDir, "db")
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if _, err := query.NewReader(s, query.ReaderOptions{}).View(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	})
	r := query.NewReader(s, query.ReaderOptions{Dir: dir})
	v, err := r.View(b.Context()) // writes the snapshot
	if err != nil {
		b.Fatal(err)
	}
	b.Run("snapshot", func(b *testing.B) {
		for b.Loop() {
			v2, err := query.NewReader(s, query.ReaderOptions{Dir: dir}).View(b.Context())
			if err != nil || v2.RowCount() != v.RowCount() {
				b.Fatal(err)
			}
		}
	})
	b.Run("graph", func(b *testing.B) {
		var g interface {
			M() int
			StructureBytes() int
		}
		for b.Loop() {
			g = v.FreshGraph()
		}
		b.ReportMetric(float64(g.StructureBytes())/float64(g.M()), "bytes/edge")
		b.ReportMetric(float64(g.M()), "edges")
	})
}

// BenchmarkContested measures the contested list on the same store of 1M
// relations: one read of every quad and the checks of every kind.
//
// go test ./query -run '^$' -bench Contested -benchtime 3x
func BenchmarkContested(b *testing.B) {
	s := bigGraphStore(b)
	r := query.NewReader(s, query.ReaderOptions{})
	for b.Loop() {
		if _, err := r.Contested(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

func init() {
	cleanups = append(cleanups, func() {
		if bigStore != nil {
			bigStore.Close()
		}
		if bigDir != "" {
			os.RemoveAll(bigDir)
		}
	})
}

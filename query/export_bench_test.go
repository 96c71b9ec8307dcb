package query_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/internal/memtest"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/query/export"
)

// genQuads returns a store's worth of quads for n entities and m relations,
// with the topology of exporttest.Generate (the graph the encoder benchmark
// and export/graphml/testdata/bench_networkx.py use): edge j runs from node
// (j*7919)%n to node (j*104729+1)%n. Each entity has a kind and a name; every
// relation is stated by one of 1000 sources.
func genQuads(n, m int) []quad.Quad {
	kinds := []string{"Attack", "Claim", "Group", "Location", "Person", "Source", "Warning"}
	preds := []string{"tg:perpetratedBy", "tg:locatedIn", "tg:claims", "tg:memberOf", "tg:about"}
	id := func(i int) quad.IRI { return quad.IRI(fmt.Sprintf("n:%07d", i)) }
	src := func(j int) quad.IRI { return quad.IRI(fmt.Sprintf("source:s%d", j%1000)) }
	out := make([]quad.Quad, 0, 2*n+m)
	for i := range n {
		out = append(out,
			quad.Make(id(i), quad.IRI("rdf:type"), quad.IRI("tg:"+kinds[i%len(kinds)]), src(i)),
			quad.Make(id(i), quad.IRI("tg:name"), quad.String(fmt.Sprintf("Node %d", i)), src(i)))
	}
	for j := range m {
		out = append(out, quad.Make(id((j*7919)%n), quad.IRI(preds[(j+j/n)%len(preds)]), id((j*104729+1)%n), src(j)))
	}
	return out
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkStoreGraphML exports a generated bbolt store as GraphML to a
// discarding writer: MB/s of output, and the peak heap in use (sampled every
// millisecond) against the heap before the export. Loading the store is not
// timed. The 200k/1M case builds a 1.4M-quad store first (about a minute):
//
//	go test ./query -run '^$' -bench StoreGraphML -benchtime 1x
//
// Baseline: export/graphml/testdata/bench_networkx.py times networkx.write_graphml
// on the same topology.
func BenchmarkStoreGraphML(b *testing.B) {
	for _, c := range []struct{ n, m int }{{20_000, 100_000}, {200_000, 1_000_000}} {
		b.Run(fmt.Sprintf("nodes=%dk/edges=%dk", c.n/1000, c.m/1000), func(b *testing.B) {
			s := openStore(b)
			qs := genQuads(c.n, c.m)
			if _, err := s.Write(b.Context(), qs); err != nil {
				b.Fatal(err)
			}
			qs = nil
			r := query.NewReader(s, query.ReaderOptions{})
			write := func(w io.Writer) export.Summary {
				sum, err := r.Export(b.Context(), w, "graphml", query.ExportOptions{})
				if err != nil {
					b.Fatal(err)
				}
				return sum
			}
			var size countWriter
			sum := write(&size)
			if sum.Nodes != c.n {
				b.Fatalf("exported %d nodes; want %d", sum.Nodes, c.n)
			}
			b.SetBytes(size.n)
			stop := memtest.Peak()
			b.ResetTimer()
			for b.Loop() {
				write(io.Discard)
			}
			b.StopTimer()
			peak, base := stop()
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(base)/(1<<20), "base-heap-MiB")
			b.ReportMetric(float64(size.n)/1e6, "output-MB")
			b.ReportMetric(float64(sum.Edges), "edges")
		})
	}
}

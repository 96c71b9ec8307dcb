package query_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/threatgraph/threatgraph/internal/memtest"
	"github.com/threatgraph/threatgraph/query"
)

// BenchmarkStoreSTIX exports a generated bbolt store as a STIX bundle, and
// as N-Quads (the other fact format that holds any store, the same walk)
// in the same run as the baseline: time per export, MB/s of output and the
// peak heap.
// Loading the store is not timed.
//
//	go test ./query -run '^$' -bench StoreSTIX -benchtime 3x -count 6 | tee stix.txt
//	benchstat -col /format stix.txt
func BenchmarkStoreSTIX(b *testing.B) {
	const n, m = 20_000, 100_000
	s := openStore(b)
	if _, err := s.Write(b.Context(), genQuads(n, m)); err != nil {
		b.Fatal(err)
	}
	r := query.NewReader(s, query.ReaderOptions{})
	for _, format := range []string{"nquads", "stix"} {
		b.Run(fmt.Sprintf("nodes=%dk/edges=%dk/format=%s", n/1000, m/1000, format), func(b *testing.B) {
			var size countWriter
			sum, err := r.Export(b.Context(), &size, format, query.ExportOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if sum.Nodes != n {
				b.Fatalf("exported %d entities; want %d", sum.Nodes, n)
			}
			b.SetBytes(size.n)
			stop := memtest.Peak()
			b.ResetTimer()
			for b.Loop() {
				if _, err := r.Export(b.Context(), io.Discard, format, query.ExportOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			peak, base := stop()
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(base)/(1<<20), "base-heap-MiB")
			b.ReportMetric(float64(size.n)/1e6, "output-MB")
		})
	}
}

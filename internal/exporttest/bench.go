package exporttest

import (
	"io"
	"testing"

	"github.com/threatgraph/threatgraph/internal/memtest"
	"github.com/threatgraph/threatgraph/query/export"
)

// countWriter counts bytes and discards them.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// Bench runs sub-benchmarks exporting the generated graph of 200k nodes with
// 100k and with 1M edges to io.Discard. Besides ns/op, MB/s (output bytes)
// and allocations it reports output-MB (1e6 bytes), base-heap-MiB (HeapInuse before the
// run) and peak-heap-MiB (the largest HeapInuse sampled every millisecond
// during the run).
func Bench(b *testing.B, newEnc func(io.Writer, []export.Key) export.Encoder) {
	for _, c := range []struct {
		name string
		m    int
	}{{"nodes=200k/edges=100k", 100_000}, {"nodes=200k/edges=1M", 1_000_000}} {
		b.Run(c.name, func(b *testing.B) {
			bench(b, 200_000, c.m, func(w io.Writer) export.Encoder { return newEnc(w, GenKeys()) })
		})
	}
}

func bench(b *testing.B, n, m int, newEnc func(io.Writer) export.Encoder) {
	var size countWriter
	if err := Generate(newEnc(&size), n, m); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size.n)
	b.ReportAllocs()
	stop := memtest.Peak()
	b.ResetTimer()
	for b.Loop() {
		if err := Generate(newEnc(io.Discard), n, m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	peak, base := stop()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(base)/(1<<20), "base-heap-MiB")
	b.ReportMetric(float64(size.n)/1e6, "output-MB")
}

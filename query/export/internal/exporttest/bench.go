package exporttest

import (
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	})
	b.ResetTimer()
	for b.Loop() {
		if err := Generate(newEnc(io.Discard), n, m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(base.HeapInuse)/(1<<20), "base-heap-MiB")
	b.ReportMetric(float64(size.n)/1e6, "output-MB")
}

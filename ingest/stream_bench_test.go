package ingest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/internal/memtest"
	"github.com/threatgraph/threatgraph/internal/testkg"
)

// BenchmarkNQuadsIngest measures an N-Quads load of 1M generated lines
// (testkg.Valid) into a new store, the old way (Parse of the whole file,
// then Load) against the streamed one (LoadNQuads), both in the same run:
//   - validate: a dry run, parse and validate only (both passes for the
//     streamed load);
//   - load: parse, validate and write into an empty store.
//
// Each reports quads/s (lines) and the peak heap in use.
//
// go test ./ingest -run '^$' -bench NQuadsIngest -benchtime 1x -count 3
func BenchmarkNQuadsIngest(b *testing.B) {
	const lines = 1_000_000
	file := filepath.Join(b.TempDir(), "1M.nq")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := testkg.WriteNQuads(f, testkg.Valid(lines, lines/5, 200, 1)); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	for _, phase := range []string{"validate", "load"} {
		for _, way := range []string{"old", "streamed"} {
			b.Run(phase+"/"+way, func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					s, err := graph.Open(b.Context(), graph.Options{Path: filepath.Join(b.TempDir(), "db")}, nil)
					if err != nil {
						b.Fatal(err)
					}
					opt := ingest.Options{DryRun: phase == "validate"}
					stop := memtest.Peak()
					b.StartTimer()
					var rep *ingest.Report
					if way == "old" {
						data, err := os.ReadFile(file)
						if err != nil {
							b.Fatal(err)
						}
						rep, err = ingest.Load(b.Context(), s, []*ingest.File{ingest.Parse(file, data)}, opt)
						if err != nil {
							b.Fatal(err)
						}
					} else if rep, err = ingest.LoadNQuads(b.Context(), s, []string{file}, opt); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					peak, _ := stop()
					if rep.Totals().Records != lines {
						b.Fatalf("%d records; want %d", rep.Totals().Records, lines)
					}
					b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
					if err := s.Close(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			})
		}
	}
}

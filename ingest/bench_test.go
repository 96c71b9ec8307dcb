package ingest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/ingest"
)

// badRecords returns a file of n attacks, each with a negative count, which
// both the decoder and the JSON Schema report.
func badRecords(n int) []byte {
	var b strings.Builder
	b.WriteString("source: source:s\nentities:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: attack:a%d\n    kind: Attack\n    killed: -1\n", i)
	}
	return []byte(b.String())
}

// BenchmarkManyBadRecords parses files of n bad records: the time per
// record should not grow with n.
func BenchmarkManyBadRecords(b *testing.B) {
	for _, n := range []int{1000, 4000, 16000} {
		data := badRecords(n)
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			for b.Loop() {
				f := ingest.Parse("bad.yaml", data)
				if got := len(f.Errors()); got < n {
					b.Fatalf("%d problems; want at least %d", got, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
}

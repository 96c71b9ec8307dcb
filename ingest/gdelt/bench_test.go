package gdelt_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"testing"

	"github.com/threatgraph/threatgraph/ingest/gdelt"
)

// BenchmarkImport imports the GDELT 2.0 sample; BenchmarkReadTSV, the
// baseline of the same run, only reads its rows with encoding/csv.
func BenchmarkImport(b *testing.B) {
	_, data := readSampleB(b)
	imp := gdelt.New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if f := imp.Import(b.Context(), "bench.export.CSV", data); len(f.Errors()) > 0 {
			b.Fatal(f.Errors()[0])
		}
	}
}

func BenchmarkReadTSV(b *testing.B) {
	_, data := readSampleB(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.Comma, r.LazyQuotes, r.FieldsPerRecord, r.ReuseRecord = '\t', true, -1, true
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func readSampleB(b *testing.B) (string, []byte) {
	b.Helper()
	path, data, err := sample(samples[0])
	if err != nil {
		b.Skipf("GDELT sample %s: %v", path, err)
	}
	return path, data
}

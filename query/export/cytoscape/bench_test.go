package cytoscape_test

import (
	"io"
	"testing"

	"github.com/threatgraph/threatgraph/internal/exporttest"
	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/cytoscape"
)

// BenchmarkEncode: see exporttest.Bench.
func BenchmarkEncode(b *testing.B) {
	exporttest.Bench(b, func(w io.Writer, keys []export.Key) export.Encoder { return cytoscape.NewEncoder(w, keys) })
}

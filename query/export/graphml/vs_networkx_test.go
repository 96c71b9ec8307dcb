package graphml_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/internal/exporttest"
	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/graphml"
)

// BenchmarkVsNetworkX writes the generated 200k-node/1M-edge graph as
// GraphML, then, in the same run, times networkx.write_graphml on the same
// graph (testdata/bench_networkx.py, Debian's python3-networkx) and reports
// both and their ratio. Skipped where no python3 has networkx.
//
// go test ./query/export/graphml -run '^$' -bench VsNetworkX -benchtime 3x
func BenchmarkVsNetworkX(b *testing.B) {
	py := exporttest.Python("networkx")
	if py == "" {
		b.Skip("skipping: no python3 with networkx (apt-get install python3-networkx)")
	}
	const n, m = 200_000, 1_000_000
	newEnc := func(w io.Writer) export.Encoder { return graphml.NewEncoder(w, exporttest.GenKeys()) }
	var best time.Duration
	for b.Loop() {
		start := time.Now()
		if err := exporttest.Generate(newEnc(io.Discard), n, m); err != nil {
			b.Fatal(err)
		}
		if d := time.Since(start); best == 0 || d < best {
			best = d
		}
	}
	b.StopTimer()
	out, err := exec.CommandContext(b.Context(), py, "testdata/bench_networkx.py", "--nodes", "200000", "--edges", "1000000").Output()
	if err != nil {
		b.Fatalf("bench_networkx.py: %v", err)
	}
	var nx struct {
		WriteS   float64 `json:"write_s"`
		MBPerS   float64 `json:"mb_per_s"`
		Version  string  `json:"networkx"`
		MaxRSSMB float64 `json:"maxrss_mb_after_write"`
	}
	if err := json.Unmarshal(out, &nx); err != nil {
		b.Fatalf("bench_networkx.py said %q: %v", out, err)
	}
	b.ReportMetric(best.Seconds(), "go-best-s")
	b.ReportMetric(nx.WriteS, "networkx-s")
	b.ReportMetric(nx.WriteS/best.Seconds(), "speedup-x")
}

package query_test

import (
	"bytes"
	"testing"

	"github.com/threatgraph/threatgraph/query"
)

// TestProgressHook exports the built-in store in every format with and
// without ExportOptions.Progress: the output is byte-identical, done never
// exceeds total and never goes back within a phase, and each phase's last
// call reports it complete, with the totals the summary counts.
func TestProgressHook(t *testing.T) {
	s := builtinStore(t, false)
	for _, format := range []string{"graphml", "gexf", "cytoscape", "nquads", "json"} {
		plain, sum := exportBytes(t, s, format, query.ExportOptions{})
		type call struct {
			phase       string
			done, total int
		}
		var calls []call
		o := query.ExportOptions{Progress: func(phase string, done, total int) { calls = append(calls, call{phase, done, total}) }}
		got, _ := exportBytes(t, s, format, o)
		if !bytes.Equal(got, plain) {
			t.Errorf("%s: output with a progress hook differs from the output without", format)
		}
		last := map[string]call{}
		var phases []string
		for _, c := range calls {
			p, seen := last[c.phase]
			if !seen {
				phases = append(phases, c.phase)
			}
			if c.done > c.total || c.done <= 0 || (seen && (c.done < p.done || c.total != p.total)) {
				t.Errorf("%s: progress %+v after %+v", format, c, p)
			}
			last[c.phase] = c
		}
		want := map[string][]string{"nquads": {"subjects"}, "json": {"entities"}}[format]
		if want == nil {
			want = []string{"entities", "edges"}
		}
		if len(phases) != len(want) {
			t.Fatalf("%s: phases %v; want %v", format, phases, want)
		}
		for i, p := range want {
			if phases[i] != p {
				t.Errorf("%s: phases %v; want %v", format, phases, want)
			}
			if c := last[p]; c.done != c.total {
				t.Errorf("%s: last %s progress %d of %d; want complete", format, p, c.done, c.total)
			}
		}
		if format != "nquads" && last["entities"].total != sum.Nodes {
			t.Errorf("%s: entities total %d; the export wrote %d", format, last["entities"].total, sum.Nodes)
		}
		if c, ok := last["edges"]; ok && c.total != sum.Edges {
			t.Errorf("%s: edges total %d; the export wrote %d", format, c.total, sum.Edges)
		}
	}
}

package cytoscape_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/threatgraph/threatgraph/internal/exporttest"
	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/cytoscape"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestGolden(t *testing.T) {
	for _, c := range []struct {
		name  string
		write func(export.Encoder) error
	}{
		{"kg.cyjs.golden", exporttest.WriteKG},
		{"empty.cyjs.golden", func(e export.Encoder) error { return e.Close() }},
		{"nodes-only.cyjs.golden", func(e export.Encoder) error { e.Node("a"); e.Node("b"); return e.Close() }},
	} {
		var buf bytes.Buffer
		if err := c.write(cytoscape.NewEncoder(&buf, exporttest.KGKeys())); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := buf.Bytes()
		if !json.Valid(got) {
			t.Errorf("%s: invalid JSON:\n%s", c.name, got)
		}
		path := filepath.Join("testdata", c.name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("output differs from %s (run go test -update and review the diff); got:\n%s", path, got)
		}
	}
}

// TestDecode decodes the export with encoding/json and checks its shape and values.
func TestDecode(t *testing.T) {
	var buf bytes.Buffer
	if err := exporttest.WriteKG(cytoscape.NewEncoder(&buf, exporttest.KGKeys())); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Data     map[string]any `json:"data"`
		Elements struct {
			Nodes []struct {
				Data map[string]any `json:"data"`
			} `json:"nodes"`
			Edges []struct {
				Data map[string]any `json:"data"`
			} `json:"edges"`
		} `json:"elements"`
	}
	dec := json.NewDecoder(&buf)
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decoding: %v", err)
	}
	if doc.Data["schema_version"] != "threatgraph-graphml/1" {
		t.Errorf("data = %v", doc.Data)
	}
	if len(doc.Elements.Nodes) != exporttest.KGNodes || len(doc.Elements.Edges) != exporttest.KGEdges {
		t.Fatalf("%d nodes, %d edges; want %d, %d", len(doc.Elements.Nodes), len(doc.Elements.Edges), exporttest.KGNodes, exporttest.KGEdges)
	}
	nodes := map[string]map[string]any{}
	for _, n := range doc.Elements.Nodes {
		nodes[n.Data["id"].(string)] = n.Data
	}
	if got := nodes["person-p0001"]["label"]; got != "Suspect #1 (placeholder) & <co> 'q'" {
		t.Errorf("person label = %q", got)
	}
	if got := nodes["attack-2024-03-22-crocus"]["killed_max"]; got != json.Number("145") {
		t.Errorf("killed_max = %#v; want number 145", got)
	}
	if _, ok := nodes["location-cafe"]["lat"]; ok {
		t.Error("NaN lat written; want omitted")
	}
	pairs := map[[2]any]int{}
	for _, e := range doc.Elements.Edges {
		if _, ok := nodes[e.Data["source"].(string)]; !ok {
			t.Errorf("edge %v: unknown source", e.Data["id"])
		}
		pairs[[2]any{e.Data["source"], e.Data["target"]}]++
		if _, ok := e.Data["negated"].(bool); !ok {
			t.Errorf("edge %v: negated = %#v; want a JSON boolean", e.Data["id"], e.Data["negated"])
		}
	}
	if pairs[[2]any{"group-isis-k", "attack-2024-03-22-crocus"}] != 2 {
		t.Error("parallel edges group-isis-k -> attack not both present")
	}
}

// FuzzStringValue checks that any string value yields valid JSON that reads
// back as the cleaned value.
func FuzzStringValue(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\x00\x1f\u2028\u2029", "\xff\xfe", "</script>"} {
		f.Add(s)
	}
	keys := []export.Key{{Name: "label", Domain: export.Node, Type: export.String}}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		e := cytoscape.NewEncoder(&buf, keys)
		e.Node("n1", export.Str("label", s))
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Elements struct {
				Nodes []struct {
					Data map[string]string `json:"data"`
				} `json:"nodes"`
			} `json:"elements"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("%q: %v\n%s", s, err, buf.Bytes())
		}
		if got, want := doc.Elements.Nodes[0].Data["label"], export.Clean(s); got != want {
			t.Errorf("%q read back as %q; want %q", s, got, want)
		}
	})
}

package gexf_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/threatgraph/threatgraph/internal/exporttest"
	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/gexf"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func kg(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := exporttest.WriteKG(gexf.NewEncoder(&buf, exporttest.KGKeys())); err != nil {
		t.Fatalf("WriteKG: %v", err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	got := kg(t)
	path := filepath.Join("testdata", "kg.gexf.golden")
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

type document struct {
	XMLName xml.Name `xml:"http://www.gexf.net/1.2draft gexf"`
	Version string   `xml:"version,attr"`
	Meta    struct {
		Description string `xml:"description"`
	} `xml:"meta"`
	Graph struct {
		Mode       string `xml:"mode,attr"`
		EdgeType   string `xml:"defaultedgetype,attr"`
		TimeFormat string `xml:"timeformat,attr"`
		Attributes []struct {
			Class string `xml:"class,attr"`
			Attrs []struct {
				ID    string `xml:"id,attr"`
				Title string `xml:"title,attr"`
				Type  string `xml:"type,attr"`
			} `xml:"attribute"`
		} `xml:"attributes"`
		Nodes []element `xml:"nodes>node"`
		Edges []element `xml:"edges>edge"`
	} `xml:"graph"`
}

type element struct {
	ID     string `xml:"id,attr"`
	Label  string `xml:"label,attr"`
	Source string `xml:"source,attr"`
	Target string `xml:"target,attr"`
	Start  string `xml:"start,attr"`
	End    string `xml:"end,attr"`
	Values []struct {
		For   string `xml:"for,attr"`
		Value string `xml:"value,attr"`
	} `xml:"attvalues>attvalue"`
}

// TestStructure checks well-formedness (the whole token stream) and the
// document structure through encoding/xml.
func TestStructure(t *testing.T) {
	out := kg(t)
	d := xml.NewDecoder(bytes.NewReader(out))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v", err)
			}
			break
		}
	}
	var doc document
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "1.2" || doc.Graph.Mode != "dynamic" || doc.Graph.TimeFormat != "date" || doc.Graph.EdgeType != "directed" {
		t.Errorf("gexf version=%q mode=%q timeformat=%q defaultedgetype=%q; want 1.2 dynamic date directed",
			doc.Version, doc.Graph.Mode, doc.Graph.TimeFormat, doc.Graph.EdgeType)
	}
	if doc.Meta.Description != "schema_version=threatgraph-graphml/1" {
		t.Errorf("meta description = %q", doc.Meta.Description)
	}
	if len(doc.Graph.Nodes) != exporttest.KGNodes || len(doc.Graph.Edges) != exporttest.KGEdges {
		t.Fatalf("%d nodes, %d edges; want %d, %d", len(doc.Graph.Nodes), len(doc.Graph.Edges), exporttest.KGNodes, exporttest.KGEdges)
	}
	declared := map[string]bool{}
	for _, as := range doc.Graph.Attributes {
		for _, a := range as.Attrs {
			declared[a.ID] = true
			if a.Title == "start" || a.Title == "end" || a.Title == "label" {
				t.Errorf("%s attribute %q declared; it belongs on the element", as.Class, a.Title)
			}
		}
	}
	for _, el := range append(doc.Graph.Nodes, doc.Graph.Edges...) {
		for _, v := range el.Values {
			if !declared[v.For] {
				t.Errorf("%s: attvalue for undeclared %q", el.ID, v.For)
			}
			if v.Value == "" {
				t.Errorf("%s: empty attvalue for %q", el.ID, v.For)
			}
		}
	}
	byID := map[string]element{}
	for _, el := range append(doc.Graph.Nodes, doc.Graph.Edges...) {
		byID[el.ID] = el
	}
	for _, c := range []struct{ id, start, end, label string }{
		{"attack-2024-03-22-crocus", "2024-03-22", "2024-03-22", "Crocus City Hall attack"},
		{"group-isis-k", "2015-01-01", "", "Islamic State \u2013 Khorasan Province"},
		{"warning-2024-03-07-us-embassy", "2024-03-07", "2024-03-31", "U.S. Embassy Moscow security alert"},
		{"location-cafe", "", "", "Caf\u00e9 \"Le Jour\" \t tab"},
		{"e-0008", "2024-03-07", "2024-03-22", "concerns"},
		{"e-0005", "", "", "claimed_responsibility_for"},
	} {
		el := byID[c.id]
		if el.Start != c.start || el.End != c.end || el.Label != c.label {
			t.Errorf("%s: start=%q end=%q label=%q; want %q %q %q", c.id, el.Start, el.End, el.Label, c.start, c.end, c.label)
		}
	}
}

// TestNetworkX loads the export with networkx.read_gexf.
func TestNetworkX(t *testing.T) {
	py := exporttest.Python("networkx")
	if py == "" {
		t.Skip("skipping: no python3 with networkx (apt-get install python3-networkx)")
	}
	file := filepath.Join(t.TempDir(), "kg.gexf")
	if err := os.WriteFile(file, kg(t), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `import sys, json, networkx as nx
G = nx.read_gexf(sys.argv[1])
print(json.dumps({"nodes": G.number_of_nodes(), "edges": G.number_of_edges(), "multigraph": G.is_multigraph(),
  "mode": G.graph.get("mode"), "crocus": G.nodes["attack-2024-03-22-crocus"],
  "cafe": G.nodes["location-cafe"]}, ensure_ascii=False))`
	out, err := exec.Command(py, "-c", script, file).CombinedOutput()
	if err != nil {
		t.Fatalf("networkx.read_gexf: %v\n%s", err, out)
	}
	var got struct {
		Nodes, Edges int
		Multigraph   bool
		Mode         string
		Crocus, Cafe map[string]any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Nodes != exporttest.KGNodes || got.Edges != exporttest.KGEdges || !got.Multigraph || got.Mode != "dynamic" {
		t.Errorf("NetworkX: %d nodes, %d edges, multigraph=%v, mode=%q; want %d, %d, true, dynamic",
			got.Nodes, got.Edges, got.Multigraph, got.Mode, exporttest.KGNodes, exporttest.KGEdges)
	}
	if got.Crocus["start"] != "2024-03-22" || got.Crocus["killed_max"] != 145.0 || got.Crocus["lat"] != 55.8256 {
		t.Errorf("NetworkX crocus = %v; want start 2024-03-22, killed_max 145, lat 55.8256", got.Crocus)
	}
	if _, ok := got.Cafe["lat"]; ok || got.Cafe["label"] != "Caf\u00e9 \"Le Jour\" \t tab" {
		t.Errorf("NetworkX cafe = %v; want no lat (NaN omitted) and the NFC label", got.Cafe)
	}
}

func TestDate(t *testing.T) {
	for _, c := range []struct {
		in         string
		start, end string
	}{
		{"2024", "2024-01-01", "2024-12-31"},
		{"2024-02", "2024-02-01", "2024-02-29"},
		{"2024-03-22", "2024-03-22", "2024-03-22"},
		{"2024-03-22T23:30:00-05:00", "2024-03-23", "2024-03-23"},
	} {
		s, err1 := gexf.Date(c.in, false)
		e, err2 := gexf.Date(c.in, true)
		if s != c.start || e != c.end || err1 != nil || err2 != nil {
			t.Errorf("Date(%q) = %q, %q (%v, %v); want %q, %q", c.in, s, e, err1, err2, c.start, c.end)
		}
	}
	for _, in := range []string{"", "early March", "2024-13", "24-03-22", "2024-03-22/2024-03-30"} {
		if _, err := gexf.Date(in, false); !errors.Is(err, export.ErrBadInterval) {
			t.Errorf("Date(%q) error = %v; want ErrBadInterval", in, err)
		}
	}
	var buf bytes.Buffer
	e := gexf.NewEncoder(&buf, exporttest.KGKeys())
	e.Node("a", export.Str("start", "2024-03-22"), export.Str("end", "2024-02"))
	if err := e.Close(); !errors.Is(err, export.ErrBadInterval) {
		t.Errorf("end before start: Close() = %v; want ErrBadInterval", err)
	}
}

// FuzzLabel checks that any label, written as an XML attribute value, reads
// back through encoding/xml as the cleaned value.
func FuzzLabel(f *testing.F) {
	for _, s := range []string{"", "a&b<c>d\"e'f", "\r\n\t ", "\x00\uFFFE\xff", "Cafe\u0301"} {
		f.Add(s)
	}
	keys := []export.Key{
		{Name: "label", Domain: export.Node, Type: export.String},
		{Name: "note", Domain: export.Node, Type: export.String},
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		e := gexf.NewEncoder(&buf, keys)
		e.Node("n1", export.Str("label", s), export.Str("note", s))
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		var doc document
		if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("%q: %v\n%s", s, err, buf.Bytes())
		}
		n := doc.Graph.Nodes[0]
		want := export.Clean(s)
		if n.Label != want {
			t.Errorf("label %q read back as %q; want %q", s, n.Label, want)
		}
		if want != "" && (len(n.Values) != 1 || n.Values[0].Value != want) {
			t.Errorf("note %q read back as %v; want %q", s, n.Values, want)
		}
	})
}

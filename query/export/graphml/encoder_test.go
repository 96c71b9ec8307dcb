package graphml_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/internal/exporttest"
	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/graphml"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func kg(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := exporttest.WriteKG(graphml.NewEncoder(&buf, exporttest.KGKeys())); err != nil {
		t.Fatalf("WriteKG: %v", err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
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

func TestGolden(t *testing.T) {
	got := kg(t)
	golden(t, "kg.graphml.golden", got)
	if again := kg(t); !bytes.Equal(got, again) {
		t.Error("two runs with the same calls wrote different bytes")
	}
}

func TestEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := graphml.NewEncoder(&buf, nil).Close(); err != nil {
		t.Fatal(err)
	}
	golden(t, "empty.graphml.golden", buf.Bytes())
}

// TestReaders runs the shared validate.sh (XSD, portability lint, NetworkX and
// igraph) on the knowledge-graph export and checks both readers' counts.
func TestReaders(t *testing.T) {
	dir := exporttest.SharedDir()
	if dir == "" {
		t.Skip("skipping: ../shared/graphml/validate.sh not found (set THREATGRAPH_SHARED)")
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("skipping: xmllint not installed (apt-get install libxml2-utils)")
	}
	py := exporttest.Python("networkx, igraph")
	if py == "" {
		t.Skip("skipping: no python3 with networkx and igraph (apt-get install python3-networkx python3-igraph)")
	}
	file := filepath.Join(t.TempDir(), "kg.graphml")
	if err := os.WriteFile(file, kg(t), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, "validate.sh"), file)
	cmd.Env = append(os.Environ(), "PYTHON="+py)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("validate.sh %s: %v\nstdout:\n%s\nstderr:\n%s", file, err, out, stderr.Bytes())
	}
	var rep struct {
		OK   bool `json:"ok"`
		Lint struct {
			Errors   []string `json:"errors"`
			Warnings []string `json:"warnings"`
		} `json:"lint"`
		NetworkX struct {
			Nodes             int `json:"nodes"`
			Edges             int `json:"edges"`
			ParallelEdgePairs int `json:"parallel_edge_pairs"`
		} `json:"networkx"`
		IGraph struct {
			Nodes int `json:"nodes"`
			Edges int `json:"edges"`
		} `json:"igraph"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("decoding validate.sh report: %v\n%s", err, out)
	}
	nx, ig := rep.NetworkX, rep.IGraph
	if !rep.OK {
		t.Errorf("validate.sh ok = false:\n%s", out)
	}
	for _, w := range rep.Lint.Warnings {
		t.Logf("lint warning: %s", w)
	}
	want := [2]int{exporttest.KGNodes, exporttest.KGEdges}
	if got := [2]int{nx.Nodes, nx.Edges}; got != want {
		t.Errorf("NetworkX read %d nodes, %d edges; want %d, %d", got[0], got[1], want[0], want[1])
	}
	if got := [2]int{ig.Nodes, ig.Edges}; got != want {
		t.Errorf("igraph read %d nodes, %d edges; want %d, %d", got[0], got[1], want[0], want[1])
	}
	if nx.ParallelEdgePairs != 1 {
		t.Errorf("NetworkX found %d parallel edge pairs; want 1", nx.ParallelEdgePairs)
	}
	// Values as a reader sees them: NFC, dropped characters, multi-valued attributes.
	script := `import sys, json, networkx as nx
G = nx.read_graphml(sys.argv[1])
print(json.dumps({n: d for n, d in G.nodes(data=True)}, ensure_ascii=False))`
	vals, err := exec.Command(py, "-c", script, file).Output()
	if err != nil {
		t.Fatalf("reading values with NetworkX: %v", err)
	}
	var nodes map[string]map[string]any
	if err := json.Unmarshal(vals, &nodes); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		node, attr string
		want       any
	}{
		{"location-cafe", "label", "Caf\u00e9 \"Le Jour\" \t tab"},
		{"person-p0001", "label", "Suspect #1 (placeholder) & <co> 'q'"},
		{"person-p0001", "aliases", "[]"},
		{"group-isis-k", "aliases", `["ISIS-K","ISKP","Islamic State Khorasan Province"]`},
		{"attack-2024-03-22-crocus", "killed_min", 133.0},
		{"attack-2024-03-22-crocus", "killed_max", 145.0},
		{"location-crocus-city-hall", "population", 1099511627776.0},
		{"location-cafe", "lat", nil},
		{"location-cafe", "url", nil},
		{"person-p0001", "date", nil},
	}
	for _, c := range checks {
		if got := nodes[c.node][c.attr]; got != c.want {
			t.Errorf("NetworkX %s.%s = %#v; want %#v", c.node, c.attr, got, c.want)
		}
	}
}

// TestRoundTrip decodes the output with encoding/xml and compares values.
func TestRoundTrip(t *testing.T) {
	doc := decode(t, kg(t))
	if len(doc.Graph.Nodes) != exporttest.KGNodes || len(doc.Graph.Edges) != exporttest.KGEdges {
		t.Fatalf("decoded %d nodes, %d edges; want %d, %d", len(doc.Graph.Nodes), len(doc.Graph.Edges), exporttest.KGNodes, exporttest.KGEdges)
	}
	var figs string
	for _, d := range doc.Graph.Nodes[0].Data {
		if d.Key == "n_killed" {
			figs = d.Value
		}
	}
	var parsed []struct {
		Value   int      `json:"value"`
		Sources []string `json:"sources"`
	}
	if err := json.Unmarshal([]byte(figs), &parsed); err != nil || len(parsed) != 3 || parsed[2].Value != 145 || len(parsed[2].Sources) != 2 {
		t.Errorf("n_killed = %q (%v); want 3 figures sorted by value, 145 with 2 sources", figs, err)
	}
}

type document struct {
	XMLName xml.Name `xml:"http://graphml.graphdrawing.org/xmlns graphml"`
	Keys    []struct {
		ID   string `xml:"id,attr"`
		For  string `xml:"for,attr"`
		Name string `xml:"attr.name,attr"`
		Type string `xml:"attr.type,attr"`
	} `xml:"key"`
	Graph struct {
		Data  []data `xml:"data"`
		Nodes []struct {
			ID   string `xml:"id,attr"`
			Data []data `xml:"data"`
		} `xml:"node"`
		Edges []struct {
			ID     string `xml:"id,attr"`
			Source string `xml:"source,attr"`
			Target string `xml:"target,attr"`
			Data   []data `xml:"data"`
		} `xml:"edge"`
	} `xml:"graph"`
}

type data struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

func decode(t testing.TB, b []byte) document {
	t.Helper()
	var doc document
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("xml.Unmarshal: %v\n%s", err, b)
	}
	return doc
}

func TestErrors(t *testing.T) {
	node := func(attrs ...export.Attr) func(*graphml.Encoder) error {
		return func(e *graphml.Encoder) error { return e.Node("n1", attrs...) }
	}
	keys := []export.Key{
		{Name: "label", Domain: export.Node, Type: export.String},
		{Name: "killed", Domain: export.Node, Type: export.Int},
		{Name: "lat", Domain: export.Node, Type: export.Double},
	}
	tests := []struct {
		name string
		keys []export.Key
		call func(*graphml.Encoder) error
		want error
	}{
		{"reserved id", []export.Key{{Name: "id", Domain: export.Node, Type: export.String}}, nil, export.ErrReservedName},
		{"reserved source", []export.Key{{Name: "source", Domain: export.Edge, Type: export.String}}, nil, export.ErrReservedName},
		{"weight not double", []export.Key{{Name: "weight", Domain: export.Edge, Type: export.Int}}, nil, export.ErrReservedName},
		{"bad name", []export.Key{{Name: "Label", Domain: export.Node, Type: export.String}}, nil, export.ErrBadName},
		{"space", []export.Key{{Name: "shared name", Domain: export.Node, Type: export.String}}, nil, export.ErrReservedName},
		{"duplicate", append(keys[:1:1], keys[0]), nil, export.ErrDuplicateKey},
		{"bad type", []export.Key{{Name: "a", Domain: export.Node}}, nil, export.ErrBadType},
		{"unknown attr", keys, node(export.Str("colour", "red")), export.ErrUnknownAttr},
		{"edge attr on node", keys, node(export.Str("predicate", "x")), export.ErrUnknownAttr},
		{"twice", keys, node(export.Str("label", "a"), export.Str("label", "b")), export.ErrDuplicateAttr},
		{"int beyond int32", keys, node(export.Int64("killed", 1<<31)), export.ErrIntRange},
		{"int beyond 2^53 as double", keys, node(export.Int64("lat", 1<<53+1)), export.ErrIntRange},
		{"float as int", keys, node(export.Float("killed", 1)), export.ErrTypeMismatch},
		{"bool as string", keys, node(export.Bool("label", true)), export.ErrTypeMismatch},
		{"bad node id", keys, func(e *graphml.Encoder) error { return e.Node("a b") }, export.ErrBadID},
		{"empty node id", keys, func(e *graphml.Encoder) error { return e.Node("") }, export.ErrBadID},
		{"bad edge target", keys, func(e *graphml.Encoder) error { return e.Edge("e1", "a", "b/c") }, export.ErrBadID},
		{"node after edge", keys, func(e *graphml.Encoder) error { e.Edge("e1", "a", "b"); return e.Node("c") }, export.ErrOrder},
		{"graph after node", keys, func(e *graphml.Encoder) error { e.Node("a"); return e.Graph() }, export.ErrOrder},
		{"after close", keys, func(e *graphml.Encoder) error { e.Close(); return e.Node("a") }, export.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := graphml.NewEncoder(&buf, tt.keys)
			var err error
			if tt.call != nil {
				err = tt.call(e)
			} else {
				err = e.Node("n1")
				if buf.Len() != 0 {
					t.Errorf("invalid keys: wrote %d bytes; want none", buf.Len())
				}
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got error %v; want %v", err, tt.want)
			}
			if cerr := e.Close(); !errors.Is(cerr, tt.want) && tt.want != export.ErrClosed {
				t.Errorf("Close() = %v; want the first error %v (sticky)", cerr, err)
			}
			t.Logf("%v", err)
		})
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestWriteErrorSticky(t *testing.T) {
	e := graphml.NewEncoder(&failWriter{}, exporttest.GenKeys())
	var first error
	for i := range 100_000 {
		if err := e.Node("n"+strings.Repeat("x", i%10), export.Str("label", "some label")); err != nil {
			first = err
			break
		}
	}
	if first == nil || first.Error() != "disk full" {
		t.Fatalf("Node error = %v; want disk full", first)
	}
	if err := e.Close(); err != first {
		t.Errorf("Close() = %v; want %v", err, first)
	}
}

// FuzzStringValue checks that any string value yields valid XML that
// encoding/xml reads back as the cleaned value.
func FuzzStringValue(f *testing.F) {
	for _, s := range []string{"", "a&b<c>d\"e'f", "\r\n\t ", "\x00\x01\uFFFE\uFFFF\xff", "Cafe\u0301", "]]>", "\u2028", "&amp;"} {
		f.Add(s)
	}
	keys := []export.Key{{Name: "label", Domain: export.Node, Type: export.String}}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		e := graphml.NewEncoder(&buf, keys)
		e.Node("n1", export.Str("label", s))
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		doc := decode(t, buf.Bytes())
		want := export.Clean(s)
		var got string
		if d := doc.Graph.Nodes[0].Data; len(d) == 1 {
			got = d[0].Value
		} else if want != "" {
			t.Fatalf("no <data> for %q", s)
		}
		if got != want {
			t.Errorf("value %q read back as %q; want %q", s, got, want)
		}
		if want != "" && bytes.Contains(buf.Bytes(), []byte("<data key=\"n_label\"></data>")) {
			t.Error("empty <data>")
		}
	})
}

// BenchmarkEncode exports the generated graph (200k nodes, a handful of
// attributes) with 100k and 1M edges; see exporttest.Bench for the metrics.
func BenchmarkEncode(b *testing.B) {
	exporttest.Bench(b, func(w io.Writer, keys []export.Key) export.Encoder { return graphml.NewEncoder(w, keys) })
}

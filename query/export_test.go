package query_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/builtin"
	"github.com/threatgraph/threatgraph/internal/exporttest"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/schema"
)

// openStore opens a new bbolt store in a temporary directory.
func openStore(t testing.TB) *graph.Store {
	t.Helper()
	s, err := graph.Open(context.Background(), graph.Options{Backend: "bbolt", Path: filepath.Join(t.TempDir(), "tg.db"), NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// builtinStore loads the built-in dataset, each file in its own write, in
// name order or reversed (a different insertion order of the same quads).
func builtinStore(t *testing.T, reverse bool) *graph.Store {
	t.Helper()
	files, err := builtin.Files()
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*ingest.File
	for _, f := range files {
		parsed = append(parsed, ingest.Parse(f.Name, f.Data))
	}
	s := openStore(t)
	if reverse {
		slices.Reverse(parsed)
	}
	if _, err := ingest.Load(t.Context(), s, parsed, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return s
}

// exportBytes runs one export of the store.
func exportBytes(t *testing.T, s *graph.Store, format string, o query.ExportOptions) ([]byte, export.Summary) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := query.NewReader(s, query.ReaderOptions{}).Export(t.Context(), &buf, format, o)
	if err != nil {
		t.Fatalf("export %s %+v: %v", format, o, err)
	}
	return buf.Bytes(), sum
}

// storeCounts counts what the store says the graph holds: entities, and
// distinct (subject, predicate, object) relations between entities.
func storeCounts(t *testing.T, s *graph.Store) (nodes, edges int) {
	t.Helper()
	st, err := query.NewReader(s, query.ReaderOptions{}).Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	var rels []quad.Quad
	err = s.Scan(t.Context(), func(q quad.Quad) error {
		p := quad.StringOf(q.Predicate)
		if p == "<"+schema.TypeIRI+">" {
			kinds[quad.ToString(q.Subject)] = true
		}
		if pr := schema.LookupIRI(strings.Trim(p, "<>")); pr != nil && pr.Relation() {
			rels = append(rels, q)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	triples := map[string]bool{}
	for _, q := range rels {
		if kinds[quad.ToString(q.Subject)] && kinds[quad.ToString(q.Object)] {
			triples[quad.StringOf(q.Subject)+" "+quad.StringOf(q.Predicate)+" "+quad.StringOf(q.Object)] = true
		}
	}
	if len(kinds) != st.Entities {
		t.Fatalf("rdf:type subjects %d, stats say %d entities", len(kinds), st.Entities)
	}
	return st.Entities, len(triples)
}

// parsed is a graph export read back: node ids with their attributes, and edges.
type parsed struct {
	nodes map[string]map[string]string
	edges []parsedEdge
}

type parsedEdge struct {
	id, source, target string
	attrs              map[string]string
}

// readGraphML reads a GraphML export with encoding/xml.
func readGraphML(t *testing.T, b []byte) parsed {
	t.Helper()
	var doc struct {
		Keys []struct {
			ID   string `xml:"id,attr"`
			Name string `xml:"attr.name,attr"`
		} `xml:"key"`
		Graph struct {
			Nodes []struct {
				ID   string `xml:"id,attr"`
				Data []struct {
					Key   string `xml:"key,attr"`
					Value string `xml:",chardata"`
				} `xml:"data"`
			} `xml:"node"`
			Edges []struct {
				ID     string `xml:"id,attr"`
				Source string `xml:"source,attr"`
				Target string `xml:"target,attr"`
				Data   []struct {
					Key   string `xml:"key,attr"`
					Value string `xml:",chardata"`
				} `xml:"data"`
			} `xml:"edge"`
		} `xml:"graph"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("reading GraphML: %v", err)
	}
	name := map[string]string{}
	for _, k := range doc.Keys {
		name[k.ID] = k.Name
	}
	p := parsed{nodes: map[string]map[string]string{}}
	for _, n := range doc.Graph.Nodes {
		a := map[string]string{}
		for _, d := range n.Data {
			a[name[d.Key]] = d.Value
		}
		p.nodes[n.ID] = a
	}
	for _, e := range doc.Graph.Edges {
		a := map[string]string{}
		for _, d := range e.Data {
			a[name[d.Key]] = d.Value
		}
		p.edges = append(p.edges, parsedEdge{e.ID, e.Source, e.Target, a})
	}
	return p
}

func jsonList(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("attribute %q is not a JSON list: %v", s, err)
	}
	return out
}

// TestGraphMLReaders checks the full GraphML export with the shared
// validate.sh (XSD, portability lint, NetworkX, igraph) and that both
// readers see as many nodes and edges as the store holds.
func TestGraphMLReaders(t *testing.T) {
	s := builtinStore(t, false)
	// Every stored relation, deprecated ones too; by default the export
	// leaves out the relations that stand only on deprecated statements.
	b, sum := exportBytes(t, s, "graphml", query.ExportOptions{Scope: query.Scope{WithDeprecated: true}})
	nodes, edges := storeCounts(t, s)
	if sum.Nodes != nodes || sum.Edges != edges {
		t.Fatalf("export wrote %d nodes, %d edges; the store has %d entities, %d distinct relations", sum.Nodes, sum.Edges, nodes, edges)
	}
	if _, def := exportBytes(t, s, "graphml", query.ExportOptions{}); def.Edges >= edges {
		t.Errorf("the default export wrote %d edges of %d; the analysts' judgements deprecate some", def.Edges, edges)
	}
	p := readGraphML(t, b)
	if len(p.nodes) != nodes || len(p.edges) != edges {
		t.Fatalf("GraphML holds %d nodes, %d edges; want %d, %d", len(p.nodes), len(p.edges), nodes, edges)
	}
	ids := map[string]bool{}
	for _, e := range p.edges {
		if ids[e.id] {
			t.Errorf("edge id %s twice", e.id)
		}
		ids[e.id] = true
		if p.nodes[e.source] == nil || p.nodes[e.target] == nil {
			t.Errorf("edge %s dangles: %s -> %s", e.id, e.source, e.target)
		}
	}
	crocus := p.nodes["attack-2024-03-22-crocus-city-hall"]
	for k, want := range map[string]string{"kind": "Attack", "label": "Crocus City Hall attack", "start": "2024-03-22", "date_start": "2024-03-22", "killed_min": "40"} {
		if crocus[k] != want {
			t.Errorf("crocus %s = %q; want %q", k, crocus[k], want)
		}
	}
	// killed_min is the NYT's "scores" (40 at least); "at least 137" has no
	// upper bound, so killed_max is missing, not 137.
	if v, ok := crocus["killed_max"]; ok {
		t.Errorf("crocus killed_max = %q; want it missing (Reuters' \"at least 137\" has no upper bound)", v)
	}
	if !slices.Contains(jsonList(t, crocus["contested"]), "wounded") {
		t.Errorf("crocus contested = %s; want wounded among them", crocus["contested"])
	}

	dir := exporttest.SharedDir()
	if dir == "" {
		t.Skip("skipping the readers: ../shared/graphml/validate.sh not found (set THREATGRAPH_SHARED)")
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("skipping the readers: xmllint not installed (apt-get install libxml2-utils)")
	}
	py := exporttest.Python("networkx, igraph")
	if py == "" {
		t.Skip("skipping the readers: no python3 with networkx and igraph (apt-get install python3-networkx python3-igraph)")
	}
	for _, c := range []struct {
		name string
		o    query.ExportOptions
	}{
		{"all", query.ExportOptions{}},
		{"kinds", query.ExportOptions{Scope: query.Scope{Kinds: []string{"Attack", "Group"}}}},
		{"around", query.ExportOptions{Around: "ISIS-K", Depth: 2, Centrality: []string{"pagerank"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, sum := exportBytes(t, s, "graphml", c.o)
			file := filepath.Join(t.TempDir(), c.name+".graphml")
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(filepath.Join(dir, "validate.sh"), file)
			cmd.Env = append(os.Environ(), "PYTHON="+py)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("validate.sh %s: %v\n%s\n%s", file, err, out, stderr.Bytes())
			}
			var rep struct {
				OK bool `json:"ok"`
				NX struct {
					Nodes, Edges int
					Mism         []string `json:"type_mismatches"`
				} `json:"networkx"`
				IG struct {
					Nodes, Edges int
					Mism         []string `json:"type_mismatches"`
				} `json:"igraph"`
			}
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatalf("decoding validate.sh report: %v\n%s", err, out)
			}
			if !rep.OK || len(rep.NX.Mism) > 0 || len(rep.IG.Mism) > 0 {
				t.Errorf("validate.sh: not ok\n%s", out)
			}
			if rep.NX.Nodes != sum.Nodes || rep.NX.Edges != sum.Edges || rep.IG.Nodes != sum.Nodes || rep.IG.Edges != sum.Edges {
				t.Errorf("NetworkX read %d/%d, igraph %d/%d nodes/edges; export wrote %d/%d", rep.NX.Nodes, rep.NX.Edges, rep.IG.Nodes, rep.IG.Edges, sum.Nodes, sum.Edges)
			}
		})
	}
}

// TestDeterministic loads the same data in two orders into two stores and
// compares every format byte for byte.
func TestDeterministic(t *testing.T) {
	a, b := builtinStore(t, false), builtinStore(t, true)
	for _, format := range []string{"graphml", "gexf", "cytoscape", "nquads", "json"} {
		for _, o := range []query.ExportOptions{{}, {Scope: query.Scope{Kinds: []string{"Attack", "Group", "Location"}, Sources: []string{"source:nyt-2024-03-25-schmitt", "source:threatgraph-editors"}}}} {
			x, _ := exportBytes(t, a, format, o)
			y, _ := exportBytes(t, b, format, o)
			if !bytes.Equal(x, y) {
				t.Errorf("%s %+v: exports of the same data loaded in two orders differ (%d and %d bytes)", format, o, len(x), len(y))
			}
			z, _ := exportBytes(t, a, format, o)
			if !bytes.Equal(x, z) {
				t.Errorf("%s %+v: two exports of one store differ", format, o)
			}
		}
	}
}

// TestRoundTrip exports N-Quads and native JSON, ingests each into an empty
// store and exports again: the bytes must be the same, and the JSON must
// give back every quad (its store's N-Quads equal the original's).
func TestRoundTrip(t *testing.T) {
	s := builtinStore(t, false)
	nq, sum := exportBytes(t, s, "nquads", query.ExportOptions{})
	if st, _ := query.NewReader(s, query.ReaderOptions{}).Stats(t.Context()); int64(sum.Quads) != st.Quads {
		t.Errorf("nquads wrote %d quads; the store has %d", sum.Quads, st.Quads)
	}
	for _, c := range []struct{ format, name string }{{"nquads", "export.nq"}, {"json", "export.json"}} {
		t.Run(c.format, func(t *testing.T) {
			first, _ := exportBytes(t, s, c.format, query.ExportOptions{})
			f := ingest.Parse(c.name, first)
			if errs := f.Errors(); len(errs) > 0 {
				t.Fatalf("re-reading the %s export: %v", c.format, errs.Err())
			}
			s2 := openStore(t)
			if _, err := ingest.Load(t.Context(), s2, []*ingest.File{f}, ingest.Options{}); err != nil {
				t.Fatalf("ingesting the %s export: %v", c.format, err)
			}
			second, _ := exportBytes(t, s2, c.format, query.ExportOptions{})
			if !bytes.Equal(first, second) {
				t.Errorf("%s export, ingested and exported again, differs (%d and %d bytes)", c.format, len(first), len(second))
			}
			if nq2, _ := exportBytes(t, s2, "nquads", query.ExportOptions{}); !bytes.Equal(nq, nq2) {
				t.Errorf("the store loaded from the %s export holds other quads than the original", c.format)
			}
		})
	}
	// A filtered fact export loads on its own into an empty store: the
	// kind quads of its entities and the sources and statements it cites
	// come along (a source-filtered N-Quads export used to lose the kind
	// quads other sources state, and with them its entities).
	for _, c := range []struct {
		format string
		o      query.ExportOptions
	}{
		{"json", query.ExportOptions{Scope: query.Scope{Kinds: []string{"Claim"}, Sources: []string{"source:bbc-2024-03-25-gardner"}}}},
		{"nquads", query.ExportOptions{Scope: query.Scope{Sources: []string{"source:bbc-2024-03-25-gardner"}}}},
		{"nquads", query.ExportOptions{Scope: query.Scope{Sources: []string{"source:reuters-2024-03-25"}}}},
		{"nquads", query.ExportOptions{Scope: query.Scope{ExcludeSources: []string{"source:threatgraph-editors"}}}},
		{"json", query.ExportOptions{Scope: query.Scope{ExcludeSources: []string{"source:threatgraph-editors"}}}},
		{"nquads", query.ExportOptions{Scope: query.Scope{Kinds: []string{"Attack"}, From: "2024-03", To: "2024-03-31"}}},
	} {
		sub, sum := exportBytes(t, s, c.format, c.o)
		f := ingest.Parse("sub."+map[string]string{"json": "json", "nquads": "nq"}[c.format], sub)
		s2 := openStore(t)
		if _, err := ingest.Load(t.Context(), s2, []*ingest.File{f}, ingest.Options{}); err != nil {
			t.Errorf("ingesting a %s export %+v into an empty store: %v", c.format, c.o, err)
			continue
		}
		if st, err := query.NewReader(s2, query.ReaderOptions{}).Stats(t.Context()); err != nil || st.Entities == 0 || st.Entities > sum.Nodes {
			t.Errorf("%s export %+v wrote %d entities; the store it loads holds %+v, %v", c.format, c.o, sum.Nodes, st, err)
		}
	}
}

func TestFilters(t *testing.T) {
	s := builtinStore(t, false)
	full := readGraphML(t, must(exportBytes(t, s, "graphml", query.ExportOptions{})))
	kindOf := func(p parsed, id string) string { return p.nodes[id]["kind"] }

	t.Run("kinds", func(t *testing.T) {
		p := readGraphML(t, must(exportBytes(t, s, "graphml", query.ExportOptions{Scope: query.Scope{Kinds: []string{"Attack", "Group"}}})))
		want := 0
		for id := range full.nodes {
			if k := kindOf(full, id); k == "Attack" || k == "Group" {
				want++
				if p.nodes[id] == nil {
					t.Errorf("%s (%s) missing", id, k)
				}
			}
		}
		if len(p.nodes) != want {
			t.Errorf("%d nodes; want %d Attacks and Groups", len(p.nodes), want)
		}
		wantEdges := 0
		for _, e := range full.edges {
			if p.nodes[e.source] != nil && p.nodes[e.target] != nil {
				wantEdges++
			}
		}
		if len(p.edges) != wantEdges || wantEdges == 0 {
			t.Errorf("%d edges; want the %d between Attacks and Groups", len(p.edges), wantEdges)
		}
	})

	t.Run("around", func(t *testing.T) {
		// Expected: BFS over the full export's edges, undirected.
		adj := map[string][]string{}
		for _, e := range full.edges {
			adj[e.source] = append(adj[e.source], e.target)
			adj[e.target] = append(adj[e.target], e.source)
		}
		for depth := range 3 {
			want := map[string]bool{"group-isis-k": true}
			frontier := []string{"group-isis-k"}
			for range depth {
				var next []string
				for _, u := range frontier {
					for _, v := range adj[u] {
						if !want[v] {
							want[v] = true
							next = append(next, v)
						}
					}
				}
				frontier = next
			}
			p := readGraphML(t, must(exportBytes(t, s, "graphml", query.ExportOptions{Around: "islamic state khorasan province", Depth: depth})))
			if len(p.nodes) != len(want) {
				t.Errorf("around ISIS-K depth %d: %d nodes; want %d", depth, len(p.nodes), len(want))
			}
			for id := range want {
				if p.nodes[id] == nil {
					t.Errorf("around ISIS-K depth %d: %s missing", depth, id)
				}
			}
		}
		_, err := query.NewReader(s, query.ReaderOptions{}).Export(t.Context(), io.Discard, "graphml", query.ExportOptions{Around: "nobody at all"})
		if !errors.Is(err, query.ErrNotFound) {
			t.Errorf("around an unknown name: error %v; want query.ErrNotFound", err)
		}
	})

	t.Run("window", func(t *testing.T) {
		p := readGraphML(t, must(exportBytes(t, s, "graphml", query.ExportOptions{Scope: query.Scope{From: "2024-03", To: "2024-03-31"}})))
		for _, id := range []string{"attack-2024-03-22-crocus-city-hall", "group-isis-k", "location-crocus-city-hall"} {
			if p.nodes[id] == nil {
				t.Errorf("%s missing from March 2024", id)
			}
		}
		for _, id := range []string{"attack-2001-09-11-attacks", "attack-2024-01-kerman-bombings"} {
			if p.nodes[id] != nil {
				t.Errorf("%s (dated outside March 2024) kept", id)
			}
		}
		for id, a := range p.nodes {
			if a["start"] != "" && (a["date_end"] < "2024-03-01" || a["date_start"] > "2024-03-31") {
				t.Errorf("%s dated %s..%s kept in March 2024", id, a["date_start"], a["date_end"])
			}
		}
	})

	t.Run("sources", func(t *testing.T) {
		const bbc = "source:bbc-2024-03-25-gardner"
		p := readGraphML(t, must(exportBytes(t, s, "graphml", query.ExportOptions{Scope: query.Scope{Sources: []string{bbc}}})))
		if len(p.nodes) == 0 || len(p.nodes) >= len(full.nodes) {
			t.Fatalf("%d nodes with BBC only; want some, fewer than %d", len(p.nodes), len(full.nodes))
		}
		for id, a := range p.nodes {
			if got := jsonList(t, a["sources"]); len(got) > 1 || len(got) == 1 && got[0] != export.ID(bbc) {
				t.Errorf("%s: sources %v with BBC only", id, got)
			}
		}
		for _, e := range p.edges {
			if got := jsonList(t, e.attrs["provenance"]); !slices.Equal(got, []string{export.ID(bbc)}) || e.attrs["weight"] != "1" {
				t.Errorf("edge %s: provenance %v weight %s with BBC only", e.id, got, e.attrs["weight"])
			}
		}
		ex := readGraphML(t, must(exportBytes(t, s, "graphml", query.ExportOptions{Scope: query.Scope{ExcludeSources: []string{bbc}}})))
		for _, e := range ex.edges {
			if slices.Contains(jsonList(t, e.attrs["provenance"]), export.ID(bbc)) {
				t.Errorf("edge %s cites BBC, which is excluded", e.id)
			}
		}
	})
}

func must(b []byte, _ export.Summary) []byte { return b }

// TestExportParamErrors: every option Export cannot apply is a
// *query.ParamError naming it (the CLI exits 2 on it, HTTP answers 400),
// and nothing is written.
func TestExportParamErrors(t *testing.T) {
	s := builtinStore(t, false)
	r := query.NewReader(s, query.ReaderOptions{})
	for _, c := range []struct {
		format string
		o      query.ExportOptions
		param  string
	}{
		{"dot", query.ExportOptions{}, "format"},
		{"graphml", query.ExportOptions{Scope: query.Scope{Kinds: []string{"Gruop"}}}, "kinds"},
		{"graphml", query.ExportOptions{Scope: query.Scope{Predicates: []string{"locatedIn"}}}, "predicates"},
		{"graphml", query.ExportOptions{Scope: query.Scope{Sources: []string{"source:nowhere"}}}, "sources"},
		{"json", query.ExportOptions{Scope: query.Scope{ExcludeSources: []string{"source:nowhere"}}}, "exclude-sources"},
		{"graphml", query.ExportOptions{Scope: query.Scope{Sources: []string{"source:nowhere"}}, Centrality: []string{"pagerank"}}, "sources"},
		{"nquads", query.ExportOptions{Scope: query.Scope{From: "someday"}}, "from"},
		{"gexf", query.ExportOptions{Scope: query.Scope{From: "2024", To: "2023"}}, "to"},
		{"graphml", query.ExportOptions{Centrality: []string{"fame"}}, "with-centrality"},
		{"nquads", query.ExportOptions{Centrality: []string{"pagerank"}}, "with-centrality"},
		{"graphml", query.ExportOptions{Around: "ISIS-K", Depth: -1}, "depth"},
		{"graphml", query.ExportOptions{Around: "ISIS-K", Scope: query.Scope{Kinds: []string{"Attack"}}}, "around"},
	} {
		var buf bytes.Buffer
		_, err := r.Export(t.Context(), &buf, c.format, c.o)
		var pe *query.ParamError
		if !errors.As(err, &pe) || pe.Param != c.param {
			t.Errorf("%s %+v: error %v; want a *ParamError for %s", c.format, c.o, err, c.param)
		}
		if buf.Len() > 0 {
			t.Errorf("%s %+v: wrote %d bytes before refusing", c.format, c.o, buf.Len())
		}
	}
}

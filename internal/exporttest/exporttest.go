// Package exporttest holds the fixtures that the encoder tests and
// benchmarks share: a small knowledge graph with the awkward cases, and a
// generated large graph.
package exporttest

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/threatgraph/threatgraph/query/export"
)

// KGKeys returns the keys of the small knowledge graph, deliberately unsorted.
func KGKeys() []export.Key {
	keys := []export.Key{
		{Name: "type", Domain: export.Node, Type: export.String},
		{Name: "label", Domain: export.Node, Type: export.String},
		{Name: "aliases", Domain: export.Node, Type: export.String},
		{Name: "date", Domain: export.Node, Type: export.String},
		{Name: "start", Domain: export.Node, Type: export.String},
		{Name: "end", Domain: export.Node, Type: export.String},
		{Name: "lat", Domain: export.Node, Type: export.Double},
		{Name: "lon", Domain: export.Node, Type: export.Double},
		{Name: "url", Domain: export.Node, Type: export.String},
		{Name: "population", Domain: export.Node, Type: export.Double},
		{Name: "predicate", Domain: export.Edge, Type: export.String},
		{Name: "provenance", Domain: export.Edge, Type: export.String},
		{Name: "confidence", Domain: export.Edge, Type: export.Double},
		{Name: "negated", Domain: export.Edge, Type: export.Boolean},
		{Name: "start", Domain: export.Edge, Type: export.String},
		{Name: "end", Domain: export.Edge, Type: export.String},
		{Name: "schema_version", Domain: export.Graph, Type: export.String},
	}
	return append(keys, export.FigureKeys("killed", export.Node, export.Int)...)
}

// KG counts.
const (
	KGNodes = 8
	KGEdges = 8
)

// WriteKG writes the small knowledge graph: parallel edges, Unicode (NFD input,
// Cyrillic, dashes), XML-special characters, characters XML forbids,
// multi-valued attributes, missing values (absent, empty, NaN) and time
// intervals. It returns the error of Close.
func WriteKG(e export.Encoder) error {
	s, i, f, b := export.Str, export.Int64, export.Float, export.Bool
	e.Graph(s("schema_version", "threatgraph-graphml/1"))
	crocus := []export.Attr{
		s("type", "attack"), s("label", "Crocus City Hall attack"),
		s("date", "2024-03-22"), s("start", "2024-03-22"), s("end", "2024-03-22"),
		f("lat", 55.8256), f("lon", 37.389),
	}
	crocus = append(crocus, export.Figures("killed",
		export.Figure{Value: 137, Sources: []string{"source-s0002"}},
		export.Figure{Value: 133, Sources: []string{"source-s0003"}},
		export.Figure{Value: 145, Sources: []string{"source-s0001", "source-s0002"}},
	)...)
	e.Node("attack-2024-03-22-crocus", crocus...)
	e.Node("claim-c0001", s("type", "claim"), s("label", "IS claims responsibility for the attack"),
		s("date", "2024-03-22"), s("start", "2024-03-22"))
	e.Node("group-isis-k", s("type", "group"), s("label", "Islamic State \u2013 Khorasan Province"),
		export.List("aliases", "ISKP", "ISIS-K", "Islamic State Khorasan Province", "ISKP", ""),
		s("start", "2015-01"))
	e.Node("location-cafe", s("type", "location"), s("label", "Cafe\u0301 \"Le Jour\" \t tab"),
		f("lat", math.NaN()), f("lon", math.Inf(1)), s("url", ""))
	e.Node("location-crocus-city-hall", s("type", "location"),
		s("label", "Crocus City Hall \u2014 \u041a\u0440\u0430\u0441\u043d\u043e\u0433\u043e\u0440\u0441\u043a"),
		f("lat", 55.8256), f("lon", 37.389), i("population", 1<<40))
	e.Node("person-p0001", s("type", "person"),
		s("label", "Suspect #1 (placeholder) & <co> \x01\uFFFE\xff'q'"),
		export.List("aliases"), export.Attr{Name: "date"})
	e.Node("source-s0001", s("type", "source"), s("label", "Amaq statement"),
		s("date", "2024-03-22"), s("url", "https://example.org/amaq?id=1&lang=en"))
	e.Node("warning-2024-03-07-us-embassy", s("type", "warning"),
		s("label", "U.S. Embassy Moscow security alert"), s("date", "2024-03-07"),
		s("start", "2024-03-07"), s("end", "2024-03"))
	edge := func(id, src, dst, pred string, conf float64, prov ...string) {
		e.Edge(id, src, dst, s("predicate", pred), export.List("provenance", prov...),
			f("confidence", conf), b("negated", false))
	}
	edge("e-0001", "attack-2024-03-22-crocus", "location-crocus-city-hall", "located_in", 1, "source-s0001")
	edge("e-0002", "claim-c0001", "attack-2024-03-22-crocus", "claims", 1, "source-s0001")
	edge("e-0003", "claim-c0001", "group-isis-k", "claimant", 1, "source-s0001")
	edge("e-0004", "claim-c0001", "source-s0001", "stated_in", 1, "source-s0001")
	edge("e-0005", "group-isis-k", "attack-2024-03-22-crocus", "claimed_responsibility_for", 0.9, "source-s0001", "claim-c0001")
	edge("e-0006", "group-isis-k", "attack-2024-03-22-crocus", "perpetrated", 0.75, "source-s0001")
	edge("e-0007", "person-p0001", "attack-2024-03-22-crocus", "suspect_in", 0.6)
	e.Edge("e-0008", "warning-2024-03-07-us-embassy", "location-crocus-city-hall",
		s("predicate", "concerns"), export.List("provenance"), f("confidence", -0.0), b("negated", true),
		s("start", "2024-03-07"), s("end", "2024-03-22"))
	return e.Close()
}

// GenKeys returns the keys of the generated graph.
func GenKeys() []export.Key {
	return []export.Key{
		{Name: "type", Domain: export.Node, Type: export.String},
		{Name: "label", Domain: export.Node, Type: export.String},
		{Name: "killed", Domain: export.Node, Type: export.Int},
		{Name: "lat", Domain: export.Node, Type: export.Double},
		{Name: "predicate", Domain: export.Edge, Type: export.String},
		{Name: "provenance", Domain: export.Edge, Type: export.String},
		{Name: "confidence", Domain: export.Edge, Type: export.Double},
		{Name: "negated", Domain: export.Edge, Type: export.Boolean},
	}
}

var (
	kinds = [...]string{"attack", "claim", "group", "location", "person", "source", "warning"}
	preds = [...]string{"perpetrated", "located_in", "claims", "member_of", "about"}
)

// Generate writes a deterministic graph of n nodes and m edges with the keys
// of GenKeys; testdata/bench_networkx.py in the graphml package builds the
// same graph. It returns the error of Close.
func Generate(e export.Encoder, n, m int) error {
	var id, label, src, dst, eid, prov []byte
	for i := range n {
		id = appendNodeID(id[:0], i)
		label = strconv.AppendInt(append(label[:0], "Node "...), int64(i), 10)
		kind := kinds[i%len(kinds)]
		var extra [4]export.Attr
		attrs := extra[:0]
		if kind == "attack" {
			attrs = append(attrs, export.Int64("killed", int64(i%500)))
		}
		if kind == "location" {
			attrs = append(attrs, export.Float("lat", float64(i%18000)/100-90))
		}
		e.Node(string(id), append(attrs, export.Str("type", kind), export.Str("label", string(label)))...)
	}
	for j := range m {
		s := (j * 7919) % n
		t := (j*104729 + 1) % n
		src = appendNodeID(src[:0], s)
		dst = appendNodeID(dst[:0], t)
		eid = strconv.AppendInt(append(eid[:0], "e"...), int64(j), 10)
		prov = strconv.AppendInt(append(prov[:0], `["source-s`...), int64(j%1000), 10)
		prov = append(prov, `"]`...)
		e.Edge(string(eid), string(src), string(dst),
			export.Str("predicate", preds[j%len(preds)]),
			export.Str("provenance", string(prov)),
			export.Float("confidence", float64(j%100)/100),
			export.Bool("negated", j%17 == 0))
	}
	return e.Close()
}

func appendNodeID(b []byte, i int) []byte {
	b = append(b, 'n')
	s := strconv.Itoa(i)
	for k := len(s); k < 7; k++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Python returns a python3 that imports all of modules, or "" if there is
// none: it tries /usr/bin/python3 (Debian's packages) first, then python3 on
// PATH.
func Python(modules string) string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import "+modules).Run() == nil {
			return path
		}
	}
	return ""
}

// SharedDir returns the directory of the shared GraphML tooling
// (../shared/graphml beside the repository, or $THREATGRAPH_SHARED/graphml),
// or "" if absent.
func SharedDir() string {
	root := os.Getenv("THREATGRAPH_SHARED")
	if root == "" {
		root = filepath.Join(repoRoot(), "..", "shared")
	}
	dir := filepath.Join(root, "graphml")
	if _, err := os.Stat(filepath.Join(dir, "validate.sh")); err != nil {
		return ""
	}
	return dir
}

// repoRoot returns the directory holding go.mod above the working
// directory (a test's working directory is its package's), or ".".
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}

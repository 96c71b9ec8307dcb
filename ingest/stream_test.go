package ingest_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/internal/testkg"
)

// outcome is everything a load shows: its error, report, warnings,
// rejects and the store's quads and loads after it.
type outcome struct {
	err      string
	files    []ingest.FileReport
	problems []string
	warnings []string
	rejects  string
	quads    []string
	loads    []string
}

func (o outcome) diff(p outcome) string {
	var b strings.Builder
	cmp := func(what string, a, b2 any) {
		if x, y := fmt.Sprint(a), fmt.Sprint(b2); x != y {
			fmt.Fprintf(&b, "%s:\n  Load:       %.2000s\n  LoadNQuads: %.2000s\n", what, x, y)
		}
	}
	cmp("error", o.err, p.err)
	cmp("files", o.files, p.files)
	cmp("problems", o.problems, p.problems)
	cmp("warnings", o.warnings, p.warnings)
	cmp("rejects", o.rejects, p.rejects)
	cmp("quads", len(o.quads), len(p.quads))
	if !slices.Equal(o.quads, p.quads) {
		b.WriteString("the stores differ\n")
	}
	cmp("loads", o.loads, p.loads)
	return b.String()
}

// runLoad loads the files (name -> content, written to dir) into a new
// store holding base first, by Load or by LoadNQuads, and returns what it
// shows.
func runLoad(t *testing.T, streamed bool, base string, names []string, files map[string]string, opt ingest.Options) outcome {
	t.Helper()
	dir := t.TempDir()
	s, err := graph.Open(t.Context(), graph.Options{Path: filepath.Join(dir, "db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if base != "" {
		if _, err := ingest.Load(t.Context(), s, []*ingest.File{ingest.Parse("base.nq", []byte(base))}, ingest.Options{}); err != nil {
			t.Fatalf("loading the base: %v", err)
		}
	}
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(files[n]), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var rejects bytes.Buffer
	opt.Rejects = &rejects
	var rep *ingest.Report
	if streamed {
		rep, err = ingest.LoadNQuads(t.Context(), s, paths, opt)
	} else {
		var fs []*ingest.File
		for _, p := range paths {
			data, _ := os.ReadFile(p)
			fs = append(fs, ingest.Parse(p, data))
		}
		rep, err = ingest.Load(t.Context(), s, fs, opt)
	}
	var o outcome
	if err != nil {
		o.err = strings.ReplaceAll(err.Error(), dir, "DIR")
	}
	if rep != nil {
		for _, f := range rep.Files {
			f.File = strings.ReplaceAll(f.File, dir, "DIR")
			o.files = append(o.files, f)
		}
		for _, p := range rep.Problems {
			o.problems = append(o.problems, strings.ReplaceAll(p.Error(), dir, "DIR"))
		}
		for _, w := range rep.Warnings {
			o.warnings = append(o.warnings, strings.ReplaceAll(w.Error(), dir, "DIR"))
		}
	}
	o.rejects = strings.ReplaceAll(rejects.String(), dir, "DIR")
	if err := s.Scan(t.Context(), func(q quad.Quad) error { o.quads = append(o.quads, q.NQuad()); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(o.quads)
	ls, err := s.Loads(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		var fs []string
		for _, f := range l.Files {
			fs = append(fs, filepath.Base(f.Name)+" "+f.SHA256+" "+f.Format)
		}
		o.loads = append(o.loads, fmt.Sprintf("%s added %d stated %d via %s %v", l.ID, l.Added, l.Quads, l.Via, fs))
	}
	return o
}

// nq writes quads as N-Quads text.
func nq(qs []quad.Quad) string {
	var b bytes.Buffer
	if err := testkg.WriteNQuads(&b, qs); err != nil {
		panic(err)
	}
	return b.String()
}

// TestLoadNQuadsMatchesLoad: the streamed load of N-Quads files shows
// exactly what Load shows for the same files (error, per-file report,
// problems, warnings, rejects, the store's quads and its load history),
// strict and with SkipInvalid, into an empty and a populated store, on
// valid inputs, hand-written problems of every kind of check, and inputs
// with random lines removed or broken (whose rejections cascade).
func TestLoadNQuadsMatchesLoad(t *testing.T) {
	valid := nq(testkg.Valid(3000, 600, 12, 3))
	other := nq(testkg.Valid(1500, 300, 12, 4)) // the same ids and sources, other facts
	head := "<source:s> <rdf:type> <tg:Source> <source:s> .\n<source:s> <tg:title> \"S\" <source:s> .\n<group:g> <rdf:type> <tg:Group> <source:s> .\n<attack:a> <rdf:type> <tg:Attack> <source:s> .\n<location:l> <rdf:type> <tg:Location> <source:s> .\n<location:m> <rdf:type> <tg:Location> <source:s> .\n"
	stmt := "source:s#e-" // completed below with a real hash
	_ = stmt
	cases := []struct {
		name  string
		base  string
		files map[string]string
	}{
		{"valid", "", map[string]string{"a.nq": valid}},
		{"valid, two files", "", map[string]string{"a.nq": valid, "b.nq": other}},
		{"valid into a populated store", valid, map[string]string{"b.nq": other}},
		{"again: nothing new", valid, map[string]string{"a.nq": valid}},
		{"blank lines and comments", "", map[string]string{"a.nq": "# a comment\n\n" + head + "\n  \n<group:g> <tg:name> \"G\" <source:s> .\n"}},
		{"syntax", "", map[string]string{"a.nq": head + "<group:g> <tg:name> \"G <source:s> .\n<group:g> <tg:alias> \"H\" <source:s> .\n"}},
		{"unknown predicate and kind", "", map[string]string{"a.nq": head + "<group:g> <tg:nmae> \"G\" <source:s> .\n<group:h> <rdf:type> <tg:Gruop> <source:s> .\n"}},
		{"dangling, wrong domain and range", "", map[string]string{"a.nq": head + "<attack:a> <tg:perpetratedBy> <group:ghost> <source:s> .\n<group:g> <tg:killed> \"3\"^^<http://www.w3.org/2001/XMLSchema#integer> <source:s> .\n<attack:a> <tg:perpetratedBy> <location:l> <source:s> .\n<group:g> <tg:name> \"G\" <source:nobody> .\n"}},
		{"kind conflicts", "", map[string]string{"a.nq": head + "<group:g> <rdf:type> <tg:Person> <source:s> .\n", "b.nq": "<attack:a> <rdf:type> <tg:Group> <source:s> .\n<group:g> <tg:name> \"G\" <source:s> .\n"}},
		{"kind conflict with the store", head, map[string]string{"a.nq": "<group:g> <rdf:type> <tg:Person> <source:s> .\n<group:g> <tg:name> \"G\" <source:s> .\n"}},
		{"cycle", "", map[string]string{"a.nq": head + "<location:l> <tg:partOf> <location:m> <source:s> .\n<location:m> <tg:partOf> <location:l> <source:s> .\n"}},
		{"cycle through the store", head + "<location:l> <tg:partOf> <location:m> <source:s> .\n", map[string]string{"a.nq": "<location:m> <tg:partOf> <location:l> <source:s> .\n"}},
		{"source attributes", "", map[string]string{"a.nq": head + "<source:s> <tg:title> \"T\" <source:s> .\n"}},
		{"source attributes against the store", head, map[string]string{"a.nq": "<source:s> <tg:title> \"T\" <source:s> .\n"}},
		{"names taken", head + "<group:g> <tg:name> \"Islamic State\" <source:s> .\n", map[string]string{"a.nq": "<group:h> <rdf:type> <tg:Group> <source:s> .\n<group:h> <tg:name> \"Islamic State\" <source:s> .\n<group:i> <rdf:type> <tg:Group> <source:s> .\n<group:i> <tg:alias> \"islamic state\" <source:s> .\n"}},
		{"derived key", "", map[string]string{"a.nq": head + "<group:g> <tg:key> \"g\" <source:s> .\n"}},
		{"statement without quote", "", map[string]string{"a.nq": head + "<group:g> <tg:description> \"d\" <source:s#e-12345678> .\n"}},
		{"empty file", "", map[string]string{"a.nq": "  \n", "b.nq": head}},
		{"no statements", "", map[string]string{"a.nq": "# only a comment\n", "b.nq": head}},
		{"NUL", "", map[string]string{"a.nq": head + "<group:g> <tg:name> \"G\x00\" <source:s> .\n", "b.nq": head}},
		{"not UTF-8", "", map[string]string{"a.nq": head + "<group:g> <tg:name> \"G\xff\" <source:s> .\n"}},
		{"no newline at the end", "", map[string]string{"a.nq": strings.TrimSuffix(head, "\n")}},
	}
	// Inputs with random lines removed or broken.
	lines := strings.SplitAfter(valid, "\n")
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 99))
		var b strings.Builder
		for _, l := range lines {
			switch r.IntN(60) {
			case 0:
				continue // removed: declarations missing leave references dangling
			case 1:
				b.WriteString(strings.Replace(l, "<", "", 1))
			default:
				b.WriteString(l)
			}
		}
		cases = append(cases, struct {
			name  string
			base  string
			files map[string]string
		}{fmt.Sprintf("broken %d", seed), "", map[string]string{"a.nq": b.String(), "b.nq": other}})
	}
	for _, c := range cases {
		names := make([]string, 0, len(c.files))
		for n := range c.files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, opt := range []ingest.Options{{}, {SkipInvalid: true}, {DryRun: true}, {SkipInvalid: true, DryRun: true}} {
			name := fmt.Sprintf("%s/skip=%v/dry=%v", c.name, opt.SkipInvalid, opt.DryRun)
			t.Run(name, func(t *testing.T) {
				o := runLoad(t, false, c.base, names, c.files, opt)
				p := runLoad(t, true, c.base, names, c.files, opt)
				if d := o.diff(p); d != "" {
					t.Errorf("the outcomes differ:\n%s", d)
				}
			})
		}
	}
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/schema"
)

// TestShowSearchEscapeControls: names and values with control or bidi
// characters already in a store (written before ingest refused them) are
// printed escaped by show and search, never raw to the terminal.
func TestShowSearchEscapeControls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tg.db")
	s, err := graph.Open(t.Context(), graph.Options{Backend: "bbolt", Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := quad.IRI("source:s")
	name := "Evil\x1b[2J\u202eKcorp"
	_, err = s.Write(t.Context(), []quad.Quad{
		quad.Make(src, quad.IRI(schema.TypeIRI), quad.IRI("tg:Source"), src),
		quad.Make(quad.IRI("group:evil"), quad.IRI(schema.TypeIRI), quad.IRI("tg:Group"), src),
		quad.Make(quad.IRI("group:evil"), quad.IRI("tg:name"), quad.String(name), src),
		quad.Make(quad.IRI("group:evil"), quad.IRI("tg:description"), quad.String("line\r\u009bmore"), src),
		quad.Make(quad.IRI("group:evil"), quad.IRI(schema.KeyIRI), quad.String(schema.NameKey(name)), src),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "show", "--store", path, "group:evil")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Evil\x1b[2J\u202eKcorp  (Group, group:evil)`, `line\r\u009bmore`} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
	sout, _, err := runCLI(t, "search", "--store", path, "evil")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sout, `Evil\x1b[2J\u202eKcorp`) {
		t.Errorf("search output lacks the escaped name:\n%s", sout)
	}
	jout, _, err := runCLI(t, "show", "--store", path, "--format", "json", "group:evil")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(jout, `Evil\u001b[2J\u202eKcorp`) {
		t.Errorf("show --format json lacks the escaped name:\n%s", jout)
	}
	for _, o := range []string{out, sout, jout} {
		if strings.ContainsAny(o, "\x1b\r\u202e\u009b") {
			t.Errorf("output holds a raw control character: %q", o)
		}
	}
}

// TestIngestCapsProblems: a file with many bad records prints the first
// problems and how many more, not thousands of lines.
func TestIngestCapsProblems(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("sources:\n  - id: source:s\n    publisher: S\nentities:\n")
	for i := range 120 {
		fmt.Fprintf(&b, "  - id: attack:a%d\n    kind: Attack\n    source: source:s\n    killed: -1\n", i)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCLI(t, "ingest", "--store", filepath.Join(dir, "db"), bad)
	if err == nil {
		t.Fatal("ingest of a bad file succeeded")
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != maxProblems+1 || !strings.Contains(lines[maxProblems], "… and 70 more problems (all of them: --format json)") {
		t.Errorf("stderr has %d lines, ending %q; want %d problems and a count of the rest", len(lines), lines[len(lines)-1], maxProblems)
	}
	if !strings.Contains(err.Error(), "120 problems") {
		t.Errorf("error %q should count every problem", err)
	}
	_, stderr, _ = runCLI(t, "ingest", "--store", filepath.Join(dir, "db"), "--format", "json", bad)
	if n := strings.Count(stderr, "is negative"); n != 120 {
		t.Errorf("--format json printed %d problems; want all 120", n)
	}
}

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/testkg"
)

// nameLines counts, in an N-Quads file, the distinct lines that give a
// name or an alias (each of which ingest gives a lookup key), reading the
// text itself.
func nameLines(t *testing.T, name string) (names int) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' || seen[l] {
			continue
		}
		seen[l] = true
		if f := strings.Fields(l); len(f) > 1 && (f[1] == "<tg:name>" || f[1] == "<tg:alias>") {
			names++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// TestIngestStreamedCounts ingests two generated N-Quads files through the
// CLI (the streamed load), the second into the store the first made, and
// checks the store against counts taken from the files' text: every
// distinct line is a quad, plus at most one key per name or alias line;
// ingesting the first file again adds nothing and is recorded.
func TestIngestStreamedCounts(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.nq"), filepath.Join(dir, "b.nq")
	for i, name := range []string{a, b} {
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := testkg.WriteNQuads(f, testkg.Valid(60_000, 12_000, 40, uint64(i+1))); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	store := filepath.Join(dir, "db")
	cli(t, "ingest", "--store", store, a)
	cli(t, "ingest", "--store", store, b)
	out := cli(t, "ingest", "--store", store, a)
	if !strings.Contains(out, "nothing new") {
		t.Errorf("ingesting a again: %s; want nothing new", out)
	}
	s, err := graph.Open(t.Context(), graph.Options{Path: store, MustExist: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	facts, keys := map[string]bool{}, 0
	if err := s.Scan(t.Context(), func(q quad.Quad) error {
		if p, _ := q.Predicate.(quad.IRI); p == "tg:key" {
			keys++
		} else {
			facts[q.NQuad()] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The lines of both files, as a set: the same line in both is one quad.
	lines := map[string]bool{}
	names := 0
	for _, name := range []string{a, b} {
		names += nameLines(t, name)
		data, _ := os.ReadFile(name)
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines[l] = true
			}
		}
	}
	if len(facts) != len(lines) {
		t.Errorf("the store holds %d quads besides keys; the files have %d distinct lines", len(facts), len(lines))
	}
	if keys == 0 || keys > names {
		t.Errorf("%d keys for %d name and alias lines; want 1 to %d", keys, names, names)
	}
	ls, err := s.Loads(t.Context())
	if err != nil || len(ls) != 3 || ls[2].Added != 0 || ls[2].Quads == 0 {
		t.Errorf("loads %+v, %v; want 3, the last adding nothing", ls, err)
	}
}

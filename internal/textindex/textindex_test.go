package textindex_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/builtin"
	"github.com/threatgraph/threatgraph/internal/textindex"
	"github.com/threatgraph/threatgraph/query"
)

const (
	crocus = "attack:2024-03-22-crocus-city-hall"
	bbc    = "source:bbc-2024-03-25-gardner"
)

// demoStore loads the built-in dataset into a new bolt store and returns it
// with its directory.
func demoStore(t *testing.T) (*graph.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	s, err := graph.Open(t.Context(), graph.Options{Path: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	files, err := builtin.Files()
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*ingest.File
	for _, f := range files {
		parsed = append(parsed, ingest.Parse(f.Name, f.Data))
	}
	if _, err := ingest.Load(t.Context(), s, parsed, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func reader(s query.Store, dir string) *query.Reader {
	return query.NewReader(s, query.ReaderOptions{Dir: dir, TextIndex: textindex.Opener})
}

// TestHitTeamQuote: "hit team" is in no name, only in a BBC statement about
// the Crocus attack; the search finds its quote with the source and the
// statement, from the index kept beside the store.
func TestHitTeamQuote(t *testing.T) {
	s, dir := demoStore(t)
	rs, err := reader(s, dir).SearchAll(t.Context(), "hit team", 10)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(rs, func(r query.SearchResult) bool { return r.TextHit != nil && r.Field == query.FieldQuote })
	if i < 0 {
		t.Fatalf("search \"hit team\": %+v; want the BBC's quote", rs)
	}
	h := rs[i]
	if h.ID != crocus || h.Kind != "Attack" || h.Name != "Crocus City Hall attack" || h.Source != bbc ||
		!strings.HasPrefix(h.Statement, bbc+"#e-") || !strings.Contains(h.Text, `"hit team" sent by IS-K`) || h.Score <= 0 {
		t.Errorf("quote hit %+v %+v; want %s's BBC statement with its words", h.Match, *h.TextHit, crocus)
	}
	if _, err := os.Stat(filepath.Join(dir, textindex.Name, "stamp")); err != nil {
		t.Errorf("no index kept beside the store: %v", err)
	}
	for _, r := range rs {
		if r.TextHit == nil {
			t.Errorf("name match %+v for \"hit team\"; want none", r.Match)
		}
	}
}

// TestStaleStampRebuilds: after a load, a new Reader's stamp differs from
// the index's, which is rebuilt and finds the new text.
func TestStaleStampRebuilds(t *testing.T) {
	s, dir := demoStore(t)
	const word = "zebrafinch"
	if rs, err := reader(s, dir).TextSearch(t.Context(), word, 0, nil); err != nil || len(rs) != 0 {
		t.Fatalf("before the load: %+v, %v; want no hit", rs, err)
	}
	more := `format: threatgraph/1
sources:
  - id: source:extra
    publisher: Extra
entities:
  - id: group:extra
    kind: Group
    name: Extra Group
    source: source:extra
    facts:
      - source: source:extra
        quote: "a cell nicknamed the zebrafinch network"
        description: "known as the zebrafinch network"
`
	if _, err := ingest.Load(t.Context(), s, []*ingest.File{ingest.Parse("more.yaml", []byte(more))}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	rs, err := reader(s, dir).TextSearch(t.Context(), word, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, r := range rs {
		if r.ID != "group:extra" || r.Source != "source:extra" {
			t.Errorf("hit %+v %+v; want group:extra by source:extra", r.Match, *r.TextHit)
		}
		fields = append(fields, r.Field)
	}
	slices.Sort(fields)
	if !slices.Equal(fields, []string{query.FieldDescription, query.FieldQuote}) {
		t.Errorf("after the load, %q found in %v; want the new description and quote", word, fields)
	}

	// Retracting the load, and undoing it, move the store's generation, which
	// the stamp follows: the index is
	// rebuilt without the retracted text, and again after the undo.
	loads, err := s.Loads(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Retract(t.Context(), loads[len(loads)-1].ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := reader(s, dir).TextSearch(t.Context(), word, 0, nil); err != nil || len(rs) != 0 {
		t.Errorf("after retracting the load: %+v, %v; want no hit", rs, err)
	}
	if _, err := s.Undo(t.Context(), r.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if rs, err := reader(s, dir).TextSearch(t.Context(), word, 0, nil); err != nil || len(rs) != 2 {
		t.Errorf("after the undo: %+v, %v; want the two hits again", rs, err)
	}
}

// docsOf gives fixed docs, counting the builds that read them.
func docsOf(builds *int, texts ...string) textindex.Docs {
	return func(ctx context.Context, fn func(query.TextDoc) error) error {
		*builds++
		for i, t := range texts {
			if err := fn(query.TextDoc{Entity: "group:g" + string(rune('a'+i)), Field: query.FieldDescription, Text: t, Source: "source:s"}); err != nil {
				return err
			}
		}
		return nil
	}
}

func texts(t *testing.T, ix *textindex.Index, q string) []string {
	t.Helper()
	hs, err := ix.Search(t.Context(), q, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, h := range hs {
		out = append(out, h.Text)
	}
	slices.Sort(out)
	return out
}

func open(t *testing.T, dir, stamp string, docs textindex.Docs) *textindex.Index {
	t.Helper()
	ix, err := textindex.Open(t.Context(), dir, stamp, docs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// TestStampKept: the same stamp opens the kept index without reading the
// docs; another stamp rebuilds it.
func TestStampKept(t *testing.T) {
	dir := t.TempDir()
	builds := 0
	open(t, dir, "quads=1", docsOf(&builds, "old plot"))
	if got := texts(t, open(t, dir, "quads=1", docsOf(&builds, "new plot")), "plot"); !slices.Equal(got, []string{"old plot"}) || builds != 1 {
		t.Errorf("same stamp: %v after %d builds; want the kept index (old plot) after 1", got, builds)
	}
	if got := texts(t, open(t, dir, "quads=2", docsOf(&builds, "new plot")), "plot"); !slices.Equal(got, []string{"new plot"}) || builds != 2 {
		t.Errorf("another stamp: %v after %d builds; want a rebuild (new plot)", got, builds)
	}
}

// TestHalfWrittenRebuilt: what a build killed before its end leaves is
// never used: an index without its stamp is rebuilt, a temporary directory
// whose builder is gone is removed, and an index moved aside is not read.
func TestHalfWrittenRebuilt(t *testing.T) {
	dir := t.TempDir()
	builds := 0
	open(t, dir, "quads=1", docsOf(&builds, "stale plot"))
	// A stamp missing (the index directory half written).
	if err := os.Remove(filepath.Join(dir, textindex.Name, "stamp")); err != nil {
		t.Fatal(err)
	}
	if got := texts(t, open(t, dir, "quads=1", docsOf(&builds, "fresh plot")), "plot"); !slices.Equal(got, []string{"fresh plot"}) {
		t.Errorf("index without a stamp: %v; want it rebuilt (fresh plot)", got)
	}
	// A killed build's temporary directory, stamped and all, and an old
	// index moved aside while no new one was in place.
	tmp := filepath.Join(dir, textindex.Name+".tmp-killed")
	aside := filepath.Join(dir, textindex.Name+".old-killed", textindex.Name)
	for _, d := range []string{tmp, aside} {
		if err := os.CopyFS(d, os.DirFS(filepath.Join(dir, textindex.Name))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, textindex.Name)); err != nil {
		t.Fatal(err)
	}
	n := builds
	if got := texts(t, open(t, dir, "quads=1", docsOf(&builds, "rebuilt plot")), "plot"); !slices.Equal(got, []string{"rebuilt plot"}) || builds != n+1 {
		t.Errorf("no index in place, leftovers beside it: %v; want a rebuild (rebuilt plot)", got)
	}
	for _, d := range []string{tmp, filepath.Dir(aside)} {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left behind (%v); want it removed", filepath.Base(d), err)
		}
	}
}

// TestReadOnlyDir: a directory that cannot be written gets an index in
// memory, and an error saying why it was not kept.
func TestReadOnlyDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	want := fs.ErrPermission
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		// Root writes anyway: a path under a regular file cannot be
		// written by anyone.
		f.Close()
		dir, want = f.Name(), nil
	}
	builds := 0
	ix, err := textindex.Open(t.Context(), dir, "quads=1", docsOf(&builds, "memory plot"))
	if ix == nil || err == nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("Open in a directory that cannot be written: %v, %v; want an index and an error (%v)", ix, err, want)
	}
	defer ix.Close()
	if got := texts(t, ix, "plot"); !slices.Equal(got, []string{"memory plot"}) {
		t.Errorf("in-memory index: %v", got)
	}
}

// TestNoText: a store with no text (an empty store, or one as of before its
// first load) gets an empty index, kept with its stamp, and then the text
// of the next stamp.
func TestNoText(t *testing.T) {
	dir := t.TempDir()
	builds := 0
	if got := texts(t, open(t, dir, "quads=0", docsOf(&builds)), "plot"); len(got) != 0 {
		t.Errorf("no text: %v; want no hits", got)
	}
	if got := texts(t, open(t, dir, "quads=0", docsOf(&builds, "a plot")), "plot"); len(got) != 0 || builds != 1 {
		t.Errorf("the empty index was not kept: %v after %d builds", got, builds)
	}
	if got := texts(t, open(t, dir, "quads=1", docsOf(&builds, "a plot")), "plot"); !slices.Equal(got, []string{"a plot"}) {
		t.Errorf("after a load: %v; want [a plot]", got)
	}
}

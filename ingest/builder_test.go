package ingest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// nativeTwin is a native file stating what TestBuilderEqualsNative builds.
const nativeTwin = `sources:
  - id: source:table
    publisher: A table
entities:
  - id: location:kabul
    kind: Location
    name: Kabul
    source: source:table
    facts:
      - placeType: city
        lat: 34.5
        lon: 69.2
  - id: group:x
    kind: Group
    name: Group X
    source: source:table
    facts:
      - alias: [GX]
  - id: attack:1
    kind: Attack
    name: Attack 1
    source: source:table
    facts:
      - date: March 2024
        killed: at least 12
        locatedIn: location:kabul
      - quote: "Group X carried it out, the paper said."
        perpetratedBy: group:x
      - quote: "Group X carried it out, the paper said."
        negated: true
        perpetratedBy: group:y
  - id: group:y
    kind: Group
    name: Group Y
    source: source:table
`

// TestBuilderEqualsNative: the facts an importer states through a Builder
// land as the same quads as a native file stating them, on the real store.
func TestBuilderEqualsNative(t *testing.T) {
	b := ingest.NewBuilder("t.csv", "table", []byte("rows"))
	r := b.Record(2, "row 2")
	r.Declare(2, "source", "source:table", schema.Source, "source:table")
	r.Fact(2, "source", "source:table", schema.Source, "publisher", "A table", "source:table")
	r.Declare(2, "city", "location:kabul", schema.Location, "source:table")
	r.Fact(2, "city", "location:kabul", schema.Location, "name", "Kabul", "source:table")
	r.Fact(2, "city", "location:kabul", "", "placeType", "city", "source:table")
	r.Value(2, "latitude", "location:kabul", schema.Location, "lat", quad.Float(34.5), "source:table")
	r.Fact(2, "longitude", "location:kabul", schema.Location, "lon", "69.2", "source:table")
	for _, g := range []struct{ id, name string }{{"group:x", "Group X"}, {"group:y", "Group Y"}} {
		r.Declare(2, "gname", g.id, schema.Group, "source:table")
		r.Fact(2, "gname", g.id, schema.Group, "name", g.name, "source:table")
	}
	r.Fact(2, "alias", "group:x", schema.Group, "alias", "GX", "source:table")
	r.Declare(2, "eventid", "attack:1", schema.Attack, "source:table")
	r.Fact(2, "eventid", "attack:1", schema.Attack, "name", "Attack 1", "source:table")
	r.Fact(2, "date", "attack:1", schema.Attack, "date", "March 2024", "source:table")
	q, err := schema.ParseQuantity("at least 12")
	if err != nil {
		t.Fatal(err)
	}
	r.Count(2, "nkill", "attack:1", schema.Attack, "killed", q, "source:table")
	r.Fact(2, "city", "attack:1", schema.Attack, "locatedIn", "location:kabul", "source:table")
	st := r.Statement("source:table", "Group X carried it out, the paper said.")
	r.Fact(2, "gname", "attack:1", schema.Attack, "perpetratedBy", "group:x", st)
	r.Negate(2, "gname2", "attack:1", schema.Attack, "perpetratedBy", "group:y", st)
	f := b.File()
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatalf("builder errors: %v", errs)
	}
	built, native := openStore(t), openStore(t)
	if _, err := ingest.Load(t.Context(), built, []*ingest.File{f}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := load(t, native, ingest.Options{}, map[string]string{"t.yaml": nativeTwin}); err != nil {
		t.Fatal(err)
	}
	got, want := allQuads(t, built), allQuads(t, native)
	if !slices.Equal(got, want) {
		t.Errorf("the builder's quads differ from the native file's:\n got %d: %s\nwant %d: %s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
}

// TestBuilderErrors: an importer's problems name its own positions (the
// row and column it gives), and a strict load of them writes nothing.
func TestBuilderErrors(t *testing.T) {
	b := ingest.NewBuilder("t.csv", "table", []byte("rows"))
	r := b.Record(1, "row 1")
	r.Declare(1, "dbsource", "source:t", schema.Source, "source:t")
	r.Declare(1, "eventid", "attack:1", schema.Attack, "source:t")
	r.Fact(1, "nkill", "attack:1", schema.Attack, "killed", "lots and lots", "source:t")
	r.Fact(1, "imonth", "attack:1", schema.Attack, "date", "2024-13", "source:t")
	r.Fact(1, "country", "attack:1", schema.Attack, "activeIn", "location:x", "source:t")
	r2 := b.Record(3, "row 3")
	r2.Declare(3, "eventid", "attack:2", schema.Attack, "source:t")
	r2.Fact(3, "gname", "attack:2", schema.Attack, "perpetratedBy", "group:nobody", "source:t")
	f := b.File()
	var lines []string
	for _, e := range f.Errors() {
		lines = append(lines, e.Error())
	}
	for _, want := range []string{"t.csv:1: nkill: ", "t.csv:1: imonth: ", "t.csv:1: country: activeIn does not apply to a Attack"} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("no error beginning %q in:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	s := openStore(t)
	_, err := ingest.Load(t.Context(), s, []*ingest.File{f}, ingest.Options{})
	var problems schema.Errors
	if !errors.As(err, &problems) {
		t.Fatalf("load: %v (%T); want the problems", err, err)
	}
	if !strings.Contains(err.Error(), "t.csv:3: gname: ") || !strings.Contains(err.Error(), "group:nobody") {
		t.Errorf("load error %q; want the dangling reference at t.csv:3: gname", err)
	}
	if n := count(t, s); n != 0 {
		t.Errorf("%d quads written by a strict load with errors; want none", n)
	}
	if empty := ingest.NewBuilder("e.csv", "table", nil).File(); len(empty.FileErrs) != 1 {
		t.Errorf("an importer's file with no records: %v; want one file error", empty.FileErrs)
	}
}

func allQuads(t *testing.T, s *graph.Store) []string {
	t.Helper()
	var out []string
	err := s.Scan(context.Background(), func(q quad.Quad) error {
		out = append(out, q.String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

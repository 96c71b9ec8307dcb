package graph_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cayleygraph/quad"
	bolt "go.etcd.io/bbolt"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/schema"
)

func openAt(t *testing.T, dir string) *graph.Store {
	t.Helper()
	s, err := graph.Open(t.Context(), graph.Options{Path: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// visible returns the quads Scan gives, printed and sorted, checking that
// Count and the subject index agree with it.
func visible(t *testing.T, s reads) []string {
	t.Helper()
	ctx := t.Context()
	var out []string
	if err := s.Scan(ctx, func(q quad.Quad) error { out = append(out, q.String()); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	if n, err := s.Count(ctx); err != nil || n != int64(len(out)) {
		t.Errorf("Count = %d, %v; Scan gives %d", n, err, len(out))
	}
	var bySubject []string
	for _, subj := range []string{"group:x", "attack:y"} {
		if err := s.Quads(ctx, quad.Subject, quad.IRI(subj), func(q quad.Quad) error { bySubject = append(bySubject, q.String()); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(bySubject)
	if !slices.Equal(bySubject, out) {
		t.Errorf("Quads by subject = %v; Scan = %v", bySubject, out)
	}
	return out
}

// reads is what visible reads: a Store or a Past.
type reads interface {
	Scan(ctx context.Context, fn func(quad.Quad) error) error
	Quads(ctx context.Context, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error
	Count(ctx context.Context) (int64, error)
}

func strs(qs []quad.Quad) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.String())
	}
	slices.Sort(out)
	return out
}

func gen(t *testing.T, s *graph.Store) uint64 {
	t.Helper()
	g, err := s.Generation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRetractLoads(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "db")
	s := openAt(t, dir)
	all := quads()
	a, b := all[:3], all[2:] // all[2] is stated by both loads
	if _, err := s.Write(schema.WithLoad(ctx, schema.LoadInfo{Via: "test", Files: []schema.LoadFile{{Name: "a.nq", SHA256: "00", Format: "nquads"}}}), a); err != nil {
		t.Fatal(err)
	}
	g1 := gen(t, s)
	if n, err := s.Write(ctx, b); err != nil || n != 2 {
		t.Fatalf("load b added %d, %v; want 2", n, err)
	}
	g2 := gen(t, s)
	if g2 == g1 {
		t.Error("a load did not move the generation on")
	}
	r, err := s.Retract(ctx, "load:2", "wrong file")
	if err != nil {
		t.Fatal(err)
	}
	if g := gen(t, s); g == g2 {
		t.Error("a retraction did not move the generation on")
	}
	if got := visible(t, s); !slices.Equal(got, strs(a)) {
		t.Errorf("after retracting load:2: %v; want load:1's %v", got, strs(a))
	}
	s.Close()

	s = openAt(t, dir)
	defer s.Close()
	if got := visible(t, s); !slices.Equal(got, strs(a)) {
		t.Errorf("reopened: %v; want %v", got, strs(a))
	}
	if _, err := s.Retract(ctx, "load:1", "also wrong"); err != nil {
		t.Fatal(err)
	}
	if got := visible(t, s); len(got) != 0 {
		t.Errorf("both loads retracted: %v; want nothing", got)
	}
	if _, err := s.Undo(ctx, r.ID, "it was right"); err != nil {
		t.Fatal(err)
	}
	if got := visible(t, s); !slices.Equal(got, strs(b)) {
		t.Errorf("load:1 retracted, load:2 back: %v; want %v", got, strs(b))
	}
	loads, err := s.Loads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(loads) != 2 || loads[0].ID != "load:1" || loads[0].Files[0].Name != "a.nq" || loads[0].Added != 3 || loads[0].Quads != 3 ||
		loads[1].Added != 2 || loads[1].Quads != 3 || loads[0].Retracted != "retraction:2" || loads[1].Retracted != "" {
		t.Errorf("Loads = %+v", loads)
	}
	var he *graph.HistoryError
	if _, err := s.Undo(ctx, r.ID, "twice"); !errors.As(err, &he) {
		t.Errorf("undoing twice: %v; want a *HistoryError", err)
	}
}

func TestRetractSource(t *testing.T) {
	ctx := t.Context()
	s := openAt(t, filepath.Join(t.TempDir(), "db"))
	defer s.Close()
	decl := quad.Make(quad.IRI("source:b"), quad.IRI(schema.TypeIRI), quad.IRI("tg:Source"), quad.IRI("source:b"))
	stmt := quad.Make(quad.IRI("group:x"), quad.IRI("tg:alias"), quad.String("Y"), quad.IRI("source:a#e-1"))
	in := append(quads(), decl, stmt)
	if _, err := s.Write(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retract(ctx, "source:b", "made up"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retract(ctx, "source:a#e-1", "misquoted"); err != nil {
		t.Fatal(err)
	}
	want := strs(quads()[:4])
	var got []string
	if err := s.Scan(ctx, func(q quad.Quad) error { got = append(got, q.String()); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("after retracting source:b and a statement of source:a: %v; want %v", got, want)
	}
	if n, _ := s.Count(ctx); n != 4 {
		t.Errorf("Count = %d; want 4", n)
	}
}

// TestHistoryBeforeHistory: a store written before the history (no tg.
// buckets) keeps its quads as load:0 once a load is recorded; retracting
// the later load that restates one of them leaves it.
func TestHistoryBeforeHistory(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "db")
	s := openAt(t, dir)
	old := quads()[:3]
	if _, err := s.Write(ctx, old); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(filepath.Join(dir, "indexes.bolt"), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{"tg.meta", "tg.loads", "tg.stated", "tg.retractions"} {
			if err := tx.DeleteBucket([]byte(b)); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
				return fmt.Errorf("%s: %w", b, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s = openAt(t, dir)
	defer s.Close()
	if l, err := s.Loads(ctx); err != nil || len(l) != 0 {
		t.Fatalf("a store before the history lists %v, %v", l, err)
	}
	if _, err := s.Write(ctx, quads()[2:]); err != nil {
		t.Fatal(err)
	}
	loads, err := s.Loads(ctx)
	if err != nil || len(loads) != 2 || loads[0].ID != "load:0" || loads[0].Quads != 3 || loads[1].ID != "load:1" {
		t.Fatalf("Loads = %+v, %v; want load:0 of 3 quads, then load:1", loads, err)
	}
	if _, err := s.Retract(ctx, "load:1", "x"); err != nil {
		t.Fatal(err)
	}
	if got := visible(t, s); !slices.Equal(got, strs(old)) {
		t.Errorf("%v; want the quads before the history %v", got, strs(old))
	}
}

// TestHistoryBulk: the first large load into an empty store (the bulk
// path) is recorded in the same file.
func TestHistoryBulk(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "db"))
	defer s.Close()
	var in []quad.Quad
	for i := range 60_000 {
		in = append(in, quad.Make(quad.IRI(fmt.Sprintf("group:g%d", i)), quad.IRI("tg:name"), quad.String("G"), quad.IRI("source:a")))
	}
	if _, err := s.Write(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, quads()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retract(ctx, "load:1", "x"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Count(ctx); err != nil || n != int64(len(quads())) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(quads()))
	}
}

func TestHistoryOtherBackends(t *testing.T) {
	s, err := graph.Open(t.Context(), graph.Options{Backend: "memstore"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Retract(t.Context(), "load:1", "x"); !errors.Is(err, graph.ErrNoHistory) {
		t.Errorf("memstore Retract: %v; want ErrNoHistory", err)
	}
}

package graph_test

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	cgraph "github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
)

// readAll returns every quad of a store as sorted N-Quads lines.
func readAll(t *testing.T, qs cgraph.QuadStore) []string {
	t.Helper()
	ctx := context.Background()
	it := qs.QuadsAllIterator().Iterate()
	defer it.Close()
	var out []string
	for it.Next(ctx) {
		q, err := qs.Quad(it.Result())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, q.NQuad())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestBulkMatchesCayley loads the same quads (with duplicates) into one
// empty bbolt store through the bulk path and into another through cayley's
// own write path (batches below the bulk threshold), then checks that cayley
// reads the same quads back from both, that index lookups agree, and that
// re-adding everything to the bulk-loaded store adds nothing.
func TestBulkMatchesCayley(t *testing.T) {
	in := synthetic(60_000)
	in = append(in, in[:500]...) // duplicates are dropped
	ctx := t.Context()
	bulk, err := graph.Open(ctx, graph.Options{Backend: "bbolt", Path: filepath.Join(t.TempDir(), "bulk")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bulk.Close()
	added, err := bulk.Write(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := graph.Open(ctx, graph.Options{Backend: "bbolt", Path: filepath.Join(t.TempDir(), "slow")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slowAdded := 0
	for i := 0; i < len(in); i += 10_000 {
		n, err := slow.Write(ctx, in[i:min(i+10_000, len(in))])
		if err != nil {
			t.Fatal(err)
		}
		slowAdded += n
	}
	if added != slowAdded || added != 60_000 {
		t.Errorf("bulk added %d, cayley path %d; want 60000 each", added, slowAdded)
	}
	a, b := readAll(t, bulk.QuadStore()), readAll(t, slow.QuadStore())
	if len(a) != len(b) {
		t.Fatalf("bulk store holds %d quads, cayley's %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("quad %d differs:\nbulk:   %s\ncayley: %s", i, a[i], b[i])
		}
	}
	// Index lookups: the out- and in-edges of some entities.
	for _, v := range []quad.Value{quad.IRI("Group:e0"), quad.IRI("Location:e3"), quad.String("Entity 42"), quad.IRI("source:s7")} {
		for _, d := range []quad.Direction{quad.Subject, quad.Object, quad.Label} {
			if x, y := countDir(t, bulk.QuadStore(), d, v), countDir(t, slow.QuadStore(), d, v); x != y {
				t.Errorf("%v as %v: bulk %d quads, cayley %d", v, d, x, y)
			}
		}
	}
	if n := countDir(t, bulk.QuadStore(), quad.Subject, quad.IRI("Group:e0")); n < 2 {
		t.Errorf("Group:e0 has %d out-quads in the bulk store; want its type, name and relations", n)
	}
	// Re-ingest through cayley's path adds nothing.
	n, err := bulk.Write(ctx, in[:20_000])
	if err != nil || n != 0 {
		t.Errorf("re-adding to the bulk store: %d, %v; want 0", n, err)
	}
}

func countDir(t *testing.T, qs cgraph.QuadStore, d quad.Direction, v quad.Value) int {
	t.Helper()
	ref, err := qs.ValueOf(v)
	if err != nil || ref == nil {
		return 0
	}
	it := qs.QuadIterator(d, ref).Iterate()
	defer it.Close()
	n := 0
	for it.Next(context.Background()) {
		n++
	}
	return n
}

// TestScanMatchesCayley: the direct scan of a bbolt store yields exactly the
// quads cayley's iterator does, after a bulk load and incremental writes.
func TestScanMatchesCayley(t *testing.T) {
	ctx := t.Context()
	s, err := graph.Open(ctx, graph.Options{Path: filepath.Join(t.TempDir(), "db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := synthetic(70_000)
	if _, err := s.Write(ctx, in[:60_000]); err != nil { // bulk path
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, in[55_000:]); err != nil { // cayley's path, overlapping
		t.Fatal(err)
	}
	want := readAll(t, s.QuadStore())
	var got []string
	if err := s.Scan(ctx, func(q quad.Quad) error { got = append(got, q.NQuad()); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if len(got) != len(want) {
		t.Fatalf("Scan gave %d quads, cayley %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("quad %d: scan %s, cayley %s", i, got[i], want[i])
		}
	}
}

// TestOutMatchesCayley: Out and In read the same quads as cayley's subject
// and object indexes, for entities written by the bulk path and by cayley's.
func TestOutMatchesCayley(t *testing.T) {
	ctx := t.Context()
	s, err := graph.Open(ctx, graph.Options{Path: filepath.Join(t.TempDir(), "db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := synthetic(70_000)
	if _, err := s.Write(ctx, in[:60_000]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, in[55_000:]); err != nil {
		t.Fatal(err)
	}
	or := s
	qs := s.QuadStore()
	total := 0
	defer func() {
		if total < 10 {
			t.Errorf("Out read %d quads in all; the sample should have more", total)
		}
	}()
	for _, v := range []quad.Value{quad.IRI("Group:e0"), quad.IRI("Attack:e4"), quad.IRI("Location:e6999"), quad.IRI("Person:e6001"), quad.IRI("nobody:x"), quad.String("Entity 3"), quad.IRI("tg:Group")} {
		for _, d := range []quad.Direction{quad.Subject, quad.Object} {
			read := or.Out
			if d == quad.Object {
				read = or.In
			}
			var got, want []string
			if err := read(ctx, v, func(q quad.Quad) error { got = append(got, q.NQuad()); return nil }); err != nil {
				t.Fatal(err)
			}
			if ref, _ := qs.ValueOf(v); ref != nil {
				it := qs.QuadIterator(d, ref).Iterate()
				for it.Next(ctx) {
					q, _ := qs.Quad(it.Result())
					want = append(want, q.NQuad())
				}
				it.Close()
			}
			total += len(got)
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%v as %v: %d quads, cayley %d\n%v\n%v", v, d, len(got), len(want), got, want)
			}
		}
	}
}

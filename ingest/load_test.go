package ingest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
)

// failingTarget writes through to a real store, except that a write that
// contains a quad naming fail is refused (the disk filled up while writing
// that file's part).
type failingTarget struct {
	*graph.Store
	fail   string
	writes int
}

func (f *failingTarget) Write(ctx context.Context, qs []quad.Quad) (int, error) {
	f.writes++
	for _, q := range qs {
		if strings.Contains(q.Subject.String(), f.fail) {
			return 0, errors.New("disk full")
		}
	}
	return f.Store.Write(ctx, qs)
}

// TestLoadIsOneTransaction: a load of several files is written in one
// transaction, so when writing fails nothing of any file lands (before, the
// first file landed on its own and could name entities of the second that
// never arrived), and the error says so and is typed.
func TestLoadIsOneTransaction(t *testing.T) {
	s := openStore(t)
	ft := &failingTarget{Store: s, fail: "group:b"}
	files := []*ingest.File{
		ingest.Parse("1.yaml", []byte("sources:\n  - id: source:a\n    publisher: A\nentities:\n  - id: attack:x\n    kind: Attack\n    name: X\n    source: source:a\n    facts:\n      - perpetratedBy: group:b\n")),
		ingest.Parse("2.yaml", []byte("entities:\n  - id: group:b\n    kind: Group\n    name: B\n    source: source:a\n")),
	}
	_, err := ingest.Load(t.Context(), ft, files, ingest.Options{})
	var we *ingest.WriteError
	if !errors.As(err, &we) {
		t.Fatalf("error %v (%T); want an *ingest.WriteError", err, err)
	}
	if !strings.Contains(err.Error(), "nothing was written") || !strings.Contains(err.Error(), "1.yaml, 2.yaml") || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error %q; want it to say nothing of 1.yaml, 2.yaml was written, and why", err)
	}
	if n := count(t, s); n != 0 {
		t.Errorf("%d quads landed after a failed load; want none", n)
	}
	if ft.writes != 1 {
		t.Errorf("%d writes for one load; want 1", ft.writes)
	}
	// The same load, without the failure, lands whole.
	rep, err := ingest.Load(t.Context(), s, files, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s); n == 0 || int64(rep.Totals().Added) != n {
		t.Errorf("store holds %d quads, report says %d added", n, rep.Totals().Added)
	}
}

// TestLoadCountsNewQuadsPerFile: with one write for the whole load, each
// file's "added" still counts that file's quads that were not in the store
// before (a quad in two files counts for the first), and the totals equal
// the store's growth.
func TestLoadCountsNewQuadsPerFile(t *testing.T) {
	s := openStore(t)
	a := "sources:\n  - id: source:a\n    publisher: A\n"
	b := "sources:\n  - id: source:b\n    publisher: B\n"
	if _, err := ingest.Load(t.Context(), s, []*ingest.File{ingest.Parse("a.yaml", []byte(a))}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	before := count(t, s)
	rep, err := ingest.Load(t.Context(), s, []*ingest.File{
		ingest.Parse("a-again.yaml", []byte(a)),
		ingest.Parse("b.yaml", []byte(b)),
		ingest.Parse("b-again.yaml", []byte(b)),
	}, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	grew := count(t, s) - before
	if grew == 0 {
		t.Fatal("b.yaml added nothing")
	}
	got := []int{rep.Files[0].Added, rep.Files[1].Added, rep.Files[2].Added}
	if got[0] != 0 || int64(got[1]) != grew || got[2] != 0 {
		t.Errorf("added per file %v; want [0 %d 0]", got, grew)
	}
	if rep.Files[2].Quads != rep.Files[1].Quads {
		t.Errorf("b-again.yaml has %d quads, b.yaml %d; want equal", rep.Files[2].Quads, rep.Files[1].Quads)
	}
}

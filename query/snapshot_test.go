package query

import (
	"context"
	"encoding/gob"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cayleygraph/quad"
)

// sliceStore is a Store of quads in memory.
type sliceStore []quad.Quad

func (s sliceStore) Scan(ctx context.Context, fn func(quad.Quad) error) error {
	for _, q := range s {
		if err := fn(q); err != nil {
			return err
		}
	}
	return nil
}

func (s sliceStore) Quads(ctx context.Context, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error {
	for _, q := range s {
		if q.Get(d) == v {
			if err := fn(q); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s sliceStore) Count(context.Context) (int64, error) { return int64(len(s)), nil }

// TestSnapshotVersioned: a snapshot of another version, even one whose
// layout and quad count match, is rebuilt and rewritten, never read as this
// version's.
func TestSnapshotVersioned(t *testing.T) {
	src := quad.IRI("source:a")
	st := sliceStore{
		quad.Make(quad.IRI("group:g"), quad.IRI("rdf:type"), quad.IRI("tg:Group"), src),
		quad.Make(quad.IRI("group:g"), quad.IRI("tg:name"), quad.String("G"), src),
		quad.Make(src, quad.IRI("rdf:type"), quad.IRI("tg:Source"), src),
	}
	dir := t.TempDir()
	path := filepath.Join(dir, snapshotName)
	// This version's layout, a matching quad count and stale content, but
	// another version: only the version says it must not be read.
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	stale := snapshot{Version: snapshotVersion - 1, Keys: []string{"group:stale"}, Kinds: []string{"Group"}, Names: []string{"Stale"}, Quads: int64(len(st))}
	if err := gob.NewEncoder(f).Encode(stale); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if v, err := readSnapshot(path); err == nil {
		t.Fatalf("a version-%d snapshot read as version %d: %v", snapshotVersion-1, snapshotVersion, v.keys)
	}
	v, err := loadView(t.Context(), st, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.keys, []string{"group:g"}) || v.names[0] != "G" {
		t.Fatalf("view from an older snapshot: keys %v names %v; want it rebuilt from the store (group:g, G)", v.keys, v.names)
	}
	again, err := readSnapshot(path)
	if err != nil {
		t.Fatalf("the rebuilt view was not saved as version %d: %v", snapshotVersion, err)
	}
	if !slices.Equal(again.keys, v.keys) || again.quads != v.quads || !slices.Equal(again.sources, []string{"source:a"}) {
		t.Errorf("saved snapshot reads back as %+v; want the rebuilt view", again)
	}
}

package graph_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	cproto "github.com/cayleygraph/cayley/graph/proto"
	"github.com/cayleygraph/quad"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/threatgraph/threatgraph/graph"
)

// TestPurgeLoad purges a load: its own quads leave the store, cayley's
// indexes and log (no tombstone naming them is left), a quad another load
// also stated stays, the record says what and how many, the generation
// moves on; the store reopens, and restating a purged quad adds it again.
func TestPurgeLoad(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "db")
	s := openAt(t, dir)
	shared := quad.Make(quad.IRI("group:x"), quad.IRI("tg:name"), "X", quad.IRI("source:a"))
	a := []quad.Quad{shared, quad.Make(quad.IRI("group:x"), quad.IRI("tg:kind"), "Group", quad.IRI("source:a"))}
	secret := quad.Make(quad.IRI("attack:y"), quad.IRI("tg:description"), "a secret only load 2 stated", quad.IRI("source:b"))
	b := []quad.Quad{shared, secret, quad.Make(quad.IRI("attack:y"), quad.IRI("tg:perpetratedBy"), quad.IRI("group:x"), quad.IRI("source:b"))}
	if _, err := s.Write(ctx, a); err != nil {
		t.Fatal(err)
	}
	want := visible(t, s)
	if _, err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	g := gen(t, s)
	rec, gone, err := s.Purge(ctx, "load:2", "test")
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != "purge:1" || rec.Kind != "load" || rec.Removed != 2 || rec.Gen != g+1 || len(gone) != 2 {
		t.Fatalf("purge = %+v, %d quads removed", rec, len(gone))
	}
	if got := visible(t, s); !slices.Equal(got, want) {
		t.Errorf("after the purge: %v, want %v", got, want)
	}
	if _, _, err := s.Purge(ctx, "load:2", "again"); err == nil {
		t.Error("purging load:2 twice: no error")
	}
	var he *graph.HistoryError
	if _, _, err := s.Purge(ctx, "load:9", "x"); !errors.As(err, &he) {
		t.Errorf("purge load:9: %v, want a *HistoryError", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoTrace(t, filepath.Join(dir, "indexes.bolt"), "a secret only load 2 stated", "attack:y")

	s = openAt(t, dir)
	defer s.Close()
	if got := visible(t, s); !slices.Equal(got, want) {
		t.Errorf("reopened: %v, want %v", got, want)
	}
	h, err := s.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Loads[1].Purged != "purge:1" || len(h.Purges) != 1 {
		t.Errorf("history after the purge: %+v", h)
	}
	if n, err := s.Write(ctx, []quad.Quad{secret}); err != nil || n != 1 {
		t.Fatalf("restating a purged quad: %d added, %v", n, err)
	}
	if got := visible(t, s); !slices.Contains(got, secret.String()) {
		t.Errorf("restated quad missing: %v", got)
	}
}

// assertNoTrace fails if any live key or value of the bbolt file holds
// one of the words (values of purged nodes), or if a dead quad is left in
// cayley's log.
func assertNoTrace(t *testing.T, path string, words ...string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte("log")).ForEach(func(k, v []byte) error {
			var p cproto.Primitive
			if err := proto.Unmarshal(v, &p); err != nil {
				return err
			}
			if p.Deleted {
				t.Errorf("cayley's log keeps dead quad %d (%d %d %d %d)", p.ID, p.Subject, p.Predicate, p.Object, p.Label)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, ix := range []string{"sp", "ops"} {
			if err := tx.Bucket([]byte(ix)).ForEach(func(k, v []byte) error {
				for len(v) > 0 {
					id, n := binary.Uvarint(v)
					if n <= 0 {
						return fmt.Errorf("bad %s list %x", ix, k)
					}
					v = v[n:]
					if tx.Bucket([]byte("log")).Get(binary.BigEndian.AppendUint64(nil, id)) == nil {
						t.Errorf("cayley's %s index lists quad %d, which is not in its log", ix, id)
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, w := range words {
					if bytes.Contains(k, []byte(w)) || bytes.Contains(v, []byte(w)) {
						t.Errorf("bucket %s key %x still holds %q", name, k, w)
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPurgeCompact: bbolt leaves a purged quote's bytes in its free
// pages; Compact rewrites the file without them, and the store reads on
// (and after reopening) as before.
func TestPurgeCompact(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "db")
	s := openAt(t, dir)
	keep := quad.Make(quad.IRI("group:x"), quad.IRI("tg:name"), "X", quad.IRI("source:a"))
	const secret = "the name of a witness who must not be named"
	if _, err := s.Write(ctx, []quad.Quad{keep}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []quad.Quad{quad.Make(quad.IRI("group:x"), quad.IRI("tg:description"), secret, quad.IRI("source:b#e-00000001"))}); err != nil {
		t.Fatal(err)
	}
	want := []string{keep.String()}
	if _, _, err := s.Purge(ctx, "source:b#e-00000001", "test"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "indexes.bolt")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the purge, before compacting, the file holds the purged bytes: %v", bytes.Contains(raw, []byte(secret)))
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if got := visible(t, s); !slices.Equal(got, want) {
		t.Errorf("after compacting: %v, want %v", got, want)
	}
	if raw, err = os.ReadFile(file); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(secret)) {
		t.Error("after compacting, the file still holds the purged quote's bytes")
	}
	if _, err := s.Write(ctx, []quad.Quad{quad.Make(quad.IRI("attack:y"), quad.IRI("tg:name"), "Y", quad.IRI("source:a"))}); err != nil {
		t.Fatalf("writing after compacting: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir)
	defer s.Close()
	if got := visible(t, s); len(got) != 2 {
		t.Errorf("reopened after compacting: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "indexes.bolt.bulk")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("compacting left its temporary file: %v", err)
	}
}

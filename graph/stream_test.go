package graph_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	cproto "github.com/cayleygraph/cayley/graph/proto"
	"github.com/cayleygraph/quad"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/threatgraph/threatgraph/graph"
)

// writeStream hands qs to WriteStream, quad i tagged tags(i).
func writeStream(t *testing.T, s *graph.Store, qs []quad.Quad, tag func(i int) int) graph.StreamReport {
	t.Helper()
	quads, added, err := s.WriteStream(t.Context(), func(put func(quad.Quad, int) error) error {
		for i, q := range qs {
			if err := put(q, tag(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return graph.StreamReport{Quads: quads, Added: added}
}

// TestStreamMatchesCayley writes the same quads into a populated store
// twice: through WriteStream (both its paths: into a copy of the file for
// a large write, into the file for a small one) and through cayley's own
// write path (batches below the bulk threshold), then checks that cayley
// reads the same quads back from both, that index lookups, Scan, Out and
// In agree, that every node's reference count is the number of quad
// directions that name it, that the counts per tag are right, and that
// writing everything again adds nothing.
func TestStreamMatchesCayley(t *testing.T) {
	ctx := t.Context()
	in := synthetic(90_000)
	seed, big, small := in[:20_000], in[15_000:80_000], in[79_000:]
	big = append(big, big[:300]...) // duplicates are dropped
	open := func(name string) *graph.Store {
		s, err := graph.Open(ctx, graph.Options{Path: filepath.Join(t.TempDir(), name)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		for i := 0; i < len(seed); i += 10_000 {
			if _, err := s.Write(ctx, seed[i:min(i+10_000, len(seed))]); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	fast, slow := open("fast"), open("slow")
	// Tags: the first half of big is file 0, the rest file 1; small is file 2.
	rep := writeStream(t, fast, big, func(i int) int { return min(i/(len(big)/2), 1) })
	// Independently: which of big's quads are new, and for which file.
	had := map[quad.Quad]bool{}
	for _, q := range seed {
		had[q] = true
	}
	want := []int{0, 0}
	for i, q := range big {
		if !had[q] {
			want[min(i/(len(big)/2), 1)]++
			had[q] = true
		}
	}
	if !slices.Equal(rep.Added, want) {
		t.Errorf("big write added %v per tag; want %v", rep.Added, want)
	}
	distinct := []map[quad.Quad]bool{{}, {}}
	for i, q := range big {
		distinct[min(i/(len(big)/2), 1)][q] = true
	}
	if len(rep.Quads) != 2 || rep.Quads[0] != len(distinct[0]) || rep.Quads[1] != len(distinct[1]) {
		t.Errorf("big write: %v distinct quads per tag; want %d, %d", rep.Quads, len(distinct[0]), len(distinct[1]))
	}
	rep2 := writeStream(t, fast, small, func(int) int { return 2 })
	wantSmall := 0
	for _, q := range small {
		if !had[q] {
			wantSmall++
			had[q] = true
		}
	}
	if len(rep2.Added) != 3 || rep2.Added[2] != wantSmall || wantSmall == 0 {
		t.Errorf("small write added %v; want %d for tag 2", rep2.Added, wantSmall)
	}
	for _, part := range [][]quad.Quad{big, small} {
		for i := 0; i < len(part); i += 10_000 {
			if _, err := slow.Write(ctx, part[i:min(i+10_000, len(part))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, b := readAll(t, fast.QuadStore()), readAll(t, slow.QuadStore())
	if len(a) != len(b) || len(a) != len(had) {
		t.Fatalf("stream store holds %d quads, cayley's %d; want %d", len(a), len(b), len(had))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("quad %d differs:\nstream: %s\ncayley: %s", i, a[i], b[i])
		}
	}
	for _, v := range []quad.Value{quad.IRI("Group:e0"), quad.IRI("Location:e3"), quad.String("Entity 42"), quad.IRI("source:s7"), quad.IRI("Attack:e8004"), quad.IRI("tg:memberOf")} {
		for _, d := range []quad.Direction{quad.Subject, quad.Predicate, quad.Object, quad.Label} {
			if x, y := countDir(t, fast.QuadStore(), d, v), countDir(t, slow.QuadStore(), d, v); x != y {
				t.Errorf("%v as %v: stream %d quads, cayley %d", v, d, x, y)
			}
		}
		for _, read := range []func(context.Context, quad.Value, func(quad.Quad) error) error{fast.Out, fast.In} {
			var got []string
			if err := read(ctx, v, func(q quad.Quad) error { got = append(got, q.NQuad()); return nil }); err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			for _, g := range got {
				if _, ok := slices.BinarySearch(a, g); !ok {
					t.Errorf("Out/In of %v gave %s, which cayley does not hold", v, g)
				}
			}
		}
	}
	var scanned []string
	if err := fast.Scan(ctx, func(q quad.Quad) error { scanned = append(scanned, q.NQuad()); return nil }); err != nil {
		t.Fatal(err)
	}
	sort.Strings(scanned)
	if !slices.Equal(scanned, a) {
		t.Errorf("Scan gave %d quads, cayley's iterator %d", len(scanned), len(a))
	}
	if n, err := fast.Count(ctx); err != nil || n != int64(len(had)) {
		t.Errorf("Count = %d, %v; want %d", n, err, len(had))
	}
	if n, err := fast.Write(ctx, in[:20_000]); err != nil || n != 0 {
		t.Errorf("re-adding through cayley's path: %d, %v; want 0", n, err)
	}
	if rep := writeStream(t, fast, in, func(int) int { return 0 }); rep.Added[0] != 0 {
		t.Errorf("re-adding through WriteStream: %v; want 0", rep.Added)
	}
	ls, err := fast.Loads(ctx)
	if err != nil || len(ls) < 2 {
		t.Fatalf("loads: %v, %v", ls, err)
	}
	if last := ls[len(ls)-1]; last.Added != 0 || last.Quads != len(had) {
		t.Errorf("the last load is recorded as added %d, stated %d; want 0, %d", last.Added, last.Quads, len(had))
	}
	// Reference counts, in a store that only WriteStream wrote (cayley's
	// path counts a batch's repeated quads too).
	fresh, err := graph.Open(ctx, graph.Options{Path: filepath.Join(t.TempDir(), "fresh")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeStream(t, fresh, big, func(int) int { return 0 })
	writeStream(t, fresh, small, func(int) int { return 0 })
	path := fresh.Path()
	if err := fresh.Close(); err != nil {
		t.Fatal(err)
	}
	checkRefs(t, filepath.Join(path, "indexes.bolt"))
}

// checkRefs reads a store file's log and checks that each node's
// reference count (the n buckets) is the number of directions of stored
// quads that name it.
func checkRefs(t *testing.T, file string) {
	t.Helper()
	db, err := bolt.Open(file, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[uint64]uint64{}
	ids := map[[quad.HashSize]byte]uint64{}
	got := map[[quad.HashSize]byte]uint64{}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			switch {
			case len(name) == 3 && (name[0] == 'v' || name[0] == 'n'):
				return b.ForEach(func(k, v []byte) error {
					x, _ := binary.Uvarint(v)
					if name[0] == 'v' {
						ids[[quad.HashSize]byte(k)] = x
					} else {
						got[[quad.HashSize]byte(k)] = x
					}
					return nil
				})
			case string(name) == "log":
				return b.ForEach(func(k, v []byte) error {
					var p cproto.Primitive
					if err := proto.Unmarshal(v, &p); err != nil {
						return err
					}
					if !p.IsNode() && !p.Deleted {
						for _, id := range []uint64{p.Subject, p.Predicate, p.Object, p.Label} {
							if id != 0 {
								want[id]++
							}
						}
					}
					return nil
				})
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) || len(got) == 0 {
		t.Fatalf("%d reference counts for %d nodes", len(got), len(ids))
	}
	bad := 0
	for h, refs := range got {
		if id := ids[h]; refs != want[id] {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d nodes have a reference count other than the number of quad directions that name them", bad, len(got))
	}
}

// TestKindsMatchesCayley: Kinds read from bbolt's indexes directly gives
// what cayley's iterators give (a memstore with the same quads).
func TestKindsMatchesCayley(t *testing.T) {
	ctx := t.Context()
	in := synthetic(20_000)
	in = append(in, quad.Make(quad.IRI("Group:e0"), quad.IRI("rdf:type"), quad.IRI("other:Thing"), quad.IRI("source:s1")))
	disk, err := graph.Open(ctx, graph.Options{Path: filepath.Join(t.TempDir(), "db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	mem, err := graph.Open(ctx, graph.Options{Backend: "memstore"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	for _, s := range []*graph.Store{disk, mem} {
		if _, err := s.Write(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	ids := []string{"nobody:x", "source:s1", "tg:Group"}
	for i := range 2000 {
		ids = append(ids, fmt.Sprintf("%s:e%d", []string{"Group", "Person", "Organization", "Location", "Attack", "Warning", "Claim"}[i%7], i))
	}
	a, err := disk.Kinds(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	b, err := mem.Kinds(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) < 1000 || !maps.Equal(a, b) {
		t.Errorf("bbolt: %d kinds, memstore %d; want the same, at least 1000", len(a), len(b))
	}
}

// TestStreamKeepsFileMode: a large streamed write builds a new store file
// and renames it over the old one; the store keeps the old file's
// permissions (a private store stays private: it had become 0644).
func TestStreamKeepsFileMode(t *testing.T) {
	ctx := t.Context()
	in := synthetic(80_000)
	dir := filepath.Join(t.TempDir(), "s")
	s, err := graph.Open(ctx, graph.Options{Path: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write(ctx, in[:10_000]); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "indexes.bolt")
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	rep := writeStream(t, s, in[10_000:], func(int) int { return 0 })
	if rep.Added[0] <= 50_000 {
		t.Fatalf("%d quads added: too few for the merged file (the test no longer covers it)", rep.Added[0])
	}
	after, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Fatal("the store file was written in place: the test no longer covers the merged file")
	}
	if m := after.Mode().Perm(); m != 0o600 {
		t.Errorf("store file mode %v after a streamed write; want 0600 as before", m)
	}
}

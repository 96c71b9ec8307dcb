package graph_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/memtest"
)

// synthetic returns n knowledge-graph-like quads: n/10 entities of the
// design's kinds, each with a type, a name and relations to others and
// literal attributes, spread over 200 sources (labels). Seeded: the same n
// gives the same quads.
func synthetic(n int) []quad.Quad {
	r := rand.New(rand.NewPCG(1, 2))
	kinds := []string{"Group", "Person", "Organization", "Location", "Attack", "Warning", "Claim"}
	rels := []string{"perpetratedBy", "locatedIn", "partOf", "memberOf", "affiliateOf", "about", "claims", "issuedBy", "target", "suspectIn"}
	attrs := []string{"alias", "description", "role", "attackType"}
	entities := n / 10
	id := func(i int) quad.IRI { return quad.IRI(fmt.Sprintf("%s:e%d", kinds[i%len(kinds)], i)) }
	out := make([]quad.Quad, 0, n)
	for i := 0; len(out) < n; i++ {
		e := i % entities
		src := quad.IRI(fmt.Sprintf("source:s%d", r.IntN(200)))
		switch {
		case i < entities:
			out = append(out, quad.Make(id(e), quad.IRI("rdf:type"), quad.IRI("tg:"+kinds[e%len(kinds)]), src))
		case i < 2*entities:
			out = append(out, quad.Make(id(e), quad.IRI("tg:name"), quad.String(fmt.Sprintf("Entity %d", e)), src))
		case r.IntN(2) == 0:
			out = append(out, quad.Make(id(e), quad.IRI("tg:"+rels[r.IntN(len(rels))]), id(r.IntN(entities)), src))
		case r.IntN(3) == 0:
			out = append(out, quad.Make(id(e), quad.IRI("tg:killed"), quad.Int(r.IntN(300)), src))
		default:
			out = append(out, quad.Make(id(e), quad.IRI("tg:"+attrs[r.IntN(len(attrs))]), quad.String(fmt.Sprintf("value %d", r.IntN(n))), src))
		}
	}
	return out
}

// BenchmarkLoad writes 1M synthetic quads into a new bbolt store and
// reports quads/s and the peak heap:
//   - bulk: one Write of all quads into the empty store (one transaction,
//     the bulk path; what loading one large file does);
//   - cayley/batch=N: cayley's own write path, N quads per transaction (a
//     store that already holds data).
//
// go test ./graph -run '^$' -bench 'Load$' -benchtime 1x -count 3
func BenchmarkLoad(b *testing.B) {
	const n = 1_000_000
	qs := synthetic(n)
	distinct := map[quad.Quad]bool{}
	for _, q := range qs {
		distinct[q] = true
	}
	seed := quad.Make(quad.IRI("source:seed"), quad.IRI("rdf:type"), quad.IRI("tg:Source"), quad.IRI("source:seed"))
	for _, c := range []struct {
		name  string
		batch int
		seed  bool
	}{{"bulk", n, false}, {"cayley/batch=10000", 10_000, true}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s, err := graph.Open(b.Context(), graph.Options{Path: filepath.Join(b.TempDir(), "db")}, nil)
				if err != nil {
					b.Fatal(err)
				}
				if c.seed {
					if _, err := s.Write(b.Context(), []quad.Quad{seed}); err != nil {
						b.Fatal(err)
					}
				}
				stopPeak := memtest.Peak()
				b.StartTimer()
				start := time.Now()
				added := 0
				for i := 0; i < len(qs); i += c.batch {
					k, err := s.Write(b.Context(), qs[i:min(i+c.batch, len(qs))])
					if err != nil {
						b.Fatal(err)
					}
					added += k
				}
				el := time.Since(start)
				b.StopTimer()
				if added != len(distinct) {
					b.Fatalf("added %d quads; want %d", added, len(distinct))
				}
				b.ReportMetric(float64(n)/el.Seconds(), "quads/s")
				peak, _ := stopPeak()
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkLoadPopulated writes 1M synthetic quads into a bbolt store
// that already holds 1M others (another seed), and reports quads/s and the
// peak heap: cayley's write path in batches of 10,000 (what a populated
// store got before WriteStream) against one WriteStream (a copy of the
// file, committed in parts, renamed into place), in the same run.
//
// go test ./graph -run '^$' -bench LoadPopulated -benchtime 1x -count 3
func BenchmarkLoadPopulated(b *testing.B) {
	const n = 1_000_000
	seed := synthetic(n)
	qs := syntheticSeed(n, 7)
	dir := b.TempDir()
	seeded := filepath.Join(dir, "seed")
	s, err := graph.Open(b.Context(), graph.Options{Path: seeded}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Write(b.Context(), seed); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for _, way := range []string{"cayley/batch=10000", "stream"} {
		b.Run(way, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "db")
				if err := copyDir(seeded, path); err != nil {
					b.Fatal(err)
				}
				s, err := graph.Open(b.Context(), graph.Options{Path: path}, nil)
				if err != nil {
					b.Fatal(err)
				}
				stopPeak := memtest.Peak()
				b.StartTimer()
				start := time.Now()
				added := 0
				if way == "stream" {
					_, a, err := s.WriteStream(b.Context(), func(put func(quad.Quad, int) error) error {
						for _, q := range qs {
							if err := put(q, 0); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
					added = a[0]
				} else {
					for i := 0; i < len(qs); i += 10_000 {
						k, err := s.Write(b.Context(), qs[i:min(i+10_000, len(qs))])
						if err != nil {
							b.Fatal(err)
						}
						added += k
					}
				}
				el := time.Since(start)
				b.StopTimer()
				if added == 0 {
					b.Fatal("nothing added")
				}
				b.ReportMetric(float64(n)/el.Seconds(), "quads/s")
				peak, _ := stopPeak()
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// syntheticSeed is synthetic with another seed and other entity ids.
func syntheticSeed(n int, seed uint64) []quad.Quad {
	r := rand.New(rand.NewPCG(seed, 2))
	qs := synthetic(n)
	out := make([]quad.Quad, len(qs))
	for i, q := range qs {
		if iri, ok := q.Subject.(quad.IRI); ok {
			q.Subject = quad.IRI(fmt.Sprintf("%s-%d", iri, r.IntN(3)))
		}
		out[i] = q
	}
	return out
}

// copyDir copies the files of a store directory.
func copyDir(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	es, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range es {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

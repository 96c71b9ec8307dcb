package analytics

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Benchmark graphs: knowledge-graph-like, from generate with seed 1.
var benchSizes = []struct {
	name string
	n, m int
}{
	{"20k", 20_000, 80_000},
	{"200k", 200_000, 1_000_000},
}

var (
	benchMu     sync.Mutex
	benchGraphs = map[string]*Graph{}
)

func benchGraph(b testing.TB, name string) *Graph {
	benchMu.Lock()
	defer benchMu.Unlock()
	if g, ok := benchGraphs[name]; ok {
		return g
	}
	for _, s := range benchSizes {
		if s.name == name {
			g := generate(s.n, s.m, 1)
			benchGraphs[name] = g
			return g
		}
	}
	b.Fatalf("no bench graph %q", name)
	return nil
}

// benchQueries are the BFS sources and path pairs of the benchmarks, also
// written for testdata/compare.py.
type benchQueries struct {
	BFSSources []int32    `json:"bfs_sources"`
	Pairs      [][2]int32 `json:"pairs"`
	Pivots     []int32    `json:"pivots"` // not used by Go: SampledBetweenness draws its own
	K          int        `json:"k"`
	SampleK    int        `json:"sample_k"`
}

const (
	benchK       = 5
	benchSampleK = 200
)

func queriesFor(g *Graph) benchQueries {
	rng := rand.New(rand.NewPCG(99, 100))
	n := g.N()
	q := benchQueries{K: benchK, SampleK: benchSampleK}
	for range 100 {
		q.BFSSources = append(q.BFSSources, int32(rng.IntN(n)))
	}
	for len(q.Pairs) < 20 {
		s, t := int32(rng.IntN(n)), int32(rng.IntN(n))
		if s != t {
			q.Pairs = append(q.Pairs, [2]int32{s, t})
		}
	}
	return q
}

func BenchmarkBuild(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			g := benchGraph(b, s.name)
			type in struct {
				from, to, pred string
				src            uint16
			}
			edges := make([]in, 0, g.M())
			for e := range int32(g.M()) {
				x := g.EdgeAt(e)
				edges = append(edges, in{g.Key(x.From), g.Key(x.To), g.Predicates()[x.Predicate], x.Sources})
			}
			b.ResetTimer()
			var h *Graph
			for b.Loop() {
				var bl Builder
				for v := range int32(g.N()) {
					bl.Node(g.Key(v), g.Kind(v))
				}
				for _, e := range edges {
					bl.AddEdge(e.from, e.to, e.pred, e.src)
				}
				h = bl.Build()
			}
			b.ReportMetric(float64(h.StructureBytes())/float64(h.M()), "B/edge")
			b.ReportMetric(float64(h.StructureBytes()+h.KeyBytes())/float64(h.M()), "B/edge+keys")
		})
	}
}

func BenchmarkPageRank(b *testing.B) {
	for _, s := range benchSizes {
		for _, tc := range []struct {
			name string
			tol  float64
		}{{"nxtol", 0}, {"tol1e-10", 1e-10}} {
			b.Run(s.name+"/"+tc.name, func(b *testing.B) {
				g := benchGraph(b, s.name)
				for b.Loop() {
					if _, err := PageRank(b.Context(), g, 0.85, Options{Tol: tc.tol, MaxIter: 1000}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBFS100 times 100 BFS runs of the kernel Closeness and Harmonic
// use (undirected, direction-optimising, on the degree-renumbered
// adjacency, built once outside the loop).
func BenchmarkBFS100(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			g := benchGraph(b, s.name)
			q := queriesFor(g)
			base := g.adjacency(Both, Simple, false)
			a, order := base.relabel()
			inv := make([]int32, len(order))
			for i, v := range order {
				inv[v] = int32(i)
			}
			st := newBFSState(g.N())
			for b.Loop() {
				for _, src := range q.BFSSources {
					st.run(&a, inv[src], true)
					st.reset()
				}
			}
		})
	}
}

func BenchmarkBetweenness(b *testing.B) {
	b.Run("20k/exact", func(b *testing.B) {
		g := benchGraph(b, "20k")
		for b.Loop() {
			Betweenness(b.Context(), g, Undirected)
		}
	})
	for _, s := range benchSizes {
		b.Run(fmt.Sprintf("%s/sampled%d", s.name, benchSampleK), func(b *testing.B) {
			g := benchGraph(b, s.name)
			for b.Loop() {
				SampledBetweenness(b.Context(), g, Undirected, benchSampleK, 1)
			}
		})
	}
}

func BenchmarkCloseness(b *testing.B) {
	g := benchGraph(b, "20k")
	b.Run("20k/closeness", func(b *testing.B) {
		for b.Loop() {
			Closeness(b.Context(), g, Undirected)
		}
	})
	b.Run("20k/harmonic", func(b *testing.B) {
		for b.Loop() {
			Harmonic(b.Context(), g, Undirected)
		}
	})
}

func BenchmarkYen(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(fmt.Sprintf("%s/k%d_20pairs", s.name, benchK), func(b *testing.B) {
			g := benchGraph(b, s.name)
			q := queriesFor(g)
			for b.Loop() {
				for _, p := range q.Pairs {
					KShortestPaths(b.Context(), g, p[0], p[1], benchK)
				}
			}
		})
	}
}

func BenchmarkSpectral(b *testing.B) {
	for _, s := range benchSizes {
		g := benchGraph(b, s.name)
		b.Run(s.name+"/hits", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := HITS(b.Context(), g, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(s.name+"/eigenvector", func(b *testing.B) {
			for b.Loop() {
				if _, err := Eigenvector(b.Context(), g, Undirected, Options{MaxIter: 1000}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var benchOut = flag.String("out", "", "directory for TestWriteBenchGraphs")

// TestWriteBenchGraphs writes the benchmark graphs and queries for
// testdata/compare.py:
//
//	go test ./query/analytics/ -run TestWriteBenchGraphs -args -out DIR
//
// DIR/kg<size>.edges has a header line "n m" and then one edge per line,
// "from to predicate sources" with integer node and predicate ids;
// DIR/kg<size>.queries.json holds the BFS sources and path pairs.
func TestWriteBenchGraphs(t *testing.T) {
	if *benchOut == "" {
		t.Skip("no -out directory")
	}
	for _, s := range benchSizes {
		g := benchGraph(t, s.name)
		f, err := os.Create(filepath.Join(*benchOut, "kg"+s.name+".edges"))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		fmt.Fprintf(w, "%d %d\n", g.N(), g.M())
		for e := range int32(g.M()) {
			x := g.EdgeAt(e)
			fmt.Fprintf(w, "%d %d %d %d\n", x.From, x.To, x.Predicate, x.Sources)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(queriesFor(g))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*benchOut, "kg"+s.name+".queries.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkSampledBetweennessError reports, as metrics, the error of
// SampledBetweenness against Betweenness on the 20k graph: the mean
// relative error over the exact top 100 nodes and how many of the exact
// top 100 the estimate also ranks in its top 100. Run it with
// -benchtime 1x: each iteration computes exact betweenness.
func BenchmarkSampledBetweennessError(b *testing.B) {
	g := benchGraph(b, "20k")
	for b.Loop() {
		exact := must(Betweenness(b.Context(), g, Undirected))
		for _, k := range []int{200, 1000} {
			mean, overlap := sampleError(exact, must(SampledBetweenness(b.Context(), g, Undirected, k, 1)), 100)
			b.ReportMetric(mean, fmt.Sprintf("relerr_top100_k%d", k))
			b.ReportMetric(float64(overlap), fmt.Sprintf("overlap_top100_k%d", k))
		}
	}
}

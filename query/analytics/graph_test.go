package analytics

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

type tedge struct {
	from, to, pred string
	sources        uint16
}

var smallEdges = []tedge{
	{"c", "a", "knows", 1},
	{"a", "b", "knows", 2},
	{"a", "b", "memberOf", 1}, // parallel
	{"b", "a", "knows", 1},    // reciprocal
	{"a", "b", "knows", 3},    // duplicate triple: sources add
	{"d", "d", "partOf", 1},   // self-loop
}

func buildEdges(es []tedge, kinds map[string]string) *Graph {
	var b Builder
	for k, kind := range kinds {
		b.Node(k, kind)
	}
	for _, e := range es {
		b.AddEdge(e.from, e.to, e.pred, e.sources)
	}
	return b.Build()
}

func TestBuilder(t *testing.T) {
	kinds := map[string]string{"a": "Group", "b": "Person", "e": "Location"}
	g := buildEdges(smallEdges, kinds)
	if g.N() != 5 || g.M() != 5 {
		t.Fatalf("N, M = %d, %d; want 5, 5", g.N(), g.M())
	}
	for i, want := range []string{"a", "b", "c", "d", "e"} {
		if got := g.Key(int32(i)); got != want {
			t.Errorf("Key(%d) = %q; want %q", i, got, want)
		}
		if id, ok := g.ID(want); !ok || id != int32(i) {
			t.Errorf("ID(%q) = %d, %v; want %d, true", want, id, ok, i)
		}
	}
	if _, ok := g.ID("zz"); ok {
		t.Errorf("ID(zz) found a node")
	}
	if got := g.Kind(4); got != "Location" {
		t.Errorf("Kind(e) = %q; want Location", got)
	}
	if got, want := g.Predicates(), []string{"knows", "memberOf", "partOf"}; !slices.Equal(got, want) {
		t.Errorf("Predicates() = %v; want %v", got, want)
	}
	var got []Edge
	for e := range int32(g.M()) {
		got = append(got, g.EdgeAt(e))
	}
	want := []Edge{{0, 1, 0, 5}, {0, 1, 1, 1}, {1, 0, 0, 1}, {2, 0, 0, 1}, {3, 3, 2, 1}}
	if !slices.Equal(got, want) {
		t.Errorf("edges = %v; want %v", got, want)
	}
	if got, want := g.EdgesBetween(1, 0), []int32{2, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("EdgesBetween(b, a) = %v; want %v", got, want)
	}
	if got := g.bestEdgeBetween(1, 0); got != 0 {
		t.Errorf("bestEdgeBetween(b, a) = %d; want 0 (5 sources)", got)
	}
	if got, want := g.InNeighbors(0), []int32{1, 2}; !slices.Equal(got, want) {
		t.Errorf("InNeighbors(a) = %v; want %v", got, want)
	}

	// The order of input does not matter.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		es := slices.Clone(smallEdges)
		rng.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
		h := buildEdges(es, kinds)
		if !equalGraphs(g, h) {
			t.Errorf("graph from shuffled edges %v differs", es)
		}
	}
}

func equalGraphs(g, h *Graph) bool {
	return g.keys == h.keys && slices.Equal(g.keyOff, h.keyOff) && slices.Equal(g.kind, h.kind) &&
		slices.Equal(g.outOff, h.outOff) && slices.Equal(g.outTo, h.outTo) &&
		slices.Equal(g.outPred, h.outPred) && slices.Equal(g.outSrc, h.outSrc) &&
		slices.Equal(g.inOff, h.inOff) && slices.Equal(g.inFrom, h.inFrom)
}

func TestBytesPerEdge(t *testing.T) {
	g := generate(20_000, 80_000, 1)
	perEdge := float64(g.StructureBytes()) / float64(g.M())
	t.Logf("n=%d m=%d structure %.2f B/edge, keys %.2f B/node", g.N(), g.M(), perEdge, float64(g.KeyBytes())/float64(g.N()))
	if perEdge > 16 {
		t.Errorf("structure uses %.2f bytes per edge; want at most 16", perEdge)
	}
}

func TestShortestPathHops(t *testing.T) {
	g := buildEdges(smallEdges, nil)
	p, ok := shortestPath(t, g, 2, 1) // c -> a -> b, against and along edges
	if !ok || !slices.Equal(p.Nodes, []int32{2, 0, 1}) {
		t.Fatalf("shortest path(c, b) = %v, %v; want [2 0 1]", p, ok)
	}
	if e := g.EdgeAt(p.Edges[0]); e.From != 2 || e.To != 0 {
		t.Errorf("hop 0 uses %+v; want c->a", e)
	}
	if e := g.EdgeAt(p.Edges[1]); e.Sources != 5 || g.Predicates()[e.Predicate] != "knows" {
		t.Errorf("hop 1 uses %+v; want a-knows->b with 5 sources", e)
	}
	if _, ok := shortestPath(t, g, 0, 3); ok {
		t.Errorf("shortest path(a, d) found a path to an unconnected node")
	}
	if p, ok := shortestPath(t, g, 4, 4); !ok || p.Hops() != 0 {
		t.Errorf("shortest path(e, e) = %v, %v; want zero hops", p, ok)
	}
}

// must returns v, panicking if err is not nil: for kernels run without a
// deadline, whose only error is their context's.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// shortestPath is the first path KShortestPaths returns (the one
// the query layer's paths use), and whether there is one.
func shortestPath(t *testing.T, g *Graph, s, tt int32) (Path, bool) {
	t.Helper()
	ps, err := KShortestPaths(t.Context(), g, s, tt, 1)
	if err != nil {
		t.Fatalf("KShortestPaths(%d, %d, 1): %v", s, tt, err)
	}
	if len(ps) == 0 {
		return Path{}, false
	}
	return ps[0], true
}

// TestSampledBetweennessError measures the sampled estimator against the
// exact values on a generated graph and checks the error stays small where
// it matters: among the most central nodes.
func TestSampledBetweennessError(t *testing.T) {
	g := generate(3000, 12000, 3)
	exact := must(Betweenness(t.Context(), g, Undirected))
	for _, tc := range []struct {
		k      int
		maxErr float64 // mean relative error over the exact top 100
	}{{300, 0.25}, {1000, 0.12}} {
		est := must(SampledBetweenness(t.Context(), g, Undirected, tc.k, 42))
		mean, overlap := sampleError(exact, est, 100)
		t.Logf("n=%d k=%d: mean relative error over top 100 %.4f, top-100 overlap %d", g.N(), tc.k, mean, overlap)
		if mean > tc.maxErr {
			t.Errorf("k=%d: mean relative error %.4f; want <= %.2f", tc.k, mean, tc.maxErr)
		}
		if again := must(SampledBetweenness(t.Context(), g, Undirected, tc.k, 42)); !slices.Equal(again, est) {
			t.Errorf("k=%d: same seed gave different estimates", tc.k)
		}
	}
}

// sampleError returns the mean relative error of est over the top nodes by
// exact value, and how many of those are also in est's top.
func sampleError(exact, est []float64, top int) (float64, int) {
	idx := func(x []float64) []int {
		ids := make([]int, len(x))
		for i := range ids {
			ids[i] = i
		}
		sort.SliceStable(ids, func(a, b int) bool { return x[ids[a]] > x[ids[b]] })
		return ids[:top]
	}
	te, ts := idx(exact), idx(est)
	var sum float64
	for _, v := range te {
		sum += math.Abs(est[v]-exact[v]) / exact[v]
	}
	overlap := 0
	for _, v := range te {
		if slices.Contains(ts, v) {
			overlap++
		}
	}
	return sum / float64(top), overlap
}

func TestDeterministicParallel(t *testing.T) {
	g := generate(2000, 8000, 5)
	a := must(Betweenness(t.Context(), g, Directed))
	b := must(Betweenness(t.Context(), g, Directed))
	if !slices.Equal(a, b) {
		t.Errorf("Betweenness differs between runs")
	}
	p1, _ := PageRank(t.Context(), g, 0.85, Options{})
	p2, _ := PageRank(t.Context(), g, 0.85, Options{})
	if !slices.Equal(p1, p2) {
		t.Errorf("PageRank differs between runs")
	}
}

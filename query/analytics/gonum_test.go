package analytics

import (
	"math"
	"slices"
	"testing"

	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/path"
)

// Wrappers that hide the Weight methods, so gonum runs its unweighted
// (hop count, Simple weighting) algorithms on the same Graph.
type (
	unweightedDirected   struct{ gonum.Directed }
	unweightedUndirected struct{ gonum.Undirected }
)

func gonumFixtures(t *testing.T) map[string]*Graph {
	gs := map[string]*Graph{"generated": generate(300, 1200, 1)}
	for name, f := range loadFixtures(t) {
		gs[name] = f.graph()
	}
	return gs
}

func compareMap(t *testing.T, what string, got []float64, want map[int64]float64, scale, tol float64) {
	t.Helper()
	bad := 0
	for v, x := range got {
		if w := want[int64(v)] * scale; !near(x, w, tol) {
			if bad++; bad <= 5 {
				t.Errorf("%s[%d] = %.15g; gonum gives %.15g", what, v, x, w)
			}
		}
	}
}

func TestGonumAgreement(t *testing.T) {
	for name, g := range gonumFixtures(t) {
		t.Run(name, func(t *testing.T) {
			dg := unweightedDirected{g}
			ug := unweightedUndirected{g.Undirected()}

			// Betweenness: gonum counts ordered pairs in undirected graphs.
			compareMap(t, "Betweenness(Directed)", must(Betweenness(t.Context(), g, Directed)), network.Betweenness(dg), 1, 1e-9)
			compareMap(t, "Betweenness(Undirected)", must(Betweenness(t.Context(), g, Undirected)), network.Betweenness(ug), 0.5, 1e-9)

			// Closeness and harmonic on gonum's all-pairs hop distances.
			for _, tc := range []struct {
				r  Reading
				gg gonum.Graph
			}{{Directed, dg}, {Undirected, ug}} {
				ap := path.DijkstraAllPaths(tc.gg)
				compareMap(t, "Harmonic", must(Harmonic(t.Context(), g, tc.r)), network.Harmonic(tc.gg, ap), 1, 1e-9)
				// gonum's closeness is 1/Σd over reachable nodes; ours adds
				// the Wasserman–Faust factor (r-1)²/(n-1) with r reached.
				gc := network.Closeness(tc.gg, ap)
				n := g.N()
				for u := range n {
					reached := 0
					for v := range n {
						if !math.IsInf(ap.Weight(int64(v), int64(u)), 1) {
							reached++
						}
					}
					if reached > 1 {
						gc[int64(u)] *= float64((reached-1)*(reached-1)) / float64(n-1)
					} else {
						gc[int64(u)] = 0
					}
				}
				compareMap(t, "Closeness", must(Closeness(t.Context(), g, tc.r)), gc, 1, 1e-9)
			}

			// PageRank: gonum's weighted PageRank sees Sources weights, its
			// unweighted one the Simple graph.
			for _, tc := range []struct {
				w  Weighting
				gg gonum.Directed
			}{{Sources, g}, {Simple, dg}} {
				got, err := PageRank(t.Context(), g, 0.85, Options{Weighting: tc.w, Tol: 1e-14, MaxIter: 10000})
				if err != nil {
					t.Fatal(err)
				}
				compareMap(t, "PageRank", got, network.PageRankSparse(tc.gg, 0.85, 1e-14), 1, 1e-9)
			}

			// HITS: gonum normalises to unit L2 norm and is unweighted.
			h, a, err := HITS(t.Context(), g, Options{Weighting: Simple, Tol: 1e-15, MaxIter: 100000})
			if err != nil {
				t.Fatal(err)
			}
			if name != "ladder" { // degenerate top singular value: HITS is not unique
				ha := network.HITS(dg, 1e-13)
				hub, auth := make(map[int64]float64), make(map[int64]float64)
				for id, x := range ha {
					hub[id], auth[id] = x.Hub, x.Authority
				}
				compareMap(t, "HITS hubs", l2(h), hub, 1, 1e-9)
				compareMap(t, "HITS authorities", l2(a), auth, 1, 1e-9)
			}

			// Yen: same path lengths as gonum, and the same paths below the
			// longest length.
			n := int32(g.N())
			for i := range int32(10) {
				s, tt := (i*7919)%n, (i*104729+n/2)%n
				got := must(KShortestPaths(t.Context(), g, s, tt, 5))
				want := path.YenKShortestPaths(ug, 5, math.Inf(1), Node(s), Node(tt))
				if len(got) != len(want) {
					t.Errorf("KShortestPaths(%d, %d) gave %d paths; gonum %d", s, tt, len(got), len(want))
					continue
				}
				var gl, wl []int
				for j := range got {
					checkPath(t, g, got[j], s, tt)
					gl = append(gl, len(got[j].Nodes))
					wl = append(wl, len(want[j]))
				}
				if !slices.Equal(gl, wl) {
					t.Errorf("KShortestPaths(%d, %d) lengths %v; gonum %v", s, tt, gl, wl)
				}
			}
		})
	}
}

func l2(x []float64) []float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	s = math.Sqrt(s)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v / s
	}
	return out
}

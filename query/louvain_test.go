package query

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/simple"
)

// randomGraph is a weighted undirected graph of n nodes with integer
// weights: preferential attachment plus random links, and a few hubs with
// pendant leaves, so that communities, stars and isolated nodes all occur.
func randomGraph(r *rand.Rand, n int) *simple.WeightedUndirectedGraph {
	g := simple.NewWeightedUndirectedGraph(0, 0)
	for i := range n {
		g.AddNode(simple.Node(i * 3)) // ids need not be dense
	}
	link := func(a, b int) {
		if a == b {
			return
		}
		w := float64(1 + r.IntN(3))
		if e := g.WeightedEdge(int64(a*3), int64(b*3)); e != nil {
			w += e.Weight()
		}
		g.SetWeightedEdge(g.NewWeightedEdge(simple.Node(a*3), simple.Node(b*3), w))
	}
	var ends []int
	for range n + r.IntN(2*n) {
		a := r.IntN(n)
		b := r.IntN(n)
		if len(ends) > 0 && r.IntN(2) == 0 {
			b = ends[r.IntN(len(ends))]
		}
		link(a, b)
		ends = append(ends, a, b)
	}
	for range r.IntN(3) {
		hub := r.IntN(n)
		for range n / 4 {
			link(hub, r.IntN(n))
		}
	}
	return g
}

// TestLouvainMatchesGonum checks that louvain finds exactly the communities
// gonum's community.Modularize finds with the same random source, and that
// modularity agrees with community.Q, on random graphs of many shapes.
func TestLouvainMatchesGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 60 {
		g := randomGraph(r, 5+r.IntN(300))
		for _, res := range []float64{1, 0.5, 2} {
			want := community.Modularize(g, res, rand.NewPCG(uint64(trial), 9)).Communities()
			got, err := louvain(t.Context(), g, res, rand.NewPCG(uint64(trial), 9))
			if err != nil {
				t.Fatal(err)
			}
			if !sameCommunities(got, want) {
				t.Fatalf("trial %d resolution %v: louvain = %v, gonum = %v", trial, res, ids(got), ids(want))
			}
			q, err := modularity(t.Context(), g, got, res)
			if err != nil {
				t.Fatal(err)
			}
			if wq := community.Q(g, want, res); math.Abs(q-wq) > 1e-12 {
				t.Fatalf("trial %d resolution %v: modularity %v, community.Q %v", trial, res, q, wq)
			}
		}
	}
}

// TestLouvainStopsMidway cancels the context after a number of looks at it
// and checks that louvain and modularity then return its error: every phase
// (reading the graph, local moving, reduction, Q) looks at ctx.
func TestLouvainStopsMidway(t *testing.T) {
	g := randomGraph(rand.New(rand.NewPCG(5, 6)), 20000)
	total := &countdown{Context: t.Context(), left: math.MaxInt}
	comms, err := louvain(total, g, 1, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	looks := math.MaxInt - total.left
	if looks < 20 {
		t.Fatalf("louvain looked at ctx %d times on 20k nodes; want many", looks)
	}
	for _, after := range []int{0, 1, looks / 4, looks / 2, looks - 2} {
		ctx := &countdown{Context: t.Context(), left: after}
		if _, err := louvain(ctx, g, 1, rand.NewPCG(1, 1)); err != context.Canceled {
			t.Errorf("louvain cancelled after %d of %d looks: err %v, want context.Canceled", after, looks, err)
		}
		if extra := -ctx.left; extra > 1 {
			t.Errorf("louvain cancelled after %d looks went on to look %d more times", after, extra)
		}
	}
	ctx := &countdown{Context: t.Context(), left: 2}
	if _, err := modularity(ctx, g, comms, 1); err != context.Canceled {
		t.Errorf("modularity cancelled: err %v, want context.Canceled", err)
	}
}

// countdown is a context whose Err turns to context.Canceled after left
// calls.
type countdown struct {
	context.Context
	left int
}

func (c *countdown) Err() error {
	c.left--
	if c.left < 0 {
		return context.Canceled
	}
	return nil
}

func ids(cs [][]gonum.Node) [][]int64 {
	out := make([][]int64, len(cs))
	for i, c := range cs {
		for _, n := range c {
			out[i] = append(out[i], n.ID())
		}
	}
	return out
}

func sameCommunities(a, b [][]gonum.Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j].ID() != b[i][j].ID() {
				return false
			}
		}
	}
	return true
}

// BenchmarkLouvainStar compares gonum's community.Modularize with louvain
// on a star of 3,000 leaves:
//
//	go test ./query -run '^$' -bench LouvainStar -benchtime 3x
func BenchmarkLouvainStar(b *testing.B) {
	g := simple.NewWeightedUndirectedGraph(0, 0)
	for i := 1; i <= 3000; i++ {
		g.SetWeightedEdge(g.NewWeightedEdge(simple.Node(0), simple.Node(i), 1))
	}
	b.Run("gonum", func(b *testing.B) {
		for b.Loop() {
			community.Modularize(g, 1, rand.NewPCG(1, 1)).Communities()
		}
	})
	b.Run("louvain", func(b *testing.B) {
		for b.Loop() {
			if _, err := louvain(b.Context(), g, 1, rand.NewPCG(1, 1)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package analytics

import (
	"context"
	"math/rand/v2"
)

// Betweenness returns the exact betweenness centrality of every node by
// Brandes' algorithm over hop-count shortest paths, unnormalised and in
// NetworkX's convention (betweenness_centrality with normalized=False):
// in the Undirected reading each unordered pair of end points counts once,
// which is half of what gonum's network.Betweenness reports for an
// undirected graph. Multiply by 1/((n-1)(n-2)) for the Directed reading,
// or 2/((n-1)(n-2)) for the Undirected one, to get NetworkX's normalised
// values; Normalize does that.
//
// It takes O(N·M) time, runs on all CPUs, and is deterministic: sources
// are split into a fixed number of chunks whose partial sums are added in
// order. It stops when ctx is done, within one source's search on each
// CPU, and returns ctx's error.
func Betweenness(ctx context.Context, g *Graph, r Reading) ([]float64, error) {
	n := g.N()
	sources := make([]int32, n)
	for i := range sources {
		sources[i] = int32(i)
	}
	return brandes(ctx, g, r, sources, 1)
}

// SampledBetweenness estimates betweenness from k source pivots drawn
// uniformly without replacement with the given seed, scaling the partial
// sums by N/k, as NetworkX's betweenness_centrality(k=..., seed=...) does.
// The estimate is unbiased; its error shrinks like 1/√k and is smallest,
// relative to the value, for the most central nodes (see the package
// documentation for measured figures). With k >= N it is Betweenness.
// It stops when ctx is done and returns ctx's error.
func SampledBetweenness(ctx context.Context, g *Graph, r Reading, k int, seed uint64) ([]float64, error) {
	n := g.N()
	if k >= n {
		return Betweenness(ctx, g, r)
	}
	if k <= 0 {
		return make([]float64, n), nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x74687265617467)) // "threatg"
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	for i := range k { // partial Fisher–Yates
		j := i + rng.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return brandes(ctx, g, r, perm[:k], float64(n)/float64(k))
}

// Normalize returns NetworkX's normalised betweenness for the raw values
// b of a graph with n nodes in reading r, in place.
func Normalize(b []float64, n int, r Reading) []float64 {
	if n <= 2 {
		return b
	}
	scale := 1 / float64((n-1)*(n-2))
	if r == Undirected {
		scale *= 2
	}
	for i := range b {
		b[i] *= scale
	}
	return b
}

func brandes(ctx context.Context, g *Graph, r Reading, sources []int32, scale float64) ([]float64, error) {
	n := g.N()
	dir := Out
	if r == Undirected {
		dir = Both
		scale *= 0.5
	}
	base := g.adjacency(dir, Simple, false)
	a, order := base.relabel()
	inv := make([]int32, n)
	for i, v := range order {
		inv[v] = int32(i)
	}
	part := make([][]float64, chunks)
	parallel(chunks, func(c int) {
		lo, hi := chunk(c, len(sources))
		if lo == hi {
			return
		}
		acc := make([]float64, n)
		s := newBrandesScratch(n)
		for _, src := range sources[lo:hi] {
			if ctx.Err() != nil {
				return
			}
			s.source(&a, inv[src], acc)
		}
		part[c] = acc
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for _, acc := range part {
		if acc == nil {
			continue
		}
		for v, x := range acc {
			out[order[v]] += x
		}
	}
	for v := range out {
		out[v] *= scale
	}
	return out, nil
}

// brandesScratch is one goroutine's per-source state for Brandes.
type brandesScratch struct {
	node   []brandesNode
	coef   []float64 // (1+δ(w))/σ(w) once w is done
	queue  []int32   // BFS order
	succ   []int32   // DAG successors, grouped by position in queue
	starts []int32   // succ of queue[i] is succ[starts[i]:starts[i+1]]
}

// brandesNode keeps together what the forward pass reads for a neighbour.
type brandesNode struct {
	sigma float64 // number of shortest paths from the source
	dist  int32   // -1 if not reached
}

func newBrandesScratch(n int) *brandesScratch {
	s := &brandesScratch{node: make([]brandesNode, n), coef: make([]float64, n), queue: make([]int32, 0, n), starts: make([]int32, 0, n+1)}
	for i := range s.node {
		s.node[i].dist = -1
	}
	return s
}

// source adds the dependencies of src to acc. The forward BFS counts
// shortest paths and records the successor lists of the shortest-path DAG;
// the backward pass evaluates δ(v) = σ(v) Σ_{w succ of v} (1+δ(w))/σ(w) in
// reverse BFS order, touching only DAG edges.
func (s *brandesScratch) source(a *adj, src int32, acc []float64) {
	off, nbr := a.off, a.nbr
	node, coef := s.node, s.coef
	queue, succ, starts := s.queue[:0], s.succ[:0], s.starts[:0]
	node[src] = brandesNode{sigma: 1, dist: 0}
	queue = append(queue, src)
	for head := 0; head < len(queue); head++ {
		v := queue[head]
		starts = append(starts, int32(len(succ)))
		d := node[v].dist + 1
		sv := node[v].sigma
		for _, w := range nbr[off[v]:off[v+1]] {
			nw := &node[w]
			if nw.dist < 0 {
				nw.dist = d
				nw.sigma = sv
				queue = append(queue, w)
				succ = append(succ, w)
			} else if nw.dist == d {
				nw.sigma += sv
				succ = append(succ, w)
			}
		}
	}
	starts = append(starts, int32(len(succ)))
	for i := len(queue) - 1; i > 0; i-- {
		v := queue[i]
		var sum float64
		for _, w := range succ[starts[i]:starts[i+1]] {
			sum += coef[w]
		}
		sv := node[v].sigma
		delta := sv * sum
		acc[v] += delta
		coef[v] = (1 + delta) / sv
	}
	for _, v := range queue {
		node[v] = brandesNode{dist: -1}
		coef[v] = 0
	}
	s.queue, s.succ, s.starts = queue[:0], succ[:0], starts[:0]
}

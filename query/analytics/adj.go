package analytics

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Direction selects which edges a traversal follows.
type Direction uint8

const (
	Out  Direction = iota // follow edges from source to target
	In                    // follow edges backwards, from target to source
	Both                  // the undirected reading: follow edges either way
)

// A Reading says whether a measure reads the graph as directed or undirected.
type Reading uint8

const (
	Directed   Reading = iota // edges have a direction
	Undirected                // an edge joins its end points both ways
)

// Weighting says how edges count in the spectral measures (PageRank,
// HITS, eigenvector centrality). Path measures always count hops and
// ignore parallel edges.
type Weighting uint8

const (
	// Multi counts every edge once, so parallel edges (two predicates
	// between the same nodes) add up, as igraph and NetworkX's
	// MultiDiGraph with weight=None do.
	Multi Weighting = iota
	// Simple counts each connected ordered pair once, as in gonum's
	// unweighted algorithms and NetworkX's DiGraph.
	Simple
	// Sources weights each edge by its number of supporting sources;
	// parallel edges add up. Gonum's weighted algorithms see the same
	// weights through the Graph's WeightedDirected interface.
	Sources
)

// adj is a transient adjacency derived from a Graph: the neighbours of v
// are nbr[off[v]:off[v+1]], sorted and distinct, with optional weights.
type adj struct {
	off []int32
	nbr []int32
	w   []float64 // nil if unweighted
}

// adjacency returns the distinct-neighbour adjacency of g in direction dir.
// With weighted, each entry carries the summed weight of the edges it
// stands for under wt. Self-loops are kept; in the Both direction a
// self-loop appears once.
func (g *Graph) adjacency(dir Direction, wt Weighting, weighted bool) adj {
	n := g.N()
	var ew []uint16 // per-edge source counts aligned with the in lists
	if weighted && wt == Sources && dir != Out {
		idx := g.inEdgeIndex()
		ew = make([]uint16, len(idx))
		for i, e := range idx {
			ew[i] = g.outSrc[e]
		}
	}
	a := adj{off: make([]int32, n+1)}
	size := len(g.outTo)
	if dir == Both {
		size *= 2
	}
	a.nbr = make([]int32, 0, size)
	if weighted {
		a.w = make([]float64, 0, size)
	}
	weightOf := func(src []uint16, i int) float64 {
		switch wt {
		case Simple:
			return 1
		case Sources:
			return float64(src[i])
		}
		return 1
	}
	add := func(v int32, w float64) {
		a.nbr = append(a.nbr, v)
		if weighted {
			a.w = append(a.w, w)
		}
	}
	for v := range n {
		start := int32(len(a.nbr))
		a.off[v] = start
		var outs, ins []int32
		var outW, inW []uint16
		if dir != In {
			lo, hi := g.outOff[v], g.outOff[v+1]
			outs, outW = g.outTo[lo:hi], g.outSrc[lo:hi]
		}
		if dir != Out {
			lo, hi := g.inOff[v], g.inOff[v+1]
			ins = g.inFrom[lo:hi]
			if ew != nil {
				inW = ew[lo:hi]
			}
		}
		i, j := 0, 0
		for i < len(outs) || j < len(ins) {
			var u int32
			var w float64
			if j >= len(ins) || (i < len(outs) && outs[i] <= ins[j]) {
				u, w = outs[i], weightOf(outW, i)
				i++
			} else {
				u = ins[j]
				if dir == Both && u == int32(v) {
					j++ // the self-loop was taken from the out list
					continue
				}
				w = weightOf(inW, j)
				j++
			}
			if k := len(a.nbr); k > int(start) && a.nbr[k-1] == u {
				if weighted && wt != Simple {
					a.w[k-1] += w
				}
				continue
			}
			add(u, w)
		}
	}
	a.off[n] = int32(len(a.nbr))
	return a
}

// parallel calls fn(i) for i in 0..n-1 on up to GOMAXPROCS goroutines.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// chunks is the fixed number of pieces that parallel kernels split work
// into. Partial sums are combined in chunk order, so results do not depend
// on the number of CPUs.
const chunks = 16

// chunk returns the half-open range of chunk c of n items.
func chunk(c, n int) (lo, hi int) { return c * n / chunks, (c + 1) * n / chunks }

// relabel returns a copy of a whose nodes are renumbered by descending
// degree (ties by id), which packs the hubs that most paths cross into a
// few cache lines, and order, where order[new] = old.
func (a *adj) relabel() (adj, []int32) {
	n := len(a.off) - 1
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	deg := func(v int32) int32 { return a.off[v+1] - a.off[v] }
	// Counting sort by degree, descending, stable.
	maxDeg := int32(0)
	for v := range n {
		maxDeg = max(maxDeg, deg(int32(v)))
	}
	count := make([]int32, maxDeg+2)
	for v := range n {
		count[maxDeg-deg(int32(v))+1]++
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	for v := range n {
		k := maxDeg - deg(int32(v))
		order[count[k]] = int32(v)
		count[k]++
	}
	inv := make([]int32, n)
	for i, v := range order {
		inv[v] = int32(i)
	}
	b := adj{off: make([]int32, n+1), nbr: make([]int32, len(a.nbr))}
	for i, v := range order {
		lo, hi := a.off[v], a.off[v+1]
		start := b.off[i]
		for k, w := range a.nbr[lo:hi] {
			b.nbr[start+int32(k)] = inv[w]
		}
		b.off[i+1] = start + hi - lo
	}
	return b, order
}

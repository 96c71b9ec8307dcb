package analytics

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// ErrNotConverged is reported, wrapped, when a power iteration does not
// reach its tolerance within the maximum number of iterations.
var ErrNotConverged = errors.New("analytics: power iteration did not converge")

// Options control the power iterations of PageRank, HITS and Eigenvector.
// The zero value gives NetworkX's defaults.
type Options struct {
	Weighting Weighting
	// Tol is the convergence tolerance in NetworkX's sense: PageRank and
	// Eigenvector stop when the L1 change of the vector is below N·Tol,
	// HITS when it is below Tol. Zero means 1e-6 (1e-8 for HITS).
	Tol float64
	// MaxIter bounds the number of iterations; zero means 100 (1000 for HITS).
	MaxIter int
}

func (o Options) tol(def float64) float64 {
	if o.Tol > 0 {
		return o.Tol
	}
	return def
}

func (o Options) maxIter(def int) int {
	if o.MaxIter > 0 {
		return o.MaxIter
	}
	return def
}

// chunkSums runs fn over the fixed node chunks in parallel and returns the
// sum of its results, added in chunk order.
func chunkSums(n int, fn func(lo, hi int) float64) float64 {
	var part [chunks]float64
	parallel(chunks, func(c int) {
		lo, hi := chunk(c, n)
		part[c] = fn(lo, hi)
	})
	var s float64
	for _, x := range part {
		s += x
	}
	return s
}

// PageRank returns the PageRank of every node with the given damping
// factor (0.85 is customary), computed as NetworkX's pagerank does: the
// start vector and teleport distribution are uniform, a dangling node
// (no out-weight) spreads its rank uniformly over all nodes, and the
// iteration stops when the L1 change is below N·Tol. The result sums to 1.
// Edges count according to opt.Weighting. If the iteration does not
// converge PageRank returns the last vector and an error wrapping
// ErrNotConverged. It stops when ctx is done (checked every iteration) and
// returns ctx's error.
func PageRank(ctx context.Context, g *Graph, damping float64, opt Options) ([]float64, error) {
	n := g.N()
	if n == 0 {
		return nil, nil
	}
	tol, maxIter := opt.tol(1e-6), opt.maxIter(100)
	weighted := opt.Weighting != Simple
	in := g.adjacency(In, opt.Weighting, weighted)
	// Out-weight of every node.
	outW := make([]float64, n)
	for e, v := range in.nbr {
		if weighted {
			outW[v] += in.w[e]
		} else {
			outW[v]++
		}
	}
	x := make([]float64, n)
	next := make([]float64, n)
	y := make([]float64, n) // x/outW
	for i := range x {
		x[i] = 1 / float64(n)
	}
	nf := float64(n)
	for iter := 0; iter < maxIter; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dangling := chunkSums(n, func(lo, hi int) float64 {
			var d float64
			for u := lo; u < hi; u++ {
				if outW[u] == 0 {
					d += x[u]
					y[u] = 0
				} else {
					y[u] = x[u] / outW[u]
				}
			}
			return d
		})
		base := damping*dangling/nf + (1-damping)/nf
		err := chunkSums(n, func(lo, hi int) float64 {
			var e float64
			off, nbr, w := in.off, in.nbr, in.w
			for v := lo; v < hi; v++ {
				var s float64
				if weighted {
					for k := off[v]; k < off[v+1]; k++ {
						s += w[k] * y[nbr[k]]
					}
				} else {
					for _, u := range nbr[off[v]:off[v+1]] {
						s += y[u]
					}
				}
				s = damping*s + base
				next[v] = s
				e += math.Abs(s - x[v])
			}
			return e
		})
		x, next = next, x
		if err < nf*tol {
			return x, nil
		}
	}
	return x, fmt.Errorf("pagerank: %w in %d iterations", ErrNotConverged, maxIter)
}

// HITS returns the hub and authority scores of every node, each summing
// to 1 as in NetworkX's hits. Authorities are the principal right singular
// vector of the adjacency matrix A (weighted by opt.Weighting) and hubs
// are A·authorities, found by power iteration until the L1 change of the
// hub vector is below Tol. For a graph without edges both are zero. It
// stops when ctx is done (checked every iteration) and returns ctx's error.
func HITS(ctx context.Context, g *Graph, opt Options) (hubs, authorities []float64, err error) {
	n := g.N()
	tol, maxIter := opt.tol(1e-8), opt.maxIter(1000)
	weighted := opt.Weighting != Simple
	in := g.adjacency(In, opt.Weighting, weighted)
	out := g.adjacency(Out, opt.Weighting, weighted)
	h := make([]float64, n)
	a := make([]float64, n)
	last := make([]float64, n)
	for i := range h {
		h[i] = 1 / float64(n)
	}
	mul := func(dst, src []float64, m *adj) float64 {
		return chunkSums(n, func(lo, hi int) float64 {
			var total float64
			for v := lo; v < hi; v++ {
				var s float64
				if weighted {
					for k := m.off[v]; k < m.off[v+1]; k++ {
						s += m.w[k] * src[m.nbr[k]]
					}
				} else {
					for _, u := range m.nbr[m.off[v]:m.off[v+1]] {
						s += src[u]
					}
				}
				dst[v] = s
				total += s
			}
			return total
		})
	}
	scale := func(v []float64, s float64) {
		for i := range v {
			v[i] /= s
		}
	}
	for iter := 0; iter < maxIter; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		copy(last, h)
		sa := mul(a, h, &in)
		if sa == 0 {
			clear(h)
			return h, a, nil
		}
		scale(a, sa)
		sh := mul(h, a, &out)
		scale(h, sh)
		var diff float64
		for i := range h {
			diff += math.Abs(h[i] - last[i])
		}
		if diff < tol {
			return h, a, nil
		}
	}
	return h, a, fmt.Errorf("hits: %w in %d iterations", ErrNotConverged, maxIter)
}

// Eigenvector returns the eigenvector centrality of every node as
// NetworkX's eigenvector_centrality computes it: power iteration on A+I
// from the uniform vector, where in the Directed reading a node's score
// comes from its in-neighbours (the left eigenvector), normalised to unit
// Euclidean length, stopping when the L1 change is below N·Tol. It stops
// when ctx is done (checked every iteration) and returns ctx's error.
func Eigenvector(ctx context.Context, g *Graph, r Reading, opt Options) ([]float64, error) {
	n := g.N()
	if n == 0 {
		return nil, nil
	}
	tol, maxIter := opt.tol(1e-6), opt.maxIter(100)
	weighted := opt.Weighting != Simple
	dir := In
	if r == Undirected {
		dir = Both
	}
	m := g.adjacency(dir, opt.Weighting, weighted)
	x := make([]float64, n)
	next := make([]float64, n)
	for i := range x {
		x[i] = 1 / float64(n)
	}
	for iter := 0; iter < maxIter; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sq := chunkSums(n, func(lo, hi int) float64 {
			var sq float64
			for v := lo; v < hi; v++ {
				s := x[v]
				if weighted {
					for k := m.off[v]; k < m.off[v+1]; k++ {
						s += m.w[k] * x[m.nbr[k]]
					}
				} else {
					for _, u := range m.nbr[m.off[v]:m.off[v+1]] {
						s += x[u]
					}
				}
				next[v] = s
				sq += s * s
			}
			return sq
		})
		norm := math.Sqrt(sq)
		if norm == 0 {
			norm = 1
		}
		var diff float64
		for v := range next {
			next[v] /= norm
			diff += math.Abs(next[v] - x[v])
		}
		x, next = next, x
		if diff < float64(n)*tol {
			return x, nil
		}
	}
	return x, fmt.Errorf("eigenvector: %w in %d iterations", ErrNotConverged, maxIter)
}

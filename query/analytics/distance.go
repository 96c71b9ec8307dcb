package analytics

import "context"

// Closeness returns the closeness centrality of every node with NetworkX's
// default Wasserman–Faust correction for disconnected graphs:
//
//	C(u) = (r-1)/Σ d(v,u) · (r-1)/(n-1)
//
// where the sum runs over the r nodes (u included) that reach u and
// n = N(); C(u) = 0 when nothing else reaches u. In the Directed reading
// distances are incoming (from v to u), as in NetworkX and gonum. It runs
// one BFS per node, in parallel, in O(N·M) time and O(N) memory per CPU.
// It stops when ctx is done and returns ctx's error.
func Closeness(ctx context.Context, g *Graph, r Reading) ([]float64, error) {
	n := g.N()
	out := make([]float64, n)
	err := perSource(ctx, g, r, func(u int32, s *bfsState) {
		var sum int64
		for _, v := range s.queue {
			sum += int64(s.dist[v])
		}
		if reached := len(s.queue); sum > 0 && n > 1 {
			c := float64(reached-1) / float64(sum)
			out[u] = c * float64(reached-1) / float64(n-1)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Harmonic returns the harmonic centrality of every node,
//
//	H(u) = Σ_{v≠u} 1/d(v,u)
//
// summing over the nodes that reach u, with incoming distances in the
// Directed reading, as NetworkX's harmonic_centrality and gonum's
// network.Harmonic do. It stops when ctx is done and returns ctx's error.
func Harmonic(ctx context.Context, g *Graph, r Reading) ([]float64, error) {
	out := make([]float64, g.N())
	err := perSource(ctx, g, r, func(u int32, s *bfsState) {
		// Sum by distance layer: exact counts, then one division per layer.
		var h float64
		q := s.queue
		for i := 1; i < len(q); {
			d := s.dist[q[i]]
			j := i
			for j < len(q) && s.dist[q[j]] == d {
				j++
			}
			h += float64(j-i) / float64(d)
			i = j
		}
		out[u] = h
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// perSource runs a BFS from every node over incoming edges (Directed) or
// all edges (Undirected) and calls fn with each result. fn may run
// concurrently for different nodes. It stops, returning ctx's error, when
// ctx is done (checked every block of 64 sources).
func perSource(ctx context.Context, g *Graph, r Reading, fn func(u int32, s *bfsState)) error {
	dir := In
	if r == Undirected {
		dir = Both
	}
	base := g.adjacency(dir, Simple, false)
	a, order := base.relabel()
	n := g.N()
	const block = 64
	states := make(chan *bfsState, chunks)
	parallel((n+block-1)/block, func(b int) {
		if ctx.Err() != nil {
			return
		}
		var s *bfsState
		select {
		case s = <-states:
		default:
			s = newBFSState(n)
		}
		for u := b * block; u < min(n, (b+1)*block); u++ {
			s.run(&a, int32(u), r == Undirected)
			fn(order[u], s)
			s.reset()
		}
		select {
		case states <- s:
		default:
		}
	})
	return ctx.Err()
}

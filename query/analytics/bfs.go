package analytics

// Degrees returns the in-, out- and total degree of every node, counting
// each edge, so parallel edges count separately and a self-loop adds one
// to both in and out (two to total), as in NetworkX's MultiDiGraph.
func Degrees(g *Graph) (in, out, total []int32) {
	n := g.N()
	in, out, total = make([]int32, n), make([]int32, n), make([]int32, n)
	for v := range n {
		in[v] = g.inOff[v+1] - g.inOff[v]
		out[v] = g.outOff[v+1] - g.outOff[v]
		total[v] = in[v] + out[v]
	}
	return in, out, total
}

// bfsState is per-goroutine scratch space for repeated BFS over an adj.
type bfsState struct {
	dist      []int32
	queue     []int32
	unvisited []int32
}

func newBFSState(n int) *bfsState {
	s := &bfsState{dist: make([]int32, n), queue: make([]int32, 0, n), unvisited: make([]int32, 0, n)}
	for i := range s.dist {
		s.dist[i] = -1
	}
	return s
}

// run does a BFS from src over a, which must be symmetric or be read
// backwards consistently (the bottom-up steps look for a parent among a
// node's own list), leaving the visited nodes in s.queue in order of
// distance and their distances in s.dist. It is direction-optimising
// (Beamer et al., SC 2012): when the frontier's edges outnumber a
// fraction of the unexplored ones, each unvisited node looks for a parent
// in the frontier instead, stopping at the first. reset must be called
// before the next run.
func (s *bfsState) run(a *adj, src int32, symmetric bool) {
	dist, queue := s.dist, s.queue[:0]
	off, nbr := a.off, a.nbr
	n := len(dist)
	dist[src] = 0
	queue = append(queue, src)
	unexplored := int64(len(nbr)) - int64(off[src+1]-off[src])
	bottomUp := false
	unvisited := s.unvisited[:0]
	for lo, d := 0, int32(0); lo < len(queue); d++ {
		hi := len(queue)
		var frontierEdges int64
		for _, v := range queue[lo:hi] {
			frontierEdges += int64(off[v+1] - off[v])
		}
		if symmetric && !bottomUp && frontierEdges > unexplored/14 {
			bottomUp = true
			unvisited = unvisited[:0]
			for v := range n {
				if dist[v] < 0 {
					unvisited = append(unvisited, int32(v))
				}
			}
		} else if bottomUp && (hi-lo) < n/24 {
			bottomUp = false
		}
		if bottomUp {
			k := 0
			for _, v := range unvisited {
				found := false
				for _, w := range nbr[off[v]:off[v+1]] {
					if dist[w] == d {
						found = true
						break
					}
				}
				if found {
					dist[v] = d + 1
					queue = append(queue, v)
					unexplored -= int64(off[v+1] - off[v])
				} else {
					unvisited[k] = v
					k++
				}
			}
			unvisited = unvisited[:k]
		} else {
			for _, v := range queue[lo:hi] {
				for _, w := range nbr[off[v]:off[v+1]] {
					if dist[w] < 0 {
						dist[w] = d + 1
						queue = append(queue, w)
						unexplored -= int64(off[w+1] - off[w])
					}
				}
			}
		}
		lo = hi
	}
	s.queue, s.unvisited = queue, unvisited
}

func (s *bfsState) reset() {
	for _, v := range s.queue {
		s.dist[v] = -1
	}
	s.queue = s.queue[:0]
}

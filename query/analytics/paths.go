package analytics

import (
	"cmp"
	"context"
	"slices"
)

// A Path is a walk through the undirected reading of a Graph.
type Path struct {
	// Nodes runs from the source to the target.
	Nodes []int32
	// Edges[i] is an edge index joining Nodes[i] and Nodes[i+1] in either
	// direction: the one with the most sources, then the lowest index. It
	// goes forward if Graph.EdgeAt(Edges[i]).From == Nodes[i]. Use
	// Graph.EdgesBetween to list every parallel edge of a hop.
	Edges []int32
}

// Hops returns the number of edges on the path.
func (p Path) Hops() int { return len(p.Edges) }

// KShortestPaths returns up to k loopless paths from s to t in the
// undirected reading of g, in order of increasing hop count, by Yen's
// algorithm. Paths are distinct as node sequences (parallel edges do not
// make new paths); among paths of equal length the order is by ascending
// node ids, position by position. It stops when ctx is done (checked
// before every spur search) and returns ctx's error.
func KShortestPaths(ctx context.Context, g *Graph, s, t int32, k int) ([]Path, error) {
	if k <= 0 {
		return nil, nil
	}
	f := newFinder(g)
	first := f.search(s, t, nil)
	if first == nil {
		return nil, ctx.Err()
	}
	accepted := [][]int32{first}
	var cands [][]int32
	var firstHops []int32
	for len(accepted) < k && len(first) > 1 {
		prev := accepted[len(accepted)-1]
		for j := 0; j < len(prev)-1; j++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			root := prev[:j+1]
			firstHops = firstHops[:0]
			for _, p := range accepted {
				if len(p) > j+1 && slices.Equal(p[:j+1], root) {
					firstHops = append(firstHops, p[j+1])
				}
			}
			f.block(root[:j])
			spur := f.search(prev[j], t, firstHops)
			if spur == nil {
				continue
			}
			cand := append(slices.Clone(root[:j]), spur...)
			if !slices.ContainsFunc(cands, func(c []int32) bool { return slices.Equal(c, cand) }) {
				cands = append(cands, cand)
			}
		}
		if len(cands) == 0 {
			break
		}
		best := 0
		for i, c := range cands {
			if comparePaths(c, cands[best]) < 0 {
				best = i
			}
		}
		accepted = append(accepted, cands[best])
		cands = slices.Delete(cands, best, best+1)
	}
	paths := make([]Path, len(accepted))
	for i, p := range accepted {
		paths[i] = g.path(p)
	}
	return paths, nil
}

func comparePaths(a, b []int32) int {
	if r := cmp.Compare(len(a), len(b)); r != 0 {
		return r
	}
	return slices.Compare(a, b)
}

func (g *Graph) path(nodes []int32) Path {
	p := Path{Nodes: nodes, Edges: make([]int32, len(nodes)-1)}
	for i := range p.Edges {
		p.Edges[i] = g.bestEdgeBetween(nodes[i], nodes[i+1])
	}
	return p
}

// finder holds scratch space for repeated s–t searches. Marks are epoch
// stamps, so a search costs only what it visits.
type finder struct {
	g       *Graph
	seen    [2][]uint32 // == epoch: visited from s (0) or from t (1)
	dist    [2][]int32
	parent  [2][]int32
	banned  []uint32 // == epoch: blocked for this search
	queue   [2][]int32
	epoch   uint32
	blocked bool // banned is set for the next search
}

func newFinder(g *Graph) *finder {
	n := g.N()
	f := &finder{g: g, banned: make([]uint32, n)}
	for i := range 2 {
		f.seen[i] = make([]uint32, n)
		f.dist[i] = make([]int32, n)
		f.parent[i] = make([]int32, n)
	}
	return f
}

// block bans nodes from the next search.
func (f *finder) block(nodes []int32) {
	f.epoch++
	f.blocked = true
	for _, v := range nodes {
		f.banned[v] = f.epoch
	}
}

// search returns a shortest path from s to t in the undirected reading
// avoiding the blocked nodes and, for the first hop only, the nodes in
// notFirst; nil if there is none. It is a bidirectional BFS that expands
// the side with the smaller frontier one whole level at a time and, among
// the meetings of the level that first meets, keeps the shortest (the
// first found on ties), so its choice is deterministic.
func (f *finder) search(s, t int32, notFirst []int32) []int32 {
	if !f.blocked {
		f.epoch++
	}
	f.blocked = false
	if s == t {
		return []int32{s}
	}
	ep := f.epoch
	g, banned := f.g, f.banned
	ends := [2]int32{s, t}
	var lo [2]int
	for side := range 2 {
		f.seen[side][ends[side]] = ep
		f.dist[side][ends[side]] = 0
		f.queue[side] = append(f.queue[side][:0], ends[side])
	}
	meet, best := int32(-1), int32(-1)
	for meet < 0 {
		// Pick the side whose frontier is smaller; stop if one is empty.
		side := 0
		if len(f.queue[1])-lo[1] < len(f.queue[0])-lo[0] {
			side = 1
		}
		if lo[side] == len(f.queue[side]) {
			return nil
		}
		other := 1 - side
		seen, dist, parent := f.seen[side], f.dist[side], f.parent[side]
		oseen, odist := f.seen[other], f.dist[other]
		hi := len(f.queue[side])
		queue := f.queue[side]
		visit := func(v, w int32) {
			if banned[w] == ep || seen[w] == ep {
				return
			}
			// The edge s–x is a first hop in either direction of search.
			if (v == s && slices.Contains(notFirst, w)) || (w == s && slices.Contains(notFirst, v)) {
				return
			}
			seen[w] = ep
			dist[w] = dist[v] + 1
			parent[w] = v
			if oseen[w] == ep {
				if total := dist[w] + odist[w]; best < 0 || total < best {
					meet, best = w, total
				}
				return // a meeting node is not expanded further
			}
			queue = append(queue, w)
		}
		for _, v := range queue[lo[side]:hi] {
			if v == ends[other] {
				continue
			}
			for _, w := range g.outTo[g.outOff[v]:g.outOff[v+1]] {
				visit(v, w)
			}
			for _, w := range g.inFrom[g.inOff[v]:g.inOff[v+1]] {
				visit(v, w)
			}
		}
		f.queue[side] = queue
		lo[side] = hi
	}
	var path []int32
	for v := meet; v != s; v = f.parent[0][v] {
		path = append(path, v)
	}
	path = append(path, s)
	slices.Reverse(path)
	for v := meet; v != t; {
		v = f.parent[1][v]
		path = append(path, v)
	}
	return path
}

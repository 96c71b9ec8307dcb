package analytics

import (
	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
)

// A Node is a node of a Graph as seen through gonum's interfaces. Its ID is
// the Graph's int32 node id.
type Node int64

// ID returns the node's id.
func (n Node) ID() int64 { return int64(n) }

// A WeightedEdge is an edge of the gonum views of a Graph. Parallel edges
// are collapsed into one whose weight is the sum of their source counts.
type WeightedEdge struct {
	F, T Node
	W    float64
}

// From returns the from node of the edge.
func (e WeightedEdge) From() gonum.Node { return e.F }

// To returns the to node of the edge.
func (e WeightedEdge) To() gonum.Node { return e.T }

// ReversedEdge returns the edge with its end points swapped.
func (e WeightedEdge) ReversedEdge() gonum.Edge { return WeightedEdge{F: e.T, T: e.F, W: e.W} }

// Weight returns the edge's weight.
func (e WeightedEdge) Weight() float64 { return e.W }

var (
	_ gonum.Directed           = (*Graph)(nil)
	_ gonum.WeightedDirected   = (*Graph)(nil)
	_ gonum.Undirected         = UndirectedView{}
	_ gonum.WeightedUndirected = UndirectedView{}
)

func (g *Graph) has(id int64) bool { return id >= 0 && id < int64(g.N()) }

// Node returns the node with the given id, or nil if it does not exist.
// It is part of gonum's graph.Graph interface, like the methods below:
// through them a Graph is a simple weighted directed graph where the edge
// u→v exists if at least one stored edge goes from u to v, and its weight
// is the sum of their source counts.
func (g *Graph) Node(id int64) gonum.Node {
	if !g.has(id) {
		return nil
	}
	return Node(id)
}

// Nodes returns all the nodes in ascending id order.
func (g *Graph) Nodes() gonum.Nodes {
	if g.N() == 0 {
		return gonum.Empty
	}
	return iterator.NewImplicitNodes(0, g.N(), func(id int) gonum.Node { return Node(id) })
}

// distinct returns list (sorted) without repeats, as gonum nodes.
func distinct(lists ...[]int32) gonum.Nodes {
	var merged []int32
	switch len(lists) {
	case 1:
		merged = lists[0]
	case 2:
		merged = mergeSorted(lists[0], lists[1])
	}
	var nodes []gonum.Node
	for i, v := range merged {
		if i > 0 && merged[i-1] == v {
			continue
		}
		nodes = append(nodes, Node(v))
	}
	if len(nodes) == 0 {
		return gonum.Empty
	}
	return iterator.NewOrderedNodes(nodes)
}

func mergeSorted(a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// From returns the nodes reachable from id by one edge.
func (g *Graph) From(id int64) gonum.Nodes {
	if !g.has(id) {
		return gonum.Empty
	}
	return distinct(g.OutNeighbors(int32(id)))
}

// To returns the nodes that reach id by one edge.
func (g *Graph) To(id int64) gonum.Nodes {
	if !g.has(id) {
		return gonum.Empty
	}
	return distinct(g.InNeighbors(int32(id)))
}

// HasEdgeFromTo reports whether an edge goes from uid to vid.
func (g *Graph) HasEdgeFromTo(uid, vid int64) bool {
	if !g.has(uid) || !g.has(vid) {
		return false
	}
	lo, hi := g.EdgesFromTo(int32(uid), int32(vid))
	return hi > lo
}

// HasEdgeBetween reports whether an edge joins xid and yid in either direction.
func (g *Graph) HasEdgeBetween(xid, yid int64) bool {
	return g.HasEdgeFromTo(xid, yid) || g.HasEdgeFromTo(yid, xid)
}

// Edge returns the edge from uid to vid, or nil.
func (g *Graph) Edge(uid, vid int64) gonum.Edge {
	if e := g.WeightedEdge(uid, vid); e != nil {
		return e
	}
	return nil
}

// WeightedEdge returns the edge from uid to vid, or nil.
func (g *Graph) WeightedEdge(uid, vid int64) gonum.WeightedEdge {
	w, ok := g.pairWeight(uid, vid)
	if !ok {
		return nil
	}
	return WeightedEdge{F: Node(uid), T: Node(vid), W: w}
}

func (g *Graph) pairWeight(uid, vid int64) (float64, bool) {
	if !g.has(uid) || !g.has(vid) {
		return 0, false
	}
	lo, hi := g.EdgesFromTo(int32(uid), int32(vid))
	if hi == lo {
		return 0, false
	}
	var w float64
	for e := lo; e < hi; e++ {
		w += float64(g.outSrc[e])
	}
	return w, true
}

// Weight returns the weight of the edge from xid to yid and whether it
// exists. As in gonum's simple graphs, a node has weight 0 to itself when
// it has no self-loop.
func (g *Graph) Weight(xid, yid int64) (float64, bool) {
	if w, ok := g.pairWeight(xid, yid); ok {
		return w, true
	}
	if xid == yid && g.has(xid) {
		return 0, true
	}
	return 0, false
}

// Undirected returns the undirected reading of g.
func (g *Graph) Undirected() UndirectedView { return UndirectedView{g} }

// UndirectedView is the undirected reading of a Graph through gonum's
// interfaces: x and y are adjacent if an edge joins them in either
// direction, and the weight is the sum of the source counts of all edges
// joining them in both directions.
type UndirectedView struct{ G *Graph }

// Node returns the node with the given id, or nil.
func (u UndirectedView) Node(id int64) gonum.Node { return u.G.Node(id) }

// Nodes returns all the nodes.
func (u UndirectedView) Nodes() gonum.Nodes { return u.G.Nodes() }

// From returns the neighbours of id.
func (u UndirectedView) From(id int64) gonum.Nodes {
	if !u.G.has(id) {
		return gonum.Empty
	}
	return distinct(u.G.OutNeighbors(int32(id)), u.G.InNeighbors(int32(id)))
}

// HasEdgeBetween reports whether an edge joins xid and yid.
func (u UndirectedView) HasEdgeBetween(xid, yid int64) bool { return u.G.HasEdgeBetween(xid, yid) }

// Edge returns the edge between uid and vid, or nil.
func (u UndirectedView) Edge(uid, vid int64) gonum.Edge {
	if e := u.WeightedEdgeBetween(uid, vid); e != nil {
		return e
	}
	return nil
}

// EdgeBetween returns the edge between xid and yid, or nil.
func (u UndirectedView) EdgeBetween(xid, yid int64) gonum.Edge { return u.Edge(xid, yid) }

// WeightedEdge returns the edge between uid and vid, or nil.
func (u UndirectedView) WeightedEdge(uid, vid int64) gonum.WeightedEdge {
	return u.WeightedEdgeBetween(uid, vid)
}

// WeightedEdgeBetween returns the edge between xid and yid, or nil.
func (u UndirectedView) WeightedEdgeBetween(xid, yid int64) gonum.WeightedEdge {
	w, ok := u.pairWeight(xid, yid)
	if !ok {
		return nil
	}
	return WeightedEdge{F: Node(xid), T: Node(yid), W: w}
}

func (u UndirectedView) pairWeight(xid, yid int64) (float64, bool) {
	w1, ok1 := u.G.pairWeight(xid, yid)
	if xid == yid {
		return w1, ok1
	}
	w2, ok2 := u.G.pairWeight(yid, xid)
	return w1 + w2, ok1 || ok2
}

// Weight returns the weight of the edge between xid and yid and whether
// it exists; 0 and true for a node without a self-loop to itself.
func (u UndirectedView) Weight(xid, yid int64) (float64, bool) {
	if w, ok := u.pairWeight(xid, yid); ok {
		return w, true
	}
	if xid == yid && u.G.has(xid) {
		return 0, true
	}
	return 0, false
}

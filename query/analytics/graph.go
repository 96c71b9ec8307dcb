package analytics

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// A Graph is an immutable, compact directed multigraph. Nodes are dense
// int32 ids 0..N()-1 ordered by ascending key, so ids, and every result
// indexed by them, do not depend on the order in which a Builder saw its
// input. Edges are stored in compressed sparse row (CSR) form twice: by
// source (the out lists, which carry the edge attributes) and by target
// (the in lists). An edge index e in 0..M()-1 is the position of the edge
// in the out lists; out lists are sorted by (target, predicate).
//
// A Graph is safe for concurrent use by multiple goroutines.
type Graph struct {
	keys   string  // node keys, concatenated in id order
	keyOff []int32 // node v's key is keys[keyOff[v]:keyOff[v+1]]
	kind   []uint8 // index into kinds
	kinds  []string
	preds  []string // predicate names, sorted; an edge's predicate id indexes it

	outOff  []int32  // out list of v is outTo[outOff[v]:outOff[v+1]]
	outTo   []int32  // target of edge e
	outPred []uint16 // predicate id of edge e
	outSrc  []uint16 // number of supporting sources of edge e

	inOff  []int32 // in list of v is inFrom[inOff[v]:inOff[v+1]]
	inFrom []int32 // sources of in-edges, sorted; parallel edges in out order
}

// An Edge describes one stored edge.
type Edge struct {
	From, To  int32
	Predicate uint16 // index into Graph.Predicates
	Sources   uint16 // number of independent sources asserting the edge
}

// N returns the number of nodes.
func (g *Graph) N() int { return len(g.kind) }

// M returns the number of edges, counting parallel edges.
func (g *Graph) M() int { return len(g.outTo) }

// Key returns the key (the entity IRI) of node v.
func (g *Graph) Key(v int32) string { return g.keys[g.keyOff[v]:g.keyOff[v+1]] }

// Kind returns the kind of node v; "" if it was never given one.
func (g *Graph) Kind(v int32) string { return g.kinds[g.kind[v]] }

// Kinds returns the node kinds present in the Builder's input, sorted.
// The caller must not modify the returned slice.
func (g *Graph) Kinds() []string { return g.kinds }

// Predicates returns the predicate names, indexed by predicate id.
// The caller must not modify the returned slice.
func (g *Graph) Predicates() []string { return g.preds }

// ID returns the node with the given key and reports whether it exists.
// It runs in O(log N) time.
func (g *Graph) ID(key string) (int32, bool) {
	n := g.N()
	i := sort.Search(n, func(i int) bool { return g.Key(int32(i)) >= key })
	if i < n && g.Key(int32(i)) == key {
		return int32(i), true
	}
	return -1, false
}

// EdgeAt returns edge e.
func (g *Graph) EdgeAt(e int32) Edge {
	return Edge{From: g.edgeFrom(e), To: g.outTo[e], Predicate: g.outPred[e], Sources: g.outSrc[e]}
}

// Out returns the edge indexes of the edges leaving v, as a half-open range.
func (g *Graph) Out(v int32) (lo, hi int32) { return g.outOff[v], g.outOff[v+1] }

// InNeighbors returns the sources of the edges entering v, with one entry
// per edge. The caller must not modify the returned slice.
func (g *Graph) InNeighbors(v int32) []int32 { return g.inFrom[g.inOff[v]:g.inOff[v+1]] }

// OutNeighbors returns the targets of the edges leaving v, with one entry
// per edge, in edge order. The caller must not modify the returned slice.
func (g *Graph) OutNeighbors(v int32) []int32 { return g.outTo[g.outOff[v]:g.outOff[v+1]] }

// edgeFrom returns the source of edge e by binary search on the offsets.
func (g *Graph) edgeFrom(e int32) int32 {
	// The last v with outOff[v] <= e.
	v, _ := slices.BinarySearch(g.outOff, e+1)
	return int32(v - 1)
}

// EdgesFromTo returns the edge indexes of the edges from u to v, as a half-open range.
func (g *Graph) EdgesFromTo(u, v int32) (lo, hi int32) {
	lo, hi = g.outOff[u], g.outOff[u+1]
	list := g.outTo[lo:hi]
	i, _ := slices.BinarySearch(list, v)
	j := i
	for j < len(list) && list[j] == v {
		j++
	}
	return lo + int32(i), lo + int32(j)
}

// EdgesBetween returns the edges from u to v followed by those from v to u.
func (g *Graph) EdgesBetween(u, v int32) []int32 {
	var es []int32
	lo, hi := g.EdgesFromTo(u, v)
	for e := lo; e < hi; e++ {
		es = append(es, e)
	}
	if u != v {
		lo, hi = g.EdgesFromTo(v, u)
		for e := lo; e < hi; e++ {
			es = append(es, e)
		}
	}
	return es
}

// bestEdgeBetween returns the edge joining u and v in either direction with
// the most sources, breaking ties by the lowest edge index; -1 if none.
func (g *Graph) bestEdgeBetween(u, v int32) int32 {
	best := int32(-1)
	for _, e := range g.EdgesBetween(u, v) {
		if best < 0 || g.outSrc[e] > g.outSrc[best] || (g.outSrc[e] == g.outSrc[best] && e < best) {
			best = e
		}
	}
	return best
}

// StructureBytes returns the bytes held by the adjacency structure: the
// offsets, targets, predicates and source counts of the out lists and the
// offsets and sources of the in lists. Node keys and kinds are counted by
// KeyBytes.
func (g *Graph) StructureBytes() int {
	return 4*(len(g.outOff)+len(g.outTo)+len(g.inOff)+len(g.inFrom)) + 2*(len(g.outPred)+len(g.outSrc))
}

// KeyBytes returns the bytes held by node keys and kinds.
func (g *Graph) KeyBytes() int { return len(g.keys) + 4*len(g.keyOff) + len(g.kind) }

type rawEdge struct {
	from, to int32
	pred     uint16
	sources  uint32
}

// fill builds the CSR lists from es, which must be sorted by (from, to,
// pred) with no duplicate triples, for a graph whose nodes are set.
func (g *Graph) fill(es []rawEdge) {
	n := g.N()
	m := len(es)
	if int64(m) > 1<<31-1 {
		panic(fmt.Sprintf("analytics: %d edges exceed the int32 edge index", m))
	}
	g.outOff = make([]int32, n+1)
	g.inOff = make([]int32, n+1)
	g.outTo = make([]int32, m)
	g.outPred = make([]uint16, m)
	g.outSrc = make([]uint16, m)
	g.inFrom = make([]int32, m)
	for i, e := range es {
		g.outOff[e.from+1]++
		g.inOff[e.to+1]++
		g.outTo[i] = e.to
		g.outPred[i] = e.pred
		g.outSrc[i] = uint16(min(e.sources, 1<<16-1))
	}
	for v := range n {
		g.outOff[v+1] += g.outOff[v]
		g.inOff[v+1] += g.inOff[v]
	}
	pos := slices.Clone(g.inOff[:n])
	for _, e := range es {
		g.inFrom[pos[e.to]] = e.from
		pos[e.to]++
	}
}

// inEdgeIndex returns, aligned with inFrom, the out-edge index of each in-edge.
func (g *Graph) inEdgeIndex() []int32 {
	idx := make([]int32, len(g.inFrom))
	pos := slices.Clone(g.inOff[:g.N()])
	for e, v := range g.outTo {
		idx[pos[v]] = int32(e)
		pos[v]++
	}
	return idx
}

// A Builder collects nodes and edges and builds a Graph. The zero value is
// ready to use. A Builder is not safe for concurrent use.
type Builder struct {
	ids   map[string]int32
	keys  []string
	kinds []string
	preds map[string]uint16
	pname []string
	edges []rawEdge
}

// Node returns the builder-local handle of the node with the given key,
// adding it if needed. A non-empty kind sets the node's kind; an empty kind
// leaves it unchanged. Handles are only valid for Edge on this Builder; the
// Graph numbers nodes by key.
func (b *Builder) Node(key, kind string) int32 {
	if b.ids == nil {
		b.ids = make(map[string]int32)
		b.preds = make(map[string]uint16)
	}
	id, ok := b.ids[key]
	if !ok {
		id = int32(len(b.keys))
		b.ids[key] = id
		b.keys = append(b.keys, key)
		b.kinds = append(b.kinds, kind)
	} else if kind != "" {
		b.kinds[id] = kind
	}
	return id
}

// Edge adds an edge between two nodes returned by Node, asserted by the
// given number of independent sources. Adding the same (from, to,
// predicate) again adds the source counts, saturating at 65535. Edge
// panics if there are more than 65536 distinct predicates.
func (b *Builder) Edge(from, to int32, predicate string, sources uint16) {
	if b.preds == nil {
		b.preds = make(map[string]uint16)
	}
	p, ok := b.preds[predicate]
	if !ok {
		if len(b.pname) == 1<<16 {
			panic("analytics: too many predicates")
		}
		p = uint16(len(b.pname))
		b.preds[predicate] = p
		b.pname = append(b.pname, predicate)
	}
	b.edges = append(b.edges, rawEdge{from, to, p, uint32(sources)})
}

// AddEdge adds an edge between the nodes with keys from and to, adding
// nodes (without a kind) as needed.
func (b *Builder) AddEdge(from, to, predicate string, sources uint16) {
	b.Edge(b.Node(from, ""), b.Node(to, ""), predicate, sources)
}

// Build returns the Graph of the nodes and edges added so far. The
// Builder may be reused afterwards; Build does not retain its slices.
func (b *Builder) Build() *Graph {
	n := len(b.keys)
	if int64(n) > 1<<31-2 {
		panic("analytics: too many nodes")
	}
	// Node order: ascending key.
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, c int32) int { return strings.Compare(b.keys[a], b.keys[c]) })
	newID := make([]int32, n)
	for i, old := range order {
		newID[old] = int32(i)
	}
	// Kinds and predicates: ascending name.
	kindSet := map[string]bool{"": true}
	for _, k := range b.kinds {
		kindSet[k] = true
	}
	kinds := make([]string, 0, len(kindSet))
	for k := range kindSet {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	if len(kinds) > 256 {
		panic("analytics: more than 256 node kinds")
	}
	preds := slices.Sorted(func(yield func(string) bool) {
		for _, p := range b.pname {
			if !yield(p) {
				return
			}
		}
	})
	predID := make([]uint16, len(b.pname))
	for old, p := range b.pname {
		i, _ := slices.BinarySearch(preds, p)
		predID[old] = uint16(i)
	}

	g := &Graph{kinds: kinds, preds: preds, keyOff: make([]int32, n+1), kind: make([]uint8, n)}
	var keys strings.Builder
	for i, old := range order {
		keys.WriteString(b.keys[old])
		g.keyOff[i+1] = int32(keys.Len())
		k, _ := slices.BinarySearch(kinds, b.kinds[old])
		g.kind[i] = uint8(k)
	}
	g.keys = keys.String()

	es := make([]rawEdge, len(b.edges))
	for i, e := range b.edges {
		es[i] = rawEdge{newID[e.from], newID[e.to], predID[e.pred], e.sources}
	}
	slices.SortFunc(es, func(a, c rawEdge) int {
		if r := cmp.Compare(a.from, c.from); r != 0 {
			return r
		}
		if r := cmp.Compare(a.to, c.to); r != 0 {
			return r
		}
		return cmp.Compare(a.pred, c.pred)
	})
	// Merge duplicate triples.
	w := 0
	for i, e := range es {
		if i > 0 && e.from == es[w-1].from && e.to == es[w-1].to && e.pred == es[w-1].pred {
			es[w-1].sources += e.sources
			continue
		}
		es[w] = e
		w++
	}
	g.fill(es[:w])
	return g
}

// This file follows gonum's undirected Louvain
// (gonum.org/v1/gonum/graph/community, louvain_undirected.go, v0.17.0,
// Copyright ©2015 The Gonum Authors, BSD-style licence) move for move, with
// two changes: it checks a context as it works, and it costs O(degree)
// rather than O(community size) per node visit.
//
// Why: gonum's deltaQ sums the weight from the visited node to every member
// of every candidate community, and its reduction sums the weight of every
// pair of members of a community, so on a star (one group, n members) each
// sweep of the local moving heuristic and the reduction cost O(n²) map
// look-ups in gonum's own reduced graph, where no wrapper of ours is
// consulted: only the random source is, once per sweep. 30k leaves took
// minutes and could not be stopped. Here k_aC is accumulated over the
// node's edges, Σtot is kept per community and the reduction sums each
// internal edge once; with integer weights (source counts, as the View's
// are) every sum is exact, so the communities are the ones gonum finds with
// the same random source (TestLouvainMatchesGonum checks this).

package query

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	gonum "gonum.org/v1/gonum/graph"
)

// deltaQtol is gonum's tolerance for an improvement of Q.
const deltaQtol = 1e-15

// checkEvery is how many units of work pass between two looks at ctx.
const checkEvery = 1024

// lvLevel is one level of the Louvain hierarchy: gonum's ReducedUndirected.
type lvLevel struct {
	orig    []gonum.Node // level 0 only: the graph's node of each id
	self    []float64    // internal weight of each node
	edges   [][]int
	weights map[[2]int]float64 // keyed low id first
	comms   [][]int            // community structure at this level
	parent  *lvLevel
}

func (g *lvLevel) weight(x, y int) float64 {
	if x == y {
		return g.self[x]
	}
	if x > y {
		x, y = y, x
	}
	return g.weights[[2]int{x, y}]
}

// ticker checks ctx every checkEvery ticks.
type ticker struct {
	ctx context.Context
	n   int
}

func (t *ticker) tick() error {
	if t.n++; t.n%checkEvery == 0 {
		return t.ctx.Err()
	}
	return nil
}

// louvain returns the communities of ug found by gonum's
// community.Modularize(ug, resolution, src), or ctx's error once ctx is
// done.
func louvain(ctx context.Context, ug louvainGraph, resolution float64, src rand.Source) ([][]gonum.Node, error) {
	t := &ticker{ctx: ctx}
	c, err := firstLevel(t, ug)
	if err != nil {
		return nil, err
	}
	rnd := rand.New(src).IntN
	for {
		l := newMover(c, resolution)
		if l == nil {
			break
		}
		done, err := l.localMoving(t, rnd)
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
		if c, err = reduce(t, c, l.comms); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.communities(), nil
}

// firstLevel is reduceUndirected(g, nil): one node per graph node by id,
// no self weight.
func firstLevel(t *ticker, g louvainGraph) (*lvLevel, error) {
	nodes := gonum.NodesOf(g.Nodes())
	slices.SortFunc(nodes, func(a, b gonum.Node) int {
		switch {
		case a.ID() < b.ID():
			return -1
		case a.ID() > b.ID():
			return 1
		}
		return 0
	})
	r := &lvLevel{
		orig:    nodes,
		self:    make([]float64, len(nodes)),
		edges:   make([][]int, len(nodes)),
		weights: map[[2]int]float64{},
		comms:   make([][]int, len(nodes)),
	}
	of := make(map[int64]int, len(nodes))
	for i, n := range nodes {
		r.comms[i] = []int{i}
		of[n.ID()] = i
	}
	for u, n := range nodes {
		if err := t.tick(); err != nil {
			return nil, err
		}
		var out []int
		to := g.From(n.ID())
		for to.Next() {
			vn := to.Node()
			v := of[vn.ID()]
			if v != u {
				out = append(out, v)
			}
			if u < v {
				r.weights[[2]int{u, v}] = positiveWeight(g, n.ID(), vn.ID())
			}
		}
		r.edges[u] = out
	}
	return r, nil
}

// positiveWeight is gonum's positiveWeightFuncFor for a weighted graph.
func positiveWeight(g gonum.Weighted, x, y int64) float64 {
	w, ok := g.Weight(x, y)
	if !ok {
		return 0
	}
	if w < 0 {
		panic("community: unexpected negative edge weight")
	}
	return w
}

// reduce is reduceUndirected(g, comms): one node per non-empty community.
func reduce(t *ticker, g *lvLevel, comms [][]int) (*lvLevel, error) {
	for i := 0; i < len(comms); {
		if len(comms[i]) == 0 {
			comms[i] = comms[len(comms)-1]
			comms[len(comms)-1] = nil
			comms = comms[:len(comms)-1]
		} else {
			i++
		}
	}
	r := &lvLevel{
		self:    make([]float64, len(comms)),
		edges:   make([][]int, len(comms)),
		weights: map[[2]int]float64{},
		comms:   make([][]int, len(comms)),
		parent:  g,
	}
	g.comms = comms
	of := make([]int, len(g.self))
	for i, comm := range comms {
		r.comms[i] = []int{i}
		for _, u := range comm {
			of[u] = i
		}
	}
	seen := make([]int, len(comms)) // uc+1 once vc is in uc's out
	for uc, comm := range comms {
		var out []int
		for _, u := range comm {
			if err := t.tick(); err != nil {
				return nil, err
			}
			r.self[uc] += g.self[u]
			for _, v := range g.edges[u] {
				vc := of[v]
				if vc == uc {
					if u < v {
						r.self[uc] += 2 * g.weight(u, v)
					}
					continue
				}
				if seen[vc] != uc+1 {
					seen[vc] = uc + 1
					out = append(out, vc)
				}
				if uc < vc {
					r.weights[[2]int{uc, vc}] += g.weight(u, v)
				}
			}
		}
		r.edges[uc] = out
	}
	return r, nil
}

// communities is ReducedUndirected.Communities: the graph's nodes in each
// community of the top level.
func (g *lvLevel) communities() [][]gonum.Node {
	out := make([][]gonum.Node, len(g.comms))
	if g.parent == nil {
		for i, ms := range g.comms {
			c := make([]gonum.Node, len(ms))
			for j, n := range ms {
				c[j] = g.orig[n]
			}
			out[i] = c
		}
		return out
	}
	sub := g.parent.communities()
	for i, ms := range g.comms {
		var c []gonum.Node
		for _, n := range ms {
			c = append(c, sub[n]...)
		}
		out[i] = c
	}
	return out
}

// mover is gonum's undirectedLocalMover with Σtot kept per community and
// each node's place in its community.
type mover struct {
	g      *lvLevel
	nodes  []int
	degree []float64
	m2     float64
	comms  [][]int
	member []int
	pos    []int
	sigma  []float64
	gamma  float64

	moved, changed bool

	kC    []float64 // scratch: weight to each candidate community
	stamp []int     // scratch: visit+1 once a community is a candidate
	visit int
}

func newMover(g *lvLevel, gamma float64) *mover {
	n := len(g.self)
	l := &mover{
		g: g, nodes: make([]int, n), degree: make([]float64, n), comms: g.comms,
		member: make([]int, n), pos: make([]int, n), sigma: make([]float64, len(g.comms)),
		gamma: gamma, kC: make([]float64, len(g.comms)), stamp: make([]int, len(g.comms)),
	}
	for u := range l.nodes {
		l.nodes[u] = u
		w := g.weight(u, u)
		for _, v := range g.edges[u] {
			w += g.weight(u, v)
		}
		l.degree[u] = w
		l.m2 += w
	}
	if l.m2 == 0 {
		return nil
	}
	for i, c := range l.comms {
		for j, u := range c {
			l.member[u], l.pos[u] = i, j
			l.sigma[i] += l.degree[u]
		}
	}
	return l
}

// localMoving is localMovingHeuristic: it reports whether no move was made.
func (l *mover) localMoving(t *ticker, rnd func(int) int) (bool, error) {
	for {
		l.moved = false
		for i := range l.nodes[:len(l.nodes)-1] {
			j := i + rnd(len(l.nodes)-i)
			l.nodes[i], l.nodes[j] = l.nodes[j], l.nodes[i]
		}
		for _, n := range l.nodes {
			if err := t.tick(); err != nil {
				return false, err
			}
			dQ, dst := l.deltaQ(n)
			if dQ <= deltaQtol {
				continue
			}
			l.move(n, dst)
		}
		if !l.moved {
			return !l.changed, nil
		}
	}
}

func (l *mover) move(n, dst int) {
	l.moved, l.changed = true, true
	src, at := l.member[n], l.pos[n]
	sc := l.comms[src]
	last := sc[len(sc)-1]
	sc[at], sc[len(sc)-1] = last, 0
	l.pos[last] = at
	l.comms[src] = sc[:len(sc)-1]
	l.member[n] = dst
	l.pos[n] = len(l.comms[dst])
	l.comms[dst] = append(l.comms[dst], n)
	l.sigma[dst] += l.degree[n]
	l.sigma[src] -= l.degree[n]
}

// deltaQ is gonum's deltaQ: the best gain in Q from moving n out of its
// community into a connected one, and that community.
func (l *mover) deltaQ(n int) (float64, int) {
	aaa := l.g.weight(n, n)
	ka := l.degree[n]
	l.visit++
	own := l.member[n]
	candidates := []int{own}
	l.stamp[own], l.kC[own] = l.visit, aaa
	for _, v := range l.g.edges[n] {
		c := l.member[v]
		if l.stamp[c] != l.visit {
			l.stamp[c], l.kC[c] = l.visit, 0
			candidates = append(candidates, c)
		}
		l.kC[c] += l.g.weight(n, v)
	}
	slices.Sort(candidates)
	var dQremove float64
	dQadd, dst := math.Inf(-1), -1
	for _, i := range candidates {
		if i == own {
			dQremove = l.kC[i] - aaa - l.gamma*ka*(l.sigma[i]-ka)/l.m2
			continue
		}
		if dQ := l.kC[i] - l.gamma*ka*l.sigma[i]/l.m2; dQ > dQadd {
			dQadd, dst = dQ, i
		}
	}
	return 2 * (dQadd - dQremove) / l.m2, dst
}

// modularity is gonum's community.Q(g, comms, resolution) computed in
// O(edges) rather than O(Σ community size²), or ctx's error.
func modularity(ctx context.Context, g louvainGraph, comms [][]gonum.Node, resolution float64) (float64, error) {
	t := &ticker{ctx: ctx}
	nodes := gonum.NodesOf(g.Nodes())
	k := make(map[int64]float64, len(nodes))
	var m2 float64
	for _, u := range nodes {
		if err := t.tick(); err != nil {
			return 0, err
		}
		uid := u.ID()
		w := positiveWeight(g, uid, uid)
		to := g.From(uid)
		for to.Next() {
			w += positiveWeight(g, uid, to.Node().ID())
		}
		m2 += w
		k[uid] = w
	}
	of := make(map[int64]int, len(nodes))
	for i, c := range comms {
		for _, u := range c {
			of[u.ID()] = i
		}
	}
	var q float64
	for i, c := range comms {
		var in, tot float64
		for _, u := range c {
			if err := t.tick(); err != nil {
				return 0, err
			}
			uid := u.ID()
			in += positiveWeight(g, uid, uid)
			tot += k[uid]
			to := g.From(uid)
			for to.Next() {
				vid := to.Node().ID()
				if vid != uid && of[vid] == i {
					in += positiveWeight(g, uid, vid)
				}
			}
		}
		q += in - resolution*tot*tot/m2
	}
	return q / m2, nil
}

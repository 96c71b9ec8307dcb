package query

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/simple"

	"github.com/threatgraph/threatgraph/query/analytics"
	"github.com/threatgraph/threatgraph/schema"
)

// A Community is a set of entities Louvain put together.
type Community struct {
	ID      int     `json:"id"`
	Size    int     `json:"size"`
	Members []Match `json:"members"`
}

// CommunitiesResult is the answer to "which entities cluster together".
type CommunitiesResult struct {
	Projection  string      `json:"projection"` // "" for the whole graph, "group" for the group-group projection
	Modularity  float64     `json:"modularity"`
	Communities []Community `json:"communities"` // largest first; singletons left out
	Singletons  int         `json:"singletons"`
}

// Communities runs gonum's Louvain (resolution 1, seeded) on the undirected
// reading of the graph weighted by supporting sources, or, with project
// "group", on the one-mode projection of groups: two groups are linked with
// weight w when w entities (attacks, people, places, claims) link to both,
// plus one for each direct group-group relation.
func Communities(ctx context.Context, v *View, project string, f Filter) (*CommunitiesResult, error) {
	g, err := v.Graph(f)
	if err != nil {
		return nil, err
	}
	var ug louvainGraph
	nodeOf := func(id int64) int32 { return int32(id) }
	switch project {
	case "":
		ug = g.Undirected()
	case "group", "groups":
		project = "group"
		pg, members := groupProjection(v, g)
		ug = pg
		nodeOf = func(id int64) int32 { return members[id] }
	default:
		return nil, fmt.Errorf("unknown projection %q (expected group, or none)", project)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	comms, err := modularize(ctx, ug)
	if err != nil {
		return nil, err
	}
	res := &CommunitiesResult{Projection: project, Modularity: clean(community.Q(ug, comms, 1)), Communities: []Community{}}
	for _, c := range comms {
		if len(c) < 2 {
			res.Singletons++
			continue
		}
		var ms []Match
		for _, n := range c {
			id := nodeOf(n.ID())
			ms = append(ms, Match{ID: v.Keys[id], Kind: v.Kinds[id], Name: v.Names[id]})
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
		res.Communities = append(res.Communities, Community{Size: len(ms), Members: ms})
	}
	sort.SliceStable(res.Communities, func(i, j int) bool {
		a, b := res.Communities[i], res.Communities[j]
		if a.Size != b.Size {
			return a.Size > b.Size
		}
		return a.Members[0].ID < b.Members[0].ID
	})
	for i := range res.Communities {
		res.Communities[i].ID = i + 1
	}
	return res, nil
}

// stopped is the panic value with which a done context stops gonum's
// Louvain, which takes no context: it is raised from the random source and
// the graph that Louvain consults, and recovered by modularize.
type stopped struct{ err error }

// ctxSource is the seeded random source of Louvain that stops it when ctx
// is done: Louvain draws from it at the start of every pass of the local
// moving heuristic.
type ctxSource struct {
	ctx context.Context
	src rand.Source
	n   int
}

func (s *ctxSource) Uint64() uint64 {
	if s.n++; s.n&1023 == 0 {
		if err := s.ctx.Err(); err != nil {
			panic(stopped{err})
		}
	}
	return s.src.Uint64()
}

// louvainGraph is the weighted undirected graph Louvain reads.
type louvainGraph interface {
	gonum.Undirected
	gonum.WeightedUndirected
}

// ctxUndirected checks ctx as Louvain reads the graph's neighbours (its
// first reduction reads every node's).
type ctxUndirected struct {
	louvainGraph
	ctx context.Context
	n   int
}

func (g *ctxUndirected) From(id int64) gonum.Nodes {
	if g.n++; g.n&1023 == 0 {
		if err := g.ctx.Err(); err != nil {
			panic(stopped{err})
		}
	}
	return g.louvainGraph.From(id)
}

// modularize runs gonum's Louvain (resolution 1, seed 1) on ug and
// returns its communities, or ctx's error when ctx is done first.
func modularize(ctx context.Context, ug louvainGraph) (comms [][]gonum.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			st, ok := r.(stopped)
			if !ok {
				panic(r)
			}
			comms, err = nil, st.err
		}
	}()
	src := &ctxSource{ctx: ctx, src: rand.NewPCG(1, 1)}
	red := community.Modularize(&ctxUndirected{louvainGraph: ug, ctx: ctx}, 1, src)
	return red.Communities(), ctx.Err()
}

// groupProjection builds the weighted group-group graph; members maps its
// node ids back to view nodes.
func groupProjection(v *View, g *analytics.Graph) (*simple.WeightedUndirectedGraph, []int32) {
	pg := simple.NewWeightedUndirectedGraph(0, 0)
	var members []int32
	local := map[int32]int64{}
	isGroup := func(n int32) bool { return v.Kinds[n] == string(schema.Group) }
	for n := range v.Keys {
		if isGroup(int32(n)) {
			local[int32(n)] = int64(len(members))
			pg.AddNode(simple.Node(len(members)))
			members = append(members, int32(n))
		}
	}
	addWeight := func(a, b int32, w float64) {
		if a == b {
			return
		}
		x, y := simple.Node(local[a]), simple.Node(local[b])
		if e := pg.WeightedEdge(x.ID(), y.ID()); e != nil {
			w += e.Weight()
		}
		pg.SetWeightedEdge(pg.NewWeightedEdge(x, y, w))
	}
	for n := range v.Keys {
		u := int32(n)
		ns := neighborsOf(g, u)
		if isGroup(u) {
			for _, w := range ns {
				if isGroup(w) && u < w {
					addWeight(u, w, 1)
				}
			}
			continue
		}
		var gs []int32
		for _, w := range ns {
			if isGroup(w) {
				gs = append(gs, w)
			}
		}
		slices.Sort(gs)
		for i := range gs {
			for j := i + 1; j < len(gs); j++ {
				addWeight(gs[i], gs[j], 1)
			}
		}
	}
	return pg, members
}

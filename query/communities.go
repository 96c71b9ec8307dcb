package query

import (
	"context"
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

// CheckProjection returns a *ParamError unless p is a projection of
// Communities: "" (the whole graph) or "group" ("groups").
func CheckProjection(p string) error {
	if p != "" && p != "group" && p != "groups" {
		return &ParamError{Param: "project", Value: p, Want: "group, or nothing for the whole graph"}
	}
	return nil
}

// Communities runs Louvain (louvain.go, gonum's algorithm; resolution 1, seeded) on the undirected
// reading of the graph weighted by supporting sources, or, with project
// "group", on the one-mode projection of groups: two groups are linked with
// weight w when w entities (attacks, people, places, claims) link to both,
// plus one for each direct group-group relation.
func (r *Reader) Communities(ctx context.Context, project string, sc Scope) (*CommunitiesResult, error) {
	if err := CheckProjection(project); err != nil {
		return nil, err
	}
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	c, err := v.compile(sc)
	if err != nil {
		return nil, err
	}
	var ug louvainGraph
	nodeOf := func(id int64) int32 { return int32(id) }
	switch project {
	case "":
		// Without the nodes the scope hides (rankGraph), as on a store
		// without their sources.
		g, back := v.rankGraph(c)
		ug = g.Undirected()
		if back != nil {
			nodeOf = func(id int64) int32 { return back[id] }
		}
	case "group", "groups":
		project = "group"
		pg, members := groupProjection(v, v.graph(c), c)
		ug = pg
		nodeOf = func(id int64) int32 { return members[id] }
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	comms, q, err := modularize(ctx, ug)
	if err != nil {
		return nil, err
	}
	res := &CommunitiesResult{Projection: project, Modularity: clean(q), Communities: []Community{}}
	for _, c := range comms {
		if len(c) < 2 {
			res.Singletons++
			continue
		}
		var ms []Match
		for _, n := range c {
			id := nodeOf(n.ID())
			ms = append(ms, Match{ID: v.keys[id], Kind: v.kinds[id], Name: v.names[id]})
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

// louvainGraph is the weighted undirected graph Louvain reads.
type louvainGraph interface {
	gonum.Undirected
	gonum.WeightedUndirected
}

// modularize runs Louvain (resolution 1, seed 1) on ug as gonum's
// community.Modularize would, and returns its communities and their
// modularity, or ctx's error when ctx is done first (see louvain.go).
func modularize(ctx context.Context, ug louvainGraph) ([][]gonum.Node, float64, error) {
	comms, err := louvain(ctx, ug, 1, rand.NewPCG(1, 1))
	if err != nil {
		return nil, 0, err
	}
	var pairs int
	for _, c := range comms {
		pairs += len(c) * len(c) / 2
	}
	var q float64
	if pairs <= exactQPairs {
		q, err = gonumQ(ctx, ug, comms)
	} else {
		q, err = modularity(ctx, ug, comms, 1)
	}
	if err != nil {
		return nil, 0, err
	}
	return comms, q, nil
}

// exactQPairs bounds the member pairs for which the modularity is gonum's
// community.Q itself, which visits every pair of members of a community;
// beyond it, modularity computes the same sum over edges in O(edges), equal
// up to rounding in the last digits.
const exactQPairs = 1 << 22

// gonumQ is community.Q(ug, comms, 1), stopped when ctx is done.
func gonumQ(ctx context.Context, ug louvainGraph, comms [][]gonum.Node) (q float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			st, ok := r.(stopped)
			if !ok {
				panic(r)
			}
			q, err = 0, st.err
		}
	}()
	return community.Q(&ctxWeighted{louvainGraph: ug, t: ticker{ctx: ctx}}, comms, 1), ctx.Err()
}

// stopped is the panic value with which a done context stops community.Q,
// which takes no context; gonumQ recovers it.
type stopped struct{ err error }

// ctxWeighted checks ctx as community.Q reads weights.
type ctxWeighted struct {
	louvainGraph
	t ticker
}

func (g *ctxWeighted) Weight(x, y int64) (float64, bool) {
	if err := g.t.tick(); err != nil {
		panic(stopped{err})
	}
	return g.louvainGraph.Weight(x, y)
}

// groupProjection builds the weighted group-group graph of the groups the
// scope c does not hide; members maps its node ids back to view nodes.
func groupProjection(v *View, g *analytics.Graph, c *scope) (*simple.WeightedUndirectedGraph, []int32) {
	pg := simple.NewWeightedUndirectedGraph(0, 0)
	var members []int32
	local := map[int32]int64{}
	isGroup := func(n int32) bool { return v.kinds[n] == string(schema.Group) && !c.hides(n) }
	for n := range v.keys {
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
	for n := range v.keys {
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

package analytics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fixture is a golden file written by testdata/golden.py.
type fixture struct {
	Nodes  [][2]string `json:"nodes"`
	Edges  [][4]any    `json:"edges"`
	Params struct {
		PageRankTol    float64 `json:"pagerank_tol"`
		EigenvectorTol float64 `json:"eigenvector_tol"`
		HITSTol        float64 `json:"hits_tol"`
		MaxIter        int     `json:"max_iter"`
		Damping        float64 `json:"damping"`
	} `json:"params"`
	Degree     map[string]map[string]int32 `json:"degree"`
	Directed   map[string]json.RawMessage  `json:"directed"`
	Undirected map[string]json.RawMessage  `json:"undirected"`
	Paths      []struct {
		S     string     `json:"s"`
		T     string     `json:"t"`
		K     int        `json:"k"`
		Paths [][]string `json:"paths"`
	} `json:"paths"`
}

func loadFixtures(t *testing.T) map[string]*fixture {
	t.Helper()
	files, err := filepath.Glob("testdata/*.golden.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files (run testdata/golden.py): %v", err)
	}
	fx := make(map[string]*fixture)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var x fixture
		if err := json.Unmarshal(data, &x); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fx[strings.TrimSuffix(filepath.Base(f), ".golden.json")] = &x
	}
	return fx
}

func (f *fixture) graph() *Graph {
	var b Builder
	for _, n := range f.Nodes {
		b.Node(n[0], n[1])
	}
	for _, e := range f.Edges {
		b.AddEdge(e[0].(string), e[1].(string), e[2].(string), uint16(e[3].(float64)))
	}
	return b.Build()
}

// values decodes measure name of a reading, reporting whether NetworkX produced it.
func (f *fixture) values(t *testing.T, r Reading, name string) (map[string]float64, bool) {
	t.Helper()
	m := f.Directed
	if r == Undirected {
		m = f.Undirected
	}
	raw, ok := m[name]
	if !ok {
		return nil, false
	}
	var v map[string]float64
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v, true
}

const goldenTol = 1e-9

// near reports whether got and want agree to tol, absolutely for values
// up to 1 and relatively above.
func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func compareScores(t *testing.T, g *Graph, what string, got []float64, want map[string]float64, tol float64) {
	t.Helper()
	if len(want) != g.N() {
		t.Fatalf("%s: golden has %d nodes; graph has %d", what, len(want), g.N())
	}
	bad := 0
	for v := range g.N() {
		key := g.Key(int32(v))
		w, ok := want[key]
		if !ok {
			t.Fatalf("%s: golden lacks %s", what, key)
		}
		if !near(got[v], w, tol) {
			if bad++; bad <= 5 {
				t.Errorf("%s[%s] = %.15g; want %.15g (NetworkX)", what, key, got[v], w)
			}
		}
	}
}

var readings = []struct {
	name string
	r    Reading
}{{"directed", Directed}, {"undirected", Undirected}}

var weightings = []struct {
	name string
	w    Weighting
}{{"simple", Simple}, {"multi", Multi}, {"sources", Sources}}

func TestGoldenNetworkX(t *testing.T) {
	for name, f := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) {
			g := f.graph()
			in, out, total := Degrees(g)
			for _, d := range []struct {
				name string
				got  []int32
			}{{"in", in}, {"out", out}, {"total", total}} {
				for v, x := range d.got {
					if want := f.Degree[d.name][g.Key(int32(v))]; x != want {
						t.Errorf("Degrees %s[%s] = %d; want %d", d.name, g.Key(int32(v)), x, want)
					}
				}
			}
			for _, rd := range readings {
				t.Run(rd.name, func(t *testing.T) {
					testGoldenReading(t, g, f, rd.r)
				})
			}
			t.Run("paths", func(t *testing.T) { testGoldenPaths(t, g, f) })
		})
	}
}

func testGoldenReading(t *testing.T, g *Graph, f *fixture, r Reading) {
	n := g.N()
	kernels := []struct {
		name string
		fn   func() []float64
	}{
		{"betweenness", func() []float64 { return must(Betweenness(t.Context(), g, r)) }},
		{"betweenness_normalized", func() []float64 { return Normalize(must(Betweenness(t.Context(), g, r)), n, r) }},
		{"closeness", func() []float64 { return must(Closeness(t.Context(), g, r)) }},
		{"harmonic", func() []float64 { return must(Harmonic(t.Context(), g, r)) }},
	}
	for _, k := range kernels {
		want, ok := f.values(t, r, k.name)
		if !ok {
			t.Fatalf("golden lacks %s", k.name)
		}
		compareScores(t, g, k.name, k.fn(), want, goldenTol)
	}
	p := f.Params
	for _, w := range weightings {
		if want, ok := f.values(t, r, "eigenvector_"+w.name); ok {
			got, err := Eigenvector(t.Context(), g, r, Options{Weighting: w.w, Tol: p.EigenvectorTol, MaxIter: p.MaxIter})
			if err != nil {
				t.Errorf("Eigenvector(%s): %v; NetworkX converged", w.name, err)
			}
			compareScores(t, g, "eigenvector_"+w.name, got, want, goldenTol)
		}
		if r != Directed {
			continue
		}
		want, ok := f.values(t, r, "pagerank_"+w.name)
		if !ok {
			t.Fatalf("golden lacks pagerank_%s", w.name)
		}
		got, err := PageRank(t.Context(), g, p.Damping, Options{Weighting: w.w, Tol: p.PageRankTol, MaxIter: p.MaxIter})
		if err != nil {
			t.Errorf("PageRank(%s): %v", w.name, err)
		}
		compareScores(t, g, "pagerank_"+w.name, got, want, goldenTol)
		if wantH, ok := f.values(t, r, "hits_hubs_"+w.name); ok {
			wantA, _ := f.values(t, r, "hits_authorities_"+w.name)
			h, a, err := HITS(t.Context(), g, Options{Weighting: w.w, Tol: p.HITSTol, MaxIter: p.MaxIter})
			if err != nil {
				t.Errorf("HITS(%s): %v", w.name, err)
			}
			compareScores(t, g, "hits_hubs_"+w.name, h, wantH, goldenTol)
			compareScores(t, g, "hits_authorities_"+w.name, a, wantA, goldenTol)
		}
	}
	// BFS distances: out (or both) and, when directed, in, from the kernel
	// that Closeness and Harmonic run.
	dirs := []struct {
		key string
		dir Direction
	}{{"bfs", Out}, {"bfs_in", In}}
	if r == Undirected {
		dirs = dirs[:1]
		dirs[0].dir = Both
	}
	for _, d := range dirs {
		var want map[string]map[string]int32
		if err := json.Unmarshal(map[Reading]map[string]json.RawMessage{Directed: f.Directed, Undirected: f.Undirected}[r][d.key], &want); err != nil {
			t.Fatal(err)
		}
		for src, dist := range want {
			s, _ := g.ID(src)
			got := bfsDistances(g, s, d.dir)
			for v, x := range got {
				w, ok := dist[g.Key(int32(v))]
				if !ok {
					w = -1
				}
				if x != w {
					t.Errorf("bfs(%s, %d)[%s] = %d; want %d", src, d.dir, g.Key(int32(v)), x, w)
				}
			}
		}
	}
}

// bfsDistances returns the hop distance from src to every node following
// edges in direction dir, -1 where src does not reach, by the BFS kernel
// that perSource runs (the distinct adjacency renumbered by degree, and
// direction-optimising when dir is Both), mapped back to node ids.
func bfsDistances(g *Graph, src int32, dir Direction) []int32 {
	base := g.adjacency(dir, Simple, false)
	a, order := base.relabel()
	s := newBFSState(g.N())
	for i, v := range order {
		if v == src {
			s.run(&a, int32(i), dir == Both)
			break
		}
	}
	dist := make([]int32, g.N())
	for i, v := range order {
		dist[v] = s.dist[i]
	}
	return dist
}

func testGoldenPaths(t *testing.T, g *Graph, f *fixture) {
	for _, tc := range f.Paths {
		s, _ := g.ID(tc.S)
		tt, _ := g.ID(tc.T)
		got := must(KShortestPaths(t.Context(), g, s, tt, tc.K))
		if len(got) != len(tc.Paths) {
			t.Errorf("KShortestPaths(%s, %s, %d) gave %d paths; want %d", tc.S, tc.T, tc.K, len(got), len(tc.Paths))
			continue
		}
		if len(got) == 0 {
			if _, ok := shortestPath(t, g, s, tt); ok {
				t.Errorf("shortest path(%s, %s) found a path; NetworkX found none", tc.S, tc.T)
			}
			continue
		}
		sp, _ := shortestPath(t, g, s, tt)
		if sp.Hops() != len(tc.Paths[0])-1 {
			t.Errorf("shortest path(%s, %s) has %d hops; want %d", tc.S, tc.T, sp.Hops(), len(tc.Paths[0])-1)
		}
		last := len(tc.Paths[len(tc.Paths)-1])
		var short, wantShort []string
		for i, p := range got {
			checkPath(t, g, p, s, tt)
			keys := make([]string, len(p.Nodes))
			for j, v := range p.Nodes {
				keys[j] = g.Key(v)
			}
			if len(keys) != len(tc.Paths[i]) {
				t.Errorf("KShortestPaths(%s, %s)[%d] = %v; want length %d like %v", tc.S, tc.T, i, keys, len(tc.Paths[i]), tc.Paths[i])
			}
			// Below the longest length, the set of paths is unique.
			if len(keys) < last {
				short = append(short, strings.Join(keys, " "))
			}
			if len(tc.Paths[i]) < last {
				wantShort = append(wantShort, strings.Join(tc.Paths[i], " "))
			}
		}
		slices.Sort(short)
		slices.Sort(wantShort)
		if !slices.Equal(short, wantShort) {
			t.Errorf("KShortestPaths(%s, %s) paths shorter than %d hops:\n%v\nwant\n%v", tc.S, tc.T, last-1, short, wantShort)
		}
	}
}

// checkPath checks that p is a loopless s–t path whose edges join its nodes.
func checkPath(t *testing.T, g *Graph, p Path, s, tt int32) {
	t.Helper()
	if p.Nodes[0] != s || p.Nodes[len(p.Nodes)-1] != tt || len(p.Edges) != len(p.Nodes)-1 {
		t.Errorf("path %v %v does not run from %d to %d", p.Nodes, p.Edges, s, tt)
		return
	}
	seen := make(map[int32]bool)
	for i, v := range p.Nodes {
		if seen[v] {
			t.Errorf("path %v repeats node %d", p.Nodes, v)
		}
		seen[v] = true
		if i == len(p.Edges) {
			break
		}
		e := g.EdgeAt(p.Edges[i])
		w := p.Nodes[i+1]
		if !(e.From == v && e.To == w) && !(e.From == w && e.To == v) {
			t.Errorf("path %v hop %d uses edge %d %+v", p.Nodes, i, p.Edges[i], e)
		}
	}
}

package query_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/query"
)

// demoView returns a Reader on the demo store and its loaded view.
func demoView(t *testing.T) (*query.Reader, *query.View) {
	t.Helper()
	r := query.NewReader(demoStore(t), query.ReaderOptions{})
	v, err := r.View(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return r, v
}

// TestPrecededCrocus checks the answer the articles give: the US warnings to
// Russia in early March and the 7 March public advisory preceded the 22
// March attack by 12-21 and 15 days.
func TestPrecededCrocus(t *testing.T) {
	r, v := demoView(t)
	res, err := r.Preceded(t.Context(), query.PrecededOptions{WindowDays: 90})
	if err != nil {
		t.Fatal(err)
	}
	var crocus *query.AttackWarnings
	for i := range res.Attacks {
		if res.Attacks[i].Attack == "attack:2024-03-22-crocus-city-hall" {
			crocus = &res.Attacks[i]
		}
	}
	if crocus == nil {
		t.Fatalf("no warnings preceded the Crocus City Hall attack; got %v", res.Attacks)
	}
	want := map[string]struct {
		lead      [2]int
		certainty string
	}{
		"warning:2024-03-07-us-embassy-moscow-advisory": {[2]int{15, 15}, "certain"},
	}
	found := map[string]bool{}
	for _, w := range crocus.Warnings {
		if exp, ok := want[w.Warning]; ok {
			found[w.Warning] = true
			if w.LeadDays != exp.lead || w.Certainty != exp.certainty {
				t.Errorf("%s: lead %v %s; want %v %s", w.Warning, w.LeadDays, w.Certainty, exp.lead, exp.certainty)
			}
			// The NYT's advisory to Americans in Russia names no place
			// narrower than Russia: it matches by group only.
			if len(w.Evidence) == 0 || !slices.Equal(w.MatchedBy, []string{"group"}) {
				t.Errorf("%s: matched by %v with %d evidence paths; want the group match with its path", w.Warning, w.MatchedBy, len(w.Evidence))
			}
		}
		if w.LeadDays == [2]int{12, 21} && w.Certainty == "certain" {
			found["early March"] = true
			if !slices.Contains(w.MatchedBy, "place") {
				t.Errorf("%s: matched by %v; want the place match (Moscow)", w.Warning, w.MatchedBy)
			}
		}
	}
	if !found["warning:2024-03-07-us-embassy-moscow-advisory"] || !found["early March"] {
		t.Errorf("Crocus warnings %+v; want the 7 March advisory (15 days) and the early March warning (12-21 days)", crocus.Warnings)
	}
	// No attack dated only to a span longer than the window is matched as
	// possibly preceded (aggregates such as "attacks in the past decade").
	for _, at := range res.Attacks {
		n, _ := v.Node(at.Attack)
		iv, _ := v.Date(n)
		for _, w := range at.Warnings {
			if w.Certainty == "possible" && iv.Days() > 90 {
				t.Errorf("%s (%s, %d days) possibly preceded by %s", at.Attack, at.Date, iv.Days(), w.Warning)
			}
		}
	}
	certain, err := r.Preceded(t.Context(), query.PrecededOptions{WindowDays: 90, CertainOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, at := range certain.Attacks {
		for _, w := range at.Warnings {
			kept++
			if w.Certainty != "certain" {
				t.Errorf("CertainOnly kept a %s warning %s", w.Certainty, w.Warning)
			}
		}
	}
	if kept < 3 {
		t.Errorf("CertainOnly kept %d warnings; want at least the three certain ones before Crocus", kept)
	}
	// Within a 10-day window the early-March warnings no longer count.
	res, err = r.Preceded(t.Context(), query.PrecededOptions{WindowDays: 10})
	if err != nil {
		t.Fatal(err)
	}
	short := 0
	for _, at := range res.Attacks {
		for _, w := range at.Warnings {
			short++
			if w.LeadDays[0] > 10 {
				t.Errorf("window 10d kept %s with lead %v", w.Warning, w.LeadDays)
			}
		}
	}
	if short == 0 {
		t.Errorf("window 10d kept nothing; Kurilla's assessment came 1 day before Crocus")
	}
}

// TestTajikistanPath: the Tajikistan-Crocus connection goes through the
// arrested suspects.
func TestTajikistanPath(t *testing.T) {
	r, _ := demoView(t)
	res, err := r.Paths(t.Context(), "Tajikistan", "Crocus City Hall attack", 5, 3, query.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	viaSuspect := false
	for _, p := range res.Paths {
		if p.Length > 3 {
			t.Errorf("path of %d hops despite max depth 3", p.Length)
		}
		for _, h := range p.Hops {
			if len(h.Sources) == 0 {
				t.Errorf("hop %s -%s- %s has no sources", h.From, h.Predicate, h.To)
			}
		}
		if p.Length == 2 && p.Hops[0].Predicate == "nationality" && !p.Hops[0].Forward && p.Hops[1].Predicate == "suspectIn" && p.Hops[1].Forward {
			viaSuspect = true
		}
	}
	if !viaSuspect {
		t.Errorf("no path Tajikistan <-nationality- suspect -suspectIn-> attack among %+v", res.Paths)
	}
	// No path is an answer, not an error.
	res, err = r.Paths(t.Context(), "Tajikistan", "Crocus City Hall attack", 1, 0, query.Scope{Predicates: []string{"partOf"}})
	if err != nil || len(res.Paths) != 0 {
		t.Errorf("partOf-only path: %v, %v; want no path and no error", res.Paths, err)
	}
}

func TestCentralityAndStability(t *testing.T) {
	r, v := demoView(t)
	for _, m := range query.Measures {
		res, err := r.Centrality(t.Context(), query.CentralityOptions{Measure: m, Scope: query.Scope{Kinds: []string{"Group"}}, Top: 3})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if len(res.Top) != 3 {
			t.Fatalf("%s: %d results", m, len(res.Top))
		}
		for _, r := range res.Top {
			if r.Kind != "Group" {
				t.Errorf("%s: ranked a %s with --kinds Group", m, r.Kind)
			}
		}
		if m == "betweenness" || m == "degree" || m == "pagerank" {
			if res.Top[0].ID != "group:isis-k" {
				t.Errorf("%s: top group %s; want group:isis-k", m, res.Top[0].ID)
			}
		}
	}
	res, err := r.Centrality(t.Context(), query.CentralityOptions{Measure: "betweenness", Top: 5, Stability: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Top {
		if r.MinRank < 1 || r.MinRank > r.Rank || r.MaxRank < r.Rank {
			t.Errorf("%s rank %d range %d-%d", r.ID, r.Rank, r.MinRank, r.MaxRank)
		}
	}
	// A belief policy changes the graph: without the NYT, fewer relations.
	all, _ := v.Graph(query.Scope{})
	noNYT, err := v.Graph(query.Scope{ExcludeSources: []string{"source:nyt-2024-03-25-schmitt"}})
	if err != nil || noNYT.M() >= all.M() {
		t.Errorf("excluding the NYT: %d edges of %d, %v", noNYT.M(), all.M(), err)
	}
	if _, err := v.Graph(query.Scope{Sources: []string{"source:nobody"}}); err == nil {
		t.Errorf("unknown source accepted")
	}
	if _, err := r.Centrality(t.Context(), query.CentralityOptions{Measure: "fame"}); err == nil {
		t.Errorf("unknown measure accepted")
	}
}

func TestCommunitiesAndTimeline(t *testing.T) {
	r, _ := demoView(t)
	res, err := r.Communities(t.Context(), "group", query.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	together := false
	for _, c := range res.Communities {
		ids := map[string]bool{}
		for _, m := range c.Members {
			ids[m.ID] = true
			if m.Kind != "Group" {
				t.Errorf("group projection has a %s", m.Kind)
			}
		}
		if ids["group:isis-k"] && ids["group:taliban"] {
			together = true
		}
	}
	if !together {
		t.Errorf("ISIS-K and the Taliban (fighting each other in Afghanistan) should share a community: %+v", res.Communities)
	}
	tl, err := r.Timeline(t.Context(), "ISIS-K", query.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	evs := tl.Events
	for i := 1; i < len(evs); i++ {
		if evs[i].Start < evs[i-1].Start {
			t.Errorf("timeline out of order at %d: %s after %s", i, evs[i].Start, evs[i-1].Start)
		}
	}
	if len(evs) < 5 {
		t.Errorf("ISIS-K timeline has %d events", len(evs))
	}
}

func TestViewSnapshot(t *testing.T) {
	s := demoStore(t)
	dir := t.TempDir()
	r := query.NewReader(s, query.ReaderOptions{Dir: dir})
	v1, err := r.View(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "view.snapshot")
	st1, err := os.Stat(snap)
	if err != nil {
		t.Fatalf("no snapshot written: %v", err)
	}
	v2, err := query.NewReader(s, query.ReaderOptions{Dir: dir}).View(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(snap)
	if !st2.ModTime().Equal(st1.ModTime()) {
		t.Errorf("current snapshot was rewritten")
	}
	if v2.RowCount() != v1.RowCount() || !slices.Equal(v1.IDs(), v2.IDs()) || v1.QuadCount() != v2.QuadCount() {
		t.Errorf("snapshot view differs from the built one")
	}
	// A stale snapshot (another quad count) is rebuilt.
	stale := staleStore{s, v1.QuadCount() + 1}
	v3, err := query.NewReader(stale, query.ReaderOptions{Dir: dir}).View(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v3.QuadCount() != v1.QuadCount() {
		t.Errorf("rebuilt view counts %d quads", v3.QuadCount())
	}
}

// TestPrecededContestedDate: when sources date an attack differently, each
// date is judged on its own, and a belief policy leaves a source's date out.
func TestPrecededContestedDate(t *testing.T) {
	const data = `sources:
  - {id: "source:s1", publisher: S1}
  - {id: "source:s2", publisher: S2}
entities:
  - id: group:g
    kind: Group
    name: G
    source: source:s1
  - id: attack:a
    kind: Attack
    name: A
    source: source:s1
    perpetratedBy: group:g
    date: 2024-03-22
    facts:
      - source: source:s2
        date: 2023-01-05
  - id: warning:w
    kind: Warning
    name: W
    source: source:s1
    about: group:g
    date: 2024-03-10
`
	s, err := graph.Open(t.Context(), graph.Options{Backend: "memstore"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := ingest.Load(t.Context(), s, []*ingest.File{ingest.Parse("c.yaml", []byte(data))}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	r := query.NewReader(s, query.ReaderOptions{})
	if err := r.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []query.Scope{{}, {ExcludeSources: []string{"source:s2"}}} {
		res, err := r.Preceded(t.Context(), query.PrecededOptions{WindowDays: 90, Scope: f})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Attacks) != 1 || len(res.Attacks[0].Warnings) != 1 {
			t.Fatalf("filter %+v: %+v; want attack:a preceded by warning:w", f, res)
		}
		at, w := res.Attacks[0], res.Attacks[0].Warnings[0]
		if w.Certainty != "certain" || w.LeadDays != [2]int{12, 12} {
			t.Errorf("filter %+v: %s %v; want certain, 12 days", f, w.Certainty, w.LeadDays)
		}
		if wantContested := len(f.ExcludeSources) == 0; at.DateContested != wantContested {
			t.Errorf("filter %+v: date %q contested=%v; want %v", f, at.Date, at.DateContested, wantContested)
		}
	}
}

// TestHopSourcesFollowTheScope checks that a path's hops name only the
// sources the question believes: with --sources, the given ones; by
// default, none whose statement is deprecated.
func TestHopSourcesFollowTheScope(t *testing.T) {
	r := query.NewReader(demoStore(t), query.ReaderOptions{})
	bbc := "source:bbc-2024-03-25-gardner"
	res, err := r.Paths(t.Context(), "group:isis-k", "attack:2024-03-22-crocus-city-hall", 3, 0, query.Scope{Sources: []string{bbc}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Paths) == 0 {
		t.Fatal("no path from ISIS-K to Crocus City Hall in the BBC's facts")
	}
	for _, p := range res.Paths {
		for _, h := range p.Hops {
			if len(h.Sources) == 0 || slices.ContainsFunc(h.Sources, func(s string) bool { return s != bbc }) {
				t.Errorf("hop %s -%s-> %s: sources %v; want the BBC only", h.From, h.Predicate, h.To, h.Sources)
			}
		}
	}
	pre, err := r.Preceded(t.Context(), query.PrecededOptions{Scope: query.Scope{Sources: []string{bbc}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range pre.Attacks {
		for _, w := range a.Warnings {
			for _, chain := range w.Evidence {
				for _, h := range chain {
					if slices.ContainsFunc(h.Sources, func(s string) bool { return s != bbc }) {
						t.Errorf("preceded %s <- %s: hop %s -%s-> %s sources %v; want the BBC only", a.Attack, w.Warning, h.From, h.Predicate, h.To, h.Sources)
					}
				}
			}
		}
	}
}

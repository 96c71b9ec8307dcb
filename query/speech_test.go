package query_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/query"
)

// speechStore loads testdata/speech.yaml (reported speech and judgements;
// its comment says what each fact pins) into a real bolt store.
func speechStore(t *testing.T) *graph.Store {
	t.Helper()
	data, err := os.ReadFile("testdata/speech.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t)
	if _, err := ingest.Load(t.Context(), s, []*ingest.File{ingest.Parse("speech.yaml", data)}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return s
}

// edgeWeights returns the analytics graph's weight of each edge, by
// "subject predicate object".
func edgeWeights(t *testing.T, v *query.View, sc query.Scope) map[string]float64 {
	t.Helper()
	g, err := v.Graph(sc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for e := range g.M() {
		ed := g.EdgeAt(int32(e))
		w, _ := g.Weight(int64(ed.From), int64(ed.To))
		out[v.IDs()[ed.From]+" "+g.Predicates()[ed.Predicate]+" "+v.IDs()[ed.To]] = w
	}
	return out
}

// TestReportedSpeechCountsOrigins: a statement according to someone counts
// as their word where answers count sources: two articles repeating Russian
// state media are one origin, an article quoting TASS is TASS; the belief
// policy still goes by the article that states it.
func TestReportedSpeechCountsOrigins(t *testing.T) {
	s := speechStore(t)
	r := query.NewReader(s, query.ReaderOptions{Dir: t.TempDir()})
	v, err := r.View(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"attack:crocus perpetratedBy group:isis-k":       2, // BBC and Reuters, each its own word
		"person:suspect nationality location:tajikistan": 1, // both according to Russian state media
		"attack:crocus locatedIn location:krasnogorsk":   1, // TASS, and Slate quoting TASS
	}
	if got := edgeWeights(t, v, query.Scope{}); !mapsEqual(got, want) {
		t.Errorf("edge weights %v; want %v", got, want)
	}
	// The belief policy is per stating source: the BBC's reported
	// statement stays with --sources source:bbc.
	if got := edgeWeights(t, v, query.Scope{Sources: []string{"source:bbc"}}); got["person:suspect nationality location:tajikistan"] != 1 {
		t.Errorf("with --sources source:bbc, edge weights %v; want the reported nationality kept", got)
	}
	// The display name counts origins: "Suspect Alpha" (Slate, TASS) over
	// "Suspect A" (BBC and Reuters, both according to Russian state media).
	n, _ := v.Node("person:suspect")
	if got := v.Name(n); got != "Suspect Alpha" {
		t.Errorf("view name %q; want Suspect Alpha", got)
	}
	card, err := r.Show(t.Context(), "person:suspect")
	if err != nil {
		t.Fatal(err)
	}
	if card.Name != "Suspect Alpha" {
		t.Errorf("card name %q; want Suspect Alpha", card.Name)
	}
	var according int
	for _, f := range card.Facts {
		for _, e := range f.Evidence {
			if f.Predicate == "nationality" && !slices.Equal(e.AccordingTo, []string{"org:russian-state-media"}) {
				t.Errorf("nationality evidence %+v; want according_to org:russian-state-media", e)
			}
			according += len(e.AccordingTo)
		}
	}
	if according != 4 { // name and nationality, each by BBC and Reuters
		t.Errorf("%d evidence items according to someone; want 4", according)
	}
	// The graph export weighs its edges the same way.
	b, _ := exportBytes(t, s, "cytoscape", query.ExportOptions{})
	if got := cytoscapeWeights(t, b); !mapsEqual(got, map[string]float64{
		"attack-crocus perpetratedBy group-isis-k": 2, "person-suspect nationality location-tajikistan": 1, "attack-crocus locatedIn location-krasnogorsk": 1,
	}) {
		t.Errorf("export edge weights %v", got)
	}
	if strings.Contains(string(b), `"label":"Suspect A"`) {
		t.Errorf("export labels the suspect Suspect A; want Suspect Alpha")
	}
}

// TestDeprecatedLeftOut: analytics leave out the facts whose every
// statement a judgement deprecates, unless WithDeprecated; cards and
// contested show them with their rank and judgements.
func TestDeprecatedLeftOut(t *testing.T) {
	s := speechStore(t)
	r := query.NewReader(s, query.ReaderOptions{Dir: t.TempDir()})
	v, err := r.View(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	const taliban = "attack:crocus perpetratedBy group:taliban"
	if w := edgeWeights(t, v, query.Scope{}); w[taliban] != 0 {
		t.Errorf("the deprecated %s is in the graph (weight %v)", taliban, w[taliban])
	}
	if w := edgeWeights(t, v, query.Scope{WithDeprecated: true}); w[taliban] != 1 {
		t.Errorf("with WithDeprecated, %s has weight %v; want 1", taliban, w[taliban])
	}
	nb := func(sc query.Scope) []string {
		res, err := r.Neighbors(t.Context(), "attack:crocus", 1, sc)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, n := range res.Neighbors {
			ids = append(ids, n.ID)
		}
		return ids
	}
	if ids := nb(query.Scope{}); slices.Contains(ids, "group:taliban") {
		t.Errorf("neighbors %v include the Taliban, linked only by a deprecated statement", ids)
	}
	if ids := nb(query.Scope{WithDeprecated: true}); !slices.Contains(ids, "group:taliban") {
		t.Errorf("neighbors with deprecated facts %v lack the Taliban", ids)
	}
	// Dates too: the deprecated 2017 does not contest the attack's date.
	tl, err := r.Timeline(t.Context(), "ISIS-K", query.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Events) != 1 || tl.Events[0].Date != "2024-03-22" || !slices.Equal(tl.Events[0].Sources, []string{"source:bbc"}) {
		t.Errorf("timeline %+v; want the attack on 2024-03-22 by source:bbc", tl.Events)
	}
	tl, err = r.Timeline(t.Context(), "ISIS-K", query.Scope{WithDeprecated: true})
	if err != nil {
		t.Fatal(err)
	}
	// With them, the deprecated 2017 is its own event, marked, beside the
	// 2024-03-22 it contests: never one span of both.
	if len(tl.Events) != 2 || tl.Events[0].Date != "2017" || !tl.Events[0].Deprecated || !tl.Events[0].Contested ||
		tl.Events[1].Date != "2024-03-22" || tl.Events[1].Deprecated || !tl.Events[1].Contested {
		t.Errorf("timeline with deprecated facts %+v; want 2017 (deprecated) and 2024-03-22, both contested", tl.Events)
	}
	// And the window: only the deprecated date puts the attack in 2017.
	for _, with := range []bool{false, true} {
		res, err := r.Neighbors(t.Context(), "ISIS-K", 1, query.Scope{From: "2017", To: "2017", WithDeprecated: with})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(res.Neighbors) == 1; got != with {
			t.Errorf("neighbors of ISIS-K in 2017, with deprecated facts %v: %+v", with, res.Neighbors)
		}
	}
	// The graph export leaves the deprecated edge out, unless asked.
	for _, c := range []struct {
		with bool
		want bool
	}{{false, false}, {true, true}} {
		b, _ := exportBytes(t, s, "cytoscape", query.ExportOptions{Scope: query.Scope{WithDeprecated: c.with}})
		if _, ok := cytoscapeWeights(t, b)["attack-crocus perpetratedBy group-taliban"]; ok != c.want {
			t.Errorf("export with-deprecated=%v: deprecated edge written %v; want %v", c.with, ok, c.want)
		}
	}
	// The card shows the deprecated values, ranked, with the judgement.
	card, err := r.Show(t.Context(), "Taliban")
	if err != nil {
		t.Fatal(err)
	}
	ranks := map[string]string{}
	for _, f := range card.Facts {
		if f.Predicate != "seizedPower" {
			continue
		}
		e := f.Evidence[0]
		ranks[f.Value.String()] = e.Rank
		if f.Deprecated != (e.Rank == "deprecated") {
			t.Errorf("seizedPower %v: deprecated %v with rank %q", f.Value, f.Deprecated, e.Rank)
		}
		if f.Value.String() == "2017" {
			if len(e.Judgements) != 1 || e.Judgements[0].Reason != "known-error" || e.Judgements[0].Source != "source:editors" ||
				e.Judgements[0].Date != "2026-12-01" || !strings.Contains(e.Judgements[0].Note, "August 2021") ||
				len(e.Judgements[0].Evidence) != 1 || e.Judgements[0].Evidence[0].Quote != "the Taliban seized power in August 2021" {
				t.Errorf("judgements of 2017: %+v", e.Judgements)
			}
		}
	}
	if ranks["2017"] != "deprecated" || ranks["2021-08"] != "preferred" {
		t.Errorf("seizedPower ranks %v; want 2017 deprecated, 2021-08 preferred", ranks)
	}
	// Contested lists the deprecated value, marked.
	dis, err := r.Contested(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range dis {
		for _, val := range d.Values {
			if d.Subject == "group:taliban" && val.Value.String() == "2017" {
				found = query.Deprecated(val.Evidence)
			}
		}
	}
	if !found {
		t.Errorf("contested does not mark the Taliban's 2017 as deprecated: %+v", dis)
	}
	// Judgements are not entities.
	st, err := r.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Entities != len(v.IDs())+5 { // the view's nodes and the five Sources
		t.Errorf("stats counts %d entities; want %d", st.Entities, len(v.IDs())+5)
	}
	if ms, _ := r.Search(t.Context(), "judgement", 0); len(ms) != 0 {
		t.Errorf("search finds judgements: %v", ms)
	}
}

// TestRankOf: the latest judgement gives the rank (the store only grows, so
// a later judgement revises an earlier one), undated ones are the oldest,
// and equally recent ones that disagree give the cautious rank.
func TestRankOf(t *testing.T) {
	for _, c := range []struct {
		in   [][2]string
		want string
	}{
		{nil, ""},
		{[][2]string{{"deprecated", ""}}, "deprecated"},
		{[][2]string{{"deprecated", "2026-12-01"}, {"normal", "2027-01"}}, "normal"},
		{[][2]string{{"normal", "2027-01"}, {"deprecated", "2026-12-01"}}, "normal"},
		{[][2]string{{"preferred", "2026"}, {"deprecated", ""}}, "preferred"},
		{[][2]string{{"preferred", ""}, {"deprecated", ""}}, "deprecated"},
		{[][2]string{{"preferred", "2026-12-01"}, {"normal", "2026-12-01"}}, "normal"},
	} {
		if got := query.RankOf(c.in...); got != c.want {
			t.Errorf("rankOf(%v) = %q; want %q", c.in, got, c.want)
		}
	}
}

// TestSpeechRoundTrip: the fact exports carry reported speech and
// judgements, so that they load back into an empty store as the same quads.
func TestSpeechRoundTrip(t *testing.T) {
	s := speechStore(t)
	nq, _ := exportBytes(t, s, "nquads", query.ExportOptions{})
	for _, c := range []struct{ format, name string }{{"nquads", "export.nq"}, {"json", "export.json"}} {
		first, _ := exportBytes(t, s, c.format, query.ExportOptions{})
		s2 := openStore(t)
		if _, err := ingest.Load(t.Context(), s2, []*ingest.File{ingest.Parse(c.name, first)}, ingest.Options{}); err != nil {
			t.Fatalf("ingesting the %s export: %v", c.format, err)
		}
		if nq2, _ := exportBytes(t, s2, "nquads", query.ExportOptions{}); string(nq) != string(nq2) {
			t.Errorf("the store loaded from the %s export holds other quads than the original", c.format)
		}
	}
	// A filtered export brings the judgements of the statements it writes,
	// whom they are according to, and the judging source.
	for _, format := range []string{"nquads", "json"} {
		sub, _ := exportBytes(t, s, format, query.ExportOptions{Scope: query.Scope{Kinds: []string{"Person", "Group"}}})
		s2 := openStore(t)
		if _, err := ingest.Load(t.Context(), s2, []*ingest.File{ingest.Parse("sub."+map[string]string{"json": "json", "nquads": "nq"}[format], sub)}, ingest.Options{}); err != nil {
			t.Fatalf("ingesting a filtered %s export: %v", format, err)
		}
		card, err := query.NewReader(s2, query.ReaderOptions{}).Show(t.Context(), "Taliban")
		if err != nil {
			t.Fatal(err)
		}
		var ranks []string
		for _, f := range card.Facts {
			for _, e := range f.Evidence {
				if e.Rank != "" {
					ranks = append(ranks, e.Rank)
				}
			}
		}
		if !slices.Equal(ranks, []string{"deprecated", "preferred"}) {
			t.Errorf("filtered %s export: the Taliban's ranks %v; want deprecated and preferred", format, ranks)
		}
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// cytoscapeWeights returns the weight of each edge of a Cytoscape.js
// export, by "source predicate target".
func cytoscapeWeights(t *testing.T, b []byte) map[string]float64 {
	t.Helper()
	var doc struct {
		Elements struct {
			Edges []struct {
				Data struct {
					Source, Target, Predicate string
					Weight                    float64
				} `json:"data"`
			} `json:"edges"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, e := range doc.Elements.Edges {
		out[e.Data.Source+" "+e.Data.Predicate+" "+e.Data.Target] = e.Data.Weight
	}
	return out
}

package query_test

import (
	"slices"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/query"
)

func TestFormatLead(t *testing.T) {
	for _, c := range []struct {
		lead [2]int
		want string
	}{
		{[2]int{15, 15}, "15 days before"},
		{[2]int{1, 1}, "1 day before"},
		{[2]int{0, 0}, "the same day"},
		{[2]int{12, 21}, "12-21 days before"},
		{[2]int{0, 21}, "0-21 days before"},
		{[2]int{-9, 21}, "from 9 days after to 21 days before"},
		{[2]int{-1, 1}, "from 1 day after to 1 day before"},
		{[2]int{-3, -3}, "3 days after"},
		{[2]int{-5, -2}, "2-5 days after"},
	} {
		if got := query.FormatLead(c.lead); got != c.want {
			t.Errorf("FormatLead(%v) = %q; want %q", c.lead, got, c.want)
		}
	}
}

// TestPrecededGroupIsGroupOrAffiliates: --group X keeps the attacks of X
// and of its affiliates, not those of X's parent group (the help says
// "this group or its affiliates"; ISIS-K once listed the Bataclan attack,
// the Islamic State's).
func TestPrecededGroupIsGroupOrAffiliates(t *testing.T) {
	r, _ := demoView(t)
	ids := func(group string) map[string]bool {
		res, err := r.Preceded(t.Context(), query.PrecededOptions{Group: group})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, a := range res.Attacks {
			out[a.Attack] = true
		}
		for _, m := range res.Unwarned {
			out[m.ID] = true
		}
		for _, u := range res.Unordered {
			out[u.Attack] = true
		}
		return out
	}
	k := ids("ISIS-K")
	if k["attack:2015-11-bataclan"] || k["attack:2017-05-manchester-arena"] {
		t.Errorf("--group ISIS-K lists attacks of its parent, the Islamic State: %v", k)
	}
	if !k["attack:2021-08-kabul-airport-bombing"] || !k["attack:2024-03-22-crocus-city-hall"] {
		t.Errorf("--group ISIS-K lacks its own attacks: %v", k)
	}
	is := ids("Islamic State")
	if !is["attack:2015-11-bataclan"] || !is["attack:2021-08-kabul-airport-bombing"] {
		t.Errorf("--group \"Islamic State\" lacks its own or its affiliate ISIS-K's attacks: %v", is)
	}
}

// TestPrecededUndated: an undated warning that matches an attack makes the
// pair "cannot be ordered", and the attack is not said to be unwarned; the
// warning is listed as undated instead of vanishing from every list.
func TestPrecededUndated(t *testing.T) {
	const data = `sources:
  - {id: "source:s1", publisher: S1}
entities:
  - {id: group:g, kind: Group, name: G, source: source:s1}
  - {id: attack:a, kind: Attack, name: A, source: source:s1, perpetratedBy: group:g, date: 2024-03-22}
  - {id: attack:b, kind: Attack, name: B, source: source:s1, perpetratedBy: group:g}
  - {id: warning:w, kind: Warning, name: W, source: source:s1, about: group:g}
  - {id: warning:d, kind: Warning, name: D, source: source:s1, about: group:g, date: 2024-03-10}
`
	r := memReader(t, data)
	res, err := r.Preceded(t.Context(), query.PrecededOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attacks) != 1 || res.Attacks[0].Attack != "attack:a" || len(res.Attacks[0].Warnings) != 1 || res.Attacks[0].Warnings[0].Warning != "warning:d" {
		t.Fatalf("attacks %+v; want attack:a preceded by warning:d", res.Attacks)
	}
	if len(res.Unwarned) != 0 {
		t.Errorf("unwarned %v; want none (attack:b's order is unknown, not absent)", res.Unwarned)
	}
	pairs := map[string]bool{}
	for _, u := range res.Unordered {
		pairs[u.Warning+"~"+u.Attack] = true
		if (u.Warning == "warning:w") != (u.WarningDate == "") || (u.Attack == "attack:b") != (u.AttackDate == "") {
			t.Errorf("pair %+v: dates wrong", u)
		}
	}
	for _, want := range []string{"warning:w~attack:a", "warning:w~attack:b", "warning:d~attack:b"} {
		if !pairs[want] {
			t.Errorf("unordered pairs %v lack %s", pairs, want)
		}
	}
	var undated []string
	for _, m := range res.Undated {
		undated = append(undated, m.ID)
	}
	if want := []string{"attack:b", "warning:w"}; !slices.Equal(undated, want) {
		t.Errorf("undated %v; want %v", undated, want)
	}
}

// memReader loads native YAML into a memstore and returns its Reader.
func memReader(t *testing.T, data string) *query.Reader {
	t.Helper()
	s, err := graph.Open(t.Context(), graph.Options{Backend: "memstore"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := ingest.Load(t.Context(), s, []*ingest.File{ingest.Parse("t.yaml", []byte(data))}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return query.NewReader(s, query.ReaderOptions{})
}

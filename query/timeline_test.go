package query_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

// TestTimelineOwnFacts checks the subject's own events against its card
// (Show, another reading of the same quads, which always shows deprecated
// facts): with deprecated facts, every date fact of the card is one event
// with the same sources, words, contested and deprecated flags, and nothing
// else is.
func TestTimelineOwnFacts(t *testing.T) {
	r, _ := demoView(t)
	for _, id := range []string{"ISIS-K", "attack:2024-03-22-crocus-city-hall", "Taliban"} {
		card, err := r.Show(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		tl, err := r.Timeline(t.Context(), id, query.Scope{WithDeprecated: true})
		if err != nil {
			t.Fatal(err)
		}
		type key struct{ pred, date string }
		want := map[key]query.Fact{}
		for _, f := range card.Facts {
			if f.Value.Type == "date" {
				want[key{f.Predicate, f.Value.Value.(string)}] = f
			}
		}
		got := 0
		for _, e := range tl.Events {
			if e.Relation != "self" {
				continue
			}
			got++
			f, ok := want[key{e.Predicate, e.Date}]
			if !ok {
				t.Errorf("%s: event %s %s is not a date fact of its card", id, e.Predicate, e.Date)
				continue
			}
			var srcs []string
			for _, ev := range f.Evidence {
				srcs = append(srcs, ev.Source)
			}
			if !slices.Equal(e.Sources, slices.Compact(srcs)) {
				t.Errorf("%s %s %s: sources %v; the card has %v", id, e.Predicate, e.Date, e.Sources, srcs)
			}
			if e.Contested != f.Contested || e.Deprecated != f.Deprecated {
				t.Errorf("%s %s %s: contested %v, deprecated %v; the card says %v, %v", id, e.Predicate, e.Date, e.Contested, e.Deprecated, f.Contested, f.Deprecated)
			}
			if f.AsWritten != "" && !slices.Contains(e.AsWritten, f.AsWritten) {
				t.Errorf("%s %s %s: as written %q; the card has %q", id, e.Predicate, e.Date, e.AsWritten, f.AsWritten)
			}
			if e.ID != card.ID || len(e.Evidence) == 0 {
				t.Errorf("%s: event %+v", id, e)
			}
			iv, err := schema.ParseDate(e.Date)
			if err != nil || iv.Start.Format("2006-01-02") != e.Start || iv.End.Format("2006-01-02") != e.End {
				t.Errorf("%s: event %s spans %s to %s (%v)", id, e.Date, e.Start, e.End, err)
			}
		}
		if got != len(want) {
			t.Errorf("%s: %d own events; the card has %d date facts", id, got, len(want))
		}
		for i := 1; i < len(tl.Events); i++ {
			if a, b := tl.Events[i-1], tl.Events[i]; a.Start > b.Start || a.Start == b.Start && a.End > b.End {
				t.Errorf("%s: %s %s before %s %s", id, a.Start, a.End, b.Start, b.End)
			}
		}
	}
}

// TestTimelineKeepsSourcesApart: sources that date a thing differently are
// each an event of their own, never one narrower date; contested only when
// the dates cannot both hold.
func TestTimelineKeepsSourcesApart(t *testing.T) {
	r, _ := demoView(t)
	tl, err := r.Timeline(t.Context(), "ISIS-K", query.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]query.TimelineEvent{}
	for _, e := range tl.Events {
		by[e.ID+" "+e.Predicate] = append(by[e.ID+" "+e.Predicate], e)
	}
	// The articles date the Kabul airport bombing 2021 and August 2021:
	// both kept, neither contested (August 2021 is in 2021).
	kabul := by["attack:2021-08-kabul-airport-bombing date"]
	var dates []string
	for _, e := range kabul {
		dates = append(dates, e.Date)
		if e.Contested || e.Relation != "<-perpetratedBy" {
			t.Errorf("Kabul airport bombing: %+v", e)
		}
	}
	if !slices.Equal(dates, []string{"2021", "2021-08"}) {
		t.Errorf("Kabul airport bombing dated %v; want 2021 and 2021-08 side by side", dates)
	}
	// ISIS-K's founding: late 2014 (Reuters) and 2015 (NYT) cannot both
	// hold.
	founded := by["group:isis-k founded"]
	if len(founded) < 2 {
		t.Fatalf("ISIS-K founded %+v", founded)
	}
	seen := map[string]bool{}
	for _, e := range founded {
		if !e.Contested || e.Relation != "self" {
			t.Errorf("ISIS-K founded %+v: want contested", e)
		}
		for _, s := range e.Sources {
			if seen[s] {
				t.Errorf("source %s gives two founding dates", s)
			}
			seen[s] = true
		}
	}
}

// TestTimelineScope checks the filters against the unfiltered answer: the
// belief policy keeps the events (and evidence) of the chosen sources, the
// window the events whose interval overlaps it, and bad values are
// *ParamErrors naming the parameter.
func TestTimelineScope(t *testing.T) {
	r, _ := demoView(t)
	ctx := t.Context()
	all, err := r.Timeline(ctx, "ISIS-K", query.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	const reuters = "source:reuters-2024-03-25"
	only, err := r.Timeline(ctx, "ISIS-K", query.Scope{Sources: []string{reuters}})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, e := range all.Events {
		if slices.Contains(e.Sources, reuters) && e.Relation == "self" {
			want++
		}
	}
	own := 0
	for _, e := range only.Events {
		for _, ev := range e.Evidence {
			if ev.Source != reuters {
				t.Errorf("--sources %s: evidence of %s in %+v", reuters, ev.Source, e)
			}
		}
		if e.Relation == "self" {
			own++
			if e.Contested {
				t.Errorf("one source contests itself: %+v", e)
			}
		}
	}
	if own != want || own == 0 {
		t.Errorf("--sources %s: %d own events; %d of the full timeline are Reuters'", reuters, own, want)
	}
	excl, err := r.Timeline(ctx, "ISIS-K", query.Scope{ExcludeSources: []string{reuters}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range excl.Events {
		if slices.Contains(e.Sources, reuters) {
			t.Errorf("--exclude-sources %s: %+v", reuters, e)
		}
	}

	from, to := "2022", "2024-03-10"
	win, err := r.Timeline(ctx, "ISIS-K", query.Scope{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, e := range all.Events {
		if e.End >= "2022-01-01" && e.Start <= "2024-03-10" {
			kept = append(kept, e.ID+" "+e.Predicate+" "+e.Date)
		}
	}
	var got []string
	for _, e := range win.Events {
		got = append(got, e.ID+" "+e.Predicate+" "+e.Date)
	}
	if !slices.Equal(got, kept) || len(got) == 0 || len(got) == len(all.Events) {
		t.Errorf("window %s to %s kept\n%s\nwant\n%s", from, to, strings.Join(got, "\n"), strings.Join(kept, "\n"))
	}

	for _, c := range []struct {
		sc    query.Scope
		param string
	}{
		{query.Scope{From: "2024-13"}, "from"},
		{query.Scope{To: "someday"}, "to"},
		{query.Scope{From: "2024", To: "2023"}, "to"},
		{query.Scope{Sources: []string{"source:nobody"}}, "sources"},
		{query.Scope{ExcludeSources: []string{"source:nobody"}}, "exclude-sources"},
		{query.Scope{Predicates: []string{"nosuch"}}, "predicates"},
	} {
		_, err := r.Timeline(ctx, "ISIS-K", c.sc)
		var pe *query.ParamError
		if !errors.As(err, &pe) || pe.Param != c.param {
			t.Errorf("%+v: %v; want a ParamError on %s", c.sc, err, c.param)
		}
	}
	if _, err := r.Timeline(ctx, "no such group", query.Scope{}); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("unknown entity: %v", err)
	}
}

// TestTimelineDeprecated: by default a date that only deprecated statements
// give is left out, and the value it contested no longer is.
func TestTimelineDeprecated(t *testing.T) {
	r, _ := demoView(t)
	seized := func(sc query.Scope) map[string]query.TimelineEvent {
		tl, err := r.Timeline(t.Context(), "Taliban", sc)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]query.TimelineEvent{}
		for _, e := range tl.Events {
			if e.Relation == "self" && e.Predicate == "seizedPower" {
				m[e.Date] = e
			}
		}
		return m
	}
	with, without := seized(query.Scope{WithDeprecated: true}), seized(query.Scope{})
	if len(with) != 2 || !with["2017"].Deprecated || !with["2017"].Contested || !with["2021"].Contested {
		t.Errorf("Taliban seizedPower with deprecated facts: %+v", with)
	}
	if e, ok := without["2021"]; len(without) != 1 || !ok || e.Contested || e.Deprecated {
		t.Errorf("Taliban seizedPower: %+v; want 2021 alone, uncontested", without)
	}
}

package export_test

import (
	"testing"

	"github.com/threatgraph/threatgraph/query/export"
)

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain ascii", "plain ascii"},
		{"tab\tlf\ncr\r", "tab\tlf\ncr\r"},
		{"nul\x00bel\x07esc\x1b", "nulbelesc"},
		{"Cafe\u0301", "Caf\u00e9"},
		{"bad\xffutf8\xc3", "badutf8"},
		{"\uFFFE\uFFFFnon-chars", "non-chars"},
		{"\uFFFD stays", "\uFFFD stays"},
		{"\x01\x02", ""},
		{"Красногорск", "Красногорск"},
	} {
		if got := export.Clean(c.in); got != c.want {
			t.Errorf("Clean(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

func TestList(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, "[]"},
		{[]string{"b", "a", "b", ""}, `["a","b"]`},
		{[]string{`q"uote`, "<&>", "x | y"}, `["<&>","q\"uote","x | y"]`},
	} {
		if got := export.List("aliases", c.in...).StringValue(); got != c.want {
			t.Errorf("List(%q) = %s; want %s", c.in, got, c.want)
		}
	}
}

func TestFigures(t *testing.T) {
	got := export.Figures("killed",
		export.Figure{Value: 137, Sources: []string{"source-b"}},
		export.Figure{Value: 133, Sources: []string{"source-c"}},
		export.Figure{Value: 137, Sources: []string{"source-a", "source-b"}})
	want := `[{"value":133,"sources":["source-c"]},{"value":137,"sources":["source-a","source-b"]}]`
	if len(got) != 3 || got[0].StringValue() != want || got[1].Name != "killed_min" || got[1].IntValue() != 133 ||
		got[2].Name != "killed_max" || got[2].IntValue() != 137 {
		t.Errorf("Figures = %q %v %v; want %s, killed_min 133, killed_max 137", got[0].StringValue(), got[1], got[2], want)
	}
	// Bounded figures: _min is the fewest any figure allows, _max the most
	// any figure of everyone allows, missing when one is open.
	bounded := func(figs ...export.Figure) (list string, lo int64, hi int64, hasHi bool) {
		a := export.Figures("killed", figs...)
		for _, x := range a[1:] {
			if x.Name == "killed_max" {
				hi, hasHi = x.IntValue(), true
			}
		}
		return a[0].StringValue(), a[1].IntValue(), hi, hasHi
	}
	atLeast := export.Figure{Text: "at least 137", Lower: 137, Upper: 1<<31 - 1, Open: true, Sources: []string{"reuters"}}
	civilians := export.Figure{Text: "as many as 170 civilians", Lower: 0, Upper: 170, Of: "civilians", Sources: []string{"nyt"}}
	scores := export.Figure{Text: "scores", Lower: 40, Upper: 199, Sources: []string{"nyt"}}
	list, lo, _, hasHi := bounded(atLeast, export.Figure{Value: 145, Sources: []string{"bbc"}})
	if want := `[{"text":"at least 137","lower":137,"upper":null,"sources":["reuters"]},{"value":145,"sources":["bbc"]}]`; list != want || lo != 137 || hasHi {
		t.Errorf("at least 137 and 145: %s, min %d, max present %v; want %s, 137, no max", list, lo, hasHi, want)
	}
	list, lo, hi, hasHi := bounded(civilians, scores, export.Figure{Value: 84, Sources: []string{"nyt"}})
	if want := `[{"text":"as many as 170 civilians","lower":0,"upper":170,"of":"civilians","sources":["nyt"]},{"text":"scores","lower":40,"upper":199,"sources":["nyt"]},{"value":84,"sources":["nyt"]}]`; list != want || lo != 0 || !hasHi || hi != 199 {
		t.Errorf("parts and wholes: %s, min %d, max %d (%v); want %s, 0, 199", list, lo, hi, hasHi, want)
	}
	if _, _, _, hasHi := bounded(civilians); hasHi {
		t.Errorf("a part alone gave a killed_max; it bounds the whole from below only")
	}
	if got := export.Figures("killed"); got != nil {
		t.Errorf("Figures() = %v; want nil (missing)", got)
	}
	if err := export.CheckKeys(export.FigureKeys("killed", export.Node, export.Int)); err != nil {
		t.Errorf("FigureKeys: %v", err)
	}
}

func TestID(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"group:isis-k", "group-isis-k"},
		{"attack:2024-03-22-crocus-city-hall", "attack-2024-03-22-crocus-city-hall"},
		{"1abc", "x-1abc"},
		{"a b/c", "a-b-c"},
	} {
		got := export.ID(c.in)
		if got != c.want || !export.ValidID(got) {
			t.Errorf("ID(%q) = %q (valid %v); want %q", c.in, got, export.ValidID(got), c.want)
		}
	}
	for _, s := range []string{"", "a b", "a/b", "a&b", "a\x00", "\xff"} {
		if export.ValidID(s) {
			t.Errorf("ValidID(%q) = true", s)
		}
	}
	for _, s := range []string{"group:isis-k", "n0000001", "Красногорск", "a.b_c-d"} {
		if !export.ValidID(s) {
			t.Errorf("ValidID(%q) = false", s)
		}
	}
}

package query_test

import (
	"testing"

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

package query

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/threatgraph/threatgraph/schema"
)

// PrecededOptions shape the warnings-before-attacks question.
type PrecededOptions struct {
	WindowDays int    // a warning counts when it may have come at most this many days before (0: 90)
	Group      string // only attacks attributed to this group (id, name or alias) or its affiliates
	Place      string // only attacks within this place
	// CertainOnly keeps only warnings whose dates end before the attack's
	// begin. Otherwise overlapping dates count as possible, except for
	// attacks dated to a span longer than the window.
	CertainOnly bool
	Scope       Scope
}

// A Precursor is one warning that preceded one attack.
type Precursor struct {
	Warning     string `json:"warning"`
	WarningName string `json:"warning_name"`
	WarningDate string `json:"warning_date"` // canonical interval; contested dates listed "a | b"
	// WarningDateContested: the sources date the warning differently; the
	// certainty and lead are those of the most favourable pair of dates.
	WarningDateContested bool     `json:"warning_date_contested"`
	Certainty            string   `json:"certainty"`  // certain: the warning ended before the attack began; possible: their dates overlap
	LeadDays             [2]int   `json:"lead_days"`  // fewest and most days between them (the first may be negative when possible)
	MatchedBy            []string `json:"matched_by"` // group, place
	Evidence             [][]Hop  `json:"evidence"`   // graph paths that link warning and attack, one per match
	IssuedBy             []string `json:"issued_by"`  // names
	IssuedTo             []string `json:"issued_to"`  // names
	Public               string   `json:"public,omitempty"`
	Response             string   `json:"response,omitempty"`
}

// AttackWarnings is one attack with the warnings that preceded it.
type AttackWarnings struct {
	Attack string `json:"attack"`
	Name   string `json:"name"`
	Date   string `json:"date"` // canonical interval; contested dates listed "a | b"
	// DateContested: the sources date the attack differently; each date is
	// matched against the warnings on its own.
	DateContested bool        `json:"date_contested"`
	Warnings      []Precursor `json:"warnings"`
}

// PrecededResult answers "which warnings preceded which attacks".
type PrecededResult struct {
	WindowDays int              `json:"window_days"`
	Attacks    []AttackWarnings `json:"attacks"`    // attacks with at least one preceding warning, by date
	Unwarned   []Match          `json:"unwarned"`   // dated attacks no warning preceded
	Unfollowed []Match          `json:"unfollowed"` // dated warnings no matching attack followed within the window
}

// relIndex gives, per node, the objects of one relation (any source kept by
// the filter), and the reverse.
type relIndex struct {
	out, in map[int32][]int32
}

func (v *View) relation(pred string, keep []bool) relIndex {
	ix := relIndex{out: map[int32][]int32{}, in: map[int32][]int32{}}
	p, ok := slices.BinarySearch(v.Preds, pred)
	if !ok {
		return ix
	}
	for _, r := range v.Rows {
		if int(r.P) != p || (keep != nil && !keep[r.Source]) {
			continue
		}
		ix.out[r.S] = appendUnique(ix.out[r.S], r.O)
		ix.in[r.O] = appendUnique(ix.in[r.O], r.S)
	}
	return ix
}

func appendUnique(s []int32, x int32) []int32 {
	if slices.Contains(s, x) {
		return s
	}
	return append(s, x)
}

// step is one hop of an evidence chain, written subject -pred-> object.
type step struct {
	s, o int32
	pred string
}

// preceded matches warnings to the attacks that followed them: by group (the
// warned-about group, its affiliates and the groups it is an affiliate or
// splinter of, two levels each way) and by place (the attack's place lies
// within the warned place through partOf, any source). A warning with a
// group and a place must match both when the attack has both.
func preceded(ctx context.Context, qs Store, v *View, o PrecededOptions) (*PrecededResult, error) {
	if o.WindowDays <= 0 {
		o.WindowDays = 90
	}
	c, err := v.compile(o.Scope)
	if err != nil {
		return nil, err
	}
	keep, window := c.srcs, c.nodes
	perp, about := v.relation("perpetratedBy", keep), v.relation("about", keep)
	affil, splinter := v.relation("affiliateOf", keep), v.relation("splinterOf", keep)
	located, concerns, partOf := v.relation("locatedIn", keep), v.relation("concerns", keep), v.relation("partOf", keep)
	issuedBy, issuedTo := v.relation("issuedBy", keep), v.relation("issuedTo", keep)

	var groupFilter, placeFilter int32 = -1, -1
	if o.Group != "" {
		m, err := resolve(ctx, qs, o.Group)
		if err != nil {
			return nil, fmt.Errorf("group: %w", err)
		}
		n, ok := v.Node(m.ID)
		if !ok || (m.Kind != string(schema.Group) && m.Kind != string(schema.Organization)) {
			return nil, kindError("group", o.Group, m.Kind, "a Group or Organization")
		}
		groupFilter = n
	}
	if o.Place != "" {
		m, err := resolve(ctx, qs, o.Place)
		if err != nil {
			return nil, fmt.Errorf("place: %w", err)
		}
		n, ok := v.Node(m.ID)
		if !ok || m.Kind != string(schema.Location) {
			return nil, kindError("place", o.Place, m.Kind, "a Location")
		}
		placeFilter = n
	}
	var attacks, warnings []int32
	for _, d := range v.Dates {
		if window != nil && !window[d.Node] {
			continue
		}
		switch v.Kinds[d.Node] {
		case string(schema.Attack):
			attacks = append(attacks, d.Node)
		case string(schema.Warning):
			warnings = append(warnings, d.Node)
		}
	}
	// groupsNear returns the groups related to g by affiliation, with the
	// chain that links them (chain[0] starts at g).
	groupsNear := func(g int32) map[int32][]step {
		out := map[int32][]step{g: nil}
		frontier := []int32{g}
		for depth := 0; depth < 2; depth++ {
			var next []int32
			for _, x := range frontier {
				for _, rel := range []struct {
					ix   relIndex
					name string
				}{{affil, "affiliateOf"}, {splinter, "splinterOf"}} {
					for _, y := range rel.ix.out[x] {
						if _, ok := out[y]; !ok {
							out[y] = append(slices.Clone(out[x]), step{x, y, rel.name})
							next = append(next, y)
						}
					}
					for _, y := range rel.ix.in[x] {
						if _, ok := out[y]; !ok {
							out[y] = append(slices.Clone(out[x]), step{y, x, rel.name})
							next = append(next, y)
						}
					}
				}
			}
			frontier = next
		}
		return out
	}
	// within returns the places that contain p (itself included), with the
	// partOf chain from p.
	within := func(p int32) map[int32][]step {
		out := map[int32][]step{p: nil}
		frontier := []int32{p}
		for depth := 0; depth < 8 && len(frontier) > 0; depth++ {
			var next []int32
			for _, x := range frontier {
				for _, y := range partOf.out[x] {
					if _, ok := out[y]; !ok {
						out[y] = append(slices.Clone(out[x]), step{x, y, "partOf"})
						next = append(next, y)
					}
				}
			}
			frontier = next
		}
		return out
	}
	names := func(ns []int32) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, v.Names[n])
		}
		sort.Strings(out)
		return out
	}
	res := &PrecededResult{WindowDays: o.WindowDays, Attacks: []AttackWarnings{}, Unwarned: []Match{}, Unfollowed: []Match{}}
	followed := map[int32]bool{}
	for _, a := range attacks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		aDates, aContested := v.DatesOf(a, keep)
		if len(aDates) == 0 {
			continue // not dated by the sources believed
		}
		aGroups := map[int32][]step{}
		for _, g := range perp.out[a] {
			for near, chain := range groupsNear(g) {
				if _, ok := aGroups[near]; !ok {
					aGroups[near] = append([]step{{a, g, "perpetratedBy"}}, chain...)
				}
			}
		}
		aPlaces := map[int32][]step{}
		for _, p := range located.out[a] {
			for in, chain := range within(p) {
				if _, ok := aPlaces[in]; !ok {
					aPlaces[in] = append([]step{{a, p, "locatedIn"}}, chain...)
				}
			}
		}
		if groupFilter >= 0 {
			if _, ok := aGroups[groupFilter]; !ok {
				continue
			}
		}
		if placeFilter >= 0 {
			if _, ok := aPlaces[placeFilter]; !ok {
				continue
			}
		}
		aw := AttackWarnings{Attack: v.Keys[a], Name: v.Names[a], Date: datesText(aDates), DateContested: aContested, Warnings: []Precursor{}}
		for _, w := range warnings {
			wDates, wContested := v.DatesOf(w, keep)
			timing, ok := bestTiming(wDates, aDates, o)
			if !ok {
				continue
			}
			var matched []string
			var evidence [][]Hop
			groupOK, placeOK := len(about.out[w]) == 0 || len(aGroups) == 0, len(concerns.out[w]) == 0 || len(aPlaces) == 0
			for _, g := range about.out[w] {
				if chain, ok := aGroups[g]; ok {
					groupOK = true
					matched = append(matched, "group")
					evidence = append(evidence, v.chainHops(append([]step{{w, g, "about"}}, reverse(chain)...)))
					break
				}
			}
			for _, p := range concerns.out[w] {
				if chain, ok := aPlaces[p]; ok {
					placeOK = true
					matched = append(matched, "place")
					evidence = append(evidence, v.chainHops(append([]step{{w, p, "concerns"}}, reverse(chain)...)))
					break
				}
			}
			if len(matched) == 0 || !groupOK || !placeOK {
				continue
			}
			followed[w] = true
			pc := Precursor{Warning: v.Keys[w], WarningName: v.Names[w], WarningDate: datesText(wDates), WarningDateContested: wContested,
				Certainty: timing.certainty, LeadDays: timing.lead, MatchedBy: matched, Evidence: evidence,
				IssuedBy: names(issuedBy.out[w]), IssuedTo: names(issuedTo.out[w])}
			pc.Public, pc.Response = literal(ctx, qs, v.Keys[w], "tg:public"), literal(ctx, qs, v.Keys[w], "tg:response")
			aw.Warnings = append(aw.Warnings, pc)
		}
		if len(aw.Warnings) == 0 {
			res.Unwarned = append(res.Unwarned, Match{ID: v.Keys[a], Kind: v.Kinds[a], Name: v.Names[a]})
			continue
		}
		// Earliest warning first: the longest lead, then the longest shortest lead.
		sort.SliceStable(aw.Warnings, func(i, j int) bool {
			a, b := aw.Warnings[i].LeadDays, aw.Warnings[j].LeadDays
			if a[1] != b[1] {
				return a[1] > b[1]
			}
			return a[0] > b[0]
		})
		res.Attacks = append(res.Attacks, aw)
	}
	sort.SliceStable(res.Attacks, func(i, j int) bool { return res.Attacks[i].Date < res.Attacks[j].Date })
	if groupFilter < 0 && placeFilter < 0 {
		for _, w := range warnings {
			if !followed[w] {
				res.Unfollowed = append(res.Unfollowed, Match{ID: v.Keys[w], Kind: v.Kinds[w], Name: v.Names[w]})
			}
		}
	}
	return res, nil
}

// reverse turns an attack-side chain (attack ... -> matched node) into the
// order that continues from the warning's matched node back to the attack.
func reverse(ch []step) []step {
	out := slices.Clone(ch)
	slices.Reverse(out)
	return out
}

// chainHops writes a chain of steps as path hops, each oriented along the
// walk from the warning to the attack.
func (v *View) chainHops(ch []step) []Hop {
	var hops []Hop
	var at int32 = -1
	for i, s := range ch {
		from, to, fwd := s.s, s.o, true
		if i > 0 && at != s.s {
			from, to, fwd = s.o, s.s, false
		}
		hops = append(hops, Hop{From: v.Keys[from], FromName: v.Names[from], To: v.Keys[to], ToName: v.Names[to], Predicate: s.pred, Forward: fwd, Sources: v.RowSources(s.s, s.o, s.pred)})
		at = to
	}
	return hops
}

// literal returns the values of a literal predicate of an entity, joined.
func literal(ctx context.Context, qs Store, id, pred string) string {
	var vals []string
	_ = iterateValue(ctx, qs, id, pred, func(s string) { vals = append(vals, s) })
	slices.Sort(vals)
	return strings.Join(slices.Compact(vals), "|")
}

// FormatLead renders a lead time interval: "15 days", "12-21 days".
func FormatLead(l [2]int) string {
	if l[0] == l[1] {
		if l[0] == 1 || l[0] == -1 {
			return strconv.Itoa(l[0]) + " day"
		}
		return strconv.Itoa(l[0]) + " days"
	}
	return fmt.Sprintf("%d-%d days", l[0], l[1])
}

// ParseWindow reads a window such as 90d, 12w, 6m (30 days) or 1y (365
// days) as days, for preceded's window (the CLI's --window, the endpoint's window=).
func ParseWindow(text string) (int, error) {
	s := strings.TrimSpace(strings.ToLower(text))
	unit := 1
	switch {
	case strings.HasSuffix(s, "d"):
		s = strings.TrimSuffix(s, "d")
	case strings.HasSuffix(s, "w"):
		s, unit = strings.TrimSuffix(s, "w"), 7
	case strings.HasSuffix(s, "m"):
		s, unit = strings.TrimSuffix(s, "m"), 30
	case strings.HasSuffix(s, "y"):
		s, unit = strings.TrimSuffix(s, "y"), 365
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 100*365/unit {
		return 0, &ParamError{Param: "window", Value: text, Want: "a positive number of days, weeks, months or years up to 100 years (90d, 12w, 6m, 1y)"}
	}
	return n * unit, nil
}

// kindError is the *ParamError of an entity of the wrong kind for a parameter.
func kindError(param, text, kind, want string) *ParamError {
	art := "a"
	if kind != "" && strings.ContainsRune("AEIOU", rune(kind[0])) {
		art = "an"
	}
	return &ParamError{Param: param, Value: text, Want: fmt.Sprintf("%s (it is %s %s)", want, art, kind)}
}

// timing is how a warning's date stands to an attack's.
type timing struct {
	certainty string
	lead      [2]int
}

// bestTiming compares every date the sources give the warning with every
// date they give the attack and returns the strongest relation within the
// window: certain (the warning ends before the attack begins) before
// possible (they overlap), then the shortest lead. A possible match needs
// the attack dated to a span no longer than the window: an aggregate such as
// "attacks in the past decade" is "possibly preceded" by any warning inside
// it, which answers nothing. ok is false when no pair qualifies.
func bestTiming(warnings, attacks []schema.Interval, o PrecededOptions) (best timing, ok bool) {
	for _, a := range attacks {
		for _, w := range warnings {
			if w.Start.After(a.End) {
				continue // the warning came after
			}
			lo, hi := w.LeadDays(a)
			if max(lo, 0) > o.WindowDays {
				continue
			}
			t := timing{"possible", [2]int{lo, hi}}
			if w.Before(a) {
				t.certainty = "certain"
			} else if o.CertainOnly || a.Days() > o.WindowDays {
				continue
			}
			better := !ok || (t.certainty == "certain" && best.certainty != "certain") ||
				(t.certainty == best.certainty && t.lead[0] < best.lead[0])
			if better {
				best, ok = t, true
			}
		}
	}
	return best, ok
}

// datesText writes one or several (contested) dates.
func datesText(ds []schema.Interval) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, " | ")
}

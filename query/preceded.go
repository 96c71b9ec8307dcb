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
	WarningDateContested bool `json:"warning_date_contested"`
	// Certainty: certain when the warning ended before the attack began,
	// the warning and the link are not machine-coded only and the match is
	// not by a broad place alone; possible otherwise (their dates overlap,
	// or DatedBefore with MachineCoded or WeakMatch).
	Certainty string `json:"certainty"`
	// DatedBefore: the dates put the warning before the attack, but the
	// pair is only possible: MachineCoded or WeakMatch says why.
	DatedBefore bool `json:"dated_before,omitempty"`
	// MachineCoded: the warning, or every path that links it to the
	// attack, rests on machine-coded sources only (machine.go).
	MachineCoded bool `json:"machine_coded,omitempty"`
	// WeakMatch says why the match is weak: by place only, the warned
	// place being a country, region or continent the attack lies in.
	WeakMatch string   `json:"weak_match,omitempty"`
	LeadDays  [2]int   `json:"lead_days"`  // fewest and most days between them (the first may be negative when possible)
	MatchedBy []string `json:"matched_by"` // group, place
	Evidence  [][]Hop  `json:"evidence"`   // graph paths that link warning and attack, one per match
	IssuedBy  []string `json:"issued_by"`  // names
	IssuedTo  []string `json:"issued_to"`  // names
	Public    string   `json:"public,omitempty"`
	Response  string   `json:"response,omitempty"`
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
	Unwarned   []Match          `json:"unwarned"`   // dated attacks no warning preceded, none matching them undated
	Unfollowed []Match          `json:"unfollowed"` // dated warnings no matching attack followed within the window, none matching them undated
	Unordered  []Unordered      `json:"unordered"`  // warnings and attacks that match but cannot be put in order, by attack and warning
	Undated    []Match          `json:"undated"`    // attacks and warnings that no source believed dates, by id
}

// An Unordered pair is a warning and an attack that match by group or place
// but that the dates cannot put in order: the sources believed date one of
// them, or neither, not at all. Whether the warning came first is unknown.
type Unordered struct {
	Warning     string   `json:"warning"`
	WarningName string   `json:"warning_name"`
	WarningDate string   `json:"warning_date"` // "" when undated
	Attack      string   `json:"attack"`
	AttackName  string   `json:"attack_name"`
	AttackDate  string   `json:"attack_date"` // "" when undated
	MatchedBy   []string `json:"matched_by"`  // group, place
	Evidence    [][]Hop  `json:"evidence"`    // graph paths that link warning and attack, one per match
}

// relIndex gives, per node, the objects of one relation (any source kept by
// the filter), and the reverse.
type relIndex struct {
	out, in map[int32][]int32
}

func (v *View) relation(pred string, c *scope) relIndex {
	ix := relIndex{out: map[int32][]int32{}, in: map[int32][]int32{}}
	p, ok := slices.BinarySearch(v.preds, pred)
	if !ok {
		return ix
	}
	for _, r := range v.rows {
		if int(r.P) != p || !c.uses(r.Source, r.Deprecated) {
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

// precedence holds what preceded reads: the view and the relation indexes
// the matching walks, under the scope's facts.
type precedence struct {
	v                            *View
	c                            *scope
	perp, about, affil, splinter relIndex
	located, concerns, partOf    relIndex
	issuedBy, issuedTo           relIndex
}

func newPrecedence(v *View, c *scope) *precedence {
	return &precedence{v: v, c: c,
		perp: v.relation("perpetratedBy", c), about: v.relation("about", c),
		affil: v.relation("affiliateOf", c), splinter: v.relation("splinterOf", c),
		located: v.relation("locatedIn", c), concerns: v.relation("concerns", c), partOf: v.relation("partOf", c),
		issuedBy: v.relation("issuedBy", c), issuedTo: v.relation("issuedTo", c)}
}

// Preceded matches warnings to the attacks that followed them: by group (the
// warned-about group, its affiliates and the groups it is an affiliate or
// splinter of, two levels each way) and by place (the attack's place lies
// within the warned place through partOf, any source). A warning with a
// group and a place must match both when the attack has both.
func (r *Reader) Preceded(ctx context.Context, o PrecededOptions) (*PrecededResult, error) {
	qs := r.store
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	if o.WindowDays <= 0 {
		o.WindowDays = 90
	}
	c, err := v.compile(o.Scope)
	if err != nil {
		return nil, err
	}
	groupFilter, err := filterNode(ctx, qs, v, "group", o.Group, "a Group or Organization", schema.Group, schema.Organization)
	if err != nil {
		return nil, err
	}
	placeFilter, err := filterNode(ctx, qs, v, "place", o.Place, "a Location", schema.Location)
	if err != nil {
		return nil, err
	}
	pr := newPrecedence(v, c)
	var attacks, warnings []int32
	for n, k := range v.kinds {
		if c.nodes != nil && !c.nodes[n] || c.hides(int32(n)) {
			continue
		}
		switch k {
		case string(schema.Attack):
			attacks = append(attacks, int32(n))
		case string(schema.Warning):
			warnings = append(warnings, int32(n))
		}
	}
	res := &PrecededResult{WindowDays: o.WindowDays, Attacks: []AttackWarnings{}, Unwarned: []Match{}, Unfollowed: []Match{}, Unordered: []Unordered{}, Undated: []Match{}}
	followed, unordered, undated := map[int32]bool{}, map[int32]bool{}, map[int32]bool{}
	broad := map[int32]string{} // broadPlace, by warned place
	for _, a := range attacks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		aGroups, aPlaces := pr.around(a)
		if groupFilter >= 0 && !pr.attributedTo(a, groupFilter) {
			continue
		}
		if _, ok := aPlaces[placeFilter]; placeFilter >= 0 && !ok {
			continue
		}
		aDates, aContested, _ := v.datesOf(a, c)
		if len(aDates) == 0 {
			undated[a] = true
		}
		aw := AttackWarnings{Attack: v.keys[a], Name: v.names[a], Date: datesText(aDates), DateContested: aContested, Warnings: []Precursor{}}
		for _, w := range warnings {
			wDates, wContested, _ := v.datesOf(w, c)
			if len(wDates) == 0 || len(aDates) == 0 {
				if matched, evidence, _ := pr.match(w, aGroups, aPlaces); len(matched) > 0 {
					unordered[a], unordered[w] = true, true
					res.Unordered = append(res.Unordered, Unordered{Warning: v.keys[w], WarningName: v.names[w], WarningDate: datesText(wDates),
						Attack: v.keys[a], AttackName: v.names[a], AttackDate: aw.Date, MatchedBy: matched, Evidence: evidence})
				}
				continue
			}
			timing, ok := bestTiming(wDates, aDates, o)
			if !ok {
				continue
			}
			matched, evidence, place := pr.match(w, aGroups, aPlaces)
			if len(matched) == 0 {
				continue
			}
			pc := Precursor{Warning: v.keys[w], WarningName: v.names[w], WarningDate: datesText(wDates), WarningDateContested: wContested,
				Certainty: timing.certainty, LeadDays: timing.lead, MatchedBy: matched, Evidence: evidence,
				IssuedBy: pr.names(pr.issuedBy.out[w]), IssuedTo: pr.names(pr.issuedTo.out[w])}
			pc.MachineCoded = pr.machineCoded(w, evidence)
			if place >= 0 && !slices.Contains(matched, "group") {
				t, ok := broad[place]
				if !ok {
					t = broadPlace(ctx, qs, v.keys[place])
					broad[place] = t
				}
				if t != "" {
					pc.WeakMatch = fmt.Sprintf("by place only: %s is a %s", v.names[place], t)
				}
			}
			if pc.Certainty == "certain" && (pc.MachineCoded || pc.WeakMatch != "") {
				if o.CertainOnly {
					continue
				}
				pc.Certainty, pc.DatedBefore = "possible", true
			}
			followed[w] = true
			pc.Public, pc.Response = literal(ctx, qs, v.keys[w], "tg:public"), literal(ctx, qs, v.keys[w], "tg:response")
			aw.Warnings = append(aw.Warnings, pc)
		}
		if len(aw.Warnings) == 0 {
			if !undated[a] && !unordered[a] {
				res.Unwarned = append(res.Unwarned, Match{ID: v.keys[a], Kind: v.kinds[a], Name: v.names[a]})
			}
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
	filtered := groupFilter >= 0 || placeFilter >= 0
	for _, w := range warnings {
		switch wDates, _, _ := v.datesOf(w, c); {
		case len(wDates) == 0 && (!filtered || unordered[w]):
			undated[w] = true
		case len(wDates) > 0 && !filtered && !followed[w] && !unordered[w]:
			res.Unfollowed = append(res.Unfollowed, Match{ID: v.keys[w], Kind: v.kinds[w], Name: v.names[w]})
		}
	}
	for n := range undated {
		res.Undated = append(res.Undated, Match{ID: v.keys[n], Kind: v.kinds[n], Name: v.names[n]})
	}
	slices.SortFunc(res.Undated, func(a, b Match) int { return strings.Compare(a.ID, b.ID) })
	return res, nil
}

// filterNode resolves the entity a filter parameter names (-1: none given)
// and checks that it is of one of the kinds.
func filterNode(ctx context.Context, qs Store, v *View, param, text, want string, kinds ...schema.Kind) (int32, error) {
	if text == "" {
		return -1, nil
	}
	m, err := resolve(ctx, qs, text)
	if err != nil {
		return -1, fmt.Errorf("%s: %w", param, err)
	}
	n, ok := v.Node(m.ID)
	if !ok || !slices.Contains(kinds, schema.Kind(m.Kind)) {
		return -1, kindError(param, text, m.Kind, want)
	}
	return n, nil
}

// around returns the groups an attack is attributed to, with those near
// them (groupsNear), and the places it lies within, each with the chain
// that links it to the attack.
func (pr *precedence) around(a int32) (groups, places map[int32][]step) {
	groups, places = map[int32][]step{}, map[int32][]step{}
	for _, g := range pr.perp.out[a] {
		for near, chain := range pr.groupsNear(g) {
			if _, ok := groups[near]; !ok {
				groups[near] = append([]step{{a, g, "perpetratedBy"}}, chain...)
			}
		}
	}
	for _, p := range pr.located.out[a] {
		for in, chain := range pr.within(p) {
			if _, ok := places[in]; !ok {
				places[in] = append([]step{{a, p, "locatedIn"}}, chain...)
			}
		}
	}
	return groups, places
}

// attributedTo reports whether attack a is attributed to group g or to an
// affiliate of g: a perpetrator is g, or reaches g through affiliateOf
// (two levels, as groupsNear). A parent of g, or a group g splintered
// from, is not g's affiliate.
func (pr *precedence) attributedTo(a, g int32) bool {
	for _, p := range pr.perp.out[a] {
		frontier := []int32{p}
		for depth := 0; depth <= 2 && len(frontier) > 0; depth++ {
			var next []int32
			for _, x := range frontier {
				if x == g {
					return true
				}
				next = append(next, pr.affil.out[x]...)
			}
			frontier = next
		}
	}
	return false
}

// match returns how warning w matches an attack with these groups and
// places ("group", "place"), with the evidence chain of each; nothing when
// it does not: a warning about a group (or a place) must match the
// attack's when the attack has one.
//
// place is the warned place that matched (-1: none).
func (pr *precedence) match(w int32, groups, places map[int32][]step) (matched []string, evidence [][]Hop, place int32) {
	place = -1
	groupOK, placeOK := len(pr.about.out[w]) == 0 || len(groups) == 0, len(pr.concerns.out[w]) == 0 || len(places) == 0
	for _, g := range pr.about.out[w] {
		if chain, ok := groups[g]; ok {
			groupOK = true
			matched = append(matched, "group")
			evidence = append(evidence, pr.chainHops(append([]step{{w, g, "about"}}, reverse(chain)...)))
			break
		}
	}
	for _, p := range pr.concerns.out[w] {
		if chain, ok := places[p]; ok {
			placeOK, place = true, p
			matched = append(matched, "place")
			evidence = append(evidence, pr.chainHops(append([]step{{w, p, "concerns"}}, reverse(chain)...)))
			break
		}
	}
	if !groupOK || !placeOK {
		return nil, nil, -1
	}
	return matched, evidence, place
}

// machineCoded reports whether warning w rests on machine-coded sources
// only (only they declare and relate it), or every path of evidence has a
// hop that only machine-coded sources give.
func (pr *precedence) machineCoded(w int32, evidence [][]Hop) bool {
	if _, ok := slices.BinarySearch(pr.v.machineOnly, w); ok {
		return true
	}
	for _, path := range evidence {
		if !slices.ContainsFunc(path, func(h Hop) bool { return h.MachineCoded }) {
			return false
		}
	}
	return len(evidence) > 0
}

// broadPlaces are the placeTypes too wide for a match by place alone to
// tie a warning to an attack.
var broadPlaces = []string{"continent", "region", "country"}

// broadPlace returns the broadest placeType any source gives the place
// when it is one of broadPlaces ("" otherwise).
func broadPlace(ctx context.Context, qs Store, id string) string {
	types := strings.Split(literal(ctx, qs, id, "tg:placeType"), "|")
	for _, t := range broadPlaces {
		if slices.Contains(types, t) {
			return t
		}
	}
	return ""
}

// groupsNear returns the groups related to g by affiliation, two levels
// each way, with the chain that links them (chain[0] starts at g).
func (pr *precedence) groupsNear(g int32) map[int32][]step {
	out := map[int32][]step{g: nil}
	frontier := []int32{g}
	for depth := 0; depth < 2; depth++ {
		var next []int32
		for _, x := range frontier {
			for _, rel := range []struct {
				ix   relIndex
				name string
			}{{pr.affil, "affiliateOf"}, {pr.splinter, "splinterOf"}} {
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
func (pr *precedence) within(p int32) map[int32][]step {
	out := map[int32][]step{p: nil}
	frontier := []int32{p}
	for depth := 0; depth < 8 && len(frontier) > 0; depth++ {
		var next []int32
		for _, x := range frontier {
			for _, y := range pr.partOf.out[x] {
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

// names returns the display names of nodes, sorted.
func (pr *precedence) names(ns []int32) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, pr.v.names[n])
	}
	sort.Strings(out)
	return out
}

// reverse turns an attack-side chain (attack ... -> matched node) into the
// order that continues from the warning's matched node back to the attack.
func reverse(ch []step) []step {
	out := slices.Clone(ch)
	slices.Reverse(out)
	return out
}

// chainHops writes a chain of steps as path hops, each oriented along the
// walk from the warning to the attack, with the sources the scope uses.
func (pr *precedence) chainHops(ch []step) []Hop {
	v := pr.v
	var hops []Hop
	var at int32 = -1
	for i, s := range ch {
		from, to, fwd := s.s, s.o, true
		if i > 0 && at != s.s {
			from, to, fwd = s.o, s.s, false
		}
		srcs := v.rowSources(pr.c, s.s, s.o, s.pred)
		hops = append(hops, Hop{From: v.keys[from], FromName: v.names[from], To: v.keys[to], ToName: v.names[to], Predicate: s.pred, Forward: fwd, Sources: srcs, MachineCoded: v.allMachine(srcs)})
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

// FormatLead renders a lead time interval [fewest, most] days by which a
// warning came before an attack, as words: "15 days before", "12-21 days
// before", "the same day", and, when their dates overlap so that the
// warning may have come after, "from 9 days after to 21 days before".
func FormatLead(l [2]int) string {
	days := func(n int) string {
		if n == 1 {
			return "1 day"
		}
		return strconv.Itoa(n) + " days"
	}
	lo, hi := l[0], l[1]
	switch {
	case lo == 0 && hi == 0:
		return "the same day"
	case lo == hi && lo > 0:
		return days(lo) + " before"
	case lo == hi:
		return days(-lo) + " after"
	case lo >= 0:
		return strconv.Itoa(lo) + "-" + days(hi) + " before"
	case hi <= 0:
		return strconv.Itoa(-hi) + "-" + days(-lo) + " after"
	}
	return "from " + days(-lo) + " after to " + days(hi) + " before"
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

package query

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/threatgraph/threatgraph/schema"
)

// The rules that every answer applies live here, once: which sources are
// known, the belief policy, the time window, the display name, contested
// values and disputed attributions. Scope.compile (scope.go) applies the first three.

// preferKind reports whether kind k replaces old (none: "") as an entity's
// kind. Ingest refuses a second kind for an entity; in a store loaded
// otherwise, the alphabetically first of its kinds is the one every answer
// uses.
func preferKind(old, k schema.Kind) bool { return old == "" || k < old }

// isNode reports whether an entity of kind k is a node of the analytics
// graph: every kind but Source (sources are the provenance of edges, not
// vertices; literals are never nodes).
func isNode(k schema.Kind) bool { return k != schema.Source }

// A belief is a belief policy: the facts of which sources a read uses. The
// zero belief uses every source.
type belief struct {
	only, except map[string]bool
}

// newBelief checks the sources to use (only; empty: all) and to leave out
// (except) against known, the store's known sources (sorted), and returns
// the policy. A name that is not known is a *ParamError (sources or
// exclude-sources): a typo must not silently give an empty or a full answer.
func newBelief(known, only, except []string) (belief, error) {
	var b belief
	check := func(opt string, ids []string) (map[string]bool, error) {
		if len(ids) == 0 {
			return nil, nil
		}
		set := map[string]bool{}
		for _, id := range ids {
			if _, ok := slices.BinarySearch(known, id); !ok {
				ex := known[:min(3, len(known))]
				return nil, &ParamError{Param: opt, Value: id, Want: fmt.Sprintf("the id of one of the %d Sources in the store, such as %s", len(known), strings.Join(ex, ", "))}
			}
			set[id] = true
		}
		return set, nil
	}
	var err error
	if b.only, err = check("sources", only); err != nil {
		return belief{}, err
	}
	if b.except, err = check("exclude-sources", except); err != nil {
		return belief{}, err
	}
	return b, nil
}

// excluded returns the sources the scope leaves out: ExcludeSources and,
// with ExcludeMachine, the machine-coded sources among machine (the
// sources whose coding is machine).
func (sc Scope) excluded(machine []string) []string {
	if !sc.ExcludeMachine || len(machine) == 0 {
		return sc.ExcludeSources
	}
	out := slices.Concat(sc.ExcludeSources, machine)
	slices.Sort(out)
	return slices.Compact(out)
}

// All reports whether the policy uses every source.
func (b belief) All() bool { return b.only == nil && b.except == nil }

// Uses reports whether the policy uses the facts of source (an id such as
// source:bbc-2024-03-25-gardner).
func (b belief) Uses(source string) bool {
	return (b.only == nil || b.only[source]) && !b.except[source]
}

// UsesLabel reports whether the policy uses a fact with this label (a
// source or one of its statements).
func (b belief) UsesLabel(label string) bool { return b.All() || b.Uses(schema.SourceOf(label)) }

const wantDate = "a date: " + schema.DateForms

// A window is a closed time window [From, To] over days. The zero window
// is open on both sides and keeps everything.
type window struct {
	lo, hi time.Time
	set    bool
}

// newWindow parses from and to (date expressions; empty: open on that
// side). A bad date, or to before from, is a *ParamError (from or to).
func newWindow(from, to string) (window, error) {
	w := window{lo: time.Time{}, hi: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), set: from != "" || to != ""}
	if from != "" {
		iv, err := schema.ParseDate(from)
		if err != nil {
			return window{}, &ParamError{Param: "from", Value: from, Want: wantDate}
		}
		w.lo = iv.Start
	}
	if to != "" {
		iv, err := schema.ParseDate(to)
		if err != nil {
			return window{}, &ParamError{Param: "to", Value: to, Want: wantDate}
		}
		w.hi = iv.End
	}
	if w.hi.Before(w.lo) {
		return window{}, &ParamError{Param: "to", Value: to, Want: fmt.Sprintf("a date that does not end before from %q starts", from)}
	}
	return w, nil
}

// Open reports whether the window keeps everything.
func (w window) Open() bool { return !w.set }

// Keeps reports whether an entity with these dates (as agreedDates gives
// them under the belief policy) is kept: undated entities always are, a
// dated one when any of its dates overlaps the window.
func (w window) Keeps(dates []schema.Interval) bool {
	if !w.set || len(dates) == 0 {
		return true
	}
	return slices.ContainsFunc(dates, func(iv schema.Interval) bool { return !iv.End.Before(w.lo) && !iv.Start.After(w.hi) })
}

// agreedDates returns an entity's date from the intervals its sources give:
// one interval, their intersection, when they all overlap (the tightest
// date they agree on: "2021" and "August 2021" give August 2021);
// otherwise each distinct interval, sorted, and contested. No intervals:
// undated.
func agreedDates(ivs []schema.Interval) (dates []schema.Interval, contested bool) {
	var all []schema.Interval
	for _, iv := range ivs {
		if !slices.ContainsFunc(all, func(x schema.Interval) bool { return x.Start.Equal(iv.Start) && x.End.Equal(iv.End) }) {
			all = append(all, iv)
		}
	}
	if len(all) == 0 {
		return nil, false
	}
	lo, hi := all[0].Start, all[0].End
	for _, iv := range all[1:] {
		lo, hi = maxTime(lo, iv.Start), minTime(hi, iv.End)
	}
	if !hi.Before(lo) {
		return []schema.Interval{schema.Span(lo, hi)}, false
	}
	slices.SortFunc(all, func(a, b schema.Interval) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	return all, true
}

// A sourcedName is one name of an entity as one source states it.
type sourcedName struct {
	Name, Source string
	Deprecated   bool // every statement of it is ranked deprecated
}

// displayName returns the display name of entity id: the name stated by
// the most distinct sources (a source that states it twice counts once),
// ties to the smallest, leaving out names from deprecated statements
// unless every name is; with no name, title (a Source goes by its title);
// with neither, the id. The same whatever the question's scope, so that an
// entity has one name in every answer and export.
func displayName(id string, names []sourcedName, title string) string {
	live := slices.ContainsFunc(names, func(n sourcedName) bool { return !n.Deprecated })
	by := map[string]map[string]bool{}
	for _, n := range names {
		if live && n.Deprecated {
			continue
		}
		if by[n.Name] == nil {
			by[n.Name] = map[string]bool{}
		}
		by[n.Name][n.Source] = true
	}
	best, bestN := "", 0
	for n, srcs := range by {
		if len(srcs) > bestN || len(srcs) == bestN && n < best {
			best, bestN = n, len(srcs)
		}
	}
	switch {
	case bestN > 0:
		return best
	case title != "":
		return title
	}
	return id
}

// isContested reports whether the values that sources give for predicate p
// of one subject disagree: p is single-valued and not derived, and the
// values conflict. Multi-valued predicates (aliases, targets) are never
// contested.
func isContested(p *schema.Predicate, vs []Value) bool {
	return p != nil && !p.Multi && !p.Derived && conflict(vs)
}

// conflict reports whether values of one single-valued predicate disagree.
// Dates disagree only when two of their intervals cannot both be right (they
// do not overlap; for intervals that is the same as agreedDates finding no
// common day): "2021" and "August 2021" are the same event told with less
// and more precision, "2014" and "2015" are not. Counts likewise disagree
// only when their bounds cannot both hold (schema.Quantity.Compatible: "at
// least 137" and "145" agree; a count of civilians and one of everyone
// disagree only when the part exceeds the whole). Other values disagree
// when they differ.
func conflict(vs []Value) bool {
	for i := range vs {
		for j := i + 1; j < len(vs); j++ {
			a, b := vs[i], vs[j]
			if x, ok := a.quantity(); ok {
				if y, ok := b.quantity(); ok {
					if !x.Compatible(y) {
						return true
					}
					continue
				}
			}
			if a.Type == "date" && b.Type == "date" {
				x, errX := schema.ParseDate(a.String())
				y, errY := schema.ParseDate(b.String())
				if errX == nil && errY == nil {
					if !x.Overlaps(y) {
						return true
					}
					continue
				}
			}
			if a != b {
				return true
			}
		}
	}
	return false
}

// attributionDisputed reports whether what the sources say about who
// carried out one attack cannot all hold. named are the distinct actors
// named responsible (claims of responsibility, attributions, the attack's
// perpetratedBy), cleared those cleared (denials, a negated perpetratedBy);
// within(a, b) reports whether a is b or an affiliate of b through
// affiliateOf at any depth, together(a, b) whether one statement names both.
// Two named actors agree when one is within the other ("ISIS-K" and "the
// Islamic State" are one account told with more and less precision) or
// when one statement names both (they acted together: "U.S., Iraqi, and
// Kurdish forces"); otherwise they disagree ("ISIS-K" and "Ukraine", or
// two affiliates of one parent). A cleared actor disputes a named actor
// within it: clearing Ukraine disputes naming Ukraine, clearing the Islamic
// State disputes naming ISIS-K; clearing ISIS-K leaves "the Islamic State"
// named (another of its branches may have done it).
func attributionDisputed(named, cleared []string, within, together func(a, b string) bool) bool {
	for i, a := range named {
		for _, b := range named[i+1:] {
			if !within(a, b) && !within(b, a) && !together(a, b) {
				return true
			}
		}
		for _, c := range cleared {
			if within(a, c) {
				return true
			}
		}
	}
	return false
}

// originsOf returns the origins of a statement with this label, for
// counting how many independent origins support a fact: whom the statement
// is according to (reported speech), else its source. The BBC and Reuters
// both reporting what Russian state media said is one origin; an article
// quoting another article counts as that article.
func originsOf(label string, according []string) []string {
	if len(according) > 0 {
		return according
	}
	return []string{schema.SourceOf(label)}
}

// A judgedRank is one judgement's rank and date (canonical; "" undated).
type judgedRank struct{ rank, date string }

// rankOf returns a statement's rank from its judgements: "" when none
// judges it; else the rank of the latest judgement (by the start of its
// date; an undated judgement is older than any dated one), and among
// equally recent judgements that disagree, deprecated before normal before
// preferred (the cautious reading). The store only grows: a later
// judgement is how an earlier one is revised.
func rankOf(js []judgedRank) string {
	caution := map[string]int{schema.RankDeprecated: 3, schema.RankNormal: 2, schema.RankPreferred: 1}
	best, bestAt := "", time.Time{}
	for _, j := range js {
		var at time.Time
		if iv, err := schema.ParseDate(j.date); err == nil {
			at = iv.Start
		}
		if best == "" || at.After(bestAt) || at.Equal(bestAt) && caution[j.rank] > caution[best] {
			best, bestAt = j.rank, at
		}
	}
	return best
}

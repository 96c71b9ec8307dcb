package query

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// A TimelineEvent is one dated fact: one value of one date predicate
// (date, founded, endDate, seizedPower, arrested, ...) of the subject or
// of an entity linked to it, with the sources that give that value. When
// sources give different values for the same predicate, each value is its
// own event with its own sources; none is narrowed to what they share.
type TimelineEvent struct {
	Start     string   `json:"start"`                // first day the date may denote
	End       string   `json:"end"`                  // last day it may denote
	Date      string   `json:"date"`                 // canonical interval
	AsWritten []string `json:"as_written,omitempty"` // the sources' words for it, when they wrote other than the canonical form
	Predicate string   `json:"predicate"`            // the date predicate: date, founded, endDate, ...
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	Relation  string   `json:"relation"` // how the entity links to the subject ("self" for the subject's own facts)
	// Contested: the kept sources give this single-valued predicate of the
	// entity other values that cannot all hold (isContested), each its own
	// event.
	Contested bool `json:"contested"`
	// Deprecated: every kept statement of the value is ranked deprecated
	// (only with WithDeprecated).
	Deprecated bool `json:"deprecated,omitempty"`
	// MachineCoded: every source of the value is machine-coded (software
	// coded it, no person read it: machine.go).
	MachineCoded bool               `json:"machine_coded,omitempty"`
	Sources      []string           `json:"sources"`  // sources of this value
	Evidence     []TimelineEvidence `json:"evidence"` // each statement of it
}

// TimelineEvidence is one source's support for a dated fact (Evidence),
// with the words that source wrote the date in.
type TimelineEvidence struct {
	Source      string      `json:"source"`
	Quote       string      `json:"quote,omitempty"`
	AsWritten   string      `json:"as_written,omitempty"`
	AccordingTo []string    `json:"according_to,omitempty"`
	Rank        string      `json:"rank,omitempty"`
	Judgements  []Judgement `json:"judgements,omitempty"`
	Coding      string      `json:"coding,omitempty"` // "machine" for a machine-coded source (Evidence.Coding)
}

// TimelineResult answers "what happened around X, in order".
type TimelineResult struct {
	Entity Match           `json:"entity"`
	Events []TimelineEvent `json:"events"`
}

// Timeline lists every dated fact of the subject (relation "self") and of
// the entities one hop away (attacks it carried out, warnings about it,
// claims of it, the groups it is linked to), one event per predicate and
// value, ordered by start, end, id, predicate and date. The scope applies
// as to every question: the belief policy and the deprecation rule choose
// the statements, Predicates the relations that reach the neighbours, and
// From/To keep an event when its interval overlaps the window (an
// entity's other dates do not decide it).
func (r *Reader) Timeline(ctx context.Context, id string, sc Scope) (*TimelineResult, error) {
	qs := r.store
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	w, err := newWindow(sc.From, sc.To)
	if err != nil {
		return nil, err
	}
	m, err := resolve(ctx, qs, id)
	if err != nil {
		return nil, err
	}
	// The graph to the neighbours is not narrowed by the window: the
	// window applies to each event, not to whole entities.
	gsc := sc
	gsc.From, gsc.To = "", ""
	c, err := v.compile(gsc)
	if err != nil {
		return nil, err
	}
	res := &TimelineResult{Entity: m, Events: []TimelineEvent{}}
	s, ok := v.Node(m.ID)
	if !ok {
		return res, nil
	}
	ev := newQuoteCache(qs)
	var out []TimelineEvent
	add := func(n int32, rel string) error {
		evs, err := datedFacts(ctx, qs, ev, v, c, v.keys[n])
		if err != nil {
			return err
		}
		for _, e := range evs {
			iv, err := schema.ParseDate(e.Date)
			if err != nil || !w.Keeps([]schema.Interval{iv}) {
				continue
			}
			e.ID, e.Name, e.Kind, e.Relation = v.keys[n], v.names[n], v.kinds[n], rel
			out = append(out, e)
		}
		return nil
	}
	if err := add(s, "self"); err != nil {
		return nil, err
	}
	g := v.graph(c)
	for _, n := range neighborsOf(g, s) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ed := g.EdgeAt(g.EdgesBetween(s, n)[0])
		rel := g.Predicates()[ed.Predicate]
		if ed.From != s {
			rel = "<-" + rel
		}
		if err := add(n, rel); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for _, c := range [][2]string{{a.Start, b.Start}, {a.End, b.End}, {a.ID, b.ID}, {a.Predicate, b.Predicate}, {a.Date, b.Date}} {
			if c[0] != c[1] {
				return c[0] < c[1]
			}
		}
		return false
	})
	if out != nil {
		res.Events = out
	}
	return res, nil
}

// datedFacts returns entity id's dated facts that scope c uses, one event
// per date predicate and canonical value, each with its evidence (and the
// words each statement wrote it in), contested as isContested says of the
// values kept. Entity fields are left to the caller.
func datedFacts(ctx context.Context, qs Store, ev *quoteCache, v *View, c *scope, id string) ([]TimelineEvent, error) {
	type stated struct{ label, pred, value string }
	var dates []stated
	texts := map[[2]string][]string{} // label, date predicate -> the words
	err := qs.Quads(ctx, quad.Subject, quad.IRI(id), func(q quad.Quad) error {
		p := schema.LookupIRI(string(labelIRI(q.Predicate)))
		if p == nil {
			return nil
		}
		label := string(labelIRI(q.Label))
		if p.Type == schema.Date && !p.Derived {
			iv, err := schema.ParseDate(valueOf(q.Object).String())
			if err != nil {
				return nil // not a date the view could read either
			}
			dates = append(dates, stated{label, p.Name, iv.String()})
			return nil
		}
		if base, ok := strings.CutSuffix(p.Name, "Text"); ok && p.Derived {
			if bp := schema.Lookup(base); bp != nil && bp.Type == schema.Date {
				k := [2]string{label, base}
				texts[k] = append(texts[k], valueOf(q.Object).String())
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The words of a statement's date: those that read as its value, or
	// the only words of a statement that gives one value.
	perLabel := map[[2]string]int{}
	for _, d := range dates {
		perLabel[[2]string{d.label, d.pred}]++
	}
	written := func(d stated) string {
		ws := texts[[2]string{d.label, d.pred}]
		for _, t := range ws {
			if iv, err := schema.ParseDate(t); err == nil && iv.String() == d.value {
				return t
			}
		}
		if len(ws) == 1 && perLabel[[2]string{d.label, d.pred}] == 1 {
			return ws[0]
		}
		return ""
	}
	idx := map[[2]string]int{}
	var out []TimelineEvent
	for _, d := range dates {
		e, err := ev.evidence(ctx, quad.IRI(d.label))
		if err != nil {
			return nil, err
		}
		if !usesSource(v, c, e.Source, e.Rank == schema.RankDeprecated) {
			continue
		}
		k := [2]string{d.pred, d.value}
		i, ok := idx[k]
		if !ok {
			iv, _ := schema.ParseDate(d.value)
			i, idx[k] = len(out), len(out)
			out = append(out, TimelineEvent{Start: iv.Start.Format("2006-01-02"), End: iv.End.Format("2006-01-02"), Date: d.value, Predicate: d.pred})
		}
		out[i].Evidence = append(out[i].Evidence, TimelineEvidence{Source: e.Source, Quote: e.Quote, AsWritten: written(d),
			AccordingTo: e.AccordingTo, Rank: e.Rank, Judgements: e.Judgements, Coding: e.Coding})
	}
	values := map[string][]Value{}
	for _, e := range out {
		values[e.Predicate] = append(values[e.Predicate], Value{Type: "date", Value: e.Date})
	}
	for i := range out {
		e := &out[i]
		sort.Slice(e.Evidence, func(a, b int) bool {
			x, y := e.Evidence[a], e.Evidence[b]
			if x.Source != y.Source {
				return x.Source < y.Source
			}
			if x.Quote != y.Quote {
				return x.Quote < y.Quote
			}
			return x.AsWritten < y.AsWritten
		})
		e.Evidence = slices.CompactFunc(e.Evidence, func(x, y TimelineEvidence) bool {
			return x.Source == y.Source && x.Quote == y.Quote && x.AsWritten == y.AsWritten
		})
		e.Deprecated, e.MachineCoded = true, len(e.Evidence) > 0
		for _, x := range e.Evidence {
			e.MachineCoded = e.MachineCoded && x.Coding == schema.MachineCoding
			e.Sources = append(e.Sources, x.Source)
			if x.AsWritten != "" && x.AsWritten != e.Date {
				e.AsWritten = append(e.AsWritten, x.AsWritten)
			}
			e.Deprecated = e.Deprecated && x.Rank == schema.RankDeprecated
		}
		e.Sources = slices.Compact(e.Sources)
		slices.Sort(e.AsWritten)
		e.AsWritten = slices.Compact(e.AsWritten)
		e.Contested = isContested(schema.Lookup(e.Predicate), values[e.Predicate])
	}
	return out, nil
}

// usesSource reports whether scope c uses a fact of source src, from
// statements judgements deprecate or not (scope.uses, by the view's index
// of the source; a source the view does not know is kept only when the
// belief policy keeps everything).
func usesSource(v *View, c *scope, src string, deprecated bool) bool {
	i, ok := slices.BinarySearch(v.sources, src)
	if !ok {
		return c == nil || c.srcs == nil && (!deprecated || c.WithDeprecated)
	}
	return c.uses(uint16(i), deprecated)
}

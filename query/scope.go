package query

import (
	"fmt"
	"slices"
	"strings"

	"github.com/threatgraph/threatgraph/schema"
)

// A Scope is the part of the store an answer reads: a belief policy (the
// sources to use, or to leave out), the relations, the kinds of entity
// answered about, a time window over dated entities, and whether facts
// that judgements deprecate count. The zero Scope is everything but the
// deprecated facts. Kinds narrow the answer (what is ranked, what is
// exported), not the graph, so that paths through other kinds still count.
//
// The same names are the CLI's flags and the HTTP API's parameters; a value
// that cannot be applied is a *ParamError naming one of them.
type Scope struct {
	Sources        []string // use only facts stated by these sources (empty: all)
	ExcludeSources []string // leave out the facts stated by these sources
	// ExcludeMachine leaves out the facts of machine-coded sources (a
	// Source with coding machine, such as GDELT's): the belief policy of
	// human-read sources only.
	ExcludeMachine bool
	Predicates     []string // only these relations (empty: all)
	Kinds          []string // answer about entities of these kinds only (empty: all)
	From, To       string   // dated entities must overlap [From, To] (date expressions; empty: open)
	// WithDeprecated keeps the facts that stand only on statements a
	// judgement ranks deprecated (rankOf): analytics leave them out
	// otherwise. Cards and contested always show them, marked.
	WithDeprecated bool
}

// graphZero reports whether the scope keeps the whole graph (Kinds do not
// narrow the graph).
func (sc Scope) graphZero() bool {
	return len(sc.Sources) == 0 && len(sc.ExcludeSources) == 0 && !sc.ExcludeMachine && len(sc.Predicates) == 0 && sc.From == "" && sc.To == "" && !sc.WithDeprecated
}

// A ParamError is a parameter a user gave that cannot be applied: an
// unknown source, predicate, kind or measure, a bad date or window, an
// entity that is not there. Param is the name the CLI's flag and the HTTP
// parameter share; the CLI exits 2 on it and HTTP answers 400.
type ParamError struct {
	Param string // e.g. sources, exclude-sources, predicates, kinds, from, to, measure, window
	Value string // the value given
	Want  string // what was expected
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("%s %q: expected %s", e.Param, e.Value, e.Want)
}

// A scope is a Scope checked against a view and compiled into the sets
// every answer filters by; nil sets keep everything.
type scope struct {
	Scope
	srcs  []bool // by view source
	preds []bool // by view predicate
	nodes []bool // by node: the time window under the belief policy
	// hidden marks the nodes the scope leaves out of rankings: with
	// ExcludeMachine, those only machine-coded sources give (nil: none).
	hidden []bool
	kinds  map[string]bool // canonical kind names
}

// compile checks sc against the view (known sources, relations in the
// store, kinds, dates) and builds its sets. This is the one place a scope's
// rules are applied: the belief policy (newBelief), the window on the agreed
// date (newWindow, agreedDates), the relations and the kinds.
func (v *View) compile(sc Scope) (*scope, error) {
	c := &scope{Scope: sc}
	b, err := newBelief(v.sources, sc.Sources, sc.excluded(v.machine))
	if err != nil {
		return nil, err
	}
	if !b.All() {
		c.srcs = make([]bool, len(v.sources))
		for i, s := range v.sources {
			c.srcs[i] = b.Uses(s)
		}
	}
	if sc.ExcludeMachine && len(v.machineOnly) > 0 {
		c.hidden = make([]bool, len(v.keys))
		for _, n := range v.machineOnly {
			c.hidden[n] = true
		}
	}
	if len(sc.Predicates) > 0 {
		c.preds = make([]bool, len(v.preds))
		for _, p := range sc.Predicates {
			i, ok := slices.BinarySearch(v.preds, p)
			if !ok {
				return nil, &ParamError{Param: "predicates", Value: p, Want: "a relation in the store, e.g. " + strings.Join(v.preds[:min(4, len(v.preds))], ", ")}
			}
			c.preds[i] = true
		}
	}
	if c.kinds, err = kindSet(sc.Kinds); err != nil {
		return nil, err
	}
	w, err := newWindow(sc.From, sc.To)
	if err != nil {
		return nil, err
	}
	if !w.Open() {
		c.nodes = make([]bool, len(v.keys))
		for i := range c.nodes {
			c.nodes[i] = true
		}
		for _, d := range v.dates {
			ds, _, _ := v.datesOf(d.Node, c)
			c.nodes[d.Node] = w.Keeps(ds)
		}
	}
	return c, nil
}

// kindSet parses kind names (any case) into canonical ones; none: nil.
func kindSet(ks []string) (map[string]bool, error) {
	if len(ks) == 0 {
		return nil, nil
	}
	m := map[string]bool{}
	for _, k := range ks {
		kk, ok := schema.ParseKind(k)
		if !ok {
			return nil, &ParamError{Param: "kinds", Value: k, Want: "kinds among " + schema.JoinKinds(schema.Kinds, ", ")}
		}
		m[string(kk)] = true
	}
	return m, nil
}

// uses reports whether the scope uses a fact stated by view source src
// from statements that judgements deprecate (deprecated) or not: the
// belief policy (newBelief), then the rule on deprecated facts. A nil
// scope uses everything.
func (c *scope) uses(src uint16, deprecated bool) bool {
	return c == nil || (c.srcs == nil || c.srcs[src]) && (!deprecated || c.WithDeprecated)
}

// hides reports whether the scope leaves node n out of rankings.
func (c *scope) hides(n int32) bool { return c != nil && c.hidden != nil && c.hidden[n] }

// keepsKind reports whether the scope answers about entities of kind k.
func (c *scope) keepsKind(k string) bool { return c.kinds == nil || c.kinds[k] }

package query

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// Contested across claims: who carried out an attack (attribution points)
// and multi-valued relations that one statement states and another negates
// (relation points). The single-valued points are in stats.go.

// The kinds of contested point (Disagreement.Kind).
const (
	KindValue       = "value"       // a single-valued fact whose values cannot all hold
	KindAttribution = "attribution" // who carried out an attack
	KindRelation    = "relation"    // a multi-valued relation stated and negated
)

// The stances of a Side.
const (
	StanceResponsibility = "responsibility"  // a claim of responsibility (claimType)
	StanceAttribution    = "attribution"     // an attribution by others (claimType)
	StanceDenial         = "denial"          // a denial (claimType): the actor is cleared
	StanceUnstated       = "unstated"        // a claim whose type its sources do not agree on or give
	StancePerpetrator    = "perpetrator"     // the attack's own perpetratedBy
	StanceNotPerpetrator = "not-perpetrator" // a negated perpetratedBy: the actor is cleared
	StanceStates         = "states"          // a relation point: the relation as stated
	StanceNegates        = "negates"         // a relation point: its negation
)

// stanceRank orders an actor's sides: naming before clearing.
var stanceRank = map[string]int{StanceResponsibility: 0, StanceAttribution: 1, StancePerpetrator: 2, StanceUnstated: 3, StanceDenial: 4, StanceNotPerpetrator: 5}

// A Side is one position in an attribution or relation point: for an
// attribution, an actor named (or cleared) in one way by one claim or by
// the attack's perpetratedBy facts; for a relation, the statements that
// state it or that negate it.
type Side struct {
	Actor     string     `json:"actor,omitempty"` // attribution: the actor named or cleared
	ActorName string     `json:"actor_name,omitempty"`
	Stance    string     `json:"stance"`          // one of the Stance constants
	Claim     string     `json:"claim,omitempty"` // the Claim entity, for a claim's side
	Claimants []Named    `json:"claimants,omitempty"`
	Evidence  []Evidence `json:"evidence"`
}

// Named is an entity by id and display name.
type Named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// A fact is one quad's subject, object and label, as strings.
type fact struct{ s, o, label string }

// claimScan holds what scanAll gathers for the points across claims: the
// quads of the claim predicates, of perpetratedBy and affiliateOf, and of
// every negation (with the relation it negates).
type claimScan struct {
	claimType, claimant, claims, alleges []fact
	perp, notPerp, affil                 []fact
	negated                              []negFact
}

type negFact struct {
	fact
	base *schema.Predicate
}

func (c *claimScan) add(q quad.Quad, p *schema.Predicate) {
	var list *[]fact
	switch {
	case p.Negates != nil:
	case p.Name == "claimType":
		list = &c.claimType
	case p.Name == "claimant":
		list = &c.claimant
	case p.Name == "claims":
		list = &c.claims
	case p.Name == "alleges":
		list = &c.alleges
	case p.Name == "perpetratedBy":
		list = &c.perp
	case p.Name == "affiliateOf":
		list = &c.affil
	default:
		return
	}
	o, ok := q.Object.(quad.IRI)
	if !ok { // claimType is a word; the others name entities
		o = quad.IRI(valueOf(q.Object).String())
	}
	f := fact{string(labelIRI(q.Subject)), string(o), string(labelIRI(q.Label))}
	if list != nil {
		*list = append(*list, f)
		return
	}
	c.negated = append(c.negated, negFact{f, p.Negates})
	if p.Negates.Name == "perpetratedBy" {
		c.notPerp = append(c.notPerp, f)
	}
}

// sideKey is one side of an attribution: who, how and in which claim
// ("" for the attack's own perpetratedBy facts).
type sideKey struct{ actor, stance, claim string }

// An attribution is one disputed attack with its sides' labels.
type attribution struct {
	attack string
	sides  map[sideKey][]string
}

// A negation is one relation point: a (subject, predicate, object) with
// the labels that state it and those that negate it.
type negation struct {
	s, p, o         string
	states, negates []string
}

// across finds the attribution and relation points.
func (c *claimScan) across(ctx context.Context, qs Store, kinds map[string]string) ([]attribution, []negation, error) {
	attrs := c.attributions(kinds)
	rels, err := c.relations(ctx, qs, kinds)
	return attrs, rels, err
}

// attributions returns the disputed attacks (attributionDisputed), by id.
// A claim's side has the stance its claimType states with the same
// statement as the alleges fact, else the one type its sources agree on,
// else unstated (which neither names nor clears); it applies to every
// attack the claim claims.
func (c *claimScan) attributions(kinds map[string]string) []attribution {
	types := map[string]map[string]string{} // claim -> label -> type
	oneType := map[string]string{}          // claim -> its type when all agree, else "-"
	for _, f := range c.claimType {
		if types[f.s] == nil {
			types[f.s] = map[string]string{}
		}
		types[f.s][f.label] = f.o
		if t, ok := oneType[f.s]; !ok {
			oneType[f.s] = f.o
		} else if t != f.o {
			oneType[f.s] = "-"
		}
	}
	attacksOf := map[string][]string{}
	for _, f := range c.claims {
		if kinds[f.o] == string(schema.Attack) {
			attacksOf[f.s] = appendNew(attacksOf[f.s], f.o)
		}
	}
	by := map[string]map[sideKey][]string{}
	add := func(attack string, k sideKey, label string) {
		if by[attack] == nil {
			by[attack] = map[sideKey][]string{}
		}
		by[attack][k] = appendNew(by[attack][k], label)
	}
	for _, f := range c.alleges {
		stance := types[f.s][f.label]
		if stance == "" {
			stance = oneType[f.s]
		}
		if stance == "" || stance == "-" {
			stance = StanceUnstated
		}
		for _, a := range attacksOf[f.s] {
			add(a, sideKey{f.o, stance, f.s}, f.label)
		}
	}
	for _, list := range []struct {
		facts  []fact
		stance string
	}{{c.perp, StancePerpetrator}, {c.notPerp, StanceNotPerpetrator}} {
		for _, f := range list.facts {
			if kinds[f.s] == string(schema.Attack) {
				add(f.s, sideKey{f.o, list.stance, ""}, f.label)
			}
		}
	}
	ch := newChains(c.affil)
	var out []attribution
	for attack, sides := range by {
		var named, cleared []string
		// Actors named together: by one statement in one claim (or in the
		// attack's own perpetratedBy). One quote may report two claims that
		// disagree ("ISIS-K claimed it, but Putin blamed Ukraine").
		byLabel := map[[2]string]map[string]bool{} // label and claim -> actors it names
		for k, labels := range sides {
			switch k.stance {
			case StanceResponsibility, StanceAttribution, StancePerpetrator:
				named = appendNew(named, k.actor)
				for _, l := range labels {
					lk := [2]string{l, k.claim}
					if byLabel[lk] == nil {
						byLabel[lk] = map[string]bool{}
					}
					byLabel[lk][k.actor] = true
				}
			case StanceDenial, StanceNotPerpetrator:
				cleared = appendNew(cleared, k.actor)
			}
		}
		together := func(a, b string) bool {
			for _, m := range byLabel {
				if m[a] && m[b] {
					return true
				}
			}
			return false
		}
		sort.Strings(named)
		sort.Strings(cleared)
		if attributionDisputed(named, cleared, ch.within, together) {
			out = append(out, attribution{attack, sides})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].attack < out[j].attack })
	return out
}

// relations returns every (subject, relation, object) that a statement
// negates and another states, read by subject from the store. A negated
// perpetratedBy of an attack is left to the attack's attribution point,
// which it always makes disputed.
func (c *claimScan) relations(ctx context.Context, qs Store, kinds map[string]string) ([]negation, error) {
	type triple struct{ s, p, o string }
	negs := map[triple]*negation{}
	bySubj := map[string][]*negation{}
	for _, f := range c.negated {
		if f.base.Name == "perpetratedBy" && kinds[f.s] == string(schema.Attack) {
			continue
		}
		t := triple{f.s, f.base.Name, f.o}
		n := negs[t]
		if n == nil {
			n = &negation{s: f.s, p: f.base.Name, o: f.o}
			negs[t] = n
			bySubj[f.s] = append(bySubj[f.s], n)
		}
		n.negates = appendNew(n.negates, f.label)
	}
	var out []negation
	for s, ns := range bySubj {
		err := qs.Quads(ctx, quad.Subject, quad.IRI(s), func(q quad.Quad) error {
			o, ok := q.Object.(quad.IRI)
			if !ok {
				return nil
			}
			p := string(labelIRI(q.Predicate))
			for _, n := range ns {
				if n.o == string(o) && p == "tg:"+n.p {
					n.states = appendNew(n.states, string(labelIRI(q.Label)))
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			if len(n.states) > 0 {
				out = append(out, *n)
			}
		}
	}
	slices.SortFunc(out, func(a, b negation) int {
		return cmp.Or(strings.Compare(a.s, b.s), strings.Compare(a.p, b.p), strings.Compare(a.o, b.o))
	})
	return out, nil
}

// chains answers within over the affiliateOf facts of every source.
type chains struct {
	parents map[string][]string
	above   map[string]map[string]bool // memo: an actor's ancestors
}

func newChains(affil []fact) *chains {
	c := &chains{parents: map[string][]string{}, above: map[string]map[string]bool{}}
	for _, f := range affil {
		c.parents[f.s] = appendNew(c.parents[f.s], f.o)
	}
	return c
}

// within reports whether a is b or an affiliate of b at any depth.
func (c *chains) within(a, b string) bool {
	if a == b {
		return true
	}
	up, ok := c.above[a]
	if !ok {
		up = map[string]bool{}
		stack := append([]string(nil), c.parents[a]...)
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if up[x] {
				continue
			}
			up[x] = true
			stack = append(stack, c.parents[x]...)
		}
		c.above[a] = up
	}
	return up[b]
}

func appendNew(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// nameMemo remembers display names for one answer: a contested list names
// the same places and actors many times.
type nameMemo struct {
	qs Store
	m  map[string]string
}

func newNameMemo(qs Store) *nameMemo { return &nameMemo{qs: qs, m: map[string]string{}} }

func (n *nameMemo) of(ctx context.Context, id string) (string, error) {
	if name, ok := n.m[id]; ok {
		return name, nil
	}
	_, name, err := kindAndName(ctx, n.qs, id)
	if err == nil {
		n.m[id] = name
	}
	return name, err
}

// renderAcross turns the attribution and relation points into Disagreements,
// with names, claimants and evidence.
func (s *scan) renderAcross(ctx context.Context, names *nameMemo, ev *quoteCache) ([]Disagreement, error) {
	nameOf := func(id string) (string, error) { return names.of(ctx, id) }
	evidence := func(labels []string) ([]Evidence, error) {
		out := make([]Evidence, 0, len(labels))
		for _, l := range labels {
			e, err := ev.evidence(ctx, quad.IRI(l))
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		sortEvidence(out)
		return out, nil
	}
	claimants := map[string][]string{}
	for _, f := range s.claims.claimant {
		claimants[f.s] = appendNew(claimants[f.s], f.o)
	}
	var out []Disagreement
	for _, a := range s.attrib {
		name, err := nameOf(a.attack)
		if err != nil {
			return nil, err
		}
		d := Disagreement{Kind: KindAttribution, Subject: a.attack, Name: name}
		for k, labels := range a.sides {
			sd := Side{Actor: k.actor, Stance: k.stance, Claim: k.claim}
			if sd.ActorName, err = nameOf(k.actor); err != nil {
				return nil, err
			}
			cs := append([]string(nil), claimants[k.claim]...)
			sort.Strings(cs)
			for _, c := range cs {
				n, err := nameOf(c)
				if err != nil {
					return nil, err
				}
				sd.Claimants = append(sd.Claimants, Named{c, n})
			}
			if sd.Evidence, err = evidence(labels); err != nil {
				return nil, err
			}
			d.Sides = append(d.Sides, sd)
		}
		sort.Slice(d.Sides, func(i, j int) bool {
			x, y := d.Sides[i], d.Sides[j]
			if x.Actor != y.Actor {
				return x.Actor < y.Actor
			}
			if x.Stance != y.Stance {
				return stanceRank[x.Stance] < stanceRank[y.Stance]
			}
			return x.Claim < y.Claim
		})
		out = append(out, d)
	}
	for _, n := range s.rels {
		name, err := nameOf(n.s)
		if err != nil {
			return nil, err
		}
		d := Disagreement{Kind: KindRelation, Subject: n.s, Name: name, Predicate: n.p, Object: n.o}
		if d.ObjectName, err = nameOf(n.o); err != nil {
			return nil, err
		}
		for _, side := range []struct {
			stance string
			labels []string
		}{{StanceStates, n.states}, {StanceNegates, n.negates}} {
			evs, err := evidence(side.labels)
			if err != nil {
				return nil, err
			}
			if loadsWanted(ctx) {
				// Each label's fact is one quad, the relation or its
				// negation: its loads are those of that quad.
				pred := "tg:" + n.p
				if side.stance == StanceNegates {
					pred = "tg:" + schema.NotPrefix + n.p
				}
				if evs, err = relationEvidence(ctx, ev, side.labels, quad.IRI(n.s), quad.IRI(pred), quad.IRI(n.o)); err != nil {
					return nil, err
				}
			}
			d.Sides = append(d.Sides, Side{Stance: side.stance, Evidence: evs})
		}
		out = append(out, d)
	}
	return out, nil
}

// relationEvidence is the evidence of the quads (s, p, o, label) for each
// label, each with the loads that stated it (WithLoads).
func relationEvidence(ctx context.Context, ev *quoteCache, labels []string, s, p, o quad.Value) ([]Evidence, error) {
	out := make([]Evidence, 0, len(labels))
	for _, l := range labels {
		e, err := ev.evidence(ctx, quad.IRI(l))
		if err != nil {
			return nil, err
		}
		if e.Loads, err = loadsOf(ctx, ev.qs, quad.Make(s, p, o, quad.IRI(l))); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	sortEvidence(out)
	return out, nil
}

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

// Stats counts what the store holds.
type Stats struct {
	Quads     int64          `json:"quads"`     // every quad, including evidence and lookup keys
	Entities  int            `json:"entities"`  // entities with a kind
	ByKind    map[string]int `json:"by_kind"`   // entities per kind (every kind listed, zero included)
	Facts     int            `json:"facts"`     // attributes and relations stated by a source (kinds, evidence and derived quads excluded)
	Relations int            `json:"relations"` // facts that link two entities
	Sources   int            `json:"sources"`   // distinct sources that state facts
	Quotes    int            `json:"quotes"`    // distinct evidence quotes
	Contested int            `json:"contested"` // contested points of every kind (Contested lists them)
	BySource  []SourceCount  `json:"by_source"` // facts per source, most first
}

// SourceCount is how many facts one source states.
type SourceCount struct {
	Source string `json:"source"`
	Facts  int    `json:"facts"`
}

// ContestedScope says what Contested checks and what it does not, for
// every answer that reports its list: the list is complete only for what
// it checks.
const ContestedScope = "checked: single-valued facts whose values cannot all hold (counts by their bounds, dates by their intervals); " +
	"who carried out an attack, across its claims of responsibility, attributions, denials and perpetratedBy facts " +
	"(actors on one affiliateOf chain, or named together in one statement, agree); " +
	"relations that one statement states and another negates. " +
	"Each value shows whom its source reports (according to) and the analysts' judgements (deprecated values stay listed, marked). " +
	"Not checked: multi-valued relations that no statement negates (other targets, members, affiliations), " +
	"disagreements given only in prose, and errors that no judgement marks"

// A Disagreement is one contested point. Kind says which (KindValue,
// KindAttribution, KindRelation): a subject and single-valued predicate
// with values that cannot all hold (Values); an attack whose sources
// disagree on who carried it out (Sides, one per actor, stance and claim);
// or a subject, relation and object that one statement states and another
// negates (Sides: the stating and the negating statements).
type Disagreement struct {
	Kind       string      `json:"kind"`
	Subject    string      `json:"subject"`
	Name       string      `json:"name"`
	Predicate  string      `json:"predicate,omitempty"`   // value and relation points
	Object     string      `json:"object,omitempty"`      // relation points: the object
	ObjectName string      `json:"object_name,omitempty"` // its display name
	Values     []Statement `json:"values,omitempty"`      // value points: two or more
	Sides      []Side      `json:"sides,omitempty"`       // attribution and relation points
}

// A Statement is one value with the sources that give it.
type Statement struct {
	Value     Value      `json:"value"`
	ValueName string     `json:"value_name,omitempty"` // display name of an entity value
	Evidence  []Evidence `json:"evidence"`
}

// scan reads every quad once and gathers what Stats and Contested need.
type scan struct {
	quads     int64
	kinds     map[string]string
	facts     int
	relations int
	bySource  map[string]int
	quotes    int
	single    map[[2]string]map[string][]quad.Quad // subject, predicate -> object key -> quads
	claims    claimScan                            // for the points across claims
	attrib    []attribution                        // disputed attacks
	rels      []negation                           // relations stated and negated
}

func scanAll(ctx context.Context, qs Store) (*scan, error) {
	s := &scan{kinds: map[string]string{}, bySource: map[string]int{}, single: map[[2]string]map[string][]quad.Quad{}}
	err := qs.Scan(ctx, func(q quad.Quad) error {
		s.quads++
		p := string(labelIRI(q.Predicate))
		switch p {
		case schema.TypeIRI:
			if k, ok := schema.KindFromIRI(string(labelIRI(q.Object))); ok {
				s.kinds[string(labelIRI(q.Subject))] = string(k)
			}
			return nil
		case schema.QuoteIRI:
			s.quotes++
			return nil
		case schema.StatedInIRI:
			return nil
		}
		if isMeta(p) || isLabelMeta(p) { // reported speech, judgements, markings are about statements, not facts
			return nil
		}
		pred := schema.LookupIRI(p)
		if pred != nil && pred.Derived {
			return nil
		}
		s.facts++
		if _, ok := q.Object.(quad.IRI); ok && (pred == nil || pred.Relation()) {
			s.relations++
		}
		s.bySource[schema.SourceOf(string(labelIRI(q.Label)))]++
		if pred != nil {
			s.claims.add(q, pred)
		}
		if pred != nil && !pred.Multi { // candidates for isContested
			k := [2]string{string(labelIRI(q.Subject)), pred.Name}
			m := s.single[k]
			if m == nil {
				m = map[string][]quad.Quad{}
				s.single[k] = m
			}
			m[key(q.Object)] = append(m[key(q.Object)], q)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.attrib, s.rels, err = s.claims.across(ctx, qs, s.kinds)
	return s, err
}

// Stats counts entities by kind, facts, sources and contested points. It
// reads every quad once (and, for a negated relation, its subject's).
func (r *Reader) Stats(ctx context.Context) (*Stats, error) {
	qs := r.store
	s, err := scanAll(ctx, qs)
	if err != nil {
		return nil, err
	}
	return s.stats(), nil
}

// Summary is Stats and Contested from one read of the store.
func (r *Reader) Summary(ctx context.Context) (*Stats, []Disagreement, error) {
	qs := r.store
	s, err := scanAll(ctx, qs)
	if err != nil {
		return nil, nil, err
	}
	dis, err := s.contested(ctx, qs)
	return s.stats(), dis, err
}

func (s *scan) stats() *Stats {
	st := &Stats{Quads: s.quads, ByKind: map[string]int{}, Facts: s.facts, Relations: s.relations, Quotes: s.quotes, BySource: []SourceCount{}}
	for _, k := range schema.Kinds {
		st.ByKind[string(k)] = 0
	}
	for _, k := range s.kinds {
		st.ByKind[k]++
		st.Entities++
	}
	for src, n := range s.bySource {
		st.BySource = append(st.BySource, SourceCount{src, n})
	}
	sort.Slice(st.BySource, func(i, j int) bool {
		a, b := st.BySource[i], st.BySource[j]
		if a.Facts != b.Facts {
			return a.Facts > b.Facts
		}
		return a.Source < b.Source
	})
	st.Sources = len(st.BySource)
	for _, m := range s.single {
		if conflicting(m) {
			st.Contested++
		}
	}
	st.Contested += len(s.attrib) + len(s.rels)
	return st
}

// Contested lists every contested point that ContestedScope checks, each
// value or side with its sources and evidence, ordered by subject, then
// predicate (an attribution's is empty), object and kind.
func (r *Reader) Contested(ctx context.Context) ([]Disagreement, error) {
	qs := r.store
	s, err := scanAll(ctx, qs)
	if err != nil {
		return nil, err
	}
	return s.contested(ctx, qs)
}

func (s *scan) contested(ctx context.Context, qs Store) ([]Disagreement, error) {
	ev := newQuoteCache(qs)
	names := newNameMemo(qs)
	out := []Disagreement{}
	for k, m := range s.single {
		if !conflicting(m) {
			continue
		}
		name, err := names.of(ctx, k[0])
		if err != nil {
			return nil, err
		}
		d := Disagreement{Kind: KindValue, Subject: k[0], Name: name, Predicate: k[1]}
		for _, qsv := range m {
			st := Statement{Value: valueOf(qsv[0].Object)}
			if st.Value.Type == "entity" {
				if st.ValueName, err = names.of(ctx, st.Value.String()); err != nil {
					return nil, err
				}
			}
			for _, q := range qsv {
				e, err := ev.evidence(ctx, q.Label)
				if err != nil {
					return nil, err
				}
				if e.Loads, err = loadsOf(ctx, qs, q); err != nil {
					return nil, err
				}
				st.Evidence = append(st.Evidence, e)
			}
			sortEvidence(st.Evidence)
			d.Values = append(d.Values, st)
		}
		sort.Slice(d.Values, func(i, j int) bool { return lessValue(d.Values[i].Value, d.Values[j].Value) })
		out = append(out, d)
	}
	more, err := s.renderAcross(ctx, names, ev)
	if err != nil {
		return nil, err
	}
	out = append(out, more...)
	slices.SortFunc(out, func(a, b Disagreement) int {
		return cmp.Or(strings.Compare(a.Subject, b.Subject), strings.Compare(a.Predicate, b.Predicate),
			strings.Compare(a.Object, b.Object), strings.Compare(a.Kind, b.Kind))
	})
	return out, nil
}

func lessValue(a, b Value) bool {
	if x, ok := a.quantity(); ok {
		if y, ok := b.quantity(); ok && (x.Lower != y.Lower || x.Upper != y.Upper) {
			return x.Lower < y.Lower || x.Lower == y.Lower && x.Upper < y.Upper
		}
	}
	if x, ok := a.Value.(int64); ok {
		if y, ok := b.Value.(int64); ok {
			return x < y
		}
	}
	if x, ok := a.Value.(float64); ok {
		if y, ok := b.Value.(float64); ok {
			return x < y
		}
	}
	return strings.Compare(a.String(), b.String()) < 0
}

// Search returns the entities whose name or alias contains text (compared
// by schema.NameKey), exact matches first, then prefixes, then the rest,
// each group by id.
func (r *Reader) Search(ctx context.Context, text string, limit int) ([]Match, error) {
	qs := r.store
	want := schema.NameKey(text)
	if want == "" {
		return []Match{}, nil
	}
	type hit struct {
		rank    int
		matched string
	}
	hits := map[string]hit{}
	err := qs.Quads(ctx, quad.Predicate, quad.IRI(schema.KeyIRI), func(q quad.Quad) error {
		k, _ := q.Object.(quad.String)
		ks := string(k)
		rank := -1
		switch {
		case ks == want:
			rank = 0
		case strings.HasPrefix(ks, want):
			rank = 1
		case strings.Contains(ks, want):
			rank = 2
		}
		if rank < 0 {
			return nil
		}
		id := string(labelIRI(q.Subject))
		if h, ok := hits[id]; !ok || rank < h.rank || rank == h.rank && ks < h.matched {
			hits[id] = hit{rank, ks}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(hits))
	for id := range hits {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := hits[ids[i]], hits[ids[j]]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		return ids[i] < ids[j]
	})
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]Match, 0, len(ids))
	for _, id := range ids {
		kind, name, err := kindAndName(ctx, qs, id)
		if err != nil {
			return nil, err
		}
		out = append(out, Match{ID: id, Kind: kind, Name: name, Matched: matchedText(ctx, qs, id, hits[id].matched)})
	}
	return out, nil
}

// matchedText returns the name or alias as written whose key is k.
func matchedText(ctx context.Context, qs Store, id, k string) string {
	found := k
	_ = qs.Quads(ctx, quad.Subject, quad.IRI(id), func(q quad.Quad) error {
		p := string(labelIRI(q.Predicate))
		if p == "tg:name" || p == "tg:alias" {
			if s, ok := q.Object.(quad.String); ok && schema.NameKey(string(s)) == k {
				found = string(s)
			}
		}
		return nil
	})
	return found
}

// conflicting reports whether the values of one subject and predicate,
// by object key, are contested (isContested).
func conflicting(m map[string][]quad.Quad) bool {
	if len(m) < 2 {
		return false
	}
	vs := make([]Value, 0, len(m))
	for _, qs := range m {
		vs = append(vs, valueOf(qs[0].Object))
	}
	return isContested(schema.LookupIRI(string(labelIRI(m[firstKey(m)][0].Predicate))), vs)
}

func firstKey(m map[string][]quad.Quad) string {
	for k := range m {
		return k
	}
	return ""
}

package query

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/schema"
)

// An entity is a subject of an rdf:type tg:<Kind> quad.
type exportEntity struct {
	iri  string
	id   string // export id, export.ID(iri)
	kind schema.Kind
}

// exportSet is the sorted entity list of a store and the filters applied to
// it. It holds O(entities) memory: no facts, no edges.
type exportSet struct {
	qs    Store
	ents  []exportEntity // sorted by (id, iri)
	byIRI []int32        // indexes into ents, sorted by iri
	keep  []bool         // entities the export writes
	allow belief
	quote *quoteCache
	meta  *stmtMeta       // reported speech and judgements (proportional to them)
	dep   map[string]bool // deprecated statements
	drop  map[string]bool // those the export leaves out (graph formats, unless WithDeprecated)
}

// index returns the position of the entity iri, or -1.
func (s *exportSet) index(iri string) int {
	i, ok := slices.BinarySearchFunc(s.byIRI, iri, func(j int32, iri string) int { return strings.Compare(s.ents[j].iri, iri) })
	if !ok {
		return -1
	}
	return int(s.byIRI[i])
}

// kept reports whether the entity iri is written.
func (s *exportSet) kept(iri string) bool {
	i := s.index(iri)
	return i >= 0 && s.keep[i]
}

// newExportSet collects the entities of the store and applies the filters;
// a graph export (graph) leaves out the deprecated facts unless
// o.Scope.WithDeprecated, as analytics do.
func newExportSet(ctx context.Context, qs Store, o ExportOptions, graph bool) (*exportSet, error) {
	meta, err := readStmtMeta(ctx, qs)
	if err != nil {
		return nil, err
	}
	s := &exportSet{qs: qs, quote: newQuoteCache(qs), meta: meta, dep: meta.deprecated()}
	if graph && !o.Scope.WithDeprecated {
		s.drop = s.dep
	}
	kinds := map[string]schema.Kind{}
	for _, k := range schema.Kinds {
		err := qs.Quads(ctx, quad.Object, quad.IRI(k.IRI()), func(q quad.Quad) error {
			if string(labelIRI(q.Predicate)) != schema.TypeIRI {
				return nil
			}
			sub, ok := q.Subject.(quad.IRI)
			if !ok {
				return nil
			}
			if preferKind(kinds[string(sub)], k) {
				kinds[string(sub)] = k
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	s.ents = make([]exportEntity, 0, len(kinds))
	for iri, k := range kinds {
		s.ents = append(s.ents, exportEntity{iri: iri, id: export.ID(iri), kind: k})
	}
	clear(kinds)
	slices.SortFunc(s.ents, func(a, b exportEntity) int { return cmp.Or(strings.Compare(a.id, b.id), strings.Compare(a.iri, b.iri)) })
	s.byIRI = make([]int32, len(s.ents))
	for i := range s.byIRI {
		s.byIRI[i] = int32(i)
	}
	slices.SortFunc(s.byIRI, func(a, b int32) int { return strings.Compare(s.ents[a].iri, s.ents[b].iri) })

	var machine []string
	if o.Scope.ExcludeMachine {
		if machine, err = machineSources(ctx, qs); err != nil {
			return nil, err
		}
	}
	allow, err := sourcePolicy(s.ents, o.Scope, machine)
	if err != nil {
		return nil, err
	}
	s.allow = allow
	s.keep = make([]bool, len(s.ents))
	want, err := kindSet(o.Scope.Kinds)
	if err != nil {
		return nil, err
	}
	for i, e := range s.ents {
		s.keep[i] = want == nil || want[string(e.kind)]
	}
	if err := s.applyFacts(ctx, o); err != nil {
		return nil, err
	}
	if o.Around != "" {
		if err := s.around(ctx, o.Around, o.Depth); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// sourcePolicy returns the belief policy of sc (newBelief): the known
// sources are the store's Source entities; machine are the machine-coded
// ones (machineSources).
func sourcePolicy(ents []exportEntity, sc Scope, machine []string) (belief, error) {
	var known []string
	for _, e := range ents {
		if e.kind == schema.Source {
			known = append(known, e.iri)
		}
	}
	slices.Sort(known)
	var coded []string
	for _, m := range machine {
		if _, ok := slices.BinarySearch(known, m); ok {
			coded = append(coded, m)
		}
	}
	return newBelief(known, sc.Sources, sc.excluded(coded))
}

// machineSources returns the sources that the store says are
// machine-coded (tg:coding "machine"), sorted, read from the object index.
func machineSources(ctx context.Context, qs Store) ([]string, error) {
	var out []string
	err := qs.Quads(ctx, quad.Object, quad.String(schema.MachineCoding), func(q quad.Quad) error {
		if string(labelIRI(q.Predicate)) == schema.CodingIRI {
			if s, ok := q.Subject.(quad.IRI); ok {
				out = append(out, string(s))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the machine-coded sources: %w", err)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// allowed reports whether the export uses a fact with this label: the
// belief policy, and for a graph export the rule on deprecated facts.
func (s *exportSet) allowed(label quad.Value) bool {
	l := string(labelIRI(label))
	return s.allow.UsesLabel(l) && !s.drop[l]
}

// applyFacts applies the filters that need each entity's facts: the time
// window (a dated entity whose date under the belief policy, by
// agreedDates, misses the window goes: window.Keeps), and
// the source policy (an entity about which no used source states anything,
// as subject or as a relation's object, goes). One pass over the out-quads
// of the candidates; nothing when neither filter is set.
func (s *exportSet) applyFacts(ctx context.Context, o ExportOptions) error {
	w, err := newWindow(o.Scope.From, o.Scope.To)
	if err != nil {
		return err
	}
	timed := !w.Open()
	if !timed && s.allow.All() {
		return nil
	}
	var mentioned []bool
	if !s.allow.All() {
		mentioned = make([]bool, len(s.ents))
	}
	var dates []schema.Interval
	inWindow := make([]bool, len(s.ents))
	var buf []quad.Quad
	for i, e := range s.ents {
		inWindow[i] = true
		if !s.keep[i] {
			continue
		}
		buf, err = s.outQuads(ctx, e.iri, buf[:0])
		if err != nil {
			return err
		}
		dates = dates[:0]
		for _, q := range buf {
			if !s.allowed(q.Label) {
				continue
			}
			if mentioned != nil {
				mentioned[i] = true
				if o, ok := q.Object.(quad.IRI); ok {
					if p := schema.LookupIRI(string(labelIRI(q.Predicate))); p != nil && p.Relation() {
						if j := s.index(string(o)); j >= 0 {
							mentioned[j] = true
						}
					}
				}
			}
			if timed && string(labelIRI(q.Predicate)) == "tg:date" {
				if iv, err := schema.ParseDate(lexical(q.Object)); err == nil {
					dates = append(dates, iv)
				}
			}
		}
		agreed, _ := agreedDates(dates)
		inWindow[i] = w.Keeps(agreed)
	}
	for i := range s.keep {
		s.keep[i] = s.keep[i] && inWindow[i] && (mentioned == nil || mentioned[i])
	}
	return nil
}

// around keeps the undirected depth-hop neighbourhood of the entity that
// text names, walking relations between kept entities.
func (s *exportSet) around(ctx context.Context, text string, depth int) error {
	m, err := resolve(ctx, s.qs, text)
	if err != nil {
		return fmt.Errorf("around: %w", err)
	}
	root := s.index(m.ID)
	if root < 0 || !s.keep[root] {
		return &ParamError{Param: "around", Value: text, Want: fmt.Sprintf("an entity the other filters keep (they leave out %s, of kind %s)", m.ID, m.Kind)}
	}
	seen := make([]bool, len(s.ents))
	seen[root] = true
	frontier := []int{root}
	var buf []quad.Quad
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var next []int
		visit := func(iri quad.Value, pred, label quad.Value) {
			if !s.allowed(label) {
				return
			}
			if p := schema.LookupIRI(string(labelIRI(pred))); p == nil || !p.Relation() {
				return
			}
			if j := s.index(string(labelIRI(iri))); j >= 0 && s.keep[j] && !seen[j] {
				seen[j] = true
				next = append(next, j)
			}
		}
		for _, u := range frontier {
			buf, err = s.outQuads(ctx, s.ents[u].iri, buf[:0])
			if err != nil {
				return err
			}
			for _, q := range buf {
				visit(q.Object, q.Predicate, q.Label)
			}
			err := s.qs.Quads(ctx, quad.Object, quad.IRI(s.ents[u].iri), func(q quad.Quad) error {
				visit(q.Subject, q.Predicate, q.Label)
				return nil
			})
			if err != nil {
				return err
			}
		}
		slices.Sort(next)
		frontier = next
	}
	copy(s.keep, seen)
	return nil
}

// outQuads appends the quads whose subject is iri, sorted by (predicate,
// object, label) in their N-Quads spelling.
func (s *exportSet) outQuads(ctx context.Context, iri string, buf []quad.Quad) ([]quad.Quad, error) {
	err := s.qs.Quads(ctx, quad.Subject, quad.IRI(iri), func(q quad.Quad) error {
		buf = append(buf, q)
		return nil
	})
	slices.SortFunc(buf, cmpQuad)
	return buf, err
}

func cmpQuad(a, b quad.Quad) int {
	return cmp.Or(
		strings.Compare(quad.StringOf(a.Predicate), quad.StringOf(b.Predicate)),
		strings.Compare(quad.StringOf(a.Object), quad.StringOf(b.Object)),
		strings.Compare(quad.StringOf(a.Label), quad.StringOf(b.Label)))
}

// lexical returns the lexical form of a literal (an IRI's text for an IRI).
func lexical(v quad.Value) string {
	switch x := v.(type) {
	case quad.IRI:
		return string(x)
	case quad.String:
		return string(x)
	case quad.TypedString:
		return string(x.Value)
	case quad.LangString:
		return string(x.Value)
	case quad.Int:
		return strconv.FormatInt(int64(x), 10)
	case quad.Float:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case quad.Bool:
		return strconv.FormatBool(bool(x))
	case nil:
		return ""
	}
	return v.String()
}

// quoteCache resolves statement labels to their quotes and whom they are
// according to. It is bounded, so that memory does not grow with the store.
type quoteCache struct {
	qs Store
	m  map[string]stmtInfo
	j  map[string]judged // judgementsOf, by statement label
	// srcMarks: the markings of Source labels (marking.go).
	srcMarks map[string][]string
	// srcCoding: the tg:coding of Source labels, read with their markings.
	srcCoding map[string]string
}

// stmtInfo is what a statement's own quads say: its quote and whom the
// source attributes it to (reported speech).
type stmtInfo struct {
	quote      string
	according  []string // sorted
	markings   []string // sorted (marking.go)
	confidence *int64   // the source's own confidence, as given
}

const quoteCacheMax = 4096

func newQuoteCache(qs Store) *quoteCache {
	return &quoteCache{qs: qs, m: map[string]stmtInfo{}, j: map[string]judged{}}
}

// of returns the quote of a statement label, "" for a plain source label.
func (c *quoteCache) of(ctx context.Context, label string) (string, error) {
	st, err := c.statement(ctx, label)
	return st.quote, err
}

// statement returns what the statement label's own quads say; nothing for
// a plain source label.
func (c *quoteCache) statement(ctx context.Context, label string) (stmtInfo, error) {
	if !strings.Contains(label, schema.StatementSep) {
		return stmtInfo{}, nil
	}
	if st, ok := c.m[label]; ok {
		return st, nil
	}
	var st stmtInfo
	err := c.qs.Quads(ctx, quad.Subject, quad.IRI(label), func(q quad.Quad) error {
		switch string(labelIRI(q.Predicate)) {
		case schema.QuoteIRI:
			if st.quote == "" || lexical(q.Object) < st.quote {
				st.quote = lexical(q.Object)
			}
		case schema.AccordingToIRI:
			if id := string(labelIRI(q.Object)); !slices.Contains(st.according, id) {
				st.according = append(st.according, id)
			}
		case schema.MarkingIRI:
			if m := string(labelIRI(q.Object)); !slices.Contains(st.markings, m) {
				st.markings = append(st.markings, m)
			}
		case schema.ConfidenceIRI:
			if c, ok := q.Object.(quad.Int); ok {
				n := int64(c)
				st.confidence = &n
			}
		}
		return nil
	})
	slices.Sort(st.according)
	slices.Sort(st.markings)
	if len(c.m) >= quoteCacheMax {
		clear(c.m)
	}
	c.m[label] = st
	return st, err
}

package export

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

// SchemaVersion is the graph-level schema_version of store exports.
const SchemaVersion = "threatgraph-export/1"

// Options select what a store export holds. The zero Options export
// everything.
//
// Kinds, the time window and the source policy define the graph; Around
// then keeps the undirected Depth-hop neighbourhood of one entity inside
// that graph. Edges are written only between written nodes.
type Options struct {
	Kinds          []schema.Kind // keep entities of these kinds (empty: all)
	Around         string        // id, name or alias (query.Resolve) of the entity whose neighbourhood to keep
	Depth          int           // hops from Around (0 keeps the entity alone)
	From, To       string        // date expressions: keep dated entities (Attack, Warning, Claim) stated to overlap [From, To]; undated entities stay
	Sources        []string      // belief policy: use only facts stated by these sources (ids such as source:bbc-2024-03-25-gardner)
	ExcludeSources []string      // leave out the facts stated by these sources

	// Scores holds node scores (centrality) by measure, then entity id.
	// Each measure becomes a double node attribute of the same name.
	Scores map[string]map[string]float64

	// Progress, if set, is told how far the export has got: done of
	// total items of a phase, "entities" (graph formats and json), then
	// "edges" (graph formats), or "subjects" (nquads: every subject,
	// entity or not). It is called from the writing goroutine every
	// progressEvery items and at the end of each phase, and changes
	// nothing in the output.
	Progress func(phase string, done, total int)
}

// progressEvery is how many items an export writes between two calls of
// Options.Progress.
const progressEvery = 256

// progress calls o.Progress, if set, every progressEvery items and at the
// last.
func (o Options) progress(phase string, done, total int) {
	if o.Progress != nil && (done%progressEvery == 0 || done == total) {
		o.Progress(phase, done, total)
	}
}

// filtered reports whether any option removes something.
func (o Options) filtered() bool {
	return len(o.Kinds) > 0 || o.Around != "" || o.From != "" || o.To != "" || len(o.Sources) > 0 || len(o.ExcludeSources) > 0
}

// describe returns the filters as one deterministic line for graph metadata.
func (o Options) describe() string {
	var parts []string
	if len(o.Kinds) > 0 {
		ks := make([]string, len(o.Kinds))
		for i, k := range o.Kinds {
			ks[i] = string(k)
		}
		slices.Sort(ks)
		parts = append(parts, "kinds="+strings.Join(slices.Compact(ks), ","))
	}
	if o.Around != "" {
		parts = append(parts, "around="+o.Around, "depth="+strconv.Itoa(o.Depth))
	}
	if o.From != "" {
		parts = append(parts, "from="+o.From)
	}
	if o.To != "" {
		parts = append(parts, "to="+o.To)
	}
	if len(o.Sources) > 0 {
		parts = append(parts, "sources="+strings.Join(sortedSet(o.Sources), ","))
	}
	if len(o.ExcludeSources) > 0 {
		parts = append(parts, "exclude-sources="+strings.Join(sortedSet(o.ExcludeSources), ","))
	}
	return strings.Join(parts, " ")
}

func sortedSet(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// An OptionError reports an option that cannot be applied: an unknown
// source, a bad date, an --around entity that does not exist. Callers treat
// it as bad input.
type OptionError struct {
	Option string
	Err    error
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

// Summary says what an export wrote.
type Summary struct {
	Nodes   int `json:"nodes"`             // entities written (graph formats, json)
	Edges   int `json:"edges"`             // relation edges written (graph formats)
	Quads   int `json:"quads"`             // quads written (nquads), or represented (json)
	Skipped int `json:"skipped,omitempty"` // quads left out because the format cannot hold them (json: other vocabularies)
}

// An entity is a subject of an rdf:type tg:<Kind> quad.
type entity struct {
	iri  string
	id   string // export id, ID(iri)
	kind schema.Kind
}

// snapshot is the sorted entity list of a store and the filters applied to
// it. It holds O(entities) memory: no facts, no edges.
type snapshot struct {
	qs    query.Store
	ents  []entity // sorted by (id, iri)
	byIRI []int32  // indexes into ents, sorted by iri
	keep  []bool   // entities the export writes
	allow query.Belief
	quote *quoteCache
}

// index returns the position of the entity iri, or -1.
func (s *snapshot) index(iri string) int {
	i, ok := slices.BinarySearchFunc(s.byIRI, iri, func(j int32, iri string) int { return strings.Compare(s.ents[j].iri, iri) })
	if !ok {
		return -1
	}
	return int(s.byIRI[i])
}

// kept reports whether the entity iri is written.
func (s *snapshot) kept(iri string) bool {
	i := s.index(iri)
	return i >= 0 && s.keep[i]
}

// newSnapshot collects the entities of the store and applies the filters.
func newSnapshot(ctx context.Context, qs query.Store, o Options) (*snapshot, error) {
	s := &snapshot{qs: qs, quote: newQuoteCache(qs)}
	kinds := map[string]schema.Kind{}
	for _, k := range schema.Kinds {
		err := qs.Quads(ctx, quad.Object, quad.IRI(k.IRI()), func(q quad.Quad) error {
			if iriOf(q.Predicate) != schema.TypeIRI {
				return nil
			}
			sub, ok := q.Subject.(quad.IRI)
			if !ok {
				return nil
			}
			if old, ok := kinds[string(sub)]; !ok || k < old {
				kinds[string(sub)] = k
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	s.ents = make([]entity, 0, len(kinds))
	for iri, k := range kinds {
		s.ents = append(s.ents, entity{iri: iri, id: ID(iri), kind: k})
	}
	clear(kinds)
	slices.SortFunc(s.ents, func(a, b entity) int { return cmp.Or(strings.Compare(a.id, b.id), strings.Compare(a.iri, b.iri)) })
	s.byIRI = make([]int32, len(s.ents))
	for i := range s.byIRI {
		s.byIRI[i] = int32(i)
	}
	slices.SortFunc(s.byIRI, func(a, b int32) int { return strings.Compare(s.ents[a].iri, s.ents[b].iri) })

	allow, err := sourcePolicy(s.ents, o)
	if err != nil {
		return nil, err
	}
	s.allow = allow
	s.keep = make([]bool, len(s.ents))
	wantKind := map[schema.Kind]bool{}
	for _, k := range o.Kinds {
		wantKind[k] = true
	}
	for i, e := range s.ents {
		s.keep[i] = len(wantKind) == 0 || wantKind[e.kind]
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

// sourcePolicy returns the belief policy of o (query.NewBelief): the
// known sources are the store's Source entities.
func sourcePolicy(ents []entity, o Options) (query.Belief, error) {
	var known []string
	for _, e := range ents {
		if e.kind == schema.Source {
			known = append(known, e.iri)
		}
	}
	slices.Sort(known)
	b, err := query.NewBelief(known, o.Sources, o.ExcludeSources)
	var pe *query.ParamError
	if errors.As(err, &pe) {
		return b, &OptionError{Option: pe.Param, Err: fmt.Errorf("%q: expected %s", pe.Value, pe.Want)}
	}
	return b, err
}

// allowed reports whether the export uses a fact with this label.
func (s *snapshot) allowed(label quad.Value) bool {
	return s.allow.UsesLabel(iriOf(label))
}

// window parses From and To (query.NewWindow).
func window(o Options) (query.Window, error) {
	w, err := query.NewWindow(o.From, o.To)
	var pe *query.ParamError
	if errors.As(err, &pe) {
		return w, &OptionError{Option: pe.Param, Err: fmt.Errorf("%q: expected %s", pe.Value, pe.Want)}
	}
	return w, err
}

// applyFacts applies the filters that need each entity's facts: the time
// window (a dated entity whose date under the belief policy, by
// query.AgreedDates, misses the window goes: query.Window.Keeps), and
// the source policy (an entity about which no used source states anything,
// as subject or as a relation's object, goes). One pass over the out-quads
// of the candidates; nothing when neither filter is set.
func (s *snapshot) applyFacts(ctx context.Context, o Options) error {
	w, err := window(o)
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
					if p := schema.LookupIRI(iriOf(q.Predicate)); p != nil && p.Relation() {
						if j := s.index(string(o)); j >= 0 {
							mentioned[j] = true
						}
					}
				}
			}
			if timed && iriOf(q.Predicate) == "tg:date" {
				if iv, err := schema.ParseDate(literal(q.Object)); err == nil {
					dates = append(dates, iv)
				}
			}
		}
		agreed, _ := query.AgreedDates(dates)
		inWindow[i] = w.Keeps(agreed)
	}
	for i := range s.keep {
		s.keep[i] = s.keep[i] && inWindow[i] && (mentioned == nil || mentioned[i])
	}
	return nil
}

// around keeps the undirected depth-hop neighbourhood of the entity that
// text names, walking relations between kept entities.
func (s *snapshot) around(ctx context.Context, text string, depth int) error {
	m, err := query.NewReader(s.qs, query.ReaderOptions{}).Resolve(ctx, text)
	if err != nil {
		return &OptionError{Option: "around", Err: err}
	}
	root := s.index(m.ID)
	if root < 0 || !s.keep[root] {
		return &OptionError{Option: "around", Err: fmt.Errorf("%s (%s) is left out by the other filters", m.ID, m.Kind)}
	}
	if depth < 0 {
		return &OptionError{Option: "depth", Err: fmt.Errorf("%d is negative (expected 0 or more hops)", depth)}
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
			if p := schema.LookupIRI(iriOf(pred)); p == nil || !p.Relation() {
				return
			}
			if j := s.index(iriOf(iri)); j >= 0 && s.keep[j] && !seen[j] {
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
func (s *snapshot) outQuads(ctx context.Context, iri string, buf []quad.Quad) ([]quad.Quad, error) {
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

// iriOf returns the IRI text of v ("" for nil, the N-Quads text otherwise).
func iriOf(v quad.Value) string {
	switch x := v.(type) {
	case quad.IRI:
		return string(x)
	case nil:
		return ""
	}
	return v.String()
}

// literal returns the lexical form of a literal (an IRI's text for an IRI).
func literal(v quad.Value) string {
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

// valueOf gives a quad value in the shape query.Conflict compares.
func valueOf(v quad.Value) query.Value {
	switch x := v.(type) {
	case quad.IRI:
		return query.Value{Type: "entity", Value: string(x)}
	case quad.Int:
		return query.Value{Type: "integer", Value: int64(x)}
	case quad.Float:
		return query.Value{Type: "number", Value: float64(x)}
	case quad.Bool:
		return query.Value{Type: "boolean", Value: bool(x)}
	case quad.TypedString:
		if x.Type == "tg:date" {
			return query.Value{Type: "date", Value: string(x.Value)}
		}
	}
	return query.Value{Type: "string", Value: literal(v)}
}

// quoteCache resolves statement labels to their quotes. It is bounded, so
// that memory does not grow with the store.
type quoteCache struct {
	qs query.Store
	m  map[string]string
}

const quoteCacheMax = 4096

func newQuoteCache(qs query.Store) *quoteCache {
	return &quoteCache{qs: qs, m: map[string]string{}}
}

// of returns the quote of a statement label, "" for a plain source label.
func (c *quoteCache) of(ctx context.Context, label string) (string, error) {
	if !strings.Contains(label, schema.StatementSep) {
		return "", nil
	}
	if q, ok := c.m[label]; ok {
		return q, nil
	}
	var text string
	err := c.qs.Quads(ctx, quad.Subject, quad.IRI(label), func(q quad.Quad) error {
		if iriOf(q.Predicate) == schema.QuoteIRI && (text == "" || literal(q.Object) < text) {
			text = literal(q.Object)
		}
		return nil
	})
	if len(c.m) >= quoteCacheMax {
		clear(c.m)
	}
	c.m[label] = text
	return text, err
}

// EdgeID returns the stable id of the edge subject -predicate-> object
// (IRIs): "e-" and the first 16 hex digits of the SHA-256 of the three joined
// by U+001F. It depends on nothing else, so an edge keeps its id when its
// sources change.
func EdgeID(subject, predicate, object string) string {
	h := sha256.Sum256([]byte(subject + "\x1f" + predicate + "\x1f" + object))
	return "e-" + hex.EncodeToString(h[:8])
}

// Node and edge attribute names that do not come from predicates.
const (
	attrLabel      = "label"
	attrKind       = "kind"
	attrIRI        = "iri"
	attrAliases    = "aliases"
	attrSources    = "sources"
	attrContested  = "contested"
	attrStart      = "start"
	attrEnd        = "end"
	attrPredicate  = "predicate"
	attrProvenance = "provenance"
	attrWeight     = "weight"
	attrEvidence   = "evidence"
	attrSchema     = "schema_version"
	attrFilter     = "filter"
)

// attrName maps a predicate name to an attribute name ([a-z][a-z0-9_]*):
// attackType becomes attack_type.
func attrName(pred string) string {
	var b strings.Builder
	for i, r := range pred {
		if 'A' <= r && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// literalPredicates returns the vocabulary's non-derived, non-relation
// predicates other than name and alias: the ones written as node attributes.
func literalPredicates() []*schema.Predicate {
	var out []*schema.Predicate
	for _, p := range schema.Predicates() {
		if p.Derived || p.Relation() || p.Name == schema.NamePred || p.Name == schema.AliasPred {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Keys returns the keys of a graph export with the given score measures:
// they come from the vocabulary, not from the data, so they can be declared
// before the first node is read. For each literal predicate p (as attrName):
//
//   - counts (killed, wounded, ...): p, p_min, p_max (Figures, int);
//   - lat, lon: double;
//   - dates: p (JSON list of canonical intervals), p_start, p_end (ISO days:
//     the earliest start and latest end stated), p_text (JSON list of the
//     dates as written);
//   - multi-valued strings: a JSON list;
//   - other single-valued values: the most-attested value, as a string.
//
// Every node has label, kind, iri, sources and contested; dated entities
// (Attack, Warning, Claim) have start and end (their date, through endDate),
// which GEXF makes the node's interval. Edges have predicate, provenance,
// weight and evidence.
func Keys(measures []string) ([]Key, error) {
	node := func(name string, t Type) Key { return Key{Name: name, Domain: Node, Type: t} }
	keys := []Key{
		{Name: attrSchema, Domain: Graph, Type: String},
		{Name: attrFilter, Domain: Graph, Type: String},
		node(attrLabel, String), node(attrKind, String), node(attrIRI, String), node(attrAliases, String),
		node(attrSources, String), node(attrContested, String), node(attrStart, String), node(attrEnd, String),
		{Name: attrPredicate, Domain: Edge, Type: String},
		{Name: attrProvenance, Domain: Edge, Type: String},
		{Name: attrWeight, Domain: Edge, Type: Double},
		{Name: attrEvidence, Domain: Edge, Type: String},
	}
	for _, p := range literalPredicates() {
		n := attrName(p.Name)
		switch {
		case p.Type == schema.Count && !p.Multi:
			keys = append(keys, FigureKeys(n, Node, Int)...)
		case p.Type == schema.Float && !p.Multi:
			keys = append(keys, node(n, Double))
		case p.Type == schema.Date:
			keys = append(keys, node(n, String), node(n+"_start", String), node(n+"_end", String), node(n+"_text", String))
		default:
			keys = append(keys, node(n, String))
		}
	}
	for _, m := range measures {
		keys = append(keys, node(m, Double))
	}
	if err := CheckKeys(keys); err != nil {
		var ke *KeyError
		if errors.As(err, &ke) && ke.Err == ErrDuplicateKey {
			return nil, &OptionError{Option: "with-centrality", Err: fmt.Errorf("%q collides with an attribute of the export", ke.Key.Name)}
		}
		return nil, err
	}
	return keys, nil
}

// WriteGraph streams the store's entity graph, filtered by o, to the encoder
// that newEnc returns for the keys (see Keys): one node per entity, sorted by
// id, then one edge per (subject, predicate, object) relation between written
// nodes, sorted by (source, target, predicate). Each entity's quads are read
// through the store's subject index and sorted locally, so memory holds the
// entity list and one entity's facts, never the edges; the same store content
// gives the same bytes whatever order it was loaded in.
func WriteGraph(ctx context.Context, qs query.Store, o Options, newEnc func([]Key) Encoder) (Summary, error) {
	var sum Summary
	measures := make([]string, 0, len(o.Scores))
	for m := range o.Scores {
		measures = append(measures, m)
	}
	slices.Sort(measures)
	keys, err := Keys(measures)
	if err != nil {
		return sum, err
	}
	s, err := newSnapshot(ctx, qs, o)
	if err != nil {
		return sum, err
	}
	// Nodes come before edges, and each entity's quads are read once: its
	// edges, computed with its node, wait in a temporary file (in order, so
	// nothing per edge is held in memory) until the nodes are written.
	spill, err := os.CreateTemp("", "threatgraph-edges-*")
	if err != nil {
		return sum, fmt.Errorf("spilling edges: %w", err)
	}
	defer os.Remove(spill.Name())
	defer spill.Close()
	sw := bufio.NewWriterSize(spill, 1<<20)
	enc := newEnc(keys)
	enc.Graph(Str(attrSchema, SchemaVersion), Str(attrFilter, o.describe()))
	var attrs []Attr
	var edges []edgeRow
	total, spilled := 0, 0
	for _, k := range s.keep {
		if k {
			total++
		}
	}
	readCtx, stop := context.WithCancel(ctx)
	defer stop() // an early return ends the reader too
	reads := s.prefetch(readCtx)
	for r := range reads {
		if r.err != nil {
			return sum, r.err
		}
		e, buf := r.e, r.quads
		if edges, err = s.edgeRows(ctx, e, buf, edges[:0]); err != nil {
			return sum, err
		}
		for _, r := range edges {
			writeRow(sw, e.id, r)
		}
		spilled += len(edges)
		attrs = s.nodeAttrs(e, buf, attrs[:0])
		for _, m := range measures {
			if v, ok := o.Scores[m][e.iri]; ok {
				attrs = append(attrs, Float(m, v))
			}
		}
		if err := enc.Node(e.id, attrs...); err != nil {
			return sum, err
		}
		sum.Nodes++
		o.progress("entities", sum.Nodes, total)
	}
	// The reader stops early, closing reads, when ctx is done.
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	if err := sw.Flush(); err != nil {
		return sum, fmt.Errorf("spilling edges: %w", err)
	}
	if _, err := spill.Seek(0, io.SeekStart); err != nil {
		return sum, fmt.Errorf("spilling edges: %w", err)
	}
	sr := bufio.NewReaderSize(spill, 1<<20)
	for {
		from, r, err := readRow(sr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return sum, fmt.Errorf("reading spilled edges: %w", err)
		}
		if err := enc.Edge(r.id, from, r.target, r.attrs()...); err != nil {
			return sum, err
		}
		if sum.Edges++; sum.Edges%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
		}
		o.progress("edges", sum.Edges, spilled)
	}
	return sum, enc.Close()
}

// entityQuads is one entity's sorted out-quads, read ahead.
type entityQuads struct {
	e     entity
	quads []quad.Quad
	err   error
}

// prefetch reads the kept entities' quads, in order, on another goroutine,
// a few entities ahead of the writer, so that reading the store and
// encoding use both cores. The channel closes after the last entity or
// the first error; cancelling ctx stops the reader.
func (s *snapshot) prefetch(ctx context.Context) <-chan entityQuads {
	out := make(chan entityQuads, 256)
	go func() {
		defer close(out)
		for i, e := range s.ents {
			if !s.keep[i] {
				continue
			}
			qs, err := s.outQuads(ctx, e.iri, nil)
			select {
			case out <- entityQuads{e: e, quads: qs, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out
}

// writeRow appends an edge to the spill: its source node and fields as
// length-prefixed strings. Write errors surface at Flush.
func writeRow(w *bufio.Writer, from string, r edgeRow) {
	str := func(s string) {
		var n [binary.MaxVarintLen64]byte
		w.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		w.WriteString(s)
	}
	list := func(l []string) {
		var n [binary.MaxVarintLen64]byte
		w.Write(n[:binary.PutUvarint(n[:], uint64(len(l)))])
		for _, s := range l {
			str(s)
		}
	}
	str(from)
	str(r.id)
	str(r.target)
	str(r.pred)
	list(r.prov)
	list(r.quotes)
}

// readRow reads what writeRow wrote; io.EOF at the end of the spill.
func readRow(r *bufio.Reader) (string, edgeRow, error) {
	str := func() (string, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return "", err
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", io.ErrUnexpectedEOF
		}
		return string(b), nil
	}
	list := func() ([]string, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		out := make([]string, n)
		for i := range out {
			if out[i], err = str(); err != nil {
				return nil, io.ErrUnexpectedEOF
			}
		}
		return out, nil
	}
	from, err := str()
	if err != nil {
		return "", edgeRow{}, err // io.EOF: no more rows
	}
	var row edgeRow
	for _, f := range []*string{&row.id, &row.target, &row.pred} {
		if *f, err = str(); err != nil {
			return "", edgeRow{}, io.ErrUnexpectedEOF
		}
	}
	if row.prov, err = list(); err != nil {
		return "", edgeRow{}, err
	}
	if row.quotes, err = list(); err != nil {
		return "", edgeRow{}, err
	}
	return from, row, nil
}

// nodeAttrs computes the attributes of one entity from its quads, sorted.
func (s *snapshot) nodeAttrs(e entity, qs []quad.Quad, attrs []Attr) []Attr {
	var names []query.SourcedName
	title := ""
	var aliases []string
	sources := map[string]bool{}
	byPred := map[string][]*factVal{} // predicate name -> values, in quad order
	for _, q := range qs {
		if !s.allowed(q.Label) {
			continue
		}
		src := ID(schema.SourceOf(iriOf(q.Label)))
		sources[src] = true
		pred := iriOf(q.Predicate)
		p := schema.LookupIRI(pred)
		if p == nil || p.Name == "key" {
			continue
		}
		switch p.Name {
		case schema.NamePred:
			names = append(names, query.SourcedName{Name: literal(q.Object), Source: src})
			continue
		case "title":
			title = literal(q.Object)
		case schema.AliasPred:
			aliases = append(aliases, literal(q.Object))
			continue
		}
		vs := byPred[p.Name]
		var cur *factVal
		for _, v := range vs {
			if v.v == q.Object || quad.StringOf(v.v) == quad.StringOf(q.Object) {
				cur = v
				break
			}
		}
		if cur == nil {
			cur = &factVal{v: q.Object, sources: map[string]bool{}}
			byPred[p.Name] = append(vs, cur)
		}
		cur.sources[src] = true
	}
	label := query.DisplayName(e.iri, names, title)
	for _, n := range names {
		if n.Name != label {
			aliases = append(aliases, n.Name)
		}
	}
	attrs = append(attrs, Str(attrLabel, label), Str(attrKind, string(e.kind)), Str(attrIRI, e.iri),
		List(attrAliases, aliases...), List(attrSources, keysOf(sources)...))

	var contested []string
	for _, p := range schema.Predicates() {
		vs := byPred[p.Name]
		if len(vs) == 0 || p.Derived {
			continue
		}
		if len(vs) > 1 {
			qv := make([]query.Value, len(vs))
			for i, v := range vs {
				qv[i] = valueOf(v.v)
			}
			if query.IsContested(p, qv) {
				contested = append(contested, p.Name)
			}
		}
		if p.Relation() {
			continue
		}
		n := attrName(p.Name)
		switch {
		case p.Type == schema.Count && !p.Multi:
			var figs []Figure
			for _, v := range vs {
				if x, ok := v.v.(quad.Int); ok {
					figs = append(figs, Figure{Value: int64(x), Sources: keysOf(v.sources)})
				}
			}
			attrs = append(attrs, Figures(n, figs...)...)
		case p.Type == schema.Date:
			var canon, texts []string
			var lo, hi time.Time
			for _, v := range vs {
				c := literal(v.v)
				canon = append(canon, c)
				if iv, err := schema.ParseDate(c); err == nil {
					if lo.IsZero() || iv.Start.Before(lo) {
						lo = iv.Start
					}
					if hi.IsZero() || iv.End.After(hi) {
						hi = iv.End
					}
				}
			}
			for _, t := range byPred[p.Name+"Text"] {
				texts = append(texts, literal(t.v))
			}
			attrs = append(attrs, List(n, canon...))
			if !lo.IsZero() {
				attrs = append(attrs, Str(n+"_start", lo.Format(time.DateOnly)), Str(n+"_end", hi.Format(time.DateOnly)))
			}
			if len(texts) > 0 {
				attrs = append(attrs, List(n+"_text", texts...))
			}
		case p.Multi:
			ls := make([]string, len(vs))
			for i, v := range vs {
				ls[i] = literal(v.v)
			}
			attrs = append(attrs, List(n, ls...))
		default:
			// The most-attested value, ties to the smallest.
			bv := vs[0]
			for _, v := range vs[1:] {
				if len(v.sources) > len(bv.sources) || len(v.sources) == len(bv.sources) && quad.StringOf(v.v) < quad.StringOf(bv.v) {
					bv = v
				}
			}
			if p.Type == schema.Float {
				if f, ok := bv.v.(quad.Float); ok {
					attrs = append(attrs, Float(n, float64(f)))
				} else if x, ok := bv.v.(quad.Int); ok {
					attrs = append(attrs, Float(n, float64(x)))
				}
			} else {
				attrs = append(attrs, Str(n, literal(bv.v)))
			}
		}
	}
	attrs = append(attrs, List(attrContested, contested...))
	// The element's interval: its date, through its end date.
	if start, end, ok := interval(byPred["date"], byPred["endDate"]); ok {
		attrs = append(attrs, Str(attrStart, start), Str(attrEnd, end))
	}
	return attrs
}

// interval returns the span from the earliest stated date to the latest end
// of a date or end date.
func interval(dates, ends []*factVal) (start, end string, ok bool) {
	var lo, hi time.Time
	for _, d := range dates {
		if iv, err := schema.ParseDate(literal(d.v)); err == nil {
			if lo.IsZero() || iv.Start.Before(lo) {
				lo = iv.Start
			}
			if hi.IsZero() || iv.End.After(hi) {
				hi = iv.End
			}
		}
	}
	if lo.IsZero() {
		return "", "", false
	}
	for _, d := range ends {
		if iv, err := schema.ParseDate(literal(d.v)); err == nil && iv.End.After(hi) {
			hi = iv.End
		}
	}
	return lo.Format(time.DateOnly), hi.Format(time.DateOnly), true
}

// A factVal is one value of a predicate with the sources that state it.
type factVal struct {
	v       quad.Value
	sources map[string]bool
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// An edgeRow is one edge of an entity, ready to write.
type edgeRow struct {
	id, target, pred string
	prov, quotes     []string
}

// attrs returns the edge's attributes.
func (r edgeRow) attrs() []Attr {
	return []Attr{Str(attrPredicate, r.pred), List(attrProvenance, r.prov...),
		Float(attrWeight, float64(len(r.prov))), List(attrEvidence, r.quotes...)}
}

// edgeRows groups an entity's relation quads by (object, predicate) into
// edges to written entities, sorted by (target, predicate, id).
func (s *snapshot) edgeRows(ctx context.Context, e entity, qs []quad.Quad, rows []edgeRow) ([]edgeRow, error) {
	// qs is sorted by (predicate, object, label): each (p, o) run is one edge.
	for i := 0; i < len(qs); {
		j := i
		for j < len(qs) && quad.StringOf(qs[j].Predicate) == quad.StringOf(qs[i].Predicate) && quad.StringOf(qs[j].Object) == quad.StringOf(qs[i].Object) {
			j++
		}
		run := qs[i:j]
		i = j
		pred := iriOf(run[0].Predicate)
		p := schema.LookupIRI(pred)
		obj, ok := run[0].Object.(quad.IRI)
		if p == nil || !p.Relation() || !ok || !s.kept(string(obj)) {
			continue
		}
		var prov, quotes []string
		for _, q := range run {
			if !s.allowed(q.Label) {
				continue
			}
			l := iriOf(q.Label)
			prov = append(prov, ID(schema.SourceOf(l)))
			qt, err := s.quote.of(ctx, l)
			if err != nil {
				return rows, err
			}
			if qt != "" {
				quotes = append(quotes, qt)
			}
		}
		if len(prov) == 0 {
			continue
		}
		slices.Sort(prov)
		prov = slices.Compact(prov)
		rows = append(rows, edgeRow{id: EdgeID(e.iri, pred, string(obj)), target: ID(string(obj)), pred: p.Name, prov: prov, quotes: quotes})
	}
	slices.SortFunc(rows, func(a, b edgeRow) int {
		return cmp.Or(strings.Compare(a.target, b.target), strings.Compare(a.pred, b.pred), strings.Compare(a.id, b.id))
	})
	return rows, nil
}

package query

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/schema"
)

// exportSchema is the graph-level schema_version of graph exports.
const exportSchema = "threatgraph-export/1"

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

// exportKeys returns the keys of a graph export with the given score measures:
// they come from the vocabulary, not from the data, so they can be declared
// before the first node is read. For each literal predicate p (as attrName):
//
//   - counts (killed, wounded, ...): p, p_min, p_max (Figures, int: the span the figures allow);
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
func exportKeys(measures []string) ([]export.Key, error) {
	const str, dbl = export.String, export.Double
	node := func(name string, t export.Type) export.Key {
		return export.Key{Name: name, Domain: export.Node, Type: t}
	}
	keys := []export.Key{
		{Name: attrSchema, Domain: export.Graph, Type: str},
		{Name: attrFilter, Domain: export.Graph, Type: str},
		node(attrLabel, str), node(attrKind, str), node(attrIRI, str), node(attrAliases, str),
		node(attrSources, str), node(attrContested, str), node(attrStart, str), node(attrEnd, str),
		{Name: attrPredicate, Domain: export.Edge, Type: str},
		{Name: attrProvenance, Domain: export.Edge, Type: str},
		{Name: attrWeight, Domain: export.Edge, Type: dbl},
		{Name: attrEvidence, Domain: export.Edge, Type: str},
	}
	for _, p := range literalPredicates() {
		n := attrName(p.Name)
		switch {
		case p.Type == schema.Count && !p.Multi:
			keys = append(keys, export.FigureKeys(n, export.Node, export.Int)...)
		case p.Type == schema.Float && !p.Multi:
			keys = append(keys, node(n, dbl))
		case p.Type == schema.Date:
			keys = append(keys, node(n, str), node(n+"_start", str), node(n+"_end", str), node(n+"_text", str))
		default:
			keys = append(keys, node(n, str))
		}
	}
	for _, m := range measures {
		keys = append(keys, node(m, dbl))
	}
	if err := export.CheckKeys(keys); err != nil {
		var ke *export.KeyError
		if errors.As(err, &ke) && ke.Err == export.ErrDuplicateKey {
			return nil, &ParamError{Param: "with-centrality", Value: ke.Key.Name, Want: "a measure whose name no attribute of the export has"}
		}
		return nil, err
	}
	return keys, nil
}

// writeGraph streams the store's entity graph, filtered by o, with the
// node scores (by measure, then entity id), to the encoder that newEnc
// returns for the keys (see exportKeys): one node per entity, sorted by
// id, then one edge per (subject, predicate, object) relation between written
// nodes, sorted by (source, target, predicate). Each entity's quads are read
// through the store's subject index and sorted locally, so memory holds the
// entity list and one entity's facts, never the edges; the same store content
// gives the same bytes whatever order it was loaded in.
func writeGraph(ctx context.Context, qs Store, o ExportOptions, scores map[string]map[string]float64, newEnc func([]export.Key) export.Encoder) (export.Summary, error) {
	var sum export.Summary
	measures := sortedSet(o.Centrality)
	keys, err := exportKeys(measures)
	if err != nil {
		return sum, err
	}
	s, err := newExportSet(ctx, qs, o, true)
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
	enc.Graph(export.Str(attrSchema, exportSchema), export.Str(attrFilter, o.describe()))
	var attrs []export.Attr
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
			if v, ok := scores[m][e.iri]; ok {
				attrs = append(attrs, export.Float(m, v))
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
	e     exportEntity
	quads []quad.Quad
	err   error
}

// prefetch reads the kept entities' quads, in order, on another goroutine,
// a few entities ahead of the writer, so that reading the store and
// encoding use both cores. The channel closes after the last entity or
// the first error; cancelling ctx stops the reader.
func (s *exportSet) prefetch(ctx context.Context) <-chan entityQuads {
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
	var n [binary.MaxVarintLen64]byte
	w.Write(n[:binary.PutUvarint(n[:], uint64(r.weight))])
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
	w, err := binary.ReadUvarint(r)
	if err != nil {
		return "", edgeRow{}, io.ErrUnexpectedEOF
	}
	row.weight = int(w)
	return from, row, nil
}

// nodeAttrs computes the attributes of one entity from its quads, sorted.
func (s *exportSet) nodeAttrs(e exportEntity, qs []quad.Quad, attrs []export.Attr) []export.Attr {
	var names []sourcedName
	title := ""
	var aliases []string
	sources := map[string]bool{}
	byPred := map[string][]*factVal{} // predicate name -> values, in quad order
	for _, q := range qs {
		l := string(labelIRI(q.Label))
		pred := string(labelIRI(q.Predicate))
		if pred == "tg:"+schema.NamePred && s.allow.UsesLabel(l) {
			// The label is the view's display name (displayName), deprecated
			// statements marked, whether or not the export writes them.
			for _, o := range s.meta.origins(l) {
				names = append(names, sourcedName{Name: lexical(q.Object), Source: o, Deprecated: s.dep[l]})
			}
		}
		if !s.allowed(q.Label) {
			continue
		}
		src := export.ID(schema.SourceOf(l))
		sources[src] = true
		p := schema.LookupIRI(pred)
		if p == nil || p.Name == "key" {
			continue
		}
		origins := s.meta.origins(l)
		switch p.Name {
		case schema.NamePred:
			continue
		case "title":
			title = lexical(q.Object)
		case schema.AliasPred:
			aliases = append(aliases, lexical(q.Object))
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
			cur = &factVal{v: q.Object, sources: map[string]bool{}, origins: map[string]bool{}}
			byPred[p.Name] = append(vs, cur)
		}
		cur.sources[src] = true
		for _, o := range origins {
			cur.origins[o] = true
		}
	}
	label := displayName(e.iri, names, title)
	for _, n := range names {
		if n.Name != label {
			aliases = append(aliases, n.Name)
		}
	}
	attrs = append(attrs, export.Str(attrLabel, label), export.Str(attrKind, string(e.kind)), export.Str(attrIRI, e.iri),
		export.List(attrAliases, aliases...), export.List(attrSources, keysOf(sources)...))

	var contested []string
	for _, p := range schema.Predicates() {
		vs := byPred[p.Name]
		if len(vs) == 0 || p.Derived {
			continue
		}
		if len(vs) > 1 {
			qv := make([]Value, len(vs))
			for i, v := range vs {
				qv[i] = valueOf(v.v)
			}
			if isContested(p, qv) {
				contested = append(contested, p.Name)
			}
		}
		if p.Relation() {
			continue
		}
		n := attrName(p.Name)
		switch {
		case p.Type == schema.Count && !p.Multi:
			var figs []export.Figure
			for _, v := range vs {
				if f, ok := figureOf(v.v); ok {
					f.Sources = keysOf(v.sources)
					figs = append(figs, f)
				}
			}
			attrs = append(attrs, export.Figures(n, figs...)...)
		case p.Type == schema.Date:
			var canon, texts []string
			var lo, hi time.Time
			for _, v := range vs {
				c := lexical(v.v)
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
				texts = append(texts, lexical(t.v))
			}
			attrs = append(attrs, export.List(n, canon...))
			if !lo.IsZero() {
				attrs = append(attrs, export.Str(n+"_start", lo.Format(time.DateOnly)), export.Str(n+"_end", hi.Format(time.DateOnly)))
			}
			if len(texts) > 0 {
				attrs = append(attrs, export.List(n+"_text", texts...))
			}
		case p.Multi:
			ls := make([]string, len(vs))
			for i, v := range vs {
				ls[i] = lexical(v.v)
			}
			attrs = append(attrs, export.List(n, ls...))
		default:
			// The most-attested value (by independent origins), ties to the smallest.
			bv := vs[0]
			for _, v := range vs[1:] {
				if len(v.origins) > len(bv.origins) || len(v.origins) == len(bv.origins) && quad.StringOf(v.v) < quad.StringOf(bv.v) {
					bv = v
				}
			}
			if p.Type == schema.Float {
				if f, ok := bv.v.(quad.Float); ok {
					attrs = append(attrs, export.Float(n, float64(f)))
				} else if x, ok := bv.v.(quad.Int); ok {
					attrs = append(attrs, export.Float(n, float64(x)))
				}
			} else {
				attrs = append(attrs, export.Str(n, lexical(bv.v)))
			}
		}
	}
	attrs = append(attrs, export.List(attrContested, contested...))
	// The element's interval: its date, through its end date.
	if start, end, ok := interval(byPred["date"], byPred["endDate"]); ok {
		attrs = append(attrs, export.Str(attrStart, start), export.Str(attrEnd, end))
	}
	return attrs
}

// figureOf returns a stored count as an export figure: a plain integer, or
// a count literal with its words, bounds and whom it counts.
func figureOf(v quad.Value) (export.Figure, bool) {
	switch x := v.(type) {
	case quad.Int:
		return export.Figure{Value: int64(x)}, true
	case quad.TypedString:
		if x.Type != schema.CountType {
			return export.Figure{}, false
		}
		q, err := schema.ParseCountLiteral(string(x.Value))
		if err != nil {
			return export.Figure{}, false
		}
		return export.Figure{Text: q.Text, Lower: q.Lower, Upper: q.Upper, Open: q.Open, Of: q.Of}, true
	}
	return export.Figure{}, false
}

// interval returns the span from the earliest stated date to the latest end
// of a date or end date.
func interval(dates, ends []*factVal) (start, end string, ok bool) {
	var lo, hi time.Time
	for _, d := range dates {
		if iv, err := schema.ParseDate(lexical(d.v)); err == nil {
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
		if iv, err := schema.ParseDate(lexical(d.v)); err == nil && iv.End.After(hi) {
			hi = iv.End
		}
	}
	return lo.Format(time.DateOnly), hi.Format(time.DateOnly), true
}

// A factVal is one value of a predicate with the sources that state it
// (export ids) and the origins of their statements (originsOf).
type factVal struct {
	v       quad.Value
	sources map[string]bool
	origins map[string]bool
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// An edgeRow is one edge of an entity, ready to write: its weight is the
// number of independent origins of its statements (originsOf), its
// provenance the sources that state it.
type edgeRow struct {
	id, target, pred string
	prov, quotes     []string
	weight           int
}

// attrs returns the edge's attributes.
func (r edgeRow) attrs() []export.Attr {
	return []export.Attr{export.Str(attrPredicate, r.pred), export.List(attrProvenance, r.prov...),
		export.Float(attrWeight, float64(r.weight)), export.List(attrEvidence, r.quotes...)}
}

// edgeRows groups an entity's relation quads by (object, predicate) into
// edges to written entities, sorted by (target, predicate, id).
func (s *exportSet) edgeRows(ctx context.Context, e exportEntity, qs []quad.Quad, rows []edgeRow) ([]edgeRow, error) {
	// qs is sorted by (predicate, object, label): each (p, o) run is one edge.
	for i := 0; i < len(qs); {
		j := i
		for j < len(qs) && quad.StringOf(qs[j].Predicate) == quad.StringOf(qs[i].Predicate) && quad.StringOf(qs[j].Object) == quad.StringOf(qs[i].Object) {
			j++
		}
		run := qs[i:j]
		i = j
		pred := string(labelIRI(run[0].Predicate))
		p := schema.LookupIRI(pred)
		obj, ok := run[0].Object.(quad.IRI)
		if p == nil || !p.Relation() || !ok || !s.kept(string(obj)) {
			continue
		}
		var prov, quotes, origins []string
		for _, q := range run {
			if !s.allowed(q.Label) {
				continue
			}
			l := string(labelIRI(q.Label))
			prov = append(prov, export.ID(schema.SourceOf(l)))
			origins = append(origins, s.meta.origins(l)...)
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
		slices.Sort(origins)
		rows = append(rows, edgeRow{id: export.EdgeID(e.iri, pred, string(obj)), target: export.ID(string(obj)), pred: p.Name, prov: prov, quotes: quotes, weight: len(slices.Compact(origins))})
	}
	slices.SortFunc(rows, func(a, b edgeRow) int {
		return cmp.Or(strings.Compare(a.target, b.target), strings.Compare(a.pred, b.pred), strings.Compare(a.id, b.id))
	})
	return rows, nil
}

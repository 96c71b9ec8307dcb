package query

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/schema"
)

// factScope says which quads a fact export (N-Quads, native JSON) writes.
// With no filter it is every quad. With filters it is, for each written
// entity, its kind quads (rdf:type tg:<Kind>, whatever source states them:
// the kind makes it an entity, it is not a fact the belief policy weighs)
// and its quads from used sources whose object, if an entity, is written
// too; the Source entities that state them; the statements (evidence
// quotes) they cite and whom those are according to; and the judgements of
// those statements by used sources, with the judging Sources and the
// evidence among what is written. The output then loads on its own.
type factScope struct {
	*exportSet
	filtered   bool
	stmts      map[string]bool // statement labels cited (filtered only)
	judgements []*Judgement    // the judgements written (filtered only)
}

// newFactScope applies o and, when it filters, marks the sources,
// statements and judgements the kept facts cite: one pass over the kept
// entities' quads.
func newFactScope(ctx context.Context, qs Store, o ExportOptions) (*factScope, error) {
	s, err := newExportSet(ctx, qs, o, false)
	if err != nil {
		return nil, err
	}
	f := &factScope{exportSet: s, filtered: o.filtered()}
	if !f.filtered {
		return f, nil
	}
	f.stmts = map[string]bool{}
	// A worklist: a Source kept because a written quad cites it is written
	// too, and its own kind quad may cite another Source.
	var work []int
	for i := range s.ents {
		if s.keep[i] {
			work = append(work, i)
		}
	}
	keep := func(id string) {
		if j := s.index(id); j >= 0 && !s.keep[j] {
			s.keep[j] = true
			work = append(work, j)
		}
	}
	judged := map[string]bool{}
	var buf []quad.Quad
	for len(work) > 0 {
		for len(work) > 0 {
			i := work[0]
			work = work[1:]
			if buf, err = s.outQuads(ctx, s.ents[i].iri, buf[:0]); err != nil {
				return nil, err
			}
			for _, q := range buf {
				if !f.writes(q) {
					continue
				}
				l := string(labelIRI(q.Label))
				if strings.Contains(l, schema.StatementSep) && !f.stmts[l] {
					f.stmts[l] = true
					for _, a := range s.meta.according[l] {
						keep(a)
					}
				}
				keep(schema.SourceOf(l))
			}
		}
		for _, j := range s.meta.sorted() {
			if f.stmts[j.of] && !judged[j.ID] && s.allow.UsesLabel(j.Source) {
				judged[j.ID] = true
				f.judgements = append(f.judgements, j)
				keep(j.Source)
			}
		}
	}
	sortJudgements(f.judgements)
	return f, nil
}

// writesEvidence reports whether a judgement's evidence (a statement or a
// source label) is written: in a filtered export, only what the export
// writes anyway.
func (f *factScope) writesEvidence(label string) bool {
	if !f.filtered {
		return true
	}
	if strings.Contains(label, schema.StatementSep) {
		return f.stmts[label]
	}
	return f.kept(label)
}

// written returns the judgements the export writes.
func (f *factScope) written() []*Judgement {
	if f.filtered {
		return f.judgements
	}
	return f.meta.sorted()
}

// writes reports whether the quad of a kept entity is written.
func (f *factScope) writes(q quad.Quad) bool {
	if !f.filtered {
		return true
	}
	if isKindQuad(q) {
		return true
	}
	if !f.allowed(q.Label) {
		return false
	}
	if o, ok := q.Object.(quad.IRI); ok {
		// A relation, or a negation: its object must be written too.
		if p := schema.LookupIRI(string(labelIRI(q.Predicate))); p != nil && p.Type == schema.Entity {
			return f.kept(string(o))
		}
	}
	return true
}

// isKindQuad reports whether q states an entity's kind.
func isKindQuad(q quad.Quad) bool {
	if string(labelIRI(q.Predicate)) != schema.TypeIRI {
		return false
	}
	_, ok := schema.KindFromIRI(string(labelIRI(q.Object)))
	return ok
}

// subjects returns the subjects to write, sorted by their N-Quads spelling.
// Unfiltered that is every subject of the store (one scan); filtered, the
// kept entities and the cited statements.
func (f *factScope) subjects(ctx context.Context) ([]quad.Value, error) {
	var out []quad.Value
	if f.filtered {
		for i, e := range f.ents {
			if f.keep[i] {
				out = append(out, quad.IRI(e.iri))
			}
		}
		for l := range f.stmts {
			out = append(out, quad.IRI(l))
		}
		for _, j := range f.judgements {
			out = append(out, quad.IRI(j.ID))
		}
	} else {
		seen := map[string]bool{}
		err := f.qs.Scan(ctx, func(q quad.Quad) error {
			if k := quad.StringOf(q.Subject); !seen[k] {
				seen[k] = true
				out = append(out, q.Subject)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b quad.Value) int { return strings.Compare(quad.StringOf(a), quad.StringOf(b)) })
	return out, ctx.Err()
}

// writeNQuads writes the store's quads as N-Quads, sorted by (subject,
// predicate, object, label) in their N-Quads spelling, one subject at a time
// through the subject index. Unfiltered, every quad is written as stored,
// derived ones (tg:key, tg:dateText) included, so that loading the output
// into an empty store and exporting again gives the same bytes. Filters
// select as described for factScope.
func writeNQuads(ctx context.Context, qs Store, w io.Writer, o ExportOptions) (export.Summary, error) {
	var sum export.Summary
	f, err := newFactScope(ctx, qs, o)
	if err != nil {
		return sum, err
	}
	subjects, err := f.subjects(ctx)
	if err != nil {
		return sum, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf []quad.Quad
	for i, sub := range subjects {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		buf = buf[:0]
		err := qs.Quads(ctx, quad.Subject, sub, func(q quad.Quad) error {
			buf = append(buf, q)
			return nil
		})
		if err != nil {
			return sum, err
		}
		slices.SortFunc(buf, cmpQuad)
		_, isEntity := sub.(quad.IRI)
		isEntity = isEntity && f.index(string(labelIRI(sub))) >= 0
		for _, q := range buf {
			if isEntity && !f.writes(q) {
				continue
			}
			if p := string(labelIRI(q.Predicate)); p == schema.EvidenceIRI && !f.writesEvidence(string(labelIRI(q.Object))) {
				continue
			}
			bw.WriteString(q.Subject.String())
			bw.WriteByte(' ')
			bw.WriteString(q.Predicate.String())
			bw.WriteByte(' ')
			bw.WriteString(q.Object.String())
			if q.Label != nil {
				bw.WriteByte(' ')
				bw.WriteString(q.Label.String())
			}
			bw.WriteString(" .\n")
			sum.Quads++
		}
		if f.index(string(labelIRI(sub))) >= 0 {
			sum.Nodes++
		}
		o.progress("subjects", i+1, len(subjects))
	}
	return sum, bw.Flush()
}

// writeNative writes the store's facts in threatgraph's native format as
// JSON (docs/format.md): {"format":"threatgraph/1","sources":[…],"entities":[…]},
// one entity per line, sorted by id. Each entity's facts are grouped by
// the label that states them: the label of its rdf:type quad gives the
// entity's own source and quote, every other label a fact group with its
// source and quote; dates keep their written text as {text, value}; derived
// quads (tg:key, tg:*Text, statements) are left out because ingesting
// derives them again. Ingesting the output into an empty store gives the
// same quads, so exporting it again gives the same bytes. Quads of other
// vocabularies, which the native format cannot hold, are counted in
// export.Summary.Skipped.
func writeNative(ctx context.Context, qs Store, w io.Writer, o ExportOptions) (export.Summary, error) {
	var sum export.Summary
	f, err := newFactScope(ctx, qs, o)
	if err != nil {
		return sum, err
	}
	total := 0
	for _, k := range f.keep {
		if k {
			total++
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"format":` + jsonString(schema.FormatVersion))
	var buf []quad.Quad
	for _, list := range []string{"sources", "entities"} {
		bw.WriteString(",\n\"" + list + "\":[")
		first := true
		for i, e := range f.ents {
			if !f.keep[i] || (e.kind == schema.Source) != (list == "sources") {
				continue
			}
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			if buf, err = f.outQuads(ctx, e.iri, buf[:0]); err != nil {
				return sum, err
			}
			recs, n, skipped, err := f.native(ctx, e, buf, list == "sources")
			if err != nil {
				return sum, err
			}
			sum.Quads += n
			sum.Skipped += skipped
			for _, r := range recs {
				if !first {
					bw.WriteByte(',')
				}
				first = false
				bw.WriteString("\n")
				bw.Write(r)
			}
			sum.Nodes++
			o.progress("entities", sum.Nodes, total)
		}
		bw.WriteString("\n]")
	}
	if js := f.written(); len(js) > 0 {
		bw.WriteString(",\n\"judgements\":[")
		for i, j := range js {
			r, err := f.judgementRecord(ctx, j)
			if err != nil {
				return sum, err
			}
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n")
			bw.Write(r)
		}
		bw.WriteString("\n]")
	}
	bw.WriteString("}\n")
	return sum, bw.Flush()
}

// nativeCount writes a count literal as the native format's count mapping,
// which reads back to the same literal: the words, which begin with the
// figure and so give the bounds (schema.Quantity.CheckWords), and whom it
// counts.
func nativeCount(q schema.Quantity) map[string]string {
	m := map[string]string{"text": q.Text}
	if q.Of != "" {
		m["of"] = q.Of
	}
	return m
}

// judgementRecord writes a judgement as the native format's judgements
// read it.
func (f *factScope) judgementRecord(ctx context.Context, j *Judgement) ([]byte, error) {
	statement := func(l string) (string, error) {
		var r record
		r.field("source", schema.SourceOf(l))
		qt, err := f.quote.of(ctx, l)
		if qt != "" {
			r.field("quote", qt)
		}
		return string(r.bytes()), err
	}
	var r record
	of, err := statement(j.of)
	if err != nil {
		return nil, err
	}
	r.raw("of", of)
	r.field("rank", j.Rank)
	r.field("reason", j.Reason)
	r.field("source", j.Source)
	if j.Date != "" {
		r.field("date", j.Date)
	}
	r.field("note", j.Note)
	var evs [][]byte
	for _, l := range j.evidence {
		if !f.writesEvidence(l) {
			continue
		}
		e, err := statement(l)
		if err != nil {
			return nil, err
		}
		evs = append(evs, []byte(e))
	}
	if len(evs) > 0 {
		r.raw("evidence", joinJSON(evs))
	}
	return r.bytes(), nil
}

// according adds a statement's according to r, if it has one.
func (f *factScope) according(r *record, label string) {
	switch a := f.meta.according[label]; len(a) {
	case 0:
	case 1:
		r.field("according", a[0])
	default:
		r.value("according", a)
	}
}

// A group is the facts that one label states about an entity.
type group struct {
	label  string
	values map[string][]any    // by predicate: JSON values
	dates  map[string][]string // by date predicate: canonical values
	texts  map[string][]string // by date predicate: written texts
	isType bool                // the label of an rdf:type quad
}

// native returns the JSON records of one entity: one per rdf:type label
// (the first carries the other labels as fact groups), how many quads they
// represent and how many quads were skipped.
func (f *factScope) native(ctx context.Context, e exportEntity, qs []quad.Quad, inSources bool) (recs [][]byte, n, skipped int, err error) {
	groups := map[string]*group{}
	get := func(l string) *group {
		g := groups[l]
		if g == nil {
			g = &group{label: l, values: map[string][]any{}, dates: map[string][]string{}, texts: map[string][]string{}}
			groups[l] = g
		}
		return g
	}
	for _, q := range qs {
		if !f.writes(q) {
			continue
		}
		l := string(labelIRI(q.Label))
		pred := string(labelIRI(q.Predicate))
		if pred == schema.TypeIRI {
			if _, ok := schema.KindFromIRI(string(labelIRI(q.Object))); ok {
				get(l).isType = true
				n++
				continue
			}
		}
		p := schema.LookupIRI(pred)
		switch {
		case p == nil:
			skipped++
			continue
		case p.Name == "key":
			n++ // derived again from name and alias
			continue
		case p.Derived: // tg:<date>Text
			g := get(l)
			base := strings.TrimSuffix(p.Name, "Text")
			g.texts[base] = append(g.texts[base], lexical(q.Object))
			n++
			continue
		}
		g := get(l)
		if p.Type == schema.Date {
			g.dates[p.Name] = append(g.dates[p.Name], lexical(q.Object))
			n++
			continue
		}
		var v any
		switch x := q.Object.(type) {
		case quad.TypedString:
			v = lexical(x)
			if c, err := schema.ParseCountLiteral(string(x.Value)); x.Type == schema.CountType && err == nil {
				v = nativeCount(c)
			}
		case quad.Int:
			v = int64(x)
		case quad.Float:
			v = float64(x)
		case quad.Bool:
			v = bool(x)
		default:
			v = lexical(q.Object)
		}
		g.values[p.Name] = append(g.values[p.Name], v)
		n++
	}
	labels := make([]string, 0, len(groups))
	var typeLabels []string
	for l, g := range groups {
		if g.isType {
			typeLabels = append(typeLabels, l)
		} else {
			labels = append(labels, l)
		}
	}
	slices.Sort(labels)
	slices.Sort(typeLabels)
	if len(typeLabels) == 0 && len(labels) > 0 {
		// Filtered out: the first stating label states the kind on re-ingest.
		typeLabels, labels = labels[:1], labels[1:]
	}
	for ti, tl := range typeLabels {
		var r record
		r.field("id", e.iri)
		if !inSources {
			r.field("kind", string(e.kind))
		}
		src := schema.SourceOf(tl)
		if e.kind != schema.Source {
			r.field("source", src)
		}
		qt, err := f.quote.of(ctx, tl)
		if err != nil {
			return nil, 0, 0, err
		}
		if qt != "" {
			r.field("quote", qt)
		}
		f.according(&r, tl)
		facts := groups[tl].write(&r)
		if ti == 0 {
			for _, l := range labels {
				var fr record
				fr.field("source", schema.SourceOf(l))
				qt, err := f.quote.of(ctx, l)
				if err != nil {
					return nil, 0, 0, err
				}
				if qt != "" {
					fr.field("quote", qt)
				}
				f.according(&fr, l)
				more := groups[l].write(&fr)
				if fr.hasFacts() { // not when the label states negations only
					facts = append(facts, fr.bytes())
				}
				facts = append(facts, more...)
			}
		}
		if len(facts) > 0 {
			if inSources {
				return nil, 0, 0, fmt.Errorf("source %s: facts stated by other sources cannot be written in the native format", e.iri)
			}
			r.raw("facts", joinJSON(facts))
		}
		recs = append(recs, r.bytes())
	}
	return recs, n, skipped, nil
}

// write adds the group's predicates to r. A single-valued predicate with
// several values under one label (possible in a store, not in one fact
// group) puts the others into extra fact groups with the same source and
// quote, returned as JSON objects; negations go into one more, with
// negated: true.
func (g *group) write(r *record) [][]byte {
	var extra []*record
	more := func() *record {
		var x record
		for _, kv := range r.kv {
			if kv.k == "source" || kv.k == "quote" || kv.k == "according" {
				x.kv = append(x.kv, kv)
			}
		}
		if len(x.kv) == 0 || x.kv[0].k != "source" {
			x.kv = append([]kvPair{{"source", jsonString(schema.SourceOf(g.label))}}, x.kv...)
		}
		return &x
	}
	ext := func(k int) *record {
		for len(extra) < k {
			extra = append(extra, more())
		}
		return extra[k-1]
	}
	for _, p := range schema.Predicates() {
		if p.Type == schema.Date {
			ds := g.dates[p.Name]
			slices.Sort(ds)
			texts := g.texts[p.Name]
			slices.Sort(texts)
			for i, d := range ds {
				var v any = d
				if len(ds) == 1 && len(texts) == 1 {
					v = struct {
						Text  string `json:"text"`
						Value string `json:"value"`
					}{texts[0], d}
				}
				if i == 0 {
					r.value(p.Name, v)
				} else {
					ext(i).value(p.Name, v)
				}
			}
			continue
		}
		vs := g.values[p.Name]
		if len(vs) == 0 {
			continue
		}
		if p.Multi {
			if len(vs) == 1 {
				r.value(p.Name, vs[0])
			} else {
				r.value(p.Name, vs)
			}
			continue
		}
		for i, v := range vs {
			if i == 0 {
				r.value(p.Name, v)
			} else {
				ext(i).value(p.Name, v)
			}
		}
	}
	var neg *record
	for _, p := range schema.Predicates() {
		n := p.Negation()
		if n == nil || len(g.values[n.Name]) == 0 {
			continue
		}
		if neg == nil {
			neg = more()
			neg.value("negated", true)
		}
		if vs := g.values[n.Name]; len(vs) == 1 {
			neg.value(p.Name, vs[0])
		} else {
			neg.value(p.Name, vs)
		}
	}
	if neg != nil {
		extra = append(extra, neg)
	}
	out := make([][]byte, len(extra))
	for i, x := range extra {
		out[i] = x.bytes()
	}
	return out
}

// A record is a JSON object with fields in the order they are added.
type record struct{ kv []kvPair }

type kvPair struct{ k, v string }

func (r *record) field(k, v string) { r.kv = append(r.kv, kvPair{k, jsonString(v)}) }
func (r *record) raw(k, v string)   { r.kv = append(r.kv, kvPair{k, v}) }
func (r *record) value(k string, v any) {
	b, err := marshal(v)
	if err != nil { // cannot happen for the values above
		b = []byte("null")
	}
	r.kv = append(r.kv, kvPair{k, string(b)})
}

// hasFacts reports whether r has a field besides source and quote.
func (r *record) hasFacts() bool {
	for _, kv := range r.kv {
		if kv.k != "source" && kv.k != "quote" {
			return true
		}
	}
	return false
}

func (r *record) bytes() []byte {
	var b []byte
	b = append(b, '{')
	for i, kv := range r.kv {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, jsonString(kv.k)...)
		b = append(b, ':')
		b = append(b, kv.v...)
	}
	return append(b, '}')
}

func joinJSON(items [][]byte) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteByte(']')
	return b.String()
}

func jsonString(s string) string { b, _ := marshal(s); return string(b) }

// marshal encodes v as JSON without HTML escaping and without a newline.
func marshal(v any) ([]byte, error) {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

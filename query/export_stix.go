package query

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/stix"
	"github.com/threatgraph/threatgraph/schema"
)

// writeSTIX writes the facts a fact export writes (factScope: the same
// filters as nquads and json) as a STIX 2.1 bundle (package stix): each
// entity with its facts and their labels, the statements they cite with
// their quotes and reported speech, and the judgements. What the bundle
// cannot hold is counted in export.Summary.Skipped and NotExported: quads
// of other vocabularies here, the rest by the stix package.
func writeSTIX(ctx context.Context, qs Store, w io.Writer, o ExportOptions) (export.Summary, error) {
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
	notExported := map[string]int{}
	b := stix.NewBundle()
	labels := map[string]bool{}
	var buf []quad.Quad
	done := 0
	for i, e := range f.ents {
		if !f.keep[i] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if buf, err = f.outQuads(ctx, e.iri, buf[:0]); err != nil {
			return sum, err
		}
		ent := f.stixEntity(e, buf, notExported)
		for _, l := range ent.Declared {
			labels[l] = true
		}
		for _, fc := range ent.Facts {
			labels[fc.Label] = true
		}
		sum.Quads += len(ent.Declared) + len(ent.Facts)
		b.Entity(ent)
		done++
		o.progress("entities", done, total)
	}
	for _, j := range f.written() {
		sj := stix.Judgement{ID: j.ID, Of: j.of, Rank: j.Rank, Reason: j.Reason, Note: j.Note, Source: j.Source, Date: j.Date}
		for _, l := range j.evidence {
			if f.writesEvidence(l) {
				sj.Evidence = append(sj.Evidence, l)
				labels[l] = true
			}
		}
		labels[j.of] = true
		b.Judgement(sj)
	}
	for _, j := range f.written() {
		labels[j.Source] = true
	}
	for l := range labels {
		labels[schema.SourceOf(l)] = true
	}
	for _, l := range slices.Sorted(maps.Keys(labels)) {
		li, err := labelInfo(ctx, qs, l)
		if err != nil {
			return sum, err
		}
		if len(li.Markings) > 0 || li.Confidence != nil {
			b.Label(li)
		}
		if !strings.Contains(l, schema.StatementSep) {
			continue
		}
		st, err := f.quote.statement(ctx, l)
		if err != nil {
			return sum, err
		}
		b.Statement(stix.Statement{Label: l, Quote: st.quote, According: st.according})
	}
	ss, err := b.Write(ctx, w)
	if err != nil {
		return sum, err
	}
	sum.Nodes = ss.Entities
	sum.Edges = ss.Relationships
	sum.Objects = ss.Objects // Reader.Export adds the markings of the sources used
	for k, n := range ss.NotExported {
		notExported[k] += n
	}
	for _, n := range notExported {
		sum.Skipped += n
	}
	if len(notExported) > 0 {
		sum.NotExported = notExported
	}
	return sum, nil
}

// labelInfo reads the markings and confidence of a source or statement
// label from its own quads.
func labelInfo(ctx context.Context, qs Store, label string) (stix.Label, error) {
	li := stix.Label{Label: label}
	err := qs.Quads(ctx, quad.Subject, quad.IRI(label), func(q quad.Quad) error {
		switch string(labelIRI(q.Predicate)) {
		case schema.MarkingIRI:
			if m := string(labelIRI(q.Object)); !slices.Contains(li.Markings, m) {
				li.Markings = append(li.Markings, m)
			}
		case schema.ConfidenceIRI:
			if n, ok := q.Object.(quad.Int); ok {
				c := int64(n)
				if li.Confidence == nil || c < *li.Confidence {
					li.Confidence = &c // the lowest, if a store holds two
				}
			}
		}
		return nil
	})
	slices.Sort(li.Markings)
	return li, err
}

// stixEntity turns one kept entity's quads into the stix model: the
// labels of its kind quads, and every written fact with its label (dates
// with the words their label recorded, counts with their bounds). Derived
// quads (tg:key, tg:<date>Text) are folded in or rebuilt on import; quads of
// other vocabularies are counted in notExported.
func (f *factScope) stixEntity(e exportEntity, qs []quad.Quad, notExported map[string]int) stix.Entity {
	ent := stix.Entity{ID: e.iri, Kind: string(e.kind)}
	var names []sourcedName
	title := ""
	texts := map[[2]string][]string{} // (label, date predicate) -> written texts
	for _, q := range qs {
		l := string(labelIRI(q.Label))
		pred := string(labelIRI(q.Predicate))
		if p := schema.LookupIRI(pred); p != nil && p.Derived && strings.HasSuffix(p.Name, "Text") && f.writes(q) {
			k := [2]string{l, strings.TrimSuffix(p.Name, "Text")}
			texts[k] = append(texts[k], lexical(q.Object))
		}
	}
	for _, q := range qs {
		if !f.writes(q) {
			continue
		}
		l := string(labelIRI(q.Label))
		pred := string(labelIRI(q.Predicate))
		if pred == schema.TypeIRI {
			if _, ok := schema.KindFromIRI(string(labelIRI(q.Object))); ok {
				ent.Declared = append(ent.Declared, l)
				continue
			}
		}
		if pred == schema.MarkingIRI || pred == schema.ConfidenceIRI {
			continue // of the Source as a label: read by labelInfo
		}
		p := schema.LookupIRI(pred)
		switch {
		case p == nil:
			notExported["quads of another vocabulary"]++
			continue
		case p.Derived:
			continue // tg:key is derived again on import; date texts are folded into their dates
		}
		fc := stix.Fact{Predicate: p.Name, Label: l}
		switch {
		case p.Type == schema.Entity:
			fc.Ref = string(labelIRI(q.Object))
		case p.Type == schema.Date:
			v := lexical(q.Object)
			iv, err := schema.ParseDate(v)
			if err != nil {
				notExported[fmt.Sprintf("dates that do not parse (%s)", p.Name)]++
				continue
			}
			iv.Text = ""
			if t := texts[[2]string{l, p.Name}]; len(t) == 1 {
				iv.Text = t[0]
			}
			fc.Value, fc.Date = v, &iv
		default:
			switch x := q.Object.(type) {
			case quad.TypedString:
				fc.Value = string(x.Value)
				if x.Type == schema.CountType {
					if c, err := schema.ParseCountLiteral(string(x.Value)); err == nil {
						fc.Value, fc.Count = c.Text, &c
					}
				}
			case quad.Int:
				fc.Value = int64(x)
			case quad.Float:
				fc.Value = float64(x)
			case quad.Bool:
				fc.Value = bool(x)
			default:
				fc.Value = lexical(q.Object)
			}
		}
		if p.Name == schema.NamePred && f.allow.UsesLabel(l) {
			for _, o := range f.meta.origins(l) {
				names = append(names, sourcedName{Name: lexical(q.Object), Source: o, Deprecated: f.dep[l]})
			}
		}
		if p.Name == "title" {
			title = lexical(q.Object)
		}
		ent.Facts = append(ent.Facts, fc)
	}
	ent.Name = displayName(e.iri, names, title)
	return ent
}

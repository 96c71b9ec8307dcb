package ingest

import (
	"fmt"
	"strings"

	"github.com/cayleygraph/quad"
	"gopkg.in/yaml.v3"

	"github.com/threatgraph/threatgraph/schema"
)

// Date states the date subj pred value, with text the source's own words
// for it when they are not the canonical form (a STIX timestamp
// "2017-02-28T19:07:24.856Z" read as the day 2017-02-28): the native
// format's {text: ..., value: ...}. The rest as Fact.
func (r *Rec) Date(line int, field, subj string, kind schema.Kind, pred, value, text, label string) bool {
	p := schema.Lookup(pred)
	if p == nil || p.Type != schema.Date {
		r.Err(line, field, fmt.Errorf("%w %q (internal: not a date of the vocabulary)", schema.ErrUnknownPredicate, pred))
		return false
	}
	if text == "" || text == value {
		return r.Fact(line, field, subj, kind, pred, value, label)
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Line: line, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "text"}, {Kind: yaml.ScalarNode, Tag: "!!str", Value: text},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "value"}, {Kind: yaml.ScalarNode, Tag: "!!str", Value: value},
	}}
	obj, written, err := valueOf(p, n)
	if err != nil {
		r.Err(line, field, fmt.Errorf("%w: %w", schema.ErrBadValue, err))
		return false
	}
	return r.put(line, field, subj, kind, p, obj, written, label)
}

// valueOf is value, named apart so that this file reads on its own.
func valueOf(p *schema.Predicate, n *yaml.Node) (quad.Value, string, error) { return value(p, n) }

// Mark states a property of a label (a Source or one of its statements)
// rather than of an entity: pred is schema.MarkingIRI (obj a marking id,
// marking:tlp-amber) or schema.ConfidenceIRI (obj an integer 0 to 100, as
// the source gave it). The quad is labelled with the label's source.
func (r *Rec) Mark(line int, field, label, pred string, obj quad.Value) bool {
	src := schema.SourceOf(label)
	if err := schema.CheckID(src); err != nil {
		r.Err(line, field, fmt.Errorf("source: %w", err))
		return false
	}
	switch pred {
	case schema.MarkingIRI:
		m, ok := obj.(quad.IRI)
		if !ok || !strings.HasPrefix(string(m), schema.MarkingPrefix) || schema.CheckID(string(m)) != nil {
			r.Errorf(line, field, "%v is not a marking (expected an id such as <%s>)", obj, schema.TLPAmber)
			return false
		}
	case schema.ConfidenceIRI:
		c, ok := obj.(quad.Int)
		if !ok || c < 0 || c > 100 {
			r.Errorf(line, field, "%v is not a confidence (expected a whole number from 0 to 100)", obj)
			return false
		}
	default:
		r.Errorf(line, field, "internal: %s is not a property of a label", pred)
		return false
	}
	r.r.Quads = append(r.r.Quads, quad.Make(quad.IRI(label), quad.IRI(pred), obj, quad.IRI(src)))
	r.r.addRef(src, line, field)
	return true
}

// checkLabelQuad checks, in an N-Quads file, a marking or confidence quad
// as Mark writes it: its subject a Source or statement, labelled with that
// source (an export of STIX facts reads back).
func checkLabelQuad(rec *Record, q quad.Quad, pred string, subj quad.IRI) {
	src := schema.SourceOf(string(subj))
	if subj == "" || schema.CheckID(src) != nil {
		rec.Errs.Addf(rec.File, rec.Line, "subject", "%s is not a source or statement (expected <source:…> or <source:…#e-…>: %s is said of a label)", q.Subject, pred)
		return
	}
	if l, _ := q.Label.(quad.IRI); string(l) != src {
		rec.Errs.Addf(rec.File, rec.Line, "label", "%s (expected <%s>, the source of the subject)", q.Label, src)
		return
	}
	tmp := &Rec{r: rec}
	before := len(rec.Errs)
	tmp.Mark(rec.Line, "object", string(subj), pred, q.Object)
	if len(rec.Errs) == before {
		rec.Quads = rec.Quads[:len(rec.Quads)-1] // the reader appends the quad itself
	}
}

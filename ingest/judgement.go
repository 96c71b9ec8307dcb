package ingest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"
	"gopkg.in/yaml.v3"

	"github.com/threatgraph/threatgraph/schema"
)

// according reads a fact group's according: (one id or a list: whom the
// source attributes the statement to) and states it on the group's
// statement, labelled with the source: <stmt> <tg:accordingTo> <id>
// <source>. It needs a quote, since it is a property of the statement.
func (d *decoder) according(rec *Record, kind schema.Kind, g *factGroup, label quad.IRI) {
	field := g.field + ".according"
	v := g.according
	switch {
	case kind == schema.Source:
		rec.Errs.Addf(d.file, v.Line, field, "a source's attributes are its own statements (expected according: on the fact groups of an entity)")
		return
	case g.quote == "":
		rec.Errs.Addf(d.file, v.Line, field, "reported speech needs a quote (expected quote: with the source's exact words; according: is a property of that statement)")
		return
	case len(g.preds) == 0:
		rec.Errs.Addf(d.file, v.Line, field, "no facts to attribute (expected predicates besides source, quote and according)")
		return
	}
	ids := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		if len(v.Content) == 0 {
			rec.Errs.Addf(d.file, v.Line, field, "an empty list (expected at least one id)")
			return
		}
		ids = v.Content
	}
	src := quad.IRI(g.source)
	for _, n := range ids {
		if err := checkIDNode(n); err != nil {
			rec.Errs.Add(d.file, n.Line, field, err)
			continue
		}
		if n.Value == g.source {
			rec.Errs.Addf(d.file, n.Line, field, "%s is the statement's own source (expected whom it attributes the statement to: another source, a person, a group or an organisation)", n.Value)
			continue
		}
		rec.Quads = append(rec.Quads, quad.Make(label, quad.IRI(schema.AccordingToIRI), quad.IRI(n.Value), src))
		rec.Refs = append(rec.Refs, Ref{ID: n.Value, Line: n.Line, Field: field, Pred: schema.AccordingTo})
	}
}

// judgement reads one item of judgements: an analyst's statement about
// another source's statement (a rank with a reason), never an edit of it.
// It becomes the quads of a judgement node labelled with the judging source.
func (d *decoder) judgement(idx int, n *yaml.Node) {
	where := fmt.Sprintf("judgements[%d]", idx)
	rec := &Record{File: d.file, Line: n.Line, Where: where, ptr: "/judgements/" + strconv.Itoa(idx)}
	d.records = append(d.records, rec)
	if n.Kind != yaml.MappingNode {
		rec.Errs.Addf(d.file, n.Line, where, "is a %s (expected a mapping with of, rank, reason and note)", nodeKind(n))
		return
	}
	d.duplicateKeys(rec, where, n)
	var of quad.IRI
	var rank, reason, date, note string
	var evidence []quad.IRI
	judge, judgeLine := d.source, n.Line
	rankLine := n.Line
	str := func(v *yaml.Node, field, want string) (string, bool) {
		if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" || strings.TrimSpace(v.Value) == "" {
			rec.Errs.Addf(d.file, v.Line, field, "is a %s (expected %s)", nodeKind(v), want)
			return "", false
		}
		return v.Value, true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := where + "." + k.Value
		switch k.Value {
		case "of":
			if l, ok := d.statementOf(rec, field, v, true); ok {
				of = l
			}
		case "rank":
			if s, ok := str(v, field, "one of "+strings.Join(schema.Ranks, ", ")); ok {
				if !slices.Contains(schema.Ranks, s) {
					rec.Errs.Addf(d.file, v.Line, field, "%q is not a rank (expected one of %s)", s, strings.Join(schema.Ranks, ", "))
					continue
				}
				rank, rankLine = s, v.Line
			}
		case "reason":
			if s, ok := str(v, field, "one of "+strings.Join(schema.ReasonNames(), ", ")); ok {
				if schema.LookupReason(s) == nil {
					rec.Errs.Addf(d.file, v.Line, field, "%q is not a reason (expected one of %s)", s, strings.Join(schema.ReasonNames(), ", "))
					continue
				}
				reason = s
			}
		case "source":
			if err := checkIDNode(v); err != nil {
				rec.Errs.Add(d.file, v.Line, field, err)
				continue
			}
			judge, judgeLine = v.Value, v.Line
		case "date":
			if s, ok := str(v, field, "a date"); ok {
				iv, err := schema.ParseDate(s)
				if err != nil {
					rec.Errs.Add(d.file, v.Line, field, fmt.Errorf("%w: %w", schema.ErrBadValue, err))
					continue
				}
				date = iv.String()
			}
		case "note":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || strings.TrimSpace(v.Value) == "" {
				rec.Errs.Addf(d.file, v.Line, field, "is a %s (expected why, in words: a non-empty string)", nodeKind(v))
				continue
			}
			note = v.Value
		case "evidence":
			if v.Kind != yaml.SequenceNode {
				rec.Errs.Addf(d.file, v.Line, field, "is a %s (expected a list of {source: ..., quote: \"...\"})", nodeKind(v))
				continue
			}
			if len(v.Content) == 0 {
				rec.Errs.Addf(d.file, v.Line, field, "an empty list (expected at least one statement or source, or no evidence field)")
				continue
			}
			for j, it := range v.Content {
				if l, ok := d.statementOf(rec, fmt.Sprintf("%s[%d]", field, j), it, false); ok {
					evidence = append(evidence, l)
				}
			}
		default:
			rec.Errs.Addf(d.file, k.Line, field, "unknown field (expected of, rank, reason, source, date, note or evidence)")
		}
	}
	for _, m := range []struct{ key, want string }{
		{"of", "of: {source: ..., quote: \"...\"}, the judged statement"},
		{"rank", "rank: " + strings.Join(schema.Ranks, ", ")},
		{"reason", "reason: one of " + strings.Join(schema.ReasonNames(), ", ")},
		{"note", "note: why, in words"},
	} {
		if !hasKey(n, m.key) {
			rec.Errs.Addf(d.file, n.Line, where, "missing %s (expected %s)", m.key, m.want)
		}
	}
	if judge == "" {
		rec.Errs.Addf(d.file, n.Line, where, "no judging source (expected source: on the judgement or at the top of the file)")
	}
	var je *schema.JudgementError
	if errors.As(schema.CheckJudgement(string(of), rank, reason, judge), &je) {
		line := rankLine
		if je.Field == "source" {
			line = judgeLine
		}
		rec.Errs.Addf(d.file, line, where+"."+je.Field, "%s", je.Msg)
	}
	if len(rec.Errs) > 0 {
		return
	}
	id := schema.JudgementID(string(of), rank, reason, judge, date, note)
	rec.Where = where + " " + id
	j, l := quad.IRI(id), quad.IRI(judge)
	rec.Quads = append(rec.Quads,
		quad.Make(j, quad.IRI(schema.JudgesIRI), of, l),
		quad.Make(j, quad.IRI(schema.RankIRI), quad.String(rank), l),
		quad.Make(j, quad.IRI(schema.ReasonIRI), quad.String(reason), l),
		quad.Make(j, quad.IRI(schema.NoteIRI), quad.String(note), l))
	if date != "" {
		rec.Quads = append(rec.Quads, quad.Make(j, quad.IRI(schema.JudgedOnIRI), quad.TypedString{Value: quad.String(date), Type: DateType}, l))
	}
	for _, e := range evidence {
		rec.Quads = append(rec.Quads, quad.Make(j, quad.IRI(schema.EvidenceIRI), e, l))
	}
	rec.addRef(judge, judgeLine, where+".source")
}

// statementOf reads {source, quote} (the quote required when needQuote)
// and returns the statement label, with a reference that Load checks: the
// statement must be in the load or in the store. Without a quote it is the
// source itself, which must be a declared Source.
func (d *decoder) statementOf(rec *Record, field string, v *yaml.Node, needQuote bool) (quad.IRI, bool) {
	want := "{source: source:..., quote: \"the exact words of its fact group\"}"
	if !needQuote {
		want = "{source: source:...} or " + want
	}
	if v.Kind != yaml.MappingNode {
		rec.Errs.Addf(d.file, v.Line, field, "is a %s (expected %s)", nodeKind(v), want)
		return "", false
	}
	d.duplicateKeys(rec, field, v)
	var src, q string
	srcLine := v.Line
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, x := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "source":
			if err := checkIDNode(x); err != nil {
				rec.Errs.Add(d.file, x.Line, field+".source", err)
				return "", false
			}
			src, srcLine = x.Value, x.Line
		case "quote":
			s, err := quoteOf(x)
			if err != nil {
				rec.Errs.Add(d.file, x.Line, field+".quote", err)
				return "", false
			}
			q = s
		default:
			rec.Errs.Addf(d.file, k.Line, field+"."+k.Value, "unknown field (expected source and quote)")
			return "", false
		}
	}
	switch {
	case src == "":
		rec.Errs.Addf(d.file, v.Line, field, "missing source (expected %s)", want)
		return "", false
	case q == "" && needQuote:
		rec.Errs.Addf(d.file, v.Line, field, "missing quote (expected %s: a judgement judges one statement)", want)
		return "", false
	case q == "":
		rec.addRef(src, srcLine, field+".source")
		return quad.IRI(src), true
	}
	label := schema.StatementLabel(src, q)
	rec.Refs = append(rec.Refs, Ref{ID: label, Line: v.Line, Field: field, stmt: true})
	return quad.IRI(label), true
}

// checkStatementQuad checks, in an N-Quads file, a quad of reported speech
// (<stmt> <tg:accordingTo> <id>) or of a judgement node, as the native
// reader writes them; checkJudgements then checks each judgement whole.
func checkStatementQuad(rec *Record, q quad.Quad, pred string, subj quad.IRI) {
	bad := func(field, format string, args ...any) { rec.Errs.Addf(rec.File, rec.Line, field, format, args...) }
	if pred == schema.AccordingToIRI {
		if !strings.Contains(string(subj), schema.StatementSep) {
			bad("subject", "%s is not a statement (expected <source:…#e-…>: tg:accordingTo is said of a source's statement)", q.Subject)
			return
		}
		obj, ok := q.Object.(quad.IRI)
		if !ok {
			bad("object", "%s is not an id (expected whom the source attributes the statement to, such as <org:russian-state-media>)", q.Object)
			return
		}
		if err := schema.CheckID(string(obj)); err != nil {
			rec.Errs.Add(rec.File, rec.Line, "object", err)
			return
		}
		rec.Refs = append(rec.Refs, Ref{ID: string(obj), Line: rec.Line, Field: "object", Pred: schema.AccordingTo})
		return
	}
	if !strings.HasPrefix(string(subj), schema.JudgementPrefix) || schema.CheckID(string(subj)) != nil {
		bad("subject", "%s is not a judgement (expected a judgement id such as <%s1a2b3c4d>)", q.Subject, schema.JudgementPrefix)
		return
	}
	if strings.Contains(quad.StringOf(q.Label), schema.StatementSep) {
		bad("label", "%s is a statement (expected the judging Source itself, as <source:…>)", q.Label)
		return
	}
	text, isText := literalText(q.Object)
	obj, isIRI := q.Object.(quad.IRI)
	switch pred {
	case schema.JudgesIRI, schema.EvidenceIRI:
		switch {
		case !isIRI:
			bad("object", "%s is not an IRI (expected a statement <source:…#e-…>, or for evidence a source)", q.Object)
		case strings.Contains(string(obj), schema.StatementSep):
			rec.Refs = append(rec.Refs, Ref{ID: string(obj), Line: rec.Line, Field: "object", stmt: true})
		case pred == schema.EvidenceIRI:
			rec.Refs = append(rec.Refs, Ref{ID: string(obj), Line: rec.Line, Field: "object"})
		default:
			bad("object", "%s is not a statement (expected <source:…#e-…>: a judgement judges one statement)", q.Object)
		}
	case schema.RankIRI:
		if !isText || !slices.Contains(schema.Ranks, text) {
			bad("object", "%s is not a rank (expected one of %s)", q.Object, strings.Join(schema.Ranks, ", "))
		}
	case schema.ReasonIRI:
		if !isText || schema.LookupReason(text) == nil {
			bad("object", "%s is not a reason (expected one of %s)", q.Object, strings.Join(schema.ReasonNames(), ", "))
		}
	case schema.NoteIRI:
		if !isText || strings.TrimSpace(text) == "" {
			bad("object", "%s is not a note (expected why, as a non-empty string)", q.Object)
		}
	case schema.JudgedOnIRI:
		if err := literalOf(&schema.Predicate{Name: "judgedOn", Type: schema.Date}, q.Object); err != nil {
			rec.Errs.Add(rec.File, rec.Line, "object", fmt.Errorf("%w: judgedOn: %w", schema.ErrBadValue, err))
		}
	}
}

// checkJudgements checks each judgement of an N-Quads file whole: one
// judged statement, rank, reason and note, at most one date, one judging
// source (the label), a reason that allows the rank, a judge other than
// the statement's source, and the id that these give (schema.JudgementID),
// so that a judgement reads back as the native reader wrote it.
func checkJudgements(f *File) {
	type parts struct {
		recs  map[string][]*Record
		vals  map[string][]string
		label string
		first *Record
	}
	byID := map[string]*parts{}
	var order []string
	for _, r := range f.Records {
		if len(r.Errs) > 0 || len(r.Quads) == 0 {
			continue
		}
		q := r.Quads[0]
		p, _ := q.Predicate.(quad.IRI)
		if !schema.IsJudgementIRI(string(p)) {
			continue
		}
		subj := lexicalOf(q.Subject)
		j := byID[subj]
		if j == nil {
			j = &parts{recs: map[string][]*Record{}, vals: map[string][]string{}, label: lexicalOf(q.Label), first: r}
			byID[subj] = j
			order = append(order, subj)
		}
		if l := lexicalOf(q.Label); l != j.label {
			r.Errs.Addf(r.File, r.Line, "label", "this judgement is stated by %s at line %d (expected one judging source per judgement)", j.label, j.first.Line)
			continue
		}
		j.recs[string(p)] = append(j.recs[string(p)], r)
		j.vals[string(p)] = append(j.vals[string(p)], lexicalOf(q.Object))
	}
	for _, subj := range order {
		j := byID[subj]
		ok := true
		for _, p := range []string{schema.JudgesIRI, schema.RankIRI, schema.ReasonIRI, schema.NoteIRI, schema.JudgedOnIRI} {
			n := len(j.vals[p])
			switch {
			case n == 0 && p != schema.JudgedOnIRI:
				j.first.Errs.Addf(f.Name, j.first.Line, "subject", "judgement %s has no %s (expected one, as the native format's judgements write it)", subj, p)
				ok = false
			case n > 1:
				r := j.recs[p][1]
				r.Errs.Addf(f.Name, r.Line, "predicate", "judgement %s has a second %s (first at line %d; expected one)", subj, p, j.recs[p][0].Line)
				ok = false
			}
		}
		if !ok {
			continue
		}
		one := func(p string) string {
			if v := j.vals[p]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		at := j.recs[schema.JudgesIRI][0]
		judged, rank, reason, judge := one(schema.JudgesIRI), one(schema.RankIRI), one(schema.ReasonIRI), j.label
		var je *schema.JudgementError
		if errors.As(schema.CheckJudgement(judged, rank, reason, judge), &je) {
			if je.Field == "rank" {
				at.Errs.Addf(f.Name, j.recs[schema.RankIRI][0].Line, "object", "%s", je.Msg)
			} else {
				at.Errs.Addf(f.Name, at.Line, "label", "%s", je.Msg)
			}
			continue
		}
		if want := schema.JudgementID(judged, rank, reason, judge, one(schema.JudgedOnIRI), one(schema.NoteIRI)); want != subj {
			at.Errs.Addf(f.Name, at.Line, "subject", "%s is not the id of this judgement (expected <%s>: a judgement's id is a hash of its statement, rank, reason, source, date and note)", subj, want)
		}
	}
}

// lexicalOf returns the text of an IRI or a literal.
func lexicalOf(v quad.Value) string {
	if s, ok := literalText(v); ok {
		return s
	}
	if iri, ok := v.(quad.IRI); ok {
		return string(iri)
	}
	return quad.StringOf(v)
}

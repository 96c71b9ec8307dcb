package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"

	"github.com/threatgraph/threatgraph/schema"
)

// parseLine parses one N-Quads line; ok is false for a blank or comment line.
func parseLine(text string) (q quad.Quad, ok bool, err error) {
	t := strings.TrimSpace(text)
	if t == "" || strings.HasPrefix(t, "#") {
		return quad.Quad{}, false, nil
	}
	q, err = nquads.Parse(t)
	if err != nil {
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "failed to parse") {
			msg = msg[i+2:]
		}
		return quad.Quad{}, false, fmt.Errorf("N-Quads syntax: %s (expected <subject> <predicate> object <source> .)", msg)
	}
	if q.Subject == nil || q.Predicate == nil || q.Object == nil {
		return quad.Quad{}, false, fmt.Errorf("N-Quads syntax: incomplete statement (expected <subject> <predicate> object <source> .)")
	}
	if q.Label == nil {
		return quad.Quad{}, false, fmt.Errorf("no label: every fact needs its source as the fourth term (expected <subject> <predicate> object <source> .)")
	}
	if !isNode(q.Subject) {
		return quad.Quad{}, false, fmt.Errorf("subject %s is not an IRI or blank node (expected <subject> <predicate> object <source> .)", q.Subject)
	}
	if p, ok := q.Predicate.(quad.IRI); !ok || p == "" {
		return quad.Quad{}, false, fmt.Errorf("predicate %s is not an IRI (expected <subject> <predicate> object <source> .)", q.Predicate)
	}
	switch o := q.Object.(type) {
	case quad.IRI, quad.BNode:
		if !isNode(o) {
			return quad.Quad{}, false, fmt.Errorf("object %s is an empty IRI (expected an IRI, a blank node or a literal)", q.Object)
		}
	}
	if !isNode(q.Label) {
		return quad.Quad{}, false, fmt.Errorf("label %s is not an IRI (expected the source, as <source:...>)", q.Label)
	}
	return q, true, nil
}

// parseNQuads reads an N-Quads file into one record per statement, checking
// tg: predicates and kinds against the vocabulary.
func parseNQuads(f *File, data []byte) {
	if err := checkText(data); err != nil {
		le := err.(*lineError)
		f.FileErrs.Add(f.Name, le.Line, "", errors.New(le.Msg))
		return
	}
	line := 0
	for len(data) > 0 {
		line++
		text := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if rec := nquadsRecord(f.Name, line, text); rec != nil {
			f.Records = append(f.Records, rec)
		}
	}
	if len(f.Records) == 0 {
		f.FileErrs.Add(f.Name, 0, "", errors.New("no statements (expected N-Quads lines)"))
	}
	checkDerived(f)
	checkJudgements(f)
}

// nquadsRecord reads one line of an N-Quads file into its record, checked
// on its own (parseNQuads and the streamed load then check the records
// together); nil for a blank or comment line.
func nquadsRecord(file string, line int, text []byte) *Record {
	q, ok, err := parseLine(string(text))
	if !ok && err == nil {
		return nil
	}
	rec := &Record{File: file, Line: line, Where: "line " + strconv.Itoa(line)}
	if err != nil {
		rec.Errs.Add(file, line, "", err)
		return rec
	}
	rec.Quads = []quad.Quad{q}
	checkQuad(rec, q)
	// Names and aliases get their lookup key, as in the native format,
	// so that show and search find entities loaded from N-Quads.
	if p, _ := q.Predicate.(quad.IRI); p == "tg:name" || p == "tg:alias" {
		if s, ok := literalText(q.Object); ok {
			key := schema.NameKey(s)
			rec.Quads = append(rec.Quads, quad.Make(q.Subject, quad.IRI(schema.KeyIRI), quad.String(key), q.Label))
			if subj, ok := q.Subject.(quad.IRI); ok {
				rec.names = append(rec.names, nameKey{subj: string(subj), text: s, key: key, line: line, field: "object"})
			}
		}
	}
	return rec
}

// checkDerived refuses, in an N-Quads file, what threatgraph derives itself
// but the file states otherwise: a lookup key (tg:key) that is not the key
// of a name or alias the file gives the same entity, which would make an
// entity answer to a name nobody sees, or make a real name ambiguous; and a
// statement (a label source#e-hash) whose quote does not hash to its id,
// whose tg:statedIn names another source, or which has no quote in the file.
// Our own export writes all of these consistently, so it reads back.
func checkDerived(f *File) {
	dt := newDerivedTables()
	for _, r := range f.Records {
		dt.add(r)
	}
	for _, r := range f.Records {
		dt.check(r)
	}
}

// derivedTables are what checkDerived needs of a whole file: the keys of
// each subject's names, and the statements with a matching quote.
type derivedTables struct {
	keys   map[[2]string]bool // subject and key of each name in this file
	quoted map[string]bool    // statements with a matching quote
}

func newDerivedTables() *derivedTables {
	return &derivedTables{keys: map[[2]string]bool{}, quoted: map[string]bool{}}
}

// add takes a record's names and quote into the tables, refusing a quote
// whose statement id is not its hash.
func (dt *derivedTables) add(r *Record) {
	for _, n := range r.names {
		dt.keys[[2]string{n.subj, n.key}] = true
	}
	if len(r.Errs) > 0 || len(r.Quads) == 0 {
		return
	}
	q := r.Quads[0]
	if p, _ := q.Predicate.(quad.IRI); string(p) == schema.QuoteIRI {
		subj, _ := q.Subject.(quad.IRI)
		text, _ := literalText(q.Object)
		if schema.StatementLabel(schema.SourceOf(string(subj)), text) == string(subj) {
			dt.quoted[string(subj)] = true
		} else {
			r.Errs.Addf(r.File, r.Line, "subject", "%s is not the statement id of this quote (expected <%s>: a statement's id is its source and a hash of its quote)", string(subj), schema.StatementLabel(schema.SourceOf(string(subj)), text))
		}
	}
}

// check applies the tables, complete, to one record.
func (dt *derivedTables) check(r *Record) {
	keys, quoted := dt.keys, dt.quoted
	if len(r.Errs) > 0 || len(r.Quads) == 0 {
		return
	}
	q := r.Quads[0]
	subj, _ := q.Subject.(quad.IRI)
	label, _ := q.Label.(quad.IRI)
	switch p, _ := q.Predicate.(quad.IRI); string(p) {
	case schema.KeyIRI:
		text, _ := literalText(q.Object)
		if !keys[[2]string{string(subj), text}] {
			r.Errs.Addf(r.File, r.Line, "predicate", "tg:key %q is not the key of a name or alias of %s in this file (keys are derived by threatgraph from tg:name and tg:alias: state the name instead)", text, string(subj))
			return
		}
	case schema.AccordingToIRI:
		if !quoted[string(subj)] {
			r.Errs.Addf(r.File, r.Line, "subject", "%s is a statement, but this file gives it no matching quote (expected a line <%s> <tg:quote> \"the exact words\" <%s> .)", string(subj), subj, schema.SourceOf(string(subj)))
			return
		}
		if string(label) != schema.SourceOf(string(subj)) {
			r.Errs.Addf(r.File, r.Line, "label", "%s is labelled %s, but the statement is of %s (expected <%s>: reported speech is stated by the statement's source)", string(subj), string(label), schema.SourceOf(string(subj)), schema.SourceOf(string(subj)))
			return
		}
	case schema.StatedInIRI:
		if obj, _ := q.Object.(quad.IRI); string(obj) != schema.SourceOf(string(subj)) {
			r.Errs.Addf(r.File, r.Line, "object", "%s is stated in %s, but its id names %s (expected <%s>)", string(subj), schema.Escape(fmt.Sprint(q.Object)), schema.SourceOf(string(subj)), schema.SourceOf(string(subj)))
			return
		}
	}
	if strings.Contains(string(label), schema.StatementSep) && !quoted[string(label)] {
		r.Errs.Addf(r.File, r.Line, "label", "%s is a statement, but this file gives it no matching quote (expected a line <%s> <tg:quote> \"the exact words\" <%s> .)", string(label), label, schema.SourceOf(string(label)))
	}
}

// checkQuad applies the vocabulary to one statement, as the native reader
// does: the label is a source (checked by link), tg: predicates apply to
// the subject's kind (link) and their objects have the vocabulary's type.
func checkQuad(rec *Record, q quad.Quad) {
	pred, ok := q.Predicate.(quad.IRI)
	if !ok {
		rec.Errs.Addf(rec.File, rec.Line, "predicate", "%s is not an IRI", q.Predicate)
		return
	}
	label, ok := q.Label.(quad.IRI)
	if !ok {
		rec.Errs.Addf(rec.File, rec.Line, "label", "%s is a blank node (expected the IRI of a Source declared in these files or the store, as <source:...>)", q.Label)
		return
	}
	src := schema.SourceOf(string(label))
	if err := schema.CheckID(src); err != nil {
		rec.Errs.Add(rec.File, rec.Line, "label", err)
		return
	}
	rec.Refs = append(rec.Refs, Ref{ID: src, Line: rec.Line, Field: "label"})
	subj, _ := q.Subject.(quad.IRI)
	if string(pred) == schema.AccordingToIRI || schema.IsJudgementIRI(string(pred)) {
		checkStatementQuad(rec, q, string(pred), subj)
		return
	}
	if string(pred) == schema.MarkingIRI || string(pred) == schema.ConfidenceIRI {
		checkLabelQuad(rec, q, string(pred), subj) // builder_stix.go
		return
	}
	if string(pred) == schema.TypeIRI || strings.HasPrefix(string(pred), "tg:") && string(pred) != schema.QuoteIRI && string(pred) != schema.StatedInIRI {
		// A statement about an entity: its subject is an entity id.
		if subj == "" {
			if obj, _ := q.Object.(quad.IRI); string(pred) == schema.TypeIRI && !strings.HasPrefix(string(obj), "tg:") {
				return // a type of another vocabulary
			}
			rec.Errs.Addf(rec.File, rec.Line, "subject", "%s is a blank node (expected an entity id such as <group:isis-k>)", q.Subject)
			return
		}
		if err := schema.CheckID(string(subj)); err != nil {
			rec.Errs.Add(rec.File, rec.Line, "subject", err)
			return
		}
	}
	switch {
	case string(pred) == schema.TypeIRI:
		obj, _ := q.Object.(quad.IRI)
		if !strings.HasPrefix(string(obj), "tg:") {
			return // a type of another vocabulary
		}
		k, ok := schema.KindFromIRI(string(obj))
		if !ok {
			rec.Errs.Add(rec.File, rec.Line, "object", fmt.Errorf("%w %s (expected one of %s)", schema.ErrUnknownKind, q.Object, schema.JoinKinds(schema.Kinds, ", ")))
			return
		}
		rec.Defines = append(rec.Defines, Def{ID: string(subj), Kind: k, Line: rec.Line})
	case strings.HasPrefix(string(pred), "tg:"):
		if string(pred) == schema.QuoteIRI || string(pred) == schema.StatedInIRI {
			return
		}
		p := schema.LookupIRI(string(pred))
		if p == nil {
			rec.Errs.Add(rec.File, rec.Line, "predicate", fmt.Errorf("%w %s%s (expected a predicate of the vocabulary, see docs/format.md)", schema.ErrUnknownPredicate, q.Predicate, suggest(strings.TrimPrefix(string(pred), "tg:"))))
			return
		}
		if err := literalOf(p, q.Object); err != nil {
			rec.Errs.Add(rec.File, rec.Line, "object", fmt.Errorf("%w: %s: %w", schema.ErrBadValue, p.Name, err))
			return
		}
		// The subject must be declared, with a kind the predicate applies to.
		rec.Refs = append(rec.Refs, Ref{ID: string(subj), Line: rec.Line, Field: "subject", Pred: p, domain: true})
		if p.Type == schema.Entity {
			obj := q.Object.(quad.IRI)
			if p.NoSelf() && obj == subj {
				rec.Errs.Add(rec.File, rec.Line, "object", fmt.Errorf("%w: %s %s itself (expected another entity)", schema.ErrBadValue, string(subj), p.Name))
				return
			}
			rec.Refs = append(rec.Refs, Ref{ID: string(obj), Line: rec.Line, Field: "object", Pred: p, subj: string(subj)})
		}
		if !p.Multi && !p.Derived {
			rec.attrs = append(rec.attrs, attr{subj: string(subj), pred: p, val: q.Object, line: rec.Line, field: "object"})
		}
	}
}

// literalOf checks that an N-Quads object has the type the vocabulary gives
// predicate p, written as threatgraph writes it (so an export reads back).
func literalOf(p *schema.Predicate, v quad.Value) error {
	text, isText := literalText(v)
	if ts, ok := v.(quad.TypedString); ok && p.Type != schema.Date && ts.Type != "xsd:string" && ts.Type != "http://www.w3.org/2001/XMLSchema#string" {
		isText = false
	}
	switch p.Type {
	case schema.Entity:
		obj, ok := v.(quad.IRI)
		if !ok {
			return fmt.Errorf("takes an entity (expected an IRI such as <group:isis-k>, got %s)", v)
		}
		return schema.CheckID(string(obj))
	case schema.Count:
		if ts, ok := v.(quad.TypedString); ok && ts.Type == schema.CountType {
			q, err := schema.ParseCountLiteral(string(ts.Value))
			if err == nil && q.Plain() {
				err = fmt.Errorf("%q is an exact count of everyone (expected the integer \"%d\"^^<http://www.w3.org/2001/XMLSchema#integer>)", ts.Value, q.Lower)
			}
			return err
		}
		n, ok := v.(quad.Int)
		if !ok {
			return fmt.Errorf("%s is not a count (expected a whole number such as \"137\"^^<http://www.w3.org/2001/XMLSchema#integer>, or bounds such as \"137/||at least 137\"^^<%s>)", v, schema.CountType)
		}
		if _, err := schema.ParseCount(strconv.FormatInt(int64(n), 10)); err != nil {
			return err
		}
	case schema.Float:
		var f float64
		switch x := v.(type) {
		case quad.Float:
			f = float64(x)
		case quad.Int:
			f = float64(x)
		default:
			return fmt.Errorf("%s is not a number (expected an xsd:double or xsd:integer literal)", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s is not a finite number", v)
		}
		if p.Min != p.Max && (f < p.Min || f > p.Max) {
			return fmt.Errorf("%v is out of range (expected %v to %v)", f, p.Min, p.Max)
		}
	case schema.Bool:
		if _, ok := v.(quad.Bool); !ok {
			return fmt.Errorf("%s is not a boolean (expected \"true\"^^<http://www.w3.org/2001/XMLSchema#boolean> or false)", v)
		}
	case schema.Date:
		ts, ok := v.(quad.TypedString)
		if !ok || ts.Type != DateType {
			return fmt.Errorf("%s is not a date literal (expected a date such as \"2024-03-22\"^^%s)", v, DateType)
		}
		iv, err := schema.ParseDate(string(ts.Value))
		if err != nil {
			return err
		}
		if iv.String() != string(ts.Value) {
			return fmt.Errorf("%q is not in canonical form (expected \"%s\"^^%s)", ts.Value, iv.String(), DateType)
		}
	case schema.String, schema.Enum, schema.URL:
		if !isText {
			return fmt.Errorf("%s is not a string literal (expected %s)", v, p.Type)
		}
		switch {
		case strings.TrimSpace(text) == "":
			return fmt.Errorf("empty string (expected text)")
		case p.Type == schema.Enum && !slices.Contains(p.Enum, text):
			return fmt.Errorf("%q is not allowed (expected one of %s)", text, strings.Join(p.Enum, ", "))
		case p.Type == schema.URL:
			if u, err := url.Parse(text); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%q is not an http(s) URL", text)
			}
		case p.OneLine:
			return schema.CheckText(text)
		}
	}
	return nil
}

// isNode reports whether v may stand as a subject or label: a non-empty IRI
// or a blank node.
func isNode(v quad.Value) bool {
	switch x := v.(type) {
	case quad.IRI:
		return x != ""
	case quad.BNode:
		return x != ""
	}
	return false
}

// literalText returns the text of a string literal (plain, typed or with a
// language tag).
func literalText(v quad.Value) (string, bool) {
	switch x := v.(type) {
	case quad.String:
		return string(x), true
	case quad.LangString:
		return string(x.Value), true
	case quad.TypedString:
		return string(x.Value), true
	}
	return "", false
}

// LiteralText returns the text of a string literal (plain, typed or with a
// language tag), for the packages that read a File's quads.
func LiteralText(v quad.Value) (string, bool) { return literalText(v) }

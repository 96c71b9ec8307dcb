package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"

	"github.com/threatgraph/threatgraph/schema"
)

// Quads returns an iterator over the N-Quads statements read from r, read
// with cayley's parser one line at a time so that errors carry the line.
// Each pair is a valid quad and a nil error, or a zero quad and a non-nil
// *schema.FieldError; after reporting an error the iterator stops. Blank
// lines and comments are skipped. Every quad must have a label (its source).
// It returns a single-use iterator.
func Quads(name string, r io.Reader) iter.Seq2[quad.Quad, error] {
	return func(yield func(quad.Quad, error) bool) {
		br := bufio.NewReader(r)
		for line := 1; ; line++ {
			text, err := br.ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				yield(quad.Quad{}, &schema.FieldError{File: name, Line: line, Err: fmt.Errorf("reading: %w", err)})
				return
			}
			if text != "" {
				q, ok, perr := parseLine(text)
				if perr != nil {
					yield(quad.Quad{}, &schema.FieldError{File: name, Line: line, Err: perr})
					return
				}
				if ok && !yield(q, nil) {
					return
				}
			}
			if err != nil { // io.EOF
				return
			}
		}
	}
}

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
		q, ok, err := parseLine(string(text))
		if !ok && err == nil {
			continue
		}
		rec := &Record{File: f.Name, Line: line, Where: fmt.Sprintf("line %d", line)}
		f.Records = append(f.Records, rec)
		if err != nil {
			rec.Errs.Add(f.Name, line, "", err)
			continue
		}
		rec.Quads = []quad.Quad{q}
		checkQuad(rec, q)
		// Names and aliases get their lookup key, as in the native format,
		// so that show and search find entities loaded from N-Quads.
		if p, _ := q.Predicate.(quad.IRI); p == "tg:name" || p == "tg:alias" {
			if s, ok := literalText(q.Object); ok {
				rec.Quads = append(rec.Quads, quad.Make(q.Subject, quad.IRI(schema.KeyIRI), quad.String(schema.NameKey(s)), q.Label))
			}
		}
	}
	if len(f.Records) == 0 {
		f.FileErrs.Add(f.Name, 0, "", errors.New("no statements (expected N-Quads lines)"))
	}
}

func checkQuad(rec *Record, q quad.Quad) {
	pred, ok := q.Predicate.(quad.IRI)
	if !ok {
		rec.Errs.Addf(rec.File, rec.Line, "predicate", "%s is not an IRI", q.Predicate)
		return
	}
	subj, _ := q.Subject.(quad.IRI)
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
		if subj != "" {
			rec.Defines = append(rec.Defines, Def{ID: string(subj), Kind: k, Line: rec.Line})
		}
	case strings.HasPrefix(string(pred), "tg:"):
		if string(pred) == schema.QuoteIRI || string(pred) == schema.StatedInIRI {
			return
		}
		p := schema.LookupIRI(string(pred))
		if p == nil {
			rec.Errs.Add(rec.File, rec.Line, "predicate", fmt.Errorf("%w %s%s (expected a predicate of the vocabulary, see docs/format.md)", schema.ErrUnknownPredicate, q.Predicate, suggest(strings.TrimPrefix(string(pred), "tg:"))))
			return
		}
		if p.Type == schema.Entity {
			obj, ok := q.Object.(quad.IRI)
			if !ok {
				rec.Errs.Addf(rec.File, rec.Line, "object", "%s takes an entity (expected an IRI such as <group:isis-k>, got %s)", p.Name, q.Object)
				return
			}
			rec.Refs = append(rec.Refs, Ref{ID: string(obj), Line: rec.Line, Field: "object", Pred: p})
		}
		if p.Type == schema.Count {
			if n, ok := q.Object.(quad.Int); !ok || n < 0 {
				rec.Errs.Addf(rec.File, rec.Line, "object", "%s is %s (expected a non-negative integer)", p.Name, q.Object)
			}
		}
	}
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

package query

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// The fields of a TextDoc.
const (
	FieldName        = "name"
	FieldAlias       = "alias"
	FieldDescription = "description"
	FieldQuote       = "quote"
)

// A TextDoc is one text that full-text search finds: an entity's name,
// alias or description as one source (or statement) gives it, or the quote
// of a statement about the entity (one doc per entity the statement's
// facts are about).
type TextDoc struct {
	Entity    string // the entity's id
	Field     string // FieldName, FieldAlias, FieldDescription or FieldQuote
	Text      string // as the source wrote it
	Source    string // the source that states it
	Statement string // the statement (source#e-hash) it belongs to; "" when stated without a quote
}

// A TextHit is a doc that a full-text search found, with its score (the
// higher the better, comparable within one answer only).
type TextHit struct {
	Field     string  `json:"field"`
	Text      string  `json:"text"`
	Source    string  `json:"source"`
	Statement string  `json:"statement,omitempty"`
	Score     float64 `json:"score"`
	Entity    string  `json:"-"` // given as the result's id
}

// A TextIndex is a full-text index of one store generation, as Reader
// uses it.
type TextIndex interface {
	// Search returns the docs that hold every word of text, best first
	// (ties by a stable doc key), skipping the first from, at most size.
	Search(ctx context.Context, text string, from, size int) ([]TextHit, error)
	Close() error
}

// A TextIndexOpener returns the full-text index of the store whose state
// is stamp: the one kept in dir when its stamp is stamp, else one built
// from docs (and kept in dir when it can be). A non-nil index with an error
// is usable, but could not be kept in dir (err says why).
type TextIndexOpener func(ctx context.Context, dir, stamp string, docs func(ctx context.Context, fn func(TextDoc) error) error) (TextIndex, error)

// textDocsVersion moves on with any change of what textDocs gives (an
// index built from other docs is rebuilt).
const textDocsVersion = 1

// stamp returns the store's state that answers kept beside the store (the
// full-text index) are built from: its generation (which every load and
// retraction moves on; the quad count for a store without one) and its
// quad count.
func (r *Reader) stamp(ctx context.Context) (string, error) {
	n, err := r.store.Count(ctx)
	if err != nil {
		return "", err
	}
	g, err := generationOf(ctx, r.store, n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("gen=%d quads=%d", g, n), nil
}

// textIndex returns the full-text index, opening it the first time; nil
// when the Reader has no TextIndex opener.
func (r *Reader) textIndex(ctx context.Context) (TextIndex, error) {
	if r.opts.TextIndex == nil {
		return nil, nil
	}
	r.textMu.Lock()
	defer r.textMu.Unlock()
	if r.text != nil {
		return r.text, nil
	}
	st, err := r.stamp(ctx)
	if err != nil {
		return nil, err
	}
	ix, err := r.opts.TextIndex(ctx, r.opts.Dir, fmt.Sprintf("%s docs=%d", st, textDocsVersion), func(ctx context.Context, fn func(TextDoc) error) error {
		return textDocs(ctx, r.store, fn)
	})
	switch {
	case ix == nil:
		return nil, err
	case errors.Is(err, fs.ErrPermission):
		r.opts.Logger.DebugContext(ctx, "text index not kept beside the store", "err", err)
	case err != nil:
		r.opts.Logger.WarnContext(ctx, "text index not kept beside the store", "err", err)
	}
	r.text = ix
	// The Reader has no Close: its index closes when it is collected.
	runtime.AddCleanup(r, func(ix TextIndex) { _ = ix.Close() }, ix)
	return ix, nil
}

// textDocs calls fn for every doc of the store, from one Scan: the names,
// aliases and descriptions of every entity (anything with a kind), and the
// quote of every statement, once per entity its facts are about.
func textDocs(ctx context.Context, qs Store, fn func(TextDoc) error) error {
	typed := map[string]bool{}
	var fields []TextDoc
	quotes := map[string]string{}         // statement -> quote
	about := map[string]map[string]bool{} // statement -> subjects of its facts
	err := qs.Scan(ctx, func(q quad.Quad) error {
		s, p, label := string(labelIRI(q.Subject)), string(labelIRI(q.Predicate)), string(labelIRI(q.Label))
		switch p {
		case schema.TypeIRI:
			typed[s] = true
			return nil
		case schema.QuoteIRI:
			if t, ok := q.Object.(quad.String); ok {
				quotes[s] = string(t)
			}
			return nil
		case "tg:" + schema.NamePred, "tg:" + schema.AliasPred, "tg:" + FieldDescription:
			if t, ok := q.Object.(quad.String); ok {
				fields = append(fields, TextDoc{Entity: s, Field: strings.TrimPrefix(p, "tg:"), Text: string(t), Source: schema.SourceOf(label), Statement: statementOf(label)})
			}
		}
		if statementOf(label) != "" {
			m := about[label]
			if m == nil {
				m = map[string]bool{}
				about[label] = m
			}
			m[s] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range fields {
		if typed[d.Entity] {
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	for stmt, text := range quotes {
		for s := range about[stmt] {
			if typed[s] {
				if err := fn(TextDoc{Entity: s, Field: FieldQuote, Text: text, Source: schema.SourceOf(stmt), Statement: stmt}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// statementOf returns label when it is a statement (source#e-hash), else "".
func statementOf(label string) string {
	if strings.Contains(label, schema.StatementSep) {
		return label
	}
	return ""
}

// A SearchResult is one result of SearchAll: an entity whose name or alias
// contains the text (Matched set, TextHit nil), or a doc that full-text
// search found (TextHit set: the field, text, source, statement and score;
// ID, Kind and Name are its entity's).
type SearchResult struct {
	Match
	*TextHit
}

// SearchAll returns the name and alias matches of Search (at most limit),
// then the full-text hits (at most limit; limit 0: all), best first,
// leaving out a name or alias hit of an entity already matched by name.
// Without a TextIndex opener it returns the name and alias matches only.
func (r *Reader) SearchAll(ctx context.Context, text string, limit int) ([]SearchResult, error) {
	ms, err := r.Search(ctx, text, limit)
	if err != nil {
		return nil, err
	}
	out := make([]SearchResult, 0, len(ms))
	named := map[string]bool{}
	for _, m := range ms {
		out = append(out, SearchResult{Match: m})
		named[m.ID] = true
	}
	hits, err := r.TextSearch(ctx, text, limit, func(h TextHit) bool {
		return named[h.Entity] && (h.Field == FieldName || h.Field == FieldAlias)
	})
	if err != nil {
		return nil, err
	}
	return append(out, hits...), nil
}

// TextSearch returns the full-text hits of text, best first (ties by
// entity, field, text and statement), at most limit (0: all), leaving out
// those skip reports; none without a TextIndex opener.
func (r *Reader) TextSearch(ctx context.Context, text string, limit int, skip func(TextHit) bool) ([]SearchResult, error) {
	ix, err := r.textIndex(ctx)
	if err != nil || ix == nil || strings.TrimSpace(text) == "" {
		return []SearchResult{}, err
	}
	const page = 100
	var hits []TextHit
	for from := 0; limit == 0 || len(hits) < limit; from += page {
		got, err := ix.Search(ctx, text, from, page)
		if err != nil {
			return nil, err
		}
		for _, h := range got {
			if skip == nil || !skip(h) {
				h.Score = math.Round(h.Score*1e4) / 1e4 // stable digits in JSON
				hits = append(hits, h)
			}
		}
		if len(got) < page {
			break
		}
	}
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	slices.SortStableFunc(hits, func(a, b TextHit) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Entity, b.Entity), strings.Compare(a.Field, b.Field),
			strings.Compare(a.Text, b.Text), strings.Compare(a.Statement, b.Statement))
	})
	out := make([]SearchResult, 0, len(hits))
	for i := range hits {
		kind, name, err := kindAndName(ctx, r.store, hits[i].Entity)
		if err != nil {
			return nil, err
		}
		out = append(out, SearchResult{Match: Match{ID: hits[i].Entity, Kind: kind, Name: name}, TextHit: &hits[i]})
	}
	return out, nil
}

package ingest

import (
	"context"
	"fmt"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// quoteCollisions refuses a statement whose label is another quote's: a
// statement's id is its source and a short hash of its quote
// (schema.StatementLabel), and two different quotes can hash alike. The
// facts of both would then read as one statement, with two quotes. The
// second quote's record gets the problem, whether the first is in the load
// or in the store (looked up when the target can read edges).
func quoteCollisions(ctx context.Context, t Target, files []*File) error {
	type first struct {
		text, file string
		line       int
	}
	seen := map[string]first{}
	er, _ := t.(EdgeReader)
	for _, f := range files {
		for _, r := range f.Records {
			for _, q := range r.Quads {
				if p, _ := q.Predicate.(quad.IRI); string(p) != schema.QuoteIRI {
					continue
				}
				label, _ := q.Subject.(quad.IRI)
				text, ok := literalText(q.Object)
				if !ok || label == "" {
					continue
				}
				prev, known := seen[string(label)]
				if !known && er != nil {
					err := er.Out(ctx, label, func(sq quad.Quad) error {
						if p, _ := sq.Predicate.(quad.IRI); string(p) == schema.QuoteIRI {
							if st, ok := literalText(sq.Object); ok && st != text {
								prev, known = first{text: st, file: "the store"}, true
							}
						}
						return nil
					})
					if err != nil {
						return fmt.Errorf("looking up statement %s in the store: %w", label, err)
					}
				}
				if !known {
					seen[string(label)] = first{text: text, file: r.File, line: r.Line}
					continue
				}
				if prev.text == text {
					continue
				}
				where := prev.file
				if prev.line > 0 {
					where = fmt.Sprintf("%s:%d", prev.file, prev.line)
				}
				r.Errs.Addf(r.File, r.Line, "quote", "the statement id %s of this quote is also that of another quote (%s: %q): two quotes whose short hashes coincide (expected a quote worded apart, e.g. with a few more of the source's words)", label, where, clip(prev.text, 80))
			}
		}
	}
	return nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

package query

import (
	"context"
	"slices"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// Markings: a label (a Source or one of its statements) may carry
// <label> <tg:marking> <marking:tlp-amber> (STIX object markings, read by
// ingest/stix). A fact is marked by its label's markings and its source's;
// an answer names the most restrictive TLP marking of the facts it used
// (schema.MostRestrictive), so that nothing is passed on less restricted
// than its source marked it.

// isLabelMeta reports whether pred is a property of a label rather than a
// fact about an entity: a marking or a confidence.
func isLabelMeta(pred string) bool { return pred == schema.MarkingIRI || pred == schema.ConfidenceIRI }

// sourceMarkings returns the markings of a Source label itself (cached),
// and records its coding in c.srcCoding on the way (one read of the
// source's quads for both).
func (c *quoteCache) sourceMarkings(ctx context.Context, src string) ([]string, error) {
	if c.srcMarks == nil {
		c.srcMarks = map[string][]string{}
		c.srcCoding = map[string]string{}
	}
	if ms, ok := c.srcMarks[src]; ok {
		return ms, nil
	}
	var ms []string
	coding := ""
	err := c.qs.Quads(ctx, quad.Subject, quad.IRI(src), func(q quad.Quad) error {
		switch string(labelIRI(q.Predicate)) {
		case schema.MarkingIRI:
			if m := string(labelIRI(q.Object)); !slices.Contains(ms, m) {
				ms = append(ms, m)
			}
		case schema.CodingIRI:
			if s, ok := q.Object.(quad.String); ok && string(s) == schema.MachineCoding {
				coding = schema.MachineCoding
			}
		}
		return nil
	})
	slices.Sort(ms)
	if len(c.srcMarks) >= quoteCacheMax {
		clear(c.srcMarks)
		clear(c.srcCoding)
	}
	c.srcMarks[src] = ms
	c.srcCoding[src] = coding
	return ms, err
}

// markingsOf returns every marking of a label: its own and its source's.
func (c *quoteCache) markingsOf(ctx context.Context, label string, st stmtInfo) ([]string, error) {
	src, err := c.sourceMarkings(ctx, schema.SourceOf(label))
	if err != nil || len(st.markings) == 0 {
		return src, err
	}
	out := slices.Clone(st.markings)
	for _, m := range src {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out, nil
}

// cardMarkings returns the most restrictive TLP marking of the evidence in
// facts, and every marking they carry (TLP or not), sorted.
func cardMarkings(facts ...[]Fact) (string, []string) {
	var all []string
	for _, fs := range facts {
		for _, f := range fs {
			for _, e := range f.Evidence {
				for _, m := range e.Markings {
					if !slices.Contains(all, m) {
						all = append(all, m)
					}
				}
			}
		}
	}
	slices.Sort(all)
	return schema.MostRestrictive(all...), all
}

// storeMarking returns the most restrictive TLP marking, and every
// marking, of the labels whose source b uses: what an export under that
// policy may carry. It reads the marking quads only (the predicate
// index), so it errs on the side of marking: a fact left out by another
// filter (kind, window) still counts.
func storeMarking(ctx context.Context, qs Store, b belief) (string, []string, error) {
	var all []string
	err := qs.Quads(ctx, quad.Predicate, quad.IRI(schema.MarkingIRI), func(q quad.Quad) error {
		if !b.UsesLabel(string(labelIRI(q.Subject))) {
			return nil
		}
		if m := string(labelIRI(q.Object)); !slices.Contains(all, m) {
			all = append(all, m)
		}
		return nil
	})
	slices.Sort(all)
	return schema.MostRestrictive(all...), all, err
}

// exportBelief is the belief policy of an export's scope (its sources,
// already checked by the export).
func exportBelief(sc Scope) belief {
	set := func(ids []string) map[string]bool {
		if len(ids) == 0 {
			return nil
		}
		m := map[string]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	return belief{only: set(sc.Sources), except: set(sc.ExcludeSources)}
}

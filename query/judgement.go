package query

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// A Judgement is an analyst's statement about another source's statement:
// a rank (preferred, normal, deprecated) with a reason, who judged, when,
// why and on what evidence. It never changes the judged statement; reads
// show it beside it, and analytics leave out what it deprecates.
type Judgement struct {
	ID       string     `json:"id"`
	Rank     string     `json:"rank"`
	Reason   string     `json:"reason"`
	Source   string     `json:"source"` // who judged
	Date     string     `json:"date,omitempty"`
	Note     string     `json:"note"`
	Evidence []Evidence `json:"evidence,omitempty"` // statements or sources that show it

	of       string   // the judged statement's label
	evidence []string // the evidence's labels (statements or sources), sorted
}

// stmtMeta is what the store says about statements besides their quotes:
// whom each is according to (reported speech) and the judgements of each.
// It is filled from the quads it is given, however they were read: one
// Scan (the view), the predicate index (exports) or one statement's quads
// (cards).
type stmtMeta struct {
	according  map[string][]string   // statement label -> ids, sorted
	judgements map[string]*Judgement // by judgement id
}

func newStmtMeta() *stmtMeta {
	return &stmtMeta{according: map[string][]string{}, judgements: map[string]*Judgement{}}
}

// isMeta reports whether pred (an IRI) is one of reported speech or of a
// judgement: a quad about a statement, never a fact about an entity.
func isMeta(pred string) bool {
	return pred == schema.AccordingToIRI || schema.IsJudgementIRI(pred)
}

// add reads q, whose predicate is pred, if isMeta(pred).
func (m *stmtMeta) add(q quad.Quad, pred string) {
	subj := string(labelIRI(q.Subject))
	if pred == schema.AccordingToIRI {
		id := string(labelIRI(q.Object))
		if ids := m.according[subj]; !slices.Contains(ids, id) {
			ids = append(ids, id)
			slices.Sort(ids)
			m.according[subj] = ids
		}
		return
	}
	if !schema.IsJudgementIRI(pred) {
		return
	}
	j := m.judgements[subj]
	if j == nil {
		j = &Judgement{ID: subj, Source: schema.SourceOf(string(labelIRI(q.Label)))}
		m.judgements[subj] = j
	}
	switch v := lexical(q.Object); pred {
	case schema.JudgesIRI:
		j.of = v
	case schema.RankIRI:
		j.Rank = v
	case schema.ReasonIRI:
		j.Reason = v
	case schema.NoteIRI:
		j.Note = v
	case schema.JudgedOnIRI:
		j.Date = v
	case schema.EvidenceIRI:
		if !slices.Contains(j.evidence, v) {
			j.evidence = append(j.evidence, v)
			slices.Sort(j.evidence)
		}
	}
}

// origins returns the origins of a statement label (originsOf).
func (m *stmtMeta) origins(label string) []string { return originsOf(label, m.according[label]) }

// ranks returns the rank of every judged statement (rankOf).
func (m *stmtMeta) ranks() map[string]string {
	by := map[string][]judgedRank{}
	for _, j := range m.judgements {
		if j.of != "" {
			by[j.of] = append(by[j.of], judgedRank{j.Rank, j.Date})
		}
	}
	out := make(map[string]string, len(by))
	for l, js := range by {
		out[l] = rankOf(js)
	}
	return out
}

// deprecated returns the labels of the statements whose rank is deprecated.
func (m *stmtMeta) deprecated() map[string]bool {
	out := map[string]bool{}
	for l, r := range m.ranks() {
		if r == schema.RankDeprecated {
			out[l] = true
		}
	}
	return out
}

// sorted returns the judgements of statements, by judged statement, date,
// then id.
func (m *stmtMeta) sorted() []*Judgement {
	out := make([]*Judgement, 0, len(m.judgements))
	for _, j := range m.judgements {
		if j.of != "" {
			out = append(out, j)
		}
	}
	sortJudgements(out)
	return out
}

// sortJudgements orders judgements by judged statement, date, then id.
func sortJudgements(js []*Judgement) {
	slices.SortFunc(js, func(a, b *Judgement) int {
		return cmp.Or(strings.Compare(a.of, b.of), strings.Compare(a.Date, b.Date), strings.Compare(a.ID, b.ID))
	})
}

// readStmtMeta reads the reported speech and the judgements of the whole
// store through the predicate index: memory proportional to them, not to
// the store.
func readStmtMeta(ctx context.Context, qs Store) (*stmtMeta, error) {
	m := newStmtMeta()
	for _, p := range []string{schema.AccordingToIRI, schema.JudgesIRI, schema.RankIRI, schema.ReasonIRI, schema.NoteIRI, schema.JudgedOnIRI, schema.EvidenceIRI} {
		err := qs.Quads(ctx, quad.Predicate, quad.IRI(p), func(q quad.Quad) error {
			m.add(q, p)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Deprecated reports whether every statement in evs is ranked deprecated:
// the value stands only on statements that judgements deprecate.
func Deprecated(evs []Evidence) bool {
	if len(evs) == 0 {
		return false
	}
	for _, e := range evs {
		if e.Rank != schema.RankDeprecated {
			return false
		}
	}
	return true
}

// judgementsOf returns the judgements of the statement label, with their
// evidence, sorted by date and id, and the statement's rank (rankOf; ""
// unjudged): what cards and contested show beside its evidence.
func (c *quoteCache) judgementsOf(ctx context.Context, label string) ([]Judgement, string, error) {
	if !strings.Contains(label, schema.StatementSep) {
		return nil, "", nil
	}
	if j, ok := c.j[label]; ok {
		return j.js, j.rank, nil
	}
	js, rank, err := c.readJudgements(ctx, label)
	if err == nil {
		if len(c.j) >= quoteCacheMax {
			clear(c.j)
		}
		c.j[label] = judged{js, rank}
	}
	return js, rank, err
}

// judged is what judgementsOf returns for one statement.
type judged struct {
	js   []Judgement
	rank string
}

// readJudgements reads the judgements of the statement label from the
// store: the judgement nodes that judge it, then each node's quads.
func (c *quoteCache) readJudgements(ctx context.Context, label string) ([]Judgement, string, error) {
	m := newStmtMeta()
	var ids []string
	err := c.qs.Quads(ctx, quad.Object, quad.IRI(label), func(q quad.Quad) error {
		if string(labelIRI(q.Predicate)) == schema.JudgesIRI {
			ids = append(ids, string(labelIRI(q.Subject)))
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return nil, "", err
	}
	for _, id := range ids {
		err := c.qs.Quads(ctx, quad.Subject, quad.IRI(id), func(q quad.Quad) error {
			m.add(q, string(labelIRI(q.Predicate)))
			return nil
		})
		if err != nil {
			return nil, "", err
		}
	}
	var out []Judgement
	for _, j := range m.sorted() {
		jj := *j
		for _, l := range j.evidence {
			st, err := c.statement(ctx, l)
			if err != nil {
				return nil, "", err
			}
			jj.Evidence = append(jj.Evidence, Evidence{Source: schema.SourceOf(l), Quote: st.quote})
		}
		out = append(out, jj)
	}
	return out, m.ranks()[label], nil
}

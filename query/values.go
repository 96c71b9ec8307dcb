package query

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// Value is a fact's object as the JSON answers carry it.
type Value struct {
	Type  string `json:"type"`  // entity, string, integer, number, boolean, date
	Value any    `json:"value"` // string, int64, float64 or bool; the id for an entity; the canonical interval for a date
}

func (v Value) String() string { return fmt.Sprint(v.Value) }

func valueOf(v quad.Value) Value {
	switch x := v.(type) {
	case quad.IRI:
		return Value{"entity", string(x)}
	case quad.String:
		return Value{"string", string(x)}
	case quad.Int:
		return Value{"integer", int64(x)}
	case quad.Float:
		return Value{"number", float64(x)}
	case quad.Bool:
		return Value{"boolean", bool(x)}
	case quad.TypedString:
		if x.Type == "tg:date" {
			return Value{"date", string(x.Value)}
		}
		return Value{"string", string(x.Value)}
	case quad.LangString:
		return Value{"string", string(x.Value)}
	case nil:
		return Value{"string", ""}
	}
	return Value{"string", v.String()}
}

func key(v quad.Value) string {
	if v == nil {
		return ""
	}
	return v.String()
}

// Evidence is one source's support for a fact.
type Evidence struct {
	Source string `json:"source"`
	Quote  string `json:"quote,omitempty"`
	// AccordingTo: reported speech, whom the source attributes the
	// statement to (it then counts as their word, not the source's, where
	// answers count independent sources).
	AccordingTo []string `json:"according_to,omitempty"`
	// Rank is the statement's rank when a judgement ranks it (preferred,
	// normal, deprecated: rankOf), with the Judgements that do.
	Rank       string      `json:"rank,omitempty"`
	Judgements []Judgement `json:"judgements,omitempty"`
}

// evidence returns a fact's label as its source and, for a statement, the
// quote, whom it is according to and its judgements (quoteCache).
func (c *quoteCache) evidence(ctx context.Context, label quad.Value) (Evidence, error) {
	l := string(labelIRI(label))
	st, err := c.statement(ctx, l)
	if err != nil {
		return Evidence{}, err
	}
	e := Evidence{Source: schema.SourceOf(l), Quote: st.quote, AccordingTo: st.according}
	e.Judgements, e.Rank, err = c.judgementsOf(ctx, l)
	return e, err
}

func labelIRI(v quad.Value) quad.IRI {
	switch x := v.(type) {
	case quad.IRI:
		return x
	case nil:
		return ""
	}
	return quad.IRI(v.String())
}

func sortEvidence(evs []Evidence) {
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].Source != evs[j].Source {
			return evs[i].Source < evs[j].Source
		}
		return evs[i].Quote < evs[j].Quote
	})
}

func predName(p quad.Value) string {
	s := string(labelIRI(p))
	return strings.TrimPrefix(s, "tg:")
}

// iterateValue calls fn with the string form of each value of pred on id.
func iterateValue(ctx context.Context, qs Store, id, pred string, fn func(string)) error {
	return qs.Quads(ctx, quad.Subject, quad.IRI(id), func(q quad.Quad) error {
		if string(labelIRI(q.Predicate)) == pred {
			fn(valueOf(q.Object).String())
		}
		return nil
	})
}

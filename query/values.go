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
	Type  string `json:"type"`            // entity, string, integer, count, number, boolean, date
	Value any    `json:"value"`           // string, int64, float64 or bool; the id for an entity; the canonical interval for a date; the words as written for a count
	Count *Count `json:"count,omitempty"` // for a count: its bounds and whom it counts
}

// Count is a count that is not one exact figure of everyone: the bounds
// the source's words allow ("at least 137": 137 and no upper bound) and
// whom it counts. An exact count of everyone is an integer Value instead.
type Count struct {
	Lower int64  `json:"lower"`
	Upper *int64 `json:"upper"`        // null when the words give no upper bound
	Of    string `json:"of,omitempty"` // "civilians"; empty for everyone the predicate counts
}

// quantity returns a count value's bounds; ok is false for other values.
func (v Value) quantity() (schema.Quantity, bool) {
	switch {
	case v.Count != nil:
		q := schema.Quantity{Lower: v.Count.Lower, Upper: schema.MaxCount, Open: true, Of: v.Count.Of}
		if v.Count.Upper != nil {
			q.Upper, q.Open = *v.Count.Upper, false
		}
		return q, true
	case v.Type == "integer":
		n, _ := v.Value.(int64)
		return schema.ExactCount(n), true
	}
	return schema.Quantity{}, false
}

func countValue(lexical string) Value {
	q, err := schema.ParseCountLiteral(lexical)
	if err != nil {
		return Value{Type: "string", Value: lexical}
	}
	c := &Count{Lower: q.Lower, Of: q.Of}
	if !q.Open {
		c.Upper = &q.Upper
	}
	return Value{Type: "count", Value: q.Text, Count: c}
}

// String writes the value for a reader: a count as its words, whom it
// counts when the words do not say ("13, of U.S. service members") and,
// when they do not name one figure, its bounds ("nearly 100 (90-99)", "at
// least 137 (137 or more)").
func (v Value) String() string {
	q, ok := v.quantity()
	if !ok || v.Count == nil {
		return fmt.Sprint(v.Value)
	}
	s := fmt.Sprint(v.Value)
	if q.Of != "" && !strings.Contains(strings.ToLower(s), strings.ToLower(q.Of)) {
		s += ", of " + q.Of // a part, never read as the total
	}
	switch {
	case q.Open:
		return fmt.Sprintf("%s (%d or more)", s, q.Lower)
	case q.Exact():
		return s
	}
	return fmt.Sprintf("%s (%d-%d)", s, q.Lower, q.Upper)
}

func valueOf(v quad.Value) Value {
	switch x := v.(type) {
	case quad.IRI:
		return Value{Type: "entity", Value: string(x)}
	case quad.String:
		return Value{Type: "string", Value: string(x)}
	case quad.Int:
		return Value{Type: "integer", Value: int64(x)}
	case quad.Float:
		return Value{Type: "number", Value: float64(x)}
	case quad.Bool:
		return Value{Type: "boolean", Value: bool(x)}
	case quad.TypedString:
		switch x.Type {
		case "tg:date":
			return Value{Type: "date", Value: string(x.Value)}
		case schema.CountType:
			return countValue(string(x.Value))
		}
		return Value{Type: "string", Value: string(x.Value)}
	case quad.LangString:
		return Value{Type: "string", Value: string(x.Value)}
	case nil:
		return Value{Type: "string", Value: ""}
	}
	return Value{Type: "string", Value: v.String()}
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
	// Statement is the statement's id (source:NAME#e-HASH), when the fact
	// is a statement's: what threatgraph retract STATEMENT takes.
	Statement string `json:"statement,omitempty"`
	Quote     string `json:"quote,omitempty"`
	// AccordingTo: reported speech, whom the source attributes the
	// statement to (it then counts as their word, not the source's, where
	// answers count independent sources).
	AccordingTo []string `json:"according_to,omitempty"`
	// Rank is the statement's rank when a judgement ranks it (preferred,
	// normal, deprecated: rankOf), with the Judgements that do.
	Rank       string      `json:"rank,omitempty"`
	Judgements []Judgement `json:"judgements,omitempty"`
	// Loads: the recorded loads that stated the fact, when asked for
	// (WithLoads; absent otherwise).
	Loads []schema.LoadRef `json:"loads,omitempty"`
	// StatedOf, on the card of an entity merged by same statements, is
	// the id the source stated the fact of (its original subject; for an
	// incoming relation, its original object).
	StatedOf string `json:"stated_of,omitempty"`
	// Markings are the statement's and its source's markings
	// (marking:tlp-amber...; marking.go); Confidence the source's own
	// confidence in the statement, as it gave it (STIX: 0 to 100).
	Markings   []string `json:"markings,omitempty"`
	Confidence *int64   `json:"confidence,omitempty"`
	// Coding is "machine" when the source is machine-coded (its Source
	// entity has tg:coding "machine", as GDELT's have): software read the
	// text, no person did. Empty (and left out of JSON) for the others.
	Coding string `json:"coding,omitempty"`
}

// MachineCoded reports whether the evidence's source is machine-coded.
func (e Evidence) MachineCoded() bool { return e.Coding == schema.MachineCoding }

// AllMachineCoded reports whether evs is not empty and every one of them
// is of a machine-coded source: a fact no person read.
func AllMachineCoded(evs []Evidence) bool {
	for _, e := range evs {
		if !e.MachineCoded() {
			return false
		}
	}
	return len(evs) > 0
}

// evidence returns a fact's label as its source and, for a statement, the
// quote, whom it is according to and its judgements (quoteCache).
func (c *quoteCache) evidence(ctx context.Context, label quad.Value) (Evidence, error) {
	l := string(labelIRI(label))
	st, err := c.statement(ctx, l)
	if err != nil {
		return Evidence{}, err
	}
	e := Evidence{Source: schema.SourceOf(l), Quote: st.quote, AccordingTo: st.according, Confidence: st.confidence}
	if strings.Contains(l, schema.StatementSep) {
		e.Statement = l
	}
	if e.Markings, err = c.markingsOf(ctx, l, st); err != nil {
		return Evidence{}, err
	}
	if c.srcCoding[e.Source] == schema.MachineCoding { // read with the markings
		e.Coding = schema.MachineCoding
	}
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
		if evs[i].Quote != evs[j].Quote {
			return evs[i].Quote < evs[j].Quote
		}
		return evs[i].StatedOf < evs[j].StatedOf
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

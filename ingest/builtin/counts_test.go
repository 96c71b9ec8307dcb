package builtin_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/builtin"
	"github.com/threatgraph/threatgraph/schema"
)

// TestCountsAsPreciseAsTheirQuotes walks every count the built-in dataset
// stores, in a real store, with the quote of its statement, and checks the
// bounds against the words: the count's words are in the quote, they read
// (schema.ParseQuantity) to exactly the stored bounds, and the words just
// before them in the quote add no qualifier the stored bounds drop ("at
// least 137" stored as 137). A figure that no quote writes (a sum) fails.
func TestCountsAsPreciseAsTheirQuotes(t *testing.T) {
	s := loadBuiltin(t)
	quotes := map[string]string{}
	var counts []quad.Quad
	err := s.Scan(t.Context(), func(q quad.Quad) error {
		pred := string(q.Predicate.(quad.IRI))
		if pred == schema.QuoteIRI {
			quotes[string(q.Subject.(quad.IRI))] = string(q.Object.(quad.String))
		}
		if p := schema.LookupIRI(pred); p != nil && p.Type == schema.Count {
			counts = append(counts, q)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) < 30 {
		t.Fatalf("%d counts in the built-in dataset; expected at least 30", len(counts))
	}
	for _, c := range counts {
		label := string(c.Label.(quad.IRI))
		quote, ok := quotes[label]
		where := c.Subject.String() + " " + c.Predicate.String() + " " + c.Object.String() + " (" + label + ")"
		if !ok {
			t.Errorf("%s: a count with no quote", where)
			continue
		}
		stored, words := storedCount(t, c.Object)
		figure, at := figureIn(quote, words, stored)
		if at < 0 {
			t.Errorf("%s: the quote does not write %q: %q", where, words, quote)
			continue
		}
		if got, err := schema.ParseQuantity(figure); err != nil || got.Lower != stored.Lower || got.Upper != stored.Upper {
			t.Errorf("%s: %q reads as %+v (err %v); stored bounds [%d, %d]", where, figure, got, err, stored.Lower, stored.Upper)
		}
		// The words before the figure may qualify it: "killing at least
		// 137" read from "at least" must give the stored bounds too.
		before := strings.Fields(quote[:at])
		for k := 1; k <= 3 && k <= len(before); k++ {
			phrase := strings.Join(before[len(before)-k:], " ") + " " + figure
			if q, err := schema.ParseQuantity(phrase); err == nil && (q.Lower != stored.Lower || q.Upper != stored.Upper) {
				t.Errorf("%s: the quote says %q, which reads as [%d, %d]; stored [%d, %d]", where, phrase, q.Lower, q.Upper, stored.Lower, stored.Upper)
			}
		}
	}
}

// storedCount returns a stored count's bounds and the words to find in
// its quote: the text of a count literal, the digits of a plain integer.
func storedCount(t *testing.T, v quad.Value) (schema.Quantity, string) {
	t.Helper()
	switch x := v.(type) {
	case quad.Int:
		return schema.ExactCount(int64(x)), strconv.FormatInt(int64(x), 10)
	case quad.TypedString:
		q, err := schema.ParseCountLiteral(string(x.Value))
		if err != nil || x.Type != schema.CountType {
			t.Fatalf("count %s: %v", v, err)
		}
		return q, q.Text
	}
	t.Fatalf("count %s is neither an integer nor a count literal", v)
	return schema.Quantity{}, ""
}

// figureIn finds the count's words in the quote and returns the figure
// they write and where it starts. For a count literal the words are its
// text and the figure the one they begin with (schema.QuantityIn: "as many
// as 170" of "as many as 170 civilians"). For a plain
// integer n the figure is the first word of the quote that reads as
// exactly n ("137", "four", "one").
func figureIn(quote, words string, stored schema.Quantity) (string, int) {
	if stored.Text != "" {
		i := strings.Index(strings.ToLower(quote), strings.ToLower(words))
		if i < 0 {
			return "", -1
		}
		if q, err := schema.QuantityIn(quote[i : i+len(words)]); err == nil {
			return q.Text, i
		}
		return quote[i : i+len(words)], i
	}
	for i := 0; i < len(quote); {
		j := i
		for j < len(quote) && !isSpace(rune(quote[j])) {
			j++
		}
		w := strings.TrimFunc(quote[i:j], func(r rune) bool { return unicode.IsPunct(r) && r != '-' })
		if q, err := schema.ParseQuantity(w); err == nil && q.Exact() && q.Lower == stored.Lower {
			return w, i + strings.Index(quote[i:j], w)
		}
		for i = j; i < len(quote) && isSpace(rune(quote[i])); i++ {
		}
	}
	return "", -1
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' }

// loadBuiltin loads the built-in dataset into a new store on disk.
func loadBuiltin(t *testing.T) *graph.Store {
	t.Helper()
	files, err := builtin.Files()
	if err != nil {
		t.Fatal(err)
	}
	s, err := graph.Open(t.Context(), graph.Options{Path: filepath.Join(t.TempDir(), "db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var parsed []*ingest.File
	for _, f := range files {
		parsed = append(parsed, ingest.Parse(f.Name, f.Data))
	}
	if _, err := ingest.Load(t.Context(), s, parsed, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return s
}

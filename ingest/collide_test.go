package ingest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// collidingQuotes finds two quotes of source whose statement ids coincide
// (their short hashes collide: about one in 65,536 pairs of 2^16 quotes).
func collidingQuotes(t *testing.T, source string) (string, string) {
	t.Helper()
	seen := map[string]string{}
	for i := range 2_000_000 {
		q := fmt.Sprintf("The group said it carried out attack number %d.", i)
		l := schema.StatementLabel(source, q)
		if p, ok := seen[l]; ok {
			return p, q
		}
		seen[l] = q
	}
	t.Fatal("no colliding quotes found")
	return "", ""
}

func quoted(id, quote string) string {
	return fmt.Sprintf("  - id: %s\n    kind: Group\n    name: %s\n    source: source:a\n    facts:\n      - quote: %q\n        ideology: jihadism\n", id, id, quote)
}

// TestQuoteCollision: two different quotes whose statement ids coincide
// are refused, within one load and against the store, naming the record
// and the other quote; strict loads write nothing.
func TestQuoteCollision(t *testing.T) {
	a, b := collidingQuotes(t, "source:a")
	head := "sources:\n  - id: source:a\n    publisher: A\nentities:\n"
	s := openStore(t)
	_, err := load(t, s, ingest.Options{}, map[string]string{"1.yaml": head + quoted("group:x", a) + quoted("group:y", b)})
	var problems schema.Errors
	if !errors.As(err, &problems) || !strings.Contains(err.Error(), "1.yaml:") || !strings.Contains(err.Error(), "quote: the statement id") || !strings.Contains(err.Error(), a) {
		t.Fatalf("one load with colliding quotes: %v; want the second refused, naming the first", err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("%d quads written; want none", n)
	}
	if _, err := load(t, s, ingest.Options{}, map[string]string{"1.yaml": head + quoted("group:x", a)}); err != nil {
		t.Fatal(err)
	}
	_, err = load(t, s, ingest.Options{}, map[string]string{"2.yaml": head + quoted("group:y", b)})
	if !errors.As(err, &problems) || !strings.Contains(err.Error(), "2.yaml:") || !strings.Contains(err.Error(), "the store") {
		t.Fatalf("a quote colliding with the store's: %v; want it refused, naming the store", err)
	}
	// The same quote again is no collision.
	if _, err := load(t, s, ingest.Options{}, map[string]string{"3.yaml": head + quoted("group:x", a)}); err != nil {
		t.Errorf("re-ingesting the same quote: %v", err)
	}
}

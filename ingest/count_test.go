package ingest_test

import (
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// countsFile writes one count in each form the native format reads.
const countsFile = `format: threatgraph/1
source: source:a
sources:
  - id: source:a
    title: A
entities:
  - id: attack:x
    kind: Attack
    name: X
    facts:
      - quote: "killing at least 137 people and wounding more than 180"
        killed: at least 137
        wounded: "more than 180"
      - quote: "killed 13 U.S. service members and as many as 170 civilians"
        killed: {text: "13 U.S. service members", value: 13, of: U.S. service members}
      - quote: "killed 13 U.S. service members and as many as 170 civilians"
        killed: {text: "as many as 170 civilians", value: as many as 170, of: civilians}
      - quote: "scores of people"
        attackCount: {text: "scores"}
      - quote: "four men"
        arrests: "four"
      - quote: "137 killed"
        killed: "137"
`

// TestCountsStored checks the stored literal of each form: a plain integer
// for an exact count of everyone however written ("137", "four"), a
// tg:count literal with bounds, whom and the words otherwise, and that
// loading the file again adds nothing.
func TestCountsStored(t *testing.T) {
	s := openStore(t)
	if _, err := load(t, s, ingest.Options{}, map[string]string{"c.yaml": countsFile}); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	err := s.Quads(t.Context(), quad.Subject, quad.IRI("attack:x"), func(q quad.Quad) error {
		p := schema.LookupIRI(string(q.Predicate.(quad.IRI)))
		if p != nil && p.Type == schema.Count {
			got[p.Name] = append(got[p.Name], q.Object.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lit := func(s string) string { return quad.TypedString{Value: quad.String(s), Type: schema.CountType}.String() }
	want := map[string][]string{
		"killed": {lit("137/||at least 137"), lit("13|U.S. service members|13 U.S. service members"),
			lit("0/170|civilians|as many as 170 civilians"), quad.Int(137).String()},
		"wounded":     {lit("181/||more than 180")},
		"attackCount": {lit("40/199||scores")},
		"arrests":     {lit("4||four")},
	}
	for p, ws := range want {
		for _, w := range ws {
			if !contains(got[p], w) {
				t.Errorf("%s: no %s among %v", p, w, got[p])
			}
		}
		if len(got[p]) != len(ws) {
			t.Errorf("%s: %d values %v; want %d", p, len(got[p]), got[p], len(ws))
		}
	}
	before := count(t, s)
	rep, err := load(t, s, ingest.Options{}, map[string]string{"c.yaml": countsFile})
	if err != nil {
		t.Fatal(err)
	}
	if after := count(t, s); after != before || rep.Totals().Added != 0 {
		t.Errorf("loading again added %d quads (%d -> %d)", rep.Totals().Added, before, after)
	}
	// The same counts as N-Quads literals load, and add nothing either.
	var nq strings.Builder
	_ = s.Scan(t.Context(), func(q quad.Quad) error {
		nq.WriteString(q.NQuad() + "\n")
		return nil
	})
	if _, err := load(t, s, ingest.Options{}, map[string]string{"c.nq": nq.String()}); err != nil {
		t.Fatalf("the stored counts as N-Quads: %v", err)
	}
	if after := count(t, s); after != before {
		t.Errorf("N-Quads of the stored counts added quads: %d -> %d", before, after)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

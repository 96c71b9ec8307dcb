package table

import (
	"errors"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/schema"
)

// TestParseReportsEveryProblem: a mapping with a schema error (a kind
// misspelt), an unknown predicate and a relation to an unknown entity
// reports all three in one run, each at its line, and the schema's
// problem says what the field expects.
func TestParseReportsEveryProblem(t *testing.T) {
	src := `format: threatgraph-mapping/1
source: {id: source:x, title: X}
entities:
  attack:
    kind: Attack
    id: "attack:x-{id}"
    facts:
      kiled: {column: dead}
  grp:
    kind: Gruop
    id: "group:x-{g}"
relations:
  - {from: attack, pred: perpetratedBy, to: grp}
  - {from: attack, pred: locatedIn, to: place}
`
	_, err := Parse("m.yaml", []byte(src))
	var errs schema.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse: %v; want schema.Errors", err)
	}
	want := []string{
		`m.yaml:8: entities.attack.facts.kiled: unknown predicate "kiled"`,
		`m.yaml:10: entities.grp.kind: does not match the mapping's JSON Schema: got "Gruop" (expected one of Group, Person, Organization, Location, Attack, Warning, Claim; or a mapping of fields`,
		`m.yaml:14: relations[1].to: unknown entity "place" (expected one of the mapping's entities: attack, grp)`,
	}
	if len(errs) != len(want) {
		t.Errorf("%d problems; want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if i >= len(errs) || !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("problem %d: want it to begin %q; all:\n%v", i, w, err)
		}
	}
	if strings.Contains(err.Error(), "got string, want object") || strings.Contains(err.Error(), `"grp"`) {
		t.Errorf("a JSON Schema message, or the left-out entity reported again:\n%v", err)
	}
}

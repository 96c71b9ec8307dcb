package schema

import (
	"fmt"
	"strings"
)

// MarkdownTable returns the vocabulary as the Markdown table of
// docs/format.md (kept equal by a test; go test ./schema -update rewrites it).
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| predicate | S/M | on | value | meaning |\n|---|---|---|---|---|\n")
	for _, p := range Predicates() {
		if p.Derived {
			continue
		}
		card := "S"
		if p.Multi {
			card = "M"
		}
		on := "any"
		if len(p.Domain) > 0 {
			on = JoinKinds(p.Domain, ", ")
		}
		val := p.Type.String()
		switch p.Type {
		case Entity:
			val = "entity"
			if len(p.Range) > 0 {
				val = JoinKinds(p.Range, ", ")
			}
		case Enum:
			val = strings.Join(p.Enum, ", ")
		case Float:
			val = fmt.Sprintf("number %v to %v", p.Min, p.Max)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", p.Name, card, on, val, strings.ReplaceAll(p.Doc, "|", "\\|"))
	}
	return b.String()
}

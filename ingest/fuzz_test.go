package ingest_test

import (
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/ingest"
)

// checkParsed fails if a record without problems carries an invalid quad,
// or a problem lacks its file name.
func checkParsed(t *testing.T, f *ingest.File) {
	t.Helper()
	for _, e := range f.Errors() {
		if e.File != f.Name {
			t.Fatalf("problem %v does not name the file %s", e, f.Name)
		}
	}
	for _, r := range f.Records {
		if len(r.Errs) > 0 {
			continue
		}
		for _, q := range r.Quads {
			if !q.IsValid() || q.Label == nil {
				t.Fatalf("record %s (no problems) yields invalid quad %v", r.Where, q)
			}
		}
	}
}

func FuzzParseYAML(f *testing.F) {
	f.Add(base)
	f.Add("sources:\n  - id: source:x\n")
	f.Add("entities:\n  - id: a:b\n    kind: Attack\n    source: s:x\n    killed: -1\n")
	f.Add("entities: &a [*a]\n")
	f.Add("- 1\n- 2\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		checkParsed(t, ingest.Parse("f.yaml", []byte(data)))
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add(`{"sources":[{"id":"source:x","publisher":"X"}],"entities":[{"id":"group:g","kind":"Group","source":"source:x","alias":["G"]}]}`)
	f.Add(`{"entities":[{"id":"attack:a","kind":"Attack","facts":[{"source":"source:x","killed":1e3}]}]}`)
	f.Add(`[1, 2`)
	f.Add(`{"a":1} {"b":2}`)
	f.Fuzz(func(t *testing.T, data string) {
		checkParsed(t, ingest.Parse("f.json", []byte(data)))
	})
}

// FuzzQuads fuzzes the N-Quads reader that ingest and the HTTP ingest use:
// Parse of a .nq file (checkText, then one statement per line). Besides
// checkParsed's properties, every statement and problem must point at a
// line of the input.
func FuzzQuads(f *testing.F) {
	f.Add("<group:x> <rdf:type> <tg:Group> <source:s> .\n")
	f.Add("<a:b> <tg:killed> \"3\"^^<http://www.w3.org/2001/XMLSchema#integer> <source:s> .\n# c\n")
	f.Add("_:b <p:q> \"x\"@en <source:s> .\n")
	f.Add("<group:x> <tg:name> \"X\" <source:s> .\n")
	f.Add("<a> <b> <c> .\n")
	f.Fuzz(func(t *testing.T, data string) {
		pf := ingest.Parse("f.nq", []byte(data))
		checkParsed(t, pf)
		lines := strings.Count(data, "\n") // a final line without a newline counts too
		if !strings.HasSuffix(data, "\n") {
			lines++
		}
		for _, r := range pf.Records {
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("record %s is at line %d of a %d-line input", r.Where, r.Line, lines)
			}
		}
		for _, e := range pf.Errors() {
			if e.Line < 0 || e.Line > lines {
				t.Fatalf("problem %v is at line %d of a %d-line input", e, e.Line, lines)
			}
		}
	})
}

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

func FuzzQuads(f *testing.F) {
	f.Add("<group:x> <rdf:type> <tg:Group> <source:s> .\n")
	f.Add("<a:b> <tg:killed> \"3\"^^<http://www.w3.org/2001/XMLSchema#integer> <source:s> .\n# c\n")
	f.Add("_:b <p:q> \"x\"@en <source:s> .\n")
	f.Add("<a> <b> <c> .\n")
	f.Fuzz(func(t *testing.T, data string) {
		for q, err := range ingest.Quads("f.nq", strings.NewReader(data)) {
			if err != nil {
				return
			}
			if !q.IsValid() || q.Label == nil {
				t.Fatalf("Quads yielded invalid quad %v with a nil error", q)
			}
		}
		checkParsed(t, ingest.Parse("f.nq", []byte(data)))
	})
}

package ingest_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

// base is a small valid file the cases below build on.
const base = `format: threatgraph/1
sources:
  - id: source:bbc
    publisher: BBC
    published: 2024-03-25
  - id: source:slate
    publisher: Slate
entities:
  - id: group:isis-k
    kind: Group
    name: Islamic State Khorasan Province
    source: source:bbc
    alias: [ISIS-K, IS-K, ISIL-K]
  - id: location:moscow
    kind: Location
    name: Moscow
    source: source:bbc
    placeType: city
  - id: attack:crocus
    kind: Attack
    name: Crocus City Hall attack
    source: source:bbc
    facts:
      - quote: "killed at least 133"
        killed: 133
        date: 22 March 2024
        perpetratedBy: group:isis-k
        locatedIn: location:moscow
      - source: source:slate
        quote: "killing 137"
        killed: 137
`

// openStore opens a real bolt store in a temporary directory.
func openStore(t *testing.T) *graph.Store {
	t.Helper()
	s, err := graph.Open(t.Context(), graph.Options{Backend: "bbolt", Path: filepath.Join(t.TempDir(), "tg.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func load(t *testing.T, s *graph.Store, opt ingest.Options, files map[string]string) (*ingest.Report, error) {
	t.Helper()
	var fs []*ingest.File
	for _, name := range sortedKeys(files) {
		fs = append(fs, ingest.Parse(name, []byte(files[name])))
	}
	return ingest.Load(t.Context(), s, fs, opt)
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func count(t *testing.T, s *graph.Store) int64 {
	t.Helper()
	n, err := s.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadAndReload(t *testing.T) {
	s := openStore(t)
	rep, err := load(t, s, ingest.Options{}, map[string]string{"a.yaml": base})
	if err != nil {
		t.Fatalf("loading a valid file: %v", err)
	}
	n := count(t, s)
	if tot := rep.Totals(); tot.Added == 0 || int64(tot.Added) != n {
		t.Fatalf("added %d quads, store holds %d", tot.Added, n)
	}
	// Both casualty figures stand, each with its own label.
	var killed []string
	for _, f := range mustParse(t, "a.yaml", base).Records {
		for _, q := range f.Quads {
			if q.Predicate == quad.IRI("tg:killed") {
				killed = append(killed, q.Object.String()+" "+q.Label.String())
			}
		}
	}
	if len(killed) != 2 {
		t.Errorf("killed quads = %v; want two, one per source", killed)
	}
	// Re-ingesting adds nothing, as YAML and as the same content in JSON order.
	rep, err = load(t, s, ingest.Options{}, map[string]string{"a.yaml": base})
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, s); got != n || rep.Totals().Added != 0 {
		t.Errorf("re-ingest: store %d -> %d quads, added %d; want no change", n, got, rep.Totals().Added)
	}
}

func mustParse(t *testing.T, name, data string) *ingest.File {
	t.Helper()
	f := ingest.Parse(name, []byte(data))
	if err := f.Errors().Err(); err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return f
}

func TestJSONEqualsYAML(t *testing.T) {
	y := mustParse(t, "a.yaml", base)
	j := mustParse(t, "a.json", `{"format": "threatgraph/1",
	"sources": [{"id": "source:bbc", "publisher": "BBC", "published": "2024-03-25"}, {"id": "source:slate", "publisher": "Slate"}],
	"entities": [
		{"id": "group:isis-k", "kind": "Group", "name": "Islamic State Khorasan Province", "source": "source:bbc", "alias": ["ISIS-K", "IS-K", "ISIL-K"]},
		{"id": "location:moscow", "kind": "Location", "name": "Moscow", "source": "source:bbc", "placeType": "city"},
		{"id": "attack:crocus", "kind": "Attack", "name": "Crocus City Hall attack", "source": "source:bbc", "facts": [
			{"quote": "killed at least 133", "killed": 133, "date": "22 March 2024", "perpetratedBy": "group:isis-k", "locatedIn": "location:moscow"},
			{"source": "source:slate", "quote": "killing 137", "killed": 137}]}]}`)
	set := func(f *ingest.File) map[quad.Quad]bool {
		m := map[quad.Quad]bool{}
		for _, r := range f.Records {
			for _, q := range r.Quads {
				m[q] = true
			}
		}
		return m
	}
	ys, js := set(y), set(j)
	if len(ys) != len(js) {
		t.Errorf("YAML gives %d quads, JSON %d", len(ys), len(js))
	}
	for q := range ys {
		if !js[q] {
			t.Errorf("JSON lacks %v", q)
		}
	}
}

// TestBadInput checks that each malformed input fails with FILE:LINE: and
// what was expected, and leaves the store unchanged.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		data  string
		want  []string // substrings of the error
		errIs error
	}{
		{"yaml syntax", "bad.yaml", "sources:\n  - id: source:x\n   publisher: [unclosed\n", []string{"bad.yaml:3: YAML syntax"}, nil},
		{"json syntax", "bad.json", "{\"sources\": [\n  {\"id\": \"source:x\",}\n]}\n", []string{"bad.json:2: JSON syntax"}, nil},
		{"json truncated", "cut.json", "{\"sources\": [\n  {\"id\": \"source:x\"", []string{"cut.json:2: JSON syntax: unexpected end of file"}, nil},
		{"unknown kind", "kind.yaml", base + "  - id: gang:x\n    kind: Gang\n    source: source:bbc\n", []string{"kind.yaml:33: entities[3].kind: unknown kind \"Gang\" (expected one of Group, Person"}, schema.ErrUnknownKind},
		{"unknown predicate", "pred.yaml", strings.Replace(base, "        killed: 133", "        kiled: 133", 1), []string{"pred.yaml:25: entities[2].facts[0].kiled: unknown predicate \"kiled\", did you mean \"killed\"?"}, schema.ErrUnknownPredicate},
		{"dangling relation", "ref.yaml", strings.Replace(base, "perpetratedBy: group:isis-k", "perpetratedBy: group:nobody", 1), []string{"ref.yaml:27: entities[2].facts[0].perpetratedBy: group:nobody refers to an entity that exists nowhere"}, schema.ErrDanglingRef},
		{"bad date", "date.yaml", strings.Replace(base, "date: 22 March 2024", "date: the day before yesterday", 1), []string{"date.yaml:26: entities[2].facts[0].date: bad value: date \"the day before yesterday\""}, schema.ErrBadValue},
		{"impossible date", "date2.yaml", strings.Replace(base, "date: 22 March 2024", "date: 2024-02-30", 1), []string{"date2.yaml:26:", "day 30 out of range"}, schema.ErrBadValue},
		{"negative casualties", "neg.yaml", strings.Replace(base, "killed: 137", "killed: -5", 1), []string{"neg.yaml:31: entities[2].facts[1].killed: bad value: -5 is negative (expected a whole number written in decimal digits, e.g. 137)"}, schema.ErrBadValue},
		{"non-numeric casualties", "nan.yaml", strings.Replace(base, "killed: 137", "killed: many", 1), []string{"nan.yaml:31: entities[2].facts[1].killed: bad value: count \"many\": unrecognised count (expected a whole number (\"137\""}, schema.ErrBadValue},
		{"words beyond the figure", "q.yaml", strings.Replace(base, "killed: 137", "killed: \"137 people\"", 1), []string{"q.yaml:31:", "count \"137 people\": unrecognised count"}, schema.ErrBadValue},
		{"count mapping without text", "cm.yaml", strings.Replace(base, "killed: 137", "killed: {value: 137}", 1), []string{"cm.yaml:31: entities[2].facts[1].killed: bad value: a count mapping needs text"}, schema.ErrBadValue},
		{"count words without a figure first", "cm2.yaml", strings.Replace(base, "killed: 137", "killed: {text: \"U.S. service members, 13\"}", 1), []string{"cm2.yaml:31:", "\"U.S. service members, 13\" does not begin with a count"}, schema.ErrBadValue},
		{"count value unlike its words", "cm6.yaml", strings.Replace(base, "killed: 137", "killed: {text: at least 137, value: 500}", 1), []string{"cm6.yaml:31:", "value \"500\": the words \"at least 137\" say at least 137, not 500"}, schema.ErrBadValue},
		{"count key twice", "cm7.yaml", strings.Replace(base, "killed: 137", "killed: {text: \"5\", value: 5, value: at least 500}", 1), []string{"cm7.yaml:31:", "value twice in a count"}, schema.ErrBadValue},
		{"nquads count words unlike bounds", "cnt3.nq", "<source:s> <rdf:type> <tg:Source> <source:s> .\n<attack:x> <rdf:type> <tg:Attack> <source:s> .\n<attack:x> <tg:killed> \"500||at least 137\"^^<tg:count> <source:s> .\n", []string{"cnt3.nq:3:", "the words \"at least 137\" say at least 137, not 500"}, nil},
		{"nquads count without words", "cnt4.nq", "<source:s> <rdf:type> <tg:Source> <source:s> .\n<attack:x> <rdf:type> <tg:Attack> <source:s> .\n<attack:x> <tg:killed> \"137/||\"^^<tg:count> <source:s> .\n", []string{"cnt4.nq:3:", "has no words"}, nil},
		{"count mapping unknown key", "cm3.yaml", strings.Replace(base, "killed: 137", "killed: {text: at least 137, who: people}", 1), []string{"cm3.yaml:31:", "unknown key \"who\" in a count (expected text, value and of)"}, schema.ErrBadValue},
		{"count of with bar", "cm4.yaml", strings.Replace(base, "killed: 137", "killed: {text: 13 soldiers, value: 13, of: a|b}", 1), []string{"cm4.yaml:31:", "contains '|'"}, schema.ErrBadValue},
		{"nearly zero", "cm5.yaml", strings.Replace(base, "killed: 137", "killed: nearly 1", 1), []string{"cm5.yaml:31:", "an approximate 1 names no bounds"}, schema.ErrBadValue},
		{"fractional casualties", "frac.yaml", strings.Replace(base, "killed: 137", "killed: 13.5", 1), []string{"frac.yaml:31:", "13.5 is not a whole number"}, schema.ErrBadValue},
		{"conflicting kind", "dup.yaml", base + "  - id: group:isis-k\n    kind: Person\n    source: source:bbc\n", []string{"dup.yaml:33: kind: id already used with another kind: group:isis-k is a Group at dup.yaml:10"}, schema.ErrKindConflict},
		{"empty file", "empty.yaml", "  \n\n", []string{"empty.yaml: file is empty"}, nil},
		{"binary file", "bin.yaml", "sources:\x00\x01\x02", []string{"bin.yaml:1: file is binary"}, nil},
		{"invalid utf-8", "latin1.yaml", "sources:\n  - id: source:caf\xe9\n", []string{"latin1.yaml:2: file is not UTF-8"}, nil},
		{"list for single value", "list.yaml", strings.Replace(base, "killed: 137", "killed: [137, 140]", 1), []string{"list.yaml:31: entities[2].facts[1].killed: a list for single-valued killed"}, nil},
		{"wrong domain", "domain.yaml", strings.Replace(base, "    placeType: city\n", "    placeType: city\n    killed: 3\n", 1), []string{"domain.yaml:19: entities[1].killed: killed does not apply to a Location"}, nil},
		{"wrong range", "range.yaml", strings.Replace(base, "perpetratedBy: group:isis-k", "perpetratedBy: location:moscow", 1), []string{"range.yaml:27: entities[2].facts[0].perpetratedBy: location:moscow is a Location (expected Group or Person or Organization)"}, nil},
		{"bad enum", "enum.yaml", strings.Replace(base, "placeType: city", "placeType: metropolis", 1), []string{"enum.yaml:18: entities[1].placeType: bad value: \"metropolis\" is not allowed (expected one of continent"}, schema.ErrBadValue},
		{"unknown top field", "top.yaml", "widgets: 3\n" + base, []string{"top.yaml:1: widgets: unknown top-level field"}, nil},
		{"missing id", "noid.yaml", base + "  - kind: Group\n    name: Nobody\n    source: source:bbc\n", []string{"noid.yaml:32: entities[3]: missing id"}, nil},
		{"bad id", "badid.yaml", base + "  - id: no colon here\n    kind: Group\n    source: source:bbc\n", []string{"badid.yaml:32: entities[3].id: id \"no colon here\" is not of the form kind:name"}, nil},
		{"source not a source", "src.yaml", strings.Replace(base, "      - source: source:slate", "      - source: group:isis-k", 1), []string{"src.yaml:29: entities[2].facts[1].source: group:isis-k is a Group (expected a Source)"}, nil},
		{"no source anywhere", "nosrc.yaml", "entities:\n  - id: group:x\n    kind: Group\n    name: X\n", []string{"nosrc.yaml:2: entities[0]: no source for group:x"}, nil},
		{"derived predicate", "key.yaml", strings.Replace(base, "placeType: city", "key: moscow", 1), []string{"key.yaml:18: entities[1].key: unknown predicate \"key\""}, schema.ErrUnknownPredicate},
		{"duplicate field", "dupkey.yaml", strings.Replace(base, "        killed: 137\n", "        killed: 137\n        killed: 140\n", 1), []string{"dupkey.yaml:32: entities[2].facts[1].killed: duplicate field (first at line 31"}, nil},
		{"unknown extension", "data.csv", "a,b\n", []string{"data.csv: unknown file type \".csv\""}, nil},
		{"nquads syntax", "bad.nq", "<group:x> <rdf:type> <tg:Group> <source:s> .\n<group:x> <tg:name> \"X <source:s> .\n", []string{"bad.nq:2: N-Quads syntax"}, nil},
		{"nquads no label", "nolabel.nq", "<group:x> <rdf:type> <tg:Group> <source:s> .\n<source:s> <rdf:type> <tg:Source> <source:s> .\n\n<group:x> <tg:name> \"X\" .\n", []string{"nolabel.nq:4: no label: every fact needs its source"}, nil},
		{"nquads unknown predicate", "pred.nq", "<source:s> <rdf:type> <tg:Source> <source:s> .\n<group:x> <rdf:type> <tg:Group> <source:s> .\n<group:x> <tg:nmae> \"X\" <source:s> .\n", []string{"pred.nq:3: predicate: unknown predicate <tg:nmae>, did you mean \"name\"?"}, schema.ErrUnknownPredicate},
		{"nquads dangling", "ref.nq", "<source:s> <rdf:type> <tg:Source> <source:s> .\n<attack:x> <rdf:type> <tg:Attack> <source:s> .\n<attack:x> <tg:perpetratedBy> <group:ghost> <source:s> .\n", []string{"ref.nq:3: object: group:ghost refers to an entity that exists nowhere"}, schema.ErrDanglingRef},
		{"nquads count literal not canonical", "cnt.nq", "<source:s> <rdf:type> <tg:Source> <source:s> .\n<attack:x> <rdf:type> <tg:Attack> <source:s> .\n<attack:x> <tg:killed> \"137/0||at least 137\"^^<tg:count> <source:s> .\n", []string{"cnt.nq:3: object: bad value: killed: count literal \"137/0||at least 137\": bounds do not rise"}, nil},
		{"nquads exact count as literal", "cnt2.nq", "<source:s> <rdf:type> <tg:Source> <source:s> .\n<attack:x> <rdf:type> <tg:Attack> <source:s> .\n<attack:x> <tg:killed> \"137||137\"^^<tg:count> <source:s> .\n", []string{"cnt2.nq:3:", "is an exact count of everyone (expected the integer"}, nil},
		{"nquads negative count", "neg.nq", "<source:s> <rdf:type> <tg:Source> <source:s> .\n<attack:x> <rdf:type> <tg:Attack> <source:s> .\n<attack:x> <tg:killed> \"-3\"^^<http://www.w3.org/2001/XMLSchema#integer> <source:s> .\n", []string{"neg.nq:3: object: bad value: killed: -3 is negative (expected a whole number written in decimal digits"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			if _, err := load(t, s, ingest.Options{}, map[string]string{"seed.yaml": "sources:\n  - id: source:seed\n    publisher: Seed\n"}); err != nil {
				t.Fatal(err)
			}
			before := count(t, s)
			_, err := load(t, s, ingest.Options{}, map[string]string{tt.file: tt.data})
			if err == nil {
				t.Fatalf("loading %s: no error; want %q", tt.file, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("loading %s: error\n%v\nwant it to contain %q", tt.file, err, w)
				}
			}
			if tt.errIs != nil && !errors.Is(err, tt.errIs) {
				t.Errorf("loading %s: error does not wrap %v", tt.file, tt.errIs)
			}
			if after := count(t, s); after != before {
				t.Errorf("loading %s changed the store: %d -> %d quads", tt.file, before, after)
			}
		})
	}
}

func TestKindConflictWithStore(t *testing.T) {
	s := openStore(t)
	if _, err := load(t, s, ingest.Options{}, map[string]string{"a.yaml": base}); err != nil {
		t.Fatal(err)
	}
	before := count(t, s)
	_, err := load(t, s, ingest.Options{}, map[string]string{"b.yaml": "entities:\n  - id: group:isis-k\n    kind: Organization\n    source: source:bbc\n"})
	if err == nil || !strings.Contains(err.Error(), "b.yaml:3: kind: id already used with another kind: group:isis-k is a Group in the store") {
		t.Fatalf("got %v; want a kind conflict with the store", err)
	}
	if count(t, s) != before {
		t.Errorf("store changed")
	}
	// A later file may refer to entities already in the store.
	if _, err := load(t, s, ingest.Options{}, map[string]string{"c.yaml": "entities:\n  - id: person:x\n    kind: Person\n    source: source:bbc\n    memberOf: group:isis-k\n"}); err != nil {
		t.Errorf("reference into the store: %v", err)
	}
}

func TestCrossFileReferences(t *testing.T) {
	s := openStore(t)
	files := map[string]string{
		"1-sources.yaml": "sources:\n  - id: source:a\n    publisher: A\n",
		"2-people.yaml":  "entities:\n  - id: person:x\n    kind: Person\n    source: source:a\n    memberOf: group:y\n",
		"3-groups.yaml":  "entities:\n  - id: group:y\n    kind: Group\n    source: source:a\n    name: Y\n",
	}
	if _, err := load(t, s, ingest.Options{}, files); err != nil {
		t.Fatalf("references across files of one load: %v", err)
	}
}

func TestSkipInvalidAndDryRun(t *testing.T) {
	s := openStore(t)
	bad := base + "  - id: attack:bad\n    kind: Attack\n    source: source:bbc\n    killed: -1\n    perpetratedBy: group:nope\n" +
		"  - id: claim:orphan\n    kind: Claim\n    source: source:bbc\n    claims: attack:bad\n"
	// Dry run: validates, writes nothing, even for a valid file.
	if _, err := load(t, s, ingest.Options{DryRun: true}, map[string]string{"a.yaml": base}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("dry run wrote %d quads", n)
	}
	// Strict: nothing.
	if _, err := load(t, s, ingest.Options{}, map[string]string{"bad.yaml": bad}); err == nil {
		t.Fatal("strict load of an invalid record succeeded")
	}
	if n := count(t, s); n != 0 {
		t.Fatalf("strict failure wrote %d quads", n)
	}
	// Skip invalid: the valid records load; the bad attack and the claim that
	// needs it are rejected and reported.
	var rejects bytes.Buffer
	rep, err := load(t, s, ingest.Options{SkipInvalid: true, Rejects: &rejects}, map[string]string{"bad.yaml": bad})
	if err != nil {
		t.Fatal(err)
	}
	if tot := rep.Totals(); tot.Rejected != 2 || tot.Records != 7 {
		t.Errorf("records %d rejected %d; want 7 and 2", tot.Records, tot.Rejected)
	}
	lines := strings.Split(strings.TrimSpace(rejects.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "attack:bad") || !strings.Contains(lines[0], "group:nope refers to an entity that exists nowhere") ||
		!strings.Contains(lines[1], "claim:orphan") || !strings.Contains(lines[1], "exists nowhere") {
		t.Errorf("rejects report:\n%s\nwant the attack and the orphaned claim", rejects.String())
	}
	strict, _ := load(t, openStore(t), ingest.Options{}, map[string]string{"a.yaml": base})
	if got, want := count(t, s), int64(strict.Totals().Added); got != want {
		t.Errorf("skip-invalid loaded %d quads; the valid part alone is %d", got, want)
	}
}

func TestNQuadsLoad(t *testing.T) {
	s := openStore(t)
	nq := "<source:s> <rdf:type> <tg:Source> <source:s> .\n<group:x> <rdf:type> <tg:Group> <source:s> .\n<group:x> <tg:name> \"X\" <source:s> .\n<group:x> <http://xmlns.com/foaf/0.1/homepage> <http://example.org/> <source:s> .\n"
	rep, err := load(t, s, ingest.Options{}, map[string]string{"a.nq": nq})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals().Added != 5 {
		t.Errorf("added %d; want 5 (4 quads and the name's lookup key)", rep.Totals().Added)
	}
	// The name resolves, case-insensitively, as for the native format.
	if m, err := query.NewReader(s, query.ReaderOptions{}).Resolve(t.Context(), "x"); err != nil || m.ID != "group:x" {
		t.Errorf("Resolve(x) after N-Quads ingest = %+v, %v; want group:x", m, err)
	}
}

func TestExampleFiles(t *testing.T) {
	// The native format's examples in docs/format.md parse as documented.
	md, err := os.ReadFile("../docs/format.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(md), "```yaml\n")
	if len(blocks) < 2 {
		t.Fatal("docs/format.md has no yaml example")
	}
	ex := strings.SplitN(blocks[1], "```", 2)[0]
	f := ingest.Parse("format.md.yaml", []byte(ex))
	for _, e := range f.Errors() {
		if !errors.Is(e, schema.ErrDanglingRef) {
			t.Errorf("docs/format.md example: %v", e)
		}
	}
	if len(f.Records) < 2 {
		t.Errorf("example gave %d records", len(f.Records))
	}
}

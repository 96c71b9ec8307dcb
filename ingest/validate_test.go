package ingest_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/builtin"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

const (
	xsdInt = "<http://www.w3.org/2001/XMLSchema#integer>"
	// nqHead declares a source, a group, a place and an attack.
	nqHead = "<source:s> <rdf:type> <tg:Source> <source:s> .\n" +
		"<group:g> <rdf:type> <tg:Group> <source:s> .\n" +
		"<location:l> <rdf:type> <tg:Location> <source:s> .\n" +
		"<attack:a> <rdf:type> <tg:Attack> <source:s> .\n"
)

// refused loads files into a store seeded with seed (if not empty) and
// checks that the load fails with every wanted text and changes nothing.
func refused(t *testing.T, s *graph.Store, files map[string]string, want ...string) error {
	t.Helper()
	before := count(t, s)
	_, err := load(t, s, ingest.Options{}, files)
	if err == nil {
		t.Fatalf("load succeeded; want an error containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error\n%v\nwant it to contain %q", err, w)
		}
	}
	if after := count(t, s); after != before {
		t.Errorf("the refused load changed the store: %d -> %d quads", before, after)
	}
	return err
}

func TestCountsAsWritten(t *testing.T) {
	const form = "(expected a whole number written in decimal digits, e.g. 137)"
	yaml := func(v string) string { return strings.Replace(base, "killed: 137", "killed: "+v, 1) }
	json := func(v string) string {
		return `{"sources": [{"id": "source:s", "publisher": "S"}],
"entities": [{"id": "attack:a", "kind": "Attack", "source": "source:s",
  "killed": ` + v + `}]}`
	}
	tests := []struct{ file, data, want string }{
		{"hex.yaml", yaml("0x89"), "hex.yaml:31: entities[2].facts[1].killed: bad value: 0x89 is hexadecimal " + form},
		{"oct.yaml", yaml("0o17"), "oct.yaml:31: entities[2].facts[1].killed: bad value: 0o17 is octal " + form},
		{"sep.yaml", yaml("1_000"), "sep.yaml:31: entities[2].facts[1].killed: bad value: 1_000 has digit separators " + form},
		{"plus.yaml", yaml("+5"), "plus.yaml:31: entities[2].facts[1].killed: bad value: +5 has a sign " + form},
		{"zero.yaml", yaml("0137"), "zero.yaml:31: entities[2].facts[1].killed: bad value: 0137 has a leading zero"},
		{"big.yaml", yaml("2147483648"), "big.yaml:31: entities[2].facts[1].killed: bad value: 2147483648 is too large (expected at most 2147483647)"},
		{"huge.yaml", yaml("99999999999999999999"), "huge.yaml:31: entities[2].facts[1].killed: bad value: 99999999999999999999 is too large"},
		{"exp.json", json("1e3"), "exp.json:3: entities[0].killed: bad value: 1e3 is not a whole number " + form},
		{"one.json", json("1.0"), "one.json:3: entities[0].killed: bad value: 1.0 is not a whole number"},
		{"half.json", json("137.5"), "half.json:3: entities[0].killed: bad value: 137.5 is not a whole number"},
		{"neg.json", json("-1"), "neg.json:3: entities[0].killed: bad value: -1 is negative " + form},
		{"big.json", json("2147483648"), "big.json:3: entities[0].killed: bad value: 2147483648 is too large"},
		{"big.nq", nqHead + `<attack:a> <tg:killed> "2147483648"^^` + xsdInt + " <source:s> .\n", "big.nq:5: object: bad value: killed: 2147483648 is too large"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			err := refused(t, openStore(t), map[string]string{tt.file: tt.data}, tt.want)
			if !errors.Is(err, schema.ErrBadValue) {
				t.Errorf("error does not wrap ErrBadValue")
			}
		})
	}
	// The largest count loads, in both readers.
	s := openStore(t)
	if _, err := load(t, s, ingest.Options{}, map[string]string{"max.yaml": yaml("2147483647"), "max.json": json("0")}); err != nil {
		t.Errorf("the largest count: %v", err)
	}
}

func TestNQuadsVocabulary(t *testing.T) {
	tests := []struct {
		name, line string
		want       []string
	}{
		{"blank label", `<group:g> <tg:name> "G" _:b .`, []string{"a.nq:5: label: _:b is a blank node (expected the IRI of a Source"}},
		{"undeclared source", `<group:g> <tg:name> "G" <source:nobody> .`, []string{"a.nq:5: label: source:nobody refers to an entity that exists nowhere"}},
		{"label not a source", `<group:g> <tg:name> "G" <location:l> .`, []string{"a.nq:5: label: location:l is a Location (expected a Source)"}},
		{"statement of an undeclared source", `<group:g> <tg:name> "G" <source:nobody#e-12345678> .`, []string{"a.nq:5: label: source:nobody refers to an entity that exists nowhere"}},
		{"wrong domain", `<group:g> <tg:killed> "3"^^` + xsdInt + ` <source:s> .`, []string{"a.nq:5: predicate: killed does not apply to a Group (group:g is a Group; expected on Attack)"}},
		{"wrong range", `<attack:a> <tg:perpetratedBy> <location:l> <source:s> .`, []string{"a.nq:5: object: location:l is a Location (expected Group or Person or Organization)"}},
		{"undeclared subject", `<group:ghost> <tg:name> "Ghost" <source:s> .`, []string{"a.nq:5: subject: group:ghost refers to an entity that exists nowhere (expected a statement <group:ghost> <rdf:type> <tg:Kind>"}},
		{"blank subject", `_:x <tg:name> "X" <source:s> .`, []string{"a.nq:5: subject: _:x is a blank node (expected an entity id"}},
		{"count as text", `<attack:a> <tg:killed> "many" <source:s> .`, []string{"a.nq:5: object: bad value: killed: \"many\" is not a count"}},
		{"date as plain text", `<attack:a> <tg:date> "2024-03-22" <source:s> .`, []string{"a.nq:5: object: bad value: date: \"2024-03-22\" is not a date literal (expected a date such as \"2024-03-22\"^^<tg:date>)"}},
		{"bad date", `<attack:a> <tg:date> "yesterday"^^<tg:date> <source:s> .`, []string{"a.nq:5: object: bad value: date:", "yesterday"}},
		{"enum", `<location:l> <tg:placeType> "metropolis" <source:s> .`, []string{"a.nq:5: object: bad value: placeType: \"metropolis\" is not allowed"}},
		{"latitude", `<location:l> <tg:lat> "91.5"^^<http://www.w3.org/2001/XMLSchema#double> <source:s> .`, []string{"a.nq:5: object: bad value: lat: 91.5 is out of range"}},
		{"boolean", `<attack:a> <tg:killed> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> <source:s> .`, []string{"a.nq:5: object: bad value: killed:", "is not a count"}},
		{"name with escape", "<group:g> <tg:name> \"G\\u001B[2J\" <source:s> .", []string{`a.nq:5: object: bad value: name: control character: G\x1b[2J contains a control character, \x1b`}},
		{"self part", `<location:l> <tg:partOf> <location:l> <source:s> .`, []string{"a.nq:5: object: bad value: location:l partOf itself"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refused(t, openStore(t), map[string]string{"a.nq": nqHead + tt.line + "\n"}, tt.want...)
		})
	}
	// A label may name a source of the store.
	s := openStore(t)
	if _, err := load(t, s, ingest.Options{}, map[string]string{"src.yaml": "sources:\n  - id: source:old\n    publisher: Old\n"}); err != nil {
		t.Fatal(err)
	}
	if _, err := load(t, s, ingest.Options{}, map[string]string{"b.nq": "<group:h> <rdf:type> <tg:Group> <source:old> .\n<group:h> <tg:name> \"H\" <source:old> .\n"}); err != nil {
		t.Errorf("N-Quads citing a source of the store: %v", err)
	}
}

// TestNQuadsExportReadsBack: the stricter N-Quads reader still reads what
// threatgraph exports (the built-in dataset, derived quads included).
func TestNQuadsExportReadsBack(t *testing.T) {
	files, err := builtin.Files()
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*ingest.File
	for _, f := range files {
		parsed = append(parsed, ingest.Parse(f.Name, f.Data))
	}
	s := openStore(t)
	if _, err := ingest.Load(t.Context(), s, parsed, ingest.Options{}); err != nil {
		t.Fatalf("built-in dataset: %v", err)
	}
	var nq bytes.Buffer
	if _, err := query.NewReader(s, query.ReaderOptions{}).Export(t.Context(), &nq, "nquads", query.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t)
	rep, err := load(t, s2, ingest.Options{}, map[string]string{"export.nq": nq.String()})
	if err != nil {
		t.Fatalf("re-reading the N-Quads export: %v", err)
	}
	if got, want := count(t, s2), count(t, s); got != want || int64(rep.Totals().Added) != want {
		t.Errorf("export read back: %d quads (added %d); the store held %d", got, rep.Totals().Added, want)
	}
}

func TestSourceAttributesAgree(t *testing.T) {
	src := func(title, rel string) string {
		return "sources:\n  - id: source:r\n    publisher: Reuters\n    title: " + title + "\n    reliability: " + rel + "\n"
	}
	t.Run("two files", func(t *testing.T) {
		refused(t, openStore(t), map[string]string{"a.yaml": src("Attack in Moscow", "B"), "b.yaml": src("Attack in Paris", "B")},
			`b.yaml:4: sources[0].title: source source:r has title "Attack in Moscow" at a.yaml:4 and "Attack in Paris" here`)
	})
	t.Run("one file twice", func(t *testing.T) {
		refused(t, openStore(t), map[string]string{"a.yaml": src("T", "B") + "  - id: source:r\n    reliability: E\n"},
			`a.yaml:7: sources[1].reliability: source source:r has reliability "B" at a.yaml:5 and "E" here`)
	})
	t.Run("file and store", func(t *testing.T) {
		s := openStore(t)
		if _, err := load(t, s, ingest.Options{}, map[string]string{"a.yaml": src("T", "B")}); err != nil {
			t.Fatal(err)
		}
		// The same declaration again is no conflict.
		if _, err := load(t, s, ingest.Options{}, map[string]string{"a.yaml": src("T", "B")}); err != nil {
			t.Fatalf("re-ingesting the same source: %v", err)
		}
		refused(t, s, map[string]string{"b.yaml": src("T", "A")},
			`b.yaml:5: sources[0].reliability: source source:r has reliability "B" in the store and "A" here`)
		refused(t, s, map[string]string{"c.nq": `<source:r> <tg:title> "Other" <source:r> .` + "\n"},
			`c.nq:1: object: source source:r has title "T" in the store and "Other" here`)
	})
}

func TestNoSelfLoopsOrCycles(t *testing.T) {
	places := func(edges ...string) string {
		var b strings.Builder
		b.WriteString("source: source:s\nsources:\n  - id: source:s\n    publisher: S\nentities:\n")
		for _, e := range edges {
			from, to, _ := strings.Cut(e, ">")
			b.WriteString("  - id: location:" + from + "\n    kind: Location\n")
			if to != "" {
				b.WriteString("    partOf: location:" + to + "\n")
			}
		}
		return b.String()
	}
	t.Run("affiliate of itself", func(t *testing.T) {
		refused(t, openStore(t), map[string]string{"a.yaml": base + "  - id: group:x\n    kind: Group\n    source: source:bbc\n    affiliateOf: group:x\n"},
			"a.yaml:35: entities[3].affiliateOf: bad value: group:x affiliateOf itself (expected another entity)")
	})
	t.Run("part of itself", func(t *testing.T) {
		refused(t, openStore(t), map[string]string{"a.yaml": places("a>a")}, "a.yaml:8: entities[0].partOf: bad value: location:a partOf itself")
	})
	t.Run("cycle in one load", func(t *testing.T) {
		refused(t, openStore(t), map[string]string{"a.yaml": places("a>b", "b>c", "c>a")},
			"a.yaml:14: entities[2].partOf: location:c partOf location:a closes a cycle: location:c -> location:a -> location:b -> location:c")
	})
	t.Run("cycle through the store", func(t *testing.T) {
		s := openStore(t)
		if _, err := load(t, s, ingest.Options{}, map[string]string{"a.yaml": places("a>b", "b>c", "c")}); err != nil {
			t.Fatalf("a chain that ends: %v", err)
		}
		refused(t, s, map[string]string{"b.nq": `<location:c> <tg:partOf> <location:a> <source:s> .` + "\n"},
			"b.nq:1: object: location:c partOf location:a closes a cycle: location:c -> location:a -> location:b -> location:c")
		// A second chain into the same places is fine.
		if _, err := load(t, s, ingest.Options{}, map[string]string{"c.yaml": places("d>a", "e>a")}); err != nil {
			t.Errorf("two places within one: %v", err)
		}
	})
}

func TestControlCharacters(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"escape in name", strings.Replace(base, "name: Moscow", `name: "Mos\ecow"`, 1), `a.yaml:16: entities[1].name: bad value: control character: Mos\x1bcow contains a control character, \x1b, at byte 3`},
		{"carriage return in alias", strings.Replace(base, "[ISIS-K, IS-K, ISIL-K]", `[ISIS-K, "IS-K\r", ISIL-K]`, 1), `a.yaml:13: entities[0].alias: bad value: control character: IS-K\r contains a control character, \r`},
		{"C1 in title", strings.Replace(base, "    publisher: Slate\n", "    publisher: Slate\n    title: \"a\\x9bb\"\n", 1), `a.yaml:8: sources[1].title: bad value: control character: a\u009bb contains a control character`},
		{"bidi override in name", strings.Replace(base, "name: Moscow", "name: \"Mos\u202ecow\"", 1), `a.yaml:16: entities[1].name: bad value: control character: Mos\u202ecow contains a bidirectional formatting character, \u202e`},
		{"bidi isolate in id", strings.Replace(base, "id: location:moscow", "id: \"location:mos\u2066cow\"", 1), `a.yaml:14: entities[1].id: id: control character: location:mos\u2066cow contains a bidirectional formatting character`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := refused(t, openStore(t), map[string]string{"a.yaml": tt.data}, tt.want)
			if !errors.Is(err, schema.ErrControlChar) {
				t.Errorf("error does not wrap ErrControlChar")
			}
		})
	}
	// Descriptions and quotes may span lines.
	ok := strings.Replace(base, "    placeType: city\n", "    placeType: city\n    description: \"a city\\non a river\"\n", 1)
	if _, err := load(t, openStore(t), ingest.Options{}, map[string]string{"a.yaml": ok}); err != nil {
		t.Errorf("a description with a line break: %v", err)
	}
}

func TestNameClashWarns(t *testing.T) {
	group := func(id, name, alias string) string {
		return "  - id: " + id + "\n    kind: Group\n    source: source:bbc\n    name: " + name + "\n    alias: [" + alias + "]\n"
	}
	t.Run("in one load", func(t *testing.T) {
		s := openStore(t)
		f := ingest.Parse("a.yaml", []byte(base+group("group:isis", "Islamic State", "IS, ISIS")+group("group:is-libya", "Islamic State in Libya", "Islamic State")))
		rep, err := ingest.Load(t.Context(), s, []*ingest.File{f}, ingest.Options{})
		if err != nil {
			t.Fatalf("a shared alias is a warning, not an error: %v", err)
		}
		if rep.Totals().Added == 0 {
			t.Errorf("nothing loaded")
		}
		ws := ingest.Warnings([]*ingest.File{f})
		if len(ws) != 1 || !strings.Contains(ws[0].Error(), `a.yaml:41: entities[4].alias: "Islamic State" is also a name or alias of group:isis ("Islamic State" at a.yaml:35): looking it up will list both (look them up by id; if they are one entity, threatgraph candidates proposes the same command)`) {
			t.Errorf("warnings %v; want one for the shared alias", ws)
		}
	})
	t.Run("against the store", func(t *testing.T) {
		s := openStore(t)
		if _, err := load(t, s, ingest.Options{}, map[string]string{"a.yaml": base}); err != nil {
			t.Fatal(err)
		}
		f := ingest.Parse("b.yaml", []byte("entities:\n"+group("group:isis-kashmir", "ISIS Kashmir", "isis-k")))
		if _, err := ingest.Load(t.Context(), s, []*ingest.File{f}, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		ws := ingest.Warnings([]*ingest.File{f})
		if len(ws) != 1 || !strings.Contains(ws[0].Error(), `b.yaml:6: entities[0].alias: "isis-k" is already a name or alias of group:isis-k in the store: looking it up will list both`) {
			t.Errorf("warnings %v; want one for the alias taken in the store", ws)
		}
		// Loading the same again warns no more: the clash is not new.
		f = ingest.Parse("b.yaml", []byte("entities:\n"+group("group:isis-kashmir", "ISIS Kashmir", "isis-k")))
		if _, err := ingest.Load(t.Context(), s, []*ingest.File{f}, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
		if ws := ingest.Warnings([]*ingest.File{f}); len(ws) != 0 {
			t.Errorf("re-ingest warnings %v; want none", ws)
		}
	})
}

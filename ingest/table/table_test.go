package table

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/internal/memtest"
	"github.com/threatgraph/threatgraph/internal/tabletest"
	"github.com/threatgraph/threatgraph/schema"
)

// TestSchemaDocEqual keeps docs/mapping.schema.json the embedded schema.
func TestSchemaDocEqual(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "mapping.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, JSONSchema()) {
		t.Error("docs/mapping.schema.json differs from ingest/table/mapping.schema.json (copy the one to the other)")
	}
}

// TestShippedMappings: each shipped mapping is valid and names only
// columns of the format it reads.
func TestShippedMappings(t *testing.T) {
	headers := map[string][]string{"acled": tabletest.ACLEDColumns}
	path := filepath.Join("..", "..", "..", "shared", "data", "gtd", "gtd_0718dist_header.csv")
	if data, err := os.ReadFile(path); err == nil {
		h, err := csv.NewReader(bytes.NewReader(data)).Read()
		if err != nil {
			t.Fatal(err)
		}
		headers["gtd"] = h
	} else {
		t.Logf("GTD header %s: %v (the gtd mapping is checked without it)", path, err)
	}
	for _, name := range Shipped() {
		m, err := Open(name)
		if err != nil {
			t.Errorf("shipped mapping %s: %v", name, err)
			continue
		}
		h, ok := headers[name]
		if !ok {
			continue
		}
		for _, ref := range m.refs {
			if !contains(h, ref.name) {
				t.Errorf("%s:%d: %s: column %q is not in the %s header", m.Name(), ref.line, ref.field, ref.name, name)
			}
		}
	}
	if got := Shipped(); len(got) != 2 || got[0] != "acled" || got[1] != "gtd" {
		t.Errorf("Shipped() = %v; want [acled gtd]", got)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

const minimal = `source: {id: "source:t", title: Test table}
entities:
  attack:
    kind: Attack
    id: "attack:t-{id}"
`

// TestParseErrors: every mistake of a mapping is reported at its line and
// field, with what was expected.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name, mapping, want string
	}{
		{"unknown field", minimal + "    colour: red\n", `map.yaml:4: entities.attack: does not match the mapping's JSON Schema: unknown field "colour"`},
		{"missing source", "entities:\n  a: {kind: Attack, id: \"attack:{id}\"}\n", `map.yaml:1: does not match the mapping's JSON Schema: missing "source"`},
		{"bad kind", strings.Replace(minimal, "kind: Attack", "kind: Attak", 1), "map.yaml:4: entities.attack.kind: does not match"},
		{"unknown predicate", minimal + "    facts:\n      kiled: {column: n}\n", `map.yaml:7: entities.attack.facts.kiled: unknown predicate "kiled"`},
		{"predicate of another kind", minimal + "    facts:\n      lat: {column: n}\n", "map.yaml:7: entities.attack.facts.lat: lat does not apply to a Attack"},
		{"bad enum constant", minimal + "    facts:\n      status: {constant: done}\n", `map.yaml:7: entities.attack.facts.status.constant: "done" is not a status`},
		{"bad value map", minimal + "    facts:\n      status: {column: s, values: {\"1\": won}}\n", `map.yaml:7: entities.attack.facts.status.values.1: "won" is not a status`},
		{"words without the figure", minimal + "    facts:\n      killed: {column: n, words: \"killed: {value}\"}\n", "map.yaml:7: entities.attack.facts.killed.words: words \"killed: {value}\" must begin with {value}"},
		{"count option on a date", minimal + "    facts:\n      date: {column: d, upper: e}\n", "map.yaml:7: entities.attack.facts.date.upper: upper is for a count"},
		{"relation to nowhere", minimal + "relations:\n  - {from: attack, pred: perpetratedBy, to: group}\n", `map.yaml:7: relations[0].to: unknown entity "group" (expected one of the mapping's entities: attack)`},
		{"relation is no relation", minimal + "relations:\n  - {from: attack, pred: killed, to: attack}\n", "map.yaml:7: relations[0].pred: killed is a count"},
		{"unclosed template", strings.Replace(minimal, "{id}", "{id", 1), "map.yaml:5: entities.attack.id: template \"attack:t-{id\": '{' without '}'"},
		{"id without a column", strings.Replace(minimal, "attack:t-{id}", "attack:t", 1), "map.yaml:5: entities.attack.id: template \"attack:t\" names no column"},
		{"header false without columns", "header: false\n" + minimal, "map.yaml:1: columns: missing"},
		{"columns the mapping lacks", "header: false\ncolumns: [ident]\n" + minimal, `map.yaml:7: entities.attack.id: unknown column "id" (expected one of the mapping's columns; did you mean "ident"?)`},
		{"alias", minimal + "    name: &n \"{id}\"\n    facts: {description: *n}\n", "map.yaml:7: YAML alias *n"},
		{"empty", "", "map.yaml: empty mapping"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("map.yaml", []byte(c.mapping))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse(%q) error:\n%v\nwant it to contain:\n%s", c.mapping, err, c.want)
			}
		})
	}
	if _, err := Parse("map.yaml", []byte(minimal)); err != nil {
		t.Errorf("minimal mapping: %v", err)
	}
}

func load(t *testing.T, mapping, table string) *ingest.File {
	t.Helper()
	m, err := Parse("map.yaml", []byte(mapping))
	if err != nil {
		t.Fatal(err)
	}
	return New(m).Import(t.Context(), "t.csv", []byte(table))
}

// quadsOf lists a file's quads as "subject predicate object" lines.
func quadsOf(f *ingest.File) string {
	var b strings.Builder
	for _, r := range f.Records {
		for _, q := range r.Quads {
			b.WriteString(q.Subject.String() + " " + q.Predicate.String() + " " + q.Object.String() + "\n")
		}
	}
	return b.String()
}

// TestValues: counts with an upper bound column and words, dates with a
// precision code, a header-less tab-separated table, value maps.
func TestValues(t *testing.T) {
	mapping := `delimiter: tab
header: false
columns: [id, lo, hi, when, prec, kind]
source: {id: "source:t", title: Test table}
entities:
  attack:
    kind: Attack
    id: "attack:t-{id}"
    facts:
      killed: {column: lo, upper: hi, words: "{value} dead (estimate)", unknown: ["-1"]}
      date: {column: when, precision: {column: prec, values: {d: day, w: week, m: month}}}
      attackType: {column: kind, values: {"1": bombing, "9": ""}}
`
	f := load(t, mapping, "1\t3\t5\t2024-03-22\tw\t1\n2\t4\t\t22 March 2024\tm\t9\n3\t7\t7\t2024-03-22\td\t1\n4\t-1\t9\t2024\td\t1\n")
	if err := f.Errors().Err(); err != nil {
		t.Fatal(err)
	}
	got := quadsOf(f)
	for _, want := range []string{
		`<attack:t-1> <tg:killed> "3/5||3-5 dead (estimate)"^^<tg:count>`,
		`<attack:t-1> <tg:date> "2024-03-16/2024-03-28"^^<tg:date>`,
		`<attack:t-1> <tg:dateText> "2024-03-22 (prec w)"`,
		`<attack:t-1> <tg:attackType> "bombing"`,
		`<attack:t-2> <tg:killed> "4/||at least 4 dead (estimate)"^^<tg:count>`,
		`<attack:t-2> <tg:date> "2024-03"^^<tg:date>`,
		`<attack:t-3> <tg:killed> "7||7 dead (estimate)"^^<tg:count>`,
		`<attack:t-3> <tg:date> "2024-03-22"^^<tg:date>`,
		`<attack:t-4> <tg:date> "2024"^^<tg:date>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("quads lack %s:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{`<attack:t-2> <tg:attackType>`, `<attack:t-4> <tg:killed>`} {
		if strings.Contains(got, unwanted) {
			t.Errorf("quads have %s (code 9 maps to nothing; -1 is unknown):\n%s", unwanted, got)
		}
	}
}

// TestNumericDates: a numeric date other than YYYY-MM-DD needs the
// mapping's order, and is read in it.
func TestNumericDates(t *testing.T) {
	mapping := minimal + "    facts:\n      date: {column: d, numeric: dmy}\n"
	f := load(t, mapping, "id,d\n1,02-03-2024\n2,2024-03-02\n3,31-02-2024\n")
	got, errs := quadsOf(f), f.Errors().Error()
	for _, want := range []string{`<attack:t-1> <tg:date> "2024-03-02"^^<tg:date>`, `<attack:t-1> <tg:dateText> "02-03-2024"`, `<attack:t-2> <tg:date> "2024-03-02"^^<tg:date>`} {
		if !strings.Contains(got, want) {
			t.Errorf("quads lack %s:\n%s", want, got)
		}
	}
	if !strings.Contains(errs, `t.csv:4: d: bad value: date "31-02-2024" (dmy)`) {
		t.Errorf("31-02-2024: errors %s", errs)
	}
	f = load(t, minimal+"    facts:\n      date: {column: d}\n", "id,d\n1,02-03-2024\n")
	if errs := f.Errors().Error(); !strings.Contains(errs, "expected numeric: dmy or mdy") {
		t.Errorf("a numeric date without an order: %s", errs)
	}
}

// TestRowErrors: each bad cell is FILE:ROW: COLUMN, the row counted as
// the line it begins on, past quoted line breaks.
func TestRowErrors(t *testing.T) {
	mapping := minimal + `    facts:
      killed: {column: n}
      description: {column: notes}
      date: {year: y, month: m, day: d}
`
	table := "id,notes,n,y,m,d\n1,\"two\nlines\",x,2020,1,1\n2,ok,3,2020,2,30\n3,ok,3,2020,0,5\n4,ok,1,2020\n5,ok,1,20x0,1,1\n"
	f := load(t, mapping, table)
	got := f.Errors().Error()
	for _, want := range []string{
		`t.csv:2: n: bad value: "x" is not a whole number`,
		"t.csv:4: d: bad value: 30 is out of range 1-29",
		"t.csv:5: d: bad value: a day (5) without a month",
		"t.csv:6: 4 columns (expected 6, as the header)",
		`t.csv:7: y: bad value: "20x0" is not a whole number`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
	if n := len(f.Records); n != 6 {
		t.Errorf("%d records; want the source and 5 rows", n)
	}
}

// TestAccording: a per-row source makes the row a statement of the
// dataset, according to each source the cell lists.
func TestAccording(t *testing.T) {
	mapping := `source: {id: "source:t", title: Test table}
according: {column: src, split: ";", id: "source:t-{value}", quote: "{notes}"}
entities:
  attack: {kind: Attack, id: "attack:t-{id}", facts: {killed: {column: n}}}
`
	f := load(t, mapping, "id,src,notes,n\n1,Reuters; AFP,\"Five died, said police.\",5\n2,,,3\n")
	if err := f.Errors().Err(); err != nil {
		t.Fatal(err)
	}
	stmt := schema.StatementLabel("source:t", "Five died, said police.")
	got := quadsOf(f)
	for _, want := range []string{
		"<" + stmt + `> <tg:quote> "Five died, said police."`,
		"<" + stmt + "> <tg:accordingTo> <source:t-reuters>",
		"<" + stmt + "> <tg:accordingTo> <source:t-afp>",
		`<source:t-afp> <tg:title> "AFP"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("quads lack %s:\n%s", want, got)
		}
	}
	for _, r := range f.Records[1:] {
		for _, q := range r.Quads {
			if q.Predicate.String() == "<tg:killed>" {
				want := map[string]string{"<attack:t-1>": "<" + stmt + ">", "<attack:t-2>": "<source:t>"}[q.Subject.String()]
				if q.Label.String() != want {
					t.Errorf("%s killed labelled %s; want %s", q.Subject, q.Label, want)
				}
			}
		}
	}
}

// TestUnknownColumnAtMappingLine: a column the header lacks is an error at
// the mapping's line, and the table loads nothing.
func TestUnknownColumnAtMappingLine(t *testing.T) {
	f := load(t, minimal+"    name: \"{title}\"\n", "id,titel\n1,x\n")
	got := f.Errors().Error()
	if want := `map.yaml:6: entities.attack.name: unknown column "title": t.csv has no such column (expected one of id, titel; did you mean "titel"?)`; !strings.Contains(got, want) {
		t.Errorf("errors:\n%s\nwant %s", got, want)
	}
	if len(f.FileErrs) == 0 {
		t.Error("an unknown column is not an error of the whole file")
	}
}

// TestEncodingAndBOM: a byte-order mark is no part of the first column; a
// Latin-1 table is refused unless the mapping says latin1.
func TestEncodingAndBOM(t *testing.T) {
	mapping := minimal + "    name: \"{name}\"\n"
	f := load(t, mapping, "\ufeffid,name\n1,Bogot\u00e1\n")
	if err := f.Errors().Err(); err != nil {
		t.Fatal(err)
	}
	latin := []byte("id,name\n1,Bogot\xe1\n")
	f = load(t, mapping, string(latin))
	if got := f.Errors().Error(); !strings.Contains(got, "t.csv:2: not UTF-8 text") {
		t.Errorf("a Latin-1 table read as UTF-8: %s", got)
	}
	for _, enc := range []string{"latin1", "utf-8-or-latin1"} {
		f = load(t, "encoding: "+enc+"\n"+mapping, string(latin))
		if err := f.Errors().Err(); err != nil || !strings.Contains(quadsOf(f), "\"Bogot\u00e1\"") {
			t.Errorf("encoding %s: %v\n%s", enc, err, quadsOf(f))
		}
	}
	if len(f.Warnings) != 1 {
		t.Errorf("utf-8-or-latin1 on Latin-1: warnings %v; want one", f.Warnings)
	}
	f = load(t, "encoding: utf-8-or-latin1\n"+mapping, "id,name\n1,Bogot\u00e1\n")
	if !strings.Contains(quadsOf(f), "\"Bogot\u00e1\"") || len(f.Warnings) != 0 {
		t.Errorf("utf-8-or-latin1 on UTF-8: %s %v", quadsOf(f), f.Warnings)
	}
}

// TestEmptyTables: a table without rows, or without anything, is an error.
func TestEmptyTables(t *testing.T) {
	for in, want := range map[string]string{"": "t.csv: empty table", "id\n": "t.csv: no rows"} {
		if got := load(t, minimal, in).Errors().Error(); !strings.Contains(got, want) {
			t.Errorf("table %q: %s; want %s", in, got, want)
		}
	}
}

// TestCancel: a cancelled context stops the reading, as an error of the file.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	m, err := Parse("map.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	f := New(m).Import(ctx, "t.csv", []byte("id\n1\n2\n"))
	if err := f.Errors().Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Import with a cancelled context: %v; want context.Canceled", err)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Islamic State of Iraq and the Levant (ISIL)": "islamic-state-of-iraq-and-the-levant-isil",
		"Şırnak":            "sırnak",
		"Bogotá":            "bogota",
		"-12.5":             "neg-12-5",
		"12.5":              "12-5",
		"New People's Army": "new-people-s-army",
	} {
		if got := slugOf(in); got != want {
			t.Errorf("slugOf(%q) = %q; want %q", in, got, want)
		}
	}
	long := strings.Repeat("very long name ", 20)
	if got := slugOf(long); len([]rune(got)) > maxSlug || !strings.HasPrefix(got, "very-long-name") {
		t.Errorf("slugOf(long) = %q (%d runes); want at most %d, cut with a hash", got, len([]rune(got)), maxSlug)
	}
	if slugOf(long) == slugOf(long+"x") {
		t.Error("two long texts that differ only at their end share a slug")
	}
	if got := slugOf("!!!"); got == "" || schema.CheckID("x:"+got) != nil {
		t.Errorf("slugOf(\"!!!\") = %q", got)
	}
}

// BenchmarkImport reads a generated GTD-shaped table with the shipped
// mapping; BenchmarkCSVBaseline only reads its rows with encoding/csv (one
// reused record): the cost of the mapping is the difference.
func BenchmarkImport(b *testing.B) {
	data, m := benchTable(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var peak, base uint64
	for b.Loop() {
		stop := memtest.Peak()
		f := New(m).Import(b.Context(), "gtd.csv", data)
		p, bs := stop()
		peak, base = max(peak, p), bs
		if err := f.Errors().Err(); err != nil {
			b.Fatal(err)
		}
	}
	// The heap the parsed file holds at its peak (the Builder's records),
	// per row of the table.
	b.ReportMetric(float64(peak-base)/benchRows, "peak-heap-B/row")
}

func BenchmarkCSVBaseline(b *testing.B) {
	data, _ := benchTable(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchTable(b *testing.B) ([]byte, *Mapping) {
	path := filepath.Join("..", "..", "..", "shared", "data", "gtd", "gtd_0718dist_header.csv")
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("GTD header %s: %v", path, err)
	}
	h, err := csv.NewReader(bytes.NewReader(raw)).Read()
	if err != nil {
		b.Fatal(err)
	}
	m, err := Open("gtd")
	if err != nil {
		b.Fatal(err)
	}
	return tabletest.GTD(h, benchRows, 5).CSV(','), m
}

const benchRows = 10000

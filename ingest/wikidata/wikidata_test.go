package wikidata_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/wikidata"
	"github.com/threatgraph/threatgraph/schema"
)

const header = "qid,primary_name,aliases_json,wikidata_class_qid,wikidata_class_label,source_url,source_modified_utc,source_revision,retrieved_utc,license\n"

func openStore(t *testing.T) *graph.Store {
	t.Helper()
	s, err := graph.Open(t.Context(), graph.Options{Backend: "bbolt", Path: filepath.Join(t.TempDir(), "tg.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func count(t *testing.T, s *graph.Store) int64 {
	t.Helper()
	n, err := s.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		head string
		want bool
	}{
		{header, true},
		{"\ufeff" + header, true},
		{"qid,primary_name,aliases_json\r\nQ1,A,[]\r\n", true},
		{"qid,name,aliases_json\n", false},
		{"iyear,imonth,iday\n", false},
		{`{"type": "bundle"}`, false},
		{"", false},
	} {
		if got := (wikidata.Importer{}).Detect("x.csv", []byte(c.head)); got != c.want {
			t.Errorf("Detect(%q) = %v; want %v", c.head, got, c.want)
		}
	}
	// A name alone (the server's check before reading an upload).
	for name, want := range map[string]bool{"excerpt.csv": true, "X.CSV": true, "notes.yaml": false, "csv": false} {
		if got := (wikidata.Importer{}).Detect(name, nil); got != want {
			t.Errorf("Detect(%q, nil) = %v; want %v", name, got, want)
		}
	}
}

// TestImportSmall: each row one entity with its name, aliases (the name in
// other letters left out), externalId and a Source of its own; the kind
// by class; two rows sharing an alias stay two entities (a warning).
func TestImportSmall(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "small.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f := (wikidata.Importer{}).Import(t.Context(), "small.csv", data)
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatalf("Import: %v", errs)
	}
	if len(f.Records) != 3 {
		t.Fatalf("%d records; want 3, one per row", len(f.Records))
	}
	s := openStore(t)
	rep, err := ingest.Load(t.Context(), s, []*ingest.File{f}, ingest.Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !strings.Contains(rep.Warnings.Error(), `"Shared Name" is also a name or alias of group:wd-Q1`) {
		t.Errorf("warnings %v; want the shared alias named", rep.Warnings)
	}
	want := []string{
		`<group:wd-Q1> <rdf:type> <tg:Group> <source:wikidata-Q1-r100>`,
		`<group:wd-Q1> <tg:name> "Alpha Front" <source:wikidata-Q1-r100>`,
		`<group:wd-Q1> <tg:externalId> "wikidata:Q1" <source:wikidata-Q1-r100>`,
		`<group:wd-Q1> <tg:alias> "AF" <source:wikidata-Q1-r100>`,
		`<group:wd-Q1> <tg:alias> "Shared Name" <source:wikidata-Q1-r100>`,
		`<group:wd-Q2> <rdf:type> <tg:Group> <source:wikidata-Q2-r200>`,
		`<group:wd-Q2> <tg:alias> "Shared Name" <source:wikidata-Q2-r200>`,
		`<group:wd-Q3> <rdf:type> <tg:Organization> <source:wikidata-Q3>`,
		`<source:wikidata-Q1-r100> <rdf:type> <tg:Source> <source:wikidata-Q1-r100>`,
		`<source:wikidata-Q1-r100> <tg:published> "2025-12-15"^^<tg:date> <source:wikidata-Q1-r100>`,
		`<source:wikidata-Q2-r200> <tg:published> "2025-11-13"^^<tg:date> <source:wikidata-Q2-r200>`,
		`<source:wikidata-Q3> <tg:url> "https://www.wikidata.org/wiki/Q3" <source:wikidata-Q3>`,
	}
	got := map[string]bool{}
	var aliasesQ1 int
	err = s.Scan(t.Context(), func(q quad.Quad) error {
		got[q.Subject.String()+" "+q.Predicate.String()+" "+q.Object.String()+" "+q.Label.String()] = true
		if q.Subject == quad.IRI("group:wd-Q1") && q.Predicate == quad.IRI("tg:alias") {
			aliasesQ1++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range want {
		if !got[q] {
			t.Errorf("the store lacks %s", q)
		}
	}
	if aliasesQ1 != 2 { // AF and Shared Name; "alpha front" is the name in other letters
		t.Errorf("group:wd-Q1 has %d aliases; want 2", aliasesQ1)
	}
}

// TestBadRows: every problem names FILE:LINE: column and what was
// expected; a strict load of a file with one bad row writes nothing;
// --skip-invalid drops the bad rows whole.
func TestBadRows(t *testing.T) {
	rows := []struct{ row, want string }{
		{"X1,Name,[],,,,,,,", `bad.csv:2: qid: "X1" is not a Wikidata item id (expected Q followed by digits`},
		{"Q5,,[],,,,,,,", `bad.csv:3: primary_name: empty (expected the item's label)`},
		{`Q6,Name6,"[""a"",",,,,,,,`, `bad.csv:4: aliases_json: "[\"a\"," is not a JSON list of strings`},
		{`Q7,Name7,"{""a"":1}",,,,,,,`, `bad.csv:5: aliases_json:`},
		{"Q8,Name8,[],,,,2025-13-45x,,,", `bad.csv:6: source_modified_utc: "2025-13-45x" is not a UTC date or time`},
		{"Q9,Name9,[],,,,,12a,,", `bad.csv:7: source_revision: "12a" is not a revision number`},
		{"Q10,Name10,[],,,ftp:/x,,,,", `bad.csv:8: source_url: "ftp:/x" is not a web address`},
		{"Q11,Name11,[]", `bad.csv:9: 3 fields (expected 10, as in the header)`},
		{"Q12,Good,[],,,,,,,", ""},
		{"Q12,Again,[],,,,,,,", `bad.csv:11: qid: Q12 is already the row at bad.csv:10`},
	}
	var b strings.Builder
	b.WriteString(header)
	for _, r := range rows {
		b.WriteString(r.row + "\n")
	}
	data := []byte(b.String())
	f := (wikidata.Importer{}).Import(t.Context(), "bad.csv", data)
	msg := f.Errors().Error()
	for _, r := range rows {
		if r.want != "" && !strings.Contains(msg, r.want) {
			t.Errorf("problems lack %q:\n%s", r.want, msg)
		}
	}
	s := openStore(t)
	if _, err := ingest.Load(t.Context(), s, []*ingest.File{f}, ingest.Options{}); err == nil {
		t.Fatal("a strict load of bad rows succeeded")
	}
	if n := count(t, s); n != 0 {
		t.Errorf("the refused load wrote %d quads", n)
	}
	f = (wikidata.Importer{}).Import(t.Context(), "bad.csv", data)
	rep, err := ingest.Load(t.Context(), s, []*ingest.File{f}, ingest.Options{SkipInvalid: true})
	if err != nil {
		t.Fatalf("--skip-invalid: %v", err)
	}
	if len(rep.Files) != 1 || rep.Files[0].Rejected != len(rows)-1 {
		t.Errorf("--skip-invalid: %+v; want %d rows rejected", rep.Files, len(rows)-1)
	}
	var ents []string
	_ = s.Scan(t.Context(), func(q quad.Quad) error {
		if q.Predicate == quad.IRI(schema.TypeIRI) && q.Object == quad.IRI("tg:Group") {
			ents = append(ents, string(q.Subject.(quad.IRI)))
		}
		return nil
	})
	if len(ents) != 1 || ents[0] != "group:wd-Q12" {
		t.Errorf("--skip-invalid loaded groups %v; want only group:wd-Q12", ents)
	}
}

func TestBadFile(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{"qid,primary_name,aliases_json,qid\nQ1,A,[],Q1\n", `bad.csv:1: qid: column "qid" twice in the header`},
		{"qid,primary_name,aliases_json\n", "nothing to import"},
		{"qid,primary_name,aliases_json\nQ1,\"A,[]\n", "bad.csv:2: reading the CSV"},
	} {
		f := (wikidata.Importer{}).Import(t.Context(), "bad.csv", []byte(c.data))
		if got := f.Errors().Error(); !strings.Contains(got, c.want) {
			t.Errorf("Import(%q): %s; want %q", c.data, got, c.want)
		}
	}
}

// TestImportCancelled: a cancelled import stops, and says so.
func TestImportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f := (wikidata.Importer{}).Import(ctx, "x.csv", []byte(header+"Q1,A,[],,,,,,,\n"))
	if got := f.Errors().Error(); !strings.Contains(got, context.Canceled.Error()) {
		t.Errorf("Import with a cancelled context: %s; want it cancelled", got)
	}
}

package schema

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite docs/format.schema.json and the vocabulary table in docs/format.md")

func d(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in         string
		start, end string
		prec       Precision
		canonical  string
	}{
		{"2024", "2024-01-01", "2024-12-31", Year, "2024"},
		{"2024-03", "2024-03-01", "2024-03-31", Month, "2024-03"},
		{"2024-02", "2024-02-01", "2024-02-29", Month, "2024-02"},
		{"2023-02", "2023-02-01", "2023-02-28", Month, "2023-02"},
		{"2024-03-22", "2024-03-22", "2024-03-22", Day, "2024-03-22"},
		{"2024-03-01/2024-03-10", "2024-03-01", "2024-03-10", Range, "2024-03-01/2024-03-10"},
		{"2024-03-01/2024-03-31", "2024-03-01", "2024-03-31", Month, "2024-03"},
		{"2021/2024", "2021-01-01", "2024-12-31", Range, "2021-01-01/2024-12-31"},
		{"2024-03-01 / 2024-03-10", "2024-03-01", "2024-03-10", Range, "2024-03-01/2024-03-10"},
		{"22 March 2024", "2024-03-22", "2024-03-22", Day, "2024-03-22"},
		{"March 22, 2024", "2024-03-22", "2024-03-22", Day, "2024-03-22"},
		{"Dec. 24 2023", "2023-12-24", "2023-12-24", Day, "2023-12-24"},
		{"Aug. 26, 2021", "2021-08-26", "2021-08-26", Day, "2021-08-26"},
		{"March 2024", "2024-03-01", "2024-03-31", Month, "2024-03"},
		{"early March 2024", "2024-03-01", "2024-03-10", Range, "2024-03-01/2024-03-10"},
		{"mid-March 2024", "2024-03-11", "2024-03-20", Range, "2024-03-11/2024-03-20"},
		{"late February 2024", "2024-02-21", "2024-02-29", Range, "2024-02-21/2024-02-29"},
		{"January 2024", "2024-01-01", "2024-01-31", Month, "2024-01"},
		{"summer 2024", "2024-06-01", "2024-08-31", Season, "2024-06-01/2024-08-31"},
		{"winter 2023", "2023-12-01", "2024-02-29", Season, "2023-12-01/2024-02-29"},
		{"early 2024", "2024-01-01", "2024-04-30", Range, "2024-01-01/2024-04-30"},
		{"late 2015", "2015-09-01", "2015-12-31", Range, "2015-09-01/2015-12-31"},
		{"2010s", "2010-01-01", "2019-12-31", Range, "2010-01-01/2019-12-31"},
		{"  November 2015 ", "2015-11-01", "2015-11-30", Month, "2015-11"},
	}
	for _, tt := range tests {
		iv, err := ParseDate(tt.in)
		if err != nil {
			t.Errorf("ParseDate(%q) error: %v", tt.in, err)
			continue
		}
		if !iv.Start.Equal(d(tt.start)) || !iv.End.Equal(d(tt.end)) || iv.Precision != tt.prec {
			t.Errorf("ParseDate(%q) = %s..%s %s; want %s..%s %s", tt.in, iv.Start.Format(time.DateOnly), iv.End.Format(time.DateOnly), iv.Precision, tt.start, tt.end, tt.prec)
		}
		if got := iv.String(); got != tt.canonical {
			t.Errorf("ParseDate(%q).String() = %q; want %q", tt.in, got, tt.canonical)
		}
		// The canonical form parses back to the same interval.
		back, err := ParseDate(iv.String())
		if err != nil || !back.Start.Equal(iv.Start) || !back.End.Equal(iv.End) {
			t.Errorf("ParseDate(%q) does not round-trip: %v %v", iv.String(), back, err)
		}
	}
}

func TestParseDateErrors(t *testing.T) {
	for _, in := range []string{"", "yesterday", "early March", "2024-13", "2024-02-30", "2024-03-10/2024-03-01", "32 March 2024", "Smarch 2024", "2024-3-1"} {
		if iv, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) = %v, nil; want an error", in, iv)
		}
	}
}

func TestIntervalOrder(t *testing.T) {
	warn, _ := ParseDate("early March 2024")
	advisory, _ := ParseDate("2024-03-07")
	attack, _ := ParseDate("2024-03-22")
	if !warn.Before(attack) || !advisory.Before(attack) || attack.Before(warn) {
		t.Errorf("Before: warnings should certainly precede the attack")
	}
	if lo, hi := warn.LeadDays(attack); lo != 12 || hi != 21 {
		t.Errorf("LeadDays(early March, 22 March) = %d..%d; want 12..21", lo, hi)
	}
	if lo, hi := advisory.LeadDays(attack); lo != 15 || hi != 15 {
		t.Errorf("LeadDays(7 March, 22 March) = %d..%d; want 15..15", lo, hi)
	}
	month, _ := ParseDate("March 2024")
	if month.Before(attack) || !month.Overlaps(attack) {
		t.Errorf("March 2024 should possibly (not certainly) precede 22 March")
	}
}

func TestNameKey(t *testing.T) {
	same := [][]string{
		{"ISIS-K", "isis-k", "Isis‑K", "ÍSIS–K", "  ISIS-K "},
		{"Islamic State Khorasan Province", "islamic  state khorasan province", "ISLAMIC STATE KHORASAN PROVINCE"},
		{"Crocus City Hall", "crocus city hall"},
		{"Qassem Soleimani", "Qassem Soléimani"},
		{"Amaq News Agency", "AMAQ news agency"},
		{"ISIS’ affiliate", "isis' affiliate"},
	}
	for _, g := range same {
		for _, s := range g[1:] {
			if NameKey(s) != NameKey(g[0]) {
				t.Errorf("NameKey(%q) = %q; want %q (as NameKey(%q))", s, NameKey(s), NameKey(g[0]), g[0])
			}
		}
	}
	if NameKey("IS-K") == NameKey("ISIS-K") {
		t.Errorf("NameKey should keep IS-K and ISIS-K apart")
	}
}

func TestStatementLabel(t *testing.T) {
	a := StatementLabel("source:bbc", "killed 133")
	if a != StatementLabel("source:bbc", "killed 133") {
		t.Errorf("StatementLabel is not deterministic")
	}
	if !strings.HasPrefix(a, "source:bbc#e-") || SourceOf(a) != "source:bbc" {
		t.Errorf("StatementLabel = %q, SourceOf = %q", a, SourceOf(a))
	}
	if StatementLabel("source:bbc", "") != "source:bbc" || SourceOf("source:bbc") != "source:bbc" {
		t.Errorf("a fact without a quote is labelled with its source")
	}
}

func TestVocabulary(t *testing.T) {
	for _, p := range Predicates() {
		if p.Doc == "" {
			t.Errorf("predicate %s has no Doc", p.Name)
		}
		if p.Type == Enum && len(p.Enum) == 0 {
			t.Errorf("enum predicate %s has no values", p.Name)
		}
		for _, k := range append(append([]Kind{}, p.Domain...), p.Range...) {
			if _, ok := ParseKind(string(k)); !ok {
				t.Errorf("predicate %s names unknown kind %q", p.Name, k)
			}
		}
	}
}

// TestDocsInStep keeps the published JSON Schema and the vocabulary table in
// docs/format.md equal to what the code generates.
// TestNegations: every multi-valued relation, and nothing else, has a
// negation; LookupIRI finds it, Lookup (the native format's keys) does
// not, and it is no Relation.
func TestNegations(t *testing.T) {
	for _, p := range Predicates() {
		n := p.Negation()
		if want := p.Multi && p.Type == Entity && !p.Derived; (n != nil) != want {
			t.Errorf("%s: negation %v; want one: %v", p.Name, n, want)
		}
		if n == nil {
			continue
		}
		if n.IRI() != "tg:not/"+p.Name || LookupIRI(n.IRI()) != n || Lookup(n.Name) != nil || n.Relation() || n.Negates != p || n.Negation() != nil {
			t.Errorf("%s: negation %+v", p.Name, n)
		}
	}
	if LookupIRI("tg:not/killed") != nil || LookupIRI("tg:not/not/perpetratedBy") != nil {
		t.Error("a single-valued predicate or a negation has a negation")
	}
}

func TestDocsInStep(t *testing.T) {
	const schemaFile = "../docs/format.schema.json"
	got := JSONSchema()
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run go test ./schema -update", schemaFile)
	}
	const mdFile = "../docs/format.md"
	md, err := os.ReadFile(mdFile)
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- vocabulary:start -->\n", "<!-- vocabulary:end -->"
	i, j := bytes.Index(md, []byte(start)), bytes.Index(md, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s lacks the vocabulary markers", mdFile)
	}
	table := MarkdownTable()
	if *update {
		md = append(append(append([]byte{}, md[:i+len(start)]...), table...), md[j:]...)
		if err := os.WriteFile(mdFile, md, 0o644); err != nil {
			t.Fatal(err)
		}
		i, j = bytes.Index(md, []byte(start)), bytes.Index(md, []byte(end))
	}
	if string(md[i+len(start):j]) != table {
		t.Errorf("the vocabulary table in %s is out of date: run go test ./schema -update", mdFile)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024", "2024-03-22", "early March 2024", "2021/2024", "summer 2024", "Dec. 24 2023", "2010s", "x/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iv, err := ParseDate(s)
		if err != nil {
			return
		}
		if iv.End.Before(iv.Start) {
			t.Fatalf("ParseDate(%q) ends before it starts: %v", s, iv)
		}
		back, err := ParseDate(iv.String())
		if err != nil || !back.Start.Equal(iv.Start) || !back.End.Equal(iv.End) {
			t.Fatalf("ParseDate(%q) canonical %q does not round-trip: %v, %v", s, iv.String(), back, err)
		}
	})
}

// TestReasonsDocumented keeps the table of judgement reasons in
// docs/format.md in step with Reasons: each reason, its ranks and its
// meaning.
func TestReasonsDocumented(t *testing.T) {
	md, err := os.ReadFile("../docs/format.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Reasons {
		row := fmt.Sprintf("| `%s` | %s | %s |", r.Name, strings.Join(r.Ranks, ", "), r.Doc)
		if !bytes.Contains(md, []byte(row)) {
			t.Errorf("docs/format.md lacks the row\n%s", row)
		}
		for _, rank := range r.Ranks {
			if !slices.Contains(Ranks, rank) {
				t.Errorf("reason %s allows the unknown rank %q", r.Name, rank)
			}
		}
	}
}

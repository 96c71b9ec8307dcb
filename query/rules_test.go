package query_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

func TestIsNode(t *testing.T) {
	for _, k := range schema.Kinds {
		if got, want := query.IsNode(k), k != schema.Source; got != want {
			t.Errorf("IsNode(%s) = %v; want %v", k, got, want)
		}
	}
}

func TestNewBelief(t *testing.T) {
	known := []string{"source:a", "source:b", "source:c"}
	for _, tt := range []struct {
		only, except []string
		uses         string // sources used, as letters
		badOpt       string // parameter of the *ParamError, if any
	}{
		{uses: "abc"},
		{only: []string{"source:a"}, uses: "a"},
		{except: []string{"source:b"}, uses: "ac"},
		{only: []string{"source:a", "source:b"}, except: []string{"source:b"}, uses: "a"},
		{only: []string{"source:x"}, badOpt: "sources"},
		{except: []string{"source:a", "source:nowhere"}, badOpt: "exclude-sources"},
	} {
		b, err := query.NewBelief(known, tt.only, tt.except)
		var pe *query.ParamError
		if tt.badOpt != "" {
			if !errors.As(err, &pe) || pe.Param != tt.badOpt || !strings.Contains(pe.Want, "one of the 3 Sources in the store") {
				t.Errorf("NewBelief(%v, %v): error %v; want a *ParamError for %s naming the known sources", tt.only, tt.except, err, tt.badOpt)
			}
			continue
		}
		if err != nil {
			t.Fatalf("NewBelief(%v, %v): %v", tt.only, tt.except, err)
		}
		got := ""
		for _, s := range known {
			if b.Uses(s) && b.UsesLabel(s+schema.StatementSep+"q1") {
				got += strings.TrimPrefix(s, "source:")
			}
		}
		if got != tt.uses || b.All() != (tt.uses == "abc") {
			t.Errorf("NewBelief(%v, %v) uses %q (all %v); want %q", tt.only, tt.except, got, b.All(), tt.uses)
		}
	}
}

func TestWindow(t *testing.T) {
	iv := func(s string) schema.Interval {
		d, err := schema.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tt := range []struct {
		from, to string
		dates    []string
		keeps    bool
		badOpt   string
	}{
		{keeps: true, dates: []string{"1990"}},
		{from: "2024-03", to: "2024-03-31", keeps: true},                                     // undated stays
		{from: "2024-03", to: "2024-03-31", dates: []string{"2024-03-22"}, keeps: true},      // inside
		{from: "2024-03", to: "2024-03-31", dates: []string{"2024"}, keeps: true},            // overlaps
		{from: "2024-03", to: "2024-03-31", dates: []string{"2024-04-01"}, keeps: false},     // after
		{from: "2024-03", to: "2024-03-31", dates: []string{"2023", "2024-03"}, keeps: true}, // a contested date: any of them
		{from: "2024-04", dates: []string{"2024-03-31"}, keeps: false},
		{to: "2024-02", dates: []string{"2024-02-29"}, keeps: true},
		{from: "March 40th", badOpt: "from"},
		{from: "2024", to: "2023", badOpt: "to"},
	} {
		w, err := query.NewWindow(tt.from, tt.to)
		var pe *query.ParamError
		if tt.badOpt != "" {
			if !errors.As(err, &pe) || pe.Param != tt.badOpt {
				t.Errorf("NewWindow(%q, %q): error %v; want a *ParamError for %s", tt.from, tt.to, err, tt.badOpt)
			}
			continue
		}
		if err != nil {
			t.Fatalf("NewWindow(%q, %q): %v", tt.from, tt.to, err)
		}
		var ds []schema.Interval
		for _, d := range tt.dates {
			ds = append(ds, iv(d))
		}
		if got := w.Keeps(ds); got != tt.keeps {
			t.Errorf("window %q..%q keeps %v: %v; want %v", tt.from, tt.to, tt.dates, got, tt.keeps)
		}
	}
}

func TestAgreedDates(t *testing.T) {
	for _, tt := range []struct {
		in        []string
		want      []string
		contested bool
	}{
		{},
		{in: []string{"2021", "2021-08"}, want: []string{"2021-08"}},                        // the tightest agreed date
		{in: []string{"2024-03-22", "2024-03-22/2024-03-24"}, want: []string{"2024-03-22"}}, // overlap
		{in: []string{"2015", "2014-09-01/2014-12-31"}, want: []string{"2014-09-01/2014-12-31", "2015"}, contested: true},
		{in: []string{"2021-08", "2017", "2021"}, want: []string{"2017", "2021", "2021-08"}, contested: true}, // each distinct interval, sorted
	} {
		var ivs []schema.Interval
		for _, s := range tt.in {
			iv, err := schema.ParseDate(s)
			if err != nil {
				t.Fatal(err)
			}
			ivs = append(ivs, iv)
		}
		ds, contested := query.AgreedDates(ivs)
		var got []string
		for _, d := range ds {
			got = append(got, d.String())
		}
		if !slices.Equal(got, tt.want) || contested != tt.contested {
			t.Errorf("AgreedDates(%v) = %v, %v; want %v, %v", tt.in, got, contested, tt.want, tt.contested)
		}
		// Contested dates are exactly those that Conflict.
		var vs []query.Value
		for _, s := range tt.in {
			vs = append(vs, query.Value{Type: "date", Value: s})
		}
		if query.Conflict(vs) != contested {
			t.Errorf("Conflict(%v) = %v; AgreedDates says contested %v", tt.in, !contested, contested)
		}
	}
}

func TestDisplayName(t *testing.T) {
	n := func(name, src string) query.SourcedName { return query.SourcedName{Name: name, Source: src} }
	for _, tt := range []struct {
		names []query.SourcedName
		title string
		want  string
	}{
		{want: "group:x"},                         // no name: the id
		{title: "A headline", want: "A headline"}, // a Source without a name: its title
		{names: []query.SourcedName{n("ISKP", "s1")}, title: "ignored", want: "ISKP"},
		// Distinct sources count, not quads: s1 states ISIS-K twice (two
		// quotes), s2 and s3 state ISKP once each.
		{names: []query.SourcedName{n("ISIS-K", "s1"), n("ISIS-K", "s1"), n("ISKP", "s2"), n("ISKP", "s3")}, want: "ISKP"},
		{names: []query.SourcedName{n("b", "s1"), n("a", "s2")}, want: "a"}, // ties: the smallest
	} {
		if got := query.DisplayName("group:x", tt.names, tt.title); got != tt.want {
			t.Errorf("DisplayName(%v, %q) = %q; want %q", tt.names, tt.title, got, tt.want)
		}
	}
}

func TestIsContested(t *testing.T) {
	d := func(s string) query.Value { return query.Value{Type: "date", Value: s} }
	n := func(i int64) query.Value { return query.Value{Type: "integer", Value: i} }
	c := func(lo, hi int64, of string) query.Value { // hi < 0: no upper bound
		v := query.Value{Type: "count", Value: "words", Count: &query.Count{Lower: lo, Of: of}}
		if hi >= 0 {
			v.Count.Upper = &hi
		}
		return v
	}
	for _, tt := range []struct {
		pred string
		vs   []query.Value
		want bool
	}{
		{"date", []query.Value{d("2021"), d("2021-08")}, false},
		{"date", []query.Value{d("2014-09-01/2014-12-31"), d("2015")}, true},
		{"date", []query.Value{d("2024-03-22"), d("2024-03-22/2024-03-24")}, false},
		{"killed", []query.Value{n(137), n(137)}, false},
		{"killed", []query.Value{n(100), n(180)}, true},
		{"killed", []query.Value{c(137, -1, ""), n(145)}, false},                        // "at least 137" and 145
		{"killed", []query.Value{c(137, -1, ""), n(100)}, true},                         // "at least 137" and 100
		{"killed", []query.Value{c(90, 99, ""), c(181, -1, "")}, true},                  // "nearly 100" and "more than 180"
		{"killed", []query.Value{c(0, 170, "civilians"), c(13, 13, "soldiers")}, false}, // two parts
		{"killed", []query.Value{c(0, 170, "civilians"), n(100)}, false},                // a part within the whole
		{"killed", []query.Value{c(150, 170, "civilians"), n(100)}, true},               // a part beyond the whole
		{"killed", []query.Value{c(40, 199, ""), c(0, 170, "civilians"), n(84)}, false},
		{"date", []query.Value{d("2017"), d("2021"), d("2021-08")}, true},
		{"alias", []query.Value{{Type: "string", Value: "ISKP"}, {Type: "string", Value: "ISIS-K"}}, false},     // multi-valued
		{"dateText", []query.Value{{Type: "string", Value: "Friday"}, {Type: "string", Value: "March"}}, false}, // derived
		{"nosuch", []query.Value{n(1), n(2)}, false},
	} {
		if got := query.IsContested(schema.Lookup(tt.pred), tt.vs); got != tt.want {
			t.Errorf("IsContested(%s, %v) = %v; want %v", tt.pred, tt.vs, got, tt.want)
		}
	}
}

// rulesStore is a small store on disk: source:loud states a relation and
// two names (one twice, with two quotes), source:quiet and source:other
// each state one name, and source:quiet states no relation or date.
const rulesStore = `<source:loud> <rdf:type> <tg:Source> <source:loud> .
<source:quiet> <rdf:type> <tg:Source> <source:quiet> .
<source:quiet> <tg:title> "A quiet article" <source:quiet> .
<source:other> <rdf:type> <tg:Source> <source:other> .
<group:x> <rdf:type> <tg:Group> <source:loud> .
<location:y> <rdf:type> <tg:Location> <source:loud> .
<group:x> <tg:activeIn> <location:y> <source:loud> .
<group:x> <tg:name> "Loud name" <source:loud#e-124e9e4d> .
<source:loud#e-124e9e4d> <tg:quote> "the Loud name, once" <source:loud> .
<group:x> <tg:name> "Loud name" <source:loud#e-7ad11f8f> .
<source:loud#e-7ad11f8f> <tg:quote> "the Loud name, twice" <source:loud> .
<group:x> <tg:name> "Agreed name" <source:quiet> .
<group:x> <tg:name> "Agreed name" <source:other> .
`

// TestReadModelsAgree checks that the view, show and the export apply the
// same rules to one store: the same display name (by distinct sources),
// the same known sources, and no Source among the view's nodes.
// TestAttributionDisputed pins the attribution rule: ISIS-K (an affiliate
// of the Islamic State) and the Islamic State agree, ISIS-K and Ukraine do
// not unless one statement names both; a denial disputes naming the
// denied actor or an affiliate of it.
func TestAttributionDisputed(t *testing.T) {
	within := func(a, b string) bool { return a == b || a == "isis-k" && b == "is" }
	together := func(a, b string) bool { return a == "isis-k" && b == "ally" || a == "ally" && b == "isis-k" }
	for _, c := range []struct {
		named, cleared []string
		want           bool
	}{
		{[]string{"is", "isis-k"}, nil, false},
		{[]string{"isis-k", "ukraine"}, nil, true},
		{[]string{"ally", "isis-k"}, nil, false},
		{[]string{"ukraine"}, []string{"ukraine"}, true},
		{[]string{"isis-k"}, []string{"is"}, true},
		{[]string{"is"}, []string{"isis-k"}, false},
		{[]string{"isis-k"}, []string{"ukraine"}, false},
		{nil, []string{"ukraine"}, false},
	} {
		if got := query.AttributionDisputed(c.named, c.cleared, within, together); got != c.want {
			t.Errorf("AttributionDisputed(%v, %v) = %v; want %v", c.named, c.cleared, got, c.want)
		}
	}
}

func TestReadModelsAgree(t *testing.T) {
	s, err := graph.Open(t.Context(), graph.Options{Path: filepath.Join(t.TempDir(), "db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := ingest.Load(t.Context(), s, []*ingest.File{ingest.Parse("rules.nq", []byte(rulesStore))}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	r := query.NewReader(s, query.ReaderOptions{})
	v, err := r.View(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Sources are not nodes.
	if !slices.Equal(v.IDs(), []string{"group:x", "location:y"}) {
		t.Errorf("view nodes %v; want group:x and location:y (no sources)", v.IDs())
	}
	g, err := v.Graph(query.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if g.N() != 2 {
		t.Errorf("analytics graph has %d nodes; want 2", g.N())
	}
	// Every declared Source is known, also one that states no relation or date.
	if _, err := v.Graph(query.Scope{Sources: []string{"source:quiet"}}); err != nil {
		t.Errorf("view refuses --sources source:quiet: %v", err)
	}
	if _, err := v.Graph(query.Scope{Sources: []string{"source:nowhere"}}); err == nil {
		t.Errorf("view accepts an unknown source")
	}
	// The display name: two sources beat one source stating a name twice.
	const want = "Agreed name"
	if n, ok := v.Node("group:x"); !ok || v.Name(n) != want {
		t.Errorf("view name of group:x %q; want %q", v.Name(n), want)
	}
	m, err := query.NewReader(s, query.ReaderOptions{}).Resolve(t.Context(), "group:x")
	if err != nil || m.Name != want {
		t.Errorf("Resolve(group:x) = %+v, %v; want name %q", m, err, want)
	}
	if m, _ := query.NewReader(s, query.ReaderOptions{}).Resolve(t.Context(), "source:quiet"); m.Name != "A quiet article" {
		t.Errorf("Resolve(source:quiet) name %q; want its title", m.Name)
	}
	var buf bytes.Buffer
	if _, err := r.Export(t.Context(), &buf, "graphml", query.ExportOptions{Scope: query.Scope{Sources: []string{"source:quiet", "source:loud"}}}); err != nil {
		t.Fatalf("export --sources source:quiet,source:loud: %v", err)
	}
	if !strings.Contains(buf.String(), ">"+want+"<") || !strings.Contains(buf.String(), ">A quiet article<") {
		t.Errorf("export labels lack %q or the quiet source's title:\n%s", want, buf.String())
	}
}

package gdelt_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/gdelt"
	"github.com/threatgraph/threatgraph/schema"
)

// dataDir is ../shared/data/gdelt from the repository root.
var dataDir = filepath.Join("..", "..", "..", "shared", "data", "gdelt")

var samples = []string{
	filepath.Join("v2", "20191024143000.export.CSV"),
	filepath.Join("v1", "events_sample_1982_2016_57-58cols.tsv"),
}

func readSample(t *testing.T, name string) (string, []byte) {
	t.Helper()
	path, data, err := sample(name)
	if err != nil {
		t.Skipf("GDELT sample %s: %v", path, err)
	}
	return path, data
}

func sample(name string) (string, []byte, error) {
	path := filepath.Join(dataDir, name)
	data, err := os.ReadFile(path)
	return path, data, err
}

// rawCounts counts, from the raw rows and apart from the importer, what an
// import must give: events by CAMEO root code (the EventRootCode column),
// the distinct source URLs of those events, the distinct action places
// (ActionGeo_Type and FeatureID) of attacks and threats.
type rawCounts struct {
	attacks, warnings, claims map[string]bool
	urls, places              map[string]bool
}

func countRaw(t *testing.T, data []byte) rawCounts {
	t.Helper()
	c := rawCounts{attacks: map[string]bool{}, warnings: map[string]bool{}, claims: map[string]bool{}, urls: map[string]bool{}, places: map[string]bool{}}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		// GDELT 2.0 has ADM2 columns in each of its three place blocks.
		geoType, cc, adm1, feature, url := 49, 51, 52, 55, 57
		switch len(f) {
		case 61:
			geoType, cc, adm1, feature, url = 51, 53, 54, 58, 60
		case 58:
		case 57:
			url = -1
		default:
			t.Fatalf("sample row of %d columns", len(f))
		}
		root, code := f[28], f[26]
		var set map[string]bool
		switch {
		case root == "18" || root == "19" || root == "20":
			set = c.attacks
		case root == "13":
			set = c.warnings
		case code == "015":
			set = c.claims
		default:
			continue
		}
		set[f[0]] = true
		if url >= 0 && f[url] != "" {
			c.urls[f[url]] = true
		}
		// A place is its FeatureID; a country's (type 1) is its country
		// code, a US state's (type 2) its ADM1 code (GDELT 1.0 rows may
		// give 0 as their FeatureID).
		switch t := f[geoType]; {
		case root == "01" || t == "0" || t == "":
		case t == "1":
			c.places["country "+f[cc]] = true
		case t == "2":
			c.places["adm1 "+f[adm1]] = true
		default:
			c.places["feature "+f[feature]] = true
		}
	}
	return c
}

// TestImportSamples imports both sample files: no problem, and the
// entities by kind are those counted from the raw rows.
func TestImportSamples(t *testing.T) {
	imp := gdelt.New()
	for _, s := range samples {
		t.Run(s, func(t *testing.T) {
			path, data := readSample(t, s)
			if !imp.Detect(path, data[:min(len(data), ingest.DetectLen)]) {
				t.Fatalf("Detect(%s) = false", path)
			}
			if !imp.Detect("events.txt", data[:min(len(data), ingest.DetectLen)]) {
				t.Errorf("Detect by content (as events.txt) = false")
			}
			f := imp.Import(t.Context(), path, data)
			if errs := f.Errors(); len(errs) > 0 {
				t.Fatalf("%d problems, first: %v", len(errs), errs[0])
			}
			for _, w := range f.Warnings { // GDELT's own country codes are all known
				if strings.Contains(w.Error(), "FIPS 10-4") {
					t.Errorf("warning on a real GDELT country code: %v", w)
				}
			}
			raw := countRaw(t, data)
			kinds := map[schema.Kind]map[string]bool{}
			named := map[string]bool{} // locations with a name
			machine := map[string]bool{}
			for _, r := range f.Records {
				for _, q := range r.Quads {
					s := quad.ToString(q.Subject)
					switch quad.ToString(q.Predicate) {
					case "<" + schema.TypeIRI + ">":
						k, _ := schema.KindFromIRI(strings.Trim(quad.ToString(q.Object), "<>"))
						if kinds[k] == nil {
							kinds[k] = map[string]bool{}
						}
						kinds[k][s] = true
					case "<tg:name>":
						if strings.HasPrefix(s, "<location:") {
							named[s] = true
						}
					case "<tg:coding>":
						if q.Object == quad.String("machine") {
							machine[s] = true
						}
					}
				}
			}
			check := func(what string, got, want int) {
				t.Helper()
				if got != want {
					t.Errorf("%s: %d imported; %d in the raw rows", what, got, want)
				}
			}
			check("attacks", len(kinds[schema.Attack]), len(raw.attacks))
			check("warnings", len(kinds[schema.Warning]), len(raw.warnings))
			check("claims", len(kinds[schema.Claim]), len(raw.claims))
			check("sources (one per URL, and GDELT)", len(kinds[schema.Source]), len(raw.urls)+1)
			check("machine-coded sources", len(machine), len(raw.urls)+1)
			check("named places", len(named), len(raw.places))
			if len(raw.attacks) == 0 || len(raw.warnings) == 0 || len(raw.claims) == 0 {
				t.Errorf("the sample lacks a class: %d attacks, %d warnings, %d claims", len(raw.attacks), len(raw.warnings), len(raw.claims))
			}
		})
	}
}

// row returns a GDELT 2.0 row of 61 columns: an attack (CAMEO 190) in
// Berlin, with the given columns changed.
func row(set map[int]string) string {
	f := make([]string, 61)
	f[0], f[1], f[5], f[6], f[12] = "1001", "20240322", "DEUREB", "REBELS", "REB"
	f[15], f[16], f[17] = "DEU", "GERMANY", "DEU"
	f[26], f[27], f[28] = "190", "190", "19"
	f[51], f[52], f[53], f[54], f[56], f[57], f[58] = "4", "Berlin, Berlin, Germany", "GM", "GM16", "52.5167", "13.4", "-1746443"
	f[59], f[60] = "20240322000000", "https://example.org/a"
	for i, v := range set {
		f[i] = v
	}
	return strings.Join(f, "\t")
}

// TestBadRows: every bad column is named FILE:LINE: column, the row is
// rejected whole, and its neighbours are kept.
func TestBadRows(t *testing.T) {
	cases := []struct {
		name string
		bad  string
		want string
	}{
		{"columns", strings.Join(strings.Split(row(nil), "\t")[:40], "\t"), "x.export.CSV:2: columns: 40 tab-separated columns (expected 61"},
		{"date", row(map[int]string{1: "2024-03-22"}), "x.export.CSV:2: SQLDATE: \"2024-03-22\" is not a date (expected YYYYMMDD)"},
		{"day", row(map[int]string{1: "20240231"}), "x.export.CSV:2: SQLDATE:"},
		{"lat", row(map[int]string{56: "95"}), "x.export.CSV:2: ActionGeo_Lat: \"95\" is not a latitude"},
		{"long", row(map[int]string{57: "east"}), "x.export.CSV:2: ActionGeo_Long: \"east\" is not a longitude"},
		{"url", row(map[int]string{60: "ftp://example.org/x"}), "x.export.CSV:2: SOURCEURL: \"ftp://example.org/x\" is not an http(s) URL"},
		{"id", row(map[int]string{0: "x1"}), "x.export.CSV:2: GLOBALEVENTID:"},
		{"geo type", row(map[int]string{51: "9"}), "x.export.CSV:2: ActionGeo_Type:"},
		{"feature", row(map[int]string{58: "0"}), `x.export.CSV:2: ActionGeo_FeatureID: "0" (expected the place's code or feature id for ActionGeo_Type 4)`},
		{"country", row(map[int]string{51: "1", 53: ""}), `x.export.CSV:2: ActionGeo_CountryCode: "" (expected`},
		{"mixed versions", strings.Join(strings.Split(row(nil), "\t")[:58], "\t"), "x.export.CSV:2: columns: 58 tab-separated columns (expected 61, as the file's first row (GDELT 2.0))"},
		{"code", row(map[int]string{26: "1x"}), "x.export.CSV:2: EventCode:"},
		{"feature id", row(map[int]string{58: "GM16x"}), `x.export.CSV:2: ActionGeo_FeatureID: "GM16x" is not a GNS or GNIS feature id (expected a whole number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			good1 := row(map[int]string{0: "1", 60: "https://example.org/1"})
			good3 := row(map[int]string{0: "3", 60: "https://example.org/3"})
			data := []byte(good1 + "\n" + c.bad + "\n" + good3 + "\n")
			f := gdelt.New().Import(t.Context(), "x.export.CSV", data)
			errs := f.Errors()
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
				t.Fatalf("errors %v; want one containing %q", errs, c.want)
			}
			var bad, ok int
			for _, r := range f.Records {
				if len(r.Errs) > 0 {
					bad++
					if r.Line != 2 {
						t.Errorf("rejected record at line %d; want 2", r.Line)
					}
					if len(r.Quads) > 0 {
						t.Errorf("the bad row still has %d quads (it would be echoed as references to nothing)", len(r.Quads))
					}
				} else if r.Line > 0 {
					ok++
				}
			}
			if bad != 1 || ok != 2 {
				t.Errorf("%d bad and %d good rows; want 1 and 2", bad, ok)
			}
		})
	}
}

// TestDetect: content detection takes GDELT rows only.
func TestDetect(t *testing.T) {
	imp := gdelt.New()
	for _, c := range []struct {
		name, head string
		want       bool
	}{
		{"events.tsv", row(nil) + "\n", true},
		{"events.tsv", strings.Join(strings.Split(row(nil), "\t")[:58], "\t") + "\n", true},
		{"events.tsv", strings.Join(strings.Split(row(nil), "\t")[:50], "\t") + "\n", false},
		{"events.tsv", "GLOBALEVENTID\tSQLDATE" + strings.Repeat("\tx", 59) + "\n", false},
		{"table.csv", "id,date,name\n1,2024-03-22,x\n", false},
		{"a.yaml", "entities: []\n", false},
		{"20240322.export.CSV", "", true},
	} {
		if got := imp.Detect(c.name, []byte(c.head)); got != c.want {
			t.Errorf("Detect(%s, %.30q…) = %v; want %v", c.name, c.head, got, c.want)
		}
	}
}

// TestMapping reads one row of each class and checks the facts by role.
func TestMapping(t *testing.T) {
	data := strings.Join([]string{
		row(nil),
		row(map[int]string{0: "1002", 26: "1384", 27: "138", 28: "13", 60: "https://example.org/b"}),
		row(map[int]string{0: "1003", 26: "015", 27: "015", 28: "01", 5: "AFGINSTAL", 6: "TALIBAN", 8: "TAL", 12: "INS"}),
		row(map[int]string{0: "1004", 26: "042", 27: "042", 28: "04"}), // not imported
	}, "\n")
	f := gdelt.New().Import(t.Context(), "m.export.CSV", []byte(data))
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	facts := map[string]bool{}
	for _, r := range f.Records {
		for _, q := range r.Quads {
			facts[q.Subject.String()+" "+q.Predicate.String()+" "+q.Object.String()] = true
		}
	}
	src := "<" + gdelt.URLSource("https://example.org/a") + ">"
	for _, want := range []string{
		"<attack:gdelt-1001> <rdf:type> <tg:Attack>",
		`<attack:gdelt-1001> <tg:date> "2024-03-22"^^<tg:date>`,
		`<attack:gdelt-1001> <tg:attackType> "Use conventional military force, not specified below"`,
		"<attack:gdelt-1001> <tg:perpetratedBy> <group:gdelt-deureb>",
		"<attack:gdelt-1001> <tg:target> <org:gdelt-deu>",
		"<attack:gdelt-1001> <tg:locatedIn> <location:gdelt--1746443>",
		`<group:gdelt-deureb> <tg:alias> "REBELS"`,
		`<group:gdelt-deureb> <tg:name> "Germany rebels"`,
		"<location:gdelt--1746443> <tg:partOf> <location:gdelt-gm16>",
		"<location:gdelt-gm16> <tg:partOf> <location:gdelt-gm>",
		`<location:gdelt--1746443> <tg:lat> ` + quad.Float(52.5167).String(),
		`<location:gdelt--1746443> <tg:lon> ` + quad.Float(13.4).String(),
		src + ` <tg:coding> "machine"`,
		src + ` <tg:url> "https://example.org/a"`,
		"<warning:gdelt-1002> <rdf:type> <tg:Warning>",
		`<warning:gdelt-1002> <tg:warningType> "threat-assessment"`,
		"<warning:gdelt-1002> <tg:about> <group:gdelt-deureb>",
		"<warning:gdelt-1002> <tg:issuedTo> <org:gdelt-deu>",
		"<warning:gdelt-1002> <tg:concerns> <location:gdelt--1746443>",
		"<claim:gdelt-1003> <rdf:type> <tg:Claim>",
		`<claim:gdelt-1003> <tg:claimType> "responsibility"`,
		"<claim:gdelt-1003> <tg:claimant> <group:gdelt-tal>",
		`<group:gdelt-tal> <tg:name> "TALIBAN"`,
	} {
		if !facts[want] {
			t.Errorf("missing %s", want)
		}
	}
	for fact := range facts {
		if strings.Contains(fact, "gdelt-1004") {
			t.Errorf("a row of CAMEO 042 was imported: %s", fact)
		}
		if strings.Contains(fact, "killed") || strings.Contains(fact, "wounded") {
			t.Errorf("GDELT gives no casualties: %s", fact)
		}
	}
}

// TestCancel: a cancelled import stops with the context's error.
func TestCancel(t *testing.T) {
	var b strings.Builder
	for range 3000 {
		b.WriteString(row(nil))
		b.WriteByte('\n')
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f := gdelt.New().Import(ctx, "big.export.CSV", []byte(b.String()))
	errs := f.Errors()
	if len(errs) == 0 || !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("errors %v; want the context's", errs)
	}
}

// FuzzImport: no input panics, every file gives records or a problem, and
// every problem names the file and a line (go test -fuzz FuzzImport
// ./ingest/gdelt).
func FuzzImport(f *testing.F) {
	f.Add([]byte(row(nil) + "\n"))
	f.Add([]byte(row(map[int]string{26: "015", 28: "01"}) + "\r\n" + row(map[int]string{51: "1", 53: "US"})))
	f.Add([]byte(strings.Join(strings.Split(row(nil), "\t")[:57], "\t")))
	f.Add([]byte("1\t20240101\n\n\t\t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file := gdelt.New().Import(t.Context(), "fuzz.export.CSV", data)
		if len(file.Records) == 0 && len(file.FileErrs) == 0 {
			t.Fatal("no record and no problem")
		}
		for _, e := range file.Errors() {
			if !strings.HasPrefix(e.Error(), "fuzz.export.CSV:") || e.Line == 0 {
				t.Fatalf("a problem without its file and line: %v", e)
			}
		}
	})
}

// TestUnknownCountryCode: an ActionGeo_CountryCode that is no FIPS 10-4
// code is reported once, FILE:LINE: column, and its rows are kept.
func TestUnknownCountryCode(t *testing.T) {
	data := strings.Join([]string{
		row(nil),
		row(map[int]string{0: "2", 53: "ZZ", 54: "ZZ01", 60: "https://example.org/2"}),
		row(map[int]string{0: "3", 53: "ZZ", 54: "ZZ01", 60: "https://example.org/3"}),
	}, "\n")
	f := gdelt.New().Import(t.Context(), "x.export.CSV", []byte(data))
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, w := range f.Warnings {
		if strings.Contains(w.Error(), "FIPS 10-4") {
			got = append(got, w.Error())
		}
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], `x.export.CSV:2: ActionGeo_CountryCode: "ZZ" is not a FIPS 10-4 country code`) {
		t.Fatalf("warnings %q; want one on x.export.CSV:2: ActionGeo_CountryCode", got)
	}
	attacks := 0
	for _, r := range f.Records {
		for _, q := range r.Quads {
			if q.Predicate == quad.IRI(schema.TypeIRI) && q.Object == quad.IRI("tg:Attack") {
				attacks++
			}
		}
	}
	if attacks != 3 {
		t.Errorf("%d attacks kept; want the 3 rows", attacks)
	}
}

// TestCountryActorNames: a generic actor whose code is an ISO 3166-1
// alpha-3 country code is named by the country's English name, as the
// i18n-iso-countries data (read here from ../shared/data) gives it, and
// a code that is no country (a CAMEO region) keeps its letters.
func TestCountryActorNames(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "gazetteer", "countries", "i18n-iso-countries")
	codesJSON, err := os.ReadFile(filepath.Join(dir, "codes.json"))
	if err != nil {
		t.Skipf("i18n-iso-countries %s: %v", dir, err)
	}
	enJSON, err := os.ReadFile(filepath.Join(dir, "langs", "en.json"))
	if err != nil {
		t.Skipf("i18n-iso-countries %s: %v", dir, err)
	}
	var codes [][]string
	var en struct {
		Countries map[string]json.RawMessage `json:"countries"`
	}
	if err := json.Unmarshal(codesJSON, &codes); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(enJSON, &en); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"AFR": "AFR", "AFRREB": "AFR rebels"} // actor code -> name
	var rows []string
	for i, c := range codes {
		raw, ok := en.Countries[c[0]]
		if !ok {
			continue
		}
		var name string
		if json.Unmarshal(raw, &name) != nil {
			var names []string
			if err := json.Unmarshal(raw, &names); err != nil || len(names) == 0 {
				t.Fatalf("en.json %s: %s", c[0], raw)
			}
			name = names[0]
		}
		want[c[1]] = name
		want[c[1]+"GOV"] = name + " government"
		rows = append(rows, row(map[int]string{0: strconv.Itoa(10 + i), 15: c[1] + "GOV", 16: "X", 17: c[1], 5: c[1], 6: "Y", 12: "", 60: "https://example.org/" + c[1]}))
	}
	rows = append(rows, row(map[int]string{0: "1", 5: "AFRREB", 15: "AFR", 17: ""}))
	f := gdelt.New().Import(t.Context(), "n.export.CSV", []byte(strings.Join(rows, "\n")))
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatal(errs[0])
	}
	got := map[string]string{}
	for _, r := range f.Records {
		for _, q := range r.Quads {
			if q.Predicate == quad.IRI("tg:name") && q.Label == quad.IRI(gdelt.SourceID) {
				s := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(string(q.Subject.(quad.IRI)), "org:gdelt-"), "group:gdelt-"))
				got[s] = string(q.Object.(quad.String))
			}
		}
	}
	if len(want) < 200 {
		t.Fatalf("%d countries read; the data looks cut", len(want))
	}
	for code, name := range want {
		if got[code] != name {
			t.Errorf("actor %s named %q; want %q", code, got[code], name)
		}
	}
}

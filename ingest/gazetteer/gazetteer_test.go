package gazetteer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// dataDir is the shared data's gazetteer folder, from the repository root;
// the test is skipped when it is absent.
func dataDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", "gazetteer")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared data absent: %v", err)
	}
	return dir
}

func inputs(dir, cities string) []string {
	return []string{filepath.Join(dir, "geonames", cities), filepath.Join(dir, "geonames", "admin1.json"), filepath.Join(dir, "countries", "i18n-iso-countries")}
}

// A rawRow is a GeoNames row read by the test itself, not the package.
type rawRow struct {
	id, name, ascii, country, admin1 string
	alternates                       []string
	lat, lon                         float64
	pop                              int64
}

func rawRows(t testing.TB, name string) []rawRow {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var out []rawRow
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		row := rawRow{id: c[0], name: c[1], ascii: c[2], country: c[8], admin1: c[10]}
		if c[3] != "" {
			row.alternates = strings.Split(c[3], ",")
		}
		row.lat, _ = strconv.ParseFloat(c[4], 64)
		row.lon, _ = strconv.ParseFloat(c[5], 64)
		row.pop, _ = strconv.ParseInt(c[14], 10, 64)
		out = append(out, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonLen(t testing.TB, name string) int {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var v []json.RawMessage
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return len(v)
}

func build(t testing.TB, cities string) (*Gazetteer, []rawRow) {
	t.Helper()
	dir := dataDir(t)
	path := filepath.Join(t.TempDir(), File)
	if _, err := Build(t.Context(), path, inputs(dir, cities)); err != nil {
		t.Fatal(err)
	}
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g, rawRows(t, filepath.Join(dir, "geonames", cities))
}

func TestBuildCounts(t *testing.T) {
	for _, cities := range []string{"cities15000.txt", "cities500.txt.gz"} {
		t.Run(cities, func(t *testing.T) {
			if testing.Short() && strings.HasSuffix(cities, ".gz") {
				t.Skip("-short: cities500 takes seconds")
			}
			g, rows := build(t, cities)
			dir := dataDir(t)
			st := g.Stats()
			ids := map[string]bool{}
			for _, r := range rows {
				ids[r.id] = true
			}
			provinces := jsonLen(t, filepath.Join(dir, "geonames", "admin1.json"))
			countries := jsonLen(t, filepath.Join(dir, "countries", "i18n-iso-countries", "codes.json"))
			if st.Cities != len(ids) || st.Cities != len(rows) || st.Provinces != provinces || st.Countries != countries {
				t.Errorf("Stats: %d cities, %d provinces, %d countries; want %d rows (%d ids), %d, %d",
					st.Cities, st.Provinces, st.Countries, len(rows), len(ids), provinces, countries)
			}
			// Every 997th place is found by its name, ASCII name and an
			// alternate name, with the row's coordinates.
			for i := 0; i < len(rows); i += 997 {
				r := rows[i]
				names := []string{r.name, r.ascii}
				if len(r.alternates) > 0 {
					names = append(names, r.alternates[len(r.alternates)/2])
				}
				for _, n := range names {
					cs, err := g.Find(t.Context(), n, FindOptions{Country: r.country, Kinds: []Kind{City}})
					if err != nil {
						t.Fatal(err)
					}
					found := false
					for _, c := range cs {
						if c.ID == "geonames:"+r.id {
							found = true
							if c.Lat != r.lat || c.Lon != r.lon || c.Population != r.pop {
								t.Errorf("Find(%q): %s at %v,%v pop %d; want %v,%v pop %d", n, c.ID, c.Lat, c.Lon, c.Population, r.lat, r.lon, r.pop)
							}
						}
					}
					if !found {
						t.Errorf("Find(%q, %s) lacks geonames:%s (%d candidates)", n, r.country, r.id, len(cs))
					}
				}
			}
		})
	}
}

func rowNamed(t *testing.T, rows []rawRow, name, country string) []rawRow {
	t.Helper()
	var out []rawRow
	for _, r := range rows {
		if r.name == name && (country == "" || r.country == country) {
			out = append(out, r)
		}
	}
	return out
}

func TestFind(t *testing.T) {
	g, rows := build(t, "cities15000.txt")
	ctx := t.Context()
	ids := func(cs []Candidate) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name, country, rawName, rawCountry string
		field                              string // of the first match
	}{
		{name: "Kabul", rawName: "Kabul", rawCountry: "AF", field: FieldName},
		{name: "kabul", rawName: "Kabul", rawCountry: "AF", field: FieldName},
		{name: "Moscow", country: "RU", rawName: "Moscow", rawCountry: "RU", field: FieldName},
		{name: "Москва", country: "RUS", rawName: "Moscow", rawCountry: "RU", field: FieldAlternate},
		{name: "Krasnogorsk", rawName: "Krasnogorsk", rawCountry: "RU", field: FieldName},
		{name: "Красногорск", country: "Russia", rawName: "Krasnogorsk", rawCountry: "RU", field: FieldAlternate},
	} {
		want := rowNamed(t, rows, tc.rawName, tc.rawCountry)
		if len(want) != 1 {
			t.Fatalf("the raw data has %d rows named %s in %s", len(want), tc.rawName, tc.rawCountry)
		}
		cs, err := g.Find(ctx, tc.name, FindOptions{Country: tc.country, Kinds: []Kind{City}})
		if err != nil {
			t.Fatal(err)
		}
		w := want[0]
		if len(cs) == 0 || cs[0].ID != "geonames:"+w.id || cs[0].Lat != w.lat || cs[0].Lon != w.lon || cs[0].Country.Code != w.country ||
			cs[0].Province.Code != w.country+"."+w.admin1 || cs[0].Matched[0].Field != tc.field {
			t.Errorf("Find(%q, country %q) = %+v; want first geonames:%s at %v,%v in %s.%s, matched on %s", tc.name, tc.country, cs, w.id, w.lat, w.lon, w.country, w.admin1, tc.field)
		}
	}
	// Without a country, every city named Moscow in the raw data is a
	// candidate, and so is the province.
	cs, err := g.Find(ctx, "Moscow", FindOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := ids(cs)
	for _, r := range rowNamed(t, rows, "Moscow", "") {
		if !strings.Contains(strings.Join(got, " "), "geonames:"+r.id) {
			t.Errorf("Find(Moscow) = %v; lacks geonames:%s (%s)", got, r.id, r.country)
		}
	}
	if !strings.Contains(strings.Join(got, " "), "geonames-admin1:RU.48") {
		t.Errorf("Find(Moscow) = %v; lacks the province RU.48 (admin1.json names it Moscow)", got)
	}
	// Countries by name in any language and by code.
	for _, n := range []string{"Russia", "Russland", "Россия", "RU", "rus"} {
		cs, err := g.Find(ctx, n, FindOptions{Kinds: []Kind{Country}})
		if err != nil || len(cs) != 1 || cs[0].ID != "iso3166:RU" {
			t.Errorf("Find(%q, country) = %v, %v; want iso3166:RU", n, ids(cs), err)
		}
	}
	if cs, _ := g.Find(ctx, "Congo", FindOptions{Kinds: []Kind{Country}}); len(cs) != 2 {
		t.Errorf("Find(Congo) = %v; want CD and CG (en.json names both Congo)", ids(cs))
	}
	if _, err := g.Find(ctx, "Moscow", FindOptions{Country: "Atlantis"}); !errors.Is(err, ErrUnknownCountry) {
		t.Errorf("Find(country Atlantis) error %v; want ErrUnknownCountry", err)
	}
	if cs, err := g.Find(ctx, "Nowhere-on-earth", FindOptions{}); err != nil || len(cs) != 0 {
		t.Errorf("Find(Nowhere-on-earth) = %v, %v; want nothing", ids(cs), err)
	}
}

func TestBuildBadInputChangesNothing(t *testing.T) {
	dir := dataDir(t)
	path := filepath.Join(t.TempDir(), File)
	if _, err := Build(t.Context(), path, []string{filepath.Join(dir, "geonames", "admin1.json")}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := []string{filepath.Join("testdata", "bad-cities.txt"), filepath.Join("testdata", "bad-admin1.json")}
	_, err = Build(t.Context(), path, bad)
	var problems schema.Errors
	if !errors.As(err, &problems) {
		t.Fatalf("Build(bad) error %v; want schema.Errors", err)
	}
	msg := problems.Error()
	for _, want := range []string{
		bad[0] + ":2: 17 tab-separated columns (expected 19",
		bad[0] + ":3: column 5 (latitude): \"95\" is not a latitude",
		bad[0] + ":4: column 9 (country code): \"af\" is not a country code",
		bad[0] + ":4: column 15 (population): \"-3\" is not a population",
		bad[0] + ":5: column 1 (geonameid): GeoNames id 1 is given twice",
		bad[1] + ":3: [1].code: \"AF13\" is not an admin1 code",
		bad[1] + ":4: [2].name: empty",
		bad[1] + ":5: [3].code: AF.13 is given twice",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems lack %q:\n%s", want, msg)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Error("a refused build changed the gazetteer")
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// A truncated gzip stream is a problem of its file, not a failure.
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	for i := 1; i <= 2000; i++ {
		fmt.Fprintf(zw, "%d\tTown %d\tTown %d\t\t10\t20\tP\tPPL\tAF\t\t13\t\t\t\t1000\t\t5\tAsia/Kabul\t2020-01-01\n", i, i, i)
	}
	zw.Close()
	trunc := filepath.Join(t.TempDir(), "cut.txt.gz")
	if err := os.WriteFile(trunc, zb.Bytes()[:zb.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Build(t.Context(), path, []string{trunc})
	if !errors.As(err, &problems) || !strings.Contains(problems.Error(), trunc+":") || !strings.Contains(problems.Error(), "unexpected EOF") {
		t.Errorf("Build(truncated gzip) error %v; want a problem of %s: unexpected EOF", err, trunc)
	}
	if _, err := Build(t.Context(), path, []string{filepath.Join("testdata", "places.yaml")}); !errors.Is(err, ErrFormat) {
		t.Errorf("Build(places.yaml) error %v; want ErrFormat", err)
	}
}

// TestNameKeyMatchesSchema: the ASCII fast path gives schema.NameKey's key.
func TestNameKeyMatchesSchema(t *testing.T) {
	var in []string
	for c := 0; c < 128; c++ {
		in = append(in, string(rune(c)), "a"+string(rune(c))+"b", " _"+string(rune(c))+"\t ")
	}
	in = append(in, "", "  ", "New  York_City ", "Saint-Étienne", "St. John's", "Kansas City", "K`s")
	if dir, err := os.Stat(filepath.Join("..", "..", "..", "shared", "data", "gazetteer")); err == nil && dir.IsDir() {
		for _, r := range rawRows(t, filepath.Join(dataDir(t), "geonames", "cities15000.txt")) {
			in = append(in, r.name, r.ascii)
			in = append(in, r.alternates...)
		}
	}
	for _, s := range in {
		if got, want := nameKey(s), schema.NameKey(s); got != want {
			t.Errorf("nameKey(%q) = %q; schema.NameKey gives %q", s, got, want)
		}
	}
}

// facts returns the geonames File's facts: subject → predicate → objects.
func facts(f *ingest.File) map[string]map[string][]quad.Value {
	out := map[string]map[string][]quad.Value{}
	for _, r := range f.Records {
		for _, q := range r.Quads {
			s := string(q.Subject.(quad.IRI))
			p := string(q.Predicate.(quad.IRI))
			if out[s] == nil {
				out[s] = map[string][]quad.Value{}
			}
			out[s][p] = append(out[s][p], q.Object)
		}
	}
	return out
}

func TestEnrich(t *testing.T) {
	g, rows := build(t, "cities15000.txt")
	data, err := os.ReadFile(filepath.Join("testdata", "places.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.Parse("places.yaml", data)
	if err := in.Errors().Err(); err != nil {
		t.Fatal(err)
	}
	files, sum, err := Enrich(t.Context(), g, []*ingest.File{in})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[1].Name != EnrichFile {
		t.Fatalf("Enrich gave %d files; want the input and %s", len(files), EnrichFile)
	}
	gf := facts(files[1])
	kras := rowNamed(t, rows, "Krasnogorsk", "RU")[0]
	moscow := rowNamed(t, rows, "Moscow", "RU")[0]
	k := gf["location:krasnogorsk"]
	if len(k["tg:lat"]) != 1 || k["tg:lat"][0] != quad.Float(kras.lat) || k["tg:lon"][0] != quad.Float(kras.lon) {
		t.Errorf("krasnogorsk lat/lon %v %v; want the row's %v %v", k["tg:lat"], k["tg:lon"], kras.lat, kras.lon)
	}
	province := "location:geonames-RU." + kras.admin1
	if len(k["tg:partOf"]) != 1 || k["tg:partOf"][0] != quad.IRI(province) {
		t.Errorf("krasnogorsk partOf %v; want %s", k["tg:partOf"], province)
	}
	if p := gf[province]; len(p["tg:partOf"]) != 1 || p["tg:partOf"][0] != quad.IRI("location:russia") || len(p["rdf:type"]) != 1 {
		t.Errorf("%s: %v; want declared, partOf location:russia (the file's own Russia)", province, p)
	}
	if ext := k["tg:externalId"]; len(ext) != 1 || ext[0] != quad.String("geonames:"+kras.id) {
		t.Errorf("krasnogorsk externalId %v; want geonames:%s", ext, kras.id)
	}
	m := gf["location:moscow"]
	if len(m["tg:lat"]) != 1 || m["tg:lat"][0] != quad.Float(moscow.lat) || len(m["tg:partOf"]) != 0 {
		t.Errorf("moscow: %v; want the Russian Moscow's lat %v and no partOf (the file has one)", m, moscow.lat)
	}
	for _, id := range []string{"location:springfield", "location:kabul", "location:north-caucasus"} {
		if len(gf[id]) > 0 {
			t.Errorf("%s got facts %v; want none", id, gf[id])
		}
	}
	var warned []string
	for _, w := range in.Warnings {
		warned = append(warned, w.Error())
	}
	all := strings.Join(warned, "\n")
	springfields := len(rowNamed(t, rows, "Springfield", ""))
	for _, want := range []string{
		"places.yaml:19: location:springfield: name [\"Springfield\"] matches " + strconv.Itoa(springfields) + " places",
		"places.yaml:24: location:kabul: name [\"Kabul\"] matches 2 places",
		"geonames-admin1:AF.13 Kabul",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if sum.Ambiguous != 2 || len(in.Warnings) != 2 {
		t.Errorf("summary %+v, %d warnings; want 2 ambiguous", sum, len(in.Warnings))
	}
	// Deterministic: the same input gives the same File.
	again, _, err := Enrich(t.Context(), g, []*ingest.File{ingest.Parse("places.yaml", data)})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := facts(again[1]), gf; len(a) != len(b) || again[1].SHA256 != files[1].SHA256 {
		t.Errorf("a second Enrich differs: %d subjects, sha %s; first %d, %s", len(a), again[1].SHA256, len(b), files[1].SHA256)
	}
}

// errAfter is a context whose Err is context.Canceled from its n-th call
// on: a cancellation in the middle of the work, without timing.
type errAfter struct {
	context.Context
	n int
}

func (c *errAfter) Err() error {
	if c.n--; c.n <= 0 {
		return context.Canceled
	}
	return nil
}

// TestBuildCancelled: a build cancelled at any of its checks stops, and
// leaves neither a gazetteer nor its temporary file.
func TestBuildCancelled(t *testing.T) {
	dir := dataDir(t)
	for _, n := range []int{1, 5, 40, 88, 100, 115} { // reading cities, languages; writing places, names
		out := t.TempDir()
		if _, err := Build(&errAfter{Context: t.Context(), n: n}, filepath.Join(out, File), inputs(dir, "cities15000.txt")); !errors.Is(err, context.Canceled) {
			t.Errorf("Build cancelled at check %d: %v; want context.Canceled", n, err)
		}
		if left, _ := os.ReadDir(out); len(left) > 0 {
			t.Errorf("a build cancelled at check %d left %v", n, left)
		}
	}
}

// TestEnrichNQuads: an N-Quads file's Locations are resolved as a native
// file's are.
func TestEnrichNQuads(t *testing.T) {
	g, rows := build(t, "cities15000.txt")
	nq := `<source:t> <rdf:type> <tg:Source> <source:t> .
<location:kabul> <rdf:type> <tg:Location> <source:t> .
<location:kabul> <tg:name> "Kabul" <source:t> .
<location:kabul> <tg:placeType> "city" <source:t> .
`
	in := ingest.Parse("places.nq", []byte(nq))
	if err := in.Errors().Err(); err != nil {
		t.Fatal(err)
	}
	files, sum, err := Enrich(t.Context(), g, []*ingest.File{in})
	if err != nil {
		t.Fatal(err)
	}
	kabul := rowNamed(t, rows, "Kabul", "AF")[0]
	if sum.Resolved != 1 || len(files) != 2 {
		t.Fatalf("Enrich(places.nq): %+v, %d files; want Kabul resolved", sum, len(files))
	}
	k := facts(files[1])["location:kabul"]
	if len(k["tg:lat"]) != 1 || k["tg:lat"][0] != quad.Float(kabul.lat) || k["tg:partOf"][0] != quad.IRI("location:geonames-AF."+kabul.admin1) {
		t.Errorf("kabul from N-Quads: %v; want lat %v, partOf AF.%s", k, kabul.lat, kabul.admin1)
	}
}

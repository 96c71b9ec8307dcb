package main

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest/builtin"
	"github.com/threatgraph/threatgraph/internal/httpapi"
)

// gazetteerData is the shared data's gazetteer folder, from the repository
// root; the test is skipped when it is absent.
func gazetteerData(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", "gazetteer")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared data absent: %v", err)
	}
	return dir
}

func gazetteerInputs(dir string) []string {
	return []string{filepath.Join(dir, "geonames", "cities15000.txt"), filepath.Join(dir, "geonames", "admin1.json"), filepath.Join(dir, "countries", "i18n-iso-countries")}
}

// loadPlaces builds the gazetteer of store from cities15000, admin1 and
// the countries.
func loadPlaces(t *testing.T, store string) {
	t.Helper()
	cli(t, append([]string{"places", "load", "--store", store}, gazetteerInputs(gazetteerData(t))...)...)
}

// geoRow is a row of a GeoNames dump, read by the test itself.
type geoRow struct {
	id, name, ascii, country string
	lat, lon                 float64
}

func geoRows(t *testing.T) []geoRow {
	t.Helper()
	f, err := os.Open(filepath.Join(gazetteerData(t), "geonames", "cities15000.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []geoRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		r := geoRow{id: c[0], name: c[1], ascii: c[2], country: c[8]}
		r.lat, _ = strconv.ParseFloat(c[4], 64)
		r.lon, _ = strconv.ParseFloat(c[5], 64)
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonCount(t *testing.T, name string) int {
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

func TestPlacesLoadCounts(t *testing.T) {
	dir := gazetteerData(t)
	store := filepath.Join(t.TempDir(), "tg.db")
	_, stderr, err := runCLI(t, "places", "stats", "--store", store)
	if code := exitCode(err); err == nil || code != exitBadInput || !strings.Contains(err.Error(), "no gazetteer loaded") {
		t.Errorf("places stats before a load: %v (exit %d) %s; want exit 2, no gazetteer loaded", err, code, stderr)
	}
	out := cli(t, append([]string{"places", "load", "--store", store, "--format", "json"}, gazetteerInputs(dir)...)...)
	var got struct {
		Cities, Provinces, Countries int
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := got
	want.Cities = len(geoRows(t))
	want.Provinces = jsonCount(t, filepath.Join(dir, "geonames", "admin1.json"))
	want.Countries = jsonCount(t, filepath.Join(dir, "countries", "i18n-iso-countries", "codes.json"))
	if got != want {
		t.Errorf("places load: %+v; want %+v (counted from the raw files)", got, want)
	}
	if stats := cli(t, "places", "stats", "--store", store, "--format", "json"); stats != out {
		t.Errorf("places stats differs from places load's report:\n%s\n%s", stats, out)
	}
	// The gazetteer is not in the graph: places load writes its own file
	// and leaves the store alone (here, uncreated).
	entries, err := os.ReadDir(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "gazetteer.bolt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the store's directory holds %v after places load; want gazetteer.bolt alone", names)
	}
	// A bad file changes nothing and says where.
	bad := filepath.Join(t.TempDir(), "cities.txt")
	if err := os.WriteFile(bad, []byte("1\tA\tA\t\t95\t0\tP\tPPL\tAF\t\t13\t\t\t\t10\t\t1\tAsia/Kabul\t2020-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = runCLI(t, "places", "load", "--store", store, bad)
	if exitCode(err) != exitBadInput || !strings.Contains(stderr, bad+":1: column 5 (latitude): \"95\" is not a latitude") {
		t.Errorf("places load of a bad file: %v\n%s", err, stderr)
	}
	if stats := cli(t, "places", "stats", "--store", store, "--format", "json"); stats != out {
		t.Errorf("a refused load changed the gazetteer:\n%s", stats)
	}
}

// TestPlacesFindMatchesHTTP: places find --format json and GET /v1/places
// answer the same bytes, and the candidates are the raw data's.
func TestPlacesFindMatchesHTTP(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	loadPlaces(t, store)
	rows := geoRows(t)
	st, err := graph.Open(t.Context(), graph.Options{Backend: "bbolt", Path: store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := httpapi.New(t.Context(), st, httpapi.Options{SnapshotDir: store, Places: placesOf(st)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, country, kind string
		rawName, rawCountry string // the row the first candidate must be
	}{
		{"Kabul", "", "city", "Kabul", "AF"},
		{"Moscow", "RU", "", "Moscow", "RU"},
		{"Москва", "RU", "", "Moscow", "RU"},
		{"Krasnogorsk", "", "", "Krasnogorsk", "RU"},
	} {
		args := []string{"places", "find", tc.name, "--store", store, "--format", "json"}
		q := url.Values{"name": {tc.name}}
		if tc.country != "" {
			args = append(args, "--country", tc.country)
			q.Set("country", tc.country)
		}
		if tc.kind != "" {
			args = append(args, "--kind", tc.kind)
			q.Set("kind", tc.kind)
		}
		out := cli(t, args...)
		code, body := get("/v1/places?" + q.Encode())
		if code != http.StatusOK || body != out {
			t.Errorf("GET /v1/places?%s: %d\n%s\nCLI:\n%s", q.Encode(), code, body, out)
		}
		var res httpapi.PlacesResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		var want *geoRow
		for i, r := range rows {
			if r.name == tc.rawName && r.country == tc.rawCountry {
				want = &rows[i]
			}
		}
		if want == nil || len(res.Candidates) == 0 {
			t.Fatalf("find %s: %d candidates; raw row %v", tc.name, len(res.Candidates), want)
		}
		c := res.Candidates[0]
		if c.ID != "geonames:"+want.id || *c.Lat != want.lat || *c.Lon != want.lon || c.Country.Code != want.country || len(c.Matched) == 0 {
			t.Errorf("find %s: first %+v; want geonames:%s at %v,%v", tc.name, c, want.id, want.lat, want.lon)
		}
	}
	for path, want := range map[string]int{
		"/v1/places?name=Moscow&country=Atlantis": 400,
		"/v1/places?name=Moscow&kind=planet":      400,
		"/v1/places":                              400,
		"/v1/places?name=Moscow&limit=0":          400,
	} {
		if code, body := get(path); code != want {
			t.Errorf("GET %s: %d %s; want %d", path, code, body, want)
		}
	}
	if _, _, err := runCLI(t, "places", "find", "Moscow", "--store", store, "--country", "Atlantis"); exitCode(err) != exitBadInput {
		t.Errorf("find --country Atlantis: %v; want exit 2", err)
	}
	srv2, err := httpapi.New(t.Context(), st, httpapi.Options{SnapshotDir: store})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv2.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/places?name=Moscow", nil))
	if rec.Code != http.StatusNotImplemented {
		t.Errorf("GET /v1/places without a gazetteer: %d; want 501", rec.Code)
	}
}

// nquadLines exports the store as N-Quads, one quad a line.
func nquadLines(t *testing.T, store string) map[string]bool {
	t.Helper()
	out := cli(t, "export", "--store", store, "--format", "nquads")
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if l != "" {
			lines[l] = true
		}
	}
	return lines
}

var gazetteerLabel = regexp.MustCompile(` <source:(geonames|i18n-iso-countries)> \.$`)

// TestDemoWithGazetteer: the demo loaded with a gazetteer holds every quad
// the demo without one holds, and the others are the gazetteer's.
func TestDemoWithGazetteer(t *testing.T) {
	plain := demoStore(t)
	store := filepath.Join(t.TempDir(), "tg.db")
	loadPlaces(t, store)
	_, stderr, err := runCLI(t, "demo", "--store", store)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "gazetteer: ") {
		t.Errorf("demo with a gazetteer says nothing of it:\n%s", stderr)
	}
	without, with := nquadLines(t, plain), nquadLines(t, store)
	added := 0
	for l := range without {
		if !with[l] {
			t.Errorf("with a gazetteer, the demo lacks %s", l)
		}
	}
	for l := range with {
		if !without[l] {
			added++
			if !gazetteerLabel.MatchString(l) {
				t.Errorf("with a gazetteer, the demo holds %s: not the gazetteer's", l)
			}
		}
	}
	if added == 0 {
		t.Error("the gazetteer added nothing to the demo")
	}
	// The demo's countries are the raw data's: where en.json names one as
	// the demo does, its externalId is that code.
	en := map[string]string{}
	raw, err := os.ReadFile(filepath.Join(gazetteerData(t), "countries", "i18n-iso-countries", "langs", "en.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lang struct{ Countries map[string]json.RawMessage }
	if err := json.Unmarshal(raw, &lang); err != nil {
		t.Fatal(err)
	}
	for code, v := range lang.Countries {
		var one string
		var many []string
		if json.Unmarshal(v, &one) == nil {
			many = []string{one}
		} else if err := json.Unmarshal(v, &many); err != nil {
			t.Fatal(err)
		}
		for _, n := range many {
			en[n] = code
		}
	}
	for _, id := range []string{"location:afghanistan", "location:russia", "location:germany", "location:tajikistan"} {
		var card struct {
			Name  string
			Facts []struct {
				Predicate string
				Value     struct{ Value any }
			}
		}
		if err := json.Unmarshal([]byte(cli(t, "show", id, "--store", store, "--format", "json")), &card); err != nil {
			t.Fatal(err)
		}
		code := en[card.Name]
		found := false
		for _, f := range card.Facts {
			if f.Predicate == "externalId" && f.Value.Value == "iso3166:"+code {
				found = true
			}
		}
		if code == "" || !found {
			t.Errorf("%s (%s): no externalId iso3166:%s", id, card.Name, code)
		}
	}
	// Running it again adds nothing: the gazetteer's File is the same.
	out := cli(t, "demo", "--store", store)
	if !strings.Contains(out, "nothing added") {
		t.Errorf("second demo with a gazetteer added quads:\n%s", out)
	}
}

// cityBlocks splits the built-in places.yaml into entity blocks and strips
// lat, lon and partOf (the entity's own, not its facts') from the cities.
func strippedPlaces(t *testing.T) (stripped string, cities map[string][2]float64, parent map[string]string) {
	t.Helper()
	files, err := builtin.Files()
	if err != nil {
		t.Fatal(err)
	}
	var src string
	for _, f := range files {
		if f.Name == "builtin/places.yaml" {
			src = string(f.Data)
		}
	}
	cities, parent = map[string][2]float64{}, map[string]string{}
	blocks := strings.Split(src, "\n  - id: ")
	for i := 1; i < len(blocks); i++ {
		lines := strings.Split(blocks[i], "\n")
		id := lines[0]
		city := strings.Contains(blocks[i], "\n    placeType: city\n")
		var keep []string
		var ll [2]float64
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "    partOf: "):
				parent[id] = strings.TrimPrefix(l, "    partOf: ")
				if city {
					continue
				}
			case city && strings.HasPrefix(l, "    lat: "):
				ll[0], _ = strconv.ParseFloat(strings.TrimPrefix(l, "    lat: "), 64)
				continue
			case city && strings.HasPrefix(l, "    lon: "):
				ll[1], _ = strconv.ParseFloat(strings.TrimPrefix(l, "    lon: "), 64)
				continue
			}
			keep = append(keep, l)
		}
		if city {
			cities[id] = ll
		}
		blocks[i] = strings.Join(keep, "\n")
	}
	return strings.Join(blocks, "\n  - id: "), cities, parent
}

// TestBuiltinCitiesGetCoordinates ingests the built-in dataset with its
// cities' coordinates and partOf taken out: with a gazetteer, each city
// gets the coordinates the editors had taken from GeoNames, or is an
// ambiguity warning, never another place's; and its partOf chain reaches
// the country the editors gave.
func TestBuiltinCitiesGetCoordinates(t *testing.T) {
	stripped, cities, parent := strippedPlaces(t)
	rows := geoRows(t)
	dir := t.TempDir()
	files, err := builtin.Files()
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, f := range files {
		data := f.Data
		if f.Name == "builtin/places.yaml" {
			data = []byte(stripped)
		}
		name := filepath.Join(dir, filepath.Base(f.Name))
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
	}
	store := filepath.Join(t.TempDir(), "tg.db")
	loadPlaces(t, store)
	_, stderr, err := runCLI(t, append([]string{"ingest", "--store", store}, args...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	quads := nquadLines(t, store)
	value := func(id, pred, label string) (string, bool) {
		prefix := "<" + id + "> <tg:" + pred + "> "
		for l := range quads {
			if strings.HasPrefix(l, prefix) && strings.HasSuffix(l, " <"+label+"> .") {
				return strings.TrimSuffix(strings.TrimPrefix(l, prefix), " <"+label+"> ."), true
			}
		}
		return "", false
	}
	partOf := map[string][]string{}
	for l := range quads {
		if f := strings.Fields(l); len(f) >= 4 && f[1] == "<tg:partOf>" {
			partOf[strings.Trim(f[0], "<>")] = append(partOf[strings.Trim(f[0], "<>")], strings.Trim(f[2], "<>"))
		}
	}
	countryOf := func(id string) string { // the editors' chain, up to a country
		for i := 0; i < 10 && id != ""; i++ {
			if strings.Contains(stripped, "  - id: "+id+"\n    kind: Location\n    name: ") && strings.Contains(stripped, "  - id: "+id+"\n    kind: Location\n    name: "+nameIn(stripped, id)+"\n    placeType: country") {
				return id
			}
			id = parent[id]
		}
		return ""
	}
	reaches := func(from, to string) bool {
		seen := map[string]bool{}
		next := []string{from}
		for len(next) > 0 {
			id := next[0]
			next = next[1:]
			if id == to {
				return true
			}
			if !seen[id] {
				seen[id] = true
				next = append(next, partOf[id]...)
			}
		}
		return false
	}
	resolved, chained := 0, 0
	for id, ll := range cities {
		// The raw row the editors took the coordinates from.
		var row *geoRow
		for i, r := range rows {
			if math.Abs(r.lat-ll[0]) < 1e-6 && math.Abs(r.lon-ll[1]) < 1e-6 {
				row = &rows[i]
			}
		}
		lat, ok := value(id, "lat", "source:geonames")
		warned := strings.Contains(stderr, ": "+id+": name ")
		switch {
		case ok && warned:
			t.Errorf("%s: coordinates and a warning", id)
		case ok:
			resolved++
			ext, _ := value(id, "externalId", "source:geonames")
			f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(lat, `"`), `"^^<xsd:double>`), 64)
			if row == nil || ext != `"geonames:`+row.id+`"` || err != nil || f != row.lat {
				t.Errorf("%s: lat %s (%v), %s; want the row the editors used, %+v", id, lat, err, ext, row)
			}
			// Where the data has no partOf, the gazetteer's reaches the
			// editors' country.
			if _, ok := value(id, "partOf", "source:geonames"); ok {
				chained++
				if c := countryOf(id); c == "" || !reaches(id, c) {
					t.Errorf("%s: partOf chain %v does not reach the editors' country %q", id, partOf[id], c)
				}
			} else if len(partOf[id]) == 0 {
				t.Errorf("%s: resolved, no partOf, and none added", id)
			}
		case !warned:
			t.Errorf("%s: neither coordinates nor a warning", id)
		}
	}
	if resolved < len(cities)/2 {
		t.Errorf("%d of %d cities resolved; want most\n%s", resolved, len(cities), stderr)
	}
	if chained == 0 {
		t.Error("no city got a partOf chain from the gazetteer")
	}
	for _, id := range []string{"location:krasnogorsk", "location:kabul"} {
		if _, ok := value(id, "lat", "source:geonames"); !ok {
			t.Errorf("%s got no coordinates\n%s", id, stderr)
		}
	}
	// Without its partOf Russia, Moscow is Moscow, Russia or Moscow, Idaho:
	// a warning naming both, no facts.
	moscows := 0
	for _, r := range rows {
		if r.name == "Moscow" {
			moscows++
		}
	}
	if _, ok := value("location:moscow", "lat", "source:geonames"); ok || !strings.Contains(stderr, "location:moscow: name [\"Moscow\"] matches "+strconv.Itoa(moscows)+" places") {
		t.Errorf("location:moscow without its partOf: not the ambiguity warning\n%s", stderr)
	}
	// Kabul has a partOf of its own (the New York Times'): none is added.
	if _, ok := value("location:kabul", "partOf", "source:geonames"); ok {
		t.Error("location:kabul got a partOf from GeoNames although the New York Times gives one")
	}
}

// nameIn returns the name line of id's block in the native file text.
func nameIn(text, id string) string {
	i := strings.Index(text, "  - id: "+id+"\n    kind: Location\n    name: ")
	if i < 0 {
		return ""
	}
	rest := text[i+len("  - id: "+id+"\n    kind: Location\n    name: "):]
	return rest[:strings.IndexByte(rest, '\n')]
}

// TestEnrichUsesTheStore: a load into a store that holds the demo (loaded
// before the gazetteer) takes the store's facts into account: a place the
// store already locates gets nothing, and a new town's partOf is the
// store's own province, not a new location:geonames-… one.
func TestEnrichUsesTheStore(t *testing.T) {
	store := demoStore(t)
	loadPlaces(t, store)
	var podolsk *geoRow
	var admin1 string
	f, err := os.Open(filepath.Join(gazetteerData(t), "geonames", "cities15000.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if c[1] == "Podolsk" && c[8] == "RU" {
			lat, _ := strconv.ParseFloat(c[4], 64)
			podolsk, admin1 = &geoRow{id: c[0], name: c[1], country: c[8], lat: lat}, "RU."+c[10]
		}
	}
	f.Close()
	if podolsk == nil {
		t.Fatal("no Podolsk in cities15000")
	}
	var provinces []struct{ Code, Name string }
	raw, err := os.ReadFile(filepath.Join(gazetteerData(t), "geonames", "admin1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &provinces); err != nil {
		t.Fatal(err)
	}
	provinceName := ""
	for _, p := range provinces {
		if p.Code == admin1 {
			provinceName = p.Name
		}
	}
	in := filepath.Join(t.TempDir(), "more.yaml")
	if err := os.WriteFile(in, []byte(`format: threatgraph/1
source: source:test
sources:
  - id: source:test
    title: A test
entities:
  - id: location:krasnogorsk
    kind: Location
    name: Krasnogorsk
  - id: location:podolsk
    kind: Location
    name: Podolsk
    placeType: city
`), 0o644); err != nil {
		t.Fatal(err)
	}
	before := nquadLines(t, store)
	_, stderr, err := runCLI(t, "ingest", "--store", store, in)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	after := nquadLines(t, store)
	var partOf string
	for l := range after {
		if before[l] || !gazetteerLabel.MatchString(l) {
			continue
		}
		switch {
		case strings.HasPrefix(l, "<location:krasnogorsk> "):
			t.Errorf("the store locates Krasnogorsk; the gazetteer added %s", l)
		case strings.HasPrefix(l, "<location:geonames-"):
			t.Errorf("a new gazetteer Location although the store has the province: %s", l)
		case strings.HasPrefix(l, "<location:podolsk> <tg:partOf> "):
			partOf = strings.Fields(l)[2]
		}
	}
	var card struct{ Name string }
	if partOf != "" {
		if err := json.Unmarshal([]byte(cli(t, "show", strings.Trim(partOf, "<>"), "--store", store, "--format", "json")), &card); err != nil {
			t.Fatal(err)
		}
	}
	if provinceName == "" || card.Name != provinceName {
		t.Errorf("Podolsk partOf %s (%q); want the store's %s, %q\n%s", partOf, card.Name, admin1, provinceName, stderr)
	}
}

// TestServeIngestResolvesPlaces: POST /v1/ingest's loader resolves places
// as the CLI does, and reports the ambiguity as a warning.
func TestServeIngestResolvesPlaces(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	loadPlaces(t, store)
	st, err := graph.Open(t.Context(), graph.Options{Backend: "bbolt", Path: store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	data := []byte(`format: threatgraph/1
source: source:test
sources:
  - id: source:test
    title: A test
entities:
  - id: location:krasnogorsk
    kind: Location
    name: Krasnogorsk
    placeType: city
  - id: location:springfield
    kind: Location
    name: Springfield
`)
	rep, err := (storeLoader{st}).Load(t.Context(), []httpapi.Upload{{Name: "towns.yaml", Data: data}}, httpapi.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 2 || rep.Files[1].File != "geonames" || rep.Files[1].Added == 0 {
		t.Errorf("files %+v; want towns.yaml and the gazetteer's geonames", rep.Files)
	}
	if w := strings.Join(rep.Warnings, "\n"); !strings.Contains(w, "towns.yaml:12: location:springfield: name [\"Springfield\"] matches") {
		t.Errorf("warnings %q; want Springfield's ambiguity", w)
	}
	found := false
	err = st.Quads(t.Context(), quad.Subject, quad.IRI("location:krasnogorsk"), func(q quad.Quad) error {
		found = found || (q.Predicate == quad.IRI("tg:lat") && q.Label == quad.IRI("source:geonames"))
		return nil
	})
	if err != nil || !found {
		t.Errorf("location:krasnogorsk has no lat from source:geonames (%v)", err)
	}
}

package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/tabletest"
	"github.com/threatgraph/threatgraph/schema"
)

// gtdHeader reads GTD's 135 column names from the shared data, or skips.
func gtdHeader(t *testing.T) []string {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "data", "gtd", "gtd_0718dist_header.csv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("GTD header %s: %v", path, err)
	}
	h, err := csv.NewReader(bytes.NewReader(data)).Read()
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if len(h) != 135 {
		t.Fatalf("%s has %d columns; want 135", path, len(h))
	}
	return h
}

// storeCounts reads a store back: entities by kind (distinct subjects of
// rdf:type quads) and the subjects of each predicate.
type storeCounts struct {
	kinds map[schema.Kind]map[string]bool
	preds map[string]map[string]bool
	pairs map[string]map[string]bool // predicate → "subject object" of entity-valued quads
	quads int
}

func readStore(t *testing.T, path string) storeCounts {
	t.Helper()
	s, err := graph.Open(t.Context(), graph.Options{Path: path, ReadOnly: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := storeCounts{kinds: map[schema.Kind]map[string]bool{}, preds: map[string]map[string]bool{}, pairs: map[string]map[string]bool{}}
	err = s.Scan(t.Context(), func(q quad.Quad) error {
		c.quads++
		subj, pred := iriOf(q.Subject), iriOf(q.Predicate)
		if pred == schema.TypeIRI {
			k, _ := schema.KindFromIRI(iriOf(q.Object))
			if c.kinds[k] == nil {
				c.kinds[k] = map[string]bool{}
			}
			c.kinds[k][subj] = true
		}
		if c.preds[pred] == nil {
			c.preds[pred] = map[string]bool{}
		}
		c.preds[pred][subj] = true
		if obj := iriOf(q.Object); obj != "" {
			if c.pairs[pred] == nil {
				c.pairs[pred] = map[string]bool{}
			}
			c.pairs[pred][subj+" "+obj] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func iriOf(v quad.Value) string {
	if i, ok := v.(quad.IRI); ok {
		return string(i)
	}
	return ""
}

func (c storeCounts) kind(k schema.Kind) int { return len(c.kinds[k]) }
func (c storeCounts) pred(p string) int      { return len(c.preds[p]) }

// gtdCounts is the test's own count of what a GTD table holds, from the
// raw cells, by GTD's codebook: independent of the importer.
type gtdCounts struct {
	attacks, groups, places, killed, wounded, claims, orgs, sources, dated int
	// lat: the places given a latitude, by GTD's specificity: the city
	// at 1, the province at 4, nothing else
	lat int
}

func countGTD(tab *tabletest.Table, skip map[int]bool) gtdCounts {
	var c gtdCounts
	groups, places, orgs, cites, claims := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	lat := map[string]bool{}
	known := func(v string) bool { return v != "" && v != "Unknown" }
	for i := range tab.Rows {
		if skip[i] {
			continue
		}
		c.attacks++
		for _, g := range []string{"", "2", "3"} {
			name := tab.Get(i, "gname"+g)
			if !known(name) {
				continue
			}
			groups[name] = true
			if tab.Get(i, "guncertain"+map[string]string{"": "1"}[g]+g) == "1" {
				claims[tab.Get(i, "eventid")+"/"+name] = true
			}
		}
		country, prov, city := tab.Get(i, "country_txt"), tab.Get(i, "provstate"), tab.Get(i, "city")
		places["country "+country] = true
		if known(prov) {
			places["province "+country+"/"+prov] = true
		} else {
			prov = ""
		}
		if known(city) {
			places["city "+country+"/"+prov+"/"+city] = true
		}
		if tab.Get(i, "latitude") != "" {
			switch spec := tab.Get(i, "specificity"); {
			case spec == "1" && known(city):
				lat["city "+country+"/"+prov+"/"+city] = true
			case spec == "4" && prov != "":
				lat["province "+country+"/"+prov] = true
			}
		}
		if k := tab.Get(i, "nkill"); k != "" && k != "-99" {
			c.killed++
		}
		if k := tab.Get(i, "nwound"); k != "" && k != "-99" {
			c.wounded++
		}
		if corp := tab.Get(i, "corp1"); known(corp) && corp != "Not Applicable" {
			orgs[corp] = true
		}
		if s := tab.Get(i, "scite1"); s != "" {
			cites[s] = true
		}
		if tab.Get(i, "iyear") != "" {
			c.dated++
		}
	}
	c.groups, c.places, c.orgs, c.sources, c.claims = len(groups), len(places), len(orgs), len(cites)+1, len(claims)
	c.lat = len(lat)
	return c
}

func checkGTD(t *testing.T, store string, want gtdCounts) {
	t.Helper()
	got := readStore(t, store)
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"attacks", got.kind(schema.Attack), want.attacks},
		{"groups", got.kind(schema.Group), want.groups},
		{"places", got.kind(schema.Location), want.places},
		{"claims of attribution (suspected perpetrators)", got.kind(schema.Claim), want.claims},
		{"target organisations", got.kind(schema.Organization), want.orgs},
		{"sources (GTD and its citations)", got.kind(schema.Source), want.sources},
		{"killed facts", got.pred("tg:killed"), want.killed},
		{"wounded facts", got.pred("tg:wounded"), want.wounded},
		{"dated attacks", got.pred("tg:date"), want.dated},
		{"places with a latitude (city at specificity 1, province at 4)", got.pred("tg:lat"), want.lat},
		{"places with a longitude", got.pred("tg:lon"), want.lat},
	} {
		if c.got != c.want {
			t.Errorf("%s in the store: %d; counted in the table: %d", c.what, c.got, c.want)
		}
	}
}

func writeTable(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTableGTD: a generated GTD-shaped table (GTD's header, random values,
// GTD's unknown markers) through the CLI with the shipped mapping: the
// store holds as many attacks, groups, places and killed facts as the
// test counts in the rows.
func TestTableGTD(t *testing.T) {
	tab := tabletest.GTD(gtdHeader(t), 400, 7)
	csvPath := writeTable(t, "gtd.csv", tab.CSV(','))
	store := filepath.Join(t.TempDir(), "tg.db")
	out := cli(t, "ingest", "--store", store, "--mapping", "gtd", csvPath)
	if !strings.Contains(out, "table") {
		t.Errorf("ingest report does not name the table format:\n%s", out)
	}
	want := countGTD(tab, nil)
	if want.killed == 0 || want.claims == 0 || want.killed == want.attacks {
		t.Fatalf("generated table lacks the cases under test: %+v", want)
	}
	checkGTD(t, store, want)

	// Re-ingesting adds nothing.
	out = cli(t, "ingest", "--store", store, "--mapping", "gtd", csvPath)
	if !strings.Contains(out, "nothing new") {
		t.Errorf("second ingest added quads:\n%s", out)
	}
}

// TestTableGTDValues checks single rows against what GTD's codes say:
// unknown month and day widen the date, -99 and empty give no count, a
// suspected perpetrator is a claim of attribution, not perpetratedBy.
func TestTableGTDValues(t *testing.T) {
	tab := tabletest.GTD(gtdHeader(t), 4, 1)
	set := func(i int, kv ...string) {
		for j := 0; j+1 < len(kv); j += 2 {
			tab.Set(i, kv[j], kv[j+1])
		}
	}
	set(0, "eventid", "199403000001", "iyear", "1994", "imonth", "3", "iday", "0", "approxdate", "", "nkill", "-99", "nwound", "", "gname", "Taliban", "guncertain1", "0", "gname2", "", "gname3", "")
	set(1, "eventid", "199400000002", "iyear", "1994", "imonth", "0", "iday", "0", "approxdate", "early 1994", "nkill", "0", "gname", "Boko Haram", "guncertain1", "1", "gname2", "", "gname3", "")
	set(2, "eventid", "199402280003", "iyear", "1994", "imonth", "2", "iday", "28", "approxdate", "", "nkill", "12", "gname", "Unknown", "gname2", "", "gname3", "")
	set(3, "eventid", "199402280004", "iyear", "1994", "imonth", "2", "iday", "28", "approxdate", "February 27-28, 1994", "nkill", "1.0", "gname", "Unknown", "gname2", "", "gname3", "")
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "ingest", "--store", store, "--mapping", "gtd", writeTable(t, "gtd.csv", tab.CSV(',')))
	show := func(id string) map[string][]string {
		out := cli(t, "show", "--store", store, id)
		facts := map[string][]string{}
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			if len(f) >= 2 && strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "    ") {
				facts[f[0]] = append(facts[f[0]], strings.Join(f[1:], " "))
			}
		}
		return facts
	}
	a := show("attack:gtd-199403000001")
	if !slices.Equal(a["date"], []string{"1994-03"}) || a["killed"] != nil || a["wounded"] != nil {
		t.Errorf("imonth 3, iday 0, nkill -99, nwound empty: date %q killed %q wounded %q; want date 1994-03 and no counts", a["date"], a["killed"], a["wounded"])
	}
	if !slices.Equal(a["perpetratedBy"], []string{"Taliban (group:gtd-taliban)"}) {
		t.Errorf("perpetratedBy %q; want Taliban", a["perpetratedBy"])
	}
	b := show("attack:gtd-199400000002")
	if len(b["date"]) != 1 || !strings.HasPrefix(b["date"][0], "1994 ") || !strings.Contains(b["date"][0], "early 1994") {
		t.Errorf("imonth 0 with approxdate \"early 1994\": date %q; want the year 1994 with the words", b["date"])
	}
	if b["perpetratedBy"] != nil || !slices.Equal(b["killed"], []string{"0"}) {
		t.Errorf("suspected perpetrator: perpetratedBy %q (want none), killed %q (want 0, as written)", b["perpetratedBy"], b["killed"])
	}
	claim := show("claim:gtd-199400000002-suspected-boko-haram")
	if !slices.Equal(claim["claimType"], []string{"attribution"}) || !slices.Equal(claim["alleges"], []string{"Boko Haram (group:gtd-boko-haram)"}) {
		t.Errorf("suspicion claim: %v", claim)
	}
	if c := show("attack:gtd-199402280003"); !slices.Equal(c["date"], []string{"1994-02-28"}) || !slices.Equal(c["killed"], []string{"12"}) || c["perpetratedBy"] != nil {
		t.Errorf("a known day: %v", c)
	}
	// Words naming a wider span than the parts widen the date, never narrow it.
	if d := show("attack:gtd-199402280004"); len(d["date"]) != 1 || !strings.HasPrefix(d["date"][0], "1994-02-27/1994-02-28") || !slices.Equal(d["killed"], []string{"1"}) {
		t.Errorf("approxdate \"February 27-28, 1994\" and nkill 1.0: %v", d)
	}
}

// TestTableBadRows: bad cells give FILE:ROW: COLUMN errors; strict mode
// loads nothing; --skip-invalid loads the good rows, counted again.
func TestTableBadRows(t *testing.T) {
	tab := tabletest.GTD(gtdHeader(t), 120, 3)
	bad := map[int]string{10: "nkill", 57: "imonth", 99: "attacktype1"}
	tab.Set(10, "nkill", "many")
	tab.Set(10, "gname", "A Group Only A Bad Row Names") // it must not load
	tab.Set(57, "imonth", "13")
	tab.Set(99, "attacktype1", "42")
	csvPath := writeTable(t, "gtd.csv", tab.CSV(','))
	store := filepath.Join(t.TempDir(), "tg.db")
	_, stderr, err := runCLI(t, "ingest", "--store", store, "--mapping", "gtd", csvPath)
	if err == nil || exitCode(err) != exitBadInput {
		t.Fatalf("strict ingest of bad rows: err %v (exit %d); want exit %d", err, exitCode(err), exitBadInput)
	}
	for i, col := range bad {
		want := fmt.Sprintf("%s:%d: %s: ", csvPath, tab.Line(i), col)
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "exists nowhere") {
		t.Errorf("a bad row's problem is echoed by references to what it names:\n%s", stderr)
	}
	if _, err := os.Stat(store); err == nil {
		if c := readStore(t, store); c.quads != 0 {
			t.Errorf("strict ingest with bad rows wrote %d quads", c.quads)
		}
	}
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	cli(t, "ingest", "--store", store, "--mapping", "gtd", "--skip-invalid", "--rejects", rejects, csvPath)
	skip := map[int]bool{}
	for i := range bad {
		skip[i] = true
	}
	checkGTD(t, store, countGTD(tab, skip))
	data, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n != len(bad) {
		t.Errorf("rejects report has %d lines; want %d:\n%s", n, len(bad), data)
	}
}

// TestTableMappingErrors: a mapping naming a column the table lacks is an
// error at the mapping's line; a mapping the schema refuses is an error
// before any table is read.
func TestTableMappingErrors(t *testing.T) {
	dir := t.TempDir()
	mapping := filepath.Join(dir, "map.yaml")
	os.WriteFile(mapping, []byte(`source: {id: "source:t", title: Test table}
entities:
  attack:
    kind: Attack
    id: "attack:t-{id}"
    facts:
      killed: {column: deaths}
`), 0o644)
	table := writeTable(t, "t.csv", []byte("id,dead\n1,3\n"))
	_, stderr, err := runCLI(t, "ingest", "--store", filepath.Join(dir, "db"), "--mapping", mapping, table)
	if err == nil || exitCode(err) != exitBadInput {
		t.Fatalf("unknown column: err %v; want exit %d", err, exitBadInput)
	}
	if want := mapping + `:7: entities.attack.facts.killed.column: unknown column "deaths"`; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	os.WriteFile(mapping, []byte("source: {id: \"source:t\", title: T}\nentities:\n  attack:\n    kind: Attak\n    id: \"attack:t-{id}\"\n"), 0o644)
	_, stderr, err = runCLI(t, "ingest", "--store", filepath.Join(dir, "db"), "--mapping", mapping, table)
	if err == nil || !strings.Contains(err.Error()+stderr, mapping+":4: entities.attack.kind") {
		t.Errorf("bad kind: err %v\n%s", err, stderr)
	}
	_, _, err = runCLI(t, "ingest", "--store", filepath.Join(dir, "db"), "--mapping", "nosuch", table)
	if err == nil || !strings.Contains(err.Error(), "acled, gtd") {
		t.Errorf("--mapping nosuch: %v; want the shipped mappings named", err)
	}
}

// acledCounts is the test's own count of an ACLED table, from the cells.
type acledCounts struct {
	attacks, groups, orgs, places, killed, sources, skipped, perpetrators int
	lat, nearTown, zeroKilled, inTown                                     int
}

func countACLED(tab *tabletest.Table) acledCounts {
	var c acledCounts
	groups, orgs, places, sources, perps := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	lat := map[string]bool{}
	groupCodes := []string{"2", "3", "4", "5", "6", "Rebel group", "Political militia", "Identity militia", "Rioters", "Protesters"}
	orgCodes := []string{"1", "8", "State forces", "External/Other forces"}
	for i := range tab.Rows {
		if !slices.Contains(tabletest.ACLEDViolent, tab.Get(i, "event_type")) {
			c.skipped++
			continue
		}
		c.attacks++
		armed := map[string]string{}
		for _, a := range []string{"1", "2"} {
			name, code := tab.Get(i, "actor"+a), tab.Get(i, "inter"+a)
			switch {
			case name == "":
			case slices.Contains(groupCodes, code):
				groups[name] = true
				armed[a] = "group " + name
			case slices.Contains(orgCodes, code):
				orgs[name] = true
				armed[a] = "org " + name
			}
		}
		// ACLED's actors have no direction: who perpetrated, by event type.
		var by []string
		switch tab.Get(i, "event_type") {
		case "Battles":
			by = []string{armed["1"], armed["2"]}
		case "Violence against civilians":
			by = []string{armed["1"]}
		case "Explosions/Remote violence":
			if armed["2"] == "" {
				by = []string{armed["1"]}
			}
		}
		for _, p := range by {
			if p != "" {
				perps[tab.Get(i, "event_id_cnty")+" "+p] = true
			}
		}
		country, a1, a2, a3 := tab.Get(i, "country"), tab.Get(i, "admin1"), tab.Get(i, "admin2"), tab.Get(i, "admin3")
		places["country "+country] = true
		if a1 != "" {
			places["admin1 "+country+"/"+a1] = true
		}
		if a2 != "" {
			places["admin2 "+country+"/"+a1+"/"+a2] = true
		}
		if a3 != "" {
			places["admin3 "+country+"/"+a1+"/"+a2+"/"+a3] = true
		}
		loc := "location " + country + "/" + tab.Get(i, "location") + "/" + tab.Get(i, "latitude") + "/" + tab.Get(i, "longitude")
		places[loc] = true
		// geo_precision 1: the town itself has the coordinates; 2 and 3
		// say near the town or in its region, no coordinates.
		switch tab.Get(i, "geo_precision") {
		case "1":
			c.inTown++
			if tab.Get(i, "latitude") != "" {
				lat[loc] = true
			}
		case "2", "3":
			c.nearTown++
		}
		// 0 fatalities: none reported, no killed fact.
		switch f := tab.Get(i, "fatalities"); f {
		case "":
		case "0":
			c.zeroKilled++
		default:
			c.killed++
		}
		for _, s := range strings.Split(tab.Get(i, "source"), ";") {
			if s = strings.TrimSpace(s); s != "" {
				sources[s] = true
			}
		}
	}
	c.groups, c.orgs, c.places, c.sources, c.perpetrators = len(groups), len(orgs), len(places), len(sources)+1, len(perps)
	c.lat = len(lat)
	return c
}

// TestTableACLED: a generated ACLED-shaped table through the CLI with the
// shipped mapping; counts against the test's own; fatalities are kept as
// ACLED's estimates, week precision widens the date.
func TestTableACLED(t *testing.T) {
	tab := tabletest.ACLED(300, 11)
	csvPath := writeTable(t, "acled.csv", tab.CSV(','))
	store := filepath.Join(t.TempDir(), "tg.db")
	_, stderr, err := runCLI(t, "ingest", "--store", store, "--mapping", "acled", csvPath)
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	want := countACLED(tab)
	if want.skipped == 0 || want.attacks == 0 || want.zeroKilled == 0 || want.nearTown == 0 || want.lat == 0 {
		t.Fatalf("generated table lacks the cases under test: %+v", want)
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d of %d rows have fatalities \"0\"", want.zeroKilled, len(tab.Rows))) {
		t.Errorf("stderr does not report the %d events with 0 fatalities (none reported, no killed fact):\n%s", want.zeroKilled, stderr)
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d of %d rows give no event", want.skipped, len(tab.Rows))) {
		t.Errorf("stderr does not report the %d rows that are no attack:\n%s", want.skipped, stderr)
	}
	got := readStore(t, store)
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"attacks", got.kind(schema.Attack), want.attacks},
		{"groups", got.kind(schema.Group), want.groups},
		{"organisations", got.kind(schema.Organization), want.orgs},
		{"places", got.kind(schema.Location), want.places},
		{"killed facts (fatalities not 0)", got.pred("tg:killed"), want.killed},
		{"places with a latitude (geo_precision 1)", got.pred("tg:lat"), want.lat},
		{"places with a longitude (geo_precision 1)", got.pred("tg:lon"), want.lat},
		{"sources (ACLED and its sources)", got.kind(schema.Source), want.sources},
		{"perpetratedBy relations", len(got.pairs["tg:perpetratedBy"]), want.perpetrators},
	} {
		if c.got != c.want {
			t.Errorf("%s in the store: %d; counted in the table: %d", c.what, c.got, c.want)
		}
	}
	// ACLED codes its most conservative estimate: every killed fact is
	// "at least N", open above, never an exact count.
	s, err := graph.Open(t.Context(), graph.Options{Path: store, ReadOnly: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	near, inTown := map[string]bool{}, map[string]bool{}
	err = s.Scan(t.Context(), func(q quad.Quad) error {
		switch iriOf(q.Predicate) {
		case "tg:description":
			if str, ok := q.Object.(quad.String); ok && strings.Contains(string(str), "(ACLED geo_precision ") {
				near[iriOf(q.Subject)] = true
			}
			return nil
		case "tg:locatedIn":
			if strings.HasPrefix(iriOf(q.Object), "place:acled-location-") {
				inTown[iriOf(q.Subject)] = true
			}
			return nil
		case "tg:killed":
		default:
			return nil
		}
		tv, ok := q.Object.(quad.TypedString)
		if !ok || !regexp.MustCompile(`^[1-9][0-9]*/\|\|at least `).MatchString(string(tv.Value)) {
			t.Errorf("killed %v: want an open count, at least N (lower N, no upper bound)", q.Object)
		}
		return nil
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(near) != want.nearTown || len(inTown) != want.inTown {
		t.Errorf("events said near or in the region of their town: %d, counted (geo_precision 2, 3) %d; located in the town: %d, counted (geo_precision 1) %d", len(near), want.nearTown, len(inTown), want.inTown)
	}
	// One row, read back: the estimate's words, the week around the date.
	i := slices.IndexFunc(tab.Rows, func(r []string) bool {
		return slices.Contains(tabletest.ACLEDViolent, r[5]) && r[3] == "2" && r[28] != "0"
	})
	if i < 0 {
		t.Fatal("no violent event with week precision in the generated table")
	}
	out := cli(t, "show", "--store", store, "--format", "json", "attack:acled-"+strings.ToLower(tab.Get(i, "event_id_cnty")))
	if want := "at least " + tab.Get(i, "fatalities") + " fatalities (ACLED estimate)"; !strings.Contains(out, want) {
		t.Errorf("show lacks the estimate's words %q:\n%s", want, out)
	}
	if want := tab.Get(i, "event_date") + " (time_precision 2)"; !strings.Contains(out, want) {
		t.Errorf("show lacks the date's words %q:\n%s", want, out)
	}
}

// TestTableProgressOnTerminal: on a terminal, ingesting a large table
// draws the reading bar while the rows are parsed (its bytes count as the
// importer reads them), not only once they all are: a percentage below
// 100 appears.
func TestTableProgressOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a large table")
	}
	tab := tabletest.GTD(gtdHeader(t), 20_000, 9)
	csvPath := writeTable(t, "gtd.csv", tab.CSV(','))
	bin := buildBinary(t)
	_, tty, err := runOnTerminal(t, bin, "ingest", "--dry-run", "--store", filepath.Join(t.TempDir(), "tg.db"), "--mapping", "gtd", csvPath)
	if err != nil {
		t.Fatalf("ingest: %v\n%q", err, lastBytes(tty, 600))
	}
	if !strings.Contains(tty, "reading input") {
		t.Fatalf("terminal lacks the reading bar: %q", lastBytes(tty, 600))
	}
	partial := false
	for _, m := range regexp.MustCompile(`(\d+)%`).FindAllStringSubmatch(tty, -1) {
		partial = partial || m[1] != "100" && m[1] != "0"
	}
	if !partial {
		t.Errorf("the reading bar shows no progress between 0 and 100%%: %q", lastBytes(tty, 600))
	}
}

package stix_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/stix"
	"github.com/threatgraph/threatgraph/schema"
)

// stixData is ../shared/data/stix, beside the repository.
func stixData(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "..", "shared", "data", "stix"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared STIX data not found at %s: %v", p, err)
	}
	return p
}

func read(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// raw is the test's own reading of a bundle: every object as a map.
type raw struct {
	Type    string           `json:"type"`
	Objects []map[string]any `json:"objects"`
}

func readRaw(t testing.TB, data []byte) raw {
	t.Helper()
	var r raw
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.Type != "bundle" { // a single object
		var o map[string]any
		if err := json.Unmarshal(data, &o); err != nil {
			t.Fatal(err)
		}
		r.Objects = []map[string]any{o}
	}
	return r
}

func str(o map[string]any, k string) string { s, _ := o[k].(string); return s }
func flag(o map[string]any, k string) bool  { b, _ := o[k].(bool); return b }

// The STIX types with a kind, as the test reads docs/import.md.
var mappedTypes = map[string]bool{"intrusion-set": true, "threat-actor": true, "campaign": true, "attack-pattern": true,
	"malware": true, "tool": true, "identity": true, "location": true, "report": true}

// handled are the types read otherwise than as entities.
var handled = map[string]bool{"relationship": true, "sighting": true, "opinion": true, "note": true, "marking-definition": true}

func importFile(t testing.TB, path string) *ingest.File {
	t.Helper()
	data := read(t, path)
	imp := stix.New()
	head := data[:min(len(data), ingest.DetectLen)]
	if !imp.Detect(filepath.Base(path), head) {
		t.Fatalf("%s: not detected as STIX", path)
	}
	return imp.Import(context.Background(), path, data)
}

func noErrors(t *testing.T, f *ingest.File) {
	t.Helper()
	for _, e := range f.Errors() {
		t.Errorf("%v", e)
	}
}

func warnings(f *ingest.File) []string {
	var out []string
	for _, w := range f.Warnings {
		out = append(out, w.Error())
	}
	return out
}

// quads returns every quad of the file's records.
func quads(f *ingest.File) []quad.Quad {
	var out []quad.Quad
	for _, r := range f.Records {
		out = append(out, r.Quads...)
	}
	return out
}

// distinct counts the distinct quads (subject, predicate, object; any label)
// with predicate pred, and for rdf:type with object obj.
func distinct(qs []quad.Quad, pred, obj string) int {
	seen := map[[3]string]bool{}
	for _, q := range qs {
		if q.Predicate.String() != "<"+pred+">" {
			continue
		}
		if obj != "" && q.Object.String() != "<"+obj+">" {
			continue
		}
		seen[[3]string{q.Subject.String(), q.Predicate.String(), q.Object.String()}] = true
	}
	return len(seen)
}

func TestDetect(t *testing.T) {
	imp := stix.New()
	for _, c := range []struct {
		name, head string
		want       bool
	}{
		{"a.json", `{"type": "bundle", "id": "bundle--1", "objects": []}`, true},
		{"a.txt", "\ufeff  {\n \"id\": \"bundle--x\", \"type\":\"bundle\"}", true},
		{"a.json", `{"objects": [{"type": "intrusion-set", "id": "intrusion-set--0`, false},
		{"a.json", `{"objects": [{"type": "intrusion-set"}], "type": "bundle", "id": "bundle--0`, true},
		{"a.json", `{"id": "bundle--f0af3c36-a642-4cb0-8526-b4ca899cc1db", "objects": [{"type": "bundle", "x": "`, true},
		{"a.json", `{"type": "campaign", "spec_version": "2.1", "id": "campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, true},
		{"a.json", `{"type": "campaign", "id": "campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, false},
		{"a.json", `{"source": "source:x", "entities": [{"id": "group:a", "kind": "Group", "type": "bundle"}]}`, false},
		{"a.json", `{"format": "threatgraph/1", "sources": []}`, false},
		{"a.json", `[{"type": "bundle"}]`, false},
		{"a.yaml", `type: bundle`, false},
	} {
		if got := imp.Detect(c.name, []byte(c.head)); got != c.want {
			t.Errorf("Detect(%q) = %v, want %v", c.head, got, c.want)
		}
	}
}

// TestOASISExamples imports every OASIS example: no errors, and every
// object type without a kind is counted in one warning with the count the
// test finds in the raw JSON.
func TestOASISExamples(t *testing.T) {
	root := stixData(t, "oasis")
	var files []string
	for _, dir := range []string{"cti-documentation/examples/example_json", "cti-stix2-json-schemas/examples", "cti-stix2-json-schemas/examples/threat-reports"} {
		m, err := filepath.Glob(filepath.Join(root, dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 15 {
		t.Fatalf("found %d OASIS examples, want at least 15", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f := importFile(t, path)
			noErrors(t, f)
			r := readRaw(t, read(t, path))
			unmapped := map[string]int{}
			entities := 0
			for _, o := range r.Objects {
				typ := str(o, "type")
				switch {
				case mappedTypes[typ]:
					if typ != "report" {
						entities++
					}
				case !handled[typ]:
					unmapped[typ]++
				}
			}
			ws := strings.Join(warnings(f), "\n")
			for typ, n := range unmapped {
				if want := fmt.Sprintf("objects: %d %s objects not mapped", n, typ); !strings.Contains(ws, want) {
					t.Errorf("warnings lack %q:\n%s", want, ws)
				}
			}
			qs := quads(f)
			var declared int
			seen := map[string]bool{}
			for _, q := range qs {
				if q.Predicate.String() == "<rdf:type>" && q.Object.String() != "<tg:Source>" && !seen[q.Subject.String()] {
					seen[q.Subject.String()] = true
					declared++
				}
			}
			if declared != entities {
				t.Errorf("%d entities declared; the bundle has %d objects of mapped types", declared, entities)
			}
		})
	}
}

// TestMITRE imports ATT&CK 18.1 and checks the counts against the test's
// own counts over the raw JSON.
func TestMITRE(t *testing.T) {
	path := filepath.Join(stixData(t, "mitre-attack"), "enterprise-attack-18.1.json")
	f := importFile(t, path)
	noErrors(t, f)
	r := readRaw(t, read(t, path))
	byType := map[string]int{}
	types := map[string]string{}
	flagged := 0
	for _, o := range r.Objects {
		byType[str(o, "type")]++
		types[str(o, "id")] = str(o, "type")
		if mappedTypes[str(o, "type")] && (flag(o, "revoked") || flag(o, "x_mitre_deprecated")) {
			flagged++
		}
	}
	rels := map[string]int{}
	for _, o := range r.Objects {
		if str(o, "type") == "relationship" && mappedTypes[types[str(o, "source_ref")]] && mappedTypes[types[str(o, "target_ref")]] {
			rels[str(o, "relationship_type")]++
		}
	}
	qs := quads(f)
	for kind, typ := range map[string]string{"Group": "intrusion-set", "Campaign": "campaign", "Technique": "attack-pattern", "Malware": "malware", "Tool": "tool", "Organization": "identity"} {
		if got, want := distinct(qs, "rdf:type", "tg:"+kind), byType[typ]; got != want || want == 0 {
			t.Errorf("%d %s entities; the bundle has %d %s objects", got, kind, want, typ)
		}
	}
	for pred, rt := range map[string]string{"tg:uses": "uses", "tg:subtechniqueOf": "subtechnique-of", "tg:attributedTo": "attributed-to"} {
		if got, want := distinct(qs, pred, ""), rels[rt]; got != want || want == 0 {
			t.Errorf("%d %s quads; the bundle has %d %s relationships between mapped objects", got, pred, want, rt)
		}
	}
	if got := distinct(qs, schema.JudgesIRI, ""); got != flagged || flagged == 0 {
		t.Errorf("%d judgements; the bundle has %d revoked or deprecated objects of mapped types", got, flagged)
	}
	// Live groups: those whose name is stated in a statement no judgement
	// deprecates, against the intrusion sets neither revoked nor deprecated.
	judged := map[string]bool{}
	for _, q := range qs {
		if q.Predicate.String() == "<"+schema.JudgesIRI+">" {
			judged[q.Object.String()] = true
		}
	}
	groups := map[string]bool{}
	for _, q := range qs {
		if q.Predicate.String() == "<rdf:type>" && q.Object.String() == "<tg:Group>" {
			groups[q.Subject.String()] = true
		}
	}
	liveGroups := map[string]bool{}
	for _, q := range qs {
		if q.Predicate.String() == "<tg:name>" && groups[q.Subject.String()] && !judged[q.Label.String()] {
			liveGroups[q.Subject.String()] = true
		}
	}
	wantLive := 0
	for _, o := range r.Objects {
		if str(o, "type") == "intrusion-set" && !flag(o, "revoked") && !flag(o, "x_mitre_deprecated") {
			wantLive++
		}
	}
	if len(liveGroups) != wantLive || wantLive == 0 {
		t.Errorf("%d live groups; the bundle has %d intrusion sets neither revoked nor deprecated", len(liveGroups), wantLive)
	}
	ws := strings.Join(warnings(f), "\n")
	for _, typ := range []string{"course-of-action", "x-mitre-data-component", "x-mitre-tactic", "x-mitre-analytic"} {
		if want := fmt.Sprintf("%d %s objects not mapped", byType[typ], typ); !strings.Contains(ws, want) {
			t.Errorf("warnings lack %q", want)
		}
	}
	for _, rt := range []string{"mitigates", "detects"} {
		n := 0
		for _, o := range r.Objects {
			if str(o, "relationship_type") == rt {
				n++
			}
		}
		if want := fmt.Sprintf("%d %s relationships not mapped", n, rt); !strings.Contains(ws, want) {
			t.Errorf("warnings lack %q", want)
		}
	}
}

// TestGeography imports OpenCTI's geography: every location, and its
// located-at relationships between locations as partOf.
func TestGeography(t *testing.T) {
	path := filepath.Join(stixData(t, "opencti-datasets"), "geography.json")
	f := importFile(t, path)
	noErrors(t, f)
	r := readRaw(t, read(t, path))
	locs, within, withLat, countries := 0, 0, 0, 0
	for _, o := range r.Objects {
		switch str(o, "type") {
		case "location":
			locs++
			if _, ok := o["latitude"]; ok {
				withLat++
			}
			if str(o, "x_opencti_location_type") == "Country" {
				countries++
			}
		case "relationship":
			if str(o, "relationship_type") == "located-at" && strings.HasPrefix(str(o, "source_ref"), "location--") && strings.HasPrefix(str(o, "target_ref"), "location--") {
				within++
			}
		}
	}
	qs := quads(f)
	checks := []struct {
		what      string
		got, want int
	}{
		{"Location entities", distinct(qs, "rdf:type", "tg:Location"), locs},
		{"partOf quads", distinct(qs, "tg:partOf", ""), within},
		{"lat quads", distinct(qs, "tg:lat", ""), withLat},
	}
	n := 0
	for _, q := range qs {
		if q.Predicate.String() == "<tg:placeType>" && q.Object.String() == `"country"` {
			n++
		}
	}
	checks = append(checks, struct {
		what      string
		got, want int
	}{"countries", n, countries})
	for _, c := range checks {
		if c.got != c.want || c.want == 0 {
			t.Errorf("%s: %d, want %d (from the raw JSON)", c.what, c.got, c.want)
		}
	}
}

// TestAnalystBundle reads the hand-written bundle of testdata: markings,
// confidence, revocation, a report, an opinion, a note and a sighting.
func TestAnalystBundle(t *testing.T) {
	f := importFile(t, filepath.Join("testdata", "analyst-bundle.json"))
	noErrors(t, f)
	qs := quads(f)
	const (
		analyst = "source:stix-5f1a0c2e-7b3d-4e8a-9c61-000000001001"
		second  = "source:stix-5f1a0c2e-7b3d-4e8a-9c61-000000001002"
		report  = "source:stix-5f1a0c2e-7b3d-4e8a-9c61-000000001014"
		ember   = "group:stix-5f1a0c2e-7b3d-4e8a-9c61-000000001005"
		loader  = "malware:stix-5f1a0c2e-7b3d-4e8a-9c61-000000001007"
		ash     = "campaign:stix-5f1a0c2e-7b3d-4e8a-9c61-000000001009"
		kyiv    = "location:stix-5f1a0c2e-7b3d-4e8a-9c61-00000000100b"
		ukraine = "location:stix-5f1a0c2e-7b3d-4e8a-9c61-00000000100a"
	)
	has := func(s, p, o, label string) bool {
		return slices.ContainsFunc(qs, func(q quad.Quad) bool {
			return q.Subject.String() == "<"+s+">" && q.Predicate.String() == "<"+p+">" &&
				(q.Object.String() == o || q.Object.String() == "<"+o+">") &&
				(label == "" || strings.HasPrefix(q.Label.String(), "<"+label))
		})
	}
	emberStmt := schema.StatementLabel(analyst, "Ember Bear")
	loaderStmt := schema.StatementLabel(analyst, "EmberLoader")
	for _, c := range []struct{ s, p, o, label string }{
		{ember, "rdf:type", "tg:Group", analyst},
		{ember, "tg:alias", `"UAC-0056"`, emberStmt},
		{ember, "tg:externalId", `"mitre:G1003"`, emberStmt},
		{ember, "tg:firstSeenText", `"2021-03-01T00:00:00Z"`, emberStmt},
		{emberStmt, schema.MarkingIRI, schema.TLPAmber, analyst},
		{emberStmt, schema.ConfidenceIRI, `"70"^^<xsd:integer>`, analyst},
		{loaderStmt, schema.MarkingIRI, schema.TLPRed, analyst}, // a granular marking marks the whole object
		{ember, "tg:uses", loader, analyst},
		{ember, "tg:originatesFrom", ukraine, analyst},
		{ash, "tg:attributedTo", ember, report}, // in the report: the report states it
		{ash, "tg:targets", kyiv, report},
		{kyiv, "tg:partOf", ukraine, report}, // city to country by its country code
		{report, "tg:title", `"Operation Ash: a report"`, report},
		{report, "tg:publisher", `"Analyst Org"`, report},
		{report, "tg:url", `"https://example.org/ash"`, report},
		{report, schema.MarkingIRI, schema.TLPAmber, report},
		{ember, "tg:description", `"Ember Bear was seen again in 2024."`, second},            // the note
		{loader, "tg:targets", "identity:stix-5f1a0c2e-7b3d-4e8a-9c61-000000001002", second}, // the sighting
	} {
		if !has(c.s, c.p, c.o, c.label) {
			t.Errorf("no quad <%s> <%s> %s labelled %s…", c.s, c.p, c.o, c.label)
		}
	}
	// Operation Ash stated outside the report too? No: only by the report.
	if has(ash, "tg:name", `"Operation Ash"`, analyst) {
		t.Error("an object in a report is stated by its creator too; want the report only")
	}
	// Judgements: the revoked group, the deprecated tool, the opinion.
	notes := map[string]string{}
	for _, q := range qs {
		if q.Predicate.String() == "<"+schema.NoteIRI+">" {
			notes[q.Subject.String()] = q.Object.String()
		}
	}
	var got []string
	for _, n := range notes {
		got = append(got, n)
	}
	slices.Sort(got)
	want := []string{`"No evidence ties Operation Ash to Ember Bear."`,
		`"deprecated in ATT&CK (x_mitre_deprecated): no longer maintained"`,
		`"revoked in STIX, replaced by Ember Bear (` + ember + `)"`}
	if !slices.Equal(got, want) {
		t.Errorf("judgement notes %q, want %q", got, want)
	}
	ws := strings.Join(warnings(f), "\n")
	for _, w := range []string{"1 course-of-action objects not mapped", "1 indicator objects not mapped", "1 indicates relationships not mapped", "1 mitigates relationships not mapped", "1 revoked-by relationships read as the notes"} {
		if !strings.Contains(ws, w) {
			t.Errorf("warnings lack %q:\n%s", w, ws)
		}
	}
}

// TestSameIDAcrossBundles: a STIX id gives the same id whatever bundle
// holds it, and a reference to an object of another bundle gives the id
// that bundle gives the object.
func TestSameIDAcrossBundles(t *testing.T) {
	const g = `{"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340", "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z", "name": "%s"}`
	a := fmt.Sprintf(`{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": [`+g+`]}`, "APT38")
	b := fmt.Sprintf(`{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000002", "objects": [`+g+`,
	{"type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-000000000003", "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z",
	 "relationship_type": "uses", "source_ref": "intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340", "target_ref": "malware--00000000-0000-4000-8000-000000000004"}]}`, "APT 38 renamed")
	id := func(data string) (subj, obj string) {
		f := stix.New().Import(context.Background(), "x.json", []byte(data))
		noErrors(t, f)
		for _, q := range quads(f) {
			switch q.Predicate.String() {
			case "<rdf:type>":
				if q.Object.String() == "<tg:Group>" {
					subj = q.Subject.String()
				}
			case "<tg:uses>":
				obj = q.Object.String()
			}
		}
		return subj, obj
	}
	s1, _ := id(a)
	s2, o2 := id(b)
	if s1 == "" || s1 != s2 {
		t.Errorf("the same intrusion set is %s in one bundle and %s in another", s1, s2)
	}
	if o2 != "<malware:stix-00000000-0000-4000-8000-000000000004>" {
		t.Errorf("a reference to a malware outside the bundle is %s", o2)
	}
}

// TestMalformed: each bad input is reported at its own line and field.
func TestMalformed(t *testing.T) {
	obj := func(extra string) string {
		return `{"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340", "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z", "name": "G"` + extra + `}`
	}
	bundle := func(objs ...string) string {
		return "{\n\"type\": \"bundle\",\n\"id\": \"bundle--00000000-0000-4000-8000-000000000001\",\n\"objects\": [\n" + strings.Join(objs, ",\n") + "\n]\n}\n"
	}
	for _, c := range []struct {
		name, data, want string
	}{
		{"wrong type", bundle(obj(""), obj(",\n\"aliases\": \"G2\"")), "bad.json:7: objects[1].aliases: is a JSON string (expected an array of strings)"},
		{"syntax", bundle(obj(""), obj(",\n\"aliases\": [\"G2\" \"G3\"]")), "bad.json:7: objects[1]: invalid JSON"},
		{"ends early", bundle(obj(""))[:100], "bad.json:5: objects[0]: the JSON ends early"},
		{"array", `[` + obj("") + `]`, "bad.json:1: the file is a JSON array (expected a STIX bundle"},
		{"objects not array", "{\"type\": \"bundle\",\n\"objects\": {}}", "bad.json:2: objects: is a JSON object (expected an array of STIX objects)"},
		{"no objects", `{"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001"}`, "bad.json:1: objects: missing"},
		{"confidence", bundle(obj(",\n\"confidence\": 150")), "bad.json:5: objects[0].confidence: 150 is out of range"},
		{"timestamp", bundle(obj(",\n\"first_seen\": \"yesterday\"")), `bad.json:5: objects[0].first_seen: "yesterday" is not a timestamp`},
		{"bad id", bundle(strings.Replace(obj(""), "intrusion-set--00f67a77", "intrusion-set--zz", 1)), `bad.json:5: objects[0].id: "intrusion-set--zz`},
		{"opinion", bundle(obj(""), `{"type": "opinion", "spec_version": "2.1", "id": "opinion--00000000-0000-4000-8000-000000000009", "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z", "opinion": "maybe", "object_refs": ["intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340"]}`), `bad.json:6: objects[1].opinion: "maybe" is not an opinion`},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := stix.New().Import(context.Background(), "bad.json", []byte(c.data))
			var got []string
			for _, e := range f.Errors() {
				got = append(got, e.Error())
			}
			if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, c.want) }) {
				t.Errorf("errors %q; want one starting %q", got, c.want)
			}
		})
	}
}

// TestCancelled: a cancelled import stops with the context's error.
func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := stix.New().Import(ctx, "x.json", read(t, filepath.Join("testdata", "analyst-bundle.json")))
	if len(f.FileErrs) == 0 || !strings.Contains(f.FileErrs[0].Error(), context.Canceled.Error()) {
		t.Errorf("file errors %v; want the context's", f.FileErrs)
	}
}

// TestSectors imports OpenCTI's sectors: identities of class "class" as
// Organizations, part-of between them as partOfOrg.
func TestSectors(t *testing.T) {
	path := filepath.Join(stixData(t, "opencti-datasets"), "sectors.json")
	f := importFile(t, path)
	noErrors(t, f)
	r := readRaw(t, read(t, path))
	idents, partOf := 0, 0
	for _, o := range r.Objects {
		switch {
		case str(o, "type") == "identity" && str(o, "identity_class") != "individual":
			idents++
		case str(o, "relationship_type") == "part-of" && strings.HasPrefix(str(o, "source_ref"), "identity--") && strings.HasPrefix(str(o, "target_ref"), "identity--"):
			partOf++
		}
	}
	qs := quads(f)
	if got := distinct(qs, "rdf:type", "tg:Organization"); got != idents || idents == 0 {
		t.Errorf("%d Organizations; the file has %d identities", got, idents)
	}
	if got := distinct(qs, "tg:partOfOrg", ""); got != partOf || partOf == 0 {
		t.Errorf("%d partOfOrg quads; the file has %d part-of relationships between identities", got, partOf)
	}
}

// seenDates returns, for every firstSeen and lastSeen quad, its subject and
// predicate with the interval it states.
func seenDates(t *testing.T, qs []quad.Quad) map[[2]string]schema.Interval {
	t.Helper()
	out := map[[2]string]schema.Interval{}
	for _, q := range qs {
		p := q.Predicate.String()
		if p != "<tg:firstSeen>" && p != "<tg:lastSeen>" {
			continue
		}
		v, ok := q.Object.(quad.TypedString)
		if !ok {
			t.Fatalf("%s %s: %v is not a typed date", q.Subject, p, q.Object)
		}
		iv, err := schema.ParseDate(string(v.Value))
		if err != nil {
			t.Fatalf("%s %s: %v", q.Subject, p, err)
		}
		out[[2]string{q.Subject.String(), p}] = iv
	}
	return out
}

// TestATTACKMonths checks that ATT&CK's first_seen and last_seen, which
// ATT&CK records to the month (midnight of the first in the editor's time
// zone), become months, counted against the raw bundle: the instants whose
// nearest midnight UTC is a first of the month, on the hour.
func TestATTACKMonths(t *testing.T) {
	path := filepath.Join(stixData(t, "mitre-attack"), "enterprise-attack-18.1.json")
	f := importFile(t, path)
	noErrors(t, f)
	wantMonths, wantDays := 0, 0
	for _, o := range readRaw(t, read(t, path)).Objects {
		if str(o, "type") != "campaign" && str(o, "type") != "intrusion-set" {
			continue
		}
		for _, k := range []string{"first_seen", "last_seen"} {
			if str(o, k) == "" {
				continue
			}
			ts, err := time.Parse(time.RFC3339, str(o, k))
			if err != nil {
				t.Fatal(err)
			}
			if near := ts.Round(24 * time.Hour); near.Day() == 1 && ts.Truncate(time.Hour).Equal(ts) {
				wantMonths++
			} else {
				wantDays++
			}
		}
	}
	months, days := 0, 0
	for _, iv := range seenDates(t, quads(f)) {
		switch iv.Precision {
		case schema.Month:
			months++
		case schema.Day:
			days++
		}
	}
	if months != wantMonths || days != wantDays || wantMonths == 0 {
		t.Errorf("%d first/last seen months and %d days; the bundle has %d instants at a first of the month's midnight and %d others", months, days, wantMonths, wantDays)
	}
}

// TestSeenMonthRule: an ATT&CK month written in a time zone east of UTC
// (the last day of the month before, 23:00Z) is the next month; an ATT&CK
// instant on no first of the month keeps its day; a generic STIX object's
// timestamp on a first keeps its day.
func TestSeenMonthRule(t *testing.T) {
	bundle := `{"type": "bundle", "id": "bundle--5f1a0c2e-7b3d-4e8a-9c61-00000000a000", "objects": [
{"type": "campaign", "spec_version": "2.1", "id": "campaign--5f1a0c2e-7b3d-4e8a-9c61-00000000a001", "name": "East",
 "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "x_mitre_attack_spec_version": "3.2.0",
 "first_seen": "2023-01-31T23:00:00.000Z", "last_seen": "2023-03-15T04:00:00.000Z"},
{"type": "campaign", "spec_version": "2.1", "id": "campaign--5f1a0c2e-7b3d-4e8a-9c61-00000000a002", "name": "Plain",
 "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
 "first_seen": "2024-11-01T04:00:00.000Z"}
]}`
	path := filepath.Join(t.TempDir(), "b.json")
	if err := os.WriteFile(path, []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	f := importFile(t, path)
	noErrors(t, f)
	got := map[string]string{}
	for k, iv := range seenDates(t, quads(f)) {
		got[strings.TrimSuffix(k[0][strings.LastIndex(k[0], "-")+1:], ">")+" "+k[1]] = iv.String()
	}
	want := map[string]string{
		"00000000a001 <tg:firstSeen>": "2023-02",
		"00000000a001 <tg:lastSeen>":  "2023-03-15",
		"00000000a002 <tg:firstSeen>": "2024-11-01",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dates %v, want %v", got, want)
	}
}

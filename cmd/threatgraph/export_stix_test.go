package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"

	"github.com/threatgraph/threatgraph/internal/stixschema"
	"github.com/threatgraph/threatgraph/schema"
)

// stixSchemas loads the OASIS STIX 2.1 JSON Schemas from ../shared/data,
// skipping the test when they are absent.
func stixSchemas(t *testing.T) *stixschema.Validator {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", "stix", "oasis", "cti-stix2-json-schemas", "schemas")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("OASIS STIX schemas not found: %v", err)
	}
	v, err := stixschema.Load(dir)
	if err != nil {
		t.Fatalf("loading the OASIS schemas: %v", err)
	}
	return v
}

// stixObject is what the tests read of an exported object.
type stixObject struct {
	Type        string            `json:"type"`
	ID          string            `json:"id"`
	XID         string            `json:"x_threatgraph_id"`
	XKind       string            `json:"x_threatgraph_kind"`
	Declared    []string          `json:"x_threatgraph_declared_in_refs"`
	Facts       []json.RawMessage `json:"x_threatgraph_facts"`
	Predicate   string            `json:"x_threatgraph_predicate"`
	StatedIn    []string          `json:"x_threatgraph_stated_in_refs"`
	SourceRef   string            `json:"source_ref"`
	TargetRef   string            `json:"target_ref"`
	Content     string            `json:"content"`
	ObjectRefs  []string          `json:"object_refs"`
	According   []string          `json:"x_threatgraph_according_to_refs"`
	Rank        string            `json:"x_threatgraph_rank"`
	Reason      string            `json:"x_threatgraph_reason"`
	Note        string            `json:"x_threatgraph_note"`
	JudgedOn    string            `json:"x_threatgraph_judged_on"`
	Evidence    []string          `json:"x_threatgraph_evidence_refs"`
	OpinionBy   string            `json:"x_threatgraph_source_ref"`
	CreatedBy   string            `json:"created_by_ref"`
	RelType     string            `json:"relationship_type"`
	Name        string            `json:"name"`
	Aliases     []string          `json:"aliases"`
	Latitude    *float64          `json:"latitude"`
	Published   string            `json:"published"`
	DateStart   string            `json:"x_threatgraph_date_start"`
	DateEnd     string            `json:"x_threatgraph_date_end"`
	DateText    string            `json:"x_threatgraph_date_text"`
	IdentityCls string            `json:"identity_class"`
}

func readBundle(t *testing.T, raw string) []stixObject {
	t.Helper()
	var b struct {
		Type    string       `json:"type"`
		Objects []stixObject `json:"objects"`
	}
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		t.Fatalf("the export is no JSON: %v", err)
	}
	if b.Type != "bundle" {
		t.Fatalf("type %q, want bundle", b.Type)
	}
	return b.Objects
}

// TestExportSTIXValidates exports the demo store as STIX and validates the
// bundle and every object in it against the OASIS JSON Schemas.
func TestExportSTIXValidates(t *testing.T) {
	v := stixSchemas(t)
	store := demoStore(t)
	out := cli(t, "export", "--format", "stix", "--store", store)
	n, err := v.Bundle([]byte(out))
	if err != nil {
		t.Fatalf("the demo's STIX export does not validate:\n%v", err)
	}
	if n == 0 {
		t.Fatal("the bundle has no objects")
	}
	// The validator must be able to fail: a relationship without its
	// required source_ref.
	bad := `{"type":"relationship","spec_version":"2.1","id":"relationship--5578df3a-6ed2-5662-a7a7-773e877a1635","created":"1970-01-01T00:00:00.000Z","modified":"1970-01-01T00:00:00.000Z","relationship_type":"uses","target_ref":"tool--5578df3a-6ed2-5662-a7a7-773e877a1635"}`
	if err := v.Object([]byte(bad)); err == nil {
		t.Error("a relationship without source_ref validated")
	}
	// And so with filters.
	for _, args := range [][]string{
		{"--kinds", "Group,Attack"},
		{"--sources", "source:bbc-2024-03-25-gardner"},
		{"--around", "ISIS-K", "--depth", "1"},
		{"--from", "2024-03", "--to", "2024-03"},
	} {
		out := cli(t, append([]string{"export", "--format", "stix", "--store", store}, args...)...)
		if _, err := v.Bundle([]byte(out)); err != nil {
			t.Errorf("export --format stix %s does not validate:\n%v", strings.Join(args, " "), err)
		}
	}
}

// rawCounts counts, from the N-Quads export (the store's quads as
// stored), what a STIX export of the same store must hold: entities (by
// kind), relation triples, statements cited by entity facts or
// judgements, and judgements.
type rawCounts struct {
	entities   map[string]int // by kind
	relations  map[string]bool
	statements map[string]bool
	judgements map[string]bool
}

func countNQuads(t *testing.T, nq string) rawCounts {
	t.Helper()
	c := rawCounts{entities: map[string]int{}, relations: map[string]bool{}, statements: map[string]bool{}, judgements: map[string]bool{}}
	kinds := map[string]string{}
	var quads []quad.Quad
	r := nquads.NewReader(strings.NewReader(nq), false)
	for {
		q, err := r.ReadQuad()
		if err != nil {
			break
		}
		quads = append(quads, q)
		if q.Predicate.String() == "<rdf:type>" && strings.HasPrefix(q.Object.String(), "<tg:") {
			kinds[q.Subject.String()] = strings.Trim(q.Object.String(), "<>")[3:]
		}
	}
	for _, k := range kinds {
		c.entities[k]++
	}
	for _, q := range quads {
		s, p, o, l := q.Subject.String(), q.Predicate.String(), q.Object.String(), strings.Trim(q.Label.String(), "<>")
		if kinds[s] != "" {
			if strings.Contains(l, "#e-") {
				c.statements[l] = true
			}
			if kinds[o] != "" && !strings.HasPrefix(p, "<tg:not/") && p != "<rdf:type>" {
				c.relations[s+p+o] = true
			}
		}
		if p == "<tg:judges>" {
			c.judgements[s] = true
			if x := strings.Trim(o, "<>"); strings.Contains(x, "#e-") {
				c.statements[x] = true
			}
		}
		if p == "<tg:evidence>" {
			if x := strings.Trim(o, "<>"); strings.Contains(x, "#e-") {
				c.statements[x] = true
			}
		}
	}
	return c
}

// TestExportSTIXCounts checks the bundle's objects against counts made
// from the store's N-Quads export: an object per entity of its kind, a
// relationship per relation triple, a note per statement, an opinion per
// judgement.
func TestExportSTIXCounts(t *testing.T) {
	store := demoStore(t)
	want := countNQuads(t, cli(t, "export", "--format", "nquads", "--store", store))
	objs := readBundle(t, cli(t, "export", "--format", "stix", "--store", store))
	kinds := map[string]int{}
	rels, notes, opinions := 0, 0, 0
	for _, o := range objs {
		switch {
		case o.Type == "relationship":
			rels++
		case o.Type == "opinion":
			opinions++
		case o.XKind == "Statement":
			notes++
		case o.XKind != "":
			kinds[o.XKind]++
		}
	}
	if !maps.Equal(kinds, want.entities) {
		t.Errorf("objects by kind %v, want %v (from the N-Quads)", kinds, want.entities)
	}
	if rels != len(want.relations) {
		t.Errorf("%d relationships, want %d relation triples", rels, len(want.relations))
	}
	if notes != len(want.statements) {
		t.Errorf("%d statement notes, want %d statements", notes, len(want.statements))
	}
	if opinions != len(want.judgements) {
		t.Errorf("%d opinions, want %d judgements", opinions, len(want.judgements))
	}
}

// TestExportSTIXDeterministic: two exports of one store are byte-identical,
// the HTTP route answers the same bytes, and the demo's export equals its
// golden file (regenerate with -update after an intended change).
func TestExportSTIXDeterministic(t *testing.T) {
	store := demoStore(t)
	a := cli(t, "export", "--format", "stix", "--store", store)
	b := cli(t, "export", "--format", "stix", "--store", store)
	if a != b {
		t.Fatalf("two exports differ:\n%s", firstDiff(a, b))
	}
	ts := serveStore(t, store, "")
	resp, err := ts.Client().Get(ts.URL + "/v1/export/stix")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/export/stix: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/stix+json") {
		t.Errorf("Content-Type %q, want application/stix+json;version=2.1", ct)
	}
	if body != a {
		t.Errorf("GET /v1/export/stix differs from the CLI's export:\n%s", firstDiff(body, a))
	}
	file := filepath.Join("testdata", "golden", "export", "stix-demo.json")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(a), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (write it with: go test ./cmd/threatgraph -run TestExportSTIXDeterministic -update)", err)
	}
	if a != string(want) {
		t.Errorf("the demo's STIX export differs from %s:\n%s", file, firstDiff(a, string(want)))
	}
}

// TestExportSTIXKeepsEveryFact reads the bundle back, in the test's own
// decoder of the x_threatgraph properties and STIX refs, into quads, and
// compares them with the store's N-Quads export: every quad but the
// derived tg:key must come back, and nothing else.
func TestExportSTIXKeepsEveryFact(t *testing.T) {
	store := demoStore(t)
	nq := cli(t, "export", "--format", "nquads", "--store", store)
	objs := readBundle(t, cli(t, "export", "--format", "stix", "--store", store))

	want := map[string]bool{}
	r := nquads.NewReader(strings.NewReader(nq), false)
	for {
		q, err := r.ReadQuad()
		if err != nil {
			break
		}
		if q.Predicate.String() == "<tg:key>" {
			continue
		}
		want[quadKey(strings.Trim(q.Subject.String(), "<>"), strings.Trim(q.Predicate.String(), "<>"), nqObject(q.Object), strings.Trim(q.Label.String(), "<>"))] = true
	}

	label := map[string]string{} // STIX ref of a report or statement note -> label
	thing := map[string]string{} // STIX ref -> threatgraph id
	for _, o := range objs {
		if o.XID == "" {
			continue
		}
		thing[o.ID] = o.XID
		if o.Type == "report" || o.XKind == "Statement" {
			label[o.ID] = o.XID
		}
	}
	got := map[string]bool{}
	add := func(s, p, o, l string) { got[quadKey(s, p, o, l)] = true }
	lab := func(ref string) string {
		if l, ok := label[ref]; ok {
			return l
		}
		t.Errorf("ref %s names no report or statement", ref)
		return ref
	}
	for _, o := range objs {
		switch {
		case o.Type == "relationship":
			for _, ref := range o.StatedIn {
				add(thing[o.SourceRef], "tg:"+o.Predicate, thing[o.TargetRef], lab(ref))
			}
		case o.Type == "opinion":
			by := label[o.OpinionBy]
			add(o.XID, "tg:judges", label[o.ObjectRefs[0]], by)
			add(o.XID, "tg:rank", o.Rank, by)
			add(o.XID, "tg:reason", o.Reason, by)
			if o.Note != "" {
				add(o.XID, "tg:note", o.Note, by)
			}
			if o.JudgedOn != "" {
				add(o.XID, "tg:judgedOn", o.JudgedOn, by)
			}
			for _, e := range o.Evidence {
				add(o.XID, "tg:evidence", lab(e), by)
			}
		case o.XKind == "Statement":
			src := schema.SourceOf(o.XID)
			add(o.XID, "tg:quote", o.Content, src)
			add(o.XID, "tg:statedIn", src, src)
			for _, a := range o.According {
				add(o.XID, "tg:accordingTo", thing[a], src)
			}
		case o.XKind != "":
			for _, d := range o.Declared {
				add(o.XID, "rdf:type", "tg:"+o.XKind, lab(d))
			}
			for _, raw := range o.Facts {
				var f struct {
					Predicate string `json:"predicate"`
					Ref       string `json:"stated_in_ref"`
					Value     any    `json:"value"`
					Target    string `json:"target_ref"`
					Text      string `json:"text"`
					Start     string `json:"start"`
					Lower     *int64 `json:"lower"`
					Upper     *int64 `json:"upper"`
					Of        string `json:"of"`
				}
				if err := json.Unmarshal(raw, &f); err != nil {
					t.Fatal(err)
				}
				l := lab(f.Ref)
				p := "tg:" + f.Predicate
				switch {
				case f.Target != "":
					add(o.XID, p, thing[f.Target], l)
				case f.Lower != nil:
					up := "open"
					if f.Upper != nil {
						up = strconv.FormatInt(*f.Upper, 10)
					}
					add(o.XID, p, fmt.Sprintf("count %d %s %s %s", *f.Lower, up, f.Of, f.Value), l)
				default:
					add(o.XID, p, literal(f.Value), l)
					if f.Text != "" {
						add(o.XID, p+"Text", f.Text, l)
					}
				}
			}
		}
	}
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("%d of %d quads not in the bundle, e.g.:\n%s", len(missing), len(want), strings.Join(missing[:min(10, len(missing))], "\n"))
	}
	if len(extra) > 0 {
		t.Errorf("%d quads read from the bundle are not in the store, e.g.:\n%s", len(extra), strings.Join(extra[:min(10, len(extra))], "\n"))
	}
}

func quadKey(s, p, o, l string) string { return s + " | " + p + " | " + o + " | " + l }

// nqObject writes an N-Quads object as the test's decoder does: an IRI's
// text, a count as its bounds and words, a number in Go's shortest form,
// any other literal's lexical form.
func nqObject(v quad.Value) string {
	switch x := v.(type) {
	case quad.IRI:
		return string(x)
	case quad.TypedString:
		if x.Type == schema.CountType {
			c, err := schema.ParseCountLiteral(string(x.Value))
			if err == nil {
				up := "open"
				if !c.Open {
					up = strconv.FormatInt(c.Upper, 10)
				}
				return fmt.Sprintf("count %d %s %s %s", c.Lower, up, c.Of, c.Text)
			}
		}
		return literal(string(x.Value))
	case quad.String:
		return string(x)
	case quad.Int:
		return strconv.FormatInt(int64(x), 10)
	case quad.Float:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case quad.Bool:
		return strconv.FormatBool(bool(x))
	}
	return v.String()
}

// literal writes a JSON value (or a typed literal's lexical form) as
// nqObject does.
func literal(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil && strings.ContainsAny(x, ".eE") {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return x
	}
	return fmt.Sprint(v)
}

// roundTrip exports store as STIX, ingests the bundle into a fresh store
// and checks that the new store's N-Quads export, and its STIX export,
// are byte-identical to the first store's.
func roundTrip(t *testing.T, store string) {
	t.Helper()
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.json")
	cli(t, "export", "--format", "stix", "--store", store, "--out", bundle)
	fresh := filepath.Join(dir, "fresh.db")
	cli(t, "ingest", bundle, "--store", fresh, "--quiet")
	want := cli(t, "export", "--format", "nquads", "--store", store)
	got := cli(t, "export", "--format", "nquads", "--store", fresh)
	if got != want {
		t.Errorf("the store read back from its STIX export differs (N-Quads):\n%s", firstDiff(got, want))
	}
	first, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	if again := cli(t, "export", "--format", "stix", "--store", fresh); again != string(first) {
		t.Errorf("exporting the store read back gives another bundle:\n%s", firstDiff(again, string(first)))
	}
}

// TestExportSTIXRoundTrip: the demo's STIX export ingests (ingest/stix)
// into a fresh store holding exactly the demo's quads, ids included.
func TestExportSTIXRoundTrip(t *testing.T) {
	roundTrip(t, demoStore(t))
}

// TestExportSTIXMITRE imports MITRE ATT&CK Enterprise (ingest/stix),
// exports it as STIX, validates every object, checks the objects against
// counts made from the raw bundle, and reads the export back.
func TestExportSTIXMITRE(t *testing.T) {
	if testing.Short() {
		t.Skip("imports and exports the 50 MB MITRE bundle twice")
	}
	file := filepath.Join("..", "..", "..", "shared", "data", "stix", "mitre-attack", "enterprise-attack-18.1.json")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("MITRE ATT&CK bundle not found: %v", err)
	}
	v := stixSchemas(t)
	// The raw counter: SDOs of the types the importer maps, and the
	// relationships of the types the vocabulary has.
	var in struct {
		Objects []struct {
			Type             string `json:"type"`
			RelationshipType string `json:"relationship_type"`
			SourceRef        string `json:"source_ref"`
			TargetRef        string `json:"target_ref"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	rels := map[string]bool{}
	for _, o := range in.Objects {
		switch o.Type {
		case "intrusion-set", "campaign", "attack-pattern", "malware", "tool":
			want[o.Type]++
		case "relationship":
			switch o.RelationshipType {
			case "uses", "subtechnique-of", "attributed-to":
				rels[o.SourceRef+o.RelationshipType+o.TargetRef] = true
			}
		}
	}
	want["relationship"] = len(rels)

	store := filepath.Join(t.TempDir(), "mitre.db")
	cli(t, "ingest", file, "--store", store, "--quiet")
	out := cli(t, "export", "--format", "stix", "--store", store)
	if _, err := v.Bundle([]byte(out)); err != nil {
		msg := err.Error()
		t.Fatalf("the MITRE store's STIX export does not validate:\n%s", msg[:min(len(msg), 4000)])
	}
	got := map[string]int{}
	for _, o := range readBundle(t, out) {
		if _, ok := want[o.Type]; ok {
			got[o.Type]++
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("objects by type %v, want %v (from the raw bundle)", got, want)
	}
	roundTrip(t, store)
}

// TestExportSTIXMarkings imports ingest/stix's hand-written analyst
// bundle (TLP and statement markings, confidence, an opinion, a
// revocation), exports it as STIX and checks, against the store's own
// N-Quads, that each marked label's note or report, and every object
// carrying a fact of it, names the marking; that confidences are on their
// labels' objects; that the bundle validates; and that it reads back.
func TestExportSTIXMarkings(t *testing.T) {
	v := stixSchemas(t)
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "ingest", filepath.Join("..", "..", "ingest", "stix", "testdata", "analyst-bundle.json"), "--store", store, "--quiet")
	out, stderr, err := runCLI(t, "export", "--format", "stix", "--store", store)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	if _, err := v.Bundle([]byte(out)); err != nil {
		t.Fatalf("does not validate:\n%v", err)
	}
	// The TLP 2.0 marking definitions OASIS publishes.
	tlp := map[string]string{
		"marking:tlp-clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "marking:tlp-green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
		"marking:tlp-amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "marking:tlp-amber-strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
		"marking:tlp-red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
	}
	var bundle struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal([]byte(out), &bundle); err != nil {
		t.Fatal(err)
	}
	byLabel := map[string]map[string]any{} // x_threatgraph_id of notes and reports
	markingRef := map[string]string{}      // marking id -> STIX id
	for k, v := range tlp {
		markingRef[k] = v
	}
	var entities []map[string]any
	for _, o := range bundle.Objects {
		id, _ := o["x_threatgraph_id"].(string)
		switch {
		case o["type"] == "marking-definition" && id != "":
			markingRef[id] = o["id"].(string)
		case o["type"] == "report" || o["x_threatgraph_kind"] == "Statement":
			byLabel[id] = o
		}
		if o["x_threatgraph_facts"] != nil {
			entities = append(entities, o)
		}
	}
	has := func(o map[string]any, key, ref string) bool {
		list, _ := o[key].([]any)
		return slices.Contains(list, any(ref))
	}
	marks, confs := 0, 0
	r := nquads.NewReader(strings.NewReader(cli(t, "export", "--format", "nquads", "--store", store)), false)
	for {
		q, err := r.ReadQuad()
		if err != nil {
			break
		}
		label := strings.Trim(q.Subject.String(), "<>")
		switch q.Predicate.String() {
		case "<tg:marking>":
			marks++
			m := strings.Trim(q.Object.String(), "<>")
			ref := markingRef[m]
			o := byLabel[label]
			key := "object_marking_refs"
			if o != nil && o["type"] == "report" {
				key = "x_threatgraph_label_marking_refs"
			}
			if ref == "" || o == nil || !has(o, key, ref) {
				t.Errorf("%s is marked %s: its object lacks %q in %s", label, m, ref, key)
			}
			for _, e := range entities {
				for _, f := range e["x_threatgraph_facts"].([]any) {
					if by := f.(map[string]any)["stated_in_ref"]; o != nil && by == o["id"] && !has(e, "object_marking_refs", ref) {
						t.Errorf("%s carries a fact of %s, marked %s, but not its marking", e["x_threatgraph_id"], label, m)
					}
				}
			}
		case "<tg:confidence>":
			confs++
			n, _ := strconv.Atoi(strings.Trim(strings.Split(q.Object.String(), "^^")[0], `"`))
			if o := byLabel[label]; o == nil || o["confidence"] != float64(n) {
				t.Errorf("%s has confidence %d: its object has %v", label, n, o["confidence"])
			}
		}
	}
	if marks == 0 || confs == 0 {
		t.Fatalf("the analyst bundle gave %d markings and %d confidences; the test needs both", marks, confs)
	}
	if !strings.Contains(stderr, "marking: marking:tlp-red") {
		t.Errorf("stderr does not name the most restrictive marking:\n%s", stderr)
	}
	roundTrip(t, store)
}

// TestExportSTIXAsOf: after a second load, export --format stix --as-of
// load:1 gives the bundle the store gave before it (CLI and HTTP).
func TestExportSTIXAsOf(t *testing.T) {
	store := demoStore(t)
	before := cli(t, "export", "--format", "stix", "--store", store)
	cli(t, "ingest", filepath.Join("..", "..", "ingest", "stix", "testdata", "analyst-bundle.json"), "--store", store, "--quiet")
	if after := cli(t, "export", "--format", "stix", "--store", store); after == before {
		t.Fatal("the second load changed nothing in the export; the test cannot tell --as-of from the present")
	}
	if past := cli(t, "export", "--format", "stix", "--store", store, "--as-of", "load:1"); past != before {
		t.Errorf("--as-of load:1 differs from the export made then:\n%s", firstDiff(past, before))
	}
	ts := serveStore(t, store, "")
	if code, body := request(t, ts, "GET", "/v1/export/stix?as_of=load:1", "", nil); code != 200 || body != before {
		t.Errorf("GET /v1/export/stix?as_of=load:1: %d, differs from the export made then:\n%s", code, firstDiff(body, before))
	}
}

// TestExportSTIXNotExported: quads the bundle cannot hold (here of another
// vocabulary) are counted on stderr, as many as the input has.
func TestExportSTIXNotExported(t *testing.T) {
	const input = `<source:s1> <rdf:type> <tg:Source> <source:s1> .
<source:s1> <tg:title> "A report" <source:s1> .
<group:g> <rdf:type> <tg:Group> <source:s1> .
<group:g> <tg:name> "Gee" <source:s1> .
<group:g> <http://schema.org/foundingLocation> "Somewhere" <source:s1> .
<group:g> <http://schema.org/sameAs> <http://example.org/g> <source:s1> .
`
	foreign := 0
	for _, l := range strings.Split(strings.TrimSpace(input), "\n") {
		if p := strings.Fields(l)[1]; !strings.HasPrefix(p, "<tg:") && p != "<rdf:type>" {
			foreign++
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "foreign.nq")
	if err := os.WriteFile(file, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "tg.db")
	cli(t, "ingest", file, "--store", store, "--quiet")
	_, stderr, err := runCLI(t, "export", "--format", "stix", "--store", store)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	for _, want := range []string{fmt.Sprintf("not exported: %d\n", foreign), fmt.Sprintf("  %d quads of another vocabulary\n", foreign)} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestExportSTIXOtherInputs: stores made by the other importers (a GDELT
// 2.0 export file; OpenCTI's geography bundle, 250 countries and 22
// regions with located-at) export as STIX that validates and reads back.
func TestExportSTIXOtherInputs(t *testing.T) {
	v := stixSchemas(t)
	data := filepath.Join("..", "..", "..", "shared", "data")
	for name, file := range map[string]string{
		"gdelt":     filepath.Join(data, "gdelt", "v2", "20191024143000.export.CSV"),
		"geography": filepath.Join(data, "stix", "opencti-datasets", "geography.json"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(file); err != nil {
				t.Skipf("input not found: %v", err)
			}
			store := filepath.Join(t.TempDir(), "tg.db")
			cli(t, "ingest", file, "--store", store, "--quiet")
			out := cli(t, "export", "--format", "stix", "--store", store)
			if _, err := v.Bundle([]byte(out)); err != nil {
				msg := err.Error()
				t.Fatalf("does not validate:\n%s", msg[:min(len(msg), 4000)])
			}
			roundTrip(t, store)
		})
	}
}

// TestExportSTIXBadReadBack: a threatgraph bundle edited wrong (a fact
// citing a note that is not there, a quote that no longer hashes to its
// statement) is refused at its line and JSON path, exit 2, nothing
// written.
func TestExportSTIXBadReadBack(t *testing.T) {
	store := demoStore(t)
	out := cli(t, "export", "--format", "stix", "--store", store)
	lines := strings.Split(out, "\n")
	factLine, noteLine := -1, -1
	for i, l := range lines {
		if factLine < 0 && strings.Contains(l, `"x_threatgraph_facts":[{`) && strings.Contains(l, `"stated_in_ref":"`) {
			factLine = i
		}
		if noteLine < 0 && strings.Contains(l, `"x_threatgraph_kind":"Statement"`) {
			noteLine = i
		}
	}
	if factLine < 0 || noteLine < 0 {
		t.Fatal("the demo's bundle has no entity with facts or no statement note")
	}
	const ghost = "note--00000000-0000-5000-8000-000000000000"
	lines[factLine] = regexp.MustCompile(`"stated_in_ref":"[^"]*"`).ReplaceAllString(lines[factLine], `"stated_in_ref":"`+ghost+`"`)
	lines[noteLine] = strings.Replace(lines[noteLine], `"content":"`, `"content":"EDITED `, 1)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.db")
	_, stderr, err := runCLI(t, "ingest", bad, "--store", fresh, "--quiet")
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("ingest of a bad bundle: %v (exit %d), want exit 2\n%s", err, exitCode(err), stderr)
	}
	msg := stderr + err.Error()
	for _, want := range []string{
		fmt.Sprintf("bad.json:%d: objects[%d].x_threatgraph_facts[", factLine+1, factLine-1),
		ghost + " is no report or statement note of this bundle",
		fmt.Sprintf("bad.json:%d: objects[%d].content: the quote is not that of statement", noteLine+1, noteLine-1),
		"nothing was written",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, msg)
		}
	}
	if _, err := os.Stat(fresh); err == nil {
		if n := cli(t, "export", "--format", "nquads", "--store", fresh); n != "" {
			t.Errorf("a refused ingest wrote %d bytes of quads", len(n))
		}
	}
}

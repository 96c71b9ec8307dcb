package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stixData is ../shared/data/stix beside the repository (skip when absent).
func stixData(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "..", "shared", "data", "stix"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared STIX data not found at %s: %v", p, err)
	}
	return p
}

// TestSTIXIngestATTACK loads ATT&CK through the real CLI into an on-disk
// store: stats count the kinds the test counts in the raw JSON,
// centrality ranks over the live relations, show gives a group's card.
func TestSTIXIngestATTACK(t *testing.T) {
	path := filepath.Join(stixData(t, "mitre-attack"), "enterprise-attack-18.1.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Objects []struct {
			Type             string `json:"type"`
			ID               string `json:"id"`
			Name             string `json:"name"`
			Revoked          bool   `json:"revoked"`
			Deprecated       bool   `json:"x_mitre_deprecated"`
			RelationshipType string `json:"relationship_type"`
			SourceRef        string `json:"source_ref"`
			TargetRef        string `json:"target_ref"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	byType := map[string]int{}
	typeOf := map[string]string{}
	var revokedGroup string
	for _, o := range raw.Objects {
		byType[o.Type]++
		typeOf[o.ID] = o.Type
		if o.Type == "intrusion-set" && o.Revoked && revokedGroup == "" {
			revokedGroup = strings.TrimPrefix(o.ID, "intrusion-set--")
		}
	}
	kinds := map[string]bool{"intrusion-set": true, "campaign": true, "attack-pattern": true, "malware": true, "tool": true}
	live := 0 // relations between mapped objects, the relationship itself neither revoked nor deprecated
	for _, o := range raw.Objects {
		if o.Type == "relationship" && !o.Revoked && !o.Deprecated && kinds[typeOf[o.SourceRef]] && kinds[typeOf[o.TargetRef]] &&
			(o.RelationshipType == "uses" || o.RelationshipType == "subtechnique-of" || o.RelationshipType == "attributed-to") {
			live++
		}
	}
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "ingest", "--store", store, "--quiet", path)

	var st struct {
		ByKind map[string]int `json:"by_kind"`
	}
	if err := json.Unmarshal([]byte(cli(t, "stats", "--store", store, "--format", "json")), &st); err != nil {
		t.Fatal(err)
	}
	for kind, typ := range map[string]string{"Group": "intrusion-set", "Campaign": "campaign", "Technique": "attack-pattern", "Malware": "malware", "Tool": "tool", "Organization": "identity"} {
		if st.ByKind[kind] != byType[typ] || byType[typ] == 0 {
			t.Errorf("stats: %d %s; the bundle has %d %s objects", st.ByKind[kind], kind, byType[typ], typ)
		}
	}
	var cen struct {
		Edges int `json:"edges"`
		Top   []struct {
			Kind string `json:"kind"`
		} `json:"top"`
	}
	if err := json.Unmarshal([]byte(cli(t, "centrality", "--store", store, "--format", "json", "--top", "5")), &cen); err != nil {
		t.Fatal(err)
	}
	if cen.Edges != live || len(cen.Top) != 5 {
		t.Errorf("centrality over %d relations (top %d); the bundle has %d live relationships between mapped objects", cen.Edges, len(cen.Top), live)
	}
	for _, e := range cen.Top {
		if e.Kind != "Technique" {
			t.Errorf("a %s among the most central; want the techniques every group uses", e.Kind)
		}
	}
	var card struct {
		Kind  string `json:"kind"`
		Facts []struct {
			Predicate  string              `json:"predicate"`
			Value      struct{ Value any } `json:"value"`
			Deprecated bool                `json:"deprecated"`
		} `json:"facts"`
		Markings []string `json:"markings"`
	}
	if err := json.Unmarshal([]byte(cli(t, "show", "--store", store, "--format", "json", "APT38")), &card); err != nil {
		t.Fatal(err)
	}
	var ext, uses int
	for _, f := range card.Facts {
		switch {
		case f.Predicate == "externalId" && f.Value.Value == "mitre:G0082":
			ext++
		case f.Predicate == "uses":
			uses++
		}
	}
	if card.Kind != "Group" || ext != 1 || uses < 10 || len(card.Markings) != 1 {
		t.Errorf("show APT38: kind %s, mitre:G0082 %d times, %d uses, markings %v; want a Group, once, many, ATT&CK's terms of use", card.Kind, ext, uses, card.Markings)
	}
	// A revoked group is kept, its facts deprecated.
	out := cli(t, "show", "--store", store, "group:stix-"+revokedGroup)
	if !strings.Contains(out, "[deprecated]") || !strings.Contains(out, "revoked in STIX, replaced by") {
		t.Errorf("show of a revoked group:\n%s", out)
	}
}

// TestSTIXMalformedWritesNothing: a bad bundle is refused whole, with the
// line and field of the problem, and the store is left as it was.
func TestSTIXMalformedWritesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	body := "{\n\"type\": \"bundle\",\n\"id\": \"bundle--00000000-0000-4000-8000-000000000001\",\n\"objects\": [\n" +
		`{"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340", "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z", "name": "G"},` + "\n" +
		`{"type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-000000000003", "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z",` + "\n" +
		`"relationship_type": "uses", "source_ref": "intrusion-set--00f67a77-86a4-4adf-be26-1a54fc713340", "target_ref": "malware--00000000-0000-4000-8000-000000000004"}` + "\n]\n}\n"
	if err := os.WriteFile(bad, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	before := cli(t, "stats", "--store", store, "--format", "json")
	_, stderr, err := runCLI(t, "ingest", "--store", store, "--quiet", bad)
	if err == nil {
		t.Fatal("a bundle whose relationship names a malware nowhere to be found loaded")
	}
	if want := "bad.json:6: objects[1].target_ref"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if after := cli(t, "stats", "--store", store, "--format", "json"); after != before {
		t.Errorf("a refused bundle changed the store:\n%s", firstDiff(after, before))
	}
}

// TestSTIXMarkingsInAnswers: show and export name the most restrictive TLP
// marking of what they used.
func TestSTIXMarkingsInAnswers(t *testing.T) {
	path := filepath.Join(stixData(t, "oasis", "cti-documentation", "examples", "example_json"), "using-granular-markings.json")
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "ingest", "--store", store, "--quiet", path)
	var card struct {
		Marking string `json:"marking"`
	}
	if err := json.Unmarshal([]byte(cli(t, "show", "--store", store, "--format", "json", "The Joker")), &card); err != nil {
		t.Fatal(err)
	}
	if card.Marking != "marking:tlp-red" { // the threat actor's object_marking_refs: TLP:RED
		t.Errorf("show The Joker: marking %q, want marking:tlp-red", card.Marking)
	}
	out := filepath.Join(t.TempDir(), "g.graphml")
	_, stderr, err := runCLI(t, "export", "--store", store, "--format", "graphml", "-o", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "marking: marking:tlp-red") {
		t.Errorf("export names no marking:\n%s", stderr)
	}
	card.Marking = ""
	if err := json.Unmarshal([]byte(cli(t, "show", "--store", store, "--format", "json", "Gotham National Bank")), &card); err != nil {
		t.Fatal(err)
	}
	if card.Marking != "" {
		t.Errorf("an unmarked identity has marking %q", card.Marking)
	}
}

// TestSTIXMarkingsReadBack: the marking and confidence quads of a STIX
// import survive an N-Quads export and a load of it into another store.
func TestSTIXMarkingsReadBack(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	cli(t, "ingest", "--store", a, "--quiet", filepath.Join("..", "..", "ingest", "stix", "testdata", "analyst-bundle.json"))
	nq := filepath.Join(dir, "a.nq")
	cli(t, "export", "--store", a, "--format", "nquads", "-o", nq)
	cli(t, "ingest", "--store", b, "--quiet", nq)
	for _, store := range []string{a, b} {
		out := cli(t, "show", "--store", store, "Ember Bear")
		for _, want := range []string{"Marking: marking:tlp-amber", "confidence 70 (the source's own, 0-100)"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: show Ember Bear lacks %q:\n%s", filepath.Base(store), want, out)
			}
		}
	}
}

// TestSTIXTwiceAndSkipInvalid: the same bundle loaded again adds nothing;
// with --skip-invalid an object of the wrong shape is rejected alone.
func TestSTIXTwiceAndSkipInvalid(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "tg.db")
	bundle := filepath.Join("..", "..", "ingest", "stix", "testdata", "analyst-bundle.json")
	cli(t, "ingest", "--store", store, "--quiet", bundle)
	if out := cli(t, "ingest", "--store", store, "--quiet", bundle); !strings.Contains(out, "nothing new") {
		t.Errorf("the same bundle again:\n%s", out)
	}
	obj := func(uuid, name, extra string) string {
		return `{"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--` + uuid + `", "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z", "name": "` + name + `"` + extra + `}`
	}
	bad := filepath.Join(dir, "half.json")
	body := "{\"type\": \"bundle\", \"id\": \"bundle--00000000-0000-4000-8000-000000000001\", \"objects\": [\n" +
		obj("00000000-0000-4000-8000-00000000000a", "Good Group", "") + ",\n" +
		obj("00000000-0000-4000-8000-00000000000b", "Bad Group", `, "aliases": {"x": 1}`) + "\n]}\n"
	if err := os.WriteFile(bad, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	_, stderr, err := runCLI(t, "ingest", "--store", other, "--quiet", "--skip-invalid", "--rejects", filepath.Join(dir, "rejects.jsonl"), bad)
	if err != nil {
		t.Fatalf("--skip-invalid: %v\n%s", err, stderr)
	}
	if out := cli(t, "show", "--store", other, "Good Group"); !strings.Contains(out, "group:stix-00000000-0000-4000-8000-00000000000a") {
		t.Errorf("the valid object was not loaded:\n%s", out)
	}
	if _, _, err := runCLI(t, "show", "--store", other, "Bad Group"); err == nil {
		t.Error("the object of the wrong shape was loaded")
	}
	if !strings.Contains(stderr, "half.json:3: objects[1].aliases") {
		t.Errorf("the rejection does not name its line and field:\n%s", stderr)
	}
}

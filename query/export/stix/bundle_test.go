package stix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/internal/stixschema"
	"github.com/threatgraph/threatgraph/schema"
)

func validator(t *testing.T) *stixschema.Validator {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "data", "stix", "oasis", "cti-stix2-json-schemas", "schemas")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("OASIS STIX schemas not found: %v", err)
	}
	v, err := stixschema.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func date(t *testing.T, s, text string) *schema.Interval {
	t.Helper()
	iv, err := schema.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	iv.Text = text
	return &iv
}

// sample is a small graph with an entity of every kind, a statement with
// reported speech, markings, a confidence, a negation, a count in words,
// dates, and a judgement.
func sample(t *testing.T) *Bundle {
	const (
		src  = "source:report-1"
		st   = "source:report-1#e-0123abcd"
		ed   = "source:editors"
		anal = "source:analysts"
	)
	killed, err := schema.ParseCountLiteral("137/|civilians|at least 137 civilians")
	if err != nil {
		t.Fatal(err)
	}
	b := NewBundle()
	ents := []Entity{
		{ID: src, Kind: "Source", Name: "Report one", Declared: []string{ed}, Facts: []Fact{
			{Predicate: "title", Label: ed, Value: "Report one"},
			{Predicate: "publisher", Label: ed, Value: "Agency"},
			{Predicate: "url", Label: ed, Value: "https://example.org/report-1"},
			{Predicate: "published", Label: ed, Value: "2024-03", Date: date(t, "2024-03", "")},
		}},
		{ID: ed, Kind: "Source", Name: "Editors", Declared: []string{ed}},
		{ID: anal, Kind: "Source", Name: "Analysts", Declared: []string{ed}},
		{ID: "group:g", Kind: "Group", Name: "Gee", Declared: []string{ed}, Facts: []Fact{
			{Predicate: "name", Label: ed, Value: "Gee"},
			{Predicate: "alias", Label: st, Value: "G-group"},
			{Predicate: "firstSeen", Label: st, Value: "2014", Date: date(t, "2014", "in 2014")},
			{Predicate: "uses", Label: st, Ref: "malware:m"},
			{Predicate: "uses", Label: src, Ref: "tool:t"},
			{Predicate: "not/affiliateOf", Label: st, Ref: "group:h"},
			{Predicate: "externalId", Label: ed, Value: "mitre:G9999"},
		}},
		{ID: "group:h", Kind: "Group", Name: "Aitch", Declared: []string{ed}},
		{ID: "person:p", Kind: "Person", Name: "Pe", Declared: []string{ed}, Facts: []Fact{{Predicate: "memberOf", Label: st, Ref: "group:g"}}},
		{ID: "person:q", Kind: "Person", Name: "Queue", Declared: []string{ed}, Facts: []Fact{{Predicate: "role", Label: st, Value: "minister"}}},
		{ID: "org:o", Kind: "Organization", Name: "Org", Declared: []string{ed}},
		{ID: "location:c", Kind: "Location", Name: "Country", Declared: []string{ed}, Facts: []Fact{{Predicate: "placeType", Label: ed, Value: "country"}}},
		{ID: "location:fr", Kind: "Location", Name: "France", Declared: []string{ed}, Facts: []Fact{
			{Predicate: "placeType", Label: ed, Value: "country"}, {Predicate: "externalId", Label: ed, Value: "iso3166-1:FRA"}}},
		{ID: "location:paris", Kind: "Location", Name: "Paris", Declared: []string{ed}, Facts: []Fact{
			{Predicate: "placeType", Label: ed, Value: "city"}, {Predicate: "partOf", Label: ed, Ref: "location:fr"}}},
		{ID: "location:v", Kind: "Location", Name: "Venue", Declared: []string{ed}, Facts: []Fact{{Predicate: "partOf", Label: ed, Ref: "location:c"}}},
		{ID: "location:x", Kind: "Location", Name: "Nowhere", Declared: []string{ed}},
		{ID: "location:y", Kind: "Location", Name: "Point", Declared: []string{ed}, Facts: []Fact{
			{Predicate: "lat", Label: ed, Value: 55.5}, {Predicate: "lon", Label: ed, Value: 37.25}}},
		{ID: "attack:a", Kind: "Attack", Name: "Attack", Declared: []string{ed}, Facts: []Fact{
			{Predicate: "date", Label: st, Value: "2024-03-22", Date: date(t, "2024-03-22", "last Friday")},
			{Predicate: "killed", Label: st, Value: killed.Text, Count: &killed},
			{Predicate: "perpetratedBy", Label: st, Ref: "group:g"},
			{Predicate: "locatedIn", Label: st, Ref: "location:v"},
		}},
		{ID: "warning:w", Kind: "Warning", Name: "A warning", Declared: []string{ed}, Facts: []Fact{{Predicate: "issuedBy", Label: ed, Ref: "org:o"}}},
		{ID: "claim:c", Kind: "Claim", Name: "A claim", Declared: []string{ed}},
		{ID: "campaign:k", Kind: "Campaign", Name: "Campaign", Declared: []string{ed}, Facts: []Fact{{Predicate: "attributedTo", Label: ed, Ref: "group:g"}}},
		{ID: "technique:t1", Kind: "Technique", Name: "Phishing", Declared: []string{ed}, Facts: []Fact{{Predicate: "killChainPhase", Label: ed, Value: "mitre-attack:initial-access"}}},
		{ID: "malware:m", Kind: "Malware", Name: "Mal", Declared: []string{ed}},
		{ID: "tool:t", Kind: "Tool", Name: "Tool", Declared: []string{ed}},
		{ID: "thing:z", Kind: "Thing", Name: "Unknown kind", Declared: []string{ed}, Facts: []Fact{{Predicate: "name", Label: ed, Value: "Unknown kind"}}},
	}
	for _, e := range ents {
		b.Entity(e)
	}
	b.Statement(Statement{Label: st, Quote: "Gee, a group, uses Mal", According: []string{"person:q"}})
	b.Label(Label{Label: st, Markings: []string{schema.TLPAmber}, Confidence: ptr(int64(80))})
	b.Label(Label{Label: src, Markings: []string{"marking:internal-only"}})
	b.Judgement(Judgement{ID: "judgement:1", Of: st, Rank: schema.RankDeprecated, Reason: "doubtful", Note: "one source only", Source: anal, Date: "2026-12-02"})
	return b
}

func ptr[T any](v T) *T { return &v }

func write(t *testing.T, b *Bundle) (string, Summary, map[string]map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := b.Write(t.Context(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		t.Fatal(err)
	}
	byID := map[string]map[string]any{}
	for _, o := range bundle.Objects {
		byID[o["id"].(string)] = o
	}
	return buf.String(), sum, byID
}

func TestBundleValidates(t *testing.T) {
	v := validator(t)
	out, sum, _ := write(t, sample(t))
	if _, err := v.Bundle([]byte(out)); err != nil {
		t.Fatalf("the sample bundle does not validate:\n%v\n%s", err, out)
	}
	if sum.NotExported["entities of a kind STIX has no object for (Thing)"] != 1 || sum.NotExported["facts of those entities"] != 1 {
		t.Errorf("not exported %v, want the Thing and its fact counted", sum.NotExported)
	}
	if sum.Marking != schema.TLPAmber {
		t.Errorf("most restrictive marking %q, want %s", sum.Marking, schema.TLPAmber)
	}
}

func TestBundleMapping(t *testing.T) {
	_, sum, objs := write(t, sample(t))
	get := func(typ, key string) map[string]any {
		t.Helper()
		o := objs[ID(typ, key)]
		if o == nil {
			t.Fatalf("no %s for %s", typ, key)
		}
		return o
	}
	for key, typ := range map[string]string{
		"group:g": "intrusion-set", "person:p": "threat-actor", "person:q": "identity", "org:o": "identity",
		"location:c": "location", "attack:a": "incident", "warning:w": "note", "claim:c": "note",
		"campaign:k": "campaign", "technique:t1": "attack-pattern", "malware:m": "malware", "tool:t": "tool",
		"source:report-1": "report",
	} {
		o := get(typ, key)
		if o["x_threatgraph_id"] != key {
			t.Errorf("%s: x_threatgraph_id %v", key, o["x_threatgraph_id"])
		}
	}
	g := get("intrusion-set", "group:g")
	if g["created_by_ref"] != ID("identity", "source\x1fsource:editors") {
		t.Errorf("created_by_ref %v, want the identity of the source that declares it", g["created_by_ref"])
	}
	if g["first_seen"] != "2014-01-01T00:00:00.000Z" {
		t.Errorf("first_seen %v, want the start of 2014", g["first_seen"])
	}
	if al, _ := g["aliases"].([]any); len(al) != 1 || al[0] != "G-group" {
		t.Errorf("aliases %v", g["aliases"])
	}
	if refs, _ := g["object_marking_refs"].([]any); len(refs) != 2 {
		t.Errorf("the group carries facts of an amber statement and of a marked source: object_marking_refs %v", g["object_marking_refs"])
	}
	a := get("incident", "attack:a")
	if a["x_threatgraph_date_start"] != "2024-03-22T00:00:00.000Z" || a["x_threatgraph_date_end"] != "2024-03-22T23:59:59.999Z" || a["x_threatgraph_date_text"] != "last Friday" {
		t.Errorf("incident dates %v %v %v", a["x_threatgraph_date_start"], a["x_threatgraph_date_end"], a["x_threatgraph_date_text"])
	}
	var count map[string]any
	for _, f := range a["x_threatgraph_facts"].([]any) {
		if m := f.(map[string]any); m["predicate"] == "killed" {
			count = m
		}
	}
	if count == nil || count["value"] != "at least 137 civilians" || count["lower"] != float64(137) || count["upper"] != nil || count["of"] != "civilians" {
		t.Errorf("killed fact %v, want the words, lower 137, no upper, of civilians", count)
	}
	r := get("relationship", "attack:a\x1fperpetratedBy\x1fgroup:g")
	if r["relationship_type"] != "perpetrated-by" || r["source_ref"] != ID("incident", "attack:a") || r["target_ref"] != ID("intrusion-set", "group:g") {
		t.Errorf("perpetratedBy relationship %v", r)
	}
	for pred, want := range map[string]string{"partOf": "located-at", "locatedIn": "located-at", "attributedTo": "attributed-to", "uses": "uses", "memberOf": "member-of", "target": "targets"} {
		if got := RelationshipType(pred); got != want {
			t.Errorf("RelationshipType(%q) = %q, want %q", pred, got, want)
		}
	}
	if v := get("location", "location:v"); v["country"] != "Country" {
		t.Errorf("venue within a country: country %v", v["country"])
	}
	if p := get("location", "location:paris"); p["country"] != "FRA" || p["city"] != "Paris" {
		t.Errorf("a city in a country with an ISO code: country %v city %v, want FRA and Paris", p["country"], p["city"])
	}
	if x := get("location", "location:x"); x["region"] != "Nowhere" {
		t.Errorf("a place with nothing to locate it: region %v, want its name", x["region"])
	}
	if y := get("location", "location:y"); y["latitude"] != 55.5 || y["longitude"] != 37.25 {
		t.Errorf("coordinates %v %v", y["latitude"], y["longitude"])
	}
	n := get("note", "source:report-1#e-0123abcd")
	if n["content"] != "Gee, a group, uses Mal" || n["confidence"] != float64(80) || n["created_by_ref"] != ID("identity", "publisher\x1fAgency") {
		t.Errorf("statement note %v", n)
	}
	if refs, _ := n["object_marking_refs"].([]any); len(refs) != 1 || refs[0] != "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421" {
		t.Errorf("statement note markings %v, want TLP:AMBER's", n["object_marking_refs"])
	}
	if au, _ := n["authors"].([]any); len(au) != 1 || au[0] != "Queue" {
		t.Errorf("note authors %v, want whom it is according to", n["authors"])
	}
	op := get("opinion", "judgement:1")
	if op["opinion"] != "disagree" || op["object_refs"].([]any)[0] != n["id"] {
		t.Errorf("opinion %v", op)
	}
	rep := get("report", "source:report-1")
	if rep["published"] != "2024-03-01T00:00:00.000Z" || rep["x_threatgraph_published_end"] != "2024-03-31T23:59:59.999Z" {
		t.Errorf("report published %v .. %v", rep["published"], rep["x_threatgraph_published_end"])
	}
	has := func(list any, id string) bool {
		for _, x := range list.([]any) {
			if x == id {
				return true
			}
		}
		return false
	}
	if !has(rep["object_refs"], n["id"].(string)) || !has(rep["object_refs"], ID("relationship", "group:g\x1fuses\x1ftool:t")) || !has(rep["object_refs"], ID("intrusion-set", "group:g")) {
		t.Errorf("the report's object_refs lack its note, the relationship it states or the group: %v", rep["object_refs"])
	}
	if want := len(sample(t).ents) - 1; sum.Entities != want { // the Thing is not written
		t.Errorf("%d entities written, want %d", sum.Entities, want)
	}
}

// TestBundleCancelled: a cancelled context stops Write with its error.
func TestBundleCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var buf bytes.Buffer
	if _, err := sample(t).Write(ctx, &buf); !errors.Is(err, context.Canceled) {
		t.Errorf("Write on a cancelled context: %v, want context.Canceled", err)
	}
	if buf.Len() != 0 {
		t.Errorf("Write on a cancelled context wrote %d bytes", buf.Len())
	}
}

// TestBundleDeterministic: the same graph added in another order gives the
// same bytes, and ids depend on the threatgraph id alone.
func TestBundleDeterministic(t *testing.T) {
	a, _, _ := write(t, sample(t))
	b := sample(t)
	for i, j := 0, len(b.ents)-1; i < j; i, j = i+1, j-1 {
		b.ents[i], b.ents[j] = b.ents[j], b.ents[i]
	}
	c, _, _ := write(t, b)
	if a != c {
		t.Error("the same entities in another order give other bytes")
	}
	if got := ID("intrusion-set", "group:isis-k"); got != "intrusion-set--"+strings.TrimPrefix(ID("x", "group:isis-k"), "x--") {
		t.Errorf("ID depends on the type: %s", got)
	}
	if ID("intrusion-set", "group:a") == ID("intrusion-set", "group:b") {
		t.Error("two ids give one STIX id")
	}
}

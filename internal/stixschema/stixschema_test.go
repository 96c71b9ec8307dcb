package stixschema

import (
	"os"
	"path/filepath"
	"testing"
)

func schemas(t *testing.T) *Validator {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", "stix", "oasis", "cti-stix2-json-schemas", "schemas")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("OASIS STIX schemas not found: %v", err)
	}
	v, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The location of the STIX 2.1 specification's example (section 4.12).
const specLocation = `{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","region":"south-eastern-asia","country":"th","administrative_area":"Tak","postal_code":"63170"}`

// TestBundleSchemaQuirk pins why Bundle does not give bundle.json every
// object: the specification's own location passes location.json, and a
// bundle holding only it fails bundle.json.
func TestBundleSchemaQuirk(t *testing.T) {
	v := schemas(t)
	if err := v.Object([]byte(specLocation)); err != nil {
		t.Fatalf("the specification's location fails location.json: %v", err)
	}
	bundle := `{"type":"bundle","id":"bundle--5578df3a-6ed2-5662-a7a7-773e877a1635","objects":[` + specLocation + `]}`
	if err := v.Whole([]byte(bundle)); err == nil {
		t.Log("bundle.json now accepts a location: Bundle could validate every object through it")
	}
	if v.Listed("location") {
		t.Error("bundle.json names location; the quirk Validator works around is gone")
	}
	if !v.Listed("intrusion-set") || !v.Listed("relationship") {
		t.Error("the types bundle.json names were not found")
	}
	if _, err := v.Bundle([]byte(bundle)); err != nil {
		t.Errorf("Bundle refuses the specification's location: %v", err)
	}
}

// TestObjectErrors: objects that break their schema are refused.
func TestObjectErrors(t *testing.T) {
	v := schemas(t)
	for name, obj := range map[string]string{
		"location without region, country or coordinates": `{"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","name":"x"}`,
		"created without milliseconds":                    `{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00Z","modified":"2016-04-06T20:03:00.000Z","name":"x"}`,
		"unknown type":                                    `{"type":"x-thing","spec_version":"2.1","id":"x-thing--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z"}`,
		"report without published":                        `{"type":"report","spec_version":"2.1","id":"report--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2016-04-06T20:03:00.000Z","modified":"2016-04-06T20:03:00.000Z","name":"x","object_refs":["location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64"]}`,
	} {
		if err := v.Object([]byte(obj)); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
}

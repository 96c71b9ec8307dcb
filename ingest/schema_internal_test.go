package ingest

import (
	"strings"
	"testing"
)

// TestPublishedSchemaAgrees checks that the published JSON Schema, on its
// own, accepts a valid file and rejects the structural mistakes that the
// decoder reports in more detail, so editors using the schema see them too.
func TestPublishedSchemaAgrees(t *testing.T) {
	sch, err := formatSchema()
	if err != nil {
		t.Fatal(err)
	}
	valid := "sources:\n  - id: source:a\n    published: 2024-03-25\n    reliability: B\nentities:\n  - id: attack:x\n    kind: Attack\n    source: source:a\n    killed: 3\n    alias: [X, Y]\n    date: {text: early March, value: 2024-03-01/2024-03-10}\n    facts:\n      - quote: q\n        wounded: 0\n"
	root, err := readTree("v.yaml", []byte(valid), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(plain(root)); err != nil {
		t.Fatalf("schema rejects a valid file: %v", err)
	}
	for _, bad := range []string{
		"    killed: -3\n", "    killed: \"\"\n", "    killed: {value: 3}\n", "    killed: {text: three, who: x}\n", "    killed: 1.5\n", "    killed: [1, 2]\n",
		"    kiled: 3\n", "    placeType: metropolis\n", "    lat: 91\n", "    public: yes-ish\n",
		"    perpetratedBy: no colon\n", "    description: []\n", "    endDate: {text: early March}\n",
	} {
		doc := strings.Replace(valid, "    killed: 3\n", bad, 1)
		root, err := readTree("b.yaml", []byte(doc), false)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(plain(root)); err == nil {
			t.Errorf("schema accepts %q", strings.TrimSpace(bad))
		}
	}
	for _, bad := range []string{"widgets: 1\n", "entities:\n  - id: x:y\n    kind: Gang\n", "entities:\n  - kind: Group\n", "format: threatgraph/2\n"} {
		root, err := readTree("b.yaml", []byte(bad), false)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(plain(root)); err == nil {
			t.Errorf("schema accepts %q", bad)
		}
	}
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMarkingNoneWords: facts with markings but no TLP marking say so in
// words in show's table and export's summary ("none (no TLP marking ...)",
// naming the other markings); JSON keeps marking empty and lists markings.
func TestMarkingNoneWords(t *testing.T) {
	const marking = "marking-definition--5f1a0c2e-7b3d-4e8a-9c61-00000000b001"
	bundle := `{"type": "bundle", "id": "bundle--5f1a0c2e-7b3d-4e8a-9c61-00000000b000", "objects": [
{"type": "marking-definition", "spec_version": "2.1", "id": "` + marking + `", "created": "2024-01-01T00:00:00.000Z",
 "definition_type": "statement", "definition": {"statement": "Copyright Example"}},
{"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--5f1a0c2e-7b3d-4e8a-9c61-00000000b002", "name": "Plain Group",
 "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "object_marking_refs": ["` + marking + `"]}
]}`
	dir := t.TempDir()
	path, store := filepath.Join(dir, "b.json"), filepath.Join(dir, "tg.db")
	if err := os.WriteFile(path, []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	cli(t, "ingest", "--store", store, "--quiet", path)
	out := cli(t, "show", "--store", store, "Plain Group")
	want := "Marking: none (no TLP marking on the facts shown; other markings: marking:stix-5f1a0c2e-7b3d-4e8a-9c61-00000000b001)"
	if !strings.Contains(out, want+"\n") || strings.Contains(out, "none of TLP") {
		t.Errorf("show lacks %q:\n%s", want, out)
	}
	var card struct {
		Marking  *string  `json:"marking"`
		Markings []string `json:"markings"`
	}
	if err := json.Unmarshal([]byte(cli(t, "show", "--store", store, "--format", "json", "Plain Group")), &card); err != nil {
		t.Fatal(err)
	}
	if card.Marking != nil || len(card.Markings) != 1 || card.Markings[0] != "marking:stix-5f1a0c2e-7b3d-4e8a-9c61-00000000b001" {
		t.Errorf("JSON card marking %v, markings %v; want none and the statement marking", card.Marking, card.Markings)
	}
	_, stderr, err := runCLI(t, "export", "--store", store, "--format", "graphml", "-o", filepath.Join(dir, "g.graphml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "marking: none (no TLP marking on the sources used; other markings: "; !strings.Contains(stderr, want) || strings.Contains(stderr, "none of TLP") {
		t.Errorf("export summary lacks %q:\n%s", want, stderr)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLookupByExternalID: show and path take an ATT&CK id (with or without
// its scheme) and an id in another case; a name two techniques share is
// refused with both listed by their ATT&CK ids.
func TestLookupByExternalID(t *testing.T) {
	obj := func(typ, uuid, name, extID string) string {
		return `{"type": "` + typ + `", "spec_version": "2.1", "id": "` + typ + `--5f1a0c2e-7b3d-4e8a-9c61-` + uuid + `", "name": "` + name + `",
 "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
 "external_references": [{"source_name": "mitre-attack", "external_id": "` + extID + `"}]}`
	}
	bundle := `{"type": "bundle", "id": "bundle--5f1a0c2e-7b3d-4e8a-9c61-00000000c000", "objects": [
` + obj("intrusion-set", "00000000c001", "APT28", "G0007") + `,
` + obj("attack-pattern", "00000000c002", "Email Accounts", "T1586.002") + `,
` + obj("attack-pattern", "00000000c003", "Email Accounts", "T1585.002") + `,
{"type": "relationship", "spec_version": "2.1", "id": "relationship--5f1a0c2e-7b3d-4e8a-9c61-00000000c004", "relationship_type": "uses",
 "source_ref": "intrusion-set--5f1a0c2e-7b3d-4e8a-9c61-00000000c001", "target_ref": "attack-pattern--5f1a0c2e-7b3d-4e8a-9c61-00000000c002",
 "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"}
]}`
	dir := t.TempDir()
	path, store := filepath.Join(dir, "b.json"), filepath.Join(dir, "tg.db")
	if err := os.WriteFile(path, []byte(bundle), 0o644); err != nil {
		t.Fatal(err)
	}
	cli(t, "ingest", "--store", store, "--quiet", path)
	for _, arg := range []string{"G0007", "mitre:G0007", "mitre:g0007", "GROUP:STIX-5F1A0C2E-7B3D-4E8A-9C61-00000000C001"} {
		if out := cli(t, "show", "--store", store, arg); !strings.HasPrefix(out, "APT28  (Group, group:stix-5f1a0c2e-7b3d-4e8a-9c61-00000000c001)") {
			t.Errorf("show %s:\n%s", arg, out)
		}
	}
	if out := cli(t, "path", "--store", store, "G0007", "mitre:T1586.002"); !strings.Contains(out, "uses") {
		t.Errorf("path G0007 mitre:T1586.002 finds no uses:\n%s", out)
	}
	_, stderr, err := runCLI(t, "show", "--store", store, "Email Accounts")
	if err == nil {
		t.Fatal("show Email Accounts: no ambiguity")
	}
	for _, want := range []string{"00000000c002 (Technique, mitre:T1586.002)", "00000000c003 (Technique, mitre:T1585.002)"} {
		if !strings.Contains(err.Error()+stderr, want) {
			t.Errorf("show Email Accounts: %v %s lacks %q", err, stderr, want)
		}
	}
}

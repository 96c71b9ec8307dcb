package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestToServerIsOneLoad: ingest --server sends all its files in one
// request and the server loads them in one transaction, so a file may name
// an entity that another file of the same load defines (before, each file
// was sent on its own and the first was refused for a dangling reference),
// and a refused file leaves nothing of the others in the store.
func TestIngestToServerIsOneLoad(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	const token = "cli-test-token-0123456789"
	ts := serveStore(t, store, token)
	t.Setenv("THREATGRAPH_SERVE_TOKEN", token)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.yaml", "entities:\n  - id: group:one-load-cell\n    kind: Group\n    name: One-load cell\n    source: source:one-load\n    affiliateOf: group:isis-k\n")
	b := write("b.yaml", "sources:\n  - id: source:one-load\n    publisher: One-load test\n")
	bad := write("c.yaml", "entities:\n  - id: group:z\n    kind: Dragon\n")

	_, errOut, err := runCLI(t, "ingest", "--server", ts.URL, a, b, bad)
	if err == nil || exitCode(err) != exitBadInput || !strings.Contains(errOut, "c.yaml:3") {
		t.Fatalf("a, b and a bad c: %v (exit %d), stderr %q; want exit 2 naming c.yaml:3", err, exitCode(err), errOut)
	}
	resp, err := ts.Client().Get(ts.URL + "/v1/entities/One-load%20cell")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("after a refused load, the entity of a.yaml answers %s; want 404 (nothing written)", resp.Status)
	}

	out, _, err := runCLI(t, "ingest", "--server", ts.URL, a, b)
	if err != nil || !strings.Contains(out, "a.yaml") || !strings.Contains(out, "b.yaml") {
		t.Fatalf("a.yaml naming b.yaml's source, in one load: %v\n%s", err, out)
	}
	resp, err = ts.Client().Get(ts.URL + "/v1/entities/One-load%20cell")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the entity of a.yaml answers %s after the load; want 200", resp.Status)
	}
}

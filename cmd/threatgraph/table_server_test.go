package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/internal/tabletest"
)

// TestTableToServer: ingest --server --mapping acled sends an ACLED table
// and the shipped mapping's name; the server reads it as the CLI does
// (the same export as a local ingest). A mapping file of one's own, or an
// unknown name, is refused: the server never reads files by a client's
// name.
func TestTableToServer(t *testing.T) {
	tab := tabletest.ACLED(60, 3)
	csvPath := writeTable(t, "acled.csv", tab.CSV(','))
	local := filepath.Join(t.TempDir(), "local.db")
	cli(t, "ingest", "--store", local, "--mapping", "acled", csvPath)

	remote := filepath.Join(t.TempDir(), "remote.db")
	cli(t, "init", "--store", remote)
	const token = "table-test-token-0123456789"
	ts := serveStore(t, remote, token)
	t.Setenv("THREATGRAPH_SERVE_TOKEN", token)
	if _, stderr, err := runCLI(t, "ingest", "--server", ts.URL, "--mapping", "acled", csvPath); err != nil {
		t.Fatalf("ingest --server --mapping acled: %v\n%s", err, stderr)
	}
	resp, err := ts.Client().Get(ts.URL + "/v1/export/nquads")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if a, b := cli(t, "export", "--store", local, "--format", "nquads"), string(got); a != b || len(a) == 0 {
		t.Errorf("the server's store differs from a local ingest of the same table (%d and %d bytes of N-Quads)", len(b), len(a))
	}

	ts = serveStore(t, filepath.Join(t.TempDir(), "other.db"), token)
	mapping := writeTable(t, "mine.yaml", []byte("format: x\n"))
	if _, stderr, err := runCLI(t, "ingest", "--server", ts.URL, "--mapping", mapping, csvPath); err == nil || !strings.Contains(err.Error()+stderr, "shipped mappings") {
		t.Errorf("ingest --server with a mapping file: err %v, stderr %q; want a usage error naming the shipped mappings", err, stderr)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+"/v1/ingest?mapping=/etc/passwd&filename=a.csv", strings.NewReader("a,b\n"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "shipped mapping") {
		t.Errorf("POST /v1/ingest?mapping=/etc/passwd: %d %s; want 400 naming the shipped mappings", resp.StatusCode, body)
	}
}

package main

import (
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest/table"
	"github.com/threatgraph/threatgraph/internal/httpapi"
)

// serveStore starts an httpapi server on the store at path.
func serveStore(t *testing.T, path, token string) *httptest.Server {
	t.Helper()
	st, err := graph.Open(t.Context(), graph.Options{Backend: "bbolt", Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := httpapi.New(t.Context(), st, httpapi.Options{SnapshotDir: path, Token: token, Loader: storeLoader{st}, Mappings: table.Shipped(), History: historian(st)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// TestServeMatchesCLI asks the CLI (--format json) and the server the same
// questions and compares the bytes.
func TestServeMatchesCLI(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	gizmo := `g.V("<group:isis-k>").In("<tg:perpetratedBy>").Out("<tg:name>").All()`
	cases := []struct {
		args []string
		path string
	}{
		{[]string{"show", "ISIS-K"}, "/v1/entities/ISIS-K"},
		{[]string{"show", "Crocus City Hall attack"}, "/v1/entities/" + url.PathEscape("Crocus City Hall attack")},
		{[]string{"search", "khorasan"}, "/v1/search?q=khorasan"},
		{[]string{"neighbors", "ISIS-K", "--depth", "2", "--exclude-sources", "source:threatgraph-editors"}, "/v1/entities/ISIS-K/neighbors?depth=2&exclude-sources=source:threatgraph-editors"},
		{[]string{"timeline", "ISIS-K"}, "/v1/entities/ISIS-K/timeline"},
		{[]string{"path", "ISIS-K", "Taliban", "--k", "3"}, "/v1/paths?from=ISIS-K&to=Taliban&k=3"},
		{[]string{"path", "ISIS-K", "Taliban", "--from", "2024"}, "/v1/paths?from=ISIS-K&to=Taliban&from-date=2024"},
		{[]string{"centrality", "--measure", "betweenness", "--kinds", "Group,Person", "--top", "5"}, "/v1/centrality?measure=betweenness&kinds=Group,Person&top=5"},
		{[]string{"centrality", "--stability", "--top", "3"}, "/v1/centrality?stability=true&top=3"},
		{[]string{"preceded", "--window", "6m", "--group", "ISIS-K"}, "/v1/preceded?window=6m&group=ISIS-K"},
		{[]string{"contested"}, "/v1/contested"},
		{[]string{"communities", "--project", "group"}, "/v1/communities?project=group"},
		{[]string{"stats"}, "/v1/stats"},
		{[]string{"query", "--lang", "gizmo", gizmo}, "/v1/query?lang=gizmo&q=" + url.QueryEscape(gizmo)},
	}
	want := make([]string, len(cases))
	for i, c := range cases {
		out, _, err := runCLI(t, append(append([]string{}, c.args...), "--store", store, "--format", "json")...)
		if err != nil {
			t.Fatalf("threatgraph %s: %v", strings.Join(c.args, " "), err)
		}
		want[i] = out
	}
	ts := serveStore(t, store, "")
	for i, c := range cases {
		resp, err := ts.Client().Get(ts.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != want[i] {
			t.Errorf("GET %s: %d\n%s\nwant what threatgraph %s --format json prints:\n%s", c.path, resp.StatusCode, b, strings.Join(c.args, " "), want[i])
		}
	}
}

func TestIngestToServer(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	const token = "cli-test-token-0123456789"
	ts := serveStore(t, store, token)
	file := filepath.Join(t.TempDir(), "cell.yaml")
	yaml := "sources:\n  - id: source:cli-test\n    publisher: CLI test\nentities:\n  - id: group:cli-cell\n    kind: Group\n    name: CLI cell\n    source: source:cli-test\n    affiliateOf: group:isis-k\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "ingest", "--server", ts.URL, file); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("ingest --server without a token: %v; want the server's 401", err)
	}
	t.Setenv("THREATGRAPH_SERVE_TOKEN", token)
	out, _, err := runCLI(t, "ingest", "--server", ts.URL, file)
	if err != nil || !strings.Contains(out, "cell.yaml") || !strings.Contains(out, "the server now holds") {
		t.Fatalf("ingest --server: %v\n%s", err, out)
	}
	resp, err := ts.Client().Get(ts.URL + "/v1/entities/CLI%20cell")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("new entity after ingest --server: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("entities:\n  - id: group:z\n    kind: Dragon\n"), 0o644)
	_, errOut, err := runCLI(t, "ingest", "--server", ts.URL, bad)
	if err == nil || exitCode(err) != exitBadInput || !strings.Contains(errOut, "bad.yaml:3") {
		t.Errorf("bad file to server: %v (exit %d), stderr %q; want exit 2 and bad.yaml:3", err, exitCode(err), errOut)
	}
}

func TestQueryCmd(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "query", "--store", store, `g.V("<group:isis-k>").Out("<tg:name>").All()`)
	if err != nil || strings.TrimSpace(out) != `{"id":"Islamic State Khorasan Province"}` {
		t.Errorf("query: %v %q", err, out)
	}
	var buf strings.Builder
	root := newRootCmd(&buf, io.Discard)
	root.SetIn(strings.NewReader(`{ nodes(id: <group:isis-k>) { name: <tg:name> } }`))
	root.SetArgs([]string{"query", "--store", store, "--lang", "graphql", "--format", "json", "-"})
	if err := root.ExecuteContext(t.Context()); err != nil || !strings.Contains(buf.String(), `"name": "Islamic State Khorasan Province"`) {
		t.Errorf("query --lang graphql -: %v\n%s", err, buf.String())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	root = newRootCmd(io.Discard, io.Discard)
	root.SetArgs([]string{"query", "--store", store, "--timeout", "200ms", "while(true){}"})
	err = root.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "time limit") || time.Since(start) > 5*time.Second {
		t.Errorf("endless query: %v after %v; want a time-limit error after about 200ms", err, time.Since(start))
	}
	if _, _, err := runCLI(t, "query", "--store", store, "--lang", "sparql", "x"); err == nil || exitCode(err) != exitBadInput {
		t.Errorf("query --lang sparql: %v; want a usage error", err)
	}
}

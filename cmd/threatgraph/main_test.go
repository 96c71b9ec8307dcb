package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the CLI in-process, as a user would call it.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd(&out, &errOut)
	root.SetArgs(args)
	err = root.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

func TestDemoTwice(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	out, _, err := runCLI(t, "demo", "--store", store)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Loaded the built-in dataset", "Entities by kind:", "Group", "Contested points", "BY PAGERANK", "Islamic State Khorasan Province (", "Warnings that preceded the Crocus City Hall attack", "certain   15 days", "certain   12-21 days", "Contested casualty figures", "wounded:"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	out2, _, err := runCLI(t, "demo", "--store", store, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Load struct {
			Files []struct{ Added int } `json:"files"`
		} `json:"load"`
		Stats struct {
			Quads  int64          `json:"quads"`
			ByKind map[string]int `json:"by_kind"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out2), &res); err != nil {
		t.Fatalf("demo --format json: %v\n%s", err, out2)
	}
	for _, f := range res.Load.Files {
		if f.Added != 0 {
			t.Errorf("second demo added %d quads; want 0", f.Added)
		}
	}
	if res.Stats.Quads == 0 || res.Stats.ByKind["Attack"] == 0 {
		t.Errorf("second demo stats %+v", res.Stats)
	}
}

func TestIngestBadFileExitCode(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("entities:\n  - id: attack:x\n    kind: Attack\n    source: source:nowhere\n    killed: -2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCLI(t, "ingest", "--store", filepath.Join(dir, "db"), bad)
	if err == nil {
		t.Fatal("ingest of a bad file succeeded")
	}
	if code := exitCode(err); code != exitBadInput {
		t.Errorf("exit code %d; want %d", code, exitBadInput)
	}
	for _, want := range []string{bad + ":5: entities[0].killed: bad value: -2 is negative", bad + ":4: entities[0].source: source:nowhere refers to an entity that exists nowhere"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("error %q should say nothing was written", err)
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	get := func(args ...string) string {
		t.Helper()
		out, _, err := runCLI(t, append([]string{"config", "--format", "json"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Config struct {
				Store struct{ Path string } `json:"store"`
			} `json:"config"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return res.Config.Store.Path
	}
	if got := get(); got != "./threatgraph.db" {
		t.Errorf("default store.path = %q", got)
	}
	if err := os.WriteFile("threatgraph.yaml", []byte("store:\n  path: from-file.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "from-file.db" {
		t.Errorf("with threatgraph.yaml: store.path = %q; want from-file.db", got)
	}
	t.Setenv("THREATGRAPH_STORE_PATH", "from-env.db")
	if got := get(); got != "from-env.db" {
		t.Errorf("with env: store.path = %q; want from-env.db", got)
	}
	if got := get("--store", "from-flag.db"); got != "from-flag.db" {
		t.Errorf("with flag: store.path = %q; want from-flag.db", got)
	}
	// A binary named threatgraph in the directory is not a config file.
	if err := os.Remove("threatgraph.yaml"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("threatgraph", []byte("\x7fELF\x00\x01"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "from-env.db" {
		t.Errorf("with a binary named threatgraph: store.path = %q", got)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("threatgraph.yaml", []byte("store:\n  pathh: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, "config")
	if err == nil || !strings.Contains(err.Error(), "pathh") {
		t.Errorf("unknown key: %v; want an error naming pathh", err)
	}
	if code := exitCode(err); code != exitBadInput {
		t.Errorf("exit code %d; want %d", code, exitBadInput)
	}
	os.Remove("threatgraph.yaml")
	_, _, err = runCLI(t, "config", "--format", "xml")
	if err == nil || !strings.Contains(err.Error(), "format = xml: expected table, json or csv") {
		t.Errorf("bad format: %v", err)
	}
}

func TestShowAndSearchCLI(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "show", "--store", store, "ISIL-K")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "(Group, group:isis-k)") || !strings.Contains(out, "! founded") || !strings.Contains(out, "source:reuters-2024-03-25: \"") {
		t.Errorf("show ISIL-K:\n%s", out)
	}
	out, _, err = runCLI(t, "search", "--store", store, "--format", "csv", "crocus")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "id,kind,name,matched,field,text,source,statement,score\n") || !strings.Contains(out, "location:crocus-city-hall") {
		t.Errorf("search crocus csv:\n%s", out)
	}
	_, _, err = runCLI(t, "show", "--store", store, "nobody at all")
	if err == nil || !strings.Contains(err.Error(), "no entity with that id, name or alias") {
		t.Errorf("show unknown: %v", err)
	}
}

// TestReadVerbsNeedAStore: a query on a mistyped store path is an error
// naming it, and creates nothing.
func TestReadVerbsNeedAStore(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo.db")
	for _, args := range [][]string{{"stats"}, {"show", "x"}, {"centrality"}, {"export", "--format", "nquads"}} {
		_, _, err := runCLI(t, append(args, "--store", missing)...)
		if err == nil || !strings.Contains(err.Error(), "no bbolt store at "+missing) {
			t.Errorf("%v on a missing store: %v", args, err)
		}
		if code := exitCode(err); code != exitBadInput {
			t.Errorf("%v: exit code %d; want %d", args, code, exitBadInput)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("%v created %s", args, missing)
		}
	}
}

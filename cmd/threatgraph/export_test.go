package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportStdout(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		format string
		check  func([]byte) error
	}{
		{"graphml", func(b []byte) error { return xml.Unmarshal(b, new(struct{})) }},
		{"gexf", func(b []byte) error { return xml.Unmarshal(b, new(struct{})) }},
		{"cytoscape", func(b []byte) error { return json.Unmarshal(b, new(map[string]any)) }},
		{"json", func(b []byte) error { return json.Unmarshal(b, new(map[string]any)) }},
		{"nquads", func(b []byte) error { return nil }},
	} {
		stdout, stderr, err := runCLI(t, "export", "--store", store, "--format", c.format, "--out", "-")
		if err != nil {
			t.Fatalf("export --format %s: %v\n%s", c.format, err, stderr)
		}
		if err := c.check([]byte(stdout)); err != nil {
			t.Errorf("export --format %s: stdout is not the export alone: %v\n%.300s", c.format, err, stdout)
		}
		if !strings.HasPrefix(stderr, "exported ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("export --format %s: stderr = %q; want one summary line", c.format, stderr)
		}
		if c.format == "nquads" && !strings.HasPrefix(stdout, "<") {
			t.Errorf("export --format nquads: stdout starts %.80q", stdout)
		}
	}

	// --out FILE: nothing on stdout, the file equals the stdout export.
	file := filepath.Join(t.TempDir(), "g.graphml")
	want, _, _ := runCLI(t, "export", "--store", store)
	stdout, stderr, err := runCLI(t, "export", "--store", store, "--out", file, "--kinds", "Group,Attack", "--with-centrality", "pagerank,betweenness")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != "" {
		t.Errorf("export --out FILE printed %q on stdout", stdout)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte(`attr.name="pagerank"`)) || !strings.Contains(stderr, file) {
		t.Errorf("export --with-centrality: no pagerank key, or stderr %q lacks the file", stderr)
	}
	if _, _, err := runCLI(t, "export", "--store", store, "--out", file); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != want {
		t.Errorf("export --out FILE differs from export --out -")
	}
}

func TestExportBadFlags(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--format", "dot"}, `format "dot": expected one of graphml`},
		{[]string{"--kinds", "Gruop"}, `kinds "Gruop": expected kinds among`},
		{[]string{"--depth", "2"}, "--depth needs --around"},
		{[]string{"--around", "ISIS-K", "--depth", "-1"}, `depth "-1": expected 0 or more hops`},
		{[]string{"--around", "no such group"}, "no entity with that id, name or alias"},
		{[]string{"--around", "ISIS-K", "--kinds", "Attack"}, `around "ISIS-K": expected an entity the other filters keep`},
		{[]string{"--from", "someday"}, `from "someday": expected a date`},
		{[]string{"--from", "2024-03", "--to", "2023"}, "does not end before"},
		{[]string{"--sources", "source:nowhere"}, `"source:nowhere": expected the id of one of the 8 Sources`},
		{[]string{"--with-centrality", "fame"}, `with-centrality "fame": expected one of degree`},
		{[]string{"--format", "nquads", "--with-centrality", "pagerank"}, `with-centrality "pagerank": expected no scores with nquads`},
		{[]string{"--depht", "2"}, "unknown flag"},
		{[]string{"extra-arg"}, "unknown command"},
	} {
		stdout, _, err := runCLI(t, append([]string{"export", "--store", store}, c.args...)...)
		if err == nil {
			t.Errorf("export %v succeeded", c.args)
			continue
		}
		if code := exitCode(err); code != exitBadInput {
			t.Errorf("export %v: exit code %d (%v); want %d", c.args, code, err, exitBadInput)
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("export %v: error %q; want it to mention %q", c.args, err, c.msg)
		}
		if stdout != "" {
			t.Errorf("export %v printed %q on stdout", c.args, stdout)
		}
	}
}

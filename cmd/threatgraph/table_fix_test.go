package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/internal/tabletest"
)

// TestTableRejectsCarryRow: with --skip-invalid, each rejected row's entry
// in the rejects report holds the row as written in the table.
func TestTableRejectsCarryRow(t *testing.T) {
	tab := tabletest.GTD(gtdHeader(t), 20, 5)
	tab.Set(4, "nkill", "many")
	csvPath := writeTable(t, "gtd.csv", tab.CSV(','))
	raw := strings.Split(strings.TrimRight(string(tab.CSV(',')), "\n"), "\n")
	store := filepath.Join(t.TempDir(), "tg.db")
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	cli(t, "ingest", "--store", store, "--mapping", "gtd", "--skip-invalid", "--rejects", rejects, csvPath)
	data, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	var rej struct {
		Line int    `json:"line"`
		Raw  string `json:"raw"`
	}
	if err := json.Unmarshal(data, &rej); err != nil {
		t.Fatalf("rejects report %s: %v\n%s", rejects, err, data)
	}
	line := tab.Line(4)
	if rej.Line != line || rej.Raw != raw[line-1] {
		t.Errorf("reject: line %d raw %q; want line %d raw %q", rej.Line, rej.Raw, line, raw[line-1])
	}
}

// TestTableGTDYears: GTD's incidents are from 1970 on; the shipped mapping
// refuses iyear 1 (and 1969) at the row's iyear, loading nothing.
func TestTableGTDYears(t *testing.T) {
	for _, year := range []string{"1", "1969"} {
		tab := tabletest.GTD(gtdHeader(t), 5, 9)
		tab.Set(2, "iyear", year)
		csvPath := writeTable(t, "gtd.csv", tab.CSV(','))
		store := filepath.Join(t.TempDir(), "tg.db")
		_, stderr, err := runCLI(t, "ingest", "--store", store, "--mapping", "gtd", csvPath)
		if err == nil || exitCode(err) != exitBadInput {
			t.Fatalf("iyear %s: err %v (exit %d); want exit %d\n%s", year, err, exitCode(err), exitBadInput, stderr)
		}
		if want := csvPath + ":" + strconv.Itoa(tab.Line(2)) + ": iyear: "; !strings.Contains(stderr, want) || !strings.Contains(stderr, "1970") {
			t.Errorf("iyear %s: stderr lacks %q and the range from 1970:\n%s", year, want, stderr)
		}
	}
}

// TestMappingAppliedToNoFile: --mapping with only a native file warns that
// the mapping read nothing, naming the file and how it was read.
func TestMappingAppliedToNoFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "g.yaml")
	if err := os.WriteFile(f, []byte("format: threatgraph/1\nentities:\n  - id: source:m\n    kind: Source\n    title: M\n    source: source:m\n  - id: group:m-cell\n    kind: Group\n    name: M cell\n    source: source:m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCLI(t, "ingest", "--store", filepath.Join(dir, "db"), "--mapping", "gtd", f)
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "--mapping gtd applied to no file") || !strings.Contains(stderr, f) {
		t.Errorf("stderr does not warn that --mapping read no file:\n%s", stderr)
	}
	// A table among the files: no such warning.
	tab := tabletest.GTD(gtdHeader(t), 3, 2)
	_, stderr, err = runCLI(t, "ingest", "--store", filepath.Join(dir, "db2"), "--mapping", "gtd", f, writeTable(t, "gtd.csv", tab.CSV(',')))
	if err != nil || strings.Contains(stderr, "applied to no file") {
		t.Errorf("with a table: err %v, stderr:\n%s", err, stderr)
	}
}

// TestShippedMappingErrorsNameTheFile: an error of a shipped mapping
// (here against a table that lacks its columns) names the shipped file,
// so that the user can find the line.
func TestShippedMappingErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	table := writeTable(t, "t.csv", []byte("id,dead\n1,3\n"))
	_, stderr, err := runCLI(t, "ingest", "--store", filepath.Join(dir, "db"), "--mapping", "acled", table)
	if err == nil {
		t.Fatalf("a table without ACLED's columns loaded:\n%s", stderr)
	}
	if !strings.Contains(stderr, "acled (shipped mapping ingest/table/mappings/acled.yaml):") {
		t.Errorf("stderr does not name the shipped mapping's file:\n%s", stderr)
	}
}

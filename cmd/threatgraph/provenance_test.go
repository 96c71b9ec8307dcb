package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/threatgraph/threatgraph/query"
)

// loadsOfAlias returns, from show ISIS-K --loads --format json, the loads
// named by the evidence of source's statement of alias value.
func loadsOfAlias(t *testing.T, card, value, source string) []string {
	t.Helper()
	var c query.Card
	if err := json.Unmarshal([]byte(card), &c); err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Facts {
		if f.Predicate != "alias" || f.Value.String() != value {
			continue
		}
		for _, e := range f.Evidence {
			if e.Source != source {
				continue
			}
			if e.Loads == nil {
				t.Fatalf("alias %q of %s: no loads field", value, source)
			}
			var ids []string
			for _, l := range e.Loads {
				if l.Time == "" {
					t.Errorf("alias %q of %s: %s without its time", value, source, l.Load)
				}
				ids = append(ids, l.Load)
			}
			return ids
		}
	}
	t.Fatalf("no alias %q of %s on the card", value, source)
	return nil
}

// TestProvenance: after two loads that share a statement (the demo and
// load B restate Reuters' aliases of ISIS-K), show --loads names both for
// it and load B alone for B's own alias; as of load:1, only load:1; after
// retracting load:2, only load:1; after purging load:1, only load:2; and
// without --loads the answer has no loads field.
func TestProvenance(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "history", "b.yaml"))
	show := func(extra ...string) string {
		return cli(t, append([]string{"show", "ISIS-K", "--loads", "--store", store, "--format", "json"}, extra...)...)
	}
	const reuters, wire = "source:reuters-2024-03-25", "source:test-wire-2024-03-26"
	check := func(when, card, value, source string, want ...string) {
		t.Helper()
		if got := loadsOfAlias(t, card, value, source); !slices.Equal(got, want) {
			t.Errorf("%s: alias %q of %s brought by %v, want %v", when, value, source, got, want)
		}
	}
	now := show()
	check("after two loads", now, "ISIS-K", reuters, "load:1", "load:2")
	check("after two loads", now, "IS-Khorasan", wire, "load:2")
	check("after two loads", now, "IS-K", "source:bbc-2024-03-25-gardner", "load:1")
	check("as of load:1", show("--as-of", "load:1"), "ISIS-K", reuters, "load:1")
	if plain := cli(t, "show", "ISIS-K", "--store", store, "--format", "json"); regexp.MustCompile(`"loads"`).MatchString(plain) {
		t.Error("show without --loads answers loads")
	}

	cli(t, "retract", "load:2", "--reason", "test", "--store", store)
	check("after retracting load:2", show(), "ISIS-K", reuters, "load:1")
	cli(t, "retract", "--undo", "retraction:1", "--reason", "test", "--store", store)
	cli(t, "purge", "load:1", "--reason", "test", "--yes", "--store", store)
	check("after purging load:1", show(), "ISIS-K", reuters, "load:2")
}

// TestShowLoadsGolden pins show ISIS-K --loads and contested --loads
// (--format json) after the demo and load B to testdata/show-loads-isis-k.json
// and testdata/contested-loads.json, with the times (which vary from run
// to run) replaced by a placeholder; the HTTP routes with loads=true
// answer the same bytes; -update rewrites the files.
func TestShowLoadsGolden(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "history", "b.yaml"))
	cases := []struct {
		file, path string
		args       []string
	}{
		{"show-loads-isis-k.json", "/v1/entities/ISIS-K?loads=true", []string{"show", "ISIS-K", "--loads"}},
		{"contested-loads.json", "/v1/contested?loads=true", []string{"contested", "--loads"}},
	}
	answers := map[string]string{}
	for _, c := range cases {
		answers[c.file] = cli(t, append(c.args, "--store", store, "--format", "json")...)
	}
	ts := serveStore(t, store, "")
	times := regexp.MustCompile(`"time": "[^"]*"`)
	for _, c := range cases {
		got := answers[c.file]
		resp, err := ts.Client().Get(ts.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != got {
			t.Errorf("GET %s: %d, differs from the CLI's:\n%s", c.path, resp.StatusCode, firstDiff(string(body), got))
		}
		got = times.ReplaceAllString(got, `"time": "(time)"`)
		file := filepath.Join("testdata", c.file)
		if *updateGolden {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s:\n%s", c.args, file, firstDiff(got, string(want)))
		}
	}
}

// TestProvenanceOfRelationSides: load C denies what load B states; the
// relation point of contested --loads names load B for the side that
// states it and load C for the side that negates it.
func TestProvenanceOfRelationSides(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "history", "b.yaml"))
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "history", "c.yaml"))
	var dis []query.Disagreement
	if err := json.Unmarshal([]byte(cli(t, "contested", "--loads", "--store", store, "--format", "json")), &dis); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{query.StanceStates: "load:2", query.StanceNegates: "load:3"}
	found := 0
	for _, d := range dis {
		if d.Kind != query.KindRelation || d.Subject != "person:dalerdzhon-mirzoyev" || d.Object != "group:test-cell" {
			continue
		}
		for _, sd := range d.Sides {
			for _, e := range sd.Evidence {
				found++
				if len(e.Loads) != 1 || e.Loads[0].Load != want[sd.Stance] {
					t.Errorf("side %s, %s: loads %v, want %s", sd.Stance, e.Source, e.Loads, want[sd.Stance])
				}
			}
		}
	}
	if found != 2 {
		t.Errorf("the relation point has %d evidences, want 2 (one per side)", found)
	}
}

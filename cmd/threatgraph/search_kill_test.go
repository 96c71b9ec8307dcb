package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/internal/textindex"
)

// TestSearchIndexKilled kills `search` (kill -9) at random moments while it
// rebuilds the full-text index after a load, and checks that each time the
// store's directory holds a complete index (stamped) or none, and that the
// next search finds the new text and leaves no temporary directory.
func TestSearchIndexKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it 10 times")
	}
	bin := buildBinary(t)
	more := filepath.Join(t.TempDir(), "more.yaml")
	if err := os.WriteFile(more, []byte(`format: threatgraph/1
sources:
  - id: source:extra
    publisher: Extra
entities:
  - id: group:extra
    kind: Group
    name: Extra Group
    source: source:extra
    facts:
      - source: source:extra
        quote: "a cell nicknamed the zebrafinch network"
        description: "known as the zebrafinch network"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("threatgraph %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var complete, none int
	for i := range 10 {
		store := filepath.Join(t.TempDir(), "db")
		run("demo", "--store", store, "--quiet")
		run("search", "hit team", "--store", store) // the index of the built-in data
		run("ingest", more, "--store", store)
		cmd := exec.Command(bin, "search", "zebrafinch", "--store", store)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		switch _, err := os.Stat(filepath.Join(store, textindex.Name)); {
		case err == nil:
			if _, err := os.Stat(filepath.Join(store, textindex.Name, "stamp")); err != nil {
				t.Errorf("kill %d: %s in place without its stamp: %v", i, textindex.Name, err)
			}
			complete++
		case os.IsNotExist(err):
			none++
		default:
			t.Fatal(err)
		}
		if out := run("search", "zebrafinch", "--store", store, "--format", "json"); !strings.Contains(out, `"text": "a cell nicknamed the zebrafinch network"`) {
			t.Errorf("kill %d: search after the kill:\n%s\nwant the new quote", i, out)
		}
		left, _ := filepath.Glob(filepath.Join(store, textindex.Name+".*"))
		if len(left) > 0 {
			t.Errorf("kill %d: %v left after the next search", i, left)
		}
	}
	t.Logf("10 kills: %d left a complete index, %d none", complete, none)
}

// TestSearchIndexKilledDuringLoad kills `ingest` (kill -9) at random
// moments of a load of 90k quads into a store whose full-text index is
// built, and checks that the store opens, the load either landed whole
// (listed by `loads`, its quads counted) or not at all, and search answers
// as the store is: the load's quote is found exactly when the load landed,
// never a stale index.
func TestSearchIndexKilledDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it 6 times")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.nq")
	var b strings.Builder
	b.WriteString("<source:killtest> <rdf:type> <tg:Source> <source:killtest> .\n")
	for i := range 30_000 {
		fmt.Fprintf(&b, "<group:k%d> <rdf:type> <tg:Group> <source:killtest> .\n<group:k%d> <tg:name> \"Kill Group %d\" <source:killtest> .\n", i, i, i)
	}
	b.WriteString("<group:k7> <tg:description> \"a cell nicknamed the zebrafinch network\" <source:killtest> .\n")
	if err := os.WriteFile(big, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("threatgraph %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	quads := func(store string) int {
		t.Helper()
		var st struct{ Quads int }
		if err := json.Unmarshal([]byte(run("stats", "--store", store, "--format", "json")), &st); err != nil {
			t.Fatal(err)
		}
		return st.Quads
	}
	base := filepath.Join(dir, "base")
	run("demo", "--store", base, "--quiet")
	before := quads(base)

	// How long a whole load takes here, to kill within it.
	whole := filepath.Join(dir, "whole")
	run("demo", "--store", whole, "--quiet")
	start := time.Now()
	run("ingest", big, "--store", whole, "--quiet")
	took := time.Since(start)
	after := quads(whole)

	rng := rand.New(rand.NewPCG(5, 6))
	var landed, not int
	for i := range 6 {
		store := filepath.Join(dir, fmt.Sprintf("s%d", i))
		run("demo", "--store", store, "--quiet")
		run("search", "hit team", "--store", store) // builds the index
		cmd := exec.Command(bin, "ingest", big, "--store", store, "--quiet")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// From a third of the load's time to twice it: some kills land
		// before the commit, some about it, some after the end.
		time.Sleep(took/3 + time.Duration(rng.Int64N(int64(took)*5/3)))
		_ = cmd.Process.Kill()
		_ = cmd.Wait()

		var h struct{ Loads []struct{ ID string } }
		if err := json.Unmarshal([]byte(run("loads", "--store", store, "--format", "json")), &h); err != nil {
			t.Fatalf("kill %d: loads: %v", i, err)
		}
		loads := h.Loads
		n := quads(store)
		hit := strings.Contains(run("search", "zebrafinch", "--store", store, "--format", "json"), "a cell nicknamed the zebrafinch network")
		switch len(loads) {
		case 1:
			not++
			if n != before || hit {
				t.Errorf("kill %d: the load did not land, yet %d quads (want %d) and the quote found: %v", i, n, before, hit)
			}
		case 2:
			landed++
			if n != after || !hit {
				t.Errorf("kill %d: the load landed, yet %d quads (want %d) and the quote found: %v", i, n, after, hit)
			}
		default:
			t.Errorf("kill %d: %d loads listed; want 1 or 2", i, len(loads))
		}
	}
	t.Logf("6 kills within %v: %d loads landed whole, %d not at all", took, landed, not)
}

package main

import (
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

package main

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/graph"
)

// TestPurgeKilledLeavesAllOrNothing kills `purge load:1` at random moments
// (kill -9) and checks that each time the store holds exactly what it held
// before with no purge recorded, or exactly what a completed purge leaves
// with its record: the delete, the scrub of cayley's entries, the
// history's hashes and the record are one bbolt transaction. Then the
// purge, run again, completes (or is refused as done).
func TestPurgeKilledLeavesAllOrNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it 15 times")
	}
	bin := buildBinary(t)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("threatgraph %v: %v", args, err)
		}
		return string(out)
	}
	tmpl := filepath.Join(t.TempDir(), "tmpl")
	run("demo", "--store", tmpl, "--quiet")
	run("ingest", "--store", tmpl, "--quiet", filepath.Join("testdata", "history", "b.yaml"))
	copyStore := func(dst string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(tmpl, "indexes.bolt"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, "indexes.bolt"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	export := func(dir string) string { return run("export", "--format", "nquads", "--store", dir, "--quiet") }
	purges := func(dir string) int {
		var h graph.History
		if err := json.Unmarshal([]byte(run("loads", "--store", dir, "--format", "json")), &h); err != nil {
			t.Fatal(err)
		}
		return len(h.Purges)
	}
	before := export(tmpl)
	done := filepath.Join(t.TempDir(), "done")
	copyStore(done)
	run("purge", "load:1", "--reason", "test", "--yes", "--store", done)
	after := export(done)
	if after == before {
		t.Fatal("the purge changed nothing; the test proves nothing")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var whole, none int
	for i := range 15 {
		dir := filepath.Join(t.TempDir(), "db")
		copyStore(dir)
		cmd := exec.Command(bin, "purge", "load:1", "--reason", "test", "--yes", "--store", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(250)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		switch got, n := export(dir), purges(dir); {
		case got == before && n == 0:
			none++
			run("purge", "load:1", "--reason", "again", "--yes", "--store", dir)
		case got == after && n == 1:
			whole++
		default:
			t.Fatalf("kill %d: the store holds neither the quads before the purge nor after it (%d purges recorded)\n%s", i, n, firstDiff(got, after))
		}
		if got := export(dir); got != after {
			t.Errorf("kill %d: after completing the purge:\n%s", i, firstDiff(got, after))
		}
	}
	t.Logf("15 kills: %d left the purge done, %d not begun", whole, none)
}

// TestPurgeAsksOnATerminal runs purge without --yes on a terminal (a
// pseudo-terminal from script(1)): an answer other than yes purges
// nothing (exit 2), yes purges.
func TestPurgeAsksOnATerminal(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1), which gives the command a terminal, is not installed")
	}
	bin := buildBinary(t)
	store := filepath.Join(t.TempDir(), "tg.db")
	if out, err := exec.Command(bin, "demo", "--store", store, "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	before := storeCount(t, store)
	purge := func(answer string) (string, int) {
		t.Helper()
		cmd := exec.Command(scriptBin, "-qec", bin+" purge source:reuters-2024-03-25 --reason test --store "+store, "/dev/null")
		cmd.Stdin = strings.NewReader(answer)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("script: %v\n%s", err, out)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := purge("no\n")
	if code != exitBadInput || !strings.Contains(out, "Type yes to purge") || !strings.Contains(out, "nothing purged") {
		t.Errorf("answering no: exit %d\n%s", code, out)
	}
	if n := storeCount(t, store); n != before {
		t.Errorf("answering no: %d quads, want %d", n, before)
	}
	out, code = purge("yes\n")
	if code != 0 || !strings.Contains(out, "purge:1: purged source") {
		t.Errorf("answering yes: exit %d\n%s", code, out)
	}
	if n := storeCount(t, store); n >= before {
		t.Errorf("answering yes: %d quads, want fewer than %d", n, before)
	}
}

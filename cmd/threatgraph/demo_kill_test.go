package main

import (
	"errors"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/graph"
)

// TestDemoKilledLeavesAllOrNothing kills `demo` at random moments (kill -9)
// and checks that each time the store holds the whole built-in dataset or
// nothing of it: one load is one transaction. Before, each of its eight
// files was its own transaction, and a kill between two left attacks whose
// groups, places and sources did not exist.
func TestDemoKilledLeavesAllOrNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it 20 times")
	}
	bin := buildBinary(t)
	full := filepath.Join(t.TempDir(), "full")
	if out, err := exec.Command(bin, "demo", "--store", full).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	want := quadsIn(t, full)
	rng := rand.New(rand.NewPCG(1, 2))
	var whole, empty int
	for i := range 20 {
		dir := filepath.Join(t.TempDir(), "db")
		cmd := exec.Command(bin, "demo", "--store", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(600)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		switch n := quadsIn(t, dir); n {
		case want:
			whole++
		case 0:
			empty++
		default:
			t.Errorf("kill %d: the store holds %d quads; want all %d or none", i, n, want)
		}
		// Running it again completes the load.
		if out, err := exec.Command(bin, "demo", "--store", dir).CombinedOutput(); err != nil {
			t.Fatalf("kill %d: demo after the kill: %v\n%s", i, err, out)
		}
		if n := quadsIn(t, dir); n != want {
			t.Errorf("kill %d: after a second demo the store holds %d quads; want %d", i, n, want)
		}
		if out, err := exec.Command(bin, "show", "ISIS-K", "--store", dir).CombinedOutput(); err != nil || !strings.Contains(string(out), "Khorasan") {
			t.Errorf("kill %d: show ISIS-K after the second demo: %v\n%s", i, err, out)
		}
	}
	t.Logf("20 kills: %d left the whole dataset, %d an empty store or none", whole, empty)
}

// quadsIn counts the quads of the store at dir, 0 if there is none.
func quadsIn(t *testing.T, dir string) int64 {
	t.Helper()
	s, err := graph.Open(t.Context(), graph.Options{Path: dir, MustExist: true}, nil)
	if err != nil {
		if errors.Is(err, graph.ErrNoStore) {
			return 0
		}
		t.Fatalf("opening %s after a kill: %v", dir, err)
	}
	defer s.Close()
	n, err := s.Count(t.Context())
	if err != nil {
		t.Fatalf("counting %s: %v", dir, err)
	}
	return n
}

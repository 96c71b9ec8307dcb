package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/testkg"
)

// genStore writes a generated graph into a new bbolt store (the bulk path)
// and returns its path and quad count.
func genStore(t *testing.T, nodes, edges int) (string, int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	s, err := graph.Open(t.Context(), graph.Options{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(t.Context(), testkg.Quads(nodes, edges, 50, 1)); err != nil {
		t.Fatal(err)
	}
	n, err := s.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, n
}

// buildBinary builds the threatgraph binary once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "threatgraph")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// storeCount opens the store at path and returns its quad count.
func storeCount(t *testing.T, path string) int64 {
	t.Helper()
	s, err := graph.Open(t.Context(), graph.Options{Path: path, MustExist: true}, nil)
	if err != nil {
		t.Fatalf("reopening the store after the interrupt: %v", err)
	}
	defer s.Close()
	n, err := s.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// interrupt starts bin with args, sends sig after wait, and returns the
// exit code, stderr and how long the process took to exit after the
// signal. It fails the test if the process ended before the signal.
func interrupt(t *testing.T, bin string, wait time.Duration, sig os.Signal, args ...string) (code int, stderr string, after time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("%v ended before the signal (%v): the test graph is too small\n%s", args, err, errOut.String())
	case <-time.After(wait):
	}
	sent := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v still running 10 s after %v", args, sig)
	}
	return cmd.ProcessState.ExitCode(), errOut.String(), time.Since(sent)
}

// TestSignalStopsAnalytics interrupts communities (gonum's Louvain) and
// closeness (one BFS per node) on a generated store of 500k quads, where
// each runs for minutes: the kernels must see the cancelled context and
// return well within the 1.5 s after which main would exit regardless, and
// the store must be unchanged.
func TestSignalStopsAnalytics(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 500k-quad store")
	}
	path, n := genStore(t, 100_000, 400_000)
	bin := buildBinary(t)
	// Build the view snapshot first, so that the signal lands in the kernel.
	if out, err := exec.Command(bin, "centrality", "--measure", "degree", "--store", path).CombinedOutput(); err != nil {
		t.Fatalf("centrality --measure degree: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		sig  os.Signal
		code int
	}{
		{[]string{"communities"}, os.Interrupt, 130},
		{[]string{"centrality", "--measure", "closeness"}, syscall.SIGTERM, 143},
		{[]string{"centrality", "--measure", "harmonic"}, os.Interrupt, 130},
	} {
		code, stderr, after := interrupt(t, bin, time.Second, tc.sig, append(tc.args, "--store", path)...)
		if code != tc.code {
			t.Errorf("%v: exit code %d after %v; want %d\n%s", tc.args, code, tc.sig, tc.code, stderr)
		}
		if after > 1400*time.Millisecond {
			t.Errorf("%v: exited %v after the signal; want the kernel to stop before the 1.5 s forced exit", tc.args, after)
		}
		if !strings.Contains(stderr, "interrupted; the store is unchanged") {
			t.Errorf("%v: stderr %q lacks the interruption message", tc.args, stderr)
		}
		if strings.Contains(stderr, "context canceled") {
			t.Errorf("%v: stderr %q shows the raw context error", tc.args, stderr)
		}
		if got := storeCount(t, path); got != n {
			t.Errorf("%v: store holds %d quads after the interrupt; want %d", tc.args, got, n)
		}
	}
}

// TestSignalDuringIngest interrupts an ingest of a large N-Quads file
// into a non-empty store (cayley's write path, one transaction nothing can
// interrupt): the process must exit within 3 s with 130, say honestly
// what may have happened, and leave the store with none or all of the file.
func TestSignalDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large store")
	}
	bin := buildBinary(t)
	nq := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(nq, genNative(60_000), 0o644); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "whole")
	if out, err := exec.Command(bin, "ingest", "--store", src, nq).CombinedOutput(); err != nil {
		t.Fatalf("ingest into an empty store: %v\n%s", err, out)
	}
	dst := filepath.Join(t.TempDir(), "db")
	if out, err := exec.Command(bin, "demo", "--store", dst).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	before := storeCount(t, dst)
	code, stderr, after := interrupt(t, bin, time.Second, os.Interrupt, "ingest", "--store", dst, nq)
	if code != 130 {
		t.Errorf("exit code %d; want 130\n%s", code, stderr)
	}
	if after > 3*time.Second {
		t.Errorf("exited %v after SIGINT; want within 3 s", after)
	}
	got := storeCount(t, dst)
	whole := storeCount(t, src) // the file's quads, none of which the demo holds (its sources are new too)
	switch {
	case got == before:
		if !strings.Contains(stderr, "interrupted") {
			t.Errorf("stderr %q lacks the interruption message", stderr)
		}
	case got == before+whole:
		if !strings.Contains(stderr, "either landed whole or not at all") {
			t.Errorf("the write landed but stderr %q does not say it may have", stderr)
		}
	default:
		t.Errorf("store holds %d quads: neither %d (none) nor %d (all)", got, before, before+whole)
	}
}

// TestSignalDuringExport interrupts export --out FILE: no partial file
// and no temporary file may be left.
func TestSignalDuringExport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large store")
	}
	path, n := genStore(t, 100_000, 400_000)
	bin := buildBinary(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "g.graphml")
	code, stderr, _ := interrupt(t, bin, time.Second, os.Interrupt, "export", "--format", "graphml", "--store", path, "--with-centrality", "closeness", "--out", out)
	if code != 130 {
		t.Errorf("exit code %d; want 130\n%s", code, stderr)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("interrupted export left %s", e.Name())
	}
	if got := storeCount(t, path); got != n {
		t.Errorf("store holds %d quads; want %d", got, n)
	}
}

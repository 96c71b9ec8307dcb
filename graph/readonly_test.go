package graph_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
)

// newStore creates a bbolt store at dir holding quads() and closes it.
func newStore(t *testing.T, dir string) {
	t.Helper()
	s, err := graph.Open(t.Context(), graph.Options{Path: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(t.Context(), quads()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyOpens: two read-only opens at once succeed and read; a write
// through one fails with ErrReadOnly and says nothing was written; a reader
// refused by a writer that set a serving note is told the URL; a writer
// refused by a reader fails at once. Before the fix every Open took an
// exclusive lock, so the second reader was refused.
func TestReadOnlyOpens(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "db")
	newStore(t, dir)
	r1, err := graph.Open(ctx, graph.Options{Path: dir, ReadOnly: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := graph.Open(ctx, graph.Options{Path: dir, ReadOnly: true}, nil)
	if err != nil {
		t.Fatalf("second read-only open: %v", err)
	}
	for _, r := range []*graph.Store{r1, r2} {
		if n := len(scanAll(t, r)); n != len(quads()) {
			t.Errorf("reader sees %d quads; want %d", n, len(quads()))
		}
	}
	_, err = r1.Write(ctx, fresh("ro", 3))
	var we *graph.WriteError
	if !errors.Is(err, graph.ErrReadOnly) || !errors.As(err, &we) || we.Written {
		t.Errorf("write to a read-only store: %v; want ErrReadOnly, nothing written", err)
	}
	start := time.Now()
	_, err = graph.Open(ctx, graph.Options{Path: dir}, nil)
	if !errors.Is(err, graph.ErrLocked) || time.Since(start) > time.Second {
		t.Errorf("writer open while readers hold the store: %v after %v; want ErrLocked at once", err, time.Since(start))
	}
	if err := errors.Join(r1.Close(), r2.Close()); err != nil {
		t.Fatal(err)
	}
	if n := len(scanAllOpen(t, dir)); n != len(quads()) {
		t.Errorf("after the readers closed: %d quads; want %d", n, len(quads()))
	}

	w, err := graph.Open(ctx, graph.Options{Path: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.SetHolderNote("serving http://127.0.0.1:8080"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	_, err = graph.Open(ctx, graph.Options{Path: dir, ReadOnly: true}, nil)
	if !errors.Is(err, graph.ErrLocked) || time.Since(start) > time.Second {
		t.Fatalf("reader open while a writer holds the store: %v after %v; want ErrLocked at once", err, time.Since(start))
	}
	for _, want := range []string{dir, "pid ", "query it over HTTP at http://127.0.0.1:8080, or stop it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	_, err = graph.Open(ctx, graph.Options{Path: dir}, nil)
	if err == nil || !strings.Contains(err.Error(), "threatgraph ingest --server http://127.0.0.1:8080") {
		t.Errorf("writer refused by a server: %v; want the server's URL for ingest", err)
	}
}

func scanAllOpen(t *testing.T, dir string) []string {
	t.Helper()
	s, err := graph.Open(t.Context(), graph.Options{Path: dir, ReadOnly: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return scanAll(t, s)
}

// TestReadOnlyDirectory reads a store in a directory the reader cannot
// write (as an unprivileged uid in a child process: root bypasses the
// permission check), with and without a lock file. Before the fix Open
// created the lock file and opened bbolt read-write, and failed.
func TestReadOnlyDirectory(t *testing.T) {
	if dir := os.Getenv("TG_READ_STORE"); dir != "" {
		s, err := graph.Open(t.Context(), graph.Options{Path: dir, ReadOnly: true}, nil)
		if err != nil {
			os.Stdout.WriteString("open: " + err.Error())
			os.Exit(3)
		}
		var n int
		if err := s.Scan(t.Context(), func(quad.Quad) error { n++; return nil }); err != nil || n != len(quads()) {
			os.Stdout.WriteString("scan: " + errString(err))
			os.Exit(4)
		}
		if _, err := s.Write(t.Context(), quads()); !errors.Is(err, graph.ErrReadOnly) {
			os.Stdout.WriteString("write: " + errString(err))
			os.Exit(5)
		}
		if err := s.Close(); err != nil {
			os.Stdout.WriteString("close: " + err.Error())
			os.Exit(6)
		}
		os.Stdout.WriteString("ok")
		os.Exit(0)
	}
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED: needs root to run the reader as another, unprivileged uid")
	}
	// A place the unprivileged uid can reach: a world-readable directory
	// holding a copy of this test binary and the store.
	top, err := os.MkdirTemp("", "tg-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(top, "db"), 0o755); os.RemoveAll(top) })
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(top, "graph.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(top, "db")
	newStore(t, dir)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	run := func(name string) {
		cmd := exec.Command(bin, "-test.run=^TestReadOnlyDirectory$")
		cmd.Env = append(os.Environ(), "TG_READ_STORE="+dir)
		cmd.Dir = top
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.Output()
		if err != nil && strings.Contains(err.Error(), "permission denied") {
			t.Skipf("SKIPPED: cannot run the test binary as uid 65534: %v", err)
		}
		if err != nil || string(out) != "ok" {
			t.Errorf("%s: reader as uid 65534: %v: %s", name, err, out)
		}
	}
	run("with a lock file")
	os.Chmod(dir, 0o755)
	if err := os.Remove(filepath.Join(dir, "threatgraph.lock")); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o555)
	run("without a lock file")
	if _, err := os.Stat(filepath.Join(dir, "threatgraph.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the reader created a lock file in a read-only directory (%v)", err)
	}
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

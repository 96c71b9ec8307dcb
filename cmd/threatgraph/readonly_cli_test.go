package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadOnlyStoreAnswers: a store the user may read but not write (here
// a directory of mode 0555 read by uid 65534) answers every read-only
// command; the analytics verbs build their view without saving its
// snapshot instead of failing ("saving view snapshot: permission denied").
func TestReadOnlyStoreAnswers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the binary as another uid; run as root (CI does) to check reading a store without write permission")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	for d := dir; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "threatgraph")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	store := filepath.Join(dir, "tg.db")
	if out, err := exec.Command(bin, "demo", "--store", store).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	// No snapshot yet, so the analytics verbs must build the view.
	_ = os.Remove(filepath.Join(store, "view.snapshot"))
	err := filepath.WalkDir(store, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o555)
		}
		return os.Chmod(p, 0o444)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(store, 0o755) })
	for _, args := range [][]string{
		{"stats"}, {"show", "ISIS-K"}, {"centrality", "--top", "3"}, {"preceded"}, {"export", "--format", "graphml", "--with-centrality", "pagerank", "--out", "-"},
	} {
		cmd := exec.Command(bin, append(args, "--store", store)...)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s as uid 65534 on a read-only store: %v\n%s", strings.Join(args, " "), err, out)
			continue
		}
		if strings.Contains(string(out), "permission denied") {
			t.Errorf("%s warns of permission: %s", strings.Join(args, " "), out)
		}
	}
	// A write is refused with a message that says why, and nothing changes.
	in := filepath.Join(dir, "more.yaml")
	if err := os.WriteFile(in, []byte("sources:\n  - id: source:ro\n    publisher: RO\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "ingest", "--store", store, in)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "may not write in") {
		t.Errorf("ingest as uid 65534 into a read-only store: %v\n%s; want a refusal saying the user may not write there", err, out)
	}
	if _, err := os.Stat(filepath.Join(store, "view.snapshot")); err == nil {
		t.Error("a snapshot appeared in the read-only store")
	}
}

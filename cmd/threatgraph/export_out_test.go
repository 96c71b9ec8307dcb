package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func demoStore(t *testing.T) string {
	t.Helper()
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	return store
}

// TestExportOutFIFO: --out a named pipe writes into the pipe, whose reader
// gets the export, and the pipe stays a pipe (it used to be replaced by a
// regular file and the reader got nothing).
func TestExportOutFIFO(t *testing.T) {
	store := demoStore(t)
	want, _, err := runCLI(t, "export", "--store", store, "--format", "nquads")
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the writer opens
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	if _, stderr, err := runCLI(t, "export", "--store", store, "--format", "nquads", "--out", fifo); err != nil {
		t.Fatalf("export --out FIFO: %v\n%s", err, stderr)
	}
	select {
	case g := <-got:
		if g != want {
			t.Errorf("the FIFO's reader got %d bytes; want the %d of the export", len(g), len(want))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the FIFO's reader got nothing in 10 s (was the FIFO replaced?)")
	}
	fi, err := os.Lstat(fifo)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("after export --out FIFO it is %v; want a named pipe", fi.Mode())
	}
}

// TestExportOutDevNull: --out /dev/null leaves it a character device
// (as root it used to become a regular file). Only meaningful as root: a
// user cannot replace /dev/null anyway.
func TestExportOutDevNull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root could replace /dev/null")
	}
	before, err := os.Stat("/dev/null")
	if err != nil || before.Mode()&os.ModeCharDevice == 0 {
		t.Skipf("/dev/null is not a character device here (%v)", err)
	}
	store := demoStore(t)
	if _, stderr, err := runCLI(t, "export", "--store", store, "--out", "/dev/null"); err != nil {
		t.Fatalf("export --out /dev/null: %v\n%s", err, stderr)
	}
	after, err := os.Stat("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	if after.Mode()&os.ModeCharDevice == 0 || !os.SameFile(before, after) {
		t.Fatalf("/dev/null is now %v (was %v)", after.Mode(), before.Mode())
	}
	if ents, _ := filepath.Glob("/dev/.null.tmp*"); len(ents) > 0 {
		t.Errorf("export left %v in /dev", ents)
	}
}

// TestExportOutSymlink: --out a symlink to a regular file replaces the
// target's content and keeps the link a link; the target's directory
// holds no temporary file afterwards.
func TestExportOutSymlink(t *testing.T) {
	store := demoStore(t)
	want, _, err := runCLI(t, "export", "--store", store, "--format", "nquads")
	if err != nil {
		t.Fatal(err)
	}
	targetDir, linkDir := t.TempDir(), t.TempDir()
	target := filepath.Join(targetDir, "real.nq")
	if err := os.WriteFile(target, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(linkDir, "link.nq")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runCLI(t, "export", "--store", store, "--format", "nquads", "--out", link); err != nil {
		t.Fatalf("export --out symlink: %v\n%s", err, stderr)
	}
	fi, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("--out symlink: the link became %v; want it kept", fi.Mode())
	}
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("the link's target holds %d bytes; want the %d of the export", len(b), len(want))
	}
	for _, d := range []string{targetDir, linkDir} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp") {
				t.Errorf("temporary file %s left in %s", e.Name(), d)
			}
		}
	}
}

// TestExportOutKeepsMode: an export replacing a file keeps that file's
// permissions (an 0600 file of intelligence data used to become 0644),
// and a dangling symlink is written through, creating its target (it used
// to be replaced by a regular file).
func TestExportOutKeepsMode(t *testing.T) {
	store := demoStore(t)
	dir := t.TempDir()
	private := filepath.Join(dir, "private.json")
	if err := os.WriteFile(private, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runCLI(t, "export", "--store", store, "--format", "json", "--out", private); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	if fi, err := os.Stat(private); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() < 100 {
		t.Errorf("replaced file: %v %v; want mode 0600 and the export", fi.Mode(), err)
	}
	fresh := filepath.Join(dir, "fresh.json")
	if _, _, err := runCLI(t, "export", "--store", store, "--format", "json", "--out", fresh); err != nil {
		t.Fatal(err)
	}
	mask := syscall.Umask(0)
	syscall.Umask(mask)
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != os.FileMode(0o666&^mask) {
		t.Errorf("new file: %v %v; want mode %v (0666 less the umask)", fi.Mode(), err, os.FileMode(0o666&^mask))
	}
	// A new file under umask 077 is private, as os.Create would make it.
	old := syscall.Umask(0o077)
	private2 := filepath.Join(dir, "private2.json")
	_, _, err := runCLI(t, "export", "--store", store, "--format", "json", "--out", private2)
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(private2); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("new file under umask 077: %v %v; want 0600", fi.Mode(), err)
	}
	link := filepath.Join(dir, "lnk.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runCLI(t, "export", "--store", store, "--format", "json", "--out", link); err != nil {
		t.Fatalf("export --out a dangling link: %v\n%s", err, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the dangling link became %v (%v); want it kept", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "real.json")); err != nil || fi.Size() < 100 {
		t.Errorf("the link's target was not created with the export: %v", err)
	}
}

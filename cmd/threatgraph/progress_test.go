package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// barRE matches what a progress bar draws: a percentage or a spinner's
// elapsed time in brackets.
var barRE = regexp.MustCompile(`\d+%|\[\d+m?s\]`)

// TestProgressNotOnPipes runs demo, an analytics verb and export in
// process, with stdout and stderr buffers (not terminals), on the demo
// store and on a generated one on which each runs for longer than
// progressDelay: stderr holds only the normal messages, and no bar, so
// scripts and logs stay clean.
func TestProgressNotOnPipes(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	out := filepath.Join(t.TempDir(), "g.graphml")
	runs := [][]string{
		{"demo", "--store", store},
		{"centrality", "--store", store},
		{"export", "--format", "graphml", "--store", store, "--out", out},
		{"export", "--format", "nquads", "--store", store},
	}
	if !testing.Short() {
		big, _ := genStore(t, 40_000, 160_000)
		runs = append(runs,
			[]string{"centrality", "--measure", "degree", "--store", big},
			[]string{"export", "--format", "graphml", "--store", big, "--out", out},
			[]string{"export", "--format", "nquads", "--store", big, "--out", out},
		)
	}
	for _, args := range runs {
		start := time.Now()
		stdout, stderr, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		t.Logf("%v took %v", args, time.Since(start))
		if args[0] == "export" {
			// The one-line summary, and nothing else.
			if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "exported ") {
				t.Errorf("%v: stderr %q; want the summary line alone", args, stderr)
			}
		} else if stderr != "" {
			t.Errorf("%v: stderr %q; want nothing", args, stderr)
		}
		for name, s := range map[string]string{"stdout": stdout, "stderr": stderr} {
			if strings.ContainsAny(s, "\r\x1b") || strings.Contains(s, "exporting") || strings.Contains(s, "building the analytics view") {
				t.Errorf("%v: %s holds progress output: %q", args, name, s)
			}
		}
	}
}

// runOnTerminal runs bin with stderr on a pseudo-terminal and stdout on a
// pipe, and returns both, and the exit error.
func runOnTerminal(t *testing.T, bin string, args ...string) (stdout, tty string, err error) {
	t.Helper()
	ptmx, tt, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = tt
	if err := cmd.Start(); err != nil {
		tt.Close()
		t.Fatal(err)
	}
	tt.Close()
	var buf bytes.Buffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		// Reading the master ends with EIO once the child has exited
		// and closed its end.
		_, cerr := io.Copy(&buf, ptmx)
		if cerr != nil && !errors.Is(cerr, syscall.EIO) && !errors.Is(cerr, os.ErrClosed) {
			t.Errorf("reading the terminal: %v", cerr)
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v still running after 2 minutes", args)
	}
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		t.Fatalf("%v: the terminal was not closed after the process exited", args)
	}
	return out.String(), buf.String(), err
}

// TestProgressOnTerminal runs the built binary with stderr on a
// pseudo-terminal, on a store large enough that an export takes about a
// second: the terminal shows the export's bar (its description and a
// percentage) and the view build's, the bar is erased before the summary
// line, stdout gets none of it, and with --quiet the terminal shows the
// summary alone.
func TestProgressOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large store")
	}
	path, _ := genStore(t, 100_000, 400_000)
	bin := buildBinary(t)
	dir := t.TempDir()

	out := filepath.Join(dir, "g.graphml")
	start := time.Now()
	stdout, tty, err := runOnTerminal(t, bin, "export", "--format", "graphml", "--store", path, "--out", out)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("export: %v\n%q", err, tty)
	}
	t.Logf("export took %v; terminal: %q", took, lastBytes(tty, 400))
	if !strings.Contains(tty, "exporting") || !barRE.MatchString(tty) {
		t.Errorf("terminal lacks the export's progress bar: %q", lastBytes(tty, 600))
	}
	// The summary starts on a line the bar no longer holds: the last
	// carriage return before it is followed by blanks only.
	i := strings.LastIndex(tty, "exported ")
	if i < 0 {
		t.Fatalf("terminal lacks the summary: %q", lastBytes(tty, 600))
	}
	if j := strings.LastIndex(tty[:i], "\r"); j >= 0 && strings.TrimSpace(tty[j+1:i]) != "" {
		t.Errorf("the bar was not erased before the summary: %q", tty[j:i])
	}
	if strings.Contains(tty[i:], "exporting") {
		t.Errorf("the bar is drawn after the summary: %q", tty[i:])
	}
	if stdout != "" {
		t.Errorf("stdout %q; want nothing (the export goes to --out)", stdout)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Errorf("export wrote no file: %v", err)
	}

	// The view build: centrality on a store without a snapshot.
	tty2 := ""
	{
		vpath, _ := genStore(t, 100_000, 400_000)
		_, tty2, err = runOnTerminal(t, bin, "centrality", "--measure", "degree", "--store", vpath)
		if err != nil {
			t.Fatalf("centrality: %v\n%q", err, tty2)
		}
		if !strings.Contains(tty2, "building the analytics view") || !barRE.MatchString(tty2) {
			t.Errorf("terminal lacks the view build's progress bar: %q", lastBytes(tty2, 600))
		}
	}

	// --quiet: the summary alone.
	stdout, tty, err = runOnTerminal(t, bin, "export", "--quiet", "--format", "graphml", "--store", path, "--out", filepath.Join(dir, "q.graphml"))
	if err != nil {
		t.Fatalf("export --quiet: %v\n%q", err, tty)
	}
	if strings.Contains(tty, "exporting") || barRE.MatchString(tty) || strings.Contains(tty, "\r\x1b") {
		t.Errorf("export --quiet drew progress: %q", lastBytes(tty, 600))
	}
	if lines := strings.Split(strings.TrimSpace(tty), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "exported ") {
		t.Errorf("export --quiet: terminal %q; want the summary line alone", tty)
	}
	if stdout != "" {
		t.Errorf("export --quiet: stdout %q; want nothing", stdout)
	}
}

// TestProgressQuickWorkShowsNoBar runs demo on a terminal with a progress
// delay longer than the demo can take (THREATGRAPH_PROGRESS_DELAY): work
// that ends within the delay draws nothing, however loaded the machine.
// TestProgressIngestSpinnerClearedOnInterrupt shows the bar drawn after
// the delay.
func TestProgressQuickWorkShowsNoBar(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	t.Setenv("THREATGRAPH_PROGRESS_DELAY", "1h")
	stdout, tty, err := runOnTerminal(t, bin, "demo", "--store", filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatalf("demo: %v\n%q", err, tty)
	}
	if tty != "" {
		t.Errorf("demo drew on the terminal before the progress delay: %q", tty)
	}
	if !strings.Contains(stdout, "Loaded the built-in dataset") {
		t.Errorf("demo stdout %q", stdout)
	}
}

func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestProgressIngestSpinnerClearedOnInterrupt ingests a large N-Quads file
// with stderr on a pseudo-terminal: the terminal shows the store write's
// spinner (the number of quads and the elapsed time). A SIGINT while the
// spinner is drawn lands in the write, which nothing can interrupt, so the
// process exits on the forced path after the grace period: the spinner
// must have been erased before the interruption message, and nothing drawn
// after it.
func TestProgressIngestSpinnerClearedOnInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large store")
	}
	bin := buildBinary(t)
	in := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(in, genNative(60_000), 0o644); err != nil {
		t.Fatal(err)
	}
	ptmx, tt, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "db")
	cmd := exec.Command(bin, "ingest", "--store", store, in)
	cmd.Stderr = tt
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tt.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var mu sync.Mutex
	var buf bytes.Buffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		p := make([]byte, 4096)
		for {
			k, err := ptmx.Read(p)
			mu.Lock()
			buf.Write(p[:k])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	want := "quads to the store"
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		drawn := strings.Contains(buf.String(), want)
		mu.Unlock()
		if drawn {
			break
		}
		select {
		case err := <-done:
			<-copied
			t.Fatalf("ingest ended (%v) before the spinner %q was drawn: %q", err, want, lastBytes(buf.String(), 600))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no spinner %q within a minute: %q", want, lastBytes(buf.String(), 600))
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("ingest still running 10 s after SIGINT")
	}
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		t.Fatal("the terminal was not closed after the process exited")
	}
	tty := buf.String()
	t.Logf("exit %d; terminal: %q", cmd.ProcessState.ExitCode(), lastBytes(tty, 500))
	if !barRE.MatchString(tty) {
		t.Errorf("the spinner shows no elapsed time: %q", lastBytes(tty, 600))
	}
	i := strings.LastIndex(tty, "threatgraph: interrupted")
	if i < 0 {
		// The write finished within the grace period and the
		// command returned: then the report follows an erased line.
		i = strings.LastIndex(tty, "file ")
	}
	if i < 0 {
		t.Fatalf("terminal holds neither the interruption message nor the report: %q", lastBytes(tty, 600))
	}
	if j := strings.LastIndex(tty[:i], "\r"); j < 0 || strings.TrimSpace(tty[j+1:i]) != "" {
		t.Errorf("the spinner was not erased before %q: %q", tty[i:], lastBytes(tty[:i], 300))
	}
	if strings.Contains(tty[i:], "writing") {
		t.Errorf("the spinner is drawn after the process's last message: %q", tty[i:])
	}
	// The write was under way when the signal came: the store holds all
	// of the file or none of it. Ingesting it again adds nothing in the
	// first case and everything in the second, never a part.
	n := storeCount(t, store)
	out, err := exec.Command(bin, "ingest", "--format", "json", "--store", store, in).Output()
	if err != nil {
		t.Fatalf("ingest after the interruption: %v", err)
	}
	var rep struct {
		Files []struct{ Quads, Added int } `json:"files"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Files) != 1 {
		t.Fatalf("ingest report %q: %v", out, err)
	}
	switch f := rep.Files[0]; {
	case n == 0 && f.Added == f.Quads:
	case n > 0 && f.Added == 0:
	default:
		t.Errorf("after the interruption the store held %d quads and a second ingest added %d of the file's %d: a partial write", n, f.Added, f.Quads)
	}
}

// genNative returns a valid native YAML file of n groups, each named and
// an affiliate of two earlier groups, stated by one of 20 sources.
func genNative(n int) []byte {
	var b bytes.Buffer
	b.WriteString("format: threatgraph/1\nsources:\n")
	for i := range 20 {
		fmt.Fprintf(&b, "  - id: source:s%d\n    title: Source %d\n", i, i)
	}
	b.WriteString("entities:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: group:g%d\n    kind: Group\n    name: Group %d\n    source: source:s%d\n", i, i, i%20)
		if i > 0 {
			fmt.Fprintf(&b, "    affiliateOf: [group:g%d, group:g%d]\n", (i*7919)%i, i/2)
		}
	}
	return b.Bytes()
}

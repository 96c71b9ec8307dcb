package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReaderRefusedByServeSaysWhereItIs: while serve holds a store, a
// read-only command in another process fails at once (exit 3) and says
// the store is served, at which address, and to query it there.
func TestReaderRefusedByServeSaysWhereItIs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	store := filepath.Join(t.TempDir(), "tg.db")
	if out, err := exec.Command(bin, "demo", "--store", store).CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	srv := exec.Command(bin, "serve", "--store", store, "--addr", "127.0.0.1:0")
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not say where it listens")
	}
	start := time.Now()
	out, err := exec.Command(bin, "show", "ISIS-K", "--store", store).CombinedOutput()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("show waited %v for the lock; want an immediate refusal", d)
	}
	var ee *exec.ExitError
	if err == nil || !errorsAs(err, &ee) || ee.ExitCode() != exitLocked {
		t.Fatalf("show while served: %v\n%s; want exit %d", err, out, exitLocked)
	}
	for _, want := range []string{"threatgraph serve", "query it over HTTP at " + url} {
		if !strings.Contains(string(out), want) {
			t.Errorf("refusal %q lacks %q", out, want)
		}
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*target = e
	return ok
}

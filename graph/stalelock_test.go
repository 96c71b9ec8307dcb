package graph_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
)

// TestStaleHolderTextIgnored: after a serve is killed (kill -9) its text
// stays in the lock file; a writer refused by a reader that took the lock
// since must not be told to send its work to the dead server.
func TestStaleHolderTextIgnored(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	newStore(t, dir)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf("pid %d: threatgraph serve\nserving http://127.0.0.1:18184\n", dead.Process.Pid)
	if err := os.WriteFile(filepath.Join(dir, "threatgraph.lock"), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := graph.Open(t.Context(), graph.Options{Path: dir, ReadOnly: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = graph.Open(t.Context(), graph.Options{Path: dir}, nil)
	var le *graph.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("writer beside a reader: %v; want a *LockedError", err)
	}
	if strings.Contains(err.Error(), "18184") || strings.Contains(err.Error(), "threatgraph serve") || !strings.Contains(err.Error(), "reading it") {
		t.Errorf("refusal %q; want it to say another command is reading, not to name the dead server", err)
	}
}

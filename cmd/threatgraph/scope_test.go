package main

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/query"
)

// TestScopeMistakesExit2: every analytics verb refuses a scope value it
// cannot apply with exit 2 and a message naming the flag, the value and
// what was expected (one *query.ParamError, one message, whatever the verb).
func TestScopeMistakesExit2(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	verbs := [][]string{{"centrality"}, {"path", "ISIS-K", "Taliban"}, {"neighbors", "ISIS-K"}, {"preceded"}, {"communities"}}
	mistakes := []struct {
		args []string
		msg  string
	}{
		{[]string{"--sources", "source:nowhere"}, `sources "source:nowhere": expected the id of one of the 8 Sources`},
		{[]string{"--exclude-sources", "source:nowhere"}, `exclude-sources "source:nowhere": expected`},
		{[]string{"--predicates", "lovedBy"}, `predicates "lovedBy": expected a relation in the store`},
		{[]string{"--from", "someday"}, `from "someday": expected a date`},
		{[]string{"--from", "2024", "--to", "2023"}, `to "2023": expected a date that does not end before from "2024" starts`},
	}
	for _, v := range verbs {
		for _, m := range mistakes {
			args := append(append([]string{}, v...), append([]string{"--store", store}, m.args...)...)
			_, _, err := runCLI(t, args...)
			if code := exitCode(err); code != exitBadInput || err == nil || !strings.Contains(err.Error(), m.msg) {
				t.Errorf("%v: exit %d, error %v; want exit %d and %q", args, code, err, exitBadInput, m.msg)
			}
		}
	}
	for _, c := range [][]string{{"centrality", "--measure", "fame"}, {"centrality", "--kinds", "Gruop"}, {"preceded", "--window", "soon"}, {"preceded", "--group", "Moscow"}, {"communities", "--project", "nope"}, {"path", "nowhere", "Taliban"}, {"show", "nobody at all"}} {
		if _, _, err := runCLI(t, append(c, "--store", store)...); exitCode(err) != exitBadInput {
			t.Errorf("%v: exit %d (%v); want %d", c, exitCode(err), err, exitBadInput)
		}
	}
}

// TestFailureIsNotUsage: only a user's mistake exits 2; an I/O failure in
// an answer keeps exit 1 (centrality used to exit 2 on any error).
func TestFailureIsNotUsage(t *testing.T) {
	io := fmt.Errorf("reading the view: %w", &fs.PathError{Op: "read", Path: "view.snapshot", Err: fs.ErrClosed})
	if code := exitCode(asUsage(io)); code == exitBadInput {
		t.Errorf("an I/O failure exits %d; want not %d", code, exitBadInput)
	}
	pe := fmt.Errorf("centrality: %w", &query.ParamError{Param: "measure", Value: "fame", Want: "one of pagerank"})
	if code := exitCode(asUsage(pe)); code != exitBadInput {
		t.Errorf("a wrapped *query.ParamError exits %d; want %d", code, exitBadInput)
	}
	if code := exitCode(asUsage(fmt.Errorf("x: %w", query.ErrNotFound))); code != exitBadInput {
		t.Errorf("an unknown entity exits %d; want %d", code, exitBadInput)
	}
}

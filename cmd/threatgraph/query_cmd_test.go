package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// threatgraph query refuses the deep queries of issue 9 with exit status 2
// and a message naming the bound, instead of dying of a stack overflow
// (before the guard, goja recursed on them until the runtime's fatal
// "goroutine stack exceeds" error), and stops a query that eats memory.
func TestQueryCmdRefuses(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, _, err := runCLI(t, "demo", "--store", store); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, text, want string }{
		{"gizmo", strings.Repeat("(", 30_000) + "1" + strings.Repeat(")", 30_000), "brackets nested 30000 deep, the limit is 100"},
		{"gizmo", strings.Repeat("!", 60_000) + "1", "the limit is 1000"},
		{"graphql", "{" + strings.Repeat("a{", 20_000) + "b" + strings.Repeat("}", 20_000) + "}", "brackets nested 20001 deep"},
		{"gizmo", strings.Repeat("1;", 40_000), "80000 bytes long, the limit is 65536"},
	} {
		_, _, err := runCLI(t, "query", "--store", store, "--lang", c.lang, c.text)
		if err == nil || exitCode(err) != exitBadInput || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q...: exit %d, %v", c.lang, c.text[:10], exitCode(err), err)
		}
	}
	_, _, err := runCLI(t, "query", "--store", store, "--memory", "33554432", "--timeout", "20s", `var s = "x"; while (true) { s = s + s }`)
	if err == nil || exitCode(err) != exitFailure || !strings.Contains(err.Error(), "memory limit 32 MiB") {
		t.Errorf("memory: exit %d, %v", exitCode(err), err)
	}
	out, _, err := runCLI(t, "query", "--store", store, `g.V("<group:isis-k>").All()`)
	if err != nil || !strings.Contains(out, "group:isis-k") {
		t.Errorf("a normal query: %v %s", err, out)
	}
}

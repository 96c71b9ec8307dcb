package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// swapTarget replaces a file with other bytes at its first Kinds lookup,
// which a streamed load makes between its two passes over the files.
type swapTarget struct {
	*graph.Store
	path, data string
	swapped    bool
}

func (s *swapTarget) Kinds(ctx context.Context, ids []string) (map[string]schema.Kind, error) {
	if !s.swapped {
		s.swapped = true
		if err := os.WriteFile(s.path, []byte(s.data), 0o644); err != nil {
			return nil, err
		}
	}
	return s.Store.Kinds(ctx, ids)
}

// TestLoadNQuadsFileChanged: a file that changes between the two passes of
// a streamed load (the first checks it, the second hands its quads to the
// write) is refused and nothing is written, so no unchecked bytes land and
// the load history never records a hash of other bytes than those stored.
// The second version lacks the declarations its facts need, which the
// first pass saw in the first.
func TestLoadNQuadsFileChanged(t *testing.T) {
	head := "<source:s> <rdf:type> <tg:Source> <source:s> .\n<group:g> <rdf:type> <tg:Group> <source:s> .\n"
	name := filepath.Join(t.TempDir(), "a.nq")
	if err := os.WriteFile(name, []byte(head+"<group:g> <tg:name> \"G\" <source:s> .\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := openStore(t)
	st := &swapTarget{Store: s, path: name, data: "<group:g> <tg:alias> \"G2\" <source:s> .\n<group:g> <tg:alias> \"G3\" <source:s> .\n<group:g> <tg:alias> \"G4\" <source:s> .\n<group:g> <tg:alias> \"G5\" <source:s> .\n"}
	_, err := ingest.LoadNQuads(t.Context(), st, []string{name}, ingest.Options{})
	if !st.swapped {
		t.Fatal("the load made no Kinds lookup between its passes: the test no longer swaps the file")
	}
	if err == nil || !strings.Contains(err.Error(), "changed while it was being loaded") {
		t.Fatalf("load of a file changed between the passes: %v; want it refused as changed", err)
	}
	if n := count(t, s); n != 0 {
		t.Errorf("%d quads written from a file that changed during the load; want none", n)
	}
}

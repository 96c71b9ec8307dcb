package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/httpapi"
)

// failingWrites fails every write, having committed it (written) or not.
type failingWrites struct {
	*graph.Store
	written bool
}

func (s failingWrites) Write(ctx context.Context, qs []quad.Quad) (int, error) {
	if s.written {
		if _, err := s.Store.Write(ctx, qs); err != nil {
			return 0, err
		}
	}
	return 0, &graph.WriteError{Quads: len(qs), Written: s.written, Err: errors.New("disk on fire")}
}

// TestStoreLoader: the server's wiring of ingest reports invalid input as
// an *httpapi.InvalidError naming file and line, and a failed write with
// whether its transaction was committed.
func TestStoreLoader(t *testing.T) {
	st, err := graph.Open(t.Context(), graph.Options{Path: filepath.Join(t.TempDir(), "db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	good := []byte("sources:\n  - {id: source:a, publisher: A}\nentities:\n  - {id: group:g, kind: Group, name: G, source: source:a}\n")
	bad := []byte("entities:\n  - {id: group:h, kind: Grup, name: H, source: source:a}\n")

	var invalid *httpapi.InvalidError
	if _, err := (storeLoader{st}).Load(t.Context(), []httpapi.Upload{{Name: "bad.yaml", Data: bad}}, httpapi.LoadOptions{}); !errors.As(err, &invalid) || len(invalid.Problems) == 0 {
		t.Fatalf("invalid upload: %v; want an *InvalidError", err)
	}
	if want := "bad.yaml:2"; len(invalid.Problems) == 0 || invalid.Problems[0][:len(want)] != want {
		t.Errorf("problems %q; want them to start with %s", invalid.Problems, want)
	}
	for _, written := range []bool{false, true} {
		t.Run(fmt.Sprint("written=", written), func(t *testing.T) {
			rep, err := (storeLoader{failingWrites{st, written}}).Load(t.Context(), []httpapi.Upload{{Name: "good.yaml", Data: good}}, httpapi.LoadOptions{})
			if err == nil || rep == nil {
				t.Fatalf("failed write: report %v, error %v; want both", rep, err)
			}
			if rep.Committed != written || len(rep.Files) != 1 || rep.Files[0].File != "good.yaml" {
				t.Errorf("report %+v; want Committed %v for good.yaml", rep, written)
			}
		})
	}
	if err := (storeLoader{}).Accepts("notes.txt"); err == nil {
		t.Error("storeLoader accepts notes.txt")
	}
}

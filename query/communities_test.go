package query_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/testkg"
	"github.com/threatgraph/threatgraph/query"
)

// starView is the view of an on-disk store in which n people are members
// of one group, each stated by one source: the shape on which gonum's
// Louvain is quadratic.
func starView(t *testing.T, n int) *query.Reader {
	t.Helper()
	ctx := context.Background()
	s, err := graph.Open(ctx, graph.Options{Path: filepath.Join(t.TempDir(), "db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	qs := testkg.Star(n)
	if _, err := s.Write(ctx, qs); err != nil {
		t.Fatal(err)
	}
	r := query.NewReader(s, query.ReaderOptions{})
	if err := r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCommunitiesStar runs communities on a star of 30k members with a
// context cancelled after 200 ms: it must either answer (one community of
// the hub and all its members) or return the context's error, within 1.5 s
// either way. gonum's Louvain took minutes here and did not stop.
func TestCommunitiesStar(t *testing.T) {
	const n = 30_000
	r := starView(t, n)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := r.Communities(ctx, "", query.Scope{})
	took := time.Since(start)
	if took > 1500*time.Millisecond {
		t.Fatalf("communities on a %d-star took %v with a 200 ms context; want at most 1.5 s", n, took)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		t.Logf("stopped after %v", took)
	case err != nil:
		t.Fatal(err)
	default:
		if len(res.Communities) != 1 || res.Communities[0].Size != n+1 || res.Singletons != 0 {
			t.Fatalf("star communities: %d communities, %d singletons; want one of %d",
				len(res.Communities), res.Singletons, n+1)
		}
		t.Logf("answered in %v", took)
	}
}

// TestCommunitiesCancelled checks that a done context stops communities
// with its error.
func TestCommunitiesCancelled(t *testing.T) {
	r := starView(t, 2000)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := r.Communities(ctx, "", query.Scope{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("communities with a cancelled context: err %v, want context.Canceled", err)
	}
}

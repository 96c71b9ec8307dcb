package query_test

import (
	"testing"

	"github.com/threatgraph/threatgraph/query"
)

// TestViewProgress builds the view of a store with a ViewProgress in the
// context: it is told the quads scanned, rising, and last the store's
// whole count as both scanned and total; the view is the one built
// without it.
func TestViewProgress(t *testing.T) {
	s := demoStore(t)
	n, err := s.Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var calls [][2]int64
	ctx := query.WithViewProgress(t.Context(), func(scanned, total int64) { calls = append(calls, [2]int64{scanned, total}) })
	r := query.NewReader(s, query.ReaderOptions{})
	v, err := r.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 {
		t.Fatal("the progress func was never called")
	}
	for i, c := range calls {
		if c[1] != n || c[0] > n || (i > 0 && c[0] < calls[i-1][0]) {
			t.Errorf("call %d: %d of %d (previous %v); want rising, of %d", i, c[0], c[1], calls[max(i-1, 0)], n)
		}
	}
	if last := calls[len(calls)-1]; last[0] != n {
		t.Errorf("last call %v; want %d scanned", last, n)
	}
	plain, err := query.NewReader(s, query.ReaderOptions{}).View(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.IDs()) != len(v.IDs()) || plain.RowCount() != v.RowCount() || plain.QuadCount() != v.QuadCount() {
		t.Errorf("view with progress: %d nodes, %d rows, %d quads; without: %d, %d, %d", len(v.IDs()), v.RowCount(), v.QuadCount(), len(plain.IDs()), plain.RowCount(), plain.QuadCount())
	}
}

package query_test

import (
	"sync"
	"testing"

	"github.com/threatgraph/threatgraph/query"
)

// TestReaderConcurrent: answers on one Reader from several goroutines (run
// with -race): the view and its whole-store graph are built once.
func TestReaderConcurrent(t *testing.T) {
	st := demoStore(t)
	r := query.NewReader(st, query.ReaderOptions{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Centrality(t.Context(), query.CentralityOptions{Measure: "degree"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

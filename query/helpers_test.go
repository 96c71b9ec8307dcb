package query_test

import (
	"context"
	"os"
	"testing"

	"github.com/threatgraph/threatgraph/query"
)

// tempDir holds the stores the tests share; TestMain removes it.
var tempDir string

// cleanups run after all tests and benchmarks.
var cleanups []func()

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tg-query-")
	if err != nil {
		panic(err)
	}
	tempDir = dir
	code := m.Run()
	if demo != nil {
		demo.Close()
	}
	os.RemoveAll(dir)
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

// staleStore is a store that claims another quad count than its snapshot's.
type staleStore struct {
	query.Store
	count int64
}

func (s staleStore) Count(context.Context) (int64, error) { return s.count, nil }

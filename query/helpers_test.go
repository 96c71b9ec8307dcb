package query_test

import (
	"context"
	"os"
	"testing"
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

type fakeCounter int64

func (c fakeCounter) Count(context.Context) (int64, error) { return int64(c), nil }

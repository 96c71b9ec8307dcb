package query_test

import (
	"context"
	"os"
	"testing"
)

var tempDir string

func osMkdirTemp() (string, error) { return tempDir, nil }

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
	os.Exit(code)
}

type fakeCounter int64

func (c fakeCounter) Count(context.Context) (int64, error) { return int64(c), nil }

// Command gennq writes a generated graph that threatgraph ingest accepts
// (testkg.Valid) as an N-Quads file, for ingest benchmarks:
//
//	go run ./internal/testkg/gennq -lines 1000000 -entities 200000 -out /tmp/1M.nq
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/internal/testkg"
)

func main() {
	lines := flag.Int("lines", 1_000_000, "quads (lines) to write")
	entities := flag.Int("entities", 200_000, "entities")
	sources := flag.Int("sources", 200, "sources")
	seed := flag.Uint64("seed", 1, "random seed (another seed, another graph)")
	out := flag.String("out", "", "file to write (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gennq: -out FILE is required")
		os.Exit(2)
	}
	if err := write(*out, testkg.Valid(*lines, *entities, *sources, *seed)); err != nil {
		fmt.Fprintln(os.Stderr, "gennq:", err)
		os.Exit(1)
	}
}

func write(name string, qs []quad.Quad) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := testkg.WriteNQuads(f, qs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

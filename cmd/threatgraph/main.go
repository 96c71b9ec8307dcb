// Threatgraph loads, queries and exports knowledge graphs of armed groups,
// the people around them, the places they strike, their attacks, the
// warnings before and the claims after. Every fact keeps its source.
//
// Usage:
//
//	threatgraph demo              load the built-in dataset and summarise it
//	threatgraph ingest FILE...    load native YAML/JSON or N-Quads files
//	threatgraph stats|show|search ask the store
//
// Run threatgraph help for every command and flag.
//
// SIGINT or SIGTERM cancels the running command; if it has not returned
// 1.5 s later (a store write is one transaction nothing can interrupt), or
// at a second signal, the process exits with 130 (SIGINT) or 143 (SIGTERM)
// and says whether a store write had begun: bbolt commits atomically, so
// the store holds the whole write or none of it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(superviseRun(sigs, os.Stderr, graceAfterSignal, func(ctx context.Context) error {
		return newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
	}))
}

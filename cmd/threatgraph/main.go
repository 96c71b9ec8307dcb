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
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "threatgraph:", err)
		os.Exit(exitCode(err))
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx)
}

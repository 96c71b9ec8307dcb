package main

import (
	"context"
	"fmt"
	"os"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// streamable reports whether ingest streams the named files (reads them
// in chunks, twice, instead of whole: ingest.LoadNQuads): N-Quads files on
// disk, none of which an importer claims.
func streamable(names []string, imps []ingest.Importer) bool {
	for _, name := range names {
		if name == "-" || !ingest.IsNQuads(name) {
			return false
		}
		head, err := readHead(name, ingest.DetectLen)
		if err != nil {
			return false // read as usual, which reports the error
		}
		for _, imp := range imps {
			if imp.Detect(name, head) {
				return false
			}
		}
	}
	return true
}

// ingestStreamed loads N-Quads files with ingest.LoadNQuads and prints
// its report as ingest does for any load.
func (a *app) ingestStreamed(ctx context.Context, names []string, opt ingest.Options, rejects string) error {
	for _, name := range names {
		if fi, err := os.Stat(name); err != nil || !fi.Mode().IsRegular() {
			if err == nil {
				err = fmt.Errorf("not a regular file")
			}
			return usageError{fmt.Errorf("reading %s: %w", name, err)}
		}
	}
	if opt.SkipInvalid && rejects != "" && !opt.DryRun {
		f, err := os.Create(rejects)
		if err != nil {
			return fmt.Errorf("creating rejects report: %w", err)
		}
		defer f.Close()
		opt.Rejects = f
	}
	return a.withStore(ctx, func(s *graph.Store) error {
		opt.Record.Via = "ingest"
		visible, cerr := s.Count(ctx)
		rep, err := ingest.LoadNQuads(ctx, writeTarget{s, sessionOf(ctx)}, names, opt)
		var warnings schema.Errors
		if rep != nil {
			warnings = rep.Warnings
		}
		return a.loaded(ctx, s, rep, err, len(names), warnings, opt, rejects, visible, cerr)
	})
}

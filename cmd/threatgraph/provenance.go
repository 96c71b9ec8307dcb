package main

import (
	"context"
	"strings"

	"github.com/threatgraph/threatgraph/query"
)

// withLoads returns ctx asking for each fact's loads when on (--loads).
func withLoads(ctx context.Context, on bool) context.Context {
	if on {
		return query.WithLoads(ctx)
	}
	return ctx
}

// loadsHeader adds the loads column to a CSV header when on.
func loadsHeader(on bool, header []string) []string {
	if on {
		return append(header, "loads")
	}
	return header
}

// withLoadsColumn adds e's loads (id@time, space-separated) to a CSV row
// when on.
func withLoadsColumn(on bool, row []string, e query.Evidence) []string {
	if !on {
		return row
	}
	var ls []string
	for _, l := range e.Loads {
		ls = append(ls, strings.TrimSuffix(l.Load+"@"+l.Time, "@"))
	}
	return append(row, strings.Join(ls, " "))
}

// loadsLine says which loads brought e, for the table ("" when not asked).
func loadsLine(e query.Evidence) string {
	if e.Loads == nil {
		return ""
	}
	if len(e.Loads) == 0 {
		return "loaded by: no recorded load in effect"
	}
	var ls []string
	for _, l := range e.Loads {
		if l.Time == "" {
			ls = append(ls, l.Load+" (before the history)")
		} else {
			ls = append(ls, l.Load+" ("+l.Time+")")
		}
	}
	return "loaded by " + strings.Join(ls, ", ")
}

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/builtin"
	"github.com/threatgraph/threatgraph/query"
)

func newDemoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Load the built-in dataset (six articles of 25 March 2024) and summarise it",
		Long: `Load the built-in dataset into the configured store (default ./threatgraph.db) and print
what it holds: entities by kind, facts, sources, and the facts on which sources disagree.
No file, no server, no setup. Running it again adds nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			bfiles, err := builtin.Files()
			if err != nil {
				return fmt.Errorf("reading the built-in dataset: %w", err)
			}
			var files []*ingest.File
			for _, f := range bfiles {
				files = append(files, ingest.Parse(f.Name, f.Data))
			}
			return a.withStore(ctx, func(s *graph.Store) error {
				rep, err := ingest.Load(ctx, s, files, ingest.Options{})
				if err != nil {
					return fmt.Errorf("loading the built-in dataset: %w", err)
				}
				st, err := query.GetStats(ctx, s.QuadStore())
				if err != nil {
					return err
				}
				dis, err := query.Contested(ctx, s.QuadStore())
				if err != nil {
					return err
				}
				t := rep.Totals()
				if a.cfg.Format == "json" {
					return a.json(map[string]any{"store": s.Path(), "load": rep, "stats": st, "contested": dis})
				}
				if t.Added == 0 {
					a.printf("Built-in dataset already in %s: nothing added (%d quads checked).\n\n", s.Path(), t.Quads)
				} else {
					a.printf("Loaded the built-in dataset into %s: %d files, %d quads added.\n\n", s.Path(), len(files), t.Added)
				}
				a.printStats(st)
				a.printf("\nWhere the sources disagree (%d):\n", len(dis))
				for _, d := range dis {
					a.printf("  %s  %s:\n", d.Name, d.Predicate)
					for _, v := range d.Values {
						val := v.Value.String()
						if v.ValueName != "" {
							val = v.ValueName
						}
						a.printf("    %-22s %s\n", val, sourceList(v.Evidence))
					}
				}
				a.printf("\nTry: threatgraph show ISIS-K | threatgraph show %q | threatgraph search khorasan\n", "Crocus City Hall attack")
				return nil
			})
		},
	}
}

// sourceList names each source once, in order.
func sourceList(evs []query.Evidence) string {
	var out []string
	for _, e := range evs {
		if len(out) == 0 || out[len(out)-1] != e.Source {
			out = append(out, e.Source)
		}
	}
	return strings.Join(out, ", ")
}

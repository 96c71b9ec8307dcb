package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/builtin"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

const crocusID = "attack:2024-03-22-crocus-city-hall"

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
				files, err := a.enrich(ctx, s, files) // places resolved against the gazetteer, when one is loaded
				if err != nil {
					return err
				}
				rep, err := ingest.Load(ctx, a.withProgress(writeTarget{s, sessionOf(ctx)}), files, ingest.Options{Record: schema.LoadInfo{Via: "demo"}})
				if err != nil {
					return fmt.Errorf("loading the built-in dataset: %w", err)
				}
				q, err := a.loadedReader(ctx, s)
				if err != nil {
					return err
				}
				st, dis, err := q.Summary(ctx)
				if err != nil {
					return err
				}
				actors := []string{"Group", "Person", "Organization"}
				pr, err := q.Centrality(ctx, query.CentralityOptions{Measure: "pagerank", Scope: query.Scope{Kinds: actors}, Top: 5})
				if err != nil {
					return err
				}
				bw, err := q.Centrality(ctx, query.CentralityOptions{Measure: "betweenness", Scope: query.Scope{Kinds: actors}, Top: 5})
				if err != nil {
					return err
				}
				pre, err := q.Preceded(ctx, query.PrecededOptions{})
				if err != nil {
					return err
				}
				var crocus []query.AttackWarnings
				for _, at := range pre.Attacks {
					if at.Attack == crocusID {
						crocus = append(crocus, at)
					}
				}
				var casualties []query.Disagreement
				for _, d := range dis {
					if d.Predicate == "killed" || d.Predicate == "wounded" {
						casualties = append(casualties, d)
					}
				}
				t := rep.Totals()
				if a.cfg.Format == "json" {
					return a.json(map[string]any{"store": s.Path(), "load": rep, "stats": st, "top_pagerank": pr, "top_betweenness": bw,
						"crocus_warnings": crocus, "contested_casualties": casualties, "contested": dis})
				}
				if t.Added == 0 {
					a.printf("Built-in dataset already in %s: nothing added (%d quads checked).\n\n", s.Path(), t.Quads)
				} else {
					a.printf("Loaded the built-in dataset into %s: %d files, %d quads added.\n\n", s.Path(), len(files), t.Added)
				}
				a.printStats(st)
				a.printf("\n")
				var rows [][]string
				for i := range pr.Top {
					b := ""
					if i < len(bw.Top) {
						b = fmt.Sprintf("%s (%.3f)", bw.Top[i].Name, bw.Top[i].Score)
					}
					rows = append(rows, []string{fmt.Sprintf("%d.", i+1), fmt.Sprintf("%s (%.3f)", pr.Top[i].Name, pr.Top[i].Score), b})
				}
				if err := a.table("TOP ACTORS\tBY PAGERANK\tBY BETWEENNESS", rows); err != nil {
					return err
				}
				a.printf("\nWarnings that preceded the Crocus City Hall attack:\n")
				a.printPreceded(&query.PrecededResult{WindowDays: pre.WindowDays, Attacks: crocus}, false)
				a.printf("\nContested casualty figures:\n")
				a.printContested(casualties)
				a.printf("\n%d contested points: values that cannot all hold, disputed attributions, relations stated and negated (threatgraph contested; disagreements given only in prose and errors no judgement marks are not checked)\n", len(dis))
				a.printf("\nTry: threatgraph show ISIS-K | threatgraph show %q | threatgraph search khorasan\n", "Crocus City Hall attack")
				return nil
			})
		},
	}
}

// sourceList names each source once, in order, with whom it reports
// ("source:bbc (according to org:russian-state-media)") and "deprecated"
// when judgements deprecate all its statements there.
func sourceList(evs []query.Evidence) string {
	var out []string
	for i, e := range evs {
		if i > 0 && evs[i-1].Source == e.Source && slices.Equal(evs[i-1].AccordingTo, e.AccordingTo) && evs[i-1].Rank == e.Rank {
			continue
		}
		s := schema.Escape(e.Source) + according(e)
		if e.Rank == schema.RankDeprecated {
			s += " [deprecated]"
		}
		s += codingNote(e)
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// according says whom a statement is according to ("" when its source's
// own).
func according(e query.Evidence) string {
	if len(e.AccordingTo) == 0 {
		return ""
	}
	return " (according to " + schema.Escape(strings.Join(e.AccordingTo, ", ")) + ")"
}

// judgementLines writes each judgement of a statement on a line:
// "deprecated: known error — The Taliban took Kabul in August 2021
// (source:threatgraph-editors, 2026-12-01; evidence: source:reuters)".
func judgementLines(e query.Evidence) []string {
	var out []string
	for _, j := range e.Judgements {
		by := []string{j.Source}
		if j.Date != "" {
			by = append(by, j.Date)
		}
		s := fmt.Sprintf("%s: %s — %s (%s", j.Rank, strings.ReplaceAll(j.Reason, "-", " "), j.Note, strings.Join(by, ", "))
		if len(j.Evidence) > 0 {
			var evs []string
			for _, ev := range j.Evidence {
				if !slices.Contains(evs, ev.Source) { // two statements of one source: named once
					evs = append(evs, ev.Source)
				}
			}
			s += "; evidence: " + strings.Join(evs, ", ")
		}
		out = append(out, schema.Escape(s+")"))
	}
	return out
}

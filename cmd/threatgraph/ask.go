package main

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

func newStatsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "Count entities by kind, facts, sources, quotes and contested facts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				st, err := a.reader(s).Stats(cmd.Context())
				if err != nil {
					return err
				}
				switch a.cfg.Format {
				case "json":
					return a.json(st)
				case "csv":
					w := csv.NewWriter(a.out)
					_ = w.Write([]string{"measure", "count"})
					for _, k := range schema.Kinds {
						_ = w.Write([]string{"entities." + string(k), strconv.Itoa(st.ByKind[string(k)])})
					}
					for _, r := range [][2]string{{"entities", strconv.Itoa(st.Entities)}, {"facts", strconv.Itoa(st.Facts)}, {"relations", strconv.Itoa(st.Relations)},
						{"sources", strconv.Itoa(st.Sources)}, {"quotes", strconv.Itoa(st.Quotes)}, {"contested", strconv.Itoa(st.Contested)}, {"quads", strconv.FormatInt(st.Quads, 10)}} {
						_ = w.Write(r[:])
					}
					w.Flush()
					return w.Error()
				}
				a.printStats(st)
				return nil
			})
		},
	}
}

func (a *app) printStats(st *query.Stats) {
	tw := tabwriter.NewWriter(a.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Entities by kind:")
	for _, k := range schema.Kinds {
		fmt.Fprintf(tw, "  %s\t%d\n", k, st.ByKind[string(k)])
	}
	fmt.Fprintf(tw, "  total\t%d\n", st.Entities)
	fmt.Fprintf(tw, "Facts\t%d\t(%d relations)\n", st.Facts, st.Relations)
	fmt.Fprintf(tw, "Sources stating facts\t%d\n", st.Sources)
	fmt.Fprintf(tw, "Evidence quotes\t%d\n", st.Quotes)
	fmt.Fprintf(tw, "Contested facts\t%d\t(subject and single-valued predicate with values that differ)\n", st.Contested)
	fmt.Fprintf(tw, "Quads\t%d\n", st.Quads)
	_ = tw.Flush()
}

func newShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID|NAME|ALIAS",
		Short: "Show every fact about an entity, with its sources and evidence; contested values are marked",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				card, err := a.reader(s).Show(cmd.Context(), strings.Join(args, " "))
				if err != nil {
					return asUsage(err)
				}
				switch a.cfg.Format {
				case "json":
					return a.json(card)
				case "csv":
					w := csv.NewWriter(a.out)
					_ = w.Write([]string{"direction", "subject", "predicate", "value", "value_name", "contested", "source", "quote"})
					for _, fs := range [][]query.Fact{card.Facts, card.Incoming} {
						for _, f := range fs {
							subj := card.ID
							if f.Subject != "" {
								subj = f.Subject
							}
							for _, e := range f.Evidence {
								_ = w.Write([]string{dirOf(f), subj, f.Predicate, f.Value.String(), f.ValueName, strconv.FormatBool(f.Contested), e.Source, e.Quote})
							}
						}
					}
					w.Flush()
					return w.Error()
				}
				a.printCard(card)
				return nil
			})
		},
	}
}

func dirOf(f query.Fact) string {
	if f.Subject != "" {
		return "in"
	}
	return "out"
}

func (a *app) printCard(c *query.Card) {
	esc := schema.Escape // text from the store may hold control characters
	a.printf("%s  (%s, %s)\n", esc(c.Name), c.Kind, esc(c.ID))
	if len(c.Contested) > 0 {
		a.printf("Sources disagree on: %s\n", esc(strings.Join(c.Contested, ", ")))
	}
	a.printf("\n")
	printFact := func(f query.Fact, subject bool) {
		mark := " "
		if f.Contested {
			mark = "!"
		}
		val := esc(f.Value.String())
		if f.ValueName != "" && f.ValueName != f.Value.String() {
			val = fmt.Sprintf("%s (%s)", esc(f.ValueName), val)
		}
		if f.AsWritten != "" {
			val = fmt.Sprintf("%s (as written: %q)", val, f.AsWritten)
		}
		if subject {
			a.printf("%s %s --%s--> this\n", mark, val, esc(f.Predicate))
		} else {
			a.printf("%s %-14s %s\n", mark, esc(f.Predicate), val)
		}
		for _, e := range f.Evidence {
			if e.Quote != "" {
				a.printf("      %s: %q\n", esc(e.Source), e.Quote)
			} else {
				a.printf("      %s\n", esc(e.Source))
			}
		}
	}
	for _, f := range c.Facts {
		printFact(f, false)
	}
	if len(c.Incoming) > 0 {
		a.printf("\nPointing here:\n")
		for _, f := range c.Incoming {
			printFact(f, true)
		}
	}
	if len(c.Contested) > 0 {
		a.printf("\n! = a value on which sources disagree (single-valued predicate, several values)\n")
	}
}

func newSearchCmd(a *app) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "search TEXT",
		Short: "Find entities whose name or alias contains TEXT (case- and accent-insensitive)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				ms, err := a.reader(s).Search(cmd.Context(), strings.Join(args, " "), limit)
				if err != nil {
					return err
				}
				switch a.cfg.Format {
				case "json":
					return a.json(ms)
				case "csv":
					w := csv.NewWriter(a.out)
					_ = w.Write([]string{"id", "kind", "name", "matched"})
					for _, m := range ms {
						_ = w.Write([]string{m.ID, m.Kind, m.Name, m.Matched})
					}
					w.Flush()
					return w.Error()
				}
				if len(ms) == 0 {
					a.printf("no entity has a name or alias containing %q\n", strings.Join(args, " "))
					return nil
				}
				tw := tabwriter.NewWriter(a.out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tKIND\tNAME\tMATCHED")
				for _, m := range ms {
					esc := schema.Escape // text from the store may hold control characters
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", esc(m.ID), m.Kind, esc(m.Name), esc(m.Matched))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many results (0: all)")
	return cmd
}

package main

import (
	"fmt"
	"slices"
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
		Short: "Count entities by kind, facts, sources, quotes and contested points",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				q, err := a.reader(cmd.Context(), s)
				if err != nil {
					return err
				}
				st, err := q.Stats(cmd.Context())
				if err != nil {
					return err
				}
				var rows [][]string
				for _, k := range schema.Kinds {
					rows = append(rows, []string{"entities." + string(k), strconv.Itoa(st.ByKind[string(k)])})
				}
				rows = append(rows, [][]string{{"entities", strconv.Itoa(st.Entities)}, {"facts", strconv.Itoa(st.Facts)}, {"relations", strconv.Itoa(st.Relations)},
					{"sources", strconv.Itoa(st.Sources)}, {"quotes", strconv.Itoa(st.Quotes)}, {"contested", strconv.Itoa(st.Contested)}, {"quads", strconv.FormatInt(st.Quads, 10)}}...)
				return a.emit(st, []string{"measure", "count"}, rows, func() error { a.printStats(st); return nil })
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
	fmt.Fprintf(tw, "Contested points\t%d\t(values that cannot all hold, disputed attributions, relations stated and negated: threatgraph contested)\n", st.Contested)
	fmt.Fprintf(tw, "Quads\t%d\n", st.Quads)
	_ = tw.Flush()
}

func newShowCmd(a *app) *cobra.Command {
	var loads, noMachine bool
	cmd := &cobra.Command{
		Use:   "show ID|NAME|ALIAS",
		Short: "Show every fact about an entity, with its sources and evidence; contested values are marked",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				q, err := a.reader(cmd.Context(), s)
				if err != nil {
					return err
				}
				card, err := q.ShowWith(withLoads(cmd.Context(), loads), strings.Join(args, " "), query.ShowOptions{ExcludeMachine: noMachine})
				if err != nil {
					return historyUsage(asUsage(err))
				}
				var rows [][]string
				for _, f := range slices.Concat(card.Facts, card.Incoming) {
					subj := card.ID
					if f.Subject != "" {
						subj = f.Subject
					}
					for _, e := range f.Evidence {
						rows = append(rows, withLoadsColumn(loads, []string{dirOf(f), subj, f.Predicate, f.Value.String(), f.ValueName, strconv.FormatBool(f.Contested), e.Source, e.Quote, strings.Join(e.AccordingTo, " "), e.Rank, e.Coding}, e))
					}
				}
				return a.emit(card, loadsHeader(loads, []string{"direction", "subject", "predicate", "value", "value_name", "contested", "source", "quote", "according_to", "rank", "coding"}), rows,
					func() error { a.printCard(card); return nil })
			})
		},
	}
	cmd.Flags().BoolVar(&loads, "loads", false, "say which recorded loads brought each fact's evidence, and when (bbolt)")
	cmd.Flags().BoolVar(&noMachine, "exclude-machine", false, "leave out the evidence of machine-coded sources (coding: machine, such as GDELT's), and say how much was left out")
	return cmd
}

// machineMark is what the table prints after a machine-coded source.
const machineMark = "  (machine-coded)"

// codingNote returns machineMark for evidence of a machine-coded source.
func codingNote(e query.Evidence) string {
	if e.MachineCoded() {
		return machineMark
	}
	return ""
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
	if len(c.Markings) > 0 {
		if c.Marking == "" {
			a.printf("Marking: none (no TLP marking on the facts shown; other markings: %s)\n", esc(strings.Join(c.Markings, ", ")))
		} else {
			a.printf("Marking: %s (most restrictive TLP of these facts; all: %s)\n", c.Marking, esc(strings.Join(c.Markings, ", ")))
		}
	}
	a.printf("\n")
	deprecated, machine := false, false
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
		if f.Deprecated {
			val += " [deprecated]"
			deprecated = true
		}
		if slices.ContainsFunc(f.Evidence, query.Evidence.MachineCoded) {
			machine = true
		}
		if subject {
			a.printf("%s %s --%s--> this\n", mark, val, esc(f.Predicate))
		} else {
			a.printf("%s %-14s %s\n", mark, esc(f.Predicate), val)
		}
		for _, e := range f.Evidence {
			if e.Quote != "" {
				a.printf("      %s: %q%s%s\n", esc(e.Source), e.Quote, according(e), codingNote(e))
			} else {
				a.printf("      %s%s%s\n", esc(e.Source), according(e), codingNote(e))
			}
			if e.Confidence != nil {
				a.printf("        confidence %d (the source's own, 0-100)\n", *e.Confidence)
			}
			for _, line := range judgementLines(e) {
				a.printf("        %s\n", line)
			}
			if l := loadsLine(e); l != "" {
				a.printf("        %s\n", l)
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
	if machine {
		a.printf("\n(machine-coded) = a source coded by software from news text (such as GDELT's events), not read by a person; --exclude-machine hides its evidence\n")
	}
	if c.HiddenMachine > 0 {
		a.printf("\n%d piece(s) of evidence of machine-coded sources hidden (--exclude-machine)\n", c.HiddenMachine)
	}
	if deprecated {
		a.printf("[deprecated] = every statement of the value is judged deprecated (analytics leave it out unless --with-deprecated)\n")
	}
}

func newSearchCmd(a *app) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "search TEXT",
		Short: "Find entities whose name or alias contains TEXT (case- and accent-insensitive), then ranked full-text hits in names, aliases, descriptions and quotes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				text := strings.Join(args, " ")
				q, err := a.reader(cmd.Context(), s)
				if err != nil {
					return err
				}
				rs, err := q.SearchAll(cmd.Context(), text, limit)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, r := range rs {
					row := []string{r.ID, r.Kind, r.Name, r.Matched, "", "", "", "", ""}
					if h := r.TextHit; h != nil {
						row = append(row[:4], h.Field, h.Text, h.Source, h.Statement, strconv.FormatFloat(h.Score, 'f', -1, 64))
					}
					rows = append(rows, row)
				}
				return a.emit(rs, []string{"id", "kind", "name", "matched", "field", "text", "source", "statement", "score"}, rows, func() error {
					return a.printSearch(text, rs)
				})
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many name matches and this many full-text hits (0: all)")
	return cmd
}

// printSearch prints the name and alias matches, then the full-text hits.
func (a *app) printSearch(text string, rs []query.SearchResult) error {
	esc := schema.Escape // text from the store may hold control characters
	var names, hits [][]string
	for _, r := range rs {
		if h := r.TextHit; h != nil {
			hits = append(hits, []string{strconv.FormatFloat(h.Score, 'f', 3, 64), esc(r.ID), h.Field, esc(h.Source), esc(h.Text)})
		} else {
			names = append(names, []string{esc(r.ID), r.Kind, esc(r.Name), esc(r.Matched)})
		}
	}
	if len(names) == 0 {
		a.printf("no entity has a name or alias containing %q\n", text)
	} else if err := a.table("ID\tKIND\tNAME\tMATCHED", names); err != nil {
		return err
	}
	if len(hits) == 0 {
		a.printf("no name, alias, description or quote holds every word of %q\n", text)
		return nil
	}
	a.printf("\nFull text (names, aliases, descriptions, quotes), best first:\n")
	return a.table("SCORE\tENTITY\tFIELD\tSOURCE\tTEXT", hits)
}

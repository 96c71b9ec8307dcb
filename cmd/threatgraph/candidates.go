package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

func newCandidatesCmd(a *app) *cobra.Command {
	var o query.CandidateOptions
	cmd := &cobra.Command{
		Use:   "candidates [--kind K] [--limit N] [--min-score S]",
		Short: "Pairs of entities of one kind that may be one (for same), each with its score, reasons and counter-evidence, strongest first",
		Long: `List the pairs of entities of one kind that may name one entity, strongest first, each with a score
(0 to 1), its reasons and the counter-evidence, and the command that accepts it
(threatgraph same A B --reason TEXT: write your own reason). Nothing is merged until you run it.

Reasons: the same external id (strong), the same name, a name of one that is an alias of the other,
shared aliases (weak: never enough alone to suggest merging), similar names (the words of their keys in
common, a long word matching at a small edit distance), the same attacks (perpetratedBy) and places (activeIn, locatedIn, country).
Against: distinct ids in a scheme of one id per entity (two Wikidata QIDs, two MITRE ids; not GDELT
events or STIX ids), and a relation that holds them apart (partOf, affiliateOf, splinterOf,
rivalOf, ...), make a pair weak whatever else it shares. Pairs merged by same are not listed; pairs
a different statement keeps apart are counted as ruled out, not listed; entities of two kinds are
never paired (same needs one kind; those sharing an external id are counted). Only entities that
share a name or alias key, an external id or a name word are compared (docs/import.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.analysis(cmd, func(q *query.Reader) error {
				res, err := q.Candidates(cmd.Context(), o)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, c := range res.Candidates {
					rows = append(rows, []string{c.Kind, c.A.ID, c.A.Name, c.B.ID, c.B.Name, strconv.FormatFloat(c.Score, 'f', 3, 64), c.Strength,
						reasonsText(c.Reasons, false), reasonsText(c.Against, true), c.Command})
				}
				return a.emit(res, []string{"kind", "a", "a_name", "b", "b_name", "score", "strength", "reasons", "against", "command"}, rows, func() error {
					a.printCandidates(res)
					return nil
				})
			})
		},
	}
	cmd.Flags().StringVar(&o.Kind, "kind", "", "only entities of this kind (Group, Person, Organization, ...)")
	cmd.Flags().IntVar(&o.Limit, "limit", 50, "at most this many candidates (0: all)")
	cmd.Flags().Float64Var(&o.MinScore, "min-score", 0, "only candidates scoring at least this (0 to 1)")
	return cmd
}

// reasonsText writes reasons on one line: "shared alias: X, Y (0.19)";
// counter-evidence with the factor its score was multiplied by.
func reasonsText(rs []query.Reason, against bool) string {
	var parts []string
	for _, r := range rs {
		s := r.Text
		if len(r.Values) > 0 {
			s += ": " + strings.Join(r.Values, ", ")
		}
		w := strconv.FormatFloat(r.Weight, 'f', -1, 64)
		if against {
			s += " (score x" + w + ")"
		} else {
			s += " (" + w + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func (a *app) printCandidates(res *query.CandidatesResult) {
	what := "candidates"
	if res.Kind != "" {
		what = res.Kind + " candidates"
	}
	a.printf("%d of %d %s scoring at least %s", len(res.Candidates), res.Pairs, what, strconv.FormatFloat(res.MinScore, 'f', -1, 64))
	if res.RuledOut > 0 {
		a.printf("; %d ruled out by different statements", res.RuledOut)
	}
	if res.OtherKinds > 0 {
		a.printf("; %s of two kinds sharing an external id (not listed: same needs one kind)", plural(res.OtherKinds, "pair"))
	}
	a.printf("\n%s\n", res.Note)
	for _, c := range res.Candidates {
		a.printf("\n%s %.3f  %s %s  and  %s %s  (%s)\n", c.Strength, c.Score, c.A.ID, quoted(c.A.Name), c.B.ID, quoted(c.B.Name), c.Kind)
		for _, r := range c.Reasons {
			a.printf("  + %s\n", escLine(reasonsText([]query.Reason{r}, false)))
		}
		for _, r := range c.Against {
			a.printf("  - %s\n", escLine(reasonsText([]query.Reason{r}, true)))
		}
		a.printf("  accept: %s\n", escLine(c.Command))
	}
}

// quoted writes a name from the store in quotes, escaped for the terminal.
func quoted(s string) string { return strconv.Quote(s) }

// escLine escapes text from the store for the terminal.
func escLine(s string) string { return schema.Escape(s) }

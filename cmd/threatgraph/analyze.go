package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/textindex"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

// reader returns the Reader of the store, its view and full-text index
// kept in the store's directory for the key-value backends; with --as-of,
// the Reader of the store as it was then (graph.Store.AsOf), its view and
// index kept per past generation (query.PastDir).
func (a *app) reader(ctx context.Context, s *graph.Store) (*query.Reader, error) {
	dir := snapshotDir(s)
	if a.asOf == "" {
		return query.NewReader(s, query.ReaderOptions{Dir: dir, Logger: a.logger, TextIndex: textindex.Opener}), nil
	}
	p, err := s.AsOf(ctx, a.asOf)
	if err != nil {
		return nil, historyUsage(fmt.Errorf("--as-of: %w", err))
	}
	if cur, err := p.Current(ctx); err != nil || cur {
		// Nothing was recorded since: the present, with its own snapshot.
		return query.NewReader(s, query.ReaderOptions{Dir: dir, Logger: a.logger, TextIndex: textindex.Opener}), err
	}
	g, _ := p.Generation(ctx)
	a.logger.DebugContext(ctx, "reading the store as of", "as_of", a.asOf, "record", p.At, "time", p.Time, "generation", g)
	// Say which state answers, on standard error (standard output stays
	// the answer).
	if p.At == "" {
		fmt.Fprintf(a.errOut, "as of %s: before the first load recorded, so the store was empty (threatgraph loads lists the records)\n", a.asOf)
	} else {
		fmt.Fprintf(a.errOut, "as of %s: the store just after %s (%s)\n", a.asOf, p.At, p.Time.Format(time.RFC3339))
	}
	return query.NewReader(p, query.ReaderOptions{Dir: query.PastDir(dir, g, a.logger), Logger: a.logger, TextIndex: textindex.Opener}), nil
}

// asOfFlag adds --as-of, which every question verb takes.
func (a *app) asOfFlag(fs *pflag.FlagSet) {
	fs.StringVar(&a.asOf, "as-of", "", "answer as the store was then, with the loads and retractions recorded up to it: "+graph.AsOfForms)
}

// snapshotDir is where the view's snapshot lives: the store's directory for
// the key-value backends, none (built in memory) for the others.
func snapshotDir(s *graph.Store) string {
	if s.Backend() == "memstore" || s.Backend() == "postgres" {
		return ""
	}
	return s.Path()
}

// loadedReader is reader with its view loaded (from its snapshot when
// current), with a progress bar on a terminal while it is built.
func (a *app) loadedReader(ctx context.Context, s *graph.Store) (*query.Reader, error) {
	q, err := a.reader(ctx, s)
	if err != nil {
		return nil, err
	}
	pctx, done := a.viewProgress(ctx)
	_, err = q.View(pctx)
	done()
	if err != nil {
		return nil, err
	}
	return q, nil
}

// filterFlags adds the belief-policy, window and deprecation flags shared
// by the analytics verbs.
func filterFlags(fs *pflag.FlagSet, f *query.Scope) {
	fs.StringSliceVar(&f.Sources, "sources", nil, "use only facts stated by these sources (ids, comma-separated)")
	fs.StringSliceVar(&f.ExcludeSources, "exclude-sources", nil, "leave out facts stated by these sources")
	fs.BoolVar(&f.ExcludeMachine, "exclude-machine", false, "leave out facts of machine-coded sources (coding: machine, such as GDELT's)")
	fs.StringSliceVar(&f.Predicates, "predicates", nil, "only these relations (e.g. perpetratedBy,locatedIn)")
	fs.StringVar(&f.From, "from", "", "dated entities must overlap this date or later (YYYY, YYYY-MM, YYYY-MM-DD, ...)")
	fs.StringVar(&f.To, "to", "", "dated entities must overlap this date or earlier")
	deprecatedFlag(fs, f)
}

// deprecatedFlag adds --with-deprecated, which every analytics verb takes.
func deprecatedFlag(fs *pflag.FlagSet, f *query.Scope) {
	fs.BoolVar(&f.WithDeprecated, "with-deprecated", false, "keep the facts that judgements rank deprecated (left out by default; show and contested always list them, marked)")
}

// analysis runs fn with the store's Reader, its view loaded; a user's
// mistake in what fn asks exits 2 (asUsage).
func (a *app) analysis(cmd *cobra.Command, fn func(*query.Reader) error) error {
	return a.readStore(cmd.Context(), func(s *graph.Store) error {
		q, err := a.loadedReader(cmd.Context(), s)
		if err != nil {
			return err
		}
		return asUsage(fn(q))
	})
}

// emit writes v in the configured format: as JSON, as CSV (header, then
// rows), or as the text that text prints.
func (a *app) emit(v any, header []string, rows [][]string, text func() error) error {
	switch a.cfg.Format {
	case "json":
		return a.json(v)
	case "csv":
		return csv.NewWriter(a.out).WriteAll(append([][]string{header}, rows...))
	}
	return text()
}

func (a *app) table(header string, rows [][]string) error {
	tw := tabwriter.NewWriter(a.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = schema.Escape(c) // text from the store or a user, never raw to the terminal
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// asUsage marks a user's mistake as bad input (exit 2): a *query.ParamError
// (an unknown source, predicate, kind or measure, a bad date or window), an
// entity that is not there or is ambiguous. Any other failure (I/O, a
// cancelled command) stays what it is (exit 1, or the signal's code).
func asUsage(err error) error {
	var pe *query.ParamError
	var amb *query.AmbiguousError
	if errors.As(err, &pe) && err == error(pe) {
		return usageError{fmt.Errorf("--%w", pe)} // the parameter is the flag of the same name
	}
	if pe != nil || errors.Is(err, query.ErrNotFound) || errors.As(err, &amb) {
		return usageError{err}
	}
	return err
}

func f6(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }

func newCentralityCmd(a *app) *cobra.Command {
	var o query.CentralityOptions
	cmd := &cobra.Command{
		Use:   "centrality",
		Short: "Rank entities by degree, betweenness, closeness, harmonic, PageRank, HITS or eigenvector centrality",
		Long: `Rank entities by a centrality measure on the graph of entities and relations (literals and
sources are not nodes; claims and warnings are). --kinds limits which entities are ranked, not
the graph. Betweenness is exact up to 5,000 nodes and sampled (1,000 pivots, seeded) above.
--stability reruns with each source left out in turn and shows how each top entity's rank moves.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.analysis(cmd, func(q *query.Reader) error {
				res, err := q.Centrality(cmd.Context(), o)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, r := range res.Top {
					row := []string{strconv.Itoa(r.Rank), r.Name, r.Kind, r.ID, f6(r.Score)}
					if o.Stability {
						row = append(row, fmt.Sprintf("%d-%d", r.MinRank, r.MaxRank), r.MostMovedBy)
					}
					rows = append(rows, row)
				}
				h, th := []string{"rank", "name", "kind", "id", o.Measure}, "RANK\tNAME\tKIND\tID\tSCORE"
				if o.Stability {
					h, th = append(h, "rank_range", "most_moved_by"), th+"\tRANK WITH ONE SOURCE LEFT OUT\tMOVED MOST BY DROPPING"
				}
				return a.emit(res, h, rows, func() error {
					a.printf("%s (%s) on %d entities, %d relations\n\n", o.Measure, res.Method, res.Nodes, res.Edges)
					return a.table(th, rows)
				})
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Measure, "measure", "pagerank", "degree, betweenness, closeness, harmonic, pagerank, hits, hubs or eigenvector")
	fs.StringSliceVar(&o.Scope.Kinds, "kinds", nil, "rank only these kinds (e.g. Group,Person)")
	fs.IntVar(&o.Top, "top", 10, "how many to list")
	fs.BoolVar(&o.Stability, "stability", false, "rerun with each source left out and report rank movement")
	filterFlags(fs, &o.Scope)
	return cmd
}

func hopText(h query.Hop) string {
	mark := ""
	if h.MachineCoded {
		mark = " [machine-coded]"
	}
	if h.Forward {
		return fmt.Sprintf("%s --%s--> %s%s", h.FromName, h.Predicate, h.ToName, mark)
	}
	return fmt.Sprintf("%s <--%s-- %s%s", h.FromName, h.Predicate, h.ToName, mark)
}

func newPathCmd(a *app) *cobra.Command {
	var k, depth int
	var f query.Scope
	cmd := &cobra.Command{
		Use:   "path FROM TO",
		Short: "Shortest and k-shortest paths between two entities, each hop with its predicate, direction and sources",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if k < 1 || k > 100 {
				return usageError{fmt.Errorf("--k %d: expected 1 to 100 paths", k)}
			}
			if depth < 0 {
				return usageError{fmt.Errorf("--max-depth %d: expected 0 (any) or more hops", depth)}
			}
			return a.analysis(cmd, func(q *query.Reader) error {
				res, err := q.Paths(cmd.Context(), args[0], args[1], k, depth, f)
				if err != nil {
					return err
				}
				var rows [][]string
				for i, p := range res.Paths {
					for j, h := range p.Hops {
						rows = append(rows, []string{strconv.Itoa(i + 1), strconv.Itoa(j + 1), h.From, h.Predicate, strconv.FormatBool(h.Forward), h.To, strings.Join(h.Sources, " ")})
					}
				}
				return a.emit(res, []string{"path", "hop", "from", "predicate", "forward", "to", "sources"}, rows, func() error {
					if len(res.Paths) == 0 {
						a.printf("no path from %s to %s", res.From.Name, res.To.Name)
						if depth > 0 {
							a.printf(" within %d hops", depth)
						}
						a.printf("\n")
					}
					for i, p := range res.Paths {
						a.printf("path %d (%d hops): %s to %s\n", i+1, p.Length, res.From.Name, res.To.Name)
						for _, h := range p.Hops {
							a.printf("  %s   [%s]\n", hopText(h), strings.Join(h.Sources, ", "))
						}
					}
					return nil
				})
			})
		},
	}
	cmd.Flags().IntVar(&k, "k", 1, "how many shortest paths (Yen)")
	cmd.Flags().IntVar(&depth, "max-depth", 0, "longest path to report, in hops (0: any)")
	filterFlags(cmd.Flags(), &f)
	return cmd
}

func newNeighborsCmd(a *app) *cobra.Command {
	var depth int
	var f query.Scope
	cmd := &cobra.Command{
		Use:   "neighbors ID|NAME",
		Short: "Entities within N hops, nearest first, with the relation that reaches each",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if depth < 1 || depth > 10 {
				return usageError{fmt.Errorf("--depth %d: expected 1 to 10 hops", depth)}
			}
			return a.analysis(cmd, func(q *query.Reader) error {
				res, err := q.Neighbors(cmd.Context(), strings.Join(args, " "), depth, f)
				if err != nil {
					return err
				}
				m, ns := res.Entity, res.Neighbors
				var rows [][]string
				for _, n := range ns {
					rows = append(rows, []string{strconv.Itoa(n.Distance), n.Name, n.Kind, n.ID, hopText(n.Via), strconv.FormatBool(n.Via.MachineCoded)})
				}
				return a.emit(res, []string{"distance", "name", "kind", "id", "via", "machine_coded"}, rows, func() error {
					a.printf("%s (%s): %d entities within %d hops\n\n", m.Name, m.ID, len(ns), depth)
					table := make([][]string, len(rows))
					machine := false
					for i, r := range rows {
						table[i] = r[:5]
						machine = machine || ns[i].Via.MachineCoded
					}
					if err := a.table("HOPS\tNAME\tKIND\tID\tVIA", table); err != nil || !machine {
						return err
					}
					a.printf("\n%s\n", machineLegend)
					return nil
				})
			})
		},
	}
	cmd.Flags().IntVar(&depth, "depth", 1, "how many hops")
	filterFlags(cmd.Flags(), &f)
	return cmd
}

func newTimelineCmd(a *app) *cobra.Command {
	var f query.Scope
	cmd := &cobra.Command{
		Use:   "timeline ID|NAME",
		Short: "Every dated fact of the entity and of the attacks, warnings, claims and groups linked to it, in order",
		Long: `List every dated fact of the entity (its date, founding, seizure of power, arrest, end, ...) and
of the entities one hop away, in order: one line per predicate and date, with the sources that give
that date. Sources that date the same thing differently are each listed with their own date, marked
contested; a date is as the source wrote it (an interval, with the words). --from/--to keep a dated
fact when its interval overlaps the window; --predicates chooses the relations that reach the
neighbours.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.analysis(cmd, func(q *query.Reader) error {
				res, err := q.Timeline(cmd.Context(), strings.Join(args, " "), f)
				if err != nil {
					return err
				}
				m, evs := res.Entity, res.Events
				var rows, table [][]string
				machine := false
				for _, e := range evs {
					rows = append(rows, []string{e.Date, strings.Join(e.AsWritten, " | "), e.Predicate, e.Name, e.Kind, e.ID, e.Relation,
						strconv.FormatBool(e.Contested), strings.Join(e.Sources, " "), strconv.FormatBool(e.MachineCoded)})
					table = append(table, []string{timelineDate(e), timelineWhat(e), timelineSources(e)})
					machine = machine || e.MachineCoded
				}
				return a.emit(res, []string{"date", "as_written", "predicate", "name", "kind", "id", "relation", "contested", "sources", "machine_coded"}, rows, func() error {
					a.printf("Timeline of %s (%s)\n\n", m.Name, m.ID)
					if len(evs) == 0 {
						a.printf("No dated facts in this scope.\n")
						return nil
					}
					if err := a.table("DATE\tWHAT\tSOURCES", table); err != nil || !machine {
						return err
					}
					a.printf("\n%s\n", machineLegend)
					return nil
				})
			})
		},
	}
	filterFlags(cmd.Flags(), &f)
	return cmd
}

// timelineDate writes an event's date for a reader: the canonical
// interval, the sources' words, and whether sources disagree.
func timelineDate(e query.TimelineEvent) string {
	s := e.Date
	if len(e.AsWritten) > 0 {
		s += " (" + strings.Join(e.AsWritten, " | ") + ")"
	}
	if e.Contested {
		s += " [contested]"
	}
	return s
}

// timelineWhat writes what an event dates: the subject's own predicate, or
// the linked entity, its kind and relation (and the predicate when it is
// not the entity's own date).
func timelineWhat(e query.TimelineEvent) string {
	s := e.Predicate
	if e.Relation != "self" {
		s = fmt.Sprintf("%s (%s, %s)", e.Name, e.Kind, e.Relation)
		if e.Predicate != "date" {
			s += ": " + e.Predicate
		}
	}
	if e.Deprecated {
		s += " [deprecated]"
	}
	if e.MachineCoded {
		s += " [machine-coded]"
	}
	return s
}

// timelineSources lists an event's sources, a machine-coded one marked.
func timelineSources(e query.TimelineEvent) string {
	var out []string
	for _, src := range e.Sources {
		if slices.ContainsFunc(e.Evidence, func(x query.TimelineEvidence) bool { return x.Source == src && x.Coding == schema.MachineCoding }) {
			src += " (machine-coded)"
		}
		out = append(out, src)
	}
	return strings.Join(out, " ")
}

// machineLegend explains the [machine-coded] mark of a table.
const machineLegend = "[machine-coded] = every source of it is machine-coded (such as GDELT's events): software coded it from news text, no person read it; --exclude-machine leaves such sources out"

func newContestedCmd(a *app) *cobra.Command {
	var loads bool
	cmd := &cobra.Command{
		Use:   "contested",
		Short: "Points on which sources disagree: values, who carried out an attack, relations stated and negated",
		Long: `List the points on which sources disagree, each value or side with its sources and quotes:
single-valued facts whose values cannot all hold (dates when their intervals do not overlap), attacks
whose sources disagree on who carried them out (claims of responsibility, attributions, denials and
perpetratedBy), and relations that one statement states and another negates. The list is complete
only for what it checks: ` + query.ContestedScope + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				q, err := a.reader(cmd.Context(), s)
				if err != nil {
					return err
				}
				dis, err := q.Contested(withLoads(cmd.Context(), loads))
				if err != nil {
					return historyUsage(asUsage(err))
				}
				var rows [][]string
				for _, d := range dis {
					for _, val := range d.Values {
						for _, e := range val.Evidence {
							rows = append(rows, withLoadsColumn(loads, []string{d.Kind, d.Subject, d.Name, d.Predicate, val.Value.String(), "", "", e.Source, e.Quote, strings.Join(e.AccordingTo, " "), e.Rank, e.Coding}, e))
						}
					}
					for _, sd := range d.Sides {
						value := sd.Actor
						if d.Kind == query.KindRelation {
							value = d.Object
						}
						for _, e := range sd.Evidence {
							rows = append(rows, withLoadsColumn(loads, []string{d.Kind, d.Subject, d.Name, d.Predicate, value, sd.Stance, sd.Claim, e.Source, e.Quote, strings.Join(e.AccordingTo, " "), e.Rank, e.Coding}, e))
						}
					}
				}
				return a.emit(dis, loadsHeader(loads, []string{"kind", "subject", "name", "predicate", "value", "stance", "claim", "source", "quote", "according_to", "rank", "coding"}), rows, func() error {
					a.printf("%d contested points (%s)\n\n", len(dis), query.ContestedScope)
					a.printContested(dis)
					return nil
				})
			})
		},
	}
	cmd.Flags().BoolVar(&loads, "loads", false, "say which recorded loads brought each value's evidence, and when (bbolt)")
	return cmd
}

// stanceWords says a side's stance in words.
var stanceWords = map[string]string{
	query.StanceResponsibility: "claims responsibility",
	query.StanceAttribution:    "attributes",
	query.StanceDenial:         "denies",
	query.StanceUnstated:       "names (claim type not stated)",
	query.StancePerpetrator:    "states as perpetrator",
	query.StanceNotPerpetrator: "states as not the perpetrator",
	query.StanceStates:         "states",
	query.StanceNegates:        "negates",
}

func (a *app) printContested(dis []query.Disagreement) {
	esc := schema.Escape // text from the store may hold control characters
	for _, d := range dis {
		switch d.Kind {
		case query.KindAttribution:
			a.printf("%s (%s), who carried it out:\n", esc(d.Name), esc(d.Subject))
			for _, sd := range d.Sides {
				how := stanceWords[sd.Stance]
				if sd.Claim != "" {
					var by []string
					for _, c := range sd.Claimants {
						by = append(by, c.Name)
					}
					if len(by) > 0 {
						how += " (" + sd.Claim + ", by " + strings.Join(by, ", ") + ")"
					} else {
						how += " (" + sd.Claim + ")"
					}
				}
				a.printf("  %-24s %s: %s\n", esc(sd.ActorName), esc(how), sourceList(sd.Evidence))
			}
		case query.KindRelation:
			a.printf("%s (%s) %s %s (%s):\n", esc(d.Name), esc(d.Subject), esc(d.Predicate), esc(d.ObjectName), esc(d.Object))
			for _, sd := range d.Sides {
				a.printf("  %-24s %s\n", stanceWords[sd.Stance], sourceList(sd.Evidence))
			}
		default:
			a.printf("%s (%s) %s:\n", esc(d.Name), esc(d.Subject), esc(d.Predicate))
			for _, val := range d.Values {
				s := val.Value.String()
				if val.ValueName != "" {
					s = val.ValueName
				}
				a.printf("  %-24s %s\n", esc(s), sourceList(val.Evidence))
				for _, e := range val.Evidence {
					for _, line := range judgementLines(e) {
						a.printf("    %s\n", line)
					}
					if l := loadsLine(e); l != "" {
						a.printf("    %s: %s\n", schema.Escape(e.Source), l)
					}
				}
			}
		}
	}
}

func newPrecededCmd(a *app) *cobra.Command {
	var o query.PrecededOptions
	var window string
	cmd := &cobra.Command{
		Use:   "preceded",
		Short: "For each attack, the warnings that preceded it, with certainty, lead time and the path that links them",
		Long: `Match warnings to the attacks that followed them, by group (the warned-about group, its
affiliates and parents) and by place (the attack's place lies within the warned place through
partOf). A warning is certain to precede an attack when its dates end before the attack's begin
and neither the warning nor its link rests on machine-coded sources only nor matches by a country,
region or continent alone; it is possible when their dates overlap, or when the dates put it
before but it is machine-coded or matched that weakly (the line says: dated before, but ...).
Lead times are intervals in days. Also lists the dated attacks no
warning preceded and the warnings no matching attack followed within the window, and the pairs
that match but cannot be put in order because the sources believed date one of them not at all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			days, err := query.ParseWindow(window)
			if err != nil {
				return asUsage(err)
			}
			o.WindowDays = days
			return a.analysis(cmd, func(q *query.Reader) error {
				res, err := q.Preceded(cmd.Context(), o)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, at := range res.Attacks {
					for _, w := range at.Warnings {
						rows = append(rows, []string{at.Attack, at.Date, w.Warning, w.WarningDate, w.Certainty, strconv.Itoa(w.LeadDays[0]), strconv.Itoa(w.LeadDays[1]), strings.Join(w.MatchedBy, "+"),
							strconv.FormatBool(w.DatedBefore), strconv.FormatBool(w.MachineCoded), w.WeakMatch})
					}
				}
				for _, u := range res.Unordered {
					rows = append(rows, []string{u.Attack, u.AttackDate, u.Warning, u.WarningDate, "unordered", "", "", strings.Join(u.MatchedBy, "+"), "", "", ""})
				}
				return a.emit(res, []string{"attack", "attack_date", "warning", "warning_date", "certainty", "lead_min_days", "lead_max_days", "matched_by", "dated_before", "machine_coded", "weak_match"}, rows,
					func() error { a.printPreceded(res, true); return nil })
			})
		},
	}
	cmd.Flags().StringVar(&window, "window", "90d", "how long before an attack a warning counts (e.g. 90d, 12w, 6m, 1y)")
	cmd.Flags().StringVar(&o.Group, "group", "", "only attacks attributed to this group or its affiliates")
	cmd.Flags().StringVar(&o.Place, "place", "", "only attacks within this place")
	cmd.Flags().BoolVar(&o.CertainOnly, "certain", false, "only warnings certainly before the attack (no overlapping dates, not machine-coded, not matched by a broad place alone)")
	filterFlags(cmd.Flags(), &o.Scope)
	return cmd
}

func (a *app) printPreceded(res *query.PrecededResult, lists bool) {
	for _, at := range res.Attacks {
		a.printf("%s (%s), %s\n", at.Name, at.Attack, at.Date)
		for _, w := range at.Warnings {
			a.printf("  %-9s %s%s: %s (%s)", w.Certainty, query.FormatLead(w.LeadDays), precursorCaveat(w), w.WarningName, w.WarningDate)
			if len(w.IssuedBy) > 0 {
				a.printf(", by %s", strings.Join(w.IssuedBy, ", "))
			}
			if len(w.IssuedTo) > 0 {
				a.printf(" to %s", strings.Join(w.IssuedTo, ", "))
			}
			a.printf("; matched by %s\n", strings.Join(w.MatchedBy, " and "))
			for _, ev := range w.Evidence {
				var parts []string
				for _, h := range ev {
					parts = append(parts, hopText(h))
				}
				a.printf("      %s\n", strings.Join(parts, "; "))
			}
		}
	}
	if !lists {
		return
	}
	a.printf("\nDated attacks no warning preceded (within %d days): %d\n", res.WindowDays, len(res.Unwarned))
	for _, m := range res.Unwarned {
		a.printf("  %s (%s)\n", m.Name, m.ID)
	}
	a.printf("\nWarnings no matching attack followed within %d days: %d\n", res.WindowDays, len(res.Unfollowed))
	for _, m := range res.Unfollowed {
		a.printf("  %s (%s)\n", m.Name, m.ID)
	}
	a.printf("\nWarnings and attacks that match but cannot be put in order (undated by the sources): %d\n", len(res.Unordered))
	for _, u := range res.Unordered {
		a.printf("  %s (%s) ~ %s (%s); matched by %s\n", u.WarningName, orUndated(u.WarningDate), u.AttackName, orUndated(u.AttackDate), strings.Join(u.MatchedBy, " and "))
	}
	a.printf("\nUndated attacks and warnings: %d\n", len(res.Undated))
	for _, m := range res.Undated {
		a.printf("  %s (%s)\n", m.Name, m.ID)
	}
}

// precursorCaveat says why a warning the dates put before an attack is
// only possible: machine-coded, or matched by a broad place alone.
func precursorCaveat(w query.Precursor) string {
	var why []string
	if w.MachineCoded {
		why = append(why, "machine-coded")
	}
	if w.WeakMatch != "" {
		why = append(why, "weak match "+w.WeakMatch)
	}
	if len(why) == 0 {
		return ""
	}
	if w.DatedBefore {
		return " (dated before, but " + strings.Join(why, "; ") + ")"
	}
	return " (" + strings.Join(why, "; ") + ")"
}

func orUndated(date string) string {
	if date == "" {
		return "undated"
	}
	return date
}

func newCommunitiesCmd(a *app) *cobra.Command {
	var project string
	var f query.Scope
	cmd := &cobra.Command{
		Use:   "communities",
		Short: "Louvain communities of the graph, or of groups linked through shared attacks, members and places (--project group)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.analysis(cmd, func(q *query.Reader) error {
				res, err := q.Communities(cmd.Context(), project, f)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, c := range res.Communities {
					for _, m := range c.Members {
						rows = append(rows, []string{strconv.Itoa(c.ID), m.ID, m.Kind, m.Name})
					}
				}
				return a.emit(res, []string{"community", "id", "kind", "name"}, rows, func() error {
					a.printf("%d communities (modularity %.3f), %d singletons left out\n", len(res.Communities), res.Modularity, res.Singletons)
					for _, c := range res.Communities {
						var names []string
						for _, m := range c.Members {
							names = append(names, m.Name)
						}
						a.printf("\n%d. %d members: %s\n", c.ID, c.Size, strings.Join(names, "; "))
					}
					return nil
				})
			})
		},
	}
	cmd.Flags().StringVar(&project, "project", "", "group: cluster groups linked through shared attacks, members and places")
	filterFlags(cmd.Flags(), &f)
	return cmd
}

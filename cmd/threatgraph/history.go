package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/httpapi"
)

func newLoadsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "loads",
		Short: "List the load history: every load (id, when, files, who, quads added) and every retraction",
		Long: `List every load recorded in the store (CLI ingest, HTTP ingest, demo): its id, when (UTC),
how it came, its files with their sha256 and format, who and where, how many quads it added and
how many it stated, and the retraction in force on it, if any; then every retraction and undo.
A store written before the history shows what it held then as load:0 once a load or retraction
has been recorded. --format csv lists the loads only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				h, err := s.History(cmd.Context())
				if err != nil {
					return historyUsage(err)
				}
				header := []string{"id", "time", "via", "user", "host", "files", "sha256", "formats", "added", "stated", "retracted"}
				var rows [][]string
				for _, l := range h.Loads {
					var names, sums, formats []string
					for _, f := range l.Files {
						names, sums, formats = append(names, f.Name), append(sums, f.SHA256), append(formats, f.Format)
					}
					files := strings.Join(names, " ")
					if len(names) > 2 {
						files = fmt.Sprintf("%s and %d more", names[0], len(names)-1)
					}
					retracted := l.Retracted
					if l.Purged != "" {
						retracted = strings.TrimSpace(retracted + " purged by " + l.Purged)
					}
					rows = append(rows, []string{l.ID, l.Time.Format(time.RFC3339), l.Via, l.User, l.Host,
						strings.Join(names, " "), strings.Join(sums, " "), strings.Join(formats, " "),
						strconv.Itoa(l.Added), strconv.Itoa(l.Quads), retracted, files})
				}
				csvRows := make([][]string, len(rows))
				for i, r := range rows {
					csvRows[i] = r[:11]
				}
				return a.emit(h, header, csvRows, func() error {
					var lr [][]string
					for _, r := range rows {
						lr = append(lr, []string{r[0], r[1], r[2], r[3] + "@" + r[4], r[11], r[8], r[9], r[10]})
					}
					if err := a.table("LOAD\tTIME\tVIA\tBY\tFILES\tADDED\tSTATED\tRETRACTED BY", lr); err != nil {
						return err
					}
					if len(h.Retractions) > 0 {
						var rr [][]string
						for _, r := range h.Retractions {
							rr = append(rr, []string{r.ID, r.Time.Format(time.RFC3339), r.Kind, r.Target, r.User + "@" + r.Host, r.Reason, r.UndoneBy})
						}
						a.printf("\n")
						if err := a.table("RETRACTION\tTIME\tKIND\tTARGET\tBY\tREASON\tUNDONE BY", rr); err != nil {
							return err
						}
					}
					return a.purgesTable(h.Purges)
				})
			})
		},
	}
}

func newRetractCmd(a *app) *cobra.Command {
	var reason string
	var undo bool
	cmd := &cobra.Command{
		Use:   "retract LOAD|SOURCE|STATEMENT --reason TEXT | retract --undo RETRACTION --reason TEXT",
		Short: "Retract a load, a source or a statement (its facts leave every answer), or undo a retraction",
		Long: `Record a retraction: of a load (load:N, as threatgraph loads lists them), a source
(source:NAME: every fact it or its statements state) or a statement (source:NAME#e-HASH). The
facts leave every answer (stats, show, contested, the analytics, exports) unless a load that is
not retracted also states them; nothing is deleted, and the retraction (who, when, why) is
recorded. --undo RETRACTION records the undo of one: its facts come back.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := graph.Open(ctx, graph.Options{Backend: a.cfg.Store.Backend, Path: a.cfg.Store.Path, NoSync: a.cfg.Store.NoSync, MustExist: true}, a.logger)
			if err != nil {
				return err
			}
			defer s.Close()
			before, err := s.Count(ctx)
			if err != nil {
				return err
			}
			var r *graph.Retraction
			if undo {
				r, err = s.Undo(ctx, args[0], reason)
			} else {
				r, err = s.Retract(ctx, args[0], reason)
			}
			if err != nil {
				return historyUsage(err)
			}
			if a.cfg.Format == "json" {
				return a.json(r)
			}
			after, err := s.Count(ctx)
			if err != nil {
				return err
			}
			if undo {
				a.printf("%s: undid %s: %d quads back in the answers\n", r.ID, r.Target, after-before)
				return nil
			}
			a.printf("%s: retracted %s %s: %d quads left the answers", r.ID, r.Kind, r.Target, before-after)
			if before == after {
				a.printf(" (what it states is also stated by loads not retracted, or already hidden)")
			}
			a.printf("; undo with threatgraph retract --undo %s --reason TEXT\n", r.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	cmd.Flags().BoolVar(&undo, "undo", false, "undo the retraction named (retraction:N)")
	return cmd
}

// historyUsage marks a bad id or a refused retraction as bad input (exit 2).
func historyUsage(err error) error {
	var he *graph.HistoryError
	if errors.As(err, &he) || errors.Is(err, graph.ErrNoHistory) {
		return usageError{err}
	}
	return err
}

// historian is the store's history for the server: nil on backends that
// keep none.
func historian(s *graph.Store) httpapi.Historian {
	if s.Backend() != "bbolt" {
		return nil
	}
	return s
}

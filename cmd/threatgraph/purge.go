package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/threatgraph/threatgraph/graph"
)

func newPurgeCmd(a *app) *cobra.Command {
	var reason string
	var yes, verbose, compact bool
	cmd := &cobra.Command{
		Use:   "purge LOAD|SOURCE|STATEMENT --reason TEXT [--yes]",
		Short: "Physically delete a load's, a source's or a statement's facts from the store (cannot be undone; retract is the default)",
		Long: `Delete from the store, physically, the facts of a load (load:N: the quads it stated that no
other recorded load also stated, retracted or not), of a source (source:NAME: every quad it or one
of its statements states, whoever loaded it) or of a statement (source:NAME#e-HASH: its facts and
its quote). For data that must be gone; to take facts out of the answers, retract them (recorded,
undoable).

A purge cannot be undone. It records who, when, why, what and how many quads (never the content),
listed by threatgraph loads; a purged load stays listed, marked purged. The purged facts are gone
from the past too: --as-of a generation before the purge answers without them. The view, the
full-text index and the past views are rebuilt at the next question.

Then the store's file is rewritten without its free pages (bbolt leaves deleted bytes in them
until reused; --compact=false skips it). It prints how many quads it removed; -v or --format json also lists them. On a terminal it asks
first unless --yes; without a terminal it refuses unless --yes (exit 2).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			target := args[0]
			if strings.TrimSpace(reason) == "" {
				return usageError{fmt.Errorf("purge %s: a purge needs a reason (expected --reason TEXT)", target)}
			}
			if !yes {
				in, ok := cmd.InOrStdin().(*os.File)
				if !ok || !term.IsTerminal(int(in.Fd())) {
					return usageError{fmt.Errorf("purge %s: refusing to delete without --yes when the input is not a terminal (a purge cannot be undone; threatgraph retract hides facts and can be)", target)}
				}
				fmt.Fprintf(a.errOut, "Purge %s from %s? Its facts are deleted and cannot be brought back (retract hides them and can be undone). Type yes to purge: ", target, a.cfg.Store.Path)
				line, _ := bufio.NewReader(in).ReadString('\n')
				if strings.TrimSpace(strings.ToLower(line)) != "yes" {
					return usageError{fmt.Errorf("purge %s: not confirmed; nothing purged", target)}
				}
			}
			s, err := graph.Open(ctx, graph.Options{Backend: a.cfg.Store.Backend, Path: a.cfg.Store.Path, NoSync: a.cfg.Store.NoSync, MustExist: true}, a.logger)
			if err != nil {
				return err
			}
			defer s.Close()
			rec, gone, err := s.Purge(ctx, target, reason)
			if err != nil {
				return historyUsage(err)
			}
			res := graph.NewPurged(rec, gone)
			if compact && rec.Removed > 0 {
				if err := s.Compact(ctx); err != nil {
					return fmt.Errorf("%s is done, but compacting the store failed (the deleted bytes may remain in its free pages until the file is compacted, see docs/storage.md): %w", rec.ID, err)
				}
				res.Compacted = true
			}
			if a.cfg.Format == "json" {
				return a.json(res)
			}
			a.printf("%s: purged %s %s: removed %d quads (this cannot be undone)\n", rec.ID, rec.Kind, rec.Target, rec.Removed)
			if res.Compacted {
				a.printf("the store's file was rewritten without the deleted bytes\n")
			}
			if verbose {
				for _, q := range res.Quads {
					a.printf("%s\n", q)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required; recorded)")
	cmd.Flags().BoolVar(&yes, "yes", false, "purge without asking")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list the quads removed (N-Quads)")
	cmd.Flags().BoolVar(&compact, "compact", true, "then rewrite the store's file without its free pages, where bbolt leaves the deleted bytes (--compact=false to skip)")
	return cmd
}

// purgesTable prints the purges of threatgraph loads, if any.
func (a *app) purgesTable(ps []graph.Purge) error {
	if len(ps) == 0 {
		return nil
	}
	var rows [][]string
	for _, p := range ps {
		rows = append(rows, []string{p.ID, p.Time.Format(time.RFC3339), p.Kind, p.Target, p.User + "@" + p.Host, p.Reason, strconv.Itoa(p.Removed)})
	}
	a.printf("\n")
	return a.table("PURGE\tTIME\tKIND\tTARGET\tBY\tREASON\tREMOVED", rows)
}

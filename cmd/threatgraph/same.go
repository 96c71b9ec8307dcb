package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/internal/httpapi"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

// defaultIdentitySource is the source an identity statement is recorded
// with when --source is not given.
const defaultIdentitySource = schema.DefaultIdentitySource

// An identityResult is what same and different did (--format json), as
// POST /v1/same and /v1/different answer it.
type identityResult = httpapi.IdentityResult

func newSameCmd(a *app, verb string) *cobra.Command {
	var source, reason, date string
	var undo bool
	short := map[string]string{
		schema.Same:      "Record that two ids name one entity (answers treat them as one), or undo that",
		schema.Different: "Record that two ids name two entities (wins over same), or undo that",
	}[verb]
	cmd := &cobra.Command{
		Use:   verb + " A B --reason TEXT [--source S] [--date D] | " + verb + " A B --undo --reason TEXT | " + verb + " --undo IDENTITY --reason TEXT",
		Short: short,
		Long: `same A B records, as a statement of --source (default ` + defaultIdentitySource + `, declared with the first
statement; another must be a Source in the store) with its --reason, that the ids A and B name one entity; different A B that they
name two. It is written as a load (threatgraph loads lists it) of an identity node, a fact like
any other: --as-of sees it from then on, and retract takes it (its statement, its load or its
source). Every answer reads the entities merged by same as one, under the smallest id: the card
lists all ids, the same and different statements and, on each fact's evidence, the id the
source stated it of; centrality, paths, exports count one node. A different between two ids
keeps them, and the entities merged with each, apart whatever same says.
Both ids must be entities of one kind in the store; a problem is reported FILE:LINE: field and
nothing is written.
--undo retracts the statements in force of that verb on A and B (of --source only, when given),
or the one statement IDENTITY (identity:HASH, as show lists it), recorded with --reason;
threatgraph retract --undo brings one back.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if len(reason) > graph.MaxReason {
				return usageError{fmt.Errorf("--reason: a reason of %d bytes (expected at most %d)", len(reason), graph.MaxReason)}
			}
			if reason == "" {
				return usageError{fmt.Errorf("--reason is required (expected why, in words)")}
			}
			if !undo && len(args) != 2 {
				return usageError{fmt.Errorf("%s takes two ids (expected %s A B --reason TEXT)", verb, verb)}
			}
			s, err := graph.Open(ctx, graph.Options{Backend: a.cfg.Store.Backend, Path: a.cfg.Store.Path, NoSync: a.cfg.Store.NoSync, MustExist: true}, a.logger)
			if err != nil {
				return err
			}
			defer s.Close()
			var res *identityResult
			if undo {
				src := ""
				if cmd.Flags().Changed("source") {
					src = source
				}
				res, err = a.undoIdentity(ctx, s, verb, src, reason, args)
			} else {
				res, err = a.recordIdentity(ctx, s, verb, args[0], args[1], source, reason, date)
			}
			if err != nil {
				return err
			}
			if a.cfg.Format == "json" {
				return a.json(res)
			}
			if undo {
				for _, r := range res.Retractions {
					a.printf("%s: retracted %s (bring it back with threatgraph retract --undo %s --reason TEXT)\n", r.ID, r.Target, r.ID)
				}
				return nil
			}
			a.printf("%s: %s %s %s, recorded by %s as %s (undo with threatgraph %s %s %s --undo --reason TEXT)\n",
				res.Identity, verb, res.IDs[0], res.IDs[1], res.Load, res.Statement, verb, res.IDs[0], res.IDs[1])
			for _, r := range res.Retractions {
				a.printf("%s: undid %s, which retracted this statement\n", r.ID, r.Target)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", defaultIdentitySource, "the Source whose statement this is")
	cmd.Flags().StringVar(&reason, "reason", "", "why, in words (required)")
	cmd.Flags().StringVar(&date, "date", "", "when the source said so (a date)")
	cmd.Flags().BoolVar(&undo, "undo", false, "retract the statement instead of recording it")
	return cmd
}

// recordIdentity loads one identity statement through ingest, as a load of
// its own; if a retraction in force hid that very statement (the same
// verb, ids, source, reason and date undone before), it is undone.
func (a *app) recordIdentity(ctx context.Context, s *graph.Store, verb, x, y, source, reason, date string) (*identityResult, error) {
	name := verb + ".json"
	f := ingest.Parse(name, schema.IdentityFile(verb, x, y, source, reason, date))
	_, err := ingest.Load(ctx, writeTarget{s, sessionOf(ctx)}, []*ingest.File{f}, ingest.Options{Record: schema.LoadInfo{Via: verb}})
	var problems schema.Errors
	if errors.As(err, &problems) {
		a.printProblems("", "problem", problems, "--format json")
		return nil, usageError{fmt.Errorf("%s %s %s: %s; nothing was written", verb, x, y, plural(len(problems), "problem"))}
	}
	if err != nil {
		return nil, err
	}
	iv := ""
	if date != "" {
		d, _ := schema.ParseDate(date) // Load checked it
		iv = d.String()
	}
	id := schema.IdentityID(verb, x, y, source, reason, iv)
	res := &identityResult{Verb: verb, IDs: [2]string{x, y}, Identity: id, Statement: schema.IdentityLabel(source, id)}
	h, err := s.History(ctx)
	if err != nil {
		return nil, err
	}
	if n := len(h.Loads); n > 0 {
		res.Load = h.Loads[n-1].ID
	}
	for _, r := range h.Retractions {
		if r.Kind == "statement" && r.Target == res.Statement && r.UndoneBy == "" {
			u, err := s.Undo(ctx, r.ID, httpapi.AgainReason(verb, x, y, reason))
			if err != nil {
				return nil, err
			}
			res.Retractions = append(res.Retractions, u)
		}
	}
	return res, nil
}

// undoIdentity retracts the identity statements in force that args name.
func (a *app) undoIdentity(ctx context.Context, s *graph.Store, verb, source, reason string, args []string) (*identityResult, error) {
	r, err := a.reader(ctx, s)
	if err != nil {
		return nil, err
	}
	its, err := r.IdentitiesOf(ctx, verb, source, args...)
	if errors.Is(err, query.ErrNotFound) {
		return nil, usageError{err}
	}
	if err != nil {
		return nil, err
	}
	res := &identityResult{Verb: verb}
	if len(args) == 2 {
		res.IDs = [2]string{args[0], args[1]}
	}
	for _, it := range its {
		rec, err := s.Retract(ctx, it.Statement, reason)
		if err != nil {
			return res, historyUsage(err)
		}
		res.Retractions = append(res.Retractions, rec)
	}
	return res, nil
}

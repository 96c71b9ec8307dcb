package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/threatgraph/threatgraph/config"
	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/httpapi"
	"github.com/threatgraph/threatgraph/schema"
)

// app is what every command shares: configuration, logger, output.
type app struct {
	v       *viper.Viper
	cfg     config.Config
	logger  *slog.Logger
	out     io.Writer
	errOut  io.Writer
	cfgFile string
	quiet   bool   // --quiet: no progress bars
	asOf    string // --as-of of a question verb
}

// Exit codes: 1 for an operational failure, 2 for bad input or usage, 3 for
// a store held by another process.
const (
	exitFailure  = 1
	exitBadInput = 2
	exitLocked   = 3
)

type usageError struct{ error }

func exitCode(err error) int {
	var se schema.Errors
	var fe *schema.FieldError
	var ue usageError
	switch {
	case errors.Is(err, graph.ErrLocked):
		return exitLocked
	case errors.Is(err, graph.ErrNoStore):
		return exitBadInput
	case errors.As(err, &se), errors.As(err, &fe), errors.As(err, &ue):
		return exitBadInput
	}
	return exitFailure
}

func newRootCmd(out, errOut io.Writer) *cobra.Command {
	a := &app{v: viper.New(), out: out, errOut: errOut}
	root := &cobra.Command{
		Use:   "threatgraph",
		Short: "A knowledge graph of armed groups, attacks, warnings and claims, every fact with its source",
		Long: `threatgraph keeps armed groups, the people around them, the places they strike, their
attacks, the warnings before and the claims after, as a graph in which every fact carries the
source that stated it. Sources that disagree are kept side by side.

Configuration: flags > THREATGRAPH_* environment (THREATGRAPH_STORE_PATH) > threatgraph.yaml > defaults.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(a.v, a.cfgFile)
			if err != nil {
				return usageError{err}
			}
			a.cfg = cfg
			a.logger = slog.New(slog.NewTextHandler(a.errOut, &slog.HandlerOptions{Level: level(cfg.Log.Level)}))
			return nil
		},
	}
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.cfgFile, "config", "", "configuration file (default ./threatgraph.yaml if present)")
	pf.String("store", "", "store path (config store.path; default ./threatgraph.db)")
	pf.String("backend", "", "store backend: bbolt (default), leveldb, memstore or postgres (config store.backend)")
	pf.String("format", "", "output format: table, json or csv (config format)")
	pf.String("log-level", "", "log level: debug, info, warn, error (config log.level)")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "show no progress bars (they show only when stderr is a terminal)")
	for flag, key := range map[string]string{"store": "store.path", "backend": "store.backend", "format": "format", "log-level": "log.level"} {
		_ = a.v.BindPFlag(key, pf.Lookup(flag))
	}
	// The questions: each answers as of a past generation too (--as-of).
	questions := []*cobra.Command{
		newStatsCmd(a), newShowCmd(a), newSearchCmd(a),
		newCentralityCmd(a), newPathCmd(a), newNeighborsCmd(a), newTimelineCmd(a),
		newContestedCmd(a), newPrecededCmd(a), newCommunitiesCmd(a), newExportCmd(a), newCandidatesCmd(a),
	}
	for _, c := range questions {
		a.asOfFlag(c.Flags())
	}
	root.AddCommand(questions...)
	root.AddCommand(
		newInitCmd(a), newDemoCmd(a), newIngestCmd(a), newConfigCmd(a),
		newServeCmd(a), newQueryCmd(a),
		newLoadsCmd(a), newRetractCmd(a), newPurgeCmd(a), newSameCmd(a, schema.Same), newSameCmd(a, schema.Different),
		newPlacesCmd(a),
	)
	argsAreUsage(root)
	return root
}

// argsAreUsage makes a wrong number of arguments bad input (exit 2), as a
// bad flag is, on every command.
func argsAreUsage(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{fmt.Errorf("%s: %w (usage: %s)", cmd.CommandPath(), err, cmd.UseLine())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		argsAreUsage(sub)
	}
}

func level(s string) slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(s)))
	return l
}

// openStore opens the configured store, creating it unless mustExist; a
// store that must exist is only read, so it is opened read-only (a shared
// lock: readers run side by side, and need no write permission).
func (a *app) openStore(ctx context.Context, mustExist bool) (*graph.Store, error) {
	return graph.Open(ctx, graph.Options{Backend: a.cfg.Store.Backend, Path: a.cfg.Store.Path, NoSync: a.cfg.Store.NoSync, MustExist: mustExist, ReadOnly: mustExist}, a.logger)
}

// withStore runs fn with the store open (created if need be) and closes it,
// reporting both errors.
func (a *app) withStore(ctx context.Context, fn func(*graph.Store) error) error {
	return a.useStore(ctx, false, fn)
}

// readStore is withStore for commands that only read: a missing store is
// an error.
func (a *app) readStore(ctx context.Context, fn func(*graph.Store) error) error {
	return a.useStore(ctx, true, fn)
}

func (a *app) useStore(ctx context.Context, mustExist bool, fn func(*graph.Store) error) (err error) {
	s, err := a.openStore(ctx, mustExist)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	return fn(s)
}

func (a *app) json(v any) error { return httpapi.EncodeJSON(a.out, v) }

func (a *app) printf(format string, args ...any) { fmt.Fprintf(a.out, format, args...) }

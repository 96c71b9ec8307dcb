package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

func newIngestCmd(a *app) *cobra.Command {
	var opt ingest.Options
	var rejects string
	cmd := &cobra.Command{
		Use:   "ingest FILE...",
		Short: "Load native YAML/JSON or N-Quads files into the store",
		Long: `Load files into the store: the native format (.yaml, .yml, .json; see docs/format.md)
and N-Quads (.nq, .nquads). "-" reads native YAML from standard input.

Strict by default: every file is checked (syntax, vocabulary, values, references, kinds)
before anything is written, every problem is reported as FILE:LINE: field: message, and
nothing is written unless all files are valid. Each file is written in one transaction.
Re-ingesting the same input adds nothing.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := readFiles(args, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if opt.SkipInvalid && rejects != "" && !opt.DryRun {
				f, err := os.Create(rejects)
				if err != nil {
					return fmt.Errorf("creating rejects report: %w", err)
				}
				defer f.Close()
				opt.Rejects = f
			}
			return a.withStore(cmd.Context(), func(s *graph.Store) error {
				return a.load(cmd.Context(), s, files, opt, rejects)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opt.DryRun, "dry-run", false, "validate only; write nothing")
	f.BoolVar(&opt.SkipInvalid, "skip-invalid", false, "load the valid records and report the others (default: strict, all or nothing)")
	f.Bool("strict", true, "refuse all files if any record is invalid (the default; --skip-invalid turns it off)")
	f.StringVar(&rejects, "rejects", "threatgraph-rejects.jsonl", "with --skip-invalid: where to write rejected records (JSON lines)")
	return cmd
}

func readFiles(args []string, stdin io.Reader) ([]*ingest.File, error) {
	var files []*ingest.File
	for _, name := range args {
		var data []byte
		var err error
		if name == "-" {
			data, err = io.ReadAll(stdin)
			name = "stdin.yaml"
		} else {
			if _, ferr := ingest.FormatOf(name); ferr != nil {
				return nil, usageError{ferr}
			}
			data, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, usageError{fmt.Errorf("reading %s: %w", name, err)}
		}
		files = append(files, ingest.Parse(name, data))
	}
	return files, nil
}

// load runs ingest.Load and prints its report.
func (a *app) load(ctx context.Context, s *graph.Store, files []*ingest.File, opt ingest.Options, rejects string) error {
	rep, err := ingest.Load(ctx, s, files, opt)
	var problems schema.Errors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintln(a.errOut, p.Error())
		}
		return usageError{fmt.Errorf("%s in %s; nothing was written", plural(len(problems), "problem"), plural(len(files), "file"))}
	}
	if err != nil {
		return err
	}
	if a.cfg.Format == "json" {
		return a.json(rep)
	}
	tw := tabwriter.NewWriter(a.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tformat\trecords\trejected\tquads\tadded\t")
	for _, f := range rep.Files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t\n", f.File, f.Format, f.Records, f.Rejected, f.Quads, f.Added)
	}
	t := rep.Totals()
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\t\n", t.Records, t.Rejected, t.Quads, t.Added)
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case opt.DryRun:
		a.printf("dry run: %d files valid, nothing written\n", len(files))
	case t.Added == 0 && t.Quads > 0:
		a.printf("nothing new: every quad was already in %s\n", s.Path())
	}
	if len(rep.Problems) > 0 {
		for _, p := range rep.Problems {
			fmt.Fprintln(a.errOut, "skipped:", p.Error())
		}
		if opt.Rejects != nil {
			fmt.Fprintf(a.errOut, "%d records rejected; report in %s\n", t.Rejected, rejects)
		}
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

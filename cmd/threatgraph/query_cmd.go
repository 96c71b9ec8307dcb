package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/httpapi"
)

func newQueryCmd(a *app) *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:   "query --lang gizmo|graphql QUERY|-",
		Short: "Run a raw cayley query (Gizmo or GraphQL), read-only, with a time limit and a result cap",
		Long: `Run a raw query in cayley's Gizmo (JavaScript) or GraphQL dialect; "-" reads it from standard
input. The same code and limits as the server's /v1/query: the query stops after serve.query_timeout
(default 5s; --timeout), is stopped when the heap grows by more than serve.query_memory while it runs
(default 256 MiB; --memory), and keeps at most serve.query_limit rows (default 10000; --limit),
marking the answer truncated. A query longer than 64 KiB or nested deeper than the parser can take
(brackets 100 deep, about 1000 operators in one statement, 16 && || ?? in one statement) is refused
with exit status 2 before it is parsed. Entity ids are IRIs (<group:isis-k>), predicates too (<tg:name>); see
docs/queries.md for worked examples. --format json prints what /v1/query answers; otherwise one
JSON row per line. A raw query reads the quads as stored: retracted facts are still there (only
purge removes them), same/different statements are not applied, and there is no --as-of.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text := args[0]
			if text == "-" {
				b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), httpapi.MaxQueryBytes+1))
				if err != nil {
					return fmt.Errorf("reading the query: %w", err)
				}
				text = string(b)
			}
			if strings.TrimSpace(text) == "" {
				return usageError{fmt.Errorf("the query is empty")}
			}
			lang = strings.ToLower(lang)
			if lang != "gizmo" && lang != "graphql" {
				return usageError{fmt.Errorf("--lang %q: expected gizmo or graphql", lang)}
			}
			// Refused before the store is opened: a query nested too deep
			// for the parser would end the process with a stack overflow.
			if _, err := httpapi.CheckQuery(lang, text); err != nil {
				return usageError{err}
			}
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				lim := httpapi.Limits{Timeout: a.cfg.Serve.QueryTimeout, Rows: a.cfg.Serve.QueryLimit, Memory: a.cfg.Serve.QueryMemory}
				res, err := httpapi.RunQuery(cmd.Context(), s.QuadStore(), lang, text, lim)
				var qe *httpapi.QueryError
				var ge *httpapi.GuardError
				switch {
				case errors.As(err, &qe), errors.As(err, &ge):
					return usageError{err}
				case errors.Is(err, httpapi.ErrQueryMemory):
					return fmt.Errorf("%w (serve.query_memory, --memory)", err)
				case errors.Is(err, httpapi.ErrQueryTimeout):
					return fmt.Errorf("%w (serve.query_timeout, --timeout)", err)
				case err != nil:
					return err
				}
				if a.cfg.Format == "json" {
					return a.json(res)
				}
				enc := json.NewEncoder(a.out)
				enc.SetEscapeHTML(false)
				for _, r := range res.Results {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
				if res.Truncated {
					fmt.Fprintf(a.errOut, "truncated at %d rows (serve.query_limit)\n", res.Limit)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "gizmo", "query language: gizmo or graphql")
	cmd.Flags().Duration("timeout", 0, "time limit (config serve.query_timeout; default 5s)")
	cmd.Flags().Int("limit", 0, "result cap in rows (config serve.query_limit; default 10000)")
	_ = a.v.BindPFlag("serve.query_timeout", cmd.Flags().Lookup("timeout"))
	cmd.Flags().Int64("memory", 0, "how far the heap may grow while the query runs, bytes (config serve.query_memory; default 268435456, 256 MiB)")
	_ = a.v.BindPFlag("serve.query_limit", cmd.Flags().Lookup("limit"))
	_ = a.v.BindPFlag("serve.query_memory", cmd.Flags().Lookup("memory"))
	return cmd
}

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/query/httpapi"
)

func newQueryCmd(a *app) *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:   "query --lang gizmo|graphql QUERY|-",
		Short: "Run a raw cayley query (Gizmo or GraphQL), read-only, with a time limit and a result cap",
		Long: `Run a raw query in cayley's Gizmo (JavaScript) or GraphQL dialect; "-" reads it from standard
input. The same code and limits as the server's /v1/query: the query stops after serve.query_timeout
(default 5s; --timeout) and keeps at most serve.query_limit rows (default 10000; --limit), marking
the answer truncated. Entity ids are IRIs (<group:isis-k>), predicates too (<tg:name>); see
docs/queries.md for worked examples. --format json prints what /v1/query answers; otherwise one
JSON row per line.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text := args[0]
			if text == "-" {
				b, err := io.ReadAll(cmd.InOrStdin())
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
			return a.readStore(cmd.Context(), func(s *graph.Store) error {
				lim := httpapi.Limits{Timeout: a.cfg.Serve.QueryTimeout, Rows: a.cfg.Serve.QueryLimit}
				res, err := httpapi.RunQuery(cmd.Context(), s.QuadStore(), lang, text, lim)
				var qe *httpapi.QueryError
				if err != nil && errors.As(err, &qe) {
					return usageError{err}
				}
				if err != nil {
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
	_ = a.v.BindPFlag("serve.query_limit", cmd.Flags().Lookup("limit"))
	return cmd
}

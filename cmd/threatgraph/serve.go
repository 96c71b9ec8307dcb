package main

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest/table"
	"github.com/threatgraph/threatgraph/internal/httpapi"
)

var _ httpapi.Store = (*graph.Store)(nil) // the wiring point

func newServeCmd(a *app) *cobra.Command {
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the query layer over HTTP: JSON under /v1/, /healthz, /metrics (see docs/http.md)",
		Long: `Serve the same questions as the CLI over HTTP, with the same JSON as --format json:
/v1/entities/{id}, /v1/search, /v1/entities/{id}/neighbors, /v1/entities/{id}/timeline,
/v1/paths, /v1/centrality, /v1/preceded, /v1/contested, /v1/communities, /v1/stats,
/v1/query (raw Gizmo/GraphQL), /v1/loads, /v1/openapi.json, /healthz, /metrics. POST /v1/ingest
and POST /v1/retract need the bearer token set as serve.token (THREATGRAPH_SERVE_TOKEN); without one
the server is read-only.

Binds 127.0.0.1:8080 unless --addr or serve.addr says otherwise. The store stays open (and
locked) while the server runs. SIGINT or SIGTERM stops it gracefully: in-flight requests finish.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			sc := a.cfg.Serve
			return a.withStore(ctx, func(s *graph.Store) error {
				srv, err := httpapi.New(ctx, s, httpapi.Options{
					Token: string(sc.Token), BodyLimit: sc.BodyLimit,
					ReadTimeout: sc.ReadTimeout, WriteTimeout: sc.WriteTimeout, IdleTimeout: sc.IdleTimeout,
					QueryLimits:          httpapi.Limits{Timeout: sc.QueryTimeout, Rows: sc.QueryLimit, Memory: sc.QueryMemory, Concurrency: offIfZero(sc.QueryAtOnce)},
					AnalyticsConcurrency: sc.AnalyticsAtOnce, AnalyticsTimeout: sc.AnalyticsTimeout,
					CacheBytes: noneIfZero(sc.CacheBytes), MemoBytes: noneIfZero(sc.MemoBytes),
					SnapshotDir: snapshotDir(s), Logger: a.logger, Hosts: httpapi.LoopbackHosts(sc.Addr),
					Loader: storeLoader{s}, Mappings: table.Shipped(), History: historian(s), Places: placesOf(s),
				})
				if err != nil {
					return err
				}
				ln, err := net.Listen("tcp", sc.Addr)
				if err != nil {
					return fmt.Errorf("listening on %s: %w", sc.Addr, err)
				}
				// A command refused the store says where to reach it instead.
				if err := s.SetHolderNote("serving http://" + ln.Addr().String()); err != nil {
					a.logger.WarnContext(ctx, "could not note the address in the lock file", "err", err)
				}
				mode := "read-only (no serve.token)"
				if sc.Token != "" {
					mode = "ingest enabled with the bearer token"
				}
				fmt.Fprintf(a.errOut, "threatgraph: serving %s (%d quads) on http://%s, %s; Ctrl-C stops\n", s.Path(), srv.Quads(), ln.Addr(), mode)
				a.logger.InfoContext(ctx, "serving", "addr", ln.Addr().String(), "store", s.Path())
				err = httpapi.Serve(ctx, srv.HTTPServer(sc.Addr), ln, grace)
				fmt.Fprintln(a.errOut, "threatgraph: server stopped")
				return err
			})
		},
	}
	cmd.Flags().String("addr", "", "host:port to listen on (config serve.addr; default 127.0.0.1:8080)")
	cmd.Flags().DurationVar(&grace, "grace", 30*time.Second, "on SIGINT/SIGTERM, how long in-flight requests may take to finish")
	_ = a.v.BindPFlag("serve.addr", cmd.Flags().Lookup("addr"))
	return cmd
}

// offIfZero maps a configured serve.query_concurrency of 0 (raw queries
// turned off) to httpapi's negative value.
func offIfZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// noneIfZero maps a configured cache bound of 0 (no cache) to httpapi's
// negative (its 0 means the default).
func noneIfZero(n int64) int64 {
	if n == 0 {
		return -1
	}
	return n
}

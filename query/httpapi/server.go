package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/query"
)

// Store is what the server needs of the store; *graph.Store has it.
type Store interface {
	QuadStore() cgraph.QuadStore
	Count(ctx context.Context) (int64, error)
	ingest.Target
}

// Options configure a Server. Zero values take the defaults noted.
type Options struct {
	// Token is the bearer token that POST /v1/ingest requires. Empty: the
	// server is read-only and ingest answers 403.
	Token string
	// BodyLimit is the largest request body in bytes (0: 32 MiB); larger
	// bodies get 413.
	BodyLimit int64
	// ReadTimeout, WriteTimeout and IdleTimeout go to the http.Server that
	// HTTPServer builds (0: 30 s, 60 s, 120 s).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// QueryLimits bound raw Gizmo and GraphQL queries.
	QueryLimits Limits
	// SnapshotDir is where the analytics view's snapshot lives (the store's
	// directory for the key-value backends; "" builds the view in memory).
	SnapshotDir string
	// Logger receives request failures (nil: discard).
	Logger *slog.Logger
}

// A Server answers HTTP requests from one open store. It is safe for
// concurrent use.
type Server struct {
	store Store
	opts  Options
	log   *slog.Logger

	// mu orders answers and ingests: requests hold the read side while they
	// read the store and view; an ingest holds the write side while it
	// writes and rebuilds the view.
	mu    sync.RWMutex
	view  *query.View
	quads atomic.Int64 // the store's quad count that view reflects

	cmu        sync.Mutex
	centrality map[string]*memoEntry // memoised by normalised parameters; cleared on ingest

	// Encoded answers of GET routes by path and sorted query, so that a
	// repeated question costs a map lookup. Cleared, and gen moved on, by
	// every ingest that changes the store; an answer computed before the
	// change is not stored after it.
	rmu       sync.Mutex
	responses map[string][]byte
	gen       uint64

	mux     *http.ServeMux
	handler http.Handler
	metrics *metrics
	routes  []*route
	openapi []byte
}

// maxMemoised bounds the centrality memo; when full it is cleared.
const maxMemoised = 512

// New builds a Server on an open store and loads the analytics view (from
// its snapshot when current).
func New(ctx context.Context, st Store, opts Options) (*Server, error) {
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = 32 << 20
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 30 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 60 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 120 * time.Second
	}
	opts.QueryLimits = opts.QueryLimits.withDefaults()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: st, opts: opts, log: opts.Logger, centrality: map[string]*memoEntry{}, responses: map[string][]byte{}}
	n, err := st.Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting quads: %w", err)
	}
	v, err := query.LoadView(ctx, st.QuadStore(), st, opts.SnapshotDir)
	if err != nil {
		if v == nil {
			return nil, fmt.Errorf("loading the analytics view: %w", err)
		}
		s.log.WarnContext(ctx, "view snapshot not saved", "err", err)
	}
	if _, err := v.Graph(query.Filter{}); err != nil { // built once here, not lazily by concurrent readers
		return nil, fmt.Errorf("building the analytics graph: %w", err)
	}
	s.view = v
	s.quads.Store(n)
	s.metrics = newMetrics(func() float64 { return float64(s.quads.Load()) })
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.metrics.instrument(rt.method+" "+rt.path, rt.serve(s)))
	}
	s.mux.Handle("GET /metrics", s.metrics.instrument("GET /metrics", s.metrics.handler()))
	s.mux.Handle("/", s.metrics.instrument("unmatched", http.HandlerFunc(s.notFound)))
	doc, err := s.openAPIDocument()
	if err != nil {
		return nil, fmt.Errorf("building the OpenAPI document: %w", err)
	}
	s.openapi, err = json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the OpenAPI document: %w", err)
	}
	s.handler = http.MaxBytesHandler(s.mux, opts.BodyLimit)
	return s, nil
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer returns an http.Server for addr with the configured timeouts.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.handler,
		ReadTimeout:       s.opts.ReadTimeout,
		ReadHeaderTimeout: min(s.opts.ReadTimeout, 10*time.Second),
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Serve serves on ln until ctx is done, then shuts down gracefully: the
// listener closes at once, in-flight requests get up to grace to finish.
// It returns nil after a clean shutdown.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// Quads returns the store's quad count as of the last ingest.
func (s *Server) Quads() int64 { return s.quads.Load() }

// read runs fn under the read lock with the current view.
func (s *Server) read(fn func(v *query.View) (any, error)) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(s.view)
}

// Ingest loads files as ingest.Load does (each file atomic), then, when the
// store's quad count changed, rebuilds the view and clears the memo. It
// holds the write lock throughout, so no request sees a partial load or a
// store that is ahead of its view. Once started it runs to the end even if
// ctx is cancelled (a client that hangs up does not leave a stale view).
func (s *Server) Ingest(ctx context.Context, files []*ingest.File, opt ingest.Options) (*ingest.Report, error) {
	ctx = context.WithoutCancel(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	rep, loadErr := ingest.Load(ctx, s.store, files, opt)
	// Even a failed load may have written the files before the one that
	// failed: the view follows the store whenever its count moved.
	n, err := s.store.Count(ctx)
	if err != nil {
		return rep, errors.Join(loadErr, fmt.Errorf("counting quads: %w", err))
	}
	if n == s.quads.Load() {
		return rep, loadErr
	}
	// The store changed: no answer computed before may be served again,
	// whether or not the view can be rebuilt.
	s.cmu.Lock()
	clear(s.centrality)
	s.cmu.Unlock()
	s.rmu.Lock()
	clear(s.responses)
	s.gen++
	s.rmu.Unlock()
	start := time.Now()
	v, err := query.LoadView(ctx, s.store.QuadStore(), s.store, s.opts.SnapshotDir)
	if v == nil {
		// Keep the old view; the count stays old too, so the next ingest retries.
		return rep, fmt.Errorf("rebuilding the analytics view after writing: %w", err)
	}
	if err != nil {
		s.log.WarnContext(ctx, "view snapshot not saved", "err", err)
	}
	if _, err := v.Graph(query.Filter{}); err != nil {
		return rep, fmt.Errorf("building the analytics graph after writing: %w", err)
	}
	s.view = v
	s.quads.Store(n)
	s.cmu.Lock()
	clear(s.centrality) // answers computed on the old view while it was rebuilt
	s.cmu.Unlock()
	s.rmu.Lock()
	clear(s.responses)
	s.gen++
	s.rmu.Unlock()
	s.log.InfoContext(ctx, "ingest", "quads", n, "view_rebuild", time.Since(start))
	return rep, loadErr
}

// maxResponses bounds the answer cache; when full it is cleared.
const maxResponses = 8192

// cachedResponse returns the stored answer for key and the current generation.
func (s *Server) cachedResponse(key string) ([]byte, uint64, bool) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	b, ok := s.responses[key]
	return b, s.gen, ok
}

// storeResponse keeps an answer computed at generation gen, unless the
// store has changed since.
func (s *Server) storeResponse(key string, gen uint64, body []byte) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if gen != s.gen {
		return
	}
	if len(s.responses) >= maxResponses {
		clear(s.responses)
	}
	s.responses[key] = body
}

var (
	jsonMedia = []string{"application/json"}
	nosniff   = []string{"nosniff"}
)

// writeBody writes an encoded JSON answer.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonMedia // canonical keys: no allocation per request
	h["X-Content-Type-Options"] = nosniff
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeJSON encodes v as the CLI's --format json does (two-space indent, no
// HTML escaping) and sends it with status.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := EncodeJSON(&buf, v); err != nil {
		s.log.Error("encoding response", "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("{\n  \"error\": \"internal server error\"\n}\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// EncodeJSON writes v as the CLI's --format json does: two-space indent,
// no HTML escaping, a trailing newline.
func EncodeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// notFound answers paths no route matches (404) and known paths with
// another method (405 with Allow), as JSON.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == r.Method {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, p := s.mux.Handler(r2); p != "" && p != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", allow[0])
		s.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Msg: fmt.Sprintf("method %s not allowed on %s (use %s)", r.Method, r.URL.Path, allow[0])})
		return
	}
	s.writeError(w, r, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("no route %s %s (see /v1/openapi.json)", r.Method, r.URL.Path)})
}

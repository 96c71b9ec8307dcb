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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"

	"github.com/threatgraph/threatgraph/internal/textindex"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

// Store is what the server needs of the store; *graph.Store has it.
type Store interface {
	query.Store
	QuadStore() cgraph.QuadStore // for raw Gizmo and GraphQL queries, cayley's own languages
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
	// AnalyticsConcurrency is how many expensive analytics computations
	// (communities, centrality, preceded, deep neighbors, k paths) run at
	// once (0: 2); more get 503. AnalyticsTimeout stops each at this
	// deadline with 408 (0: 30 s).
	AnalyticsConcurrency int
	AnalyticsTimeout     time.Duration
	// SnapshotDir is where the analytics view's snapshot lives (the store's
	// directory for the key-value backends; "" builds the view in memory).
	SnapshotDir string
	// CacheBytes bounds the cache of encoded GET answers, in bytes
	// (0: DefaultCacheBytes, 64 MiB; negative: no cache). The least
	// recently used answers are evicted; an answer larger than the bound is
	// served but not kept.
	CacheBytes int64
	// MemoBytes bounds the centrality memo, in bytes of encoded answers
	// (0: DefaultMemoBytes, 32 MiB; negative: no memo, and concurrent
	// identical requests each compute).
	MemoBytes int64
	// Hosts, when not empty, are the only host names (without port) that
	// a request's Host header may name; others get 421. A server bound to
	// loopback lists its loopback names, so that a web page whose DNS name
	// is made to point at 127.0.0.1 (DNS rebinding) cannot read it as its
	// own origin. See LoopbackHosts.
	Hosts []string
	// Loader writes what POST /v1/ingest uploads into the store (nil: the
	// route answers 403, as without a Token).
	Loader Loader
	// Mappings are the shipped table mappings an ingest may name
	// (mapping=gtd); a mapping file of the server's is never read.
	Mappings []string
	// Places finds places in the gazetteer beside the store (GET
	// /v1/places; nil: 501).
	Places Places
	// History lists the load history and records retractions (GET
	// /v1/loads, POST /v1/retract; nil: both answer 501).
	History Historian
	// Logger receives request failures (nil: discard).
	Logger *slog.Logger
}

// LoopbackHosts returns the host names a server listening on addr (host:port)
// answers to when addr is a loopback address, or nil (any host) otherwise.
func LoopbackHosts(addr string) []string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		return nil
	}
	return []string{"localhost", "127.0.0.1", "::1", host}
}

// checkHost refuses requests whose Host header names a host the server
// was not told it is reached by.
func (s *Server) checkHost(next http.Handler) http.Handler {
	if len(s.opts.Hosts) == 0 {
		return next
	}
	allowed := map[string]bool{}
	for _, h := range s.opts.Hosts {
		allowed[strings.ToLower(strings.Trim(h, "[]"))] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !allowed[strings.ToLower(strings.Trim(host, "[]"))] {
			s.writeError(w, r, &Error{Status: http.StatusMisdirectedRequest, Msg: fmt.Sprintf("this server answers only to %s, not to Host %q (a page on another site reaching it through a rebound DNS name is refused; serve on a non-loopback address to be reached by other names)", strings.Join(s.opts.Hosts, ", "), r.Host)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// A Server answers HTTP requests from one open store. It is safe for
// concurrent use.
//
// Readers never wait for an ingest: the view, the quad count and the
// generation are one immutable state behind an atomic pointer, which a
// request loads once and an ingest replaces after it has written and
// rebuilt the view. Ingests are serialised among themselves (wmu) and write
// to the store while readers go on (bbolt: one writer beside any number of
// read transactions). See docs/http.md, "Concurrency and caching", for what
// a reader sees while an ingest commits.
type Server struct {
	store Store
	opts  Options
	log   *slog.Logger

	cur atomic.Pointer[state] // what requests read; replaced whole by ingests (publish)

	pastMu sync.Mutex
	pasts  map[uint64]*state // states as of past generations (withAsOf), by generation; emptied by publish
	wmu    sync.Mutex        // one ingest at a time
	// excl is taken for writing only by an ingest into a store that cannot
	// be read while it is written (memstore, which is not goroutine-safe;
	// an empty bbolt store, whose first large load replaces the file);
	// readers of the store take its read side, uncontended otherwise.
	excl sync.RWMutex
	// epoch is odd while an ingest may have changed the store ahead of the
	// published state, and moves on at both ends of every ingest: an answer
	// is cached only if it began at an even epoch that is still current when
	// it is stored.
	epoch atomic.Uint64

	// Encoded answers of GET routes by path and sorted query, so that a
	// repeated question costs a map lookup; bounded in bytes (LRU). Purged
	// when an ingest begins to write.
	answers *byteLRU[[]byte]
	// Encoded centrality answers by generation and normalised parameters,
	// with the computations in flight (concurrent identical requests
	// compute once); bounded in bytes (LRU).
	memo *byteLRU[*memoEntry]

	mux     *http.ServeMux
	handler http.Handler
	metrics *metrics
	routes  []*route
	openapi []byte

	rawSlots chan struct{} // one token per running raw query (QueryLimits.Concurrency)

	analyticsSlots   chan struct{} // one token per running analytics computation (AnalyticsConcurrency)
	analyticsRunning atomic.Int64
}

// state is what one request reads: never changed once published.
type state struct {
	reader *query.Reader // its view loaded
	quads  int64         // the store's quad count that view reflects
	gen    uint64        // moved on by every ingest that changed the store; a past state's: the store's generation then
	past   bool          // the store as of a past generation (as_of)
}

// Cache bounds by default.
const (
	DefaultCacheBytes = 64 << 20
	DefaultMemoBytes  = 32 << 20
)

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
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	if opts.MemoBytes == 0 {
		opts.MemoBytes = DefaultMemoBytes
	}
	opts.QueryLimits = opts.QueryLimits.withDefaults()
	if opts.AnalyticsConcurrency <= 0 {
		opts.AnalyticsConcurrency = DefaultAnalyticsConcurrency
	}
	if opts.AnalyticsTimeout <= 0 {
		opts.AnalyticsTimeout = DefaultAnalyticsTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: st, opts: opts, log: opts.Logger,
		answers: newByteLRU[[]byte](opts.CacheBytes), memo: newByteLRU[*memoEntry](opts.MemoBytes), pasts: map[uint64]*state{}}
	n, err := st.Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("counting quads: %w", err)
	}
	first, err := s.newState(ctx, n, 0)
	if err != nil {
		return nil, fmt.Errorf("loading the analytics view: %w", err)
	}
	s.cur.Store(first)
	s.rawSlots = make(chan struct{}, max(opts.QueryLimits.Concurrency, 0))
	s.analyticsSlots = make(chan struct{}, opts.AnalyticsConcurrency)
	s.metrics = newMetrics(func() float64 { return float64(s.Quads()) },
		map[string]func() cacheStats{"answers": s.answers.Stats, "centrality": s.memo.Stats})
	s.registerAnalyticsMetrics()
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
	s.handler = s.checkHost(http.MaxBytesHandler(s.mux, opts.BodyLimit))
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
func (s *Server) Quads() int64 { return s.cur.Load().quads }

// publish makes st the state requests read, forgetting the past states.
func (s *Server) publish(st *state) {
	s.cur.Store(st)
	s.pastMu.Lock()
	clear(s.pasts)
	s.pastMu.Unlock()
}

// snapshot returns the published state, for one request: a consistent view
// and its quad count, whatever ingests do meanwhile.
func (s *Server) snapshot() *state { return s.cur.Load() }

// newState opens a Reader on the store as it is (quads) and loads its view
// and analytics graph, once here rather than lazily by concurrent readers.
func (s *Server) newState(ctx context.Context, quads int64, gen uint64) (*state, error) {
	r := query.NewReader(s.store, query.ReaderOptions{Dir: s.opts.SnapshotDir, Logger: s.log, TextIndex: textindex.Opener})
	if err := r.Load(ctx); err != nil {
		return nil, err
	}
	return &state{reader: r, quads: quads, gen: gen}, nil
}

// read runs fn with the current Reader. It never waits for an
// ingest, except one into a store that cannot be read while written (see
// Server.excl).
func (s *Server) read(ctx context.Context, fn func(q *query.Reader) (any, error)) (any, error) {
	return s.readState(ctx, func(st *state) (any, error) { return fn(st.reader) })
}

// readState runs fn with the published state, or the past state the
// request asked for with as_of (withAsOf), holding excl's read side.
func (s *Server) readState(ctx context.Context, fn func(st *state) (any, error)) (any, error) {
	s.excl.RLock()
	defer s.excl.RUnlock()
	if st, ok := ctx.Value(pastKey{}).(*state); ok {
		return fn(st)
	}
	return fn(s.snapshot())
}

// exclusive reports whether an ingest into the store, which holds quads
// quads, must keep readers out: memstore is not goroutine-safe with a
// writer, bbolt's first large load into an empty store replaces cayley's
// handle (graph.Store's bulk path), and other backends are not known to
// allow it. A Store that does not name its backend is treated the same.
func (s *Server) exclusive(quads int64) bool {
	b, ok := s.store.(interface{ Backend() string })
	if !ok {
		return true
	}
	switch b.Backend() {
	case "bbolt":
		return quads == 0
	case "postgres":
		return false
	}
	return true
}

// An IngestError is an ingest that failed after validation, saying whether
// anything of it is in the store.
type IngestError struct {
	Written []string // files whose quads are in the store despite the failure
	Err     error
}

func (e *IngestError) Error() string { return e.Err.Error() }
func (e *IngestError) Unwrap() error { return e.Err }

// Ingest loads files through the Loader (one transaction), then, when the
// store's quad count changed, rebuilds the view and publishes it. Readers
// go on meanwhile, on the state published before; ingests run one at a
// time. Once started it runs to the end even if ctx is cancelled (a client
// that hangs up does not leave a stale view). A failure other than invalid
// input (*InvalidError, nothing written) is an *IngestError naming what was
// written.
func (s *Server) Ingest(ctx context.Context, files []Upload, opt LoadOptions) (*LoadReport, error) {
	if s.opts.Loader == nil {
		return nil, errors.New("ingest: the server has no Loader (Options.Loader)")
	}
	ctx = context.WithoutCancel(ctx)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	old := s.snapshot()
	if opt.DryRun {
		return s.opts.Loader.Load(ctx, files, opt) // writes nothing
	}
	if s.exclusive(old.quads) {
		s.excl.Lock()
		defer s.excl.Unlock()
	}
	// From here until the new state is published the store may be ahead of
	// it: nothing computed is cached, and what was cached goes (after the
	// epoch moved, so that no answer computed before slips in after).
	if s.epoch.Load()%2 == 0 {
		s.epoch.Add(1)
	}
	s.answers.Purge()
	rep, loadErr := s.opts.Loader.Load(ctx, files, opt)
	// Even a failed load may have been committed before the error: the
	// view follows the store whenever its count moved.
	n, err := s.store.Count(ctx)
	if err != nil {
		return rep, ingestError(rep, loadErr, fmt.Errorf("counting quads: %w", err))
	}
	if n == old.quads {
		s.epoch.Add(1) // settled: the store is as the published state says
		return rep, ingestError(rep, loadErr, nil)
	}
	start := time.Now()
	next, err := s.newState(ctx, n, old.gen+1)
	if err != nil {
		// Keep the old state, and the epoch odd (the store is ahead of the
		// view: nothing is cached); the next ingest retries.
		return rep, ingestError(rep, loadErr, fmt.Errorf("rebuilding the analytics view after writing: %w", err))
	}
	s.publish(next)
	s.memo.Purge() // results on the old view: no longer asked for (keys carry the generation)
	s.epoch.Add(1)
	s.log.InfoContext(ctx, "ingest", "quads", n, "view_rebuild", time.Since(start))
	return rep, ingestError(rep, loadErr, nil)
}

// ingestError wraps a failure of Ingest (the load's, loadErr, or what
// followed it, after) as an *IngestError naming the files whose quads are
// in the store: the load's files that added quads when it succeeded, or
// when it failed after its transaction was committed (all of them, if the
// report does not say which added); else none. Invalid input stays an
// *InvalidError: nothing was written.
func ingestError(rep *LoadReport, loadErr, after error) error {
	err := errors.Join(loadErr, after)
	var invalid *InvalidError
	if err == nil || errors.As(err, &invalid) {
		return err
	}
	ie := &IngestError{Written: []string{}, Err: err}
	if rep == nil || rep.DryRun || (loadErr != nil && !rep.Committed) {
		return ie
	}
	for _, f := range rep.Files {
		if f.Added > 0 {
			ie.Written = append(ie.Written, f.File)
		}
	}
	if len(ie.Written) == 0 && rep.Committed {
		for _, f := range rep.Files {
			ie.Written = append(ie.Written, f.File)
		}
	}
	return ie
}

// cachedResponse returns the stored answer for key and the epoch to store
// a new answer with.
func (s *Server) cachedResponse(key string) ([]byte, uint64, bool) {
	e := s.epoch.Load()
	b, ok := s.answers.Get(key)
	return b, e, ok
}

// storeResponse keeps an answer whose computation began at epoch e, unless
// an ingest has begun since or was under way (odd e).
func (s *Server) storeResponse(key string, e uint64, body []byte) {
	if e%2 == 1 {
		return
	}
	s.answers.mu.Lock()
	defer s.answers.mu.Unlock()
	if s.epoch.Load() != e {
		return
	}
	s.answers.addLocked(key, body, len(body))
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
//
// DEL, C1 controls and bidirectional formatting characters, which
// encoding/json leaves raw, are written as \uXXXX escapes (the same JSON
// value), so that a name crafted to reorder a terminal prints harmlessly.
func EncodeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(schema.EscapeJSON(buf.Bytes()))
	return err
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

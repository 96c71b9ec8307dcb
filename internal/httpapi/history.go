package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/textindex"
	"github.com/threatgraph/threatgraph/query"
)

// A Historian keeps the store's load history and records retractions:
// *graph.Store on bbolt (cmd/threatgraph wires it; nil: the routes answer
// 501).
type Historian interface {
	History(ctx context.Context) (*graph.History, error)
	Retract(ctx context.Context, target, reason string) (*graph.Retraction, error)
	Undo(ctx context.Context, id, reason string) (*graph.Retraction, error)
	// AsOf returns the store as it was then (as_of).
	AsOf(ctx context.Context, when string) (*graph.Past, error)
	// Purge physically deletes target's quads and records it.
	Purge(ctx context.Context, target, reason string) (*graph.Purge, []quad.Quad, error)
	// Compact rewrites the store's file without its free pages.
	Compact(ctx context.Context) error
}

var pAsOf = param{name: "as_of", typ: "string", desc: "answer as the store was then, with the loads and retractions recorded up to it: " + graph.AsOfForms + "; CLI --as-of"}

var pLoads = param{name: "loads", typ: "boolean", def: "false", desc: "each evidence's loads: the recorded loads that stated the fact (id, time); 501 on a backend without a history; CLI --loads"}

// withLoads answers next asking for each fact's loads when the request
// says loads=true (query.WithLoads).
func (s *Server) withLoads(next func(*http.Request, *args) (any, error)) func(*http.Request, *args) (any, error) {
	return func(r *http.Request, a *args) (any, error) {
		on, err := a.boolean(pLoads.name)
		if err != nil || !on {
			if err != nil {
				return nil, err
			}
			return next(r, a)
		}
		if s.opts.History == nil {
			return nil, s.noHistory()
		}
		res, err := next(r.WithContext(query.WithLoads(r.Context())), a)
		if errors.Is(err, graph.ErrNoHistory) || errors.Is(err, query.ErrNoProvenance) {
			return nil, s.noHistory()
		}
		return res, err
	}
}

// AsOfHeader names, on an answer asked as_of, the record whose state
// answered and its time ("load:2 2026-12-02T10:30:00Z").
const AsOfHeader = "Threatgraph-As-Of"

// pastKey carries a request's past state (withAsOf) to readState.
type pastKey struct{}

// maxPasts bounds the past states a server keeps (each has its view).
const maxPasts = 4

// withAsOf returns r carrying the state its as_of names, if any: the
// published one when nothing was recorded since, else the store as of
// then, its view kept per generation beside the store's snapshot
// (query.PastDir) and the state kept until the next change. On an error
// it returns r unchanged. The answer's AsOfHeader says which state it is.
func (s *Server) withAsOf(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	when := r.URL.Query().Get(pAsOf.name)
	if when == "" {
		return r, nil
	}
	if s.opts.History == nil {
		return r, s.noHistory()
	}
	ctx := r.Context()
	// The store is read here: not while a purge replaces its handle.
	s.excl.RLock()
	defer s.excl.RUnlock()
	p, err := s.opts.History.AsOf(ctx, when)
	var he *graph.HistoryError
	if errors.As(err, &he) {
		return r, historyParamError(pAsOf.name, he)
	}
	if err != nil {
		return r, err
	}
	setAsOf(w, p)
	if cur, err := p.Current(ctx); err != nil || cur {
		return r, err
	}
	g, _ := p.Generation(ctx)
	s.pastMu.Lock()
	defer s.pastMu.Unlock()
	st, ok := s.pasts[g]
	if !ok {
		n, err := p.Count(ctx)
		if err != nil {
			return r, err
		}
		q := query.NewReader(p, query.ReaderOptions{Dir: query.PastDir(s.opts.SnapshotDir, g, s.log), Logger: s.log, TextIndex: textindex.Opener})
		if err := q.Load(ctx); err != nil {
			return r, err
		}
		if len(s.pasts) >= maxPasts {
			clear(s.pasts)
		}
		st = &state{reader: q, quads: n, gen: g, past: true}
		s.pasts[g] = st
	}
	return r.WithContext(context.WithValue(ctx, pastKey{}, st)), nil
}

// historyRoutes are GET /v1/loads and POST /v1/retract.
func (s *Server) historyRoutes() []*route {
	return []*route{
		{method: "GET", path: "/v1/loads", summary: "The load history: every load (id, time, files with sha256 and format, who, quads added and stated, the retraction in force) and every retraction and undo (CLI: loads)",
			result: &graph.History{}, errors: []int{501}, answer: s.loadsAnswer},
		{method: "POST", path: "/v1/retract", summary: "Retract a load, a source or a statement (its facts leave every answer unless a load not retracted also states them), or undo a retraction; recorded, nothing deleted; needs the bearer token configured as serve.token (CLI: retract)",
			params: []param{
				{name: "target", typ: "string", required: true, desc: "load:N, source:NAME or a statement id source:NAME#e-HASH; with undo, retraction:N"},
				{name: "reason", typ: "string", required: true, desc: "why (recorded with the retraction)"},
				{name: "undo", typ: "boolean", def: "false", desc: "undo the retraction named by target; CLI --undo"},
			},
			result: &graph.Retraction{}, errors: []int{400, 401, 403, 501}, answer: s.retractAnswer},
		{method: "POST", path: "/v1/purge", summary: "Physically delete a load's, a source's or a statement's quads from the store: cannot be undone (retract is the default); recorded (who, when, why, what, how many); the answer lists the quads removed; needs the bearer token configured as serve.token (CLI: purge --yes)",
			params: []param{
				{name: "target", typ: "string", required: true, desc: "load:N (the quads it stated that no other load stated), source:NAME (every quad of it and its statements) or a statement id source:NAME#e-HASH"},
				{name: "reason", typ: "string", required: true, desc: "why (recorded with the purge)"},
				{name: "compact", typ: "boolean", def: "true", desc: "then rewrite the store's file without its free pages, where bbolt leaves the deleted bytes; CLI --compact"},
			},
			result: &graph.Purged{}, errors: []int{400, 401, 403, 501}, answer: s.purgeAnswer},
	}
}

func (s *Server) noHistory() error {
	return &Error{Status: http.StatusNotImplemented, Msg: graph.ErrNoHistory.Error()}
}

func (s *Server) loadsAnswer(r *http.Request, _ *args) (any, error) {
	if s.opts.History == nil {
		return nil, s.noHistory()
	}
	return s.opts.History.History(r.Context())
}

func (s *Server) retractAnswer(r *http.Request, a *args) (any, error) {
	if err := s.authorize(r, "retract"); err != nil {
		return nil, err
	}
	if s.opts.History == nil {
		return nil, s.noHistory()
	}
	target, err := a.required("target", "load:N, source:NAME, a statement id, or with undo retraction:N")
	if err != nil {
		return nil, err
	}
	reason, err := a.required("reason", "why, recorded with the retraction")
	if err != nil {
		return nil, err
	}
	undo, err := a.boolean("undo")
	if err != nil {
		return nil, err
	}
	rec, err := s.Retract(r.Context(), target, reason, undo)
	var he *graph.HistoryError
	if errors.As(err, &he) {
		return nil, historyParamError("target", he)
	}
	return rec, err
}

// Retract records a retraction (or, with undo, the undo of one) through
// the Historian and publishes the store's new state, as Ingest does after
// a load: readers go on meanwhile on the state before.
func (s *Server) Retract(ctx context.Context, target, reason string, undo bool) (*graph.Retraction, error) {
	ctx = context.WithoutCancel(ctx)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	old := s.snapshot()
	if s.epoch.Load()%2 == 0 {
		s.epoch.Add(1)
	}
	s.answers.Purge()
	var rec *graph.Retraction
	var err error
	if undo {
		rec, err = s.opts.History.Undo(ctx, target, reason)
	} else {
		rec, err = s.opts.History.Retract(ctx, target, reason)
	}
	if err != nil {
		s.epoch.Add(1) // nothing recorded: the published state holds
		return nil, err
	}
	n, err := s.store.Count(ctx)
	if err != nil {
		return rec, fmt.Errorf("counting quads after the retraction: %w", err)
	}
	start := time.Now()
	next, err := s.newState(ctx, n, old.gen+1)
	if err != nil {
		return rec, fmt.Errorf("rebuilding the analytics view after the retraction: %w", err)
	}
	s.publish(next)
	s.memo.Purge()
	s.epoch.Add(1)
	s.log.InfoContext(ctx, "retract", "retraction", rec.ID, "quads", n, "view_rebuild", time.Since(start))
	return rec, nil
}

func (s *Server) purgeAnswer(r *http.Request, a *args) (any, error) {
	if err := s.authorize(r, "purge"); err != nil {
		return nil, err
	}
	if s.opts.History == nil {
		return nil, s.noHistory()
	}
	target, err := a.required("target", "load:N, source:NAME or a statement id")
	if err != nil {
		return nil, err
	}
	reason, err := a.required("reason", "why, recorded with the purge")
	if err != nil {
		return nil, err
	}
	compact := true
	if _, ok := a.q["compact"]; ok {
		if compact, err = a.boolean("compact"); err != nil {
			return nil, err
		}
	}
	res, err := s.Purge(r.Context(), target, reason, compact)
	var he *graph.HistoryError
	if errors.As(err, &he) {
		return nil, historyParamError("target", he)
	}
	return res, err
}

// Purge physically deletes target's quads through the Historian and
// publishes the store's new state. Readers are kept out while it runs (the
// store reopens cayley's handle after the delete), and the past states go:
// they were computed from quads that are gone.
func (s *Server) Purge(ctx context.Context, target, reason string, compact bool) (*graph.Purged, error) {
	ctx = context.WithoutCancel(ctx)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	old := s.snapshot()
	if s.epoch.Load()%2 == 0 {
		s.epoch.Add(1)
	}
	s.answers.Purge()
	s.excl.Lock()
	rec, gone, err := s.opts.History.Purge(ctx, target, reason)
	var cerr error
	if err == nil && compact && rec.Removed > 0 {
		cerr = s.opts.History.Compact(ctx)
	}
	s.pastMu.Lock()
	clear(s.pasts)
	s.pastMu.Unlock()
	if err != nil {
		s.excl.Unlock()
		s.epoch.Add(1) // nothing purged: the published state holds
		return nil, err
	}
	// Readers wait until the new state is published: the old one's view
	// holds what was purged.
	n, err := s.store.Count(ctx)
	if err != nil {
		s.excl.Unlock()
		return nil, fmt.Errorf("counting quads after the purge: %w", err)
	}
	start := time.Now()
	next, err := s.newState(ctx, n, old.gen+1)
	if err != nil {
		s.excl.Unlock()
		return nil, fmt.Errorf("rebuilding the analytics view after the purge: %w", err)
	}
	s.publish(next)
	s.excl.Unlock()
	s.memo.Purge()
	s.epoch.Add(1)
	s.log.InfoContext(ctx, "purge", "purge", rec.ID, "target", target, "removed", rec.Removed, "quads", n, "view_rebuild", time.Since(start))
	res := graph.NewPurged(rec, gone)
	if cerr != nil {
		return nil, fmt.Errorf("%s is done, but compacting the store failed (the deleted bytes may remain in its free pages): %w", rec.ID, cerr)
	}
	res.Compacted = compact && rec.Removed > 0
	return res, nil
}

// historyParamError is a refused history parameter: the history's own
// words say what is wrong and what was expected ("no such load (expected
// ...)"), so they are not put after another "expected".
func historyParamError(name string, he *graph.HistoryError) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("invalid parameter %q = %q: %s", name, he.Value, he.Want),
		Detail: ParamDetail{Parameter: name, Value: he.Value, Expected: he.Want}}
}

// setAsOf names p's state in the answer's AsOfHeader.
func setAsOf(w http.ResponseWriter, p *graph.Past) {
	if p.At == "" {
		w.Header().Set(AsOfHeader, "before the first record (an empty store)")
		return
	}
	w.Header().Set(AsOfHeader, p.At+" "+p.Time.Format(time.RFC3339))
}

// asOfHeader sets the AsOfHeader of a cached answer asked as_of (the
// answer was cached only after its as_of was found good).
func (s *Server) asOfHeader(w http.ResponseWriter, r *http.Request) {
	when := r.URL.Query().Get(pAsOf.name)
	if when == "" || s.opts.History == nil {
		return
	}
	s.excl.RLock()
	defer s.excl.RUnlock()
	if p, err := s.opts.History.AsOf(r.Context(), when); err == nil {
		setAsOf(w, p)
	}
}

package query

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"sync"
)

// A Reader answers every question about one generation of a store: the
// store and its analytics view, read together so that no answer mixes two
// states of them. Answers that need the view load it the first time (from
// the snapshot in Dir when current, else built by one scan and saved there);
// Load does so up front. A Reader is safe for concurrent use; after the
// store is written, open a new one (the old one keeps answering from its
// view, which no longer sees the new quads).
type Reader struct {
	store Store
	opts  ReaderOptions

	mu   sync.Mutex
	view *View
}

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	// Dir is where the view's snapshot lives (the store's directory for the
	// key-value backends); "" builds the view in memory each time.
	Dir string
	// Logger hears that a snapshot could not be saved (nil: discard).
	Logger *slog.Logger
}

// NewReader returns the Reader of st.
func NewReader(st Store, o ReaderOptions) *Reader {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Reader{store: st, opts: o}
}

// Load loads the view now, and builds its unfiltered analytics graph, if
// not already done (a server does so once, rather than lazily in concurrent
// requests). It reports progress to the ViewProgress of ctx, if any.
func (r *Reader) Load(ctx context.Context) error {
	v, err := r.View(ctx)
	if err != nil {
		return err
	}
	_, err = v.Graph(Scope{})
	return err
}

// View returns the analytics view, loading it the first time.
func (r *Reader) View(ctx context.Context) (*View, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.view != nil {
		return r.view, nil
	}
	v, err := loadView(ctx, r.store, r.opts.Dir)
	switch {
	case v == nil:
		return nil, err
	case errors.Is(err, fs.ErrPermission):
		// A store read where it cannot be written: the view is built each
		// time instead of being kept beside the store.
		r.opts.Logger.DebugContext(ctx, "view snapshot not saved", "err", err)
	case err != nil:
		r.opts.Logger.WarnContext(ctx, "view snapshot not saved", "err", err)
	}
	r.view = v
	return v, nil
}

// Quads returns the store's quad count as of the view (loading it).
func (r *Reader) Quads(ctx context.Context) (int64, error) {
	v, err := r.View(ctx)
	if err != nil {
		return 0, err
	}
	return v.Quads, nil
}

// Check checks a scope against the view (known sources, relations in the
// store, kinds, dates), as every answer that takes it does: a value that
// cannot be applied is a *ParamError.
func (r *Reader) Check(ctx context.Context, sc Scope) error {
	v, err := r.View(ctx)
	if err != nil {
		return err
	}
	_, err = v.compile(sc)
	return err
}

// Show returns the card of the entity that text names (an id, a name or an
// alias): its facts and incoming relations, each with its sources and quotes.
func (r *Reader) Show(ctx context.Context, text string) (*Card, error) {
	return show(ctx, r.store, text)
}

// Resolve returns the one entity that text names (an id, a name or an
// alias), or ErrNotFound, or an *AmbiguousError.
func (r *Reader) Resolve(ctx context.Context, text string) (Match, error) {
	return resolve(ctx, r.store, text)
}

// Search returns the entities whose name or alias contains text (see search).
func (r *Reader) Search(ctx context.Context, text string, limit int) ([]Match, error) {
	return search(ctx, r.store, text, limit)
}

// Stats counts entities by kind, facts, sources and contested facts.
func (r *Reader) Stats(ctx context.Context) (*Stats, error) { return getStats(ctx, r.store) }

// Summary is Stats and Contested from one read of the store.
func (r *Reader) Summary(ctx context.Context) (*Stats, []Disagreement, error) {
	return summary(ctx, r.store)
}

// Contested lists where the sources disagree (see contested).
func (r *Reader) Contested(ctx context.Context) ([]Disagreement, error) {
	return contested(ctx, r.store)
}

// Centrality ranks entities by a measure on the filtered graph.
func (r *Reader) Centrality(ctx context.Context, o CentralityOptions) (*CentralityResult, error) {
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	return centrality(ctx, v, o)
}

// Communities groups entities by Louvain modularity.
func (r *Reader) Communities(ctx context.Context, project string, sc Scope) (*CommunitiesResult, error) {
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	return communities(ctx, v, project, sc)
}

// Paths returns up to k shortest paths between two entities, each hop with
// its sources.
func (r *Reader) Paths(ctx context.Context, from, to string, k, maxDepth int, sc Scope) (*PathsResult, error) {
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	return paths(ctx, r.store, v, from, to, k, maxDepth, sc)
}

// Neighbors returns the entities within depth hops of one.
func (r *Reader) Neighbors(ctx context.Context, id string, depth int, sc Scope) (*NeighborsResult, error) {
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	return neighbors(ctx, r.store, v, id, depth, sc)
}

// Timeline returns the dated entities linked to one, in date order.
func (r *Reader) Timeline(ctx context.Context, id string) (*TimelineResult, error) {
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	return timeline(ctx, r.store, v, id)
}

// Preceded returns, for each attack, the warnings that preceded it.
func (r *Reader) Preceded(ctx context.Context, o PrecededOptions) (*PrecededResult, error) {
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	return preceded(ctx, r.store, v, o)
}

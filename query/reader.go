package query

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// A Reader answers every question about one generation of a store: the
// store and its analytics view. Answers that need the view load it the
// first time (from the snapshot in Dir when current, else built by one scan
// and saved there); Load does so up front, and the first load holds other
// callers until it is done. A Reader is safe for concurrent use. It is
// meant for a store that does not change under it: after the store is
// written, open a new one, since the old one's view and full-text index
// (SearchAll) no longer see the new quads while its store-reading answers
// (Show, Search, Stats) do.
type Reader struct {
	store   Store          // idStore, as every answer reads it
	idStore *identityStore // the store with its identity statements applied (identity.go)
	opts    ReaderOptions

	mu   sync.Mutex
	view *View

	textMu sync.Mutex
	text   TextIndex // opened by textIndex (text.go)
}

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	// Dir is where the view's snapshot lives (the store's directory for the
	// key-value backends); "" builds the view in memory each time.
	Dir string
	// Logger hears that a snapshot could not be saved (nil: discard).
	Logger *slog.Logger
	// TextIndex opens the full-text index of SearchAll and TextSearch,
	// kept in Dir (nil: no full-text search, name and alias matches only).
	TextIndex TextIndexOpener
}

// NewReader returns the Reader of st, which answers with st's identity
// statements applied (same and different: identity.go).
func NewReader(st Store, o ReaderOptions) *Reader {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	is := newIdentityStore(st)
	return &Reader{store: is, idStore: is, opts: o}
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
	start := time.Now()
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
	r.opts.Logger.DebugContext(ctx, "view ready", "nodes", len(v.keys), "rows", len(v.rows), "took", time.Since(start))
	r.view = v
	return v, nil
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

// Resolve returns the one entity that text names (an id, a name or an
// alias), or ErrNotFound, or an *AmbiguousError.
func (r *Reader) Resolve(ctx context.Context, text string) (Match, error) {
	return resolve(ctx, r.store, text)
}

// keptPasts is how many past generations' views and indexes are kept.
const keptPasts = 8

// PastDir returns the directory where the view and full-text index of past
// generation g are kept, under dir's "asof" (the keptPasts most recently
// used; older ones are removed), or "" (built in memory) when dir is ""
// or cannot be written.
func PastDir(dir string, g uint64, log *slog.Logger) string {
	if dir == "" {
		return ""
	}
	root := filepath.Join(dir, "asof")
	d := filepath.Join(root, "gen-"+strconv.FormatUint(g, 10))
	if err := os.MkdirAll(d, 0o755); err != nil {
		log.Debug("past view not kept beside the store", "err", err)
		return ""
	}
	now := time.Now()
	_ = os.Chtimes(d, now, now)
	entries, err := os.ReadDir(root)
	if err != nil || len(entries) <= keptPasts {
		return d
	}
	type aged struct {
		name string
		mod  time.Time
	}
	var all []aged
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			all = append(all, aged{e.Name(), info.ModTime()})
		}
	}
	slices.SortFunc(all, func(x, y aged) int { return y.mod.Compare(x.mod) })
	for _, e := range all[min(keptPasts, len(all)):] {
		if err := os.RemoveAll(filepath.Join(root, e.name)); err != nil {
			log.Debug("removing an old past view", "err", err)
		}
	}
	return d
}

package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"
	ckv "github.com/cayleygraph/cayley/graph/kv"
	_ "github.com/cayleygraph/cayley/graph/kv/bbolt" // embedded default
	_ "github.com/cayleygraph/cayley/graph/kv/leveldb"
	_ "github.com/cayleygraph/cayley/graph/memstore"
	_ "github.com/cayleygraph/cayley/graph/sql/postgres" // scale-out; a server arrives in a later issue
	"github.com/cayleygraph/quad"
	hbolt "github.com/hidal-go/hidalgo/kv/bbolt"
	bolt "go.etcd.io/bbolt"

	"github.com/threatgraph/threatgraph/schema"
)

// Backends lists the store backends threatgraph knows.
var Backends = []string{"bbolt", "leveldb", "memstore", "postgres"}

// snapshotFile is the analytics view's snapshot that query keeps in a
// store directory; it alone does not make a store.
const snapshotFile = "view.snapshot"

// ErrNoStore reports that Options.MustExist found no store.
var ErrNoStore = errors.New("no store")

// Options say which store to open and how.
type Options struct {
	Backend string // "bbolt" (default), "leveldb", "memstore" or "postgres"
	Path    string // directory for the key-value stores, connection string for postgres, ignored by memstore
	NoSync  bool   // bbolt: do not fsync each commit (a crash may lose the last commits)
	// MustExist refuses to create a store: for commands that only read, so
	// that a mistyped path is an error, not an empty answer.
	MustExist bool
}

// A Store is an open quad store. Writes are serialised; reads may run
// concurrently with each other.
type Store struct {
	qs    cgraph.QuadStore
	lock  *lockFile
	opts  Options
	copts cgraph.Options
	bolt  *bolt.DB // bbolt: the file cayley's store runs on, for Scan and Out

	nodesMu sync.RWMutex
	nodes   map[uint64]quad.Value // node values by id, filled by Out
	logger  *slog.Logger
}

// Open opens the store, creating it if it does not exist. A store held by
// another process fails at once with a *LockedError.
func Open(ctx context.Context, opts Options, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Backend == "" {
		opts.Backend = "bbolt"
	}
	if !cgraph.IsRegistered(opts.Backend) {
		return nil, fmt.Errorf("unknown store backend %q (expected one of %v)", opts.Backend, Backends)
	}
	s := &Store{opts: opts, logger: logger}
	copts := cgraph.Options{}
	s.copts = copts
	persistent := cgraph.IsPersistent(opts.Backend) && opts.Backend != "postgres"
	if persistent {
		if opts.Path == "" {
			return nil, errors.New("store path is empty (set store.path or --store)")
		}
		_, statErr := os.Stat(opts.Path)
		if opts.MustExist && (statErr != nil || !initialised(opts.Path)) {
			return nil, fmt.Errorf("%w: no %s store at %s (create one with threatgraph demo, ingest or init, or name it with --store)", ErrNoStore, opts.Backend, opts.Path)
		}
		lock, err := acquireLock(opts.Path)
		if err != nil {
			return nil, err
		}
		s.lock = lock
		if opts.NoSync {
			copts["nosync"] = true
		}
		if os.IsNotExist(statErr) || !initialised(opts.Path) {
			if err := cgraph.InitQuadStore(opts.Backend, opts.Path, copts); err != nil && !errors.Is(err, cgraph.ErrDatabaseExists) {
				lock.release()
				return nil, fmt.Errorf("creating store %s: %v", opts.Path, err)
			}
			logger.InfoContext(ctx, "created store", "backend", opts.Backend, "path", opts.Path)
		}
	} else if opts.Backend == "postgres" {
		if err := cgraph.InitQuadStore(opts.Backend, opts.Path, copts); err != nil && !errors.Is(err, cgraph.ErrDatabaseExists) {
			return nil, fmt.Errorf("initialising postgres store: %v", err)
		}
	}
	qs, err := s.openQuadStore()
	if errors.Is(err, cgraph.ErrNotInitialized) && persistent {
		err = fmt.Errorf("%v (is %s a %s store?)", err, opts.Path, opts.Backend)
	}
	if err != nil {
		s.lock.release()
		return nil, fmt.Errorf("opening store %s: %v", opts.Path, err)
	}
	s.qs = qs
	return s, nil
}

// openQuadStore opens cayley's quad store. For bbolt it opens the file
// itself (with a timeout, and keeping the handle for Scan) and hands it to
// cayley's key-value quad store.
func (s *Store) openQuadStore() (cgraph.QuadStore, error) {
	if s.opts.Backend != "bbolt" {
		addr := s.opts.Path
		if !cgraph.IsPersistent(s.opts.Backend) {
			addr = "" // memstore takes no address
		}
		return cgraph.NewQuadStore(s.opts.Backend, addr, s.copts)
	}
	db, err := bolt.Open(filepath.Join(s.opts.Path, "indexes.bolt"), 0o644, &bolt.Options{
		Timeout: 2 * time.Second, NoSync: s.opts.NoSync, NoGrowSync: s.opts.NoSync})
	if err != nil {
		return nil, err
	}
	qs, err := ckv.New(hbolt.New(db), s.copts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.bolt = db
	return qs, nil
}

// initialised reports whether dir holds a store's files.
func initialised(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name() != lockName && e.Name() != snapshotFile {
			return true
		}
	}
	return false
}

// QuadStore gives the query layer cayley's store. It also implements
// Scanner.
func (s *Store) QuadStore() cgraph.QuadStore { return scanning{s.qs, s} }

// Path returns where the store lives.
func (s *Store) Path() string { return s.opts.Path }

// Backend returns the store's backend name.
func (s *Store) Backend() string { return s.opts.Backend }

// Close closes the store and releases its lock, reporting every error.
func (s *Store) Close() error {
	var err error
	if s.qs != nil {
		err = s.qs.Close()
	}
	return errors.Join(err, s.lock.release())
}

// Count returns the number of quads in the store.
func (s *Store) Count(ctx context.Context) (int64, error) {
	st, err := s.qs.Stats(ctx, false)
	if errors.Is(err, ckv.ErrNoBucket) {
		return 0, nil // a new key-value store has no size counter yet
	}
	if err != nil {
		return 0, fmt.Errorf("counting quads: %v", err)
	}
	return st.Quads.Value, nil
}

// Write adds the quads in one transaction: all or none. Quads already in the
// store (or repeated in qs) are skipped; it returns how many were new.
func (s *Store) Write(ctx context.Context, qs []quad.Quad) (added int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	for i, q := range qs {
		if !q.IsValid() {
			return 0, fmt.Errorf("quad %d (%v) lacks a subject, predicate or object", i, q)
		}
	}
	before, err := s.Count(ctx)
	if err != nil {
		return 0, err
	}
	if before == 0 && s.opts.Backend == "bbolt" && len(qs) >= bulkMin {
		return s.bulkWrite(ctx, qs)
	}
	deltas := make([]cgraph.Delta, len(qs))
	for i, q := range qs {
		deltas[i] = cgraph.Delta{Quad: q, Action: cgraph.Add}
	}
	if err := s.qs.ApplyDeltas(deltas, cgraph.IgnoreOpts{IgnoreDup: true}); err != nil {
		return 0, fmt.Errorf("writing %d quads: %v", len(qs), err)
	}
	after, err := s.Count(ctx)
	if err != nil {
		return 0, err
	}
	return int(after - before), nil
}

// Kinds returns the kind of each id the store declares (its rdf:type tg:*
// quad); ids the store does not know are absent from the map.
func (s *Store) Kinds(ctx context.Context, ids []string) (map[string]schema.Kind, error) {
	out := make(map[string]schema.Kind)
	typeRef, err := s.qs.ValueOf(quad.IRI(schema.TypeIRI))
	if err != nil {
		return nil, fmt.Errorf("looking up rdf:type: %v", err)
	}
	if typeRef == nil {
		return out, nil
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	for _, id := range sorted {
		if _, done := out[id]; done {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k, ok, err := s.kindOf(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out[id] = k
		}
	}
	return out, nil
}

func (s *Store) kindOf(ctx context.Context, id string) (schema.Kind, bool, error) {
	ref, err := s.qs.ValueOf(quad.IRI(id))
	if err != nil || ref == nil {
		return "", false, err
	}
	it := s.qs.QuadIterator(quad.Subject, ref).Iterate()
	defer it.Close()
	for it.Next(ctx) {
		q, err := s.qs.Quad(it.Result())
		if err != nil {
			return "", false, err
		}
		if p, ok := q.Predicate.(quad.IRI); ok && string(p) == schema.TypeIRI {
			if o, ok := q.Object.(quad.IRI); ok {
				if k, ok := schema.KindFromIRI(string(o)); ok {
					return k, true, nil
				}
			}
		}
	}
	return "", false, it.Err()
}

// bulkWrite loads a large batch into an empty bbolt store with bulkLoad:
// cayley's handle is closed, the file written in one transaction, and the
// handle reopened.
func (s *Store) bulkWrite(ctx context.Context, qs []quad.Quad) (int, error) {
	if err := s.qs.Close(); err != nil {
		return 0, fmt.Errorf("closing store for bulk load: %v", err)
	}
	s.bolt = nil
	n, err := bulkLoad(s.opts.Path, qs)
	qstore, rerr := s.openQuadStore()
	if rerr != nil {
		return 0, errors.Join(err, fmt.Errorf("reopening store after bulk load: %v", rerr))
	}
	s.qs = qstore
	if err != nil {
		return 0, err
	}
	s.logger.InfoContext(ctx, "bulk loaded", "quads", n, "path", s.opts.Path)
	return n, nil
}

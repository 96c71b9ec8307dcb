package graph

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"
	ckv "github.com/cayleygraph/cayley/graph/kv"
	_ "github.com/cayleygraph/cayley/graph/kv/bbolt" // embedded default
	_ "github.com/cayleygraph/cayley/graph/kv/leveldb"
	_ "github.com/cayleygraph/cayley/graph/memstore"
	_ "github.com/cayleygraph/cayley/graph/sql/postgres" // scale-out; a server arrives in a later issue
	"github.com/cayleygraph/quad"
	hkv "github.com/hidal-go/hidalgo/kv"
	hbolt "github.com/hidal-go/hidalgo/kv/bbolt"
	hflat "github.com/hidal-go/hidalgo/kv/flat"
	hleveldb "github.com/hidal-go/hidalgo/kv/flat/leveldb"
	lopt "github.com/syndtr/goleveldb/leveldb/opt"
	bolt "go.etcd.io/bbolt"

	"github.com/threatgraph/threatgraph/schema"
)

// Backends lists the store backends threatgraph knows.
var Backends = []string{"bbolt", "leveldb", "memstore", "postgres"}

// snapshotFile is the analytics view's snapshot that query keeps in a
// store directory; it alone does not make a store.
const snapshotFile = "view.snapshot"

// ErrNoStore reports that Options.MustExist (or ReadOnly) found no store.
var ErrNoStore = errors.New("no store")

// ErrReadOnly reports a write to a store opened with Options.ReadOnly.
var ErrReadOnly = errors.New("store is open read-only")

// Options say which store to open and how.
type Options struct {
	Backend string // "bbolt" (default), "leveldb", "memstore" or "postgres"
	Path    string // directory for the key-value stores, connection string for postgres, ignored by memstore
	// NoSync: bbolt and leveldb do not fsync each commit. A killed process
	// loses nothing committed; a power loss or OS crash can lose the last
	// commits and can corrupt a bbolt file. Only for stores you can rebuild.
	NoSync bool
	// MustExist refuses to create a store: for commands that only read, so
	// that a mistyped path is an error, not an empty answer.
	MustExist bool
	// ReadOnly opens an existing store for reading only (implies
	// MustExist): a shared lock, so that readers run side by side, files
	// opened read-only, so that no write permission is needed; Write
	// fails with ErrReadOnly.
	ReadOnly bool
}

// A WriteError reports a Write that failed, and whether the batch is in
// the store: Written is false when nothing of it was committed (the store is
// as it was before, and the same batch may be written again).
type WriteError struct {
	Quads   int  // quads in the batch
	Written bool // the batch was committed (the failure came after)
	Err     error
}

func (e *WriteError) Error() string {
	if e.Written {
		return fmt.Sprintf("writing %d quads: the quads were written, but %v", e.Quads, e.Err)
	}
	return fmt.Sprintf("writing %d quads: nothing was written: %v", e.Quads, e.Err)
}

func (e *WriteError) Unwrap() error { return e.Err }

// Committed reports whether the batch is in the store despite the error
// (for callers that test for the method rather than import graph).
func (e *WriteError) Committed() bool { return e.Written }

// A Store is an open quad store. Writes are serialised; reads may run
// concurrently with each other and with writes. After a failed write (and
// after a bulk load) cayley's handle is replaced: a QuadStore obtained before
// then is closed, so take it again with QuadStore for each request.
type Store struct {
	mu     sync.RWMutex // guards qs, bolt and broken, which a write may replace
	qs     cgraph.QuadStore
	bolt   *bolt.DB // bbolt: the file cayley's store runs on, for Scan and Out
	broken error    // set when the store could not be reopened after a failed write, or is closed
	closed bool

	wmu   sync.Mutex // one write at a time
	lock  *lockFile
	opts  Options
	copts cgraph.Options

	nodesMu sync.RWMutex
	nodes   map[uint64]quad.Value // node values by id, filled by Out
	logger  *slog.Logger

	// hook, set by a recorded write (wmu held), runs in cayley's write
	// transaction just before its commit (hookKV).
	hook   func(ctx context.Context, p putter) error
	histMu sync.Mutex
	hist   *historyState // the history at its generation (history.go)
	histDB *bolt.DB      // the handle hist was read from
	// past: the states of earlier generations asked for (asof.go), while the
	// generation is pastGen.
	past    map[uint64]*historyState
	pastGen uint64
	// stated: the loads that stated each quad (provenance.go), built on
	// first use per generation.
	stated *statedIndex
}

// Open opens the store, creating it if it does not exist (unless MustExist
// or ReadOnly). A store held by another process fails at once with a
// *LockedError.
//
// Creating a key-value store is atomic: bbolt's file is created and
// initialised as indexes.bolt.tmp, synced and renamed into place; leveldb's
// creation is complete when cayley's index definitions (written last) are
// in its metadata, and an interrupted one, which holds no quads, is removed
// and created again.
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
	if opts.ReadOnly {
		opts.MustExist = true
	}
	s := &Store{opts: opts, logger: logger}
	copts := cgraph.Options{}
	if opts.NoSync {
		copts["nosync"] = true
	}
	s.copts = copts
	persistent := cgraph.IsPersistent(opts.Backend) && opts.Backend != "postgres"
	if persistent {
		if opts.Path == "" {
			return nil, errors.New("store path is empty (set store.path or --store)")
		}
		if opts.MustExist && !initialised(opts.Path, opts.Backend) {
			return nil, s.noStore("")
		}
		lock, err := acquireLock(opts.Path, opts.ReadOnly)
		if err != nil {
			return nil, err
		}
		s.lock = lock
		if !opts.ReadOnly {
			if err := s.create(ctx); err != nil {
				lock.release()
				return nil, err
			}
		}
	} else if opts.Backend == "postgres" {
		if opts.ReadOnly {
			// Nothing to create; writes are refused by Write.
		} else if err := cgraph.InitQuadStore(opts.Backend, opts.Path, copts); err != nil && !errors.Is(err, cgraph.ErrDatabaseExists) {
			return nil, fmt.Errorf("initialising postgres store: %v", err)
		}
	}
	qs, db, err := s.openQuadStore(ctx)
	if errors.Is(err, errHalfCreated) && !opts.MustExist {
		// An interrupted creation by an older threatgraph: it holds no
		// quads; create it again.
		logger.WarnContext(ctx, "store creation was interrupted; creating it again", "path", opts.Path)
		if err = removeStoreFiles(opts.Path, opts.Backend); err == nil {
			if err = s.create(ctx); err == nil {
				qs, db, err = s.openQuadStore(ctx)
			}
		}
	}
	if errors.Is(err, errHalfCreated) {
		s.lock.release()
		return nil, s.noStore(" (its creation was interrupted; run threatgraph init to create it)")
	}
	if errors.Is(err, cgraph.ErrNotInitialized) && persistent {
		err = fmt.Errorf("%v (is %s a %s store?)", err, opts.Path, opts.Backend)
	}
	if err != nil {
		s.lock.release()
		return nil, fmt.Errorf("opening store %s: %w", opts.Path, err)
	}
	s.qs, s.bolt = qs, db
	return s, nil
}

func (s *Store) noStore(why string) error {
	return fmt.Errorf("%w: no %s store at %s%s (create one with threatgraph demo, ingest or init, or name it with --store)", ErrNoStore, s.opts.Backend, s.opts.Path, why)
}

// errHalfCreated reports a key-value store whose creation did not finish:
// its metadata lacks the version or the index definitions, and it holds no
// quads.
var errHalfCreated = errors.New("store creation was interrupted")

// boltFile is bbolt's file in a store directory; boltTmp is where a new one
// is created, boltBulk where a bulk load is written.
const (
	boltFile = "indexes.bolt"
	boltTmp  = boltFile + ".tmp"
	boltBulk = boltFile + ".bulk"
)

// create makes a new key-value store at s.opts.Path unless one is there,
// and removes what an interrupted creation or bulk load left.
func (s *Store) create(ctx context.Context) error {
	dir := s.opts.Path
	switch s.opts.Backend {
	case "bbolt":
		for _, name := range []string{boltTmp, boltBulk} {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("removing %s left by an interrupted write: %w", name, err)
			}
		}
		if initialised(dir, "bbolt") {
			return nil
		}
		if err := newBoltFile(filepath.Join(dir, boltTmp), s.copts); err != nil {
			return fmt.Errorf("creating store %s: %w", dir, err)
		}
		if err := renameSynced(filepath.Join(dir, boltTmp), filepath.Join(dir, boltFile)); err != nil {
			return fmt.Errorf("creating store %s: %w", dir, err)
		}
	case "leveldb":
		if initialised(dir, "leveldb") {
			return nil
		}
		// No CURRENT: no store was ever completed here, and what a killed
		// creation left (a half-written CURRENT.NNN, a manifest) would
		// make goleveldb refuse the directory for ever.
		if err := removeStoreFiles(dir, "leveldb"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing what an interrupted creation left in %s: %w", dir, err)
		}
		db, err := hleveldb.Open(dir, &lopt.Options{})
		if err != nil {
			return fmt.Errorf("creating store %s: %w", dir, err)
		}
		db.SetWriteOptions(&lopt.WriteOptions{Sync: true})
		err = ckv.Init(hflat.Upgrade(db), s.copts)
		if err := errors.Join(err, db.Close()); err != nil {
			return fmt.Errorf("creating store %s: %w", dir, err)
		}
	default:
		if initialised(dir, s.opts.Backend) {
			return nil
		}
		if err := cgraph.InitQuadStore(s.opts.Backend, dir, s.copts); err != nil && !errors.Is(err, cgraph.ErrDatabaseExists) {
			return fmt.Errorf("creating store %s: %w", dir, err)
		}
	}
	s.logger.InfoContext(ctx, "created store", "backend", s.opts.Backend, "path", dir)
	return nil
}

// newBoltFile creates a bbolt file at path holding an empty cayley store
// (its buckets, data version and index definitions), synced to disk.
func newBoltFile(path string, copts cgraph.Options) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return err
	}
	err = ckv.Init(hbolt.New(db), copts) // each of its commits is synced
	if err = errors.Join(err, db.Close()); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// renameSynced syncs the file from, renames it to to and syncs the
// directory, so that after a crash either the old to or the whole new one
// is there.
func renameSynced(from, to string) error {
	f, err := os.OpenFile(from, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	if err := os.Rename(from, to); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(to))
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// removeStoreFiles removes the files of an interrupted creation.
func removeStoreFiles(dir, backend string) error {
	if backend == "bbolt" {
		return os.Remove(filepath.Join(dir, boltFile))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == "CURRENT" || n == "LOCK" || strings.HasPrefix(n, "LOG") || strings.HasPrefix(n, "MANIFEST-") ||
			strings.HasSuffix(n, ".ldb") || strings.HasSuffix(n, ".log") || strings.HasPrefix(n, "CURRENT.") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// openQuadStore opens cayley's quad store. For the key-value backends it
// opens the key-value store itself (bbolt with a timeout, keeping the handle
// for Scan and Out; both read-only when asked), checks that its creation
// finished, and hands it to cayley.
func (s *Store) openQuadStore(ctx context.Context) (cgraph.QuadStore, *bolt.DB, error) {
	var kv hkv.KV
	var db *bolt.DB
	switch s.opts.Backend {
	case "bbolt":
		var err error
		db, err = bolt.Open(filepath.Join(s.opts.Path, boltFile), 0o644, &bolt.Options{
			Timeout: 2 * time.Second, NoSync: s.opts.NoSync, NoGrowSync: s.opts.NoSync, ReadOnly: s.opts.ReadOnly,
			// A commit that outgrows the memory map waits for every read
			// transaction in flight and holds new ones off while it remaps;
			// reserving 1 GiB of address space up front (not memory) means
			// a store below that size never remaps under its readers.
			InitialMmapSize: 1 << 30})
		if errors.Is(err, bolt.ErrTimeout) {
			// Another process holds bbolt's own lock without ours: a reader
			// in a directory where it could not create the lock file.
			return nil, nil, &LockedError{Path: s.opts.Path, ReadOnly: s.opts.ReadOnly}
		}
		if err != nil {
			return nil, nil, err
		}
		kv = hookKV{KV: hbolt.New(db), s: s}
	case "leveldb":
		ldb, err := hleveldb.Open(s.opts.Path, &lopt.Options{ErrorIfMissing: true, ReadOnly: s.opts.ReadOnly})
		if err != nil {
			return nil, nil, err
		}
		ldb.SetWriteOptions(&lopt.WriteOptions{Sync: !s.opts.NoSync})
		kv = hflat.Upgrade(ldb)
	default:
		addr := s.opts.Path
		if !cgraph.IsPersistent(s.opts.Backend) {
			addr = "" // memstore takes no address
		}
		qs, err := cgraph.NewQuadStore(s.opts.Backend, addr, s.copts)
		return qs, nil, err
	}
	if err := checkCreated(ctx, kv); err != nil {
		kv.Close()
		return nil, nil, err
	}
	// No bloom filters: cayley builds them on every open of a key-value
	// store by reading its whole log (seconds and over 100 MB on a store
	// of a million quads, for every command, even read-only), and they
	// only spare index lookups in cayley's own writes, which are small
	// since large ones take the bulk and stream paths.
	copts := maps.Clone(s.copts)
	if copts == nil {
		copts = cgraph.Options{}
	}
	copts[ckv.OptNoBloom] = true
	qs, err := ckv.New(kv, copts)
	if err != nil {
		kv.Close()
		return nil, nil, err
	}
	return qs, db, nil
}

// checkCreated reads a key-value store's metadata: errHalfCreated if its
// creation did not finish and it holds nothing; an error if it holds quads
// but no index definitions (cayley would read it with its legacy indexes,
// which threatgraph's direct reads do not know).
func checkCreated(ctx context.Context, kv hkv.KV) error {
	tx, err := kv.Tx(ctx, false)
	if err != nil {
		return err
	}
	defer tx.Close()
	has := func(key string) (bool, error) {
		_, err := tx.Get(ctx, hkv.Key{[]byte("meta"), []byte(key)})
		if errors.Is(err, hkv.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	var got [3]bool
	for i, key := range []string{"version", "indexes", "horizon"} {
		if got[i], err = has(key); err != nil {
			return fmt.Errorf("reading the store's metadata: %w", err)
		}
	}
	switch {
	case got[0] && got[1]:
		return nil
	case !got[2]:
		return errHalfCreated
	}
	return errors.New("the store holds quads but no index definitions (an interrupted creation by an older threatgraph, then written with cayley's legacy indexes): rebuild it (threatgraph export, then ingest into a new store)")
}

// initialised reports whether dir holds a store: for bbolt its file, for
// leveldb its CURRENT file (which goleveldb writes by renaming, last).
func initialised(dir, backend string) bool {
	switch backend {
	case "bbolt":
		_, err := os.Stat(filepath.Join(dir, boltFile))
		return err == nil
	case "leveldb":
		_, err := os.Stat(filepath.Join(dir, "CURRENT"))
		return err == nil
	}
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

// handles returns cayley's current handle and the bbolt file under it.
func (s *Store) handles() (cgraph.QuadStore, *bolt.DB) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.qs, s.bolt
}

// reopenLocked closes cayley's handle and opens a fresh one, so that
// nothing of a failed write stays in memory: cayley keeps node ids in an
// LRU cache, bloom filters of the quads and nodes it wrote, and bbolt its
// freelist, all of which a rolled-back transaction can leave naming things
// that are not in the file. s.mu is held.
func (s *Store) reopenLocked(ctx context.Context) error {
	cerr := s.qs.Close()
	s.nodesMu.Lock()
	s.nodes = nil
	s.nodesMu.Unlock()
	qs, db, err := s.openQuadStore(ctx)
	if err != nil {
		s.broken = fmt.Errorf("reopening store %s: %w", s.opts.Path, errors.Join(err, cerr))
		s.bolt = nil
		return s.broken
	}
	s.qs, s.bolt, s.broken = qs, db, nil
	return nil
}

// SetHolderNote adds a line to the lock file's text that another process
// refused the store prints, e.g. "serving http://127.0.0.1:8080": a note
// that starts with "serving " followed by a URL makes a refused reader's
// message say to query that URL. Only a store opened for writing holds the
// lock's text; on others (and memstore, postgres) it does nothing.
func (s *Store) SetHolderNote(note string) error {
	if s.lock == nil || s.lock.f == nil || s.lock.shared {
		return nil
	}
	if err := s.lock.write(strings.TrimSpace(strings.ReplaceAll(note, "\n", " "))); err != nil {
		return fmt.Errorf("writing the lock file's note: %w", err)
	}
	return nil
}

// QuadStore gives cayley's store, for cayley's own query languages (raw
// Gizmo and GraphQL, which only read); everything else reads through Scan,
// Quads and Count, and writes through Write. It is cayley's concrete store,
// not a read-only wrapper, because cayley's optimised iterators require
// it (kv.IndexScan asserts *kv.QuadStore).
func (s *Store) QuadStore() cgraph.QuadStore {
	qs, _ := s.handles()
	return qs
}

// Path returns where the store lives.
func (s *Store) Path() string { return s.opts.Path }

// Backend returns the store's backend name.
func (s *Store) Backend() string { return s.opts.Backend }

// ReadOnly reports whether the store was opened read-only.
func (s *Store) ReadOnly() bool { return s.opts.ReadOnly }

// Close closes the store and releases its lock, reporting every error.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.qs != nil && s.broken == nil {
		err = s.qs.Close()
	}
	s.broken, s.closed = errors.New("store is closed"), true
	return errors.Join(err, s.lock.release())
}

// Count returns the number of quads in the answers: those stored, less
// those retracted.
func (s *Store) Count(ctx context.Context) (int64, error) {
	n, err := s.storedCount(ctx)
	if err != nil {
		return 0, err
	}
	h, err := s.history(ctx)
	if err != nil || !h.filtering() {
		return n, err
	}
	hidden, err := s.hiddenCount(ctx, h)
	return n - hidden, err
}

// storedCount returns the number of quads stored, retracted or not.
func (s *Store) storedCount(ctx context.Context) (int64, error) {
	s.mu.RLock()
	qs, broken := s.qs, s.broken
	s.mu.RUnlock()
	if broken != nil {
		return 0, broken
	}
	st, err := qs.Stats(ctx, false)
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
//
// A write that fails returns a *WriteError; unless it says Written, nothing
// of the batch is in the store and cayley's handle has been reopened, so
// that nothing the failed transaction left in memory reaches the next write.
//
// On bbolt the write is recorded, in the same transaction, as a load of
// the history: its id, time, what ctx says of it (schema.WithLoad: files,
// how it came, who; else "write"), how many quads it added and which it
// stated. Other backends keep no history.
func (s *Store) Write(ctx context.Context, qs []quad.Quad) (added int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, &WriteError{Quads: len(qs), Err: err}
	}
	for i, q := range qs {
		if !q.IsValid() {
			return 0, &WriteError{Quads: len(qs), Err: fmt.Errorf("quad %d (%v) lacks a subject, predicate or object", i, q)}
		}
	}
	if s.opts.ReadOnly {
		return 0, &WriteError{Quads: len(qs), Err: fmt.Errorf("%w: %s was opened for reading only", ErrReadOnly, s.opts.Path)}
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.broken != nil && !s.closed {
		_ = s.reopenLocked(ctx) // an earlier reopen failed: try again
	}
	s.mu.Unlock()
	before, err := s.storedCount(ctx)
	if err != nil {
		return 0, &WriteError{Quads: len(qs), Err: err}
	}
	qstore, db := s.handles()
	var load *Load
	if db != nil {
		if err := s.beginHistory(ctx, db); err != nil {
			return 0, &WriteError{Quads: len(qs), Err: fmt.Errorf("starting the load history: %w", err)}
		}
		info, ok := schema.LoadOf(ctx)
		if !ok {
			info.Via = "write"
		}
		load = &Load{Time: time.Now().UTC().Truncate(time.Second), LoadInfo: info}
		if load.Files == nil {
			load.Files = []schema.LoadFile{}
		}
		if load.User == "" && load.Host == "" {
			load.User, load.Host = whoAmI()
		}
	}
	if before == 0 && s.opts.Backend == "bbolt" && len(qs) >= bulkMin {
		return s.bulkWrite(ctx, qs, load)
	}
	// A large write into a populated store goes through cayley's batches
	// here, not the merged file of WriteStream: a merge holds the store's
	// handles for the whole write, and Write serves the server, whose
	// readers must never wait for an ingest. The CLI's streamed N-Quads
	// ingest, alone in its process, calls WriteStream.
	deltas := make([]cgraph.Delta, len(qs))
	for i, q := range qs {
		deltas[i] = cgraph.Delta{Quad: q, Action: cgraph.Add}
	}
	if load != nil {
		s.hook = func(ctx context.Context, p putter) error {
			var size uint64
			if v := p.get([]byte("meta"), []byte("size")); len(v) == 8 {
				size = binary.LittleEndian.Uint64(v)
			}
			load.Added = int(int64(size) - before)
			return recordLoad(p, load, qs, true)
		}
		defer func() { s.hook = nil }()
	}
	if err := qstore.ApplyDeltas(deltas, cgraph.IgnoreOpts{IgnoreDup: true}); err != nil {
		return s.failed(ctx, len(qs), before, err)
	}
	after, err := s.storedCount(ctx)
	if err != nil {
		return 0, &WriteError{Quads: len(qs), Written: true, Err: err}
	}
	return int(after - before), nil
}

// failed reopens cayley's handle after a failed write and reports it,
// checking that the store holds what it held before.
func (s *Store) failed(ctx context.Context, n int, before int64, err error) (int, error) {
	s.logger.WarnContext(ctx, "write failed; reopening the store", "quads", n, "err", err)
	s.mu.Lock()
	rerr := s.reopenLocked(ctx)
	s.mu.Unlock()
	if rerr != nil {
		return 0, &WriteError{Quads: n, Err: errors.Join(err, rerr)}
	}
	after, cerr := s.storedCount(ctx)
	if cerr == nil && after != before {
		// The commit reached the disk although it reported an error
		// (e.g. a failed fsync after the meta page was written).
		return int(after - before), &WriteError{Quads: n, Written: true, Err: err}
	}
	return 0, &WriteError{Quads: n, Err: err}
}

// Kinds returns the kind of each id the store declares (its rdf:type tg:*
// quad); ids the store does not know are absent from the map.
func (s *Store) Kinds(ctx context.Context, ids []string) (map[string]schema.Kind, error) {
	qs, db := s.handles()
	if db != nil {
		return s.kindsDirect(ctx, db, ids)
	}
	out := make(map[string]schema.Kind)
	typeRef, err := qs.ValueOf(quad.IRI(schema.TypeIRI))
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
		k, ok, err := kindOf(ctx, qs, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out[id] = k
		}
	}
	return out, nil
}

func kindOf(ctx context.Context, qs cgraph.QuadStore, id string) (schema.Kind, bool, error) {
	ref, err := qs.ValueOf(quad.IRI(id))
	if err != nil || ref == nil {
		return "", false, err
	}
	it := qs.QuadIterator(quad.Subject, ref).Iterate()
	defer it.Close()
	for it.Next(ctx) {
		q, err := qs.Quad(it.Result())
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

// bulkWrite loads a large batch into an empty bbolt store with bulkLoad,
// atomically: the quads are written into a fresh store file beside the
// empty one (indexes.bolt.bulk), which is synced and renamed over it, so
// that a crash or power loss at any point leaves either the empty store or
// the full one. Cayley's handle is closed meanwhile (readers wait) and
// reopened.
func (s *Store) bulkWrite(ctx context.Context, qs []quad.Quad, load *Load) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	empty := true
	if err := s.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket([]byte("meta"))
		empty = m == nil || m.Get([]byte("horizon")) == nil
		return nil
	}); err != nil {
		return 0, &WriteError{Quads: len(qs), Err: fmt.Errorf("bulk load: %w", err)}
	}
	if !empty {
		return 0, &WriteError{Quads: len(qs), Err: errors.New("bulk load: store is not empty")}
	}
	if err := s.qs.Close(); err != nil {
		err = fmt.Errorf("closing store for bulk load: %w", err)
		return 0, &WriteError{Quads: len(qs), Err: errors.Join(err, s.reopenLocked(ctx))}
	}
	var extra func(p putter, n int) error
	if load != nil {
		extra = func(p putter, n int) error {
			load.Added = n
			return recordLoad(p, load, qs, true)
		}
	}
	n, err := bulkReplace(s.opts.Path, s.copts, qs, extra)
	s.nodesMu.Lock()
	s.nodes = nil
	s.nodesMu.Unlock()
	qstore, db, rerr := s.openQuadStore(ctx)
	if rerr != nil {
		s.broken = fmt.Errorf("reopening store %s after bulk load: %w", s.opts.Path, rerr)
		s.bolt = nil
		return 0, &WriteError{Quads: len(qs), Written: err == nil, Err: errors.Join(err, s.broken)}
	}
	s.qs, s.bolt = qstore, db
	if err != nil {
		s.logger.WarnContext(ctx, "bulk load failed; the store is as it was", "quads", len(qs), "err", err)
		return 0, &WriteError{Quads: len(qs), Err: err}
	}
	s.logger.InfoContext(ctx, "bulk loaded", "quads", n, "path", s.opts.Path)
	return n, nil
}

// bulkReplace builds a new store file holding qs beside the store's empty
// one and renames it into place; on failure it removes the new file and
// leaves the empty store untouched.
func bulkReplace(dir string, copts cgraph.Options, qs []quad.Quad, extra func(p putter, n int) error) (int, error) {
	tmp := filepath.Join(dir, boltBulk)
	n, err := func() (int, error) {
		if err := newBoltFile(tmp, copts); err != nil {
			return 0, fmt.Errorf("bulk load: creating %s: %w", tmp, err)
		}
		n, err := bulkLoadWith(tmp, qs, extra)
		if err != nil {
			return 0, err
		}
		if err := renameSynced(tmp, filepath.Join(dir, boltFile)); err != nil {
			return 0, fmt.Errorf("bulk load: %w", err)
		}
		return n, nil
	}()
	if err != nil {
		os.Remove(tmp)
	}
	return n, err
}

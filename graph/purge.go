package graph

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"
	cproto "github.com/cayleygraph/cayley/graph/proto"
	"github.com/cayleygraph/quad"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/threatgraph/threatgraph/schema"
)

// bucketPurges holds the purge records: be64(n) → the JSON Purge record
// of purge:n ("purges" in tg.meta is the last sequence number).
var bucketPurges = []byte("tg.purges")

// A Purge is one recorded purge: what was physically removed, by whom,
// when and why; never the content removed.
type Purge struct {
	ID      string    `json:"id"`     // "purge:N"
	Kind    string    `json:"kind"`   // "load", "source" or "statement"
	Target  string    `json:"target"` // the load, source or statement id
	Reason  string    `json:"reason"`
	User    string    `json:"user"`
	Host    string    `json:"host"`
	Time    time.Time `json:"time"`
	Gen     uint64    `json:"gen"`     // the generation it made
	Removed int       `json:"removed"` // how many quads it removed from the store
}

// Purge physically removes from the store the quads of target and records
// the purge (who, when, why, what, how many; not the content). It returns
// the record and the quads removed.
//
// What goes: for a load (load:N), the quads it stated that no other
// recorded load also stated (retracted or not: their records still vouch
// for them); its record stays, marked purged, and no longer names any
// quad. For a source (source:NAME), every quad labelled with it or one of
// its statements, whoever loaded it; for a statement, every quad labelled
// with it. The hashes of the removed quads leave every load's record of
// what it stated, and the generation moves on, so that every view, text
// index and past state built before is rebuilt. The quads are gone from
// every past generation too (--as-of answers from what is stored).
//
// It is one bbolt transaction (cayley's delete, the removal of cayley's
// tombstones and index entries, the history's changes and the record):
// all of it or none. It cannot be undone. A bad target is a
// *HistoryError and changes nothing.
func (s *Store) Purge(ctx context.Context, target, reason string) (*Purge, []quad.Quad, error) {
	if s.opts.ReadOnly {
		return nil, nil, fmt.Errorf("%w: %s was opened for reading only", ErrReadOnly, s.opts.Path)
	}
	_, db := s.handles()
	if db == nil {
		return nil, nil, fmt.Errorf("%w (this store is %s)", ErrNoHistory, s.opts.Backend)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, nil, &HistoryError{Value: "--reason", Want: "a purge needs a reason (expected --reason TEXT)"}
	}
	if err := checkReason(reason); err != nil {
		return nil, nil, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.beginHistory(ctx, db); err != nil {
		return nil, nil, fmt.Errorf("starting the load history: %w", err)
	}
	h, err := s.history(ctx)
	if err != nil {
		return nil, nil, err
	}
	rec := &Purge{Target: target, Reason: reason, Time: time.Now().UTC().Truncate(time.Second)}
	rec.User, rec.Host = whoAmI()
	if rec.Kind, err = s.purgeKind(ctx, h, target); err != nil {
		return nil, nil, err
	}
	stated, err := readStated(db)
	if err != nil {
		return nil, nil, err
	}
	pick, dropLoad, err := purgeSet(rec.Kind, target, stated)
	if err != nil {
		return nil, nil, err
	}
	var ids []uint64
	var gone []quad.Quad
	removed := map[quadHash]bool{}
	if err := s.scanLinks(ctx, db, func(id uint64, q quad.Quad) error {
		if pick(q) {
			ids = append(ids, id)
			gone = append(gone, q)
			removed[hashQuad(q)] = true
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("finding the quads of %s: %w", target, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	rec.Removed = len(gone)
	// The views and text indexes were built from the quads about to go:
	// removed before (a crash after the commit leaves none to reuse, and
	// none holds the purged text on disk) and after (none is built
	// meanwhile by another process: the writer holds the store).
	s.dropDerived()
	write := func(p putter) error {
		if err := scrubLinks(p, ids); err != nil {
			return fmt.Errorf("removing cayley's entries of the purged quads: %w", err)
		}
		for n, hs := range stated {
			if n == dropLoad {
				if err := p.del(bucketStated, be64(n)); err != nil {
					return err
				}
				continue
			}
			kept := make([]byte, 0, len(hs))
			for i := 0; i+hashSize <= len(hs); i += hashSize {
				if !removed[quadHash(hs[i:i+hashSize])] {
					kept = append(kept, hs[i:i+hashSize]...)
				}
			}
			if len(kept) != len(hs) {
				if err := p.put(bucketStated, be64(n), kept); err != nil {
					return err
				}
			}
		}
		n, err := next(p, "purges")
		if err != nil {
			return err
		}
		rec.ID = "purge:" + strconv.FormatUint(n, 10)
		if rec.Gen, err = next(p, "gen"); err != nil {
			return err
		}
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return p.put(bucketPurges, be64(n), b)
	}
	if len(gone) == 0 {
		err = db.Update(func(tx *bolt.Tx) error { return write(boltPutter{tx}) })
		if err != nil {
			return nil, nil, fmt.Errorf("recording the purge: %w", err)
		}
		return rec, gone, nil
	}
	deltas := make([]cgraph.Delta, len(gone))
	for i, q := range gone {
		deltas[i] = cgraph.Delta{Quad: q, Action: cgraph.Delete}
	}
	before, err := s.storedCount(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.hook = func(ctx context.Context, p putter) error { return write(p) }
	qstore, _ := s.handles()
	err = qstore.ApplyDeltas(deltas, cgraph.IgnoreOpts{IgnoreMissing: true})
	s.hook = nil
	if err != nil {
		_, werr := s.failed(ctx, len(gone), before, err)
		return nil, nil, fmt.Errorf("purging %s: %w", target, werr)
	}
	// Cayley keeps node ids, bloom filters and index lists in memory;
	// a fresh handle knows only what the file holds.
	s.mu.Lock()
	err = s.reopenLocked(ctx)
	s.mu.Unlock()
	s.dropDerived()
	if err != nil {
		return rec, gone, fmt.Errorf("reopening the store after the purge (which is done): %w", err)
	}
	return rec, gone, nil
}

// purgeKind says what a purge's target names, as for a retraction; a load
// already purged is refused.
func (s *Store) purgeKind(ctx context.Context, h *historyState, target string) (string, error) {
	if strings.Contains(target, schema.StatementSep) {
		// A statement retracted first (or whose load or source was) is
		// still stored: purge looks for it as stored.
		qs, _ := s.handles()
		found, errFound := false, errors.New("found")
		if err := each(ctx, qs, quad.Label, quad.IRI(target), func(quad.Quad) error { found = true; return errFound }); err != nil && !errors.Is(err, errFound) {
			return "", err
		}
		if found {
			return "statement", nil
		}
	}
	kind, err := s.targetKind(ctx, h, target)
	if err != nil {
		return "", err
	}
	if kind == "load" {
		i := slices.IndexFunc(h.loads, func(l Load) bool { return l.ID == target })
		if p := h.loads[i].Purged; p != "" {
			return "", &HistoryError{Value: target, Want: "already purged by " + p}
		}
	}
	return kind, nil
}

// readStated reads tg.stated: each load's number to its hashes.
func readStated(db *bolt.DB) (map[uint64][]byte, error) {
	out := map[uint64][]byte{}
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketStated)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			out[binary.BigEndian.Uint64(k)] = slices.Clone(v)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading the load history: %w", err)
	}
	return out, nil
}

// purgeSet returns which stored quads a purge of target removes and, for
// a load, its number (whose record of stated quads goes; else MaxUint64).
func purgeSet(kind, target string, stated map[uint64][]byte) (func(quad.Quad) bool, uint64, error) {
	none := ^uint64(0)
	switch kind {
	case "source", "statement":
		return func(q quad.Quad) bool {
			if kind == "statement" && q.Subject == quad.IRI(target) {
				return true // its quote, where and whose it is (labelled with its source)
			}
			l, ok := q.Label.(quad.IRI)
			if !ok {
				return false
			}
			return string(l) == target || (kind == "source" && schema.SourceOf(string(l)) == target)
		}, none, nil
	case "load":
		n, ok := parseSeq(target, "load:")
		if !ok {
			return nil, none, &HistoryError{Value: target, Want: "not a load id (expected load:N)"}
		}
		only := map[quadHash]bool{}
		hs := stated[n]
		for i := 0; i+hashSize <= len(hs); i += hashSize {
			only[quadHash(hs[i:i+hashSize])] = true
		}
		for m, hs := range stated {
			if m == n {
				continue
			}
			for i := 0; i+hashSize <= len(hs); i += hashSize {
				delete(only, quadHash(hs[i:i+hashSize]))
			}
		}
		return func(q quad.Quad) bool { return only[hashQuad(q)] }, n, nil
	}
	return nil, none, fmt.Errorf("purge: unknown target kind %q", kind)
}

// scrubLinks removes what cayley keeps of deleted quads: it marks a
// deleted quad dead in its log and leaves it listed in its indexes, which
// would keep the fact (its node ids) in the file. Each id leaves the sp
// and ops lists that name it and its log entry goes. Runs in the purge's
// transaction, after cayley marked them dead.
func scrubLinks(p putter, ids []uint64) error {
	logB, sp, ops := []byte("log"), []byte("sp"), []byte("ops")
	be := binary.BigEndian
	for _, id := range ids {
		v := p.get(logB, be64(id))
		if v == nil {
			continue
		}
		var prim cproto.Primitive
		if err := proto.Unmarshal(v, &prim); err != nil {
			return fmt.Errorf("decoding quad %d: %w", id, err)
		}
		if prim.IsNode() {
			return fmt.Errorf("log entry %d is a node, not a quad", id)
		}
		spKey := be.AppendUint64(be.AppendUint64(nil, prim.Subject), prim.Predicate)
		opsKey := be.AppendUint64(be.AppendUint64(be.AppendUint64(nil, prim.Object), prim.Predicate), prim.Subject)
		for _, ix := range []struct{ b, k []byte }{{sp, spKey}, {ops, opsKey}} {
			if err := dropFromIndex(p, ix.b, ix.k, id); err != nil {
				return err
			}
		}
		if err := p.del(logB, be64(id)); err != nil {
			return err
		}
	}
	return nil
}

// dropFromIndex removes id from the uvarint list under key in bucket b,
// and the key when the list is left empty.
func dropFromIndex(p putter, b, key []byte, id uint64) error {
	list := p.get(b, key)
	if list == nil {
		return nil
	}
	out := make([]byte, 0, len(list))
	for rest := list; len(rest) > 0; {
		x, n := binary.Uvarint(rest)
		if n <= 0 {
			return fmt.Errorf("bad %s index entry %x", b, key)
		}
		if x != id {
			out = append(out, rest[:n]...)
		}
		rest = rest[n:]
	}
	if len(out) == 0 {
		return p.del(b, key)
	}
	return p.put(b, key, out)
}

// textIndexName is the full-text index's directory beside the store
// (internal/textindex.Name, which graph does not import).
const textIndexName = "search.bleve"

// dropDerived removes what is computed from the quads and kept beside the
// store: the view snapshot, the full-text index and the past views and
// indexes (query.PastDir). After a purge they hold what is gone; each is
// rebuilt at the next question that needs it.
func (s *Store) dropDerived() {
	if s.opts.Backend != "bbolt" || s.opts.Path == "" {
		return
	}
	paths := []string{filepath.Join(s.opts.Path, "asof"), filepath.Join(s.opts.Path, snapshotFile), filepath.Join(s.opts.Path, textIndexName)}
	old, _ := filepath.Glob(filepath.Join(s.opts.Path, textIndexName+".old-*"))
	for _, p := range append(paths, old...) {
		if err := os.RemoveAll(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.logger.Warn("could not remove what was computed from the purged quads", "path", p, "err", err)
		}
	}
}

// Purges lists every purge in order.
func (s *Store) Purges(ctx context.Context) ([]Purge, error) {
	h, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	return h.purges, nil
}

// readPurges reads the purge records in order.
func readPurges(tx *bolt.Tx) ([]Purge, error) {
	var out []Purge
	b := tx.Bucket(bucketPurges)
	if b == nil {
		return nil, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		var p Purge
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("decoding purge %x: %w", k, err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// A Purged is what a purge answers: its record and the quads it removed,
// each in N-Quads form, sorted (threatgraph purge --format json, POST
// /v1/purge).
type Purged struct {
	Purge
	Quads []string `json:"quads"`
	// Compacted: the file was rewritten after the purge (Store.Compact), so
	// that the deleted bytes are not left in its free pages.
	Compacted bool `json:"compacted"`
}

// NewPurged returns the answer of the purge rec that removed gone.
func NewPurged(rec *Purge, gone []quad.Quad) *Purged {
	out := &Purged{Purge: *rec, Quads: make([]string, 0, len(gone))}
	for _, q := range gone {
		out.Quads = append(out.Quads, q.NQuad())
	}
	slices.Sort(out.Quads)
	return out
}

// Compact rewrites the bbolt file with only its live pages (bbolt's
// Compact into indexes.bolt.bulk, synced and renamed over the store), so
// that the bytes of deleted data, which bbolt leaves in its free pages,
// are gone from the file: what a purge of data that must be gone needs.
// Readers of this Store must not run meanwhile (the handle is replaced).
// A crash leaves the old file whole (the next writer removes the
// leftover); the bytes of the old file may stay on the disk's free blocks.
func (s *Store) Compact(ctx context.Context) error {
	if s.opts.ReadOnly {
		return fmt.Errorf("%w: %s was opened for reading only", ErrReadOnly, s.opts.Path)
	}
	if _, db := s.handles(); db == nil {
		return fmt.Errorf("compacting: only a bbolt store can be compacted (this store is %s)", s.opts.Backend)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp := filepath.Join(s.opts.Path, boltBulk)
	_ = os.Remove(tmp)
	mode := os.FileMode(0o600)
	if st, err := os.Stat(filepath.Join(s.opts.Path, boltFile)); err == nil {
		mode = st.Mode().Perm() // the copy is no more readable than the store was
	}
	dst, err := bolt.Open(tmp, mode, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("compacting: %w", err)
	}
	if err := os.Chmod(tmp, mode); err != nil { // bolt.Open's mode goes through the umask
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compacting: %w", err)
	}
	err = bolt.Compact(dst, s.bolt, 64<<20)
	if err = errors.Join(err, dst.Close()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compacting %s: %w", s.opts.Path, err)
	}
	if err := ctx.Err(); err != nil {
		os.Remove(tmp)
		return err
	}
	cerr := s.qs.Close()
	s.nodesMu.Lock()
	s.nodes = nil
	s.nodesMu.Unlock()
	rerr := renameSynced(tmp, filepath.Join(s.opts.Path, boltFile))
	qs, db, oerr := s.openQuadStore(ctx)
	if oerr != nil {
		s.broken = fmt.Errorf("reopening store %s after compacting: %w", s.opts.Path, errors.Join(oerr, cerr, rerr))
		s.bolt = nil
		return s.broken
	}
	s.qs, s.bolt, s.broken = qs, db, nil
	if rerr != nil {
		os.Remove(tmp)
		return fmt.Errorf("compacting %s (the store is as before): %w", s.opts.Path, rerr)
	}
	return nil
}

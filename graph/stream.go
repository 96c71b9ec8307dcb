package graph

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	cproto "github.com/cayleygraph/cayley/graph/proto"
	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/pquads"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/threatgraph/threatgraph/schema"
)

// A StreamReport says what WriteStream did, per tag (the caller's file
// index): Quads[t] is how many distinct quads were handed with tag t,
// Added[t] how many of those first handed with tag t were new to the store
// (a quad handed with two tags is new at most once, for the first).
type StreamReport struct {
	Quads []int
	Added []int
}

// directMax is the number of new quads up to which WriteStream writes into
// the store's file in one bbolt transaction; above it, it builds a new file
// (see writeMerged).
const directMax = 50_000

// commitEvery is how many puts a merged write commits at a time into its
// new file: bbolt holds a transaction's dirty pages in memory until commit.
const commitEvery = 200_000

// WriteStream adds, in one all-or-nothing write, the quads that each hands
// to put: each may run long (it reads a file); put may be called with any
// number of quads and returns an error only when ctx is done. Quads already
// in the store, or handed twice, are skipped; when none is handed,
// nothing is written (no load is recorded).
//
// On bbolt the quads are held in compact form (node hashes and ids, values
// only of new nodes, 4 ids a quad) instead of as quad.Quad values, checked
// against the store's indexes, and written in cayley's format directly:
// into the store's file in one transaction when few are new, else into a
// copy of the file, committed in parts (memory stays bounded), synced and
// renamed over the store, so that a crash at any point leaves the store as
// it was or with the whole write. The write is recorded as a load of the
// history like Write's, in the same final state. Other backends collect
// the quads and use Write.
func (s *Store) WriteStream(ctx context.Context, each func(put func(q quad.Quad, tag int) error) error) (quads, added []int, err error) {
	rep, err := s.writeStream(ctx, each)
	return rep.Quads, rep.Added, err
}

func (s *Store) writeStream(ctx context.Context, each func(put func(q quad.Quad, tag int) error) error) (StreamReport, error) {
	var rep StreamReport
	count := func(tag int, n int) {
		for len(rep.Added) <= tag {
			rep.Added = append(rep.Added, 0)
			rep.Quads = append(rep.Quads, 0)
		}
		rep.Added[tag] += n
	}
	countQuads := func(tags []int) {
		for tag, n := range tags {
			count(tag, 0)
			rep.Quads[tag] = n
		}
	}
	if err := ctx.Err(); err != nil {
		return rep, &WriteError{Err: err}
	}
	if s.opts.ReadOnly {
		return rep, &WriteError{Err: fmt.Errorf("%w: %s was opened for reading only", ErrReadOnly, s.opts.Path)}
	}
	_, db := s.handles()
	if db == nil {
		var all []quad.Quad
		var tags []int
		if err := each(func(q quad.Quad, tag int) error {
			all = append(all, q)
			tags = append(tags, tag)
			return ctx.Err()
		}); err != nil {
			return rep, &WriteError{Quads: len(all), Err: err}
		}
		ex, err := s.Existing(ctx, all)
		if err != nil {
			return rep, &WriteError{Quads: len(all), Err: err}
		}
		seen := map[quad.Quad]bool{}
		perTag := map[[2]any]bool{}
		var distinct []int
		for i, q := range all {
			if !ex[i] && !seen[q] {
				count(tags[i], 1)
			}
			seen[q] = true
			if k := [2]any{q, tags[i]}; !perTag[k] {
				perTag[k] = true
				for len(distinct) <= tags[i] {
					distinct = append(distinct, 0)
				}
				distinct[tags[i]]++
			}
		}
		countQuads(distinct)
		writeStarts(ctx)
		_, err = s.Write(ctx, all)
		return rep, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.broken != nil && !s.closed {
		_ = s.reopenLocked(ctx)
	}
	s.mu.Unlock()
	_, db = s.handles()
	if db == nil {
		return rep, &WriteError{Err: s.broken}
	}
	if err := s.beginHistory(ctx, db); err != nil {
		return rep, &WriteError{Err: fmt.Errorf("starting the load history: %w", err)}
	}
	st, err := s.streamLocked(ctx, db, s.newLoad(ctx), each)
	if err != nil {
		return StreamReport{}, err
	}
	countQuads(st.perTag)
	for _, q := range st.quads {
		if q.isNew {
			count(int(q.tag), 1)
		}
	}
	return rep, nil
}

type writeStartKey struct{}

// WithWriteStart returns a context in which WriteStream calls fn just
// before it begins to write the store, once the stream is read and
// checked: until then an interruption leaves the store unchanged.
func WithWriteStart(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, writeStartKey{}, fn)
}

func writeStarts(ctx context.Context) {
	if fn, ok := ctx.Value(writeStartKey{}).(func()); ok {
		fn()
	}
}

// streamLocked is WriteStream's write, wmu held and the history begun.
func (s *Store) streamLocked(ctx context.Context, db *bolt.DB, load *Load, each func(put func(q quad.Quad, tag int) error) error) (*stage, error) {
	st, err := stageStream(ctx, db, each)
	if err != nil {
		return st, &WriteError{Quads: len(st.quads), Err: err}
	}
	if len(st.quads) == 0 {
		return st, nil // nothing handed: nothing to record
	}
	if err := st.markExisting(ctx, db); err != nil {
		return st, &WriteError{Quads: len(st.quads), Err: err}
	}
	writeStarts(ctx)
	if st.added <= directMax {
		err = s.writeDirect(ctx, db, st, load)
	} else {
		err = s.writeMerged(ctx, st, load)
	}
	return st, err
}

// newLoad is the history record of a write, from what ctx says of it.
func (s *Store) newLoad(ctx context.Context) *Load {
	info, ok := schema.LoadOf(ctx)
	if !ok {
		info.Via = "write"
	}
	load := &Load{Time: time.Now().UTC().Truncate(time.Second), LoadInfo: info}
	if load.Files == nil {
		load.Files = []schema.LoadFile{}
	}
	if load.User == "" && load.Host == "" {
		load.User, load.Host = whoAmI()
	}
	return load
}

// A streamNode is one distinct node value of a streamed write.
type streamNode struct {
	h        [quad.HashSize]byte
	id       uint64 // in the store, or assigned (new)
	refs     uint32 // references from the new quads
	off, len uint32 // its marshalled value in stage.vals (new nodes)
	new      bool
}

// A streamQuad is a distinct quad of a streamed write: node indexes
// (label -1 for none), the tag it was first handed with, and whether the
// store lacks it.
type streamQuad struct {
	n     [4]int32
	tag   int32
	isNew bool
}

// stage is a streamed write in compact form.
type stage struct {
	nodes  []streamNode
	vals   []byte // marshalled values of the new nodes
	quads  []streamQuad
	hashes []byte // the history hash of each distinct quad (hashQuad)
	added  int    // quads new to the store
	perTag []int  // distinct quads handed with each tag
	// set by markExisting: the new nodes to write, in id order, and the
	// store's horizon before the write
	fresh   []int32
	horizon uint64
}

// stageStream reads the quads each hands into a stage, resolving every node
// against the store's value index as it first appears.
func stageStream(ctx context.Context, db *bolt.DB, each func(put func(q quad.Quad, tag int) error) error) (*stage, error) {
	st := &stage{}
	tx, err := db.Begin(false)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	idx := make(map[[quad.HashSize]byte]int32)
	seen := make(map[[4]int32]int32)     // quad -> its first tag
	again := make(map[[5]int32]struct{}) // quads handed again with another tag
	tagged := func(tag int) {
		for len(st.perTag) <= tag {
			st.perTag = append(st.perTag, 0)
		}
		st.perTag[tag]++
	}
	node := func(v quad.Value, h *[quad.HashSize]byte) (int32, error) {
		if i, ok := idx[*h]; ok {
			return i, nil
		}
		i := int32(len(st.nodes))
		n := streamNode{h: *h}
		if b := tx.Bucket([]byte{'v', h[0], h[1]}); b != nil {
			if raw := b.Get(h[:]); raw != nil {
				id, k := binary.Uvarint(raw)
				if k <= 0 {
					return 0, fmt.Errorf("bad value index entry for %v", v)
				}
				n.id = id
			}
		}
		if n.id == 0 {
			val, err := pquads.MarshalValue(v)
			if err != nil {
				return 0, err
			}
			n.new, n.off, n.len = true, uint32(len(st.vals)), uint32(len(val))
			st.vals = append(st.vals, val...)
		}
		st.nodes = append(st.nodes, n)
		idx[*h] = i
		return i, nil
	}
	// Quads come in batches whose hashes (of the four values, and the
	// history's of the quad) are computed on every CPU; the batch is then
	// taken in order.
	type hashed struct {
		q    quad.Quad
		tag  int
		h    [4][quad.HashSize]byte
		qh   quadHash
		none [4]bool
	}
	batch := make([]hashed, 0, streamBatch)
	workers := max(runtime.GOMAXPROCS(0), 1)
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		var wg sync.WaitGroup
		per := (len(batch) + workers - 1) / workers
		for w := 0; w < len(batch); w += per {
			wg.Add(1)
			go func(part []hashed) {
				defer wg.Done()
				for i := range part {
					x := &part[i]
					for d, v := range []quad.Value{x.q.Subject, x.q.Predicate, x.q.Object, x.q.Label} {
						if v == nil {
							x.none[d] = true
							continue
						}
						quad.HashTo(v, x.h[d][:])
					}
					x.qh = hashQuad(x.q)
				}
			}(batch[w:min(w+per, len(batch))])
		}
		wg.Wait()
		for i := range batch {
			x := &batch[i]
			k := [4]int32{-1, -1, -1, -1}
			for d, v := range []quad.Value{x.q.Subject, x.q.Predicate, x.q.Object, x.q.Label} {
				if x.none[d] {
					continue
				}
				var err error
				if k[d], err = node(v, &x.h[d]); err != nil {
					return err
				}
			}
			if first, dup := seen[k]; dup {
				if first != int32(x.tag) {
					a := [5]int32{k[0], k[1], k[2], k[3], int32(x.tag)}
					if _, ok := again[a]; !ok {
						again[a] = struct{}{}
						tagged(x.tag)
					}
				}
				continue
			}
			seen[k] = int32(x.tag)
			tagged(x.tag)
			st.quads = append(st.quads, streamQuad{n: k, tag: int32(x.tag)})
			st.hashes = append(st.hashes, x.qh[:]...)
		}
		clear(batch)
		batch = batch[:0]
		return nil
	}
	err = each(func(q quad.Quad, tag int) error {
		if !q.IsValid() {
			return fmt.Errorf("quad %v lacks a subject, predicate or object", q)
		}
		batch = append(batch, hashed{q: q, tag: tag})
		if len(batch) == streamBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return st, err
}

// streamBatch is how many quads WriteStream hashes at a time.
const streamBatch = 8192

// markExisting marks the quads the store lacks, counts the references
// they add to each node, and numbers the new nodes (after the store's
// horizon, in hash order, as cayley numbers a batch) and the new quads
// (after them, in input order).
func (st *stage) markExisting(ctx context.Context, db *bolt.DB) error {
	var horizon uint64
	err := db.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket([]byte("meta")); m != nil {
			if v := m.Get([]byte("horizon")); len(v) == 8 {
				horizon = binary.LittleEndian.Uint64(v)
			}
		}
		ops, log := tx.Bucket([]byte("ops")), tx.Bucket([]byte("log"))
		var key [24]byte
		var lk [8]byte
		var p cproto.Primitive
		for i := range st.quads {
			if i%65536 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			q := &st.quads[i]
			known := ops != nil && log != nil
			for _, n := range q.n {
				if n >= 0 && st.nodes[n].new {
					known = false
				}
			}
			q.isNew = true
			if known {
				be := binary.BigEndian
				be.PutUint64(key[:], st.nodes[q.n[2]].id)
				be.PutUint64(key[8:], st.nodes[q.n[1]].id)
				be.PutUint64(key[16:], st.nodes[q.n[0]].id)
				var label uint64
				if q.n[3] >= 0 {
					label = st.nodes[q.n[3]].id
				}
				for ids := ops.Get(key[:]); len(ids) > 0; {
					qid, k := binary.Uvarint(ids)
					if k <= 0 {
						return errors.New("bad object index entry")
					}
					ids = ids[k:]
					be.PutUint64(lk[:], qid)
					p = cproto.Primitive{}
					if err := proto.Unmarshal(log.Get(lk[:]), &p); err != nil {
						return fmt.Errorf("decoding quad %d: %v", qid, err)
					}
					if !p.Deleted && p.Label == label && p.Subject == st.nodes[q.n[0]].id && p.Predicate == st.nodes[q.n[1]].id && p.Object == st.nodes[q.n[2]].id {
						q.isNew = false
						break
					}
				}
			}
			if q.isNew {
				st.added++
				for _, n := range q.n {
					if n >= 0 {
						st.nodes[n].refs++
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// New nodes that only existing quads name are not written.
	var fresh []int32
	for i := range st.nodes {
		if n := &st.nodes[i]; n.new && n.refs > 0 {
			fresh = append(fresh, int32(i))
		}
	}
	slices.SortFunc(fresh, func(a, b int32) int { return bytes.Compare(st.nodes[a].h[:], st.nodes[b].h[:]) })
	for r, i := range fresh {
		st.nodes[i].id = horizon + uint64(r) + 1
	}
	st.fresh = fresh
	st.horizon = horizon
	return nil
}

// recordStream numbers load and records it with the quads the stage stated.
func recordStream(p putter, load *Load, st *stage) error {
	n, err := next(p, "loads")
	if err != nil {
		return err
	}
	load.ID = "load:" + strconv.FormatUint(n, 10)
	load.Added = st.added
	return recordLoadHashes(p, load, st.hashes, len(st.quads))
}

// quadID returns the id of the k-th new quad.
func (st *stage) quadID(k int) uint64 { return st.horizon + uint64(len(st.fresh)) + uint64(k) + 1 }

// writeDirect writes a stage with few new quads into the store's file in
// one bbolt transaction (cayley's handle stays open: it reads the file
// through the same bbolt handle).
func (s *Store) writeDirect(ctx context.Context, db *bolt.DB, st *stage, load *Load) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := db.Update(func(tx *bolt.Tx) error {
		w := &txWriter{tx: tx}
		if err := st.write(ctx, w); err != nil {
			return err
		}
		load.Added = st.added
		return recordStream(boltPutter{tx}, load, st)
	})
	if err != nil {
		s.logger.WarnContext(ctx, "write failed; reopening the store", "quads", len(st.quads), "err", err)
		return &WriteError{Quads: len(st.quads), Err: errors.Join(err, s.reopenLocked(ctx))}
	}
	// Cayley caches node ids and keeps bloom filters of what it wrote:
	// a fresh handle reads what was written behind its back.
	if err := s.reopenLocked(ctx); err != nil {
		return &WriteError{Quads: len(st.quads), Written: true, Err: err}
	}
	return nil
}

// writeMerged writes a stage into a new file (boltBulk): every bucket of
// the store's file with the stage's entries merged in, in key order,
// committed every commitEvery puts (mergeFile); then syncs it and renames
// it over the store's file. Cayley's handle is closed meanwhile (readers wait) and
// reopened; on failure the copy is removed and the store is as it was.
func (s *Store) writeMerged(ctx context.Context, st *stage, load *Load) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := s.opts.Path
	tmp := filepath.Join(dir, boltBulk)
	live := filepath.Join(dir, boltFile)
	renamed := false
	err := func() error {
		if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		mode := os.FileMode(0o600)
		if fi, err := os.Stat(live); err == nil {
			mode = fi.Mode().Perm()
		}
		db, err := bolt.Open(tmp, mode, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, NoSync: true, NoGrowSync: true, InitialMmapSize: 1 << 30})
		if err != nil {
			return err
		}
		// The new file has the store file's permissions (bolt.Open's
		// mode is cut by the umask): a private store stays private.
		if err := os.Chmod(tmp, mode); err != nil {
			db.Close()
			return err
		}
		w := &chunkWriter{db: db}
		// The last chunk's puts point into the old file's map: they are
		// committed while its read transaction is still open.
		err = s.bolt.View(func(old *bolt.Tx) error {
			if err := st.mergeFile(ctx, old, w); err != nil {
				return err
			}
			load.Added = st.added
			return w.final(func(tx *bolt.Tx) error {
				return recordStream(boltPutter{tx}, load, st)
			})
		})
		if err == nil {
			err = db.Sync()
		}
		if err = errors.Join(err, db.Close()); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.qs.Close(); err != nil {
			return fmt.Errorf("closing the store for the write: %w", err)
		}
		s.bolt = nil
		if err := os.Rename(tmp, live); err != nil {
			return err
		}
		renamed = true
		// The rename is the commit: a failed sync of the directory after
		// it does not undo it, and is only logged.
		if d, err := os.Open(dir); err == nil {
			if err := d.Sync(); err != nil {
				s.logger.WarnContext(ctx, "syncing the store's directory after the write", "err", err)
			}
			d.Close()
		}
		return nil
	}()
	if err != nil && !renamed {
		os.Remove(tmp)
	}
	s.nodesMu.Lock()
	s.nodes = nil
	s.nodesMu.Unlock()
	qstore, db, rerr := s.openQuadStore(ctx)
	if rerr != nil {
		s.broken = fmt.Errorf("reopening store %s after the write: %w", s.opts.Path, rerr)
		s.bolt = nil
		written := err == nil || renamed
		return &WriteError{Quads: len(st.quads), Written: written, Err: errors.Join(err, s.broken)}
	}
	s.qs, s.bolt, s.broken = qstore, db, nil
	if err != nil {
		s.logger.WarnContext(ctx, "write failed", "quads", len(st.quads), "written", renamed, "err", err)
		return &WriteError{Quads: len(st.quads), Written: renamed, Err: err}
	}
	s.logger.InfoContext(ctx, "wrote", "quads", st.added, "path", s.opts.Path)
	return nil
}

// A kvWriter puts and gets keys of a write in progress.
type kvWriter interface {
	get(bucket, key []byte) []byte
	put(bucket, key, val []byte, appending bool) error
}

// txWriter writes into one bbolt transaction.
type txWriter struct {
	tx   *bolt.Tx
	name []byte
	b    *bolt.Bucket
	// fresh: the buckets that were empty when the write began, which it
	// fills in key order (pages filled whole); shared by the transactions
	// of one write
	fresh map[string]bool
}

func (w *txWriter) bucket(name []byte, create bool) (*bolt.Bucket, error) {
	if w.b != nil && bytes.Equal(w.name, name) {
		return w.b, nil
	}
	var b *bolt.Bucket
	if create {
		var err error
		if b, err = w.tx.CreateBucketIfNotExists(name); err != nil {
			return nil, err
		}
	} else if b = w.tx.Bucket(name); b == nil {
		return nil, nil
	}
	if w.fresh == nil {
		w.fresh = map[string]bool{}
	}
	if _, ok := w.fresh[string(name)]; !ok {
		k, _ := b.Cursor().First()
		w.fresh[string(name)] = k == nil
	}
	w.b, w.name = b, append(w.name[:0], name...)
	return b, nil
}

func (w *txWriter) get(bucket, key []byte) []byte {
	if w.fresh[string(bucket)] {
		return nil // empty when the write began: holds only what it wrote, never read back
	}
	b, _ := w.bucket(bucket, false)
	if b == nil {
		return nil
	}
	return b.Get(key)
}

func (w *txWriter) put(bucket, key, val []byte, appending bool) error {
	b, err := w.bucket(bucket, true)
	if err != nil {
		return err
	}
	if appending || w.fresh[string(bucket)] {
		b.FillPercent = 1.0
	} else {
		b.FillPercent = bolt.DefaultFillPercent
	}
	return b.Put(key, val)
}

// chunkWriter writes into a bbolt file that nobody else sees yet, in
// transactions of commitEvery puts.
type chunkWriter struct {
	db    *bolt.DB
	w     *txWriter
	n     int
	fresh map[string]bool
}

func (c *chunkWriter) begin() error {
	if c.w != nil {
		return nil
	}
	tx, err := c.db.Begin(true)
	if err != nil {
		return err
	}
	if c.fresh == nil {
		c.fresh = map[string]bool{}
	}
	c.w = &txWriter{tx: tx, fresh: c.fresh}
	return nil
}

func (c *chunkWriter) get(bucket, key []byte) []byte {
	if err := c.begin(); err != nil {
		return nil
	}
	return c.w.get(bucket, key)
}

func (c *chunkWriter) put(bucket, key, val []byte, appending bool) error {
	if err := c.begin(); err != nil {
		return err
	}
	if err := c.w.put(bucket, key, val, appending); err != nil {
		return err
	}
	if c.n++; c.n%commitEvery == 0 {
		err := c.w.tx.Commit()
		c.w = nil
		return err
	}
	return nil
}

// final runs fn in the last transaction and commits it.
func (c *chunkWriter) final(fn func(tx *bolt.Tx) error) error {
	if err := c.begin(); err != nil {
		return err
	}
	if err := fn(c.w.tx); err != nil {
		_ = c.w.tx.Rollback()
		return err
	}
	err := c.w.tx.Commit()
	c.w = nil
	return err
}

// write puts a stage's new nodes and quads in cayley's format: the log
// (node primitives, then quad primitives), the counters, node reference
// counts, the sp and ops indexes and the value index, each bucket's keys in
// order.
func (st *stage) write(ctx context.Context, w kvWriter) error {
	if st.added == 0 {
		return nil
	}
	ts := time.Now().UnixNano()
	buf := make([]byte, 0, 256)
	var p cproto.Primitive
	logPut := func() error {
		var err error
		if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], &p); err != nil {
			return err
		}
		return w.put([]byte("log"), be64(p.ID), bytes.Clone(buf), true)
	}
	for _, i := range st.fresh {
		n := &st.nodes[i]
		p = cproto.Primitive{ID: n.id, Value: st.vals[n.off : n.off+n.len], Timestamp: ts}
		if err := logPut(); err != nil {
			return err
		}
	}
	id := func(n int32) uint64 {
		if n < 0 {
			return 0
		}
		return st.nodes[n].id
	}
	k := 0
	for i := range st.quads {
		q := &st.quads[i]
		if !q.isNew {
			continue
		}
		if k%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		p = cproto.Primitive{ID: st.quadID(k), Subject: id(q.n[0]), Predicate: id(q.n[1]), Object: id(q.n[2]), Label: id(q.n[3]), Timestamp: ts}
		if err := logPut(); err != nil {
			return err
		}
		k++
	}
	// The counters: cayley adds to them; so does this.
	var size uint64
	if v := w.get([]byte("meta"), []byte("size")); len(v) == 8 {
		size = binary.LittleEndian.Uint64(v)
	}
	if err := w.put([]byte("meta"), []byte("horizon"), le64(st.quadID(k-1)), false); err != nil {
		return err
	}
	if err := w.put([]byte("meta"), []byte("size"), le64(size+uint64(st.added)), false); err != nil {
		return err
	}
	// Reference counts, in hash order (the n buckets are keyed by hash).
	var touched []int32
	for i := range st.nodes {
		if st.nodes[i].refs > 0 {
			touched = append(touched, int32(i))
		}
	}
	slices.SortFunc(touched, func(a, b int32) int { return bytes.Compare(st.nodes[a].h[:], st.nodes[b].h[:]) })
	for _, i := range touched {
		n := &st.nodes[i]
		bk := []byte{'n', n.h[0], n.h[1]}
		refs := uint64(n.refs)
		if !n.new {
			if v := w.get(bk, n.h[:]); v != nil {
				old, _ := binary.Uvarint(v)
				refs += old
			}
		}
		if err := w.put(bk, bytes.Clone(n.h[:]), binary.AppendUvarint(nil, refs), false); err != nil {
			return err
		}
	}
	if err := st.writeIndex(ctx, w, "ops", 24, func(q *streamQuad, b []byte) {
		binary.BigEndian.PutUint64(b, id(q.n[2]))
		binary.BigEndian.PutUint64(b[8:], id(q.n[1]))
		binary.BigEndian.PutUint64(b[16:], id(q.n[0]))
	}); err != nil {
		return err
	}
	if err := st.writeIndex(ctx, w, "sp", 16, func(q *streamQuad, b []byte) {
		binary.BigEndian.PutUint64(b, id(q.n[0]))
		binary.BigEndian.PutUint64(b[8:], id(q.n[1]))
	}); err != nil {
		return err
	}
	for _, i := range st.fresh {
		n := &st.nodes[i]
		if err := w.put([]byte{'v', n.h[0], n.h[1]}, bytes.Clone(n.h[:]), binary.AppendUvarint(nil, n.id), false); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// writeIndex adds the new quads' ids to index name under the n-byte keys
// that key writes: the keys sorted, each key's ids appended in id order
// to what the store holds under it (older, smaller ids), as cayley does.
func (st *stage) writeIndex(ctx context.Context, w kvWriter, name string, n int, key func(q *streamQuad, b []byte)) error {
	type entry struct {
		k  [24]byte
		id uint64
	}
	es := make([]entry, 0, st.added)
	k := 0
	for i := range st.quads {
		q := &st.quads[i]
		if !q.isNew {
			continue
		}
		e := entry{id: st.quadID(k)}
		key(q, e.k[:])
		es = append(es, e)
		k++
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := bytes.Compare(a.k[:n], b.k[:n]); c != 0 {
			return c
		}
		if a.id < b.id {
			return -1
		}
		return 1
	})
	bucket := []byte(name)
	for i := 0; i < len(es); {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		j := i
		v := bytes.Clone(w.get(bucket, es[i].k[:n]))
		for ; j < len(es) && es[j].k == es[i].k; j++ {
			v = binary.AppendUvarint(v, es[j].id)
		}
		if err := w.put(bucket, bytes.Clone(es[i].k[:n]), v, false); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// InMany is In for many values at once (one read of the history, one
// read transaction): fn gets the index in vs of the value each quad has as
// its object.
func (s *Store) InMany(ctx context.Context, vs []quad.Value, fn func(i int, q quad.Quad) error) error {
	_, db := s.handles()
	if db == nil {
		for i, v := range vs {
			if err := s.In(ctx, v, func(q quad.Quad) error { return fn(i, q) }); err != nil {
				return err
			}
		}
		return nil
	}
	h, err := s.history(ctx)
	if err != nil {
		return err
	}
	filtering := h != nil && h.filtering()
	type hit struct {
		i int
		q quad.Quad
	}
	// In parts, so that the quads found wait in memory a part at a time.
	const part = 4096
	for start := 0; start < len(vs); start += part {
		var hits []hit
		err := db.View(func(tx *bolt.Tx) error {
			var qs []quad.Quad
			for i := start; i < min(start+part, len(vs)); i++ {
				var err error
				if qs, err = s.indexQuads(tx, vs[i], "ops", qs[:0]); err != nil {
					return err
				}
				for _, q := range qs {
					hits = append(hits, hit{i, q})
				}
			}
			return ctx.Err()
		})
		if err != nil {
			return err
		}
		for _, x := range hits {
			if filtering && !h.visible(x.q) {
				continue
			}
			if err := fn(x.i, x.q); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// kindsDirect is Kinds on bbolt, read from cayley's indexes in one read
// transaction: each id's value-index entry, then the sp index under
// (id, rdf:type), each quad's object from the log.
func (s *Store) kindsDirect(ctx context.Context, db *bolt.DB, ids []string) (map[string]schema.Kind, error) {
	out := make(map[string]schema.Kind)
	err := db.View(func(tx *bolt.Tx) error {
		idOf := func(v quad.Value) (uint64, error) {
			var h [quad.HashSize]byte
			quad.HashTo(v, h[:])
			b := tx.Bucket([]byte{'v', h[0], h[1]})
			if b == nil {
				return 0, nil
			}
			raw := b.Get(h[:])
			if raw == nil {
				return 0, nil
			}
			id, n := binary.Uvarint(raw)
			if n <= 0 {
				return 0, fmt.Errorf("bad value index entry for %v", v)
			}
			return id, nil
		}
		typeID, err := idOf(quad.IRI(schema.TypeIRI))
		if err != nil || typeID == 0 {
			return err
		}
		sp, log := tx.Bucket([]byte("sp")), tx.Bucket([]byte("log"))
		if sp == nil || log == nil {
			return nil
		}
		var key [16]byte
		var lk [8]byte
		objects := map[uint64]quad.Value{}
		for n, id := range ids {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if _, done := out[id]; done {
				continue
			}
			nid, err := idOf(quad.IRI(id))
			if err != nil {
				return err
			}
			if nid == 0 {
				continue
			}
			binary.BigEndian.PutUint64(key[:], nid)
			binary.BigEndian.PutUint64(key[8:], typeID)
			for qids := sp.Get(key[:]); len(qids) > 0; {
				qid, k := binary.Uvarint(qids)
				if k <= 0 {
					return fmt.Errorf("bad subject index entry for %s", id)
				}
				qids = qids[k:]
				binary.BigEndian.PutUint64(lk[:], qid)
				var p cproto.Primitive
				if err := proto.Unmarshal(log.Get(lk[:]), &p); err != nil {
					return fmt.Errorf("decoding quad %d: %v", qid, err)
				}
				if p.Deleted || p.IsNode() {
					continue
				}
				o, ok := objects[p.Object]
				if !ok {
					binary.BigEndian.PutUint64(lk[:], p.Object)
					var np cproto.Primitive
					if err := proto.Unmarshal(log.Get(lk[:]), &np); err != nil || !np.IsNode() {
						return fmt.Errorf("node %d of quad %d is missing from the log (%v)", p.Object, qid, err)
					}
					if o, err = pquads.UnmarshalValue(np.Value); err != nil {
						return fmt.Errorf("decoding node %d: %v", p.Object, err)
					}
					objects[p.Object] = o
				}
				if iri, ok := o.(quad.IRI); ok {
					if k, ok := schema.KindFromIRI(string(iri)); ok {
						out[id] = k
						break
					}
				}
			}
		}
		return nil
	})
	return out, err
}

// A kv is one key and value of a merged write, in a bucket.
type kv struct {
	bucket, key, val []byte
	add              bool // val is a reference count to add to the stored one
}

// newEntries lists, bucket by bucket in key order, what the stage adds:
// send gets them in (bucket, key) order; it is called once per bucket
// family (log, meta, n, ops, sp, v), in that order.
func (st *stage) newEntries(ctx context.Context, old func(bucket, key []byte) []byte, send func(kv) error) error {
	ts := time.Now().UnixNano()
	var p cproto.Primitive
	marshal := func() ([]byte, error) { return proto.Marshal(&p) }
	id := func(n int32) uint64 {
		if n < 0 {
			return 0
		}
		return st.nodes[n].id
	}
	for _, i := range st.fresh {
		n := &st.nodes[i]
		p = cproto.Primitive{ID: n.id, Value: st.vals[n.off : n.off+n.len], Timestamp: ts}
		b, err := marshal()
		if err != nil {
			return err
		}
		if err := send(kv{bucket: []byte("log"), key: be64(p.ID), val: b}); err != nil {
			return err
		}
	}
	k := 0
	for i := range st.quads {
		q := &st.quads[i]
		if !q.isNew {
			continue
		}
		p = cproto.Primitive{ID: st.quadID(k), Subject: id(q.n[0]), Predicate: id(q.n[1]), Object: id(q.n[2]), Label: id(q.n[3]), Timestamp: ts}
		b, err := marshal()
		if err != nil {
			return err
		}
		if err := send(kv{bucket: []byte("log"), key: be64(p.ID), val: b}); err != nil {
			return err
		}
		k++
	}
	var size uint64
	if v := old([]byte("meta"), []byte("size")); len(v) == 8 {
		size = binary.LittleEndian.Uint64(v)
	}
	if err := send(kv{bucket: []byte("meta"), key: []byte("horizon"), val: le64(st.quadID(k - 1))}); err != nil {
		return err
	}
	if err := send(kv{bucket: []byte("meta"), key: []byte("size"), val: le64(size + uint64(st.added))}); err != nil {
		return err
	}
	var touched []int32
	for i := range st.nodes {
		if st.nodes[i].refs > 0 {
			touched = append(touched, int32(i))
		}
	}
	slices.SortFunc(touched, func(a, b int32) int { return bytes.Compare(st.nodes[a].h[:], st.nodes[b].h[:]) })
	for _, i := range touched {
		n := &st.nodes[i]
		if err := send(kv{bucket: []byte{'n', n.h[0], n.h[1]}, key: bytes.Clone(n.h[:]), val: binary.AppendUvarint(nil, uint64(n.refs)), add: true}); err != nil {
			return err
		}
	}
	touched = nil
	for _, idx := range []struct {
		name string
		n    int
		key  func(q *streamQuad, b []byte)
	}{
		{"ops", 24, func(q *streamQuad, b []byte) {
			binary.BigEndian.PutUint64(b, id(q.n[2]))
			binary.BigEndian.PutUint64(b[8:], id(q.n[1]))
			binary.BigEndian.PutUint64(b[16:], id(q.n[0]))
		}},
		{"sp", 16, func(q *streamQuad, b []byte) {
			binary.BigEndian.PutUint64(b, id(q.n[0]))
			binary.BigEndian.PutUint64(b[8:], id(q.n[1]))
		}},
	} {
		if err := st.indexEntries(ctx, idx.n, idx.key, func(key []byte, ids []byte) error {
			return send(kv{bucket: []byte(idx.name), key: key, val: ids})
		}); err != nil {
			return err
		}
	}
	for _, i := range st.fresh {
		n := &st.nodes[i]
		if err := send(kv{bucket: []byte{'v', n.h[0], n.h[1]}, key: bytes.Clone(n.h[:]), val: binary.AppendUvarint(nil, n.id)}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// indexEntries calls fn with each key of an index that the new quads add
// to, in key order, and their ids (uvarints, in id order).
func (st *stage) indexEntries(ctx context.Context, n int, key func(q *streamQuad, b []byte), fn func(key, ids []byte) error) error {
	type entry struct {
		k  [24]byte
		id uint64
	}
	es := make([]entry, 0, st.added)
	k := 0
	for i := range st.quads {
		q := &st.quads[i]
		if !q.isNew {
			continue
		}
		e := entry{id: st.quadID(k)}
		key(q, e.k[:])
		es = append(es, e)
		k++
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := bytes.Compare(a.k[:n], b.k[:n]); c != 0 {
			return c
		}
		if a.id < b.id {
			return -1
		}
		return 1
	})
	for i := 0; i < len(es); {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		j := i
		var v []byte
		for ; j < len(es) && es[j].k == es[i].k; j++ {
			v = binary.AppendUvarint(v, es[j].id)
		}
		if err := fn(bytes.Clone(es[i].k[:n]), v); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// mergeFile writes into w (a new, empty bbolt file) every bucket of old
// with the stage's entries merged in: each bucket is read in key order and
// written in key order (appending, pages filled whole), so that the cost
// is sequential whatever the store's size. Buckets the stage does not
// touch are copied as they are. The old keys and values are handed to the
// new file's puts as they are: they point into the old file's memory map,
// which stays valid while old (a read transaction) is open, i.e. past the
// new file's last commit.
func (st *stage) mergeFile(ctx context.Context, old *bolt.Tx, w *chunkWriter) error {
	// The stage's entries arrive bucket by bucket, in order; they are
	// merged as they come with the old bucket of the same name, and the
	// old buckets between them are copied.
	oldNames := [][]byte{}
	if err := old.ForEach(func(name []byte, _ *bolt.Bucket) error {
		oldNames = append(oldNames, bytes.Clone(name))
		return nil
	}); err != nil {
		return err
	}
	next := 0 // the next old bucket not yet written
	copyUpTo := func(name []byte) error {
		for next < len(oldNames) && (name == nil || bytes.Compare(oldNames[next], name) < 0) {
			if err := copyBucket(ctx, w, nil, oldNames[next], old.Bucket(oldNames[next])); err != nil {
				return err
			}
			next++
		}
		return nil
	}
	var cur []byte                        // the bucket being merged
	var c *bolt.Cursor                    // its old cursor (nil when new)
	var ok, ov []byte                     // the old cursor's position
	flushOld := func(upTo []byte) error { // write the old keys below upTo (all when nil)
		for ; ok != nil && (upTo == nil || bytes.Compare(ok, upTo) < 0); ok, ov = c.Next() {
			if ov == nil {
				if err := copyBucket(ctx, w, cur, ok, c.Bucket().Bucket(ok)); err != nil {
					return err
				}
				continue
			}
			if err := w.put(cur, ok, ov, true); err != nil {
				return err
			}
		}
		return nil
	}
	finish := func() error {
		if cur == nil {
			return nil
		}
		if err := flushOld(nil); err != nil {
			return err
		}
		cur, c = nil, nil
		return nil
	}
	get := func(bucket, key []byte) []byte {
		if b := old.Bucket(bucket); b != nil {
			return b.Get(key)
		}
		return nil
	}
	err := st.newEntries(ctx, get, func(e kv) error {
		if !bytes.Equal(e.bucket, cur) {
			if err := finish(); err != nil {
				return err
			}
			if err := copyUpTo(e.bucket); err != nil {
				return err
			}
			cur = bytes.Clone(e.bucket)
			if next < len(oldNames) && bytes.Equal(oldNames[next], cur) {
				b := old.Bucket(cur)
				c = b.Cursor()
				ok, ov = c.First()
				next++
			} else {
				c, ok, ov = nil, nil, nil
				if err := w.createBucket(cur); err != nil {
					return err
				}
			}
		}
		if err := flushOld(e.key); err != nil {
			return err
		}
		val := e.val
		if ok != nil && bytes.Equal(ok, e.key) {
			// The key is stored: add to its count, or append to its ids.
			if e.add {
				have, _ := binary.Uvarint(ov)
				inc, _ := binary.Uvarint(e.val)
				val = binary.AppendUvarint(nil, have+inc)
			} else if !bytes.Equal(e.bucket, []byte("meta")) {
				val = append(bytes.Clone(ov), e.val...)
			}
			ok, ov = c.Next()
		}
		return w.put(cur, e.key, val, true)
	})
	if err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	return copyUpTo(nil)
}

// copyBucket copies bucket name of the old file (nested in parent, or at
// the root) into w, nested buckets included.
func copyBucket(ctx context.Context, w *chunkWriter, parent, name []byte, b *bolt.Bucket) error {
	if b == nil {
		return nil
	}
	if parent != nil {
		return fmt.Errorf("bucket %s is nested in %s: not a cayley store's layout", name, parent)
	}
	if err := w.createBucket(name); err != nil {
		return err
	}
	n := 0
	return b.ForEach(func(k, v []byte) error {
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if v == nil {
			return fmt.Errorf("bucket %s holds a nested bucket %s: not a cayley store's layout", name, k)
		}
		return w.put(name, k, v, true)
	})
}

// createBucket makes an empty bucket in the new file.
func (c *chunkWriter) createBucket(name []byte) error {
	if err := c.begin(); err != nil {
		return err
	}
	_, err := c.w.bucket(name, true)
	return err
}

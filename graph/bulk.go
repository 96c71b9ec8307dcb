package graph

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	cproto "github.com/cayleygraph/cayley/graph/proto"
	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/pquads"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// bulkMin is the batch size from which a write into an empty bbolt store
// takes the bulk path: below it cayley's own write path is fast enough.
const bulkMin = 50_000

// bulkLoad writes quads into an empty, freshly initialised cayley bbolt
// store file at path in cayley's key-value format (data version 2, default indexes
// sp and ops), in one bbolt transaction: all or nothing.
//
// Cayley's write path resolves every node and index key against the store
// and pays bbolt's commit cost on random pages for each batch (about 29,000
// quads/s here). On an empty store none of that is needed: node ids are
// assigned in memory, duplicates dropped, reference counts counted, and every
// bucket written in key order. The result is the store cayley would have
// written (TestBulkMatchesCayley reads both back and compares them); the
// format is cayley's at the pinned version, so upgrading cayley means
// re-running that test.
func bulkLoad(path string, in []quad.Quad) (n int, err error) {
	return bulkLoadWith(path, in, nil)
}

// bulkLoadWith is bulkLoad, with extra writing in the same transaction
// (the load's record), given the number of quads written.
func bulkLoadWith(path string, in []quad.Quad, extra func(p putter, n int) error) (n int, err error) {
	d := collectBulk(in)
	d.assignIDs()
	sp, ops := d.indexes()
	if err := writeBulk(path, d, sp, ops, extra); err != nil {
		return 0, err
	}
	return len(d.quads), nil
}

// A bulkNode is one distinct node value of a bulk load.
type bulkNode struct {
	h    [quad.HashSize]byte
	v    quad.Value
	id   uint64 // cayley's node id, set by assignIDs
	refs uint64 // the number of quad directions that refer to it
}

// A bulkQuad holds the indexes into bulkData.nodes of a quad's subject,
// predicate, object and label; -1 for no label.
type bulkQuad [4]int32

// bulkData is the in-memory form of a bulk load: the distinct nodes, the
// distinct quads in input order, and the nodes in id order.
type bulkData struct {
	nodes []bulkNode
	quads []bulkQuad
	order []int32 // node indexes by ascending id, set by assignIDs
}

// collectBulk finds the distinct nodes and quads of in and counts the
// references to each node. Nodes are keyed by the hash of their value, as
// cayley keys them: values that differ in Go but print alike are one node.
func collectBulk(in []quad.Quad) *bulkData {
	d := &bulkData{quads: make([]bulkQuad, 0, len(in))}
	idx := make(map[[quad.HashSize]byte]int32, len(in)/2)
	get := func(v quad.Value) int32 {
		var h [quad.HashSize]byte
		quad.HashTo(v, h[:])
		if i, ok := idx[h]; ok {
			return i
		}
		i := int32(len(d.nodes))
		d.nodes = append(d.nodes, bulkNode{v: v, h: h})
		idx[h] = i
		return i
	}
	seen := make(map[bulkQuad]struct{}, len(in))
	for _, q := range in {
		k := bulkQuad{get(q.Subject), get(q.Predicate), get(q.Object), -1}
		if q.Label != nil {
			k[3] = get(q.Label)
		}
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = struct{}{}
		d.quads = append(d.quads, k)
		for _, i := range k {
			if i >= 0 {
				d.nodes[i].refs++
			}
		}
	}
	return d
}

// assignIDs numbers the nodes 1.. in hash order, as cayley assigns them
// within a batch; quad ids follow, in input order (see quadID).
func (d *bulkData) assignIDs() {
	d.order = make([]int32, len(d.nodes))
	for i := range d.order {
		d.order[i] = int32(i)
	}
	sort.Slice(d.order, func(a, b int) bool {
		return bytes.Compare(d.nodes[d.order[a]].h[:], d.nodes[d.order[b]].h[:]) < 0
	})
	for r, i := range d.order {
		d.nodes[i].id = uint64(r + 1)
	}
}

// id returns the id of node i; 0 (no node) for -1.
func (d *bulkData) id(i int32) uint64 {
	if i < 0 {
		return 0
	}
	return d.nodes[i].id
}

// quadID returns the id of the qi-th distinct quad.
func (d *bulkData) quadID(qi int) uint64 { return uint64(len(d.nodes)) + uint64(qi) + 1 }

// horizon returns the last id used.
func (d *bulkData) horizon() uint64 { return uint64(len(d.nodes)) + uint64(len(d.quads)) }

// An indexEntry is one key of a cayley quad index and the ids of the quads under it.
type indexEntry struct {
	k   [24]byte
	ids []uint64
}

// indexes builds cayley's default quad indexes: sp (subject, predicate)
// and ops (object, predicate, subject), each sorted by key.
func (d *bulkData) indexes() (sp, ops []indexEntry) {
	be := binary.BigEndian
	sp = d.buildIndex(16, func(q bulkQuad, b []byte) {
		be.PutUint64(b, d.id(q[0]))
		be.PutUint64(b[8:], d.id(q[1]))
	})
	ops = d.buildIndex(24, func(q bulkQuad, b []byte) {
		be.PutUint64(b, d.id(q[2]))
		be.PutUint64(b[8:], d.id(q[1]))
		be.PutUint64(b[16:], d.id(q[0]))
	})
	return sp, ops
}

// buildIndex groups the quad ids by the n-byte key that key writes, in
// input order within a key, and sorts the keys.
func (d *bulkData) buildIndex(n int, key func(q bulkQuad, b []byte)) []indexEntry {
	m := make(map[[24]byte]int32, len(d.quads))
	var out []indexEntry
	for qi, q := range d.quads {
		var k [24]byte
		key(q, k[:])
		j, ok := m[k]
		if !ok {
			j = int32(len(out))
			out = append(out, indexEntry{k: k})
			m[k] = j
		}
		out[j].ids = append(out[j].ids, d.quadID(qi))
	}
	sort.Slice(out, func(a, b int) bool { return bytes.Compare(out[a].k[:n], out[b].k[:n]) < 0 })
	return out
}

// writeBulk opens the initialised store file at path and writes d and its
// indexes in one bbolt transaction, refusing a store that holds data.
func writeBulk(path string, d *bulkData, sp, ops []indexEntry, extra func(p putter, n int) error) (err error) {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("bulk load: %s must be initialised first: %v", path, err)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, NoSync: true, NoGrowSync: true, InitialMmapSize: 1 << 30})
	if err != nil {
		return fmt.Errorf("bulk load: opening %s: %v", path, err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	tx, err := db.Begin(true)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if m := tx.Bucket([]byte("meta")); m == nil || m.Get([]byte("horizon")) != nil {
		return errors.New("bulk load: store is not empty")
	}
	if err := writeBuckets(&bucketWriter{tx: tx}, d, sp, ops); err != nil {
		return err
	}
	if extra != nil {
		if err := extra(boltPutter{tx}, len(d.quads)); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("bulk load: commit: %v", err)
	}
	if err := db.Sync(); err != nil {
		return fmt.Errorf("bulk load: sync: %v", err)
	}
	return nil
}

// writeBuckets writes every bucket in key order, so that each is filled
// by appending: log < meta < n.. < ops < sp < v..
func writeBuckets(w *bucketWriter, d *bulkData, sp, ops []indexEntry) error {
	if err := writeLog(w, d, time.Now().UnixNano()); err != nil {
		return err
	}
	if err := w.put([]byte("meta"), []byte("horizon"), le64(d.horizon())); err != nil {
		return err
	}
	if err := w.put([]byte("meta"), []byte("size"), le64(uint64(len(d.quads)))); err != nil {
		return err
	}
	for _, i := range d.order {
		nd := &d.nodes[i]
		if err := w.put([]byte{'n', nd.h[0], nd.h[1]}, nd.h[:], binary.AppendUvarint(nil, nd.refs)); err != nil {
			return err
		}
	}
	if err := writeIndex(w, "ops", ops, 24); err != nil {
		return err
	}
	if err := writeIndex(w, "sp", sp, 16); err != nil {
		return err
	}
	for _, i := range d.order {
		nd := &d.nodes[i]
		if err := w.put([]byte{'v', nd.h[0], nd.h[1]}, nd.h[:], binary.AppendUvarint(nil, nd.id)); err != nil {
			return err
		}
	}
	return nil
}

// writeLog writes the log bucket: a primitive per node, in id order, then
// one per quad, all stamped ts.
func writeLog(w *bucketWriter, d *bulkData, ts int64) error {
	var p cproto.Primitive
	buf := make([]byte, 0, 256)
	put := func() error {
		var err error
		if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], &p); err != nil {
			return err
		}
		return w.put([]byte("log"), be64(p.ID), bytes.Clone(buf))
	}
	for _, i := range d.order {
		nd := &d.nodes[i]
		val, err := pquads.MarshalValue(nd.v)
		if err != nil {
			return err
		}
		p = cproto.Primitive{ID: nd.id, Value: val, Timestamp: ts}
		if err := put(); err != nil {
			return err
		}
	}
	for qi, q := range d.quads {
		p = cproto.Primitive{ID: d.quadID(qi), Subject: d.id(q[0]), Predicate: d.id(q[1]), Object: d.id(q[2]), Label: d.id(q[3]), Timestamp: ts}
		if err := put(); err != nil {
			return err
		}
	}
	return nil
}

// writeIndex writes the index l under bucket name, each key's first n
// bytes to its quad ids as uvarints.
func writeIndex(w *bucketWriter, name string, l []indexEntry, n int) error {
	for _, e := range l {
		v := make([]byte, 0, len(e.ids)*5)
		for _, x := range e.ids {
			v = binary.AppendUvarint(v, x)
		}
		if err := w.put([]byte(name), e.k[:n:n], v); err != nil {
			return err
		}
	}
	return nil
}

// A bucketWriter puts keys into the buckets of tx, creating each bucket
// on first use. Keys must arrive in order within a bucket, so buckets are
// filled completely.
type bucketWriter struct {
	tx   *bolt.Tx
	name []byte
	b    *bolt.Bucket
}

func (w *bucketWriter) put(bucket, k, v []byte) error {
	if w.b == nil || !bytes.Equal(w.name, bucket) {
		var err error
		if w.b, err = w.tx.CreateBucketIfNotExists(bucket); err != nil {
			return err
		}
		w.b.FillPercent = 1.0 // keys arrive in order
		w.name = append(w.name[:0], bucket...)
	}
	return w.b.Put(k, v)
}

// le64 is x as 8 little-endian bytes, as cayley stores meta counters.
func le64(x uint64) []byte { return binary.LittleEndian.AppendUint64(nil, x) }

// be64 is x as 8 big-endian bytes, as cayley keys the log.
func be64(x uint64) []byte { return binary.BigEndian.AppendUint64(nil, x) }

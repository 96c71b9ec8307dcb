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
	type node struct {
		h    [quad.HashSize]byte
		v    quad.Value
		id   uint64
		refs uint64
	}
	// Nodes are keyed by the hash of their value, as cayley keys them:
	// values that differ in Go but print alike are one node.
	idx := make(map[[quad.HashSize]byte]int32, len(in)/2)
	var nodes []node
	get := func(v quad.Value) int32 {
		var h [quad.HashSize]byte
		quad.HashTo(v, h[:])
		if i, ok := idx[h]; ok {
			return i
		}
		i := int32(len(nodes))
		nodes = append(nodes, node{v: v, h: h})
		idx[h] = i
		return i
	}
	type qk [4]int32
	seen := make(map[qk]struct{}, len(in))
	qs := make([]qk, 0, len(in))
	for _, q := range in {
		k := qk{get(q.Subject), get(q.Predicate), get(q.Object), -1}
		if q.Label != nil {
			k[3] = get(q.Label)
		}
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = struct{}{}
		qs = append(qs, k)
		for _, i := range k {
			if i >= 0 {
				nodes[i].refs++
			}
		}
	}
	seen, idx = nil, nil
	// Node ids in hash order, as cayley assigns them within a batch, then
	// quad ids in input order.
	order := make([]int32, len(nodes))
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(a, b int) bool { return bytes.Compare(nodes[order[a]].h[:], nodes[order[b]].h[:]) < 0 })
	for r, i := range order {
		nodes[i].id = uint64(r + 1)
	}
	qbase := uint64(len(nodes))
	id := func(i int32) uint64 {
		if i < 0 {
			return 0
		}
		return nodes[i].id
	}
	type entry struct {
		k   [24]byte
		ids []uint64
	}
	buildIndex := func(n int, key func(q qk, b []byte)) []entry {
		m := make(map[[24]byte]int32, len(qs))
		var out []entry
		for qi, q := range qs {
			var k [24]byte
			key(q, k[:])
			j, ok := m[k]
			if !ok {
				j = int32(len(out))
				out = append(out, entry{k: k})
				m[k] = j
			}
			out[j].ids = append(out[j].ids, qbase+uint64(qi)+1)
		}
		sort.Slice(out, func(a, b int) bool { return bytes.Compare(out[a].k[:n], out[b].k[:n]) < 0 })
		return out
	}
	be := binary.BigEndian
	sp := buildIndex(16, func(q qk, b []byte) { be.PutUint64(b, id(q[0])); be.PutUint64(b[8:], id(q[1])) })
	ops := buildIndex(24, func(q qk, b []byte) {
		be.PutUint64(b, id(q[2]))
		be.PutUint64(b[8:], id(q[1]))
		be.PutUint64(b[16:], id(q[0]))
	})

	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("bulk load: %s must be initialised first: %v", path, err)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, NoSync: true, NoGrowSync: true, InitialMmapSize: 1 << 30})
	if err != nil {
		return 0, fmt.Errorf("bulk load: opening %s: %v", path, err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	tx, err := db.Begin(true)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if m := tx.Bucket([]byte("meta")); m == nil || m.Get([]byte("horizon")) != nil {
		return 0, errors.New("bulk load: store is not empty")
	}
	var bname []byte
	var b *bolt.Bucket
	put := func(bucket, k, v []byte) error {
		if b == nil || !bytes.Equal(bname, bucket) {
			var err error
			if b, err = tx.CreateBucketIfNotExists(bucket); err != nil {
				return err
			}
			b.FillPercent = 1.0 // keys arrive in order
			bname = append(bname[:0], bucket...)
		}
		return b.Put(k, v)
	}
	ts := time.Now().UnixNano()
	u64 := func(x uint64) []byte { b := make([]byte, 8); binary.LittleEndian.PutUint64(b, x); return b }
	uv := func(x uint64) []byte { return binary.AppendUvarint(nil, x) }
	logKey := func(id uint64) []byte { k := make([]byte, 8); be.PutUint64(k, id); return k }
	// Buckets in key order: log < meta < n.. < ops < sp < v..
	var p cproto.Primitive
	buf := make([]byte, 0, 256)
	for _, i := range order {
		nd := &nodes[i]
		val, err := pquads.MarshalValue(nd.v)
		if err != nil {
			return 0, err
		}
		p = cproto.Primitive{ID: nd.id, Value: val, Timestamp: ts}
		if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], &p); err != nil {
			return 0, err
		}
		if err := put([]byte("log"), logKey(nd.id), bytes.Clone(buf)); err != nil {
			return 0, err
		}
	}
	for qi, q := range qs {
		p = cproto.Primitive{ID: qbase + uint64(qi) + 1, Subject: id(q[0]), Predicate: id(q[1]), Object: id(q[2]), Label: id(q[3]), Timestamp: ts}
		if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf[:0], &p); err != nil {
			return 0, err
		}
		if err := put([]byte("log"), logKey(p.ID), bytes.Clone(buf)); err != nil {
			return 0, err
		}
	}
	if err := put([]byte("meta"), []byte("horizon"), u64(qbase+uint64(len(qs)))); err != nil {
		return 0, err
	}
	if err := put([]byte("meta"), []byte("size"), u64(uint64(len(qs)))); err != nil {
		return 0, err
	}
	for _, i := range order {
		nd := &nodes[i]
		if err := put([]byte{'n', nd.h[0], nd.h[1]}, nd.h[:], uv(nd.refs)); err != nil {
			return 0, err
		}
	}
	writeIndex := func(name string, l []entry, n int) error {
		for _, e := range l {
			v := make([]byte, 0, len(e.ids)*5)
			for _, x := range e.ids {
				v = binary.AppendUvarint(v, x)
			}
			if err := put([]byte(name), e.k[:n:n], v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := writeIndex("ops", ops, 24); err != nil {
		return 0, err
	}
	if err := writeIndex("sp", sp, 16); err != nil {
		return 0, err
	}
	for _, i := range order {
		nd := &nodes[i]
		if err := put([]byte{'v', nd.h[0], nd.h[1]}, nd.h[:], uv(nd.id)); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("bulk load: commit: %v", err)
	}
	if err := db.Sync(); err != nil {
		return 0, fmt.Errorf("bulk load: sync: %v", err)
	}
	return len(qs), nil
}

package graph

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	cproto "github.com/cayleygraph/cayley/graph/proto"
	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/pquads"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// Scan reads every quad. On bbolt it reads cayley's log bucket directly in
// one read transaction (node values in a map by id, then each quad's ids
// resolved against it): cayley's iterator resolves each quad's four values
// with separate lookups, about 12 s per million quads here. Other backends
// use cayley's iterator.
//
// Retracted quads are left out (see Retract).
func (s *Store) Scan(ctx context.Context, fn func(quad.Quad) error) error {
	qs, db := s.handles()
	if db == nil {
		return drain(ctx, qs, qs.QuadsAllIterator().Iterate(), fn)
	}
	fn, err := s.visibleFilter(ctx, fn)
	if err != nil {
		return err
	}
	return s.scanRaw(ctx, db, fn)
}

// scanRaw reads every stored quad of bbolt's log, retracted or not.
func (s *Store) scanRaw(ctx context.Context, db *bolt.DB, fn func(quad.Quad) error) error {
	return s.scanLinks(ctx, db, func(_ uint64, q quad.Quad) error { return fn(q) })
}

// scanLinks is scanRaw with each quad's id in cayley's log.
func (s *Store) scanLinks(ctx context.Context, db *bolt.DB, fn func(id uint64, q quad.Quad) error) error {
	return db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("log"))
		if b == nil {
			return nil
		}
		// Node ids are allocated before the quads that use them, so one
		// pass in id order sees every node before any quad that names it.
		nodes := make(map[uint64]quad.Value)
		var p cproto.Primitive
		c := b.Cursor()
		n := 0
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n++; n%65536 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			p = cproto.Primitive{}
			if err := proto.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("decoding log entry %x: %v", k, err)
			}
			if p.IsNode() {
				val, err := pquads.UnmarshalValue(p.Value)
				if err != nil {
					return fmt.Errorf("decoding node %d: %v", p.ID, err)
				}
				nodes[p.ID] = val
				continue
			}
			if p.Deleted {
				continue
			}
			q := quad.Quad{Subject: nodes[p.Subject], Predicate: nodes[p.Predicate], Object: nodes[p.Object]}
			if p.Label != 0 {
				q.Label = nodes[p.Label]
			}
			if !q.IsValid() {
				return fmt.Errorf("log entry %d names a node that is not in the log", p.ID)
			}
			if err := fn(p.ID, q); err != nil {
				return err
			}
		}
		return ctx.Err()
	})
}

// In calls fn for every quad whose object is v, through cayley's
// object-predicate-subject index read directly on bbolt (see Out).
func (s *Store) In(ctx context.Context, v quad.Value, fn func(quad.Quad) error) error {
	qs, db := s.handles()
	if db == nil {
		return each(ctx, qs, quad.Object, v, fn)
	}
	return s.byIndex(ctx, db, v, "ops", fn, false)
}

// Out calls fn for every quad whose subject is v. On bbolt it reads cayley's
// value index, its subject-predicate index and its log directly, with node
// values cached by id (ids never change: the store only grows); elsewhere it
// uses cayley's iterator.
func (s *Store) Out(ctx context.Context, v quad.Value, fn func(quad.Quad) error) error {
	qs, db := s.handles()
	if db == nil {
		return each(ctx, qs, quad.Subject, v, fn)
	}
	return s.byIndex(ctx, db, v, "sp", fn, false)
}

// byIndex reads the quads listed under v's id in one of cayley's indexes
// ("sp" or "ops", whose keys start with the subject's or the object's id);
// retracted quads only when raw.
func (s *Store) byIndex(ctx context.Context, db *bolt.DB, v quad.Value, index string, fn func(quad.Quad) error, raw bool) error {
	if !raw {
		var err error
		if fn, err = s.visibleFilter(ctx, fn); err != nil {
			return err
		}
	}
	var quads []quad.Quad
	err := db.View(func(tx *bolt.Tx) error {
		var err error
		quads, err = s.indexQuads(tx, v, index, nil)
		return err
	})
	if err != nil {
		return err
	}
	for _, q := range quads {
		if err := fn(q); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// resolve turns a quad primitive's node ids into values, through the cache.
func (s *Store) resolve(log *bolt.Bucket, p *cproto.Primitive) (quad.Quad, error) {
	var vals [4]quad.Value
	for i, id := range [4]uint64{p.Subject, p.Predicate, p.Object, p.Label} {
		if id == 0 {
			continue
		}
		s.nodesMu.RLock()
		val, ok := s.nodes[id]
		s.nodesMu.RUnlock()
		if !ok {
			var key [8]byte
			binary.BigEndian.PutUint64(key[:], id)
			var np cproto.Primitive
			if err := proto.Unmarshal(log.Get(key[:]), &np); err != nil || !np.IsNode() {
				return quad.Quad{}, fmt.Errorf("node %d of quad %d is missing from the log (%v)", id, p.ID, err)
			}
			v, err := pquads.UnmarshalValue(np.Value)
			if err != nil {
				return quad.Quad{}, fmt.Errorf("decoding node %d: %v", id, err)
			}
			s.nodesMu.Lock()
			if s.nodes == nil {
				s.nodes = make(map[uint64]quad.Value)
			}
			s.nodes[id] = v
			s.nodesMu.Unlock()
			val = v
		}
		vals[i] = val
	}
	return quad.Quad{Subject: vals[0], Predicate: vals[1], Object: vals[2], Label: vals[3]}, nil
}

// indexQuads appends to quads those listed under v's id in index (see
// byIndex), read in tx.
func (s *Store) indexQuads(tx *bolt.Tx, v quad.Value, index string, quads []quad.Quad) ([]quad.Quad, error) {
	var h [quad.HashSize]byte
	quad.HashTo(v, h[:])
	vb := tx.Bucket([]byte{'v', h[0], h[1]})
	if vb == nil {
		return quads, nil
	}
	raw := vb.Get(h[:])
	if raw == nil {
		return quads, nil
	}
	id, n := binary.Uvarint(raw)
	if n <= 0 {
		return nil, fmt.Errorf("bad value index entry for %v", v)
	}
	sp, log := tx.Bucket([]byte(index)), tx.Bucket([]byte("log"))
	if sp == nil || log == nil {
		return quads, nil
	}
	var prefix [8]byte
	binary.BigEndian.PutUint64(prefix[:], id)
	c := sp.Cursor()
	var key [8]byte
	for k, ids := c.Seek(prefix[:]); k != nil && bytes.HasPrefix(k, prefix[:]); k, ids = c.Next() {
		for len(ids) > 0 {
			qid, n := binary.Uvarint(ids)
			if n <= 0 {
				return nil, fmt.Errorf("bad subject index entry for %v", v)
			}
			ids = ids[n:]
			binary.BigEndian.PutUint64(key[:], qid)
			var p cproto.Primitive
			if err := proto.Unmarshal(log.Get(key[:]), &p); err != nil {
				return nil, fmt.Errorf("decoding quad %d: %v", qid, err)
			}
			if p.Deleted || p.IsNode() {
				continue
			}
			q, err := s.resolve(log, &p)
			if err != nil {
				return nil, err
			}
			quads = append(quads, q)
		}
	}
	return quads, nil
}

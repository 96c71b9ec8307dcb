package graph

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cayleygraph/quad"
	hkv "github.com/hidal-go/hidalgo/kv"
	bolt "go.etcd.io/bbolt"

	"github.com/threatgraph/threatgraph/schema"
)

// The load history lives in threatgraph's own bbolt buckets beside
// cayley's (whose names never start with "tg."):
//
//	tg.meta         "gen" → generation (be64), moved on by every load and retraction;
//	                "loads", "retractions" → the last sequence numbers (be64);
//	                "history" → present once the history began (load:0 recorded if needed)
//	tg.loads        be64(n) → the JSON Load record of load:n
//	tg.stated       be64(n) → the hashes of the quads load:n stated (hashSize bytes each)
//	tg.retractions  be64(n) → the JSON Retraction record of retraction:n
//
// Nothing is ever deleted: an undo is a retraction record of its own.
var (
	bucketMeta        = []byte("tg.meta")
	bucketLoads       = []byte("tg.loads")
	bucketStated      = []byte("tg.stated")
	bucketRetractions = []byte("tg.retractions")
)

// hashSize is the length of a quad's hash in the history.
const hashSize = 16

type quadHash [hashSize]byte

// hashQuad is the history's identity of a quad: a sha256 of its four
// printed values (cayley's identity), cut to hashSize bytes.
func hashQuad(q quad.Quad) quadHash {
	sum := sha256.Sum256([]byte(quadKey(q)))
	var h quadHash
	copy(h[:], sum[:])
	return h
}

// A Load is one recorded load.
type Load struct {
	ID   string    `json:"id"` // "load:N"; load:0 is what the store held before the history
	Time time.Time `json:"time"`
	schema.LoadInfo
	Added     int    `json:"added"`               // quads new to the store
	Quads     int    `json:"stated"`              // quads it stated, new or not
	Gen       uint64 `json:"gen,omitempty"`       // the generation it made (absent in records written before it was kept)
	Retracted string `json:"retracted,omitempty"` // the retraction in force, if any (set by Loads)
	Purged    string `json:"purged,omitempty"`    // the purge that removed its quads, if any (set by Loads)
}

// A Retraction is one recorded retraction, or the undo of one.
type Retraction struct {
	ID     string    `json:"id"`     // "retraction:N"
	Kind   string    `json:"kind"`   // "load", "source", "statement" or "undo"
	Target string    `json:"target"` // a load id, a source id, a statement id, or (undo) a retraction id
	Reason string    `json:"reason"`
	User   string    `json:"user"`
	Host   string    `json:"host"`
	Time   time.Time `json:"time"`
	Gen    uint64    `json:"gen,omitempty"` // the generation it made (absent in records written before it was kept)
	// UndoneBy is the undo that cancelled it (set by Retractions).
	UndoneBy string `json:"undone_by,omitempty"`
}

// ErrNoHistory reports a history verb on a backend that keeps none.
var ErrNoHistory = errors.New("the load history and retraction are kept on the bbolt backend only")

// A HistoryError is a bad argument to a history verb: an id that names
// nothing, or a retraction that cannot be made or undone.
type HistoryError struct {
	Value string
	Want  string
}

func (e *HistoryError) Error() string { return fmt.Sprintf("%s: %s", e.Value, e.Want) }

// whoAmI returns the process's user and host, where known.
func whoAmI() (string, string) {
	var name string
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name, host
}

// hookKV hands cayley bbolt wrapped, so that a write transaction can carry
// the load's record: the Store's pending hook runs just before commit.
type hookKV struct {
	hkv.KV
	s *Store
}

func (k hookKV) Tx(ctx context.Context, rw bool) (hkv.Tx, error) {
	tx, err := k.KV.Tx(ctx, rw)
	if err != nil || !rw {
		return tx, err
	}
	return hookTx{Tx: tx, s: k.s}, nil
}

func (k hookKV) View(ctx context.Context, fn func(tx hkv.Tx) error) error {
	return hkv.View(ctx, k, fn)
}

func (k hookKV) Update(ctx context.Context, fn func(tx hkv.Tx) error) error {
	return hkv.Update(ctx, k, fn)
}

type hookTx struct {
	hkv.Tx
	s *Store
}

func (t hookTx) Commit(ctx context.Context) error {
	if h := t.s.hook; h != nil {
		if err := h(ctx, kvPutter{t.Tx}); err != nil {
			return err
		}
	}
	return t.Tx.Commit(ctx)
}

// A putter reads and writes keys of named buckets in one transaction: a
// bbolt transaction, or the hidalgo one cayley writes in.
type putter interface {
	get(bucket, key []byte) []byte
	put(bucket, key, val []byte) error
	del(bucket, key []byte) error
}

type kvPutter struct{ tx hkv.Tx }

func (p kvPutter) get(b, k []byte) []byte {
	v, err := p.tx.Get(context.Background(), hkv.Key{b, k})
	if err != nil {
		return nil
	}
	return v
}

func (p kvPutter) put(b, k, v []byte) error {
	return p.tx.Put(context.Background(), hkv.Key{b, k}, v)
}

func (p kvPutter) del(b, k []byte) error {
	return p.tx.Del(context.Background(), hkv.Key{b, k})
}

type boltPutter struct{ tx *bolt.Tx }

func (p boltPutter) del(b, k []byte) error {
	if bk := p.tx.Bucket(b); bk != nil {
		return bk.Delete(k)
	}
	return nil
}

func (p boltPutter) get(b, k []byte) []byte {
	if bk := p.tx.Bucket(b); bk != nil {
		return bk.Get(k)
	}
	return nil
}

func (p boltPutter) put(b, k, v []byte) error {
	bk, err := p.tx.CreateBucketIfNotExists(b)
	if err != nil {
		return err
	}
	return bk.Put(k, v)
}

// next increments the counter key of tg.meta and returns its new value.
func next(p putter, key string) (uint64, error) {
	var n uint64
	if v := p.get(bucketMeta, []byte(key)); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	return n, p.put(bucketMeta, []byte(key), be64(n))
}

// recordLoad writes load's record and the hashes of the quads it stated,
// numbering it and moving the generation on.
func recordLoad(p putter, l *Load, stated []quad.Quad, number bool) error {
	if number {
		n, err := next(p, "loads")
		if err != nil {
			return err
		}
		l.ID = "load:" + strconv.FormatUint(n, 10)
	}
	hs := make([]byte, 0, len(stated)*hashSize)
	for _, q := range stated {
		h := hashQuad(q)
		hs = append(hs, h[:]...)
	}
	return recordLoadHashes(p, l, hs, len(stated))
}

// recordLoadHashes is recordLoad, l numbered, given the history hashes
// of the n quads it stated (hashQuad's, one after another).
func recordLoadHashes(p putter, l *Load, hs []byte, n int) error {
	seq, _ := parseSeq(l.ID, "load:")
	l.Quads = n
	var err error
	if l.Gen, err = next(p, "gen"); err != nil {
		return err
	}
	rec, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if err := p.put(bucketLoads, be64(seq), rec); err != nil {
		return err
	}
	if err := p.put(bucketStated, be64(seq), hs); err != nil {
		return err
	}
	return p.put(bucketMeta, []byte("history"), []byte{1})
}

// parseSeq reads "prefixN".
func parseSeq(id, prefix string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || rest == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	return n, err == nil
}

// beginHistory records, once, what a store written before the history
// holds as load:0 ("before the history"), so that a fact it held stays
// while a later load that also states it is retracted. wmu is held.
func (s *Store) beginHistory(ctx context.Context, db *bolt.DB) error {
	started := false
	if err := db.View(func(tx *bolt.Tx) error {
		started = boltPutter{tx}.get(bucketMeta, []byte("history")) != nil
		return nil
	}); err != nil || started {
		return err
	}
	var all []quad.Quad
	if err := s.scanRaw(ctx, db, func(q quad.Quad) error { all = append(all, q); return nil }); err != nil {
		return err
	}
	return db.Update(func(tx *bolt.Tx) error {
		p := boltPutter{tx}
		if len(all) == 0 {
			return p.put(bucketMeta, []byte("history"), []byte{1})
		}
		l := &Load{ID: "load:0", Added: len(all), LoadInfo: schema.LoadInfo{Via: "before the history", Files: []schema.LoadFile{}}}
		return recordLoad(p, l, all, false)
	})
}

// Generation moves on with every load and every retraction: the key of
// anything computed from the store's answers. Without a history (other
// backends) it is the quad count.
func (s *Store) Generation(ctx context.Context) (uint64, error) {
	_, db := s.handles()
	if db == nil {
		n, err := s.Count(ctx)
		return uint64(n), err
	}
	var g uint64
	err := db.View(func(tx *bolt.Tx) error {
		if v := (boltPutter{tx}).get(bucketMeta, []byte("gen")); len(v) == 8 {
			g = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return g, err
}

// History is the whole load history: every recorded load and every
// retraction and undo, in order (threatgraph loads, GET /v1/loads).
type History struct {
	Loads       []Load       `json:"loads"`
	Retractions []Retraction `json:"retractions"`
	Purges      []Purge      `json:"purges,omitempty"`
}

// History returns the load history; ErrNoHistory on backends that keep
// none.
func (s *Store) History(ctx context.Context) (*History, error) {
	if _, db := s.handles(); db == nil {
		return nil, fmt.Errorf("%w (this store is %s)", ErrNoHistory, s.opts.Backend)
	}
	h, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	out := &History{Loads: h.loads, Retractions: h.retractions, Purges: h.purges}
	if out.Loads == nil {
		out.Loads = []Load{}
	}
	if out.Retractions == nil {
		out.Retractions = []Retraction{}
	}
	return out, nil
}

// Loads lists the recorded loads in order, each with the retraction in
// force on it, if any.
func (s *Store) Loads(ctx context.Context) ([]Load, error) {
	h, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	return h.loads, nil
}

// Retractions lists every retraction and undo in order.
func (s *Store) Retractions(ctx context.Context) ([]Retraction, error) {
	h, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	return h.retractions, nil
}

// Retract records the retraction of target (a load id, a source id or a
// statement id) for reason, and returns it. Its facts leave every answer
// unless another load that is not retracted states them.
func (s *Store) Retract(ctx context.Context, target, reason string) (*Retraction, error) {
	return s.retract(ctx, target, reason, false)
}

// Undo records the undo of the retraction id for reason.
func (s *Store) Undo(ctx context.Context, id, reason string) (*Retraction, error) {
	return s.retract(ctx, id, reason, true)
}

func (s *Store) retract(ctx context.Context, target, reason string, undo bool) (*Retraction, error) {
	if s.opts.ReadOnly {
		return nil, fmt.Errorf("%w: %s was opened for reading only", ErrReadOnly, s.opts.Path)
	}
	_, db := s.handles()
	if db == nil {
		return nil, ErrNoHistory
	}
	if strings.TrimSpace(reason) == "" {
		return nil, &HistoryError{Value: "--reason", Want: "a retraction needs a reason (expected --reason TEXT)"}
	}
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.beginHistory(ctx, db); err != nil {
		return nil, fmt.Errorf("starting the load history: %w", err)
	}
	h, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	r := &Retraction{Target: target, Reason: reason, Time: time.Now().UTC().Truncate(time.Second)}
	r.User, r.Host = whoAmI()
	if undo {
		r.Kind = "undo"
		i := slices.IndexFunc(h.retractions, func(x Retraction) bool { return x.ID == target })
		switch {
		case i >= 0 && h.retractions[i].Kind == "undo":
			return nil, &HistoryError{Value: target, Want: fmt.Sprintf("an undo (of %s), which cannot be undone (expected a retraction in force: %s; to hide %s again, retract it again)", h.retractions[i].Target, h.active(), h.targetOf(h.retractions[i].Target))}
		case i < 0:
			return nil, &HistoryError{Value: target, Want: fmt.Sprintf("no such retraction (expected a retraction in force, as threatgraph loads lists them: %s)", h.active())}
		case h.retractions[i].UndoneBy != "":
			return nil, &HistoryError{Value: target, Want: "already undone by " + h.retractions[i].UndoneBy}
		}
	} else {
		if r.Kind, err = s.targetKind(ctx, h, target); err != nil {
			return nil, err
		}
		for _, x := range h.retractions {
			if x.Target == target && x.Kind != "undo" && x.UndoneBy == "" {
				return nil, &HistoryError{Value: target, Want: "already retracted by " + x.ID + " (undo it with threatgraph retract --undo " + x.ID + ")"}
			}
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		p := boltPutter{tx}
		n, err := next(p, "retractions")
		if err != nil {
			return err
		}
		r.ID = "retraction:" + strconv.FormatUint(n, 10)
		if r.Gen, err = next(p, "gen"); err != nil {
			return err
		}
		rec, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return p.put(bucketRetractions, be64(n), rec)
	})
	if err != nil {
		return nil, fmt.Errorf("recording the retraction: %w", err)
	}
	return r, nil
}

// targetKind says what target names: a recorded load, a declared source,
// or a statement some quad is labelled with.
func (s *Store) targetKind(ctx context.Context, h *historyState, target string) (string, error) {
	want := "expected a load id (load:N, listed by threatgraph loads), a source id (source:NAME) or a statement id (source:NAME#e-HASH)"
	if strings.HasPrefix(target, "load:") {
		if slices.IndexFunc(h.loads, func(l Load) bool { return l.ID == target }) < 0 {
			return "", &HistoryError{Value: target, Want: "no such load (" + want + ")"}
		}
		return "load", nil
	}
	if strings.Contains(target, schema.StatementSep) {
		found := false
		errFound := errors.New("found")
		err := s.Quads(ctx, quad.Label, quad.IRI(target), func(quad.Quad) error { found = true; return errFound })
		if err != nil && !errors.Is(err, errFound) {
			return "", err
		}
		if !found {
			if id := h.inForce(target); id != "" {
				return "", &HistoryError{Value: target, Want: "already retracted by " + id + " (threatgraph retract --undo " + id + " brings it back)"}
			}
			if src := schema.SourceOf(target); h.inForce(src) != "" {
				return "", &HistoryError{Value: target, Want: "hidden with its source " + src + " by " + h.inForce(src) + " (expected a statement in the answers)"}
			}
			return "", &HistoryError{Value: target, Want: "no fact has this statement (" + want + ")"}
		}
		return "statement", nil
	}
	kinds, err := s.Kinds(ctx, []string{target})
	if err != nil {
		return "", err
	}
	if kinds[target] != schema.Source {
		return "", &HistoryError{Value: target, Want: "not a load, source or statement in the store (" + want + ")"}
	}
	return "source", nil
}

// historyState is the history as read at one generation, and what it
// hides from the answers.
type historyState struct {
	gen         uint64
	loads       []Load
	retractions []Retraction
	purges      []Purge
	// hidden: quads stated only by retracted loads; labels: retracted
	// sources and statements. Both nil when nothing is retracted.
	hidden map[quadHash]struct{}
	labels map[string]bool
	// orphanJudgements: judgements of a statement or source the
	// retractions hide (all their quads go); orphanEvidence: evidence links
	// to one. Nil when nothing is retracted (see orphans).
	orphanJudgements map[string]bool
	orphanEvidence   map[quadHash]struct{}
	// hiddenCount is how many stored quads are hidden (set lazily by Count).
	hiddenCount int64
	counted     bool
}

// inForce returns the retraction in force on target, or "".
func (h *historyState) inForce(target string) string {
	for _, r := range h.retractions {
		if r.Kind != "undo" && r.UndoneBy == "" && r.Target == target {
			return r.ID
		}
	}
	return ""
}

// targetOf names the target of retraction id, for messages.
func (h *historyState) targetOf(id string) string {
	for _, r := range h.retractions {
		if r.ID == id {
			return r.Target
		}
	}
	return id
}

// active lists the retractions in force, for messages.
func (h *historyState) active() string {
	var ids []string
	for _, r := range h.retractions {
		if r.Kind != "undo" && r.UndoneBy == "" {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return "none is in force"
	}
	return strings.Join(ids, ", ")
}

// filtering reports whether anything is retracted.
func (h *historyState) filtering() bool {
	return h != nil && (h.hidden != nil || h.labels != nil || h.orphanJudgements != nil || h.orphanEvidence != nil)
}

// visible reports whether q is in the answers.
func (h *historyState) visible(q quad.Quad) bool {
	if !h.filtering() {
		return true
	}
	if h.labels != nil && q.Label != nil {
		if l, ok := q.Label.(quad.IRI); ok && (h.labels[string(l)] || h.labels[schema.SourceOf(string(l))]) {
			return false
		}
		// A retracted statement's own quads (its quote, statedIn,
		// accordingTo) are labelled with its source: they go with it.
		if sub, ok := q.Subject.(quad.IRI); ok && strings.Contains(string(sub), "#") && h.labels[string(sub)] {
			return false
		}
	}
	if h.hidden != nil || h.orphanEvidence != nil {
		hq := hashQuad(q)
		if _, ok := h.hidden[hq]; ok {
			return false
		}
		if _, ok := h.orphanEvidence[hq]; ok {
			return false
		}
	}
	if h.orphanJudgements != nil {
		if sub, ok := q.Subject.(quad.IRI); ok && h.orphanJudgements[string(sub)] {
			return false
		}
	}
	return true
}

// orphans finds, when something is retracted, the judgements whose
// statement (or source) the retractions hide, and the evidence links to
// one: a judgement of nothing in the answers goes with all its quads, an
// evidence link to nothing goes alone. So every answer and export is whole:
// an export made after a retraction loads on its own. One Scan per
// generation, only while a retraction is in force (or as of a past one), or
// once anything was purged (a purged statement's judgements stay stored).
func (s *Store) orphans(ctx context.Context, db *bolt.DB, h *historyState) error {
	if !h.filtering() && len(h.purges) == 0 {
		return nil
	}
	type link struct {
		q   quad.Quad
		obj string
	}
	var judges, evidence []link
	present := map[string]bool{} // visible labels, and Sources with visible quads of their own
	err := s.scanRaw(ctx, db, func(q quad.Quad) error {
		if !h.visible(q) {
			return nil
		}
		if l, ok := q.Label.(quad.IRI); ok {
			present[string(l)] = true
		}
		if sub, ok := q.Subject.(quad.IRI); ok && strings.HasPrefix(string(sub), "source:") {
			present[string(sub)] = true
		}
		if p, ok := q.Predicate.(quad.IRI); ok && (p == schema.JudgesIRI || p == schema.EvidenceIRI) {
			if o, ok := q.Object.(quad.IRI); ok {
				if p == schema.JudgesIRI {
					judges = append(judges, link{q, string(o)})
				} else {
					evidence = append(evidence, link{q, string(o)})
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finding the judgements of retracted statements: %w", err)
	}
	for _, j := range judges {
		if !present[j.obj] {
			if h.orphanJudgements == nil {
				h.orphanJudgements = map[string]bool{}
			}
			if sub, ok := j.q.Subject.(quad.IRI); ok {
				h.orphanJudgements[string(sub)] = true
			}
		}
	}
	for _, e := range evidence {
		if !present[e.obj] {
			if h.orphanEvidence == nil {
				h.orphanEvidence = map[quadHash]struct{}{}
			}
			h.orphanEvidence[hashQuad(e.q)] = struct{}{}
		}
	}
	return nil
}

// history returns the history at the store's current generation, read
// again when the generation moved; a Past's state when ctx carries one.
func (s *Store) history(ctx context.Context) (*historyState, error) {
	if h, ok := ctx.Value(pastKey{}).(*historyState); ok {
		return h, nil
	}
	_, db := s.handles()
	if db == nil {
		return nil, nil
	}
	gen, err := s.Generation(ctx)
	if err != nil {
		return nil, err
	}
	s.histMu.Lock()
	defer s.histMu.Unlock()
	if s.hist != nil && s.hist.gen == gen && s.histDB == db {
		return s.hist, nil
	}
	h := &historyState{gen: gen}
	err = db.View(func(tx *bolt.Tx) error {
		if v := (boltPutter{tx}).get(bucketMeta, []byte("gen")); len(v) == 8 {
			h.gen = binary.BigEndian.Uint64(v)
		}
		var err error
		if h.loads, h.retractions, err = readRecords(tx); err != nil {
			return err
		}
		inForce := map[string]string{}
		for _, r := range h.retractions {
			if r.Kind != "undo" && r.UndoneBy == "" {
				inForce[r.Target] = r.ID
			}
		}
		if h.purges, err = readPurges(tx); err != nil {
			return err
		}
		purged := map[string]string{}
		for _, p := range h.purges {
			if p.Kind == "load" {
				purged[p.Target] = p.ID
			}
		}
		for i := range h.loads {
			h.loads[i].Retracted = inForce[h.loads[i].ID]
			h.loads[i].Purged = purged[h.loads[i].ID]
		}
		h.hidden, h.labels, err = hiddenAt(tx, h.loads, h.retractions, h.gen)
		return err
	})
	if err == nil {
		err = s.orphans(ctx, db, h)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the load history: %w", err)
	}
	s.hist, s.histDB = h, db
	return h, nil
}

// readRecords reads every load and retraction record in order, each undone
// retraction with the undo that cancelled it, and each record with its
// generation (derived for records written before it was kept: see
// fillGens).
func readRecords(tx *bolt.Tx) ([]Load, []Retraction, error) {
	var loads []Load
	var rs []Retraction
	if b := tx.Bucket(bucketRetractions); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			var r Retraction
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decoding retraction %x: %w", k, err)
			}
			rs = append(rs, r)
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	byID := map[string]int{}
	for i, r := range rs {
		byID[r.ID] = i
		if r.Kind == "undo" {
			if j, ok := byID[r.Target]; ok {
				rs[j].UndoneBy = r.ID
			}
		}
	}
	if b := tx.Bucket(bucketLoads); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			var l Load
			if err := json.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("decoding load %x: %w", k, err)
			}
			loads = append(loads, l)
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	fillGens(loads, rs)
	return loads, rs, nil
}

// fillGens gives the records written before generations were recorded
// theirs: every load and retraction moved the generation on by one, so a
// record's generation is its place among them, in time order (a load first
// when a load and a retraction share a second). Such records all precede
// the ones with a generation.
func fillGens(loads []Load, rs []Retraction) {
	var g uint64
	i, j := 0, 0
	for (i < len(loads) && loads[i].Gen == 0) || (j < len(rs) && rs[j].Gen == 0) {
		g++
		if i < len(loads) && loads[i].Gen == 0 && (j >= len(rs) || rs[j].Gen != 0 || !rs[j].Time.Before(loads[i].Time)) {
			loads[i].Gen = g
			i++
		} else {
			rs[j].Gen = g
			j++
		}
	}
}

// hiddenAt returns what the history hides at generation g, from the loads
// and retractions recorded up to it: the quads stated by loads not in
// effect then (recorded later, or retracted) and by none in effect
// (hidden), and the retracted sources and statements (labels). Both are
// nil when nothing is hidden.
func hiddenAt(tx *bolt.Tx, loads []Load, rs []Retraction, g uint64) (map[quadHash]struct{}, map[string]bool, error) {
	undone := map[string]bool{}
	for _, r := range rs {
		if r.Gen <= g && r.Kind == "undo" {
			undone[r.Target] = true
		}
	}
	retracted := map[string]bool{}
	var labels map[string]bool
	for _, r := range rs {
		if r.Gen > g || r.Kind == "undo" || undone[r.ID] {
			continue
		}
		retracted[r.Target] = true
		if r.Kind == "source" || r.Kind == "statement" {
			if labels == nil {
				labels = map[string]bool{}
			}
			labels[r.Target] = true
		}
	}
	out := map[uint64]bool{} // loads not in effect at g
	for _, l := range loads {
		if l.Gen > g || retracted[l.ID] {
			n, _ := parseSeq(l.ID, "load:")
			out[n] = true
		}
	}
	if len(out) == 0 {
		return nil, labels, nil
	}
	st := tx.Bucket(bucketStated)
	if st == nil {
		return nil, nil, errors.New("the history lists loads but not the quads they stated")
	}
	hidden := map[quadHash]struct{}{}
	for n := range out {
		hs := st.Get(be64(n))
		for i := 0; i+hashSize <= len(hs); i += hashSize {
			hidden[quadHash(hs[i:i+hashSize])] = struct{}{}
		}
	}
	err := st.ForEach(func(k, hs []byte) error {
		if out[binary.BigEndian.Uint64(k)] {
			return nil
		}
		for i := 0; i+hashSize <= len(hs); i += hashSize {
			delete(hidden, quadHash(hs[i:i+hashSize]))
		}
		return nil
	})
	return hidden, labels, err
}

// hiddenCount returns how many stored quads the retractions hide, counted
// once per generation.
func (s *Store) hiddenCount(ctx context.Context, h *historyState) (int64, error) {
	s.histMu.Lock()
	done, n := h.counted, h.hiddenCount
	s.histMu.Unlock()
	if done {
		return n, nil
	}
	_, db := s.handles()
	n = 0
	if err := s.scanRaw(ctx, db, func(q quad.Quad) error {
		if !h.visible(q) {
			n++
		}
		return nil
	}); err != nil {
		return 0, err
	}
	s.histMu.Lock()
	h.hiddenCount, h.counted = n, true
	s.histMu.Unlock()
	return n, nil
}

// visibleFilter wraps fn so that it sees only the quads in the answers.
func (s *Store) visibleFilter(ctx context.Context, fn func(quad.Quad) error) (func(quad.Quad) error, error) {
	h, err := s.history(ctx)
	if err != nil {
		return nil, err
	}
	if !h.filtering() {
		return fn, nil
	}
	return func(q quad.Quad) error {
		if !h.visible(q) {
			return nil
		}
		return fn(q)
	}, nil
}

// MaxReason bounds a retraction's or purge's reason: it is printed in
// every history listing.
const MaxReason = 2000

// checkReason refuses a reason over MaxReason bytes. Control characters
// are kept as given (the listings print them escaped).
func checkReason(reason string) error {
	if len(reason) > MaxReason {
		return &HistoryError{Value: "--reason", Want: fmt.Sprintf("a reason of %d bytes (expected at most %d)", len(reason), MaxReason)}
	}
	return nil
}

package query

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// An Identity is a source's word that two ids name one entity (Verb
// "same") or two distinct ones ("different"), as `threatgraph same` and
// `different` or a native file's identities: record it.
type Identity struct {
	ID     string    `json:"id"`   // identity:HASH
	Verb   string    `json:"verb"` // same or different
	IDs    [2]string `json:"ids"`  // the two ids, in order
	Source string    `json:"source"`
	// Statement is the label of its quads, what `retract` takes to
	// retract this identity alone.
	Statement string `json:"statement"`
	Reason    string `json:"reason"`
	Date      string `json:"date,omitempty"`
	// Applied: a same that the answers follow; false when a different
	// keeps the two entities apart (always true for a different).
	Applied bool `json:"applied"`
}

// identities is what a store's identity statements mean for the answers:
// each merged entity's ids, under its canonical id (the smallest).
type identities struct {
	stmts   []Identity
	canon   map[string]string   // every id of a merged entity -> its canonical id
	members map[string][]string // canonical id -> the merged ids, sorted
	hidden  int64               // quads the readers do not see: identity nodes', and duplicates merged into one
}

// An identityStore is a Store as the answers read it: the identity
// statements applied. Quads of identity nodes are left out, every id of a
// merged entity reads as its canonical id, and quads that then coincide
// are one. Without identity statements it reads the store as is. The
// statements are read once, the first time: like a Reader, it is meant
// for a store that does not change under it.
type identityStore struct {
	inner Store

	once sync.Once
	ids  *identities
	err  error
}

func newIdentityStore(st Store) *identityStore {
	if is, ok := st.(*identityStore); ok {
		return is
	}
	return &identityStore{inner: st}
}

func isIdentityNode(v quad.Value) bool {
	iri, ok := v.(quad.IRI)
	return ok && strings.HasPrefix(string(iri), schema.IdentityPrefix)
}

// load reads the identity statements and merges the entities.
func (s *identityStore) load(ctx context.Context) (*identities, error) {
	s.once.Do(func() { s.ids, s.err = readIdentities(ctx, s.inner) })
	return s.ids, s.err
}

func readIdentities(ctx context.Context, st Store) (*identities, error) {
	byNode := map[string]*Identity{}
	var order []string
	for _, verb := range []string{schema.Same, schema.Different} {
		err := st.Quads(ctx, quad.Predicate, quad.IRI(schema.IdentityIRI(verb)), func(q quad.Quad) error {
			node := string(labelIRI(q.Subject))
			if !strings.HasPrefix(node, schema.IdentityPrefix) {
				return nil
			}
			it := byNode[node]
			if it == nil {
				l := string(labelIRI(q.Label))
				it = &Identity{ID: node, Verb: verb, Source: schema.SourceOf(l), Statement: l}
				byNode[node] = it
				order = append(order, node)
			}
			o := string(labelIRI(q.Object))
			switch {
			case it.IDs[0] == "":
				it.IDs[0] = o
			case it.IDs[0] != o && it.IDs[1] == "":
				it.IDs[1] = o
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := &identities{}
	if len(order) == 0 {
		return out, nil
	}
	for _, node := range order {
		it := byNode[node]
		err := st.Quads(ctx, quad.Subject, quad.IRI(node), func(q quad.Quad) error {
			out.hidden++
			switch string(labelIRI(q.Predicate)) {
			case schema.NoteIRI:
				it.Reason = valueOf(q.Object).String()
			case schema.JudgedOnIRI:
				it.Date = valueOf(q.Object).String()
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if it.IDs[1] == "" {
			continue // half a statement (possible only outside ingest): not applied
		}
		if it.IDs[1] < it.IDs[0] {
			it.IDs[0], it.IDs[1] = it.IDs[1], it.IDs[0]
		}
		it.Applied = it.Verb == schema.Different
		out.stmts = append(out.stmts, *it)
	}
	slices.SortFunc(out.stmts, func(a, b Identity) int {
		return cmp.Or(cmp.Compare(a.IDs[0], b.IDs[0]), cmp.Compare(a.IDs[1], b.IDs[1]), cmp.Compare(a.Verb, b.Verb), cmp.Compare(a.ID, b.ID))
	})
	out.merge()
	if err := out.countDuplicates(ctx, st); err != nil {
		return nil, err
	}
	return out, nil
}

// merge applies the same statements in order (union-find over the ids),
// each unless a different statement names one id of each side: a
// different always wins over a same.
func (ids *identities) merge() {
	apart := map[[2]string]bool{}
	for _, it := range ids.stmts {
		if it.Verb == schema.Different {
			apart[it.IDs] = true
		}
	}
	class := map[string][]string{} // root -> members
	root := map[string]string{}
	find := func(x string) string {
		if r, ok := root[x]; ok {
			return r
		}
		root[x], class[x] = x, []string{x}
		return x
	}
	for i := range ids.stmts {
		it := &ids.stmts[i]
		if it.Verb != schema.Same {
			continue
		}
		ra, rb := find(it.IDs[0]), find(it.IDs[1])
		if ra == rb {
			it.Applied = true
			continue
		}
		blocked := false
		for _, x := range class[ra] {
			for _, y := range class[rb] {
				if apart[[2]string{min(x, y), max(x, y)}] {
					blocked = true
				}
			}
		}
		if blocked {
			continue
		}
		it.Applied = true
		for _, y := range class[rb] {
			root[y] = ra
		}
		class[ra] = append(class[ra], class[rb]...)
		delete(class, rb)
	}
	ids.canon, ids.members = map[string]string{}, map[string][]string{}
	for _, ms := range class {
		if len(ms) < 2 {
			continue
		}
		slices.Sort(ms)
		ids.members[ms[0]] = ms
		for _, m := range ms {
			ids.canon[m] = ms[0]
		}
	}
}

// countDuplicates adds to hidden the quads that become one when merged
// ids read as their canonical id (two sources' names are two quads, but
// one source giving both ids one kind is one).
func (ids *identities) countDuplicates(ctx context.Context, st Store) error {
	orig, merged := map[quad.Quad]struct{}{}, map[quad.Quad]struct{}{}
	for m := range ids.canon {
		for _, d := range []quad.Direction{quad.Subject, quad.Object} {
			err := st.Quads(ctx, d, quad.IRI(m), func(q quad.Quad) error {
				if isIdentityNode(q.Subject) {
					return nil
				}
				orig[q] = struct{}{}
				r, _ := ids.rewrite(q)
				merged[r] = struct{}{}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	ids.hidden += int64(len(orig) - len(merged))
	return nil
}

// rewrite returns q with merged ids as their canonical id, and whether q
// names a merged entity (and so may coincide with another quad).
func (ids *identities) rewrite(q quad.Quad) (quad.Quad, bool) {
	touched := false
	if iri, ok := q.Subject.(quad.IRI); ok {
		if c, ok := ids.canon[string(iri)]; ok {
			q.Subject, touched = quad.IRI(c), true
		}
	}
	if iri, ok := q.Object.(quad.IRI); ok {
		if c, ok := ids.canon[string(iri)]; ok {
			q.Object, touched = quad.IRI(c), true
		}
	}
	return q, touched
}

// canonical returns the canonical id of id (id itself when not merged).
func (ids *identities) canonical(id string) string {
	if c, ok := ids.canon[id]; ok {
		return c
	}
	return id
}

// Scan calls fn for every quad as the answers read it.
func (s *identityStore) Scan(ctx context.Context, fn func(quad.Quad) error) error {
	ids, err := s.load(ctx)
	if err != nil {
		return err
	}
	if len(ids.stmts) == 0 {
		return s.inner.Scan(ctx, fn)
	}
	seen := map[quad.Quad]struct{}{}
	return s.inner.Scan(ctx, func(q quad.Quad) error {
		if isIdentityNode(q.Subject) {
			return nil
		}
		r, touched := ids.rewrite(q)
		if touched {
			if _, dup := seen[r]; dup {
				return nil
			}
			seen[r] = struct{}{}
		}
		return fn(r)
	})
}

// Quads calls fn for every quad, as the answers read it, with v in
// direction d: for a merged entity's id, the quads of all its ids.
func (s *identityStore) Quads(ctx context.Context, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error {
	ids, err := s.load(ctx)
	if err != nil {
		return err
	}
	if len(ids.stmts) == 0 {
		return s.inner.Quads(ctx, d, v, fn)
	}
	seen := map[quad.Quad]struct{}{}
	return s.quadsOrig(ctx, ids, d, v, func(r, _ quad.Quad) error {
		if _, dup := seen[r]; dup {
			return nil
		}
		seen[r] = struct{}{}
		return fn(r)
	})
}

// quadsOrig is Quads without merging coinciding quads: fn hears each
// stored quad as the answers read it and as stored.
func (s *identityStore) quadsOrig(ctx context.Context, ids *identities, d quad.Direction, v quad.Value, fn func(r, orig quad.Quad) error) error {
	if isIdentityNode(v) && (d == quad.Subject || d == quad.Object) {
		return nil
	}
	vals := []quad.Value{v}
	if iri, ok := v.(quad.IRI); ok && (d == quad.Subject || d == quad.Object) {
		if ms, ok := ids.members[ids.canonical(string(iri))]; ok {
			vals = vals[:0]
			for _, m := range ms {
				vals = append(vals, quad.IRI(m))
			}
		}
	}
	for _, x := range vals {
		err := s.inner.Quads(ctx, d, x, func(q quad.Quad) error {
			if isIdentityNode(q.Subject) {
				return nil
			}
			r, _ := ids.rewrite(q)
			return fn(r, q)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Count returns how many quads the answers read.
func (s *identityStore) Count(ctx context.Context) (int64, error) {
	ids, err := s.load(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.inner.Count(ctx)
	return n - ids.hidden, err
}

// Generation is the store's (its count when it has none: the identity
// statements are quads of the store, so they move it on).
func (s *identityStore) Generation(ctx context.Context) (uint64, error) {
	if g, ok := s.inner.(generationer); ok {
		return g.Generation(ctx)
	}
	n, err := s.inner.Count(ctx)
	return uint64(n), err
}

// Identities lists the identity statements in force (not retracted), each
// marked applied or not, sorted by their ids.
func (r *Reader) Identities(ctx context.Context) ([]Identity, error) {
	ids, err := r.idStore.load(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(ids.stmts), nil
}

// Canonical returns the id under which the answers know id: the smallest
// id of the entity it was merged into, or id itself.
func (r *Reader) Canonical(ctx context.Context, id string) (string, error) {
	ids, err := r.idStore.load(ctx)
	if err != nil {
		return "", err
	}
	return ids.canonical(id), nil
}

// canonicalIn returns id's canonical id in qs, when qs applies identity
// statements.
func canonicalIn(ctx context.Context, qs Store, id string) (string, error) {
	is, ok := qs.(*identityStore)
	if !ok {
		return id, nil
	}
	ids, err := is.load(ctx)
	if err != nil {
		return "", err
	}
	return ids.canonical(id), nil
}

// eachQuad calls fn with every quad of qs with v in direction d, as the
// answers read it and as stored (the same quad when qs merges nothing).
func eachQuad(ctx context.Context, qs Store, d quad.Direction, v quad.Value, fn func(r, orig quad.Quad) error) error {
	if is, ok := qs.(*identityStore); ok {
		ids, err := is.load(ctx)
		if err != nil {
			return err
		}
		if len(ids.stmts) > 0 {
			return is.quadsOrig(ctx, ids, d, v, fn)
		}
	}
	return qs.Quads(ctx, d, v, func(q quad.Quad) error { return fn(q, q) })
}

// identityCard returns the ids merged into id (nil when none) and the
// identity statements that name any of them.
func identityCard(ctx context.Context, qs Store, id string) (members []string, same, different []Identity, err error) {
	is, ok := qs.(*identityStore)
	if !ok {
		return nil, nil, nil, nil
	}
	ids, err := is.load(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	members = ids.members[id]
	in := func(x string) bool { return x == id || slices.Contains(members, x) }
	for _, it := range ids.stmts {
		if !in(it.IDs[0]) && !in(it.IDs[1]) {
			continue
		}
		if it.Verb == schema.Same {
			same = append(same, it)
		} else {
			different = append(different, it)
		}
	}
	return members, same, different, nil
}

// IdentitiesOf returns the identity statements in force that a `same A B
// --undo` or `different A B --undo` undoes: those of verb on the two ids
// (of source too, when it is not ""), or, with one id, the identity
// statement of that id (identity:HASH). None is an ErrNotFound.
func (r *Reader) IdentitiesOf(ctx context.Context, verb, source string, ids ...string) ([]Identity, error) {
	all, err := r.Identities(ctx)
	if err != nil {
		return nil, err
	}
	var out []Identity
	for _, it := range all {
		switch {
		case len(ids) == 1 && it.ID == ids[0]:
		case len(ids) == 2 && it.Verb == verb && (source == "" || it.Source == source) &&
			it.IDs == [2]string{min(ids[0], ids[1]), max(ids[0], ids[1])}:
		default:
			continue
		}
		out = append(out, it)
	}
	if len(out) == 0 {
		what := strings.Join(ids, " ")
		if len(ids) == 2 {
			what = verb + " " + what
			if source != "" {
				what += " from " + source
			}
		}
		return nil, fmt.Errorf("%s: no such identity statement in force: %w", what, ErrNotFound)
	}
	return out, nil
}

package query

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// A provenancer says which recorded loads brought a quad: *graph.Store on
// bbolt and graph.Past (the loads in effect then).
type provenancer interface {
	LoadsOf(ctx context.Context, q quad.Quad) ([]schema.LoadRef, error)
}

// ErrNoProvenance reports --loads on a store that records no loads.
var ErrNoProvenance = errors.New("this store records no load history, so it cannot say which load brought a fact (the bbolt backend does)")

type loadsKey struct{}

// WithLoads returns ctx asking Show and Contested for the provenance of
// each fact's evidence: Evidence.Loads, the recorded loads that stated it
// (show --loads, contested --loads, HTTP loads=true). The sides of a
// contested attribution, whose evidence gathers several facts (claims,
// attributions, denials, perpetratedBy), carry none.
func WithLoads(ctx context.Context) context.Context {
	return context.WithValue(ctx, loadsKey{}, true)
}

// loadsWanted reports whether ctx asks for provenance (WithLoads).
func loadsWanted(ctx context.Context) bool {
	b, _ := ctx.Value(loadsKey{}).(bool)
	return b
}

// loadsOf returns the loads that stated q when ctx asks for them, else nil.
func loadsOf(ctx context.Context, st Store, q quad.Quad) ([]schema.LoadRef, error) {
	if !loadsWanted(ctx) {
		return nil, nil
	}
	// Loads are recorded of the quads as stored: under same statements, q
	// (read under the canonical ids) may have been stored under any of the
	// ids merged into its subject's or object's.
	forms := []quad.Quad{q}
	if is, ok := st.(*identityStore); ok {
		st = is.inner
		ids, err := is.load(ctx)
		if err != nil {
			return nil, err
		}
		if len(ids.members) > 0 {
			forms = storedForms(ids, q)
		}
	}
	p, ok := st.(provenancer)
	if !ok {
		return nil, ErrNoProvenance
	}
	refs := []schema.LoadRef{}
	for _, f := range forms {
		rs, err := p.LoadsOf(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if !slices.Contains(refs, r) {
				refs = append(refs, r)
			}
		}
	}
	if len(forms) > 1 {
		slices.SortFunc(refs, func(a, b schema.LoadRef) int {
			if c := strings.Compare(a.Time, b.Time); c != 0 {
				return c
			}
			return strings.Compare(a.Load, b.Load)
		})
	}
	return refs, nil
}

// storedForms lists the quads q may be stored as: its subject and object
// each replaced by any id merged into them.
func storedForms(ids *identities, q quad.Quad) []quad.Quad {
	alts := func(v quad.Value) []quad.Value {
		iri, ok := v.(quad.IRI)
		if !ok {
			return []quad.Value{v}
		}
		ms, ok := ids.members[ids.canonical(string(iri))]
		if !ok {
			return []quad.Value{v}
		}
		out := make([]quad.Value, len(ms))
		for i, m := range ms {
			out[i] = quad.IRI(m)
		}
		return out
	}
	var out []quad.Quad
	for _, s := range alts(q.Subject) {
		for _, o := range alts(q.Object) {
			out = append(out, quad.Quad{Subject: s, Predicate: q.Predicate, Object: o, Label: q.Label})
		}
	}
	return out
}

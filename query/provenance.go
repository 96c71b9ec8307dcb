package query

import (
	"context"
	"errors"

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
	if is, ok := st.(*identityStore); ok {
		st = is.inner // loads are recorded of the quads as stored
	}
	p, ok := st.(provenancer)
	if !ok {
		return nil, ErrNoProvenance
	}
	refs, err := p.LoadsOf(ctx, q)
	if err != nil {
		return nil, err
	}
	if refs == nil {
		refs = []schema.LoadRef{}
	}
	return refs, nil
}

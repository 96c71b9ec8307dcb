package export

import (
	"context"
	"errors"

	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/query/analytics"
)

// Scores computes each centrality measure on the analytics view under the
// export's belief policy and time window (the whole graph, not the --kinds
// or --around subgraph, so that a node's score does not depend on how much
// of the graph is written), by measure and entity id. A filter the view
// refuses (an unknown source, a bad date) is an *OptionError.
func Scores(v *query.View, measures []string, o Options) (map[string]map[string]float64, error) {
	return ScoresContext(context.Background(), v, measures, o)
}

// ScoresContext is Scores that stops when ctx is done and returns ctx's
// error (not an *OptionError).
func ScoresContext(ctx context.Context, v *query.View, measures []string, o Options) (map[string]map[string]float64, error) {
	g, err := v.Graph(query.Scope{Sources: o.Sources, ExcludeSources: o.ExcludeSources, From: o.From, To: o.To})
	if err != nil {
		return nil, &OptionError{Option: "filter", Err: err}
	}
	out := map[string]map[string]float64{}
	for _, m := range measures {
		scores, _, err := query.Scores(ctx, g, m)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if err != nil && !errors.Is(err, analytics.ErrNotConverged) { // keep the last iterate, as centrality does
			return nil, &OptionError{Option: "with-centrality", Err: err}
		}
		byID := make(map[string]float64, len(scores))
		for i, sc := range scores {
			byID[v.Keys[i]] = sc
		}
		out[m] = byID
	}
	return out, nil
}

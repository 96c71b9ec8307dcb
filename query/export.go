package query

import (
	"context"
	"errors"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/threatgraph/threatgraph/query/analytics"
	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/cytoscape"
	"github.com/threatgraph/threatgraph/query/export/gexf"
	"github.com/threatgraph/threatgraph/query/export/graphml"
)

// ExportFormats lists the formats of Export: the graph formats (nodes and
// edges, node scores possible), then the fact formats (nquads, json, stix).
var ExportFormats = []string{"graphml", "gexf", "cytoscape", "nquads", "json", "stix"}

// graphEncoders maps each graph format to its encoder.
var graphEncoders = map[string]func(io.Writer, []export.Key) export.Encoder{
	"graphml":   func(w io.Writer, k []export.Key) export.Encoder { return graphml.NewEncoder(w, k) },
	"gexf":      func(w io.Writer, k []export.Key) export.Encoder { return gexf.NewEncoder(w, k) },
	"cytoscape": func(w io.Writer, k []export.Key) export.Encoder { return cytoscape.NewEncoder(w, k) },
}

// ExportContentType returns the media type of an export format.
func ExportContentType(format string) string {
	switch format {
	case "graphml":
		return "application/graphml+xml"
	case "gexf":
		return "application/gexf+xml"
	case "nquads":
		return "application/n-quads"
	case "stix":
		return "application/stix+json;version=2.1"
	}
	return "application/json"
}

// ExportOptions select what an export holds. The zero ExportOptions export
// everything.
//
// The scope's belief policy, kinds and time window define the graph (an
// export writes every relation, so Scope.Predicates is refused); Around then
// keeps the undirected Depth-hop neighbourhood of one entity inside that
// graph. Edges are written only between written nodes.
type ExportOptions struct {
	Scope  Scope
	Around string // id, name or alias (Resolve) of the entity whose neighbourhood to keep
	Depth  int    // hops from Around (0 keeps the entity alone)

	// Centrality names the measures (Measures) to add as node scores, each
	// a double node attribute of the same name (graph formats only). They
	// are computed on the Reader's view under the belief policy and time
	// window (the whole graph, not the Kinds or Around subgraph, so that a
	// node's score does not depend on how much of the graph is written).
	Centrality []string

	// Progress, if set, is told how far the export has got: done of
	// total items of a phase, "entities" (graph formats and json), then
	// "edges" (graph formats), or "subjects" (nquads: every subject,
	// entity or not). It is called from the writing goroutine every
	// exportProgressEvery items and at the end of each phase, and changes
	// nothing in the output.
	Progress func(phase string, done, total int)
}

// exportProgressEvery is how many items an export writes between two
// calls of ExportOptions.Progress.
const exportProgressEvery = 256

// progress calls o.Progress, if set, every exportProgressEvery items and
// at the last.
func (o ExportOptions) progress(phase string, done, total int) {
	if o.Progress != nil && (done%exportProgressEvery == 0 || done == total) {
		o.Progress(phase, done, total)
	}
}

// filtered reports whether any option removes something.
func (o ExportOptions) filtered() bool {
	return !o.Scope.graphZero() || len(o.Scope.Kinds) > 0 || o.Around != ""
}

// check refuses, before anything is read, what no store can apply: an
// unknown format, kind or measure, scores in a fact format, predicates, a
// bad window or depth. Each is a *ParamError.
func (o ExportOptions) check(format string) error {
	_, graph := graphEncoders[format]
	switch {
	case !graph && format != "nquads" && format != "json" && format != "stix":
		return &ParamError{Param: "format", Value: format, Want: "one of " + strings.Join(ExportFormats, ", ")}
	case len(o.Scope.Predicates) > 0:
		return &ParamError{Param: "predicates", Value: strings.Join(o.Scope.Predicates, ","), Want: "none: an export writes every relation between the entities it writes"}
	case len(o.Centrality) > 0 && !graph:
		return &ParamError{Param: "with-centrality", Value: strings.Join(o.Centrality, ","), Want: "no scores with " + format + ": scores are node attributes of the graph formats (graphml, gexf, cytoscape)"}
	case o.Scope.WithDeprecated && !graph:
		return &ParamError{Param: "with-deprecated", Value: "true", Want: "nothing with " + format + ": a fact export writes every statement with its judgements; only the graph formats leave out deprecated facts"}
	case o.Depth < 0:
		return &ParamError{Param: "depth", Value: strconv.Itoa(o.Depth), Want: "0 or more hops"}
	}
	for _, m := range o.Centrality {
		var pe *ParamError
		if errors.As(CheckMeasure(m), &pe) {
			pe.Param = "with-centrality"
			return pe
		}
	}
	if _, err := kindSet(o.Scope.Kinds); err != nil {
		return err
	}
	_, err := newWindow(o.Scope.From, o.Scope.To)
	return err
}

// describe returns the filters as one deterministic line for graph
// metadata (kinds as canonical names).
func (o ExportOptions) describe() string {
	var parts []string
	sc := o.Scope
	if kinds, _ := kindSet(sc.Kinds); len(kinds) > 0 {
		parts = append(parts, "kinds="+strings.Join(slices.Sorted(maps.Keys(kinds)), ","))
	}
	if o.Around != "" {
		parts = append(parts, "around="+o.Around, "depth="+strconv.Itoa(o.Depth))
	}
	if sc.From != "" {
		parts = append(parts, "from="+sc.From)
	}
	if sc.To != "" {
		parts = append(parts, "to="+sc.To)
	}
	if len(sc.Sources) > 0 {
		parts = append(parts, "sources="+strings.Join(sortedSet(sc.Sources), ","))
	}
	if len(sc.ExcludeSources) > 0 {
		parts = append(parts, "exclude-sources="+strings.Join(sortedSet(sc.ExcludeSources), ","))
	}
	if sc.ExcludeMachine {
		parts = append(parts, "exclude-machine")
	}
	if sc.WithDeprecated {
		parts = append(parts, "with-deprecated")
	}
	return strings.Join(parts, " ")
}

func sortedSet(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// Export writes the store, filtered by o, to w in format (ExportFormats):
// the graph formats through writeGraph, nquads through writeNQuads, json
// through writeNative, stix through writeSTIX. A value of o that cannot be applied (an unknown
// format, kind, source or measure, a bad date, an Around entity left out
// by the other filters) is a *ParamError; an Around entity that is not
// there, or is ambiguous, is Resolve's error, wrapped.
func (r *Reader) Export(ctx context.Context, w io.Writer, format string, o ExportOptions) (export.Summary, error) {
	sum, err := r.export(ctx, w, format, o)
	if err != nil {
		return sum, err
	}
	// The export checked the sources already: the policy needs no check.
	sum.Marking, sum.Markings, err = storeMarking(ctx, r.store, exportBelief(o.Scope))
	return sum, err
}

func (r *Reader) export(ctx context.Context, w io.Writer, format string, o ExportOptions) (export.Summary, error) {
	if err := o.check(format); err != nil {
		return export.Summary{}, err
	}
	switch format {
	case "nquads":
		return writeNQuads(ctx, r.store, w, o)
	case "json":
		return writeNative(ctx, r.store, w, o)
	case "stix":
		return writeSTIX(ctx, r.store, w, o)
	}
	scores, err := r.exportScores(ctx, o)
	if err != nil {
		return export.Summary{}, err
	}
	newEnc := graphEncoders[format]
	return writeGraph(ctx, r.store, o, scores, func(keys []export.Key) export.Encoder { return newEnc(w, keys) })
}

// exportScores computes each measure of o.Centrality on the view under
// the export's scope, by measure and entity id. A scope the view refuses
// is a *ParamError; a cancelled ctx gives ctx's error.
func (r *Reader) exportScores(ctx context.Context, o ExportOptions) (map[string]map[string]float64, error) {
	if len(o.Centrality) == 0 {
		return nil, nil
	}
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	c, err := v.compile(o.Scope)
	if err != nil {
		return nil, err
	}
	g, back := v.rankGraph(c) // as centrality ranks (without the nodes the scope hides)
	out := map[string]map[string]float64{}
	for _, m := range sortedSet(o.Centrality) {
		scores, _, err := measureScores(ctx, g, m)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if err != nil && !errors.Is(err, analytics.ErrNotConverged) { // keep the last iterate, as centrality does
			return nil, err
		}
		byID := make(map[string]float64, len(scores))
		for i, sc := range scores {
			n := int32(i)
			if back != nil {
				n = back[i]
			}
			byID[v.keys[n]] = sc
		}
		out[m] = byID
	}
	return out, nil
}

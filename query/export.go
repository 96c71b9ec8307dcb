package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/threatgraph/threatgraph/query/analytics"
	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/cytoscape"
	"github.com/threatgraph/threatgraph/query/export/gexf"
	"github.com/threatgraph/threatgraph/query/export/graphml"
	"github.com/threatgraph/threatgraph/schema"
)

// ExportFormats lists the formats of Export: the graph formats (nodes and
// edges, node scores possible), then the fact formats (nquads, json).
var ExportFormats = []string{"graphml", "gexf", "cytoscape", "nquads", "json"}

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
	}
	return "application/json"
}

// ExportOptions select what an export holds. The zero ExportOptions export
// everything.
//
// Kinds, the time window and the source policy define the graph; Around
// then keeps the undirected Depth-hop neighbourhood of one entity inside
// that graph. Edges are written only between written nodes.
type ExportOptions struct {
	Kinds          []schema.Kind // keep entities of these kinds (empty: all)
	Around         string        // id, name or alias (Resolve) of the entity whose neighbourhood to keep
	Depth          int           // hops from Around (0 keeps the entity alone)
	From, To       string        // date expressions: keep dated entities (Attack, Warning, Claim) stated to overlap [From, To]; undated entities stay
	Sources        []string      // belief policy: use only facts stated by these sources (ids such as source:bbc-2024-03-25-gardner)
	ExcludeSources []string      // leave out the facts stated by these sources

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
	return len(o.Kinds) > 0 || o.Around != "" || o.From != "" || o.To != "" || len(o.Sources) > 0 || len(o.ExcludeSources) > 0
}

// describe returns the filters as one deterministic line for graph metadata.
func (o ExportOptions) describe() string {
	var parts []string
	if len(o.Kinds) > 0 {
		ks := make([]string, len(o.Kinds))
		for i, k := range o.Kinds {
			ks[i] = string(k)
		}
		parts = append(parts, "kinds="+strings.Join(sortedSet(ks), ","))
	}
	if o.Around != "" {
		parts = append(parts, "around="+o.Around, "depth="+strconv.Itoa(o.Depth))
	}
	if o.From != "" {
		parts = append(parts, "from="+o.From)
	}
	if o.To != "" {
		parts = append(parts, "to="+o.To)
	}
	if len(o.Sources) > 0 {
		parts = append(parts, "sources="+strings.Join(sortedSet(o.Sources), ","))
	}
	if len(o.ExcludeSources) > 0 {
		parts = append(parts, "exclude-sources="+strings.Join(sortedSet(o.ExcludeSources), ","))
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
// through writeNative. An option that cannot be applied (an unknown format,
// source or measure, a bad date, an Around entity that is not there) is an
// *export.OptionError.
func (r *Reader) Export(ctx context.Context, w io.Writer, format string, o ExportOptions) (export.Summary, error) {
	switch format {
	case "nquads", "json":
		if len(o.Centrality) > 0 {
			return export.Summary{}, &export.OptionError{Option: "with-centrality", Err: fmt.Errorf("scores are node attributes of the graph formats (graphml, gexf, cytoscape), not facts")}
		}
		if format == "nquads" {
			return writeNQuads(ctx, r.store, w, o)
		}
		return writeNative(ctx, r.store, w, o)
	}
	newEnc, ok := graphEncoders[format]
	if !ok {
		return export.Summary{}, &export.OptionError{Option: "format", Err: fmt.Errorf("unknown format %q (expected one of %s)", format, strings.Join(ExportFormats, ", "))}
	}
	scores, err := r.exportScores(ctx, o)
	if err != nil {
		return export.Summary{}, err
	}
	return writeGraph(ctx, r.store, o, scores, func(keys []export.Key) export.Encoder { return newEnc(w, keys) })
}

// exportScores computes each measure of o.Centrality on the view under
// the export's belief policy and time window, by measure and entity id. A
// filter the view refuses (an unknown source, a bad date) or an unknown
// measure is an *export.OptionError; a cancelled ctx gives ctx's error.
func (r *Reader) exportScores(ctx context.Context, o ExportOptions) (map[string]map[string]float64, error) {
	if len(o.Centrality) == 0 {
		return nil, nil
	}
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	g, err := v.Graph(Scope{Sources: o.Sources, ExcludeSources: o.ExcludeSources, From: o.From, To: o.To})
	if err != nil {
		return nil, &export.OptionError{Option: "filter", Err: err}
	}
	out := map[string]map[string]float64{}
	for _, m := range o.Centrality {
		scores, _, err := Scores(ctx, g, m)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if err != nil && !errors.Is(err, analytics.ErrNotConverged) { // keep the last iterate, as centrality does
			return nil, &export.OptionError{Option: "with-centrality", Err: err}
		}
		byID := make(map[string]float64, len(scores))
		for i, sc := range scores {
			byID[v.Keys[i]] = sc
		}
		out[m] = byID
	}
	return out, nil
}

// Package formats writes an export of the store in any of threatgraph's
// formats; the CLI's export command and the HTTP endpoint share it.
package formats

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/threatgraph/threatgraph/query"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/cytoscape"
	"github.com/threatgraph/threatgraph/query/export/gexf"
	"github.com/threatgraph/threatgraph/query/export/graphml"
)

// Names lists the formats.
var Names = []string{"graphml", "gexf", "cytoscape", "nquads", "json"}

// ContentType returns the media type of a format.
func ContentType(format string) string {
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

// Graph reports whether a format is a graph format (nodes and edges, with
// node scores possible) rather than facts.
func Graph(format string) bool { return format != "nquads" && format != "json" }

// Write writes one export of the store to w.
func Write(ctx context.Context, qs query.Store, format string, o export.Options, w io.Writer) (export.Summary, error) {
	switch format {
	case "nquads":
		return export.WriteNQuads(ctx, qs, w, o)
	case "json":
		return export.WriteNative(ctx, qs, w, o)
	}
	if !slices.Contains(Names, format) {
		return export.Summary{}, &export.OptionError{Option: "format", Err: fmt.Errorf("unknown format %q (expected one of %s)", format, strings.Join(Names, ", "))}
	}
	return export.WriteGraph(ctx, qs, o, func(keys []export.Key) export.Encoder {
		switch format {
		case "gexf":
			return gexf.NewEncoder(w, keys)
		case "cytoscape":
			return cytoscape.NewEncoder(w, keys)
		}
		return graphml.NewEncoder(w, keys)
	})
}

package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/formats"
	"github.com/threatgraph/threatgraph/schema"
)

var exportParams = []param{
	{name: "format", typ: "string", required: true, path: true, desc: "graphml, gexf, cytoscape, nquads or json"},
	{name: "kinds", typ: "string", desc: "keep entities of these kinds (comma-separated); CLI --kinds"},
	{name: "around", typ: "string", desc: "keep the neighbourhood of this entity (id, name or alias); CLI --around"},
	{name: "depth", typ: "integer", def: "1", desc: "hops from around (0 to 10); CLI --depth"},
	{name: "from", typ: "string", desc: "keep dated entities stated to overlap this date or later; CLI --from"},
	{name: "to", typ: "string", desc: "keep dated entities stated to overlap this date or earlier; CLI --to"},
	{name: "sources", typ: "string", desc: "use only facts stated by these sources (comma-separated); CLI --sources"},
	{name: "exclude-sources", typ: "string", desc: "leave out facts stated by these sources; CLI --exclude-sources"},
	{name: "with-centrality", typ: "string", desc: "node scores to add (graph formats): " + strings.Join(query.Measures, ", ") + "; CLI --with-centrality"},
}

// startedWriter notes whether any byte of the answer has gone out.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) Write(p []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(p)
}

// export streams an export of the store, as threatgraph export writes it.
// Problems found before the first byte answer as JSON errors; a failure
// after that aborts the connection, so a client never mistakes a cut-off
// file for a whole one.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	allowed := map[string]bool{}
	for _, p := range exportParams {
		if !p.path {
			allowed[p.name] = true
		}
	}
	a, err := newArgs(r, allowed)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.PathValue("format")
	if !slices.Contains(formats.Names, format) {
		s.writeError(w, r, &Error{Status: http.StatusNotFound, Msg: "unknown export format " + format + " (expected one of " + strings.Join(formats.Names, ", ") + ")",
			Detail: ParamDetail{Parameter: "format", Value: format, Expected: strings.Join(formats.Names, ", ")}})
		return
	}
	var o export.Options
	kinds, err := a.kinds("kinds")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, k := range kinds {
		o.Kinds = append(o.Kinds, schema.Kind(k))
	}
	o.Around = a.str("around")
	if o.Depth, err = a.integer("depth", 1, 0, 10); err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, name := range []string{"from", "to"} {
		if v := a.str(name); v != "" {
			if _, err := schema.ParseDate(v); err != nil {
				s.writeError(w, r, paramError(name, v, "a date: YYYY, YYYY-MM, YYYY-MM-DD or a written date with a year"))
				return
			}
		}
	}
	o.From, o.To = a.str("from"), a.str("to")
	o.Sources, o.ExcludeSources = a.list("sources"), a.list("exclude-sources")
	measures := a.list("with-centrality")
	for _, m := range measures {
		if !slices.Contains(query.Measures, m) {
			s.writeError(w, r, paramError("with-centrality", m, "measures among "+strings.Join(query.Measures, ", ")))
			return
		}
	}
	if len(measures) > 0 && !formats.Graph(format) {
		s.writeError(w, r, paramError("with-centrality", strings.Join(measures, ","), "no scores: "+format+" is not a graph format"))
		return
	}
	// The read lock holds off ingests for the whole export: one consistent state.
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(measures) > 0 {
		if o.Scores, err = export.Scores(s.view, measures, o); err != nil {
			s.writeError(w, r, optionError(err))
			return
		}
	}
	w.Header().Set("Content-Type", formats.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="threatgraph.`+format+`"`)
	sw := &startedWriter{ResponseWriter: w}
	_, err = formats.Write(r.Context(), s.store.QuadStore(), format, o, sw)
	switch {
	case err == nil:
	case !sw.started:
		s.writeError(w, r, optionError(err))
	default:
		s.log.ErrorContext(r.Context(), "export failed after the first byte", "format", format, "err", err)
		panic(http.ErrAbortHandler) // cut the connection: the file is incomplete
	}
}

// optionError answers a bad export option as 400 naming it, and an unknown
// entity in around as 404.
func optionError(err error) error {
	var oe *export.OptionError
	if errors.As(err, &oe) {
		if errors.Is(err, query.ErrNotFound) {
			return entityError("around", oe.Err)
		}
		return &Error{Status: http.StatusBadRequest, Msg: oe.Error(), Detail: ParamDetail{Parameter: oe.Option}}
	}
	return err
}

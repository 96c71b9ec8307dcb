package httpapi

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/threatgraph/threatgraph/query"
)

var exportParams = []param{
	{name: "format", typ: "string", required: true, path: true, desc: "graphml, gexf, cytoscape, nquads, json or stix"},
	{name: "kinds", typ: "string", desc: "keep entities of these kinds (comma-separated); CLI --kinds"},
	{name: "around", typ: "string", desc: "keep the neighbourhood of this entity (id, name or alias); CLI --around"},
	{name: "depth", typ: "integer", def: "1", desc: "hops from around (0 to 10); CLI --depth"},
	{name: "from", typ: "string", desc: "keep dated entities stated to overlap this date or later; CLI --from"},
	{name: "to", typ: "string", desc: "keep dated entities stated to overlap this date or earlier; CLI --to"},
	{name: "sources", typ: "string", desc: "use only facts stated by these sources (comma-separated); CLI --sources"},
	{name: "exclude-sources", typ: "string", desc: "leave out facts stated by these sources; CLI --exclude-sources"},
	{name: "exclude-machine", typ: "boolean", def: "false", desc: "leave out facts of machine-coded sources (coding machine, such as GDELT's); CLI --exclude-machine"},
	{name: "with-centrality", typ: "string", desc: "node scores to add (graph formats): " + strings.Join(query.Measures, ", ") + "; CLI --with-centrality"},
	{name: "with-deprecated", typ: "boolean", def: "false", desc: "keep the facts that judgements rank deprecated (graph formats; nquads, json and stix always write every statement with its judgements); CLI --with-deprecated"},
}

// export sends an export of the store, as threatgraph export writes it.
// Every problem answers as a JSON error, since nothing is sent before the
// export is complete; Content-Length lets a client tell a cut-off download.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	allowed := map[string]bool{pAsOf.name: true}
	for _, p := range exportParams {
		if !p.path {
			allowed[p.name] = true
		}
	}
	a, err := newArgs(r, allowed)
	if err == nil {
		r, err = s.withAsOf(w, r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.PathValue("format")
	if !slices.Contains(query.ExportFormats, format) {
		s.writeError(w, r, &Error{Status: http.StatusNotFound, Msg: "unknown export format " + format + " (expected one of " + strings.Join(query.ExportFormats, ", ") + ")",
			Detail: ParamDetail{Parameter: "format", Value: format, Expected: strings.Join(query.ExportFormats, ", ")}})
		return
	}
	o := query.ExportOptions{Around: a.str("around"), Centrality: a.list("with-centrality"), Scope: query.Scope{
		Sources: a.list("sources"), ExcludeSources: a.list("exclude-sources"), Kinds: a.list("kinds"), From: a.str("from"), To: a.str("to")}}
	if o.Depth, err = a.integer("depth", 1, 0, 10); err != nil {
		s.writeError(w, r, err)
		return
	}
	if o.Scope.WithDeprecated, err = a.boolean("with-deprecated"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if o.Scope.ExcludeMachine, err = a.boolean("exclude-machine"); err != nil {
		s.writeError(w, r, err)
		return
	}
	// The export is written to a temporary file from one published state
	// (its view gives the scores; the store is read as committed), without
	// holding anything an ingest waits for, then sent with its length, so
	// that neither a large export nor a slow client holds up anyone.
	spool, err := os.CreateTemp("", "threatgraph-export-*")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	_, err = s.read(r.Context(), func(q *query.Reader) (any, error) {
		bw := bufio.NewWriterSize(spool, 1<<20)
		if _, err := q.Export(r.Context(), bw, format, o); err != nil {
			return nil, err
		}
		return nil, bw.Flush()
	})
	if err != nil {
		s.writeError(w, r, aroundError(err))
		return
	}
	size, err := spool.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = spool.Seek(0, io.SeekStart)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", query.ExportContentType(format))
	h.Set("Content-Disposition", `attachment; filename="threatgraph.`+format+`"`)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	if _, err := io.Copy(w, spool); err != nil {
		s.log.DebugContext(r.Context(), "export not delivered", "format", format, "err", err)
	}
}

// aroundError answers an around entity that is not there as 404, and an
// ambiguous one as 409 (entityError); Export wraps Resolve's error once.
func aroundError(err error) error {
	var amb *query.AmbiguousError
	if errors.Is(err, query.ErrNotFound) || errors.As(err, &amb) {
		return entityError("around", errors.Unwrap(err))
	}
	return err
}

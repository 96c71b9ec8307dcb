package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/threatgraph/threatgraph/query"
)

// A param is one parameter of a route, for validation and the OpenAPI
// document.
type param struct {
	name, typ, desc string // typ: string, integer, boolean
	def             string
	required, path  bool
}

// A route is one endpoint: its answer function and what the OpenAPI
// document says of it.
type route struct {
	method, path, summary string
	params                []param
	result                any   // a value of the 200 answer's type
	errors                []int // statuses it may answer besides 200
	body                  *requestBody
	answer                func(r *http.Request, a *args) (any, error)
	raw                   http.HandlerFunc // instead of answer, for non-JSON-result routes
	failure               any              // a value of the 500 answer's type, when it has its own
}

type requestBody struct {
	desc     string
	types    []string
	required bool
}

func (rt *route) serve(s *Server) http.Handler {
	if rt.raw != nil {
		return rt.raw
	}
	allowed := map[string]bool{}
	for _, p := range rt.params {
		if !p.path {
			allowed[p.name] = true
		}
	}
	cacheable := rt.method == "GET" && rt.path != "/v1/query" && rt.path != "/v1/places" // the gazetteer changes apart from the store
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var key string
		var gen uint64
		if cacheable {
			key = r.URL.Path + "?" + r.URL.Query().Encode() // Encode sorts by key
			body, g, ok := s.cachedResponse(key)
			if ok {
				if allowed[pAsOf.name] {
					s.asOfHeader(w, r)
				}
				writeBody(w, http.StatusOK, body)
				return
			}
			gen = g
		}
		a, err := newArgs(r, allowed)
		if err == nil && allowed[pAsOf.name] {
			r, err = s.withAsOf(w, r)
		}
		var v any
		if err == nil {
			v, err = rt.answer(r, a)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		body, ok := v.(encoded)
		if !ok {
			var buf bytes.Buffer
			if err := EncodeJSON(&buf, v); err != nil {
				s.writeJSON(w, http.StatusOK, v) // reports the encoding failure
				return
			}
			body = buf.Bytes()
		}
		if cacheable {
			s.storeResponse(key, gen, body)
		}
		writeBody(w, http.StatusOK, body)
	})
}

// The filter parameters the CLI's analytics verbs share.
var (
	pSources  = param{name: "sources", typ: "string", desc: "use only facts stated by these sources (ids, comma-separated); CLI --sources"}
	pExclude  = param{name: "exclude-sources", typ: "string", desc: "leave out facts stated by these sources (comma-separated); CLI --exclude-sources"}
	pMachine  = param{name: "exclude-machine", typ: "boolean", def: "false", desc: "leave out facts of machine-coded sources (coding machine, such as GDELT's); CLI --exclude-machine"}
	pPreds    = param{name: "predicates", typ: "string", desc: "only these relations, e.g. perpetratedBy,locatedIn; CLI --predicates"}
	pFromDate = param{name: "from", typ: "string", desc: "dated entities must overlap this date or later (YYYY, YYYY-MM, YYYY-MM-DD, A/B); CLI --from"}
	pToDate   = param{name: "to", typ: "string", desc: "dated entities must overlap this date or earlier; CLI --to"}
	pDepr     = param{name: "with-deprecated", typ: "boolean", def: "false", desc: "keep the facts that judgements rank deprecated (left out by default); CLI --with-deprecated"}
	pID       = param{name: "id", typ: "string", desc: "entity id, name or alias (case- and accent-insensitive)", required: true, path: true}
)

func filterParams(from, to param) []param {
	return []param{pSources, pExclude, pMachine, pPreds, from, to, pDepr}
}

// routeTable lists every route, in the order of the OpenAPI document; the
// questions (questionRoutes) take as_of.
func (s *Server) routeTable() []*route {
	rs := s.routes0()
	for _, rt := range rs {
		if questionRoutes[rt.path] {
			rt.params = append(rt.params, pAsOf)
		}
	}
	return rs
}

// questionRoutes are the routes that answer a question about the store,
// which can be asked as of a past generation (as_of, CLI --as-of).
var questionRoutes = map[string]bool{
	"/v1/entities/{id}": true, "/v1/search": true, "/v1/entities/{id}/neighbors": true,
	"/v1/entities/{id}/timeline": true, "/v1/paths": true, "/v1/centrality": true, "/v1/preceded": true,
	"/v1/contested": true, "/v1/communities": true, "/v1/stats": true, "/v1/export/{format}": true,
	"/v1/candidates": true,
}

func (s *Server) routes0() []*route {
	notFound := []int{400, 404, 409}
	limited := []int{400, 404, 408, 409, 503} // notFound, the analytics deadline and concurrency limit
	return append([]*route{
		{method: "GET", path: "/v1/entities/{id}", summary: "The entity's card: every fact with its sources and evidence, contested values flagged (CLI: show)",
			params: []param{pID, pLoads, pShowMachine}, result: &query.Card{}, errors: append(notFound, 501), answer: s.withLoads(s.cardAnswer)},
		{method: "GET", path: "/v1/search", summary: "Entities whose name or alias contains q, case- and accent-insensitive, then ranked full-text hits in names, aliases, descriptions and evidence quotes, with their source (CLI: search)",
			params: searchParams, result: []query.SearchResult{}, errors: []int{400}, answer: s.searchAnswer},
		{method: "GET", path: "/v1/entities/{id}/neighbors", summary: "Entities within depth hops, nearest first, with the relation that reaches each (CLI: neighbors)",
			params: neighborsParams, result: &query.NeighborsResult{}, errors: limited, answer: s.neighborsAnswer},
		{method: "GET", path: "/v1/entities/{id}/timeline", summary: "Every dated fact of the entity and of the entities linked to it, one event per predicate and date with its sources and evidence, contested dates side by side, in order; from/to keep an event whose interval overlaps the window (CLI: timeline)",
			params: timelineParams, result: &query.TimelineResult{}, errors: notFound, answer: s.timelineAnswer},
		{method: "GET", path: "/v1/paths", summary: "Shortest and k-shortest paths between two entities, each hop with its predicate, direction and sources (CLI: path FROM TO). The date window is from-date/to-date here, since from/to name the entities.",
			params: pathsParams, result: &query.PathsResult{}, errors: limited, answer: s.pathsAnswer},
		{method: "GET", path: "/v1/centrality", summary: "Entities ranked by a centrality measure, answered from the cached view and memoised until the next ingest (CLI: centrality)",
			params: centralityParams, result: &query.CentralityResult{}, errors: []int{400, 408, 503}, answer: s.centralityAnswer},
		{method: "GET", path: "/v1/preceded", summary: "For each attack, the warnings that preceded it, with certainty, lead time and the linking path (CLI: preceded)",
			params: precededParams, result: &query.PrecededResult{}, errors: limited, answer: s.precededAnswer},
		{method: "GET", path: "/v1/contested", summary: "Every contested point: single-valued facts whose values cannot all hold, disputed attributions of attacks, relations stated and negated; values and sides with their sources (CLI: contested)",
			params: []param{pLoads}, result: []query.Disagreement{}, errors: []int{400, 501}, answer: s.withLoads(ofStore(s, (*query.Reader).Contested))},
		{method: "GET", path: "/v1/communities", summary: "Louvain communities of the graph, or of groups (project=group) (CLI: communities)",
			params: communitiesParams, result: &query.CommunitiesResult{}, errors: []int{400, 408, 503}, answer: s.communitiesAnswer},
		s.candidatesRoute(),
		{method: "GET", path: "/v1/stats", summary: "Entities by kind, facts, sources, quotes, contested points, quads (CLI: stats)",
			result: &query.Stats{}, errors: []int{400}, answer: ofStore(s, (*query.Reader).Stats)},
		{method: "GET", path: "/v1/query", summary: "A raw cayley query, Gizmo or GraphQL, read-only, with a time limit (408 when it passes) and a result cap (CLI: query)",
			params: []param{pLang, {name: "q", typ: "string", required: true, desc: "the query text"}},
			result: &QueryResult{}, errors: []int{400, 403, 408, 422, 503},
			answer: func(r *http.Request, a *args) (any, error) { return s.rawQuery(r, a, a.str("q")) }},
		{method: "POST", path: "/v1/query", summary: "A raw cayley query with the query text as the request body",
			params: []param{pLang},
			body:   &requestBody{desc: "the query text", types: []string{"text/plain", "application/javascript", "application/graphql"}, required: true},
			result: &QueryResult{}, errors: []int{400, 403, 408, 413, 422, 503}, answer: s.queryBodyAnswer},
		{method: "POST", path: "/v1/ingest", summary: "Load one file (the body), or several (multipart/form-data, one part per file with its filename), in one transaction: all or nothing; needs the bearer token configured as serve.token",
			params: []param{
				{name: "format", typ: "string", desc: "native (YAML), json (native JSON) or nquads; default from filename, then Content-Type"},
				{name: "filename", typ: "string", desc: "the file's name, for the format (by extension) and for FILE:LINE in problems"},
				{name: "dry-run", typ: "boolean", def: "false", desc: "validate only; write nothing"},
				{name: "skip-invalid", typ: "boolean", def: "false", desc: "load the valid records and report the others (default: all or nothing)"},
				{name: "mapping", typ: "string", desc: "a shipped table mapping (gtd, acled) for the .csv, .tsv and .txt files among them (docs/import.md); a mapping file of your own: ingest locally"},
			},
			body:   &requestBody{desc: "the file, or several files as multipart/form-data parts with file names", types: []string{"application/yaml", "application/json", "application/n-quads", "multipart/form-data"}, required: true},
			result: &IngestResult{}, errors: []int{400, 401, 403, 413, 415, 422}, failure: &IngestErrorBody{},
			answer: s.ingestAnswer},
		{method: "GET", path: "/v1/export/{format}", summary: "The store, or the part the filters select, as GraphML, GEXF, Cytoscape.js JSON, N-Quads, native JSON or a STIX 2.1 bundle, streamed (CLI: export)",
			params: exportParams, errors: []int{400, 404, 409}, raw: s.export},
		{method: "GET", path: "/v1/openapi.json", summary: "This document", raw: s.serveOpenAPI},
		{method: "GET", path: "/healthz", summary: "Liveness: the server answers and holds the store", result: &Health{}, answer: s.healthAnswer},
	}, append(append(s.historyRoutes(), s.identityRoutes()...), s.placesRoutes()...)...)
}

var (
	pLang        = param{name: "lang", typ: "string", required: true, desc: "gizmo or graphql"}
	searchParams = []param{
		{name: "q", typ: "string", desc: "text to look for", required: true},
		{name: "limit", typ: "integer", def: "50", desc: "at most this many name matches and this many full-text hits (0: all); CLI --limit"},
	}
	timelineParams  = append([]param{pID}, filterParams(pFromDate, pToDate)...)
	neighborsParams = append([]param{pID, {name: "depth", typ: "integer", def: "1", desc: "how many hops (1 to 10); CLI --depth"}}, filterParams(pFromDate, pToDate)...)
	pathsParams     = append([]param{
		{name: "from", typ: "string", required: true, desc: "the first entity (id, name or alias)"},
		{name: "to", typ: "string", required: true, desc: "the second entity (id, name or alias)"},
		{name: "k", typ: "integer", def: "1", desc: "how many shortest paths, 1 to 100 (Yen); CLI --k"},
		{name: "max-depth", typ: "integer", def: "0", desc: "longest path to report, in hops (0: any); CLI --max-depth"},
	}, filterParams(
		param{name: "from-date", typ: "string", desc: "dated entities must overlap this date or later; CLI path --from"},
		param{name: "to-date", typ: "string", desc: "dated entities must overlap this date or earlier; CLI path --to"})...)
	centralityParams = append([]param{
		{name: "measure", typ: "string", def: "pagerank", desc: "one of " + strings.Join(query.Measures, ", ") + "; CLI --measure"},
		{name: "kinds", typ: "string", desc: "rank only these kinds (comma-separated, e.g. Group,Person); CLI --kinds"},
		{name: "top", typ: "integer", def: "10", desc: "how many to list (1 to 10000); CLI --top"},
		{name: "stability", typ: "boolean", def: "false", desc: "rerun with each source left out and report rank movement; CLI --stability"},
	}, filterParams(pFromDate, pToDate)...)
	precededParams = append([]param{
		{name: "window", typ: "string", def: "90d", desc: "how long before an attack a warning counts (90d, 12w, 6m, 1y); CLI --window"},
		{name: "group", typ: "string", desc: "only attacks attributed to this group or its affiliates; CLI --group"},
		{name: "place", typ: "string", desc: "only attacks within this place; CLI --place"},
		{name: "certain", typ: "boolean", def: "false", desc: "only warnings certainly before the attack; CLI --certain"},
	}, filterParams(pFromDate, pToDate)...)
	communitiesParams = append([]param{{name: "project", typ: "string", desc: "group: cluster groups linked through shared attacks, members and places; CLI --project"}}, filterParams(pFromDate, pToDate)...)
)

// ofEntity answers get for the entity the path's id names: a 404 or 409
// when it names none or several.
func ofEntity[T any](s *Server, get func(*query.Reader, context.Context, string) (T, error)) func(*http.Request, *args) (any, error) {
	return func(r *http.Request, _ *args) (any, error) {
		return s.read(r.Context(), func(q *query.Reader) (any, error) {
			res, err := get(q, r.Context(), r.PathValue("id"))
			return res, entityError("id", err)
		})
	}
}

// pShowMachine is the card's exclude-machine: it hides evidence.
var pShowMachine = param{name: "exclude-machine", typ: "boolean", def: "false", desc: "hide the evidence of machine-coded sources (coding machine, such as GDELT's); hidden_machine counts it; CLI show --exclude-machine"}

// cardAnswer answers the card (show), without the evidence of
// machine-coded sources when exclude-machine=true.
func (s *Server) cardAnswer(r *http.Request, a *args) (any, error) {
	ex, err := a.boolean(pShowMachine.name)
	if err != nil {
		return nil, err
	}
	return ofEntity(s, func(q *query.Reader, ctx context.Context, id string) (*query.Card, error) {
		return q.ShowWith(ctx, id, query.ShowOptions{ExcludeMachine: ex})
	})(r, a)
}

// ofStore answers get, a question about the whole store.
func ofStore[T any](s *Server, get func(*query.Reader, context.Context) (T, error)) func(*http.Request, *args) (any, error) {
	return func(r *http.Request, _ *args) (any, error) {
		return s.read(r.Context(), func(q *query.Reader) (any, error) { return get(q, r.Context()) })
	}
}

// analyze answers fn as analytics (see Server.analytics) on the current
// Reader. Before, it checks the scope the request names, with its dates in
// the parameters fromName and toName, and resolves the entities the
// parameters named by entities give (when given), so that a bad one is a
// 400, 404 or 409 without a computation.
func (s *Server) analyze(r *http.Request, a *args, fromName, toName string, limited bool,
	fn func(ctx context.Context, q *query.Reader, f query.Scope) (any, error), entities ...string) (any, error) {
	return s.read(r.Context(), func(q *query.Reader) (any, error) {
		f, err := a.scope(r.Context(), q, fromName, toName)
		if err != nil {
			return nil, err
		}
		for _, name := range entities {
			if v := a.str(name); v != "" {
				if _, err := q.Resolve(r.Context(), v); err != nil {
					return nil, entityError(name, err)
				}
			}
		}
		return s.analytics(r, limited, func(ctx context.Context) (any, error) { return fn(ctx, q, f) })
	})
}

func (s *Server) searchAnswer(r *http.Request, a *args) (any, error) {
	text, err := a.required("q", "text to search names, aliases, descriptions and quotes for")
	if err != nil {
		return nil, err
	}
	limit, err := a.integer("limit", 50, 0, 1_000_000)
	if err != nil {
		return nil, err
	}
	return s.read(r.Context(), func(q *query.Reader) (any, error) { return q.SearchAll(r.Context(), text, limit) })
}

func (s *Server) neighborsAnswer(r *http.Request, a *args) (any, error) {
	depth, err := a.integer("depth", 1, 1, 10)
	if err != nil {
		return nil, err
	}
	return s.analyze(r, a, "from", "to", depth > 2, func(ctx context.Context, q *query.Reader, f query.Scope) (any, error) {
		res, err := q.Neighbors(ctx, r.PathValue("id"), depth, f)
		return res, entityError("id", err)
	})
}

func (s *Server) timelineAnswer(r *http.Request, a *args) (any, error) {
	return s.read(r.Context(), func(q *query.Reader) (any, error) {
		sc, err := a.scope(r.Context(), q, "from", "to")
		if err != nil {
			return nil, err
		}
		res, err := q.Timeline(r.Context(), r.PathValue("id"), sc)
		return res, entityError("id", err)
	})
}

func (s *Server) pathsAnswer(r *http.Request, a *args) (any, error) {
	from, err := a.required("from", "an entity id, name or alias")
	if err != nil {
		return nil, err
	}
	to, err := a.required("to", "an entity id, name or alias")
	if err != nil {
		return nil, err
	}
	k, err := a.integer("k", 1, 1, 100)
	if err != nil {
		return nil, err
	}
	depth, err := a.integer("max-depth", 0, 0, 1000)
	if err != nil {
		return nil, err
	}
	return s.analyze(r, a, "from-date", "to-date", k > 1, func(ctx context.Context, q *query.Reader, f query.Scope) (any, error) {
		return q.Paths(ctx, from, to, k, depth, f)
	}, "from", "to")
}

func (s *Server) centralityAnswer(r *http.Request, a *args) (any, error) {
	var o query.CentralityOptions
	o.Measure = strings.ToLower(a.str("measure"))
	if o.Measure == "" {
		o.Measure = "pagerank"
	}
	err := query.CheckMeasure(o.Measure)
	if err != nil {
		return nil, err
	}
	if o.Top, err = a.integer("top", 10, 1, 10_000); err != nil {
		return nil, err
	}
	if o.Stability, err = a.boolean("stability"); err != nil {
		return nil, err
	}
	return s.readState(r.Context(), func(st *state) (any, error) {
		if o.Scope, err = a.scope(r.Context(), st.reader, "from", "to"); err != nil {
			return nil, err
		}
		return s.memoCentrality(r.Context(), st, o)
	})
}

func (s *Server) precededAnswer(r *http.Request, a *args) (any, error) {
	var o query.PrecededOptions
	w := a.str("window")
	if w == "" {
		w = "90d"
	}
	days, err := query.ParseWindow(w)
	if err != nil {
		return nil, err
	}
	o.WindowDays, o.Group, o.Place = days, a.str("group"), a.str("place")
	if o.CertainOnly, err = a.boolean("certain"); err != nil {
		return nil, err
	}
	return s.analyze(r, a, "from", "to", true, func(ctx context.Context, q *query.Reader, f query.Scope) (any, error) {
		o.Scope = f
		return q.Preceded(ctx, o)
	}, "group", "place")
}

func (s *Server) communitiesAnswer(r *http.Request, a *args) (any, error) {
	project := a.str("project")
	if err := query.CheckProjection(project); err != nil {
		return nil, err
	}
	return s.analyze(r, a, "from", "to", true, func(ctx context.Context, q *query.Reader, f query.Scope) (any, error) {
		return q.Communities(ctx, project, f)
	})
}

func (s *Server) queryBodyAnswer(r *http.Request, a *args) (any, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return s.rawQuery(r, a, string(b))
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.openapi)
}

func (s *Server) healthAnswer(*http.Request, *args) (any, error) {
	return &Health{Status: "ok", Quads: s.Quads(), ReadOnly: s.opts.Token == ""}, nil
}

// Health is the answer of /healthz.
type Health struct {
	Status   string `json:"status"`
	Quads    int64  `json:"quads"`
	ReadOnly bool   `json:"read_only"`
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge(mbe)
	}
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Msg: "reading the request body", Err: err}
	}
	return b, nil
}

func (s *Server) rawQuery(r *http.Request, a *args, text string) (any, error) {
	lang := strings.ToLower(a.str("lang"))
	if !slices.Contains(Languages, lang) {
		return nil, paramError("lang", lang, "gizmo or graphql")
	}
	if strings.TrimSpace(text) == "" {
		return nil, paramError("q", "", "a "+lang+" query")
	}
	if why := crossSite(r); why != "" {
		return nil, &Error{Status: http.StatusForbidden, Msg: "raw queries are refused from other web sites (" + why + "): send them from the command line, a script or a page served by this server"}
	}
	lim := s.opts.QueryLimits
	if lim.Concurrency < 0 {
		return nil, &Error{Status: http.StatusForbidden, Msg: "raw queries are turned off on this server (serve.query_concurrency: 0); the /v1 question routes answer as usual"}
	}
	if rep, err := CheckQuery(lang, text); err != nil {
		return nil, guardAnswer(err, rep)
	}
	select {
	case s.rawSlots <- struct{}{}:
	default:
		return nil, &Error{Status: http.StatusServiceUnavailable, Msg: fmt.Sprintf("%v: %d raw queries are running, the most at once (serve.query_concurrency); retry in a second", ErrQueryBusy, lim.Concurrency),
			Detail: map[string]int{"concurrency": lim.Concurrency, "retry_after_seconds": 1}}
	}
	// The slot is held until the query's VM has ended, which may be after
	// the answer (an interrupted VM finishes the built-in call it is in).
	var ended <-chan struct{}
	defer func() {
		if ended == nil {
			<-s.rawSlots
			return
		}
		go func(e <-chan struct{}) { <-e; <-s.rawSlots }(ended)
	}()
	res, err := s.read(r.Context(), func(*query.Reader) (any, error) {
		res, e, err := StartQuery(r.Context(), s.store.QuadStore(), lang, text, lim)
		ended = e
		return res, err
	})
	var qe *QueryError
	var me *MemoryError
	switch {
	case errors.As(err, &me):
		return nil, &Error{Status: http.StatusUnprocessableEntity, Msg: me.Error() + " (serve.query_memory)", Detail: map[string]int64{"limit_bytes": me.Limit, "grown_bytes": me.Grown}}
	case errors.Is(err, ErrQueryTimeout):
		return nil, &Error{Status: http.StatusRequestTimeout, Msg: err.Error() + " (serve.query_timeout)", Detail: map[string]string{"limit": s.opts.QueryLimits.Timeout.String()}}
	case errors.As(err, &qe) && qe.Syntax:
		return nil, &Error{Status: http.StatusBadRequest, Msg: "query does not parse: " + qe.Error(), Detail: ParamDetail{Parameter: "q"}}
	case errors.As(err, &qe):
		return nil, &Error{Status: http.StatusUnprocessableEntity, Msg: "query failed: " + qe.Error()}
	}
	return res, err
}

// encoded is an answer already encoded as EncodeJSON writes it.
type encoded []byte

// memoCentrality answers from the memo or computes once, however many
// requests ask at the same time. The memo keeps encoded answers, keyed by
// the state's generation and the normalised parameters, and weighs each by
// its bytes. A computation takes a slot of the analytics concurrency limit
// and runs apart from the request that started it, until its deadline
// (serve.analytics_timeout) or until no request waits on it any more: the
// last waiter to leave cancels it and drops its memo entry.
func (s *Server) memoCentrality(ctx context.Context, st *state, o query.CentralityOptions) (encoded, error) {
	f := o.Scope
	sorted := func(x []string) string {
		y := slices.Clone(x)
		slices.Sort(y)
		return strings.Join(slices.Compact(y), ",")
	}
	gen := strconv.FormatUint(st.gen, 10)
	if st.past {
		gen = "as-of-" + gen
	}
	key := strings.Join([]string{gen, o.Measure, sorted(strings.Split(strings.ToLower(strings.Join(f.Kinds, ",")), ",")), strconv.Itoa(o.Top), strconv.FormatBool(o.Stability),
		sorted(f.Sources), sorted(f.ExcludeSources), strconv.FormatBool(f.ExcludeMachine), sorted(f.Predicates), f.From, f.To, strconv.FormatBool(f.WithDeprecated)}, "|")
	s.memo.mu.Lock()
	e, ok := s.memo.lru.Get(key)
	m := e.v
	if !ok {
		release, err := s.takeAnalyticsSlot()
		if err != nil {
			s.memo.mu.Unlock()
			return nil, err
		}
		cctx, cancel := s.analyticsContext(context.WithoutCancel(ctx))
		m = &memoEntry{done: make(chan struct{}), cancel: cancel}
		s.memo.addLocked(key, m, 0) // weighed again when done
		go s.computeCentrality(cctx, release, key, st, o, m)
	}
	m.waiters++
	s.memo.mu.Unlock()
	select {
	case <-m.done:
		s.memo.mu.Lock()
		m.waiters--
		s.memo.mu.Unlock()
		return m.body, m.err
	case <-ctx.Done():
		s.memo.mu.Lock()
		if m.waiters--; m.waiters == 0 {
			select {
			case <-m.done: // finished meanwhile: keep it
			default:
				m.cancel()
				if cur, ok := s.memo.lru.Peek(key); ok && cur.v == m {
					s.memo.lru.Remove(key)
				}
			}
		}
		s.memo.mu.Unlock()
		return nil, ctx.Err()
	}
}

// computeCentrality computes m under ctx, publishes it and keeps it in the
// memo if it succeeded on the current generation.
func (s *Server) computeCentrality(ctx context.Context, release func(), key string, st *state, o query.CentralityOptions, m *memoEntry) {
	defer release()
	defer m.cancel()
	res, err := func() (res *query.CentralityResult, err error) {
		// This goroutine is no request's: a panic here would end the
		// process, so it becomes the waiters' 500 instead.
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("centrality panicked", "panic", p, "stack", string(debug.Stack()))
				err = fmt.Errorf("computing centrality: internal error (%v)", p)
			}
		}()
		return st.reader.Centrality(ctx, o)
	}()
	if err == nil {
		var buf bytes.Buffer
		if err = EncodeJSON(&buf, res); err == nil {
			m.body = buf.Bytes()
		}
	}
	m.err = s.analyticsError(ctx, err)
	close(m.done)
	s.memo.mu.Lock()
	if cur, ok := s.memo.lru.Peek(key); ok && cur.v == m {
		if err != nil || s.snapshot().gen != st.gen {
			s.memo.lru.Remove(key)
		} else {
			s.memo.addLocked(key, m, len(m.body)) // not kept if larger than the bound
		}
	}
	s.memo.mu.Unlock()
}

type memoEntry struct {
	done    chan struct{}
	body    encoded
	err     error
	waiters int                // requests waiting on done, under memo.mu
	cancel  context.CancelFunc // stops the computation
}

// IngestResult is the answer of POST /v1/ingest: ingest's report (as the
// CLI's ingest --format json prints it), the records skipped with
// skip-invalid, and the store's quad count after.
type IngestResult struct {
	Files    []FileReport `json:"files"`
	DryRun   bool         `json:"dry_run"`
	Problems []string     `json:"problems,omitempty"`
	Warnings []string     `json:"warnings,omitempty"` // e.g. a name another entity also has
	Quads    int64        `json:"quads"`
}

// authorize checks a write's bearer token (what names the write in the
// message).
func (s *Server) authorize(r *http.Request, what string) error {
	if s.opts.Token == "" {
		return &Error{Status: http.StatusForbidden, Msg: "the server is read-only: no write token is configured (set serve.token or THREATGRAPH_SERVE_TOKEN and restart)"}
	}
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	if auth == "" || !strings.EqualFold(scheme, "Bearer") {
		return &Error{Status: http.StatusUnauthorized, Msg: what + " needs a bearer token: Authorization: Bearer TOKEN"}
	}
	want, got := sha256.Sum256([]byte(s.opts.Token)), sha256.Sum256([]byte(strings.TrimSpace(tok)))
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		return &Error{Status: http.StatusForbidden, Msg: "wrong token"}
	}
	return nil
}

func (s *Server) ingestAnswer(r *http.Request, a *args) (any, error) {
	if s.opts.Loader == nil {
		return nil, &Error{Status: http.StatusForbidden, Msg: "the server is read-only: no write token is configured (set serve.token or THREATGRAPH_SERVE_TOKEN and restart)"}
	}
	if err := s.authorize(r, "ingest"); err != nil {
		return nil, err
	}
	var opt LoadOptions
	var err error
	if opt.DryRun, err = a.boolean("dry-run"); err != nil {
		return nil, err
	}
	if opt.SkipInvalid, err = a.boolean("skip-invalid"); err != nil {
		return nil, err
	}
	if m := a.str("mapping"); m != "" {
		if !slices.Contains(s.opts.Mappings, m) {
			return nil, paramError("mapping", m, "a shipped mapping: "+strings.Join(s.opts.Mappings, ", "))
		}
		opt.Mapping = m
	}
	files, err := s.uploadFiles(r, a)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	name := strings.Join(names, ", ")
	rep, err := s.Ingest(r.Context(), files, opt)
	var invalid *InvalidError
	if errors.As(err, &invalid) {
		msgs := invalid.Problems
		n := "1 problem"
		if len(msgs) != 1 {
			n = fmt.Sprintf("%d problems", len(msgs))
		}
		return nil, &Error{Status: http.StatusUnprocessableEntity, Msg: fmt.Sprintf("%s in %s; nothing was written", n, name), Detail: map[string][]string{"problems": msgs}}
	}
	var ie *IngestError
	if errors.As(err, &ie) {
		return nil, &Error{Status: http.StatusInternalServerError, Msg: ingestFailure(name, ie.Written), Err: err,
			Detail: &IngestFailure{Written: len(ie.Written) > 0, Files: ie.Written}}
	}
	if err != nil {
		return nil, err
	}
	return &IngestResult{Files: rep.Files, DryRun: rep.DryRun, Problems: rep.Problems, Warnings: rep.Warnings, Quads: s.Quads()}, nil
}

// uploadFiles reads the files of one ingest: the body as one file (named
// by uploadName), or, for multipart/form-data, every part that has a file
// name, each named by it; all of them are loaded in one transaction.
func (s *Server) uploadFiles(r *http.Request, a *args) ([]Upload, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		name, err := s.uploadName(r, a)
		if err != nil {
			return nil, err
		}
		data, err := readBody(r)
		if err != nil {
			return nil, err
		}
		return []Upload{{Name: name, Data: data}}, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Msg: "reading the multipart body", Err: err}
	}
	var files []Upload
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe)
		}
		if err != nil {
			return nil, &Error{Status: http.StatusBadRequest, Msg: "reading the multipart body", Err: err}
		}
		fn := part.FileName()
		if fn == "" {
			part.Close()
			continue
		}
		fn = path.Base(strings.ReplaceAll(fn, "\\", "/"))
		if err := s.opts.Loader.Accepts(fn); err != nil {
			return nil, &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("multipart part %q: %v", fn, err)}
		}
		data, err := io.ReadAll(part)
		part.Close()
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe)
		}
		if err != nil {
			return nil, &Error{Status: http.StatusBadRequest, Msg: "reading part " + fn, Err: err}
		}
		files = append(files, Upload{Name: fn, Data: data})
	}
	if len(files) == 0 {
		return nil, &Error{Status: http.StatusBadRequest, Msg: "the multipart body has no file part (expected parts with a filename: .yaml, .yml, .json, .nq, .nquads or an importer's input, docs/import.md)"}
	}
	return files, nil
}

func tooLarge(mbe *http.MaxBytesError) error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("request body larger than %d bytes (serve.body_limit)", mbe.Limit), Detail: map[string]int64{"limit": mbe.Limit}}
}

// IngestFailure is the detail of a 500 answer to POST /v1/ingest: whether
// anything of the upload is in the store.
type IngestFailure struct {
	Written bool     `json:"written"`       // some quads of the upload were committed
	Files   []string `json:"files_written"` // the files of the upload whose quads were committed (none, or those that added quads)
}

// IngestErrorBody is the JSON of a 500 answer to POST /v1/ingest: the
// detail says what was written when the input was valid and the write (or
// what followed it) failed; a bare internal error has no detail.
type IngestErrorBody struct {
	Error  string         `json:"error"`
	Detail *IngestFailure `json:"detail,omitempty"`
}

// ingestFailure is the sentence a client reads when an ingest failed after
// its input was found valid.
func ingestFailure(name string, written []string) string {
	if len(written) == 0 {
		return "ingest of " + name + " failed: nothing was written (the store is as it was; the same file may be sent again)"
	}
	return "ingest of " + name + " failed after writing " + strings.Join(written, ", ") + ": its quads are in the store (sending it again adds nothing)"
}

// uploadName names the uploaded file so that the Loader picks its reader:
// the filename parameter, else format, else the Content-Type.
func (s *Server) uploadName(r *http.Request, a *args) (string, error) {
	if fn := a.str("filename"); fn != "" {
		fn = path.Base(strings.ReplaceAll(fn, "\\", "/"))
		if err := s.opts.Loader.Accepts(fn); err != nil {
			return "", paramError("filename", fn, "a name ending in .yaml, .yml, .json, .nq or .nquads, or an importer's input (docs/import.md)")
		}
		return fn, nil
	}
	switch f := strings.ToLower(a.str("format")); f {
	case "native", "yaml", "yml":
		return "upload.yaml", nil
	case "json":
		return "upload.json", nil
	case "nquads", "n-quads", "nq":
		return "upload.nq", nil
	case "":
	default:
		return "", paramError("format", f, "native, json or nquads")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		return "upload.yaml", nil
	case "application/json":
		return "upload.json", nil
	case "application/n-quads", "text/x-nquads", "application/x-nquads":
		return "upload.nq", nil
	}
	return "", &Error{Status: http.StatusUnsupportedMediaType, Msg: fmt.Sprintf("cannot tell the format of the body (Content-Type %q): send Content-Type application/yaml, application/json or application/n-quads, or ?format= or ?filename=", ct)}
}

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/builtin"
	"github.com/threatgraph/threatgraph/internal/textindex"
	"github.com/threatgraph/threatgraph/query"
)

const testToken = "test-token-0123456789abcdef"

// openBuiltin opens a bbolt store in a temporary directory holding the
// built-in dataset.
func openBuiltin(t testing.TB) (*graph.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tg.db")
	st, err := graph.Open(context.Background(), graph.Options{Backend: "bbolt", Path: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bf, err := builtin.Files()
	if err != nil {
		t.Fatal(err)
	}
	var files []*ingest.File
	for _, f := range bf {
		files = append(files, ingest.Parse(f.Name, f.Data))
	}
	if _, err := ingest.Load(context.Background(), st, files, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return st, dir
}

type fixture struct {
	st  *graph.Store
	srv *Server
	ts  *httptest.Server
	val *validator
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	st, dir := openBuiltin(t)
	opts.SnapshotDir = dir
	if opts.Loader == nil {
		opts.Loader = testLoader{st}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := New(t.Context(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &fixture{st: st, srv: srv, ts: ts, val: newValidator(t, srv)}
}

// validator checks responses against the server's own OpenAPI document
// with kin-openapi.
type validator struct {
	router routers.Router
}

func newValidator(t *testing.T, s *Server) *validator {
	t.Helper()
	for _, ct := range []string{"application/graphml+xml", "application/gexf+xml", "application/n-quads"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
	doc, err := openapi3.NewLoader().LoadFromData(s.openapi)
	if err != nil {
		t.Fatalf("loading /v1/openapi.json: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("/v1/openapi.json is not valid OpenAPI 3: %v", err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &validator{router: r}
}

func (v *validator) check(t *testing.T, req *http.Request, status int, h http.Header, body []byte) {
	t.Helper()
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL, err)
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	err = openapi3filter.ValidateResponse(t.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Options: opts,
	})
	if err != nil {
		t.Errorf("%s %s: response %d does not match the OpenAPI document: %v\n%s", req.Method, req.URL, status, err, body[:min(len(body), 400)])
	}
}

// do sends a request, validates the response against the OpenAPI document
// and returns status and body.
func (f *fixture) do(t *testing.T, method, path, ctype string, body []byte, hdr ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/plain") && !strings.HasPrefix(path, "/v1/export/") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	vreq, _ := http.NewRequest(method, f.ts.URL+path, bytes.NewReader(body))
	if ctype != "" {
		vreq.Header.Set("Content-Type", ctype)
	}
	if resp.StatusCode != http.StatusMethodNotAllowed && (resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "no route")) {
		f.val.check(t, vreq, resp.StatusCode, resp.Header, b)
	}
	return resp.StatusCode, b
}

func (f *fixture) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	return f.do(t, "GET", path, "", nil)
}

func encode(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeJSON(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

const (
	crocus = "attack:2024-03-22-crocus-city-hall"
	isisk  = "group:isis-k"
)

// TestRoutes asks every route a question and checks the answer is
// byte for byte what the query package gives, encoded as the CLI encodes
// --format json, and matches the OpenAPI document.
func TestRoutes(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := t.Context()
	r := query.NewReader(f.st, query.ReaderOptions{TextIndex: textindex.Opener})
	type want func() (any, error)
	cases := []struct {
		path string
		want want
	}{
		{"/v1/entities/" + crocus, func() (any, error) { return r.Show(ctx, crocus) }},
		{"/v1/entities/ISIS-K", func() (any, error) { return r.Show(ctx, "ISIS-K") }},
		{"/v1/entities/" + url.PathEscape("Islamic State Khorasan Province"), func() (any, error) { return r.Show(ctx, isisk) }},
		{"/v1/search?q=khorasan", func() (any, error) { return r.SearchAll(ctx, "khorasan", 50) }},
		{"/v1/search?q=crocus&limit=2", func() (any, error) { return r.SearchAll(ctx, "crocus", 2) }},
		{"/v1/entities/ISIS-K/neighbors", func() (any, error) { return r.Neighbors(ctx, "ISIS-K", 1, query.Scope{}) }},
		{"/v1/entities/ISIS-K/neighbors?depth=2&predicates=perpetratedBy,affiliateOf", func() (any, error) {
			return r.Neighbors(ctx, "ISIS-K", 2, query.Scope{Predicates: []string{"perpetratedBy", "affiliateOf"}})
		}},
		{"/v1/entities/ISIS-K/timeline", func() (any, error) { return r.Timeline(ctx, "ISIS-K", query.Scope{}) }},
		{"/v1/paths?from=ISIS-K&to=" + crocus + "&k=3", func() (any, error) { return r.Paths(ctx, "ISIS-K", crocus, 3, 0, query.Scope{}) }},
		{"/v1/paths?from=ISIS-K&to=Taliban&k=2&max-depth=3&exclude-sources=source:threatgraph-editors", func() (any, error) {
			return r.Paths(ctx, "ISIS-K", "Taliban", 2, 3, query.Scope{ExcludeSources: []string{"source:threatgraph-editors"}})
		}},
		{"/v1/centrality", func() (any, error) {
			return r.Centrality(ctx, query.CentralityOptions{Measure: "pagerank", Top: 10})
		}},
		{"/v1/centrality?measure=betweenness&kinds=Group,Person&top=5", func() (any, error) {
			return r.Centrality(ctx, query.CentralityOptions{Measure: "betweenness", Scope: query.Scope{Kinds: []string{"Group", "Person"}}, Top: 5})
		}},
		{"/v1/centrality?measure=degree&top=3&stability=true&from=2024", func() (any, error) {
			return r.Centrality(ctx, query.CentralityOptions{Measure: "degree", Top: 3, Stability: true, Scope: query.Scope{From: "2024"}})
		}},
		{"/v1/preceded", func() (any, error) { return r.Preceded(ctx, query.PrecededOptions{WindowDays: 90}) }},
		{"/v1/preceded?window=1y&group=ISIS-K", func() (any, error) {
			return r.Preceded(ctx, query.PrecededOptions{WindowDays: 365, Group: "ISIS-K"})
		}},
		{"/v1/contested", func() (any, error) { return r.Contested(ctx) }},
		{"/v1/communities", func() (any, error) { return r.Communities(ctx, "", query.Scope{}) }},
		{"/v1/communities?project=group", func() (any, error) { return r.Communities(ctx, "group", query.Scope{}) }},
		{"/v1/stats", func() (any, error) { return r.Stats(ctx) }},
		{"/v1/query?lang=gizmo&q=" + url.QueryEscape(`g.V("<group:isis-k>").Out("<tg:name>").All()`), func() (any, error) {
			return RunQuery(ctx, f.st.QuadStore(), "gizmo", `g.V("<group:isis-k>").Out("<tg:name>").All()`, Limits{})
		}},
		{"/v1/query?lang=graphql&q=" + url.QueryEscape(`{ nodes(id: <group:isis-k>) { id name: <tg:name> } }`), func() (any, error) {
			return RunQuery(ctx, f.st.QuadStore(), "graphql", `{ nodes(id: <group:isis-k>) { id name: <tg:name> } }`, Limits{})
		}},
		{"/healthz", func() (any, error) { return &Health{Status: "ok", Quads: f.srv.Quads(), ReadOnly: true}, nil }},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			status, body := f.get(t, c.path)
			if status != http.StatusOK {
				t.Fatalf("GET %s: %d; want 200\n%s", c.path, status, body)
			}
			var decoded any
			if err := json.Unmarshal(body, &decoded); err != nil {
				t.Fatalf("GET %s: body is not JSON: %v", c.path, err)
			}
			w, err := c.want()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(body), encode(t, w); got != want {
				t.Errorf("GET %s:\n%s\nwant (the query package's answer, encoded as the CLI does):\n%s", c.path, got, want)
			}
		})
	}
	t.Run("openapi", func(t *testing.T) {
		status, body := f.get(t, "/v1/openapi.json")
		var doc map[string]any
		if status != 200 || json.Unmarshal(body, &doc) != nil {
			t.Fatalf("GET /v1/openapi.json: %d", status)
		}
		paths, _ := doc["paths"].(map[string]any)
		for _, rt := range f.srv.routes {
			if _, ok := paths[rt.path]; !ok {
				t.Errorf("route %s %s missing from /v1/openapi.json", rt.method, rt.path)
			}
		}
	})
	t.Run("metrics", func(t *testing.T) {
		resp, err := f.ts.Client().Get(f.ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`threatgraph_http_requests_total{code="200",route="GET /v1/entities/{id}"}`,
			`threatgraph_http_request_duration_seconds_bucket{route="GET /v1/centrality",le="+Inf"}`,
			fmt.Sprintf("threatgraph_store_quads %d", f.srv.Quads()),
		} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

// TestErrors checks every error status, that the body is the JSON error
// and names the parameter, and that it matches the OpenAPI document.
func TestErrors(t *testing.T) {
	f := newFixture(t, Options{Token: testToken, BodyLimit: 1024, QueryLimits: Limits{Timeout: 300 * time.Millisecond, Rows: 5}})
	bearer := []string{"Authorization", "Bearer " + testToken}
	cases := []struct {
		method, path, ctype string
		body                string
		hdr                 []string
		status              int
		param               string // the parameter the error must name
		msg                 string
	}{
		{"GET", "/v1/entities/no-such-thing", "", "", nil, 404, "id", "no entity"},
		{"GET", "/v1/entities/nobody/neighbors", "", "", nil, 404, "id", ""},
		{"GET", "/v1/entities/ISIS-K/neighbors?depth=deep", "", "", nil, 400, "depth", ""},
		{"GET", "/v1/entities/ISIS-K/neighbors?depth=0", "", "", nil, 400, "depth", ""},
		{"GET", "/v1/entities/ISIS-K/neighbors?sources=source:nobody", "", "", nil, 400, "sources", ""},
		{"GET", "/v1/entities/ISIS-K/neighbors?predicates=likes", "", "", nil, 400, "predicates", ""},
		{"GET", "/v1/entities/ISIS-K/neighbors?from=March", "", "", nil, 400, "from", ""},
		{"GET", "/v1/entities/ISIS-K/neighbours", "", "", nil, 404, "", "no route"},
		{"GET", "/v1/search", "", "", nil, 400, "q", ""},
		{"GET", "/v1/search?q=x&limit=-1", "", "", nil, 400, "limit", ""},
		{"GET", "/v1/search?q=x&colour=red", "", "", nil, 400, "colour", "unknown parameter"},
		{"GET", "/v1/paths?from=ISIS-K", "", "", nil, 400, "to", ""},
		{"GET", "/v1/paths?from=ISIS-K&to=Atlantis", "", "", nil, 404, "to", ""},
		{"GET", "/v1/paths?from=ISIS-K&to=Taliban&k=0", "", "", nil, 400, "k", ""},
		{"GET", "/v1/paths?from=ISIS-K&to=Taliban&to-date=soon", "", "", nil, 400, "to-date", ""},
		{"GET", "/v1/centrality?measure=fame", "", "", nil, 400, "measure", ""},
		{"GET", "/v1/centrality?kinds=Group,Dragon", "", "", nil, 400, "kinds", ""},
		{"GET", "/v1/centrality?top=many", "", "", nil, 400, "top", ""},
		{"GET", "/v1/centrality?stability=perhaps", "", "", nil, 400, "stability", ""},
		{"GET", "/v1/preceded?window=soon", "", "", nil, 400, "window", ""},
		{"GET", "/v1/preceded?group=Nobody", "", "", nil, 404, "group", ""},
		{"GET", "/v1/communities?project=person", "", "", nil, 400, "project", ""},
		{"GET", "/v1/query?lang=sparql&q=x", "", "", nil, 400, "lang", ""},
		{"GET", "/v1/query?lang=gizmo", "", "", nil, 400, "q", ""},
		{"GET", "/v1/query?lang=gizmo&q=" + url.QueryEscape("g.V(("), "", "", nil, 400, "q", "does not parse"},
		{"GET", "/v1/query?lang=gizmo&q=" + url.QueryEscape("throw new Error('boom')"), "", "", nil, 422, "", "boom"},
		{"GET", "/v1/query?lang=gizmo&q=" + url.QueryEscape("while(true){}"), "", "", nil, 408, "", "time limit"},
		{"POST", "/v1/query?lang=gizmo", "text/plain", strings.Repeat("// padding\n", 200), nil, 413, "", "larger than 1024"},
		{"POST", "/v1/ingest?format=nquads", "", "", nil, 401, "", "bearer token"},
		{"POST", "/v1/ingest?format=nquads", "", "", []string{"Authorization", "Bearer wrong-token-0123456789"}, 403, "", "wrong token"},
		{"POST", "/v1/ingest", "", "<a> <b> <c> <d> .\n", bearer, 415, "", "Content-Type"},
		{"POST", "/v1/ingest?filename=notes.txt", "", "x", bearer, 400, "filename", ""},
		{"POST", "/v1/ingest", "application/yaml", strings.Repeat("# padding\n", 200), bearer, 413, "", "larger than"},
		{"POST", "/v1/ingest?filename=bad.yaml", "", "entities:\n  - id: group:x\n    kind: Dragon\n", bearer, 422, "", "bad.yaml:3"},
		{"POST", "/v1/stats", "", "", nil, 405, "", "not allowed"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			status, body := f.do(t, c.method, c.path, c.ctype, []byte(c.body), c.hdr...)
			if status != c.status {
				t.Fatalf("%s %s: %d; want %d\n%s", c.method, c.path, status, c.status, body)
			}
			var e struct {
				Error  string         `json:"error"`
				Detail map[string]any `json:"detail"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
				t.Fatalf("%s %s: error body %s is not {\"error\": ...}: %v", c.method, c.path, body, err)
			}
			if c.param != "" && (e.Detail["parameter"] != c.param || !strings.Contains(e.Error, c.param)) {
				t.Errorf("%s %s: %s; want the error to name parameter %q", c.method, c.path, body, c.param)
			}
			if !strings.Contains(e.Error, c.msg) && !strings.Contains(string(body), c.msg) {
				t.Errorf("%s %s: %s; want it to say %q", c.method, c.path, body, c.msg)
			}
			for _, leak := range []string{"goroutine", ".go:", "/root/", "/tmp/"} {
				if strings.Contains(string(body), leak) {
					t.Errorf("%s %s: body leaks %q: %s", c.method, c.path, leak, body)
				}
			}
		})
	}
	// After the endless loop timed out, the server is still healthy and answers.
	if status, body := f.get(t, "/healthz"); status != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("/healthz after a timed-out query: %d %s", status, body)
	}
	if status, _ := f.get(t, "/v1/entities/ISIS-K"); status != 200 {
		t.Errorf("/v1/entities/ISIS-K after a timed-out query: %d", status)
	}
	// The result cap truncates and says so.
	status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(`g.V().All()`))
	var qr QueryResult
	if status != 200 || json.Unmarshal(body, &qr) != nil || !qr.Truncated || len(qr.Results) != 5 {
		t.Errorf("capped query: %d truncated=%v rows=%d; want 200, truncated, 5 rows", status, qr.Truncated, len(qr.Results))
	}
	// toArray bypasses cayley's limit; the cap still holds.
	status, body = f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(`g.Emit(g.V().ToArray())`))
	qr = QueryResult{}
	if status != 200 || json.Unmarshal(body, &qr) != nil || !qr.Truncated || qr.Rows != 5 {
		t.Errorf("capped toArray: %d %+v; want 200, truncated, 5 rows", status, qr)
	}
}

func TestReadOnly(t *testing.T) {
	f := newFixture(t, Options{})
	status, body := f.do(t, "POST", "/v1/ingest?format=nquads", "", []byte("<a> <b> <c> <d> .\n"), "Authorization", "Bearer "+testToken)
	if status != http.StatusForbidden || !strings.Contains(string(body), "read-only") {
		t.Errorf("ingest on a read-only server: %d %s; want 403 saying read-only", status, body)
	}
}

func cellFile(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("sources:\n  - id: source:test-analyst\n    publisher: Test analyst\nentities:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: group:%s-%d\n    kind: Group\n    name: %s cell %d\n    source: source:test-analyst\n    affiliateOf: group:isis-k\n", prefix, i, prefix, i)
	}
	return b.String()
}

func TestIngest(t *testing.T) {
	f := newFixture(t, Options{Token: testToken})
	bearer := []string{"Authorization", "Bearer " + testToken}
	before := f.srv.Quads()
	_, cent0 := f.get(t, "/v1/centrality?measure=degree&kinds=Group&top=50")
	status, body := f.do(t, "POST", "/v1/ingest?filename=cells.yaml", "", []byte(cellFile("test", 3)), bearer...)
	if status != 200 {
		t.Fatalf("ingest: %d %s", status, body)
	}
	var res IngestResult
	if err := json.Unmarshal(body, &res); err != nil || len(res.Files) != 1 || res.Files[0].Added == 0 || res.Files[0].File != "cells.yaml" {
		t.Fatalf("ingest answer %s: %v", body, err)
	}
	if res.Quads != before+int64(res.Files[0].Added) || f.srv.Quads() != res.Quads {
		t.Errorf("quads after ingest %d (server %d); want %d + %d", res.Quads, f.srv.Quads(), before, res.Files[0].Added)
	}
	// The card, the view (neighbours) and the memoised centrality all see the new state.
	if status, _ := f.get(t, "/v1/entities/test%20cell%201"); status != 200 {
		t.Errorf("new entity by name: %d", status)
	}
	_, nb := f.get(t, "/v1/entities/group:test-0/neighbors")
	if !strings.Contains(string(nb), `"group:isis-k"`) {
		t.Errorf("neighbours of the new entity lack ISIS-K: %s", nb)
	}
	_, cent1 := f.get(t, "/v1/centrality?measure=degree&kinds=Group&top=50")
	if bytes.Equal(cent0, cent1) || !strings.Contains(string(cent1), "group:test-0") {
		t.Errorf("centrality after ingest unchanged or lacks the new groups")
	}
	// Again: nothing new, and N-Quads by Content-Type.
	status, body = f.do(t, "POST", "/v1/ingest?filename=cells.yaml", "", []byte(cellFile("test", 3)), bearer...)
	if status != 200 || !strings.Contains(string(body), `"added": 0`) {
		t.Errorf("second ingest: %d %s; want added 0", status, body)
	}
	nq := "<group:test-0> <tg:alias> \"Test Zero\" <source:test-analyst> .\n"
	status, body = f.do(t, "POST", "/v1/ingest", "application/n-quads", []byte(nq), bearer...)
	if status != 200 || !strings.Contains(string(body), `"format": "nquads"`) {
		t.Errorf("N-Quads ingest: %d %s", status, body)
	}
	// A bad file changes nothing.
	q := f.srv.Quads()
	status, body = f.do(t, "POST", "/v1/ingest?filename=bad.yaml", "", []byte("entities:\n  - id: group:y\n    kind: Group\n    name: Y\n    source: source:nowhere\n"), bearer...)
	if status != 422 || !strings.Contains(string(body), "bad.yaml:") || f.srv.Quads() != q {
		t.Errorf("bad ingest: %d %s, quads %d -> %d; want 422 with FILE:LINE and no change", status, body, q, f.srv.Quads())
	}
}

// TestConcurrentReadDuringIngest reads while a large ingest runs: every
// answer reflects the store before or after the ingest, never between.
func TestConcurrentReadDuringIngest(t *testing.T) {
	f := newFixture(t, Options{Token: testToken})
	before := f.srv.Quads()
	file := []byte(cellFile("bulk", 3000))
	var stop atomic.Bool
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for !stop.Load() {
				resp, err := f.ts.Client().Get(f.ts.URL + "/v1/stats")
				if err != nil {
					t.Error(err)
					return
				}
				var st query.Stats
				err = json.NewDecoder(resp.Body).Decode(&st)
				resp.Body.Close()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[st.Quads]++
				mu.Unlock()
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	req, _ := http.NewRequest("POST", f.ts.URL+"/v1/ingest?filename=bulk.yaml", bytes.NewReader(file))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ingest: %d %s", resp.StatusCode, body)
	}
	after := f.srv.Quads()
	time.Sleep(50 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if after == before {
		t.Fatal("ingest added nothing")
	}
	for n, c := range seen {
		if n != before && n != after {
			t.Errorf("%d reads saw %d quads; want only %d (before) or %d (after)", c, n, before, after)
		}
	}
	if seen[before] == 0 || seen[after] == 0 {
		t.Errorf("reads saw %v; want reads both before (%d) and after (%d) the ingest", seen, before, after)
	}
}

// TestGracefulShutdown cancels the server's context while a request is in
// flight: the request finishes with its answer, Serve returns nil, and the
// listener is closed.
func TestGracefulShutdown(t *testing.T) {
	st, dir := openBuiltin(t)
	srv, err := New(t.Context(), st, Options{SnapshotDir: dir, QueryLimits: Limits{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv.HTTPServer(ln.Addr().String()), ln, 10*time.Second) }()
	base := "http://" + ln.Addr().String()
	slow := url.QueryEscape(`var t0 = Date.now(); while (Date.now() - t0 < 400) {}; g.V("<group:isis-k>").All()`)
	type answer struct {
		status int
		body   string
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Get(base + "/v1/query?lang=gizmo&q=" + slow)
		if err != nil {
			got <- answer{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- answer{status: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(150 * time.Millisecond) // the slow request is running
	cancel()
	a := <-got
	if a.err != nil || a.status != 200 || !strings.Contains(a.body, "group:isis-k") {
		t.Errorf("in-flight request during shutdown: %d %q %v; want 200 with its answer", a.status, a.body, a.err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after shutdown: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestRunQueryTimeoutStopsVM(t *testing.T) {
	st, _ := openBuiltin(t)
	start := time.Now()
	_, err := RunQuery(t.Context(), st.QuadStore(), "gizmo", "while(true){}", Limits{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrQueryTimeout) {
		t.Fatalf("endless loop: %v; want ErrQueryTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("endless loop stopped after %v; want about 100ms", d)
	}
}

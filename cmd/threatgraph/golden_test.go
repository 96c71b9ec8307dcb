package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite cmd/threatgraph/testdata/golden/*.json from the current answers")

// goldenCase is one question asked of the CLI (with --format json) and of
// the HTTP server.
type goldenCase struct {
	name string   // testdata/golden/<name>.json
	args []string // the CLI verb and its arguments, without --store and --format
	http string   // the route and query string that asks the same question
	// tol: the answer holds scores from an iterative floating-point kernel
	// (PageRank, HITS, eigenvector, and --stability, which reruns PageRank),
	// compared with the golden file within goldenTolerance.
	tol bool
}

// goldenTolerance is the largest difference allowed between a non-integer
// number of a tol case and its golden value.
const goldenTolerance = 1e-9

func goldenQ(path string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return path + "?" + v.Encode()
}

func goldenCases() []goldenCase {
	const (
		crocus  = "Crocus City Hall attack"
		editors = "source:threatgraph-editors"
		bbc     = "source:bbc-2024-03-25-gardner"
		reuters = "source:reuters-2024-03-25"
		gizmo   = `g.V("<group:isis-k>").In("<tg:perpetratedBy>").Out("<tg:name>").All()`
		graphql = `{ nodes(id: "<group:isis-k>") { id <tg:name> } }`
	)
	entity := func(id string) string { return "/v1/entities/" + url.PathEscape(id) }
	cs := []goldenCase{
		{name: "stats", args: []string{"stats"}, http: "/v1/stats"},

		{name: "show-group-isis-k", args: []string{"show", "ISIS-K"}, http: entity("ISIS-K")},
		{name: "show-person-mirzoyev", args: []string{"show", "Dalerdzhon Mirzoyev"}, http: entity("Dalerdzhon Mirzoyev")},
		{name: "show-attack-crocus", args: []string{"show", crocus}, http: entity(crocus)},
		{name: "show-place-krasnogorsk", args: []string{"show", "Krasnogorsk"}, http: entity("Krasnogorsk")},

		{name: "search-isis", args: []string{"search", "isis"}, http: goldenQ("/v1/search", "q", "isis")},
		{name: "search-isis-limit-3", args: []string{"search", "isis", "--limit", "3"}, http: goldenQ("/v1/search", "q", "isis", "limit", "3")},
		{name: "search-hit-team", args: []string{"search", "hit team"}, http: goldenQ("/v1/search", "q", "hit team")},

		{name: "centrality-betweenness-kinds-top", args: []string{"centrality", "--measure", "betweenness", "--kinds", "Group,Person", "--top", "5"},
			http: goldenQ("/v1/centrality", "measure", "betweenness", "kinds", "Group,Person", "top", "5")},
		{name: "centrality-stability", args: []string{"centrality", "--stability", "--top", "5"},
			http: goldenQ("/v1/centrality", "stability", "true", "top", "5"), tol: true},
		{name: "centrality-sources-dates", args: []string{"centrality", "--sources", bbc + "," + reuters, "--from", "2023", "--to", "2024", "--top", "5"},
			http: goldenQ("/v1/centrality", "sources", bbc+","+reuters, "from", "2023", "to", "2024", "top", "5"), tol: true},
		{name: "centrality-harmonic-exclude-sources", args: []string{"centrality", "--measure", "harmonic", "--exclude-sources", editors, "--top", "5"},
			http: goldenQ("/v1/centrality", "measure", "harmonic", "exclude-sources", editors, "top", "5")},

		{name: "path-tajikistan-crocus-k3", args: []string{"path", "Tajikistan", crocus, "--k", "3"},
			http: goldenQ("/v1/paths", "from", "Tajikistan", "to", crocus, "k", "3")},

		{name: "neighbors-isis-k-depth-1", args: []string{"neighbors", "ISIS-K", "--depth", "1"},
			http: goldenQ(entity("ISIS-K")+"/neighbors", "depth", "1")},
		{name: "neighbors-isis-k-depth-2", args: []string{"neighbors", "ISIS-K", "--depth", "2"},
			http: goldenQ(entity("ISIS-K")+"/neighbors", "depth", "2")},
		{name: "neighbors-isis-k-depth-2-predicates", args: []string{"neighbors", "ISIS-K", "--depth", "2", "--predicates", "perpetratedBy,memberOf"},
			http: goldenQ(entity("ISIS-K")+"/neighbors", "depth", "2", "predicates", "perpetratedBy,memberOf")},

		{name: "timeline-isis-k", args: []string{"timeline", "ISIS-K"}, http: entity("ISIS-K") + "/timeline"},
		{name: "timeline-crocus", args: []string{"timeline", crocus}, http: entity(crocus) + "/timeline"},
		{name: "timeline-isis-k-sources", args: []string{"timeline", "ISIS-K", "--sources", bbc + "," + reuters},
			http: goldenQ(entity("ISIS-K")+"/timeline", "sources", bbc+","+reuters)},
		{name: "timeline-isis-k-from-to", args: []string{"timeline", "ISIS-K", "--from", "2014", "--to", "2024-03-10"},
			http: goldenQ(entity("ISIS-K")+"/timeline", "from", "2014", "to", "2024-03-10")},

		{name: "preceded", args: []string{"preceded"}, http: "/v1/preceded"},
		{name: "preceded-window-30d", args: []string{"preceded", "--window", "30d"}, http: goldenQ("/v1/preceded", "window", "30d")},
		{name: "preceded-group-isis-k", args: []string{"preceded", "--group", "ISIS-K"}, http: goldenQ("/v1/preceded", "group", "ISIS-K")},
		{name: "preceded-certain", args: []string{"preceded", "--certain"}, http: goldenQ("/v1/preceded", "certain", "true")},

		{name: "contested", args: []string{"contested"}, http: "/v1/contested"},
		{name: "candidates", args: []string{"candidates"}, http: "/v1/candidates"},
		{name: "candidates-location-min-score", args: []string{"candidates", "--kind", "Location", "--min-score", "0.01", "--limit", "0"},
			http: goldenQ("/v1/candidates", "kind", "Location", "min-score", "0.01", "limit", "0")},

		{name: "communities", args: []string{"communities"}, http: "/v1/communities"},
		{name: "query-gizmo", args: []string{"query", "--lang", "gizmo", gizmo}, http: goldenQ("/v1/query", "lang", "gizmo", "q", gizmo)},
		{name: "query-graphql", args: []string{"query", "--lang", "graphql", graphql}, http: goldenQ("/v1/query", "lang", "graphql", "q", graphql)},

		{name: "communities-project-group", args: []string{"communities", "--project", "group"}, http: goldenQ("/v1/communities", "project", "group")},
	}
	for _, m := range []string{"degree", "betweenness", "closeness", "harmonic", "pagerank", "hits", "hubs", "eigenvector"} {
		iterative := m == "pagerank" || m == "hits" || m == "hubs" || m == "eigenvector"
		cs = append(cs, goldenCase{name: "centrality-" + m, args: []string{"centrality", "--measure", m},
			http: goldenQ("/v1/centrality", "measure", m), tol: iterative})
	}
	return cs
}

// TestGolden pins the --format json answers of every question-answering
// verb on the built-in dataset to testdata/golden/<name>.json, then asks the
// HTTP server (httpapi on the same store) the same questions and checks its
// bodies are byte-identical to the CLI's, as docs/http.md promises.
//
// Comparison with the golden files is byte for byte, except for the answers
// whose scores come from iterative floating-point kernels (PageRank, HITS
// authorities and hubs, eigenvector, and --stability, which reruns PageRank
// once per source): the code does not round those scores, and their last
// digits may differ between machines, so those files are decoded and
// compared structurally, every string, key, order and integer exactly and
// every other number within 1e-9. The CLI-to-HTTP comparison is always byte
// for byte, since both run on the same machine in the same process.
//
// Regenerate the golden files after an intended change of an answer with
//
//	go test ./cmd/threatgraph -run TestGolden -update
func TestGolden(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, stderr, err := runCLI(t, "demo", "--store", store, "--quiet"); err != nil {
		t.Fatalf("threatgraph demo: %v\n%s", err, stderr)
	}
	dir := filepath.Join("testdata", "golden")
	if *updateGolden {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cases := goldenCases()
	seen := map[string]bool{}
	cli := make(map[string]string, len(cases))
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("two golden cases named %s", c.name)
		}
		seen[c.name] = true
		out, stderr, err := runCLI(t, append(append([]string{}, c.args...), "--store", store, "--format", "json")...)
		if err != nil {
			t.Fatalf("threatgraph %s --format json: %v\n%s", strings.Join(c.args, " "), err, stderr)
		}
		cli[c.name] = out
	}

	t.Run("cli", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				file := filepath.Join(dir, c.name+".json")
				got := cli[c.name]
				if *updateGolden {
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (write the golden files with: go test ./cmd/threatgraph -run TestGolden -update)", err)
				}
				if got == string(want) {
					return
				}
				if c.tol {
					if err := jsonWithin([]byte(got), want, goldenTolerance); err != nil {
						t.Errorf("threatgraph %s --format json differs from %s beyond %g: %v", strings.Join(c.args, " "), file, goldenTolerance, err)
					}
					return
				}
				t.Errorf("threatgraph %s --format json differs from %s:\n%s", strings.Join(c.args, " "), file, firstDiff(got, string(want)))
			})
		}
		// A golden file no case writes is a question nobody asks any more.
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if name := strings.TrimSuffix(filepath.Base(f), ".json"); !seen[name] {
				t.Errorf("%s belongs to no golden case; delete it or add the case", f)
			}
		}
	})

	ts := serveStore(t, store, "")
	t.Run("http", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resp, err := ts.Client().Get(ts.URL + c.http)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("GET %s: reading the body: %v", c.http, err)
				}
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s: status %d: %s", c.http, resp.StatusCode, body)
				}
				if want := cli[c.name]; string(body) != want {
					t.Errorf("GET %s differs from threatgraph %s --format json:\n%s", c.http, strings.Join(c.args, " "), firstDiff(string(body), want))
				}
			})
		}
	})
}

// firstDiff describes the first line on which got and want differ, with two
// lines of context.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		if i < len(g) && i < len(w) && g[i] == w[i] {
			continue
		}
		from := max(0, i-2)
		var b strings.Builder
		fmt.Fprintf(&b, "first difference at line %d (got %d lines, want %d)\n", i+1, len(g), len(w))
		for j := from; j <= i+2; j++ {
			gl, wl := "<end>", "<end>"
			if j < len(g) {
				gl = g[j]
			}
			if j < len(w) {
				wl = w[j]
			}
			mark := " "
			if gl != wl {
				mark = "!"
			}
			fmt.Fprintf(&b, "%s %4d got:  %s\n%s %4d want: %s\n", mark, j+1, gl, mark, j+1, wl)
		}
		return b.String()
	}
	return "no line differs (byte difference only)"
}

// jsonWithin decodes got and want and reports the first place where they
// differ: any key, string, boolean, null, order or integer that is not the
// same, or a number with a fraction or exponent more than tol away.
func jsonWithin(got, want []byte, tol float64) error {
	decode := func(b []byte) (any, error) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		if _, err := d.Token(); err != io.EOF {
			return nil, fmt.Errorf("trailing data after the JSON value")
		}
		return v, nil
	}
	g, err := decode(got)
	if err != nil {
		return fmt.Errorf("got: %w", err)
	}
	w, err := decode(want)
	if err != nil {
		return fmt.Errorf("golden file: %w", err)
	}
	return jsonValueWithin("$", g, w, tol)
}

func jsonValueWithin(at string, got, want any, tol float64) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %T, want an object", at, got)
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, gok := g[k]
			wv, wok := w[k]
			if gok != wok {
				return fmt.Errorf("%s.%s: present in got %v, in golden file %v", at, k, gok, wok)
			}
			if err := jsonValueWithin(at+"."+k, gv, wv, tol); err != nil {
				return err
			}
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Errorf("%s: got %T, want an array", at, got)
		}
		if len(g) != len(w) {
			return fmt.Errorf("%s: got %d elements, want %d", at, len(g), len(w))
		}
		for i := range w {
			if err := jsonValueWithin(fmt.Sprintf("%s[%d]", at, i), g[i], w[i], tol); err != nil {
				return err
			}
		}
		return nil
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return fmt.Errorf("%s: got %v (%T), want the number %s", at, got, got, w)
		}
		if g == w {
			return nil
		}
		isInt := func(n json.Number) bool { return !strings.ContainsAny(string(n), ".eE") }
		if isInt(g) && isInt(w) {
			return fmt.Errorf("%s: got %s, want %s", at, g, w)
		}
		gf, err1 := g.Float64()
		wf, err2 := w.Float64()
		if err1 != nil || err2 != nil || math.Abs(gf-wf) > tol {
			return fmt.Errorf("%s: got %s, want %s", at, g, w)
		}
		return nil
	default:
		if got != want {
			return fmt.Errorf("%s: got %v, want %v", at, got, want)
		}
		return nil
	}
}

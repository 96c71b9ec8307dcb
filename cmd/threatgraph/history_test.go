package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/httpapi"
)

// historyQuestions are the answers the retraction must restore, asked with
// --format json (export writes GraphML).
var historyQuestions = [][]string{
	{"stats"},
	{"show", "ISIS-K"},
	{"show", "Crocus City Hall attack"},
	{"show", "Dalerdzhon Mirzoyev"},
	{"contested"},
	{"centrality", "--measure", "pagerank"},
	{"centrality", "--measure", "betweenness"},
	{"preceded"},
	{"export", "--format", "graphml"},
}

// asOfQuestions are those and the rest of the question verbs, asked with
// --as-of.
var asOfQuestions = append([][]string{
	{"search", "cell"},
	{"neighbors", "group:isis-k"},
	{"path", "person:dalerdzhon-mirzoyev", "group:isis-k"},
	{"timeline", "group:isis-k"},
	{"communities"},
}, historyQuestions...)

func askAll(t *testing.T, store string) map[string]string {
	t.Helper()
	return ask(t, store, historyQuestions)
}

// ask asks each question of qs with extra arguments.
func ask(t *testing.T, store string, qs [][]string, extra ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, q := range qs {
		args := append(append(append([]string{}, q...), "--store", store, "--quiet"), extra...)
		if q[0] != "export" {
			args = append(args, "--format", "json")
		}
		got, stderr, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("threatgraph %s: %v\n%s", strings.Join(q, " "), err, stderr)
		}
		out[strings.Join(q, " ")] = got
	}
	return out
}

func sameAnswers(t *testing.T, when string, got, want map[string]string) {
	t.Helper()
	for q, w := range want {
		if got[q] != w {
			t.Errorf("%s: threatgraph %s differs:\n%s", when, q, firstDiff(got[q], w))
		}
	}
}

func cli(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("threatgraph %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// TestRetractLoadRestoresAnswers is the bar of the load history: load A
// (the demo), answers; load B; retract B: every answer byte-identical to
// the first; undo: byte-identical to those after B; and so after reopening.
func TestRetractLoadRestoresAnswers(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	b := filepath.Join("testdata", "history", "b.yaml")
	cli(t, "demo", "--store", store, "--quiet")
	first := askAll(t, store)
	cli(t, "ingest", "--store", store, "--quiet", b)
	second := askAll(t, store)
	for q := range first {
		if q != "preceded" && first[q] == second[q] {
			t.Errorf("threatgraph %s: load B changed nothing; the test proves nothing with it", q)
		}
	}
	r := cli(t, "retract", "load:2", "--reason", "test load", "--store", store, "--format", "json")
	var rec struct{ ID, Kind, Target, Reason, User string }
	if err := json.Unmarshal([]byte(r), &rec); err != nil || rec.ID != "retraction:1" || rec.Kind != "load" || rec.Target != "load:2" || rec.Reason != "test load" {
		t.Fatalf("retract load:2: %+v, %v\n%s", rec, err, r)
	}
	sameAnswers(t, "after retracting load:2", askAll(t, store), first)

	cli(t, "retract", "--undo", "retraction:1", "--reason", "it was right", "--store", store)
	sameAnswers(t, "after undoing retraction:1", askAll(t, store), second)

	// A retraction is in the store: it holds after reopening, and the
	// history lists both the retraction and its undo.
	cli(t, "retract", "load:2", "--reason", "again", "--store", store)
	sameAnswers(t, "after retracting load:2 again (reopened)", askAll(t, store), first)
	var h graph.History
	if err := json.Unmarshal([]byte(cli(t, "loads", "--store", store, "--format", "json")), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Loads) != 2 || h.Loads[1].Retracted != "retraction:3" || h.Loads[0].Retracted != "" ||
		len(h.Retractions) != 3 || h.Retractions[0].UndoneBy != "retraction:2" || h.Retractions[1].Kind != "undo" {
		t.Errorf("threatgraph loads: %+v", h)
	}
	if h.Loads[1].Added == 0 || h.Loads[1].Quads <= h.Loads[1].Added {
		t.Errorf("load:2 added %d of %d stated; want some stated quads already there", h.Loads[1].Added, h.Loads[1].Quads)
	}
}

// TestAsOfAnswers is the bar of --as-of: as of a load, every question
// answers byte for byte what it answered just after that load, whatever
// was loaded or retracted since; each past generation's view is kept
// beside the store and reused.
func TestAsOfAnswers(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	first := ask(t, store, asOfQuestions)
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "history", "b.yaml"))
	second := ask(t, store, asOfQuestions)
	cli(t, "retract", "source:reuters-2024-03-25", "--reason", "test", "--store", store)
	third := ask(t, store, asOfQuestions)
	if third["stats"] == first["stats"] || third["stats"] == second["stats"] {
		t.Fatal("retracting a source left stats as they were; the test proves nothing")
	}
	sameAnswers(t, "as of load:1", ask(t, store, asOfQuestions, "--as-of", "load:1"), first)
	sameAnswers(t, "as of load:2", ask(t, store, asOfQuestions, "--as-of", "load:2"), second)
	sameAnswers(t, "as of retraction:1 (the present)", ask(t, store, asOfQuestions, "--as-of", "retraction:1"), third)
	sameAnswers(t, "now", ask(t, store, asOfQuestions, "--as-of", time.Now().Add(time.Minute).UTC().Format(time.RFC3339)), third)

	// The past views are kept per generation: asking again reads them.
	snap := filepath.Join(store, "asof", "gen-1", "view.snapshot")
	st, err := os.Stat(snap)
	if err != nil {
		t.Fatalf("no view kept for the past: %v", err)
	}
	sameAnswers(t, "as of load:1, again", ask(t, store, asOfQuestions, "--as-of", "load:1"), first)
	if st2, err := os.Stat(snap); err != nil || !st2.ModTime().Equal(st.ModTime()) {
		t.Errorf("the past view was rebuilt (%v, %v); want it reused", st2, err)
	}

	// Before the first load: an empty store.
	var stats struct{ Quads int }
	if err := json.Unmarshal([]byte(cli(t, "stats", "--store", store, "--as-of", "2001-01-01", "--format", "json")), &stats); err != nil || stats.Quads != 0 {
		t.Errorf("stats as of 2001: %+v, %v; want no quads", stats, err)
	}
	_, stderr, err := runCLI(t, "show", "ISIS-K", "--store", store, "--as-of", "load:7")
	if exitCode(err) != exitBadInput || !strings.Contains(err.Error(), "--as-of: load:7: no such load") {
		t.Errorf("--as-of load:7: exit %d, %v\n%s; want exit 2 naming the flag and the load", exitCode(err), err, stderr)
	}
}

// TestRetractSourceAndSharedFacts: retracting a source takes out what it
// stated; a statement that two loads make survives retracting one.
func TestRetractSourceAndSharedFacts(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	first := askAll(t, store)
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "history", "b.yaml"))
	cli(t, "retract", "source:test-wire-2024-03-26", "--reason", "made up", "--store", store)
	after := askAll(t, store)
	// B's only other statement is Reuters', which the demo made too.
	sameAnswers(t, "after retracting B's source", after, first)

	// Retract the demo: Reuters' statement, which B also makes, stays.
	cli(t, "retract", "--undo", "retraction:1", "--reason", "back", "--store", store)
	cli(t, "retract", "load:1", "--reason", "test", "--store", store)
	show := cli(t, "show", "group:isis-k", "--store", store, "--format", "json")
	if !strings.Contains(show, "Islamic State Khorasan - or ISIS-K") {
		t.Errorf("a statement of two loads left with one of them:\n%s", show)
	}
	if strings.Contains(show, "IS-K is an abbreviation") {
		t.Errorf("a statement of the retracted load only is still shown:\n%s", show)
	}

	// Retracting a statement.
	cli(t, "retract", "--undo", "retraction:3", "--reason", "back", "--store", store)
	const quote = "IS-K is an abbreviation of Islamic State-Khorasan"
	var stmt string
	for _, line := range strings.Split(cli(t, "export", "--format", "nquads", "--store", store), "\n") {
		if strings.Contains(line, quote) {
			stmt = regexp.MustCompile(`source:bbc-2024-03-25-gardner#e-[0-9a-z]+`).FindString(line)
		}
	}
	if stmt == "" {
		t.Fatalf("no statement quoting %q in the export", quote)
	}
	before := cli(t, "show", "group:isis-k", "--store", store, "--format", "json")
	cli(t, "retract", stmt, "--reason", "misquoted", "--store", store)
	show = cli(t, "show", "group:isis-k", "--store", store, "--format", "json")
	if !strings.Contains(before, quote) || strings.Contains(show, quote) || !strings.Contains(show, "bbc-2024-03-25-gardner") {
		t.Errorf("retracting statement %s: the quote should leave the card, the source's other statements stay:\n%s", stmt, show)
	}
	// Its own quads (the quote, labelled with the source) go too: not in
	// the export, not found by search.
	if nq := cli(t, "export", "--format", "nquads", "--store", store); strings.Contains(nq, quote) || strings.Contains(nq, stmt+">") {
		t.Errorf("the export after retracting %s still has it or its quote", stmt)
	}
	if hits := cli(t, "search", "abbreviation of Islamic State-Khorasan", "--store", store, "--format", "json"); strings.Contains(hits, quote) {
		t.Errorf("search finds the quote of retracted %s:\n%s", stmt, hits)
	}
}

// TestRetractBadInput: ids that name nothing, a second retraction of the
// same thing and a missing reason are bad input (exit 2), saying what was
// expected.
func TestRetractBadInput(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	cli(t, "retract", "load:1", "--reason", "x", "--store", store)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"retract", "load:9", "--reason", "x"}, "no such load (expected a load id"},
		{[]string{"retract", "group:isis-k", "--reason", "x"}, "not a load, source or statement"},
		{[]string{"retract", "source:nobody#e-00", "--reason", "x"}, "no fact has this statement"},
		{[]string{"retract", "load:1", "--reason", "x"}, "already retracted by retraction:1"},
		{[]string{"retract", "load:1"}, "expected --reason TEXT"},
		{[]string{"retract", "--undo", "load:1", "--reason", "x"}, "no such retraction"},
		{[]string{"retract", "--undo", "retraction:7", "--reason", "x"}, "retraction:1"},
		{[]string{"retract", "source:reuters-2024-03-25", "--reason", strings.Repeat("x", 2001)}, "a reason of 2001 bytes (expected at most 2000)"},
	} {
		_, _, err := runCLI(t, append(c.args, "--store", store)...)
		if err == nil || exitCode(err) != exitBadInput || !strings.Contains(err.Error(), c.want) {
			t.Errorf("threatgraph %s: %v (exit %d); want exit 2 saying %q", strings.Join(c.args, " "), err, exitCode(err), c.want)
		}
	}
}

// TestRetractOverHTTP: the history verbs as routes; the retraction behind
// the token, and the answers after it those before the load.
func TestRetractOverHTTP(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	paths := map[string]string{"stats": "/v1/stats", "show ISIS-K": "/v1/entities/ISIS-K", "contested": "/v1/contested"}
	first := askAll(t, store)
	ts := serveStore(t, store, "secret")
	do := func(method, path, token string, body []byte) (int, string) {
		t.Helper()
		return request(t, ts, method, path, token, body)
	}
	_, firstExport := do("GET", "/v1/export/nquads", "", nil)
	b, err := os.ReadFile(filepath.Join("testdata", "history", "b.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := do("POST", "/v1/ingest?filename=b.yaml", "secret", b); code != 200 {
		t.Fatalf("POST /v1/ingest: %d %s", code, body)
	}
	if code, body := do("GET", "/v1/stats", "", nil); code != 200 || body == first["stats"] {
		t.Fatalf("after ingest: %d, stats unchanged: %v", code, body == first["stats"])
	}
	paths["centrality --measure pagerank"] = "/v1/centrality?measure=pagerank"
	second := map[string]string{}
	for q, p := range paths {
		_, second[q] = do("GET", p, "", nil)
	}
	if code, _ := do("POST", "/v1/retract?target=load:2&reason=test", "", nil); code != 401 {
		t.Errorf("POST /v1/retract without the token: %d; want 401", code)
	}
	if code, body := do("POST", "/v1/retract?target=load:7&reason=test", "secret", nil); code != 400 || !strings.Contains(body, "no such load") {
		t.Errorf("POST /v1/retract of load:7: %d %s; want 400 no such load", code, body)
	}
	if code, body := do("POST", "/v1/retract?target=load:2&reason=test", "secret", nil); code != 200 || !strings.Contains(body, `"retraction:1"`) {
		t.Fatalf("POST /v1/retract: %d %s", code, body)
	}
	for q, p := range paths {
		if code, body := do("GET", p, "", nil); code != 200 || body != first[q] {
			t.Errorf("GET %s after the retraction: %d\n%s", p, code, firstDiff(body, first[q]))
		}
	}
	// as_of: the answers as they were just after each load.
	for q, p := range paths {
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		if code, body := do("GET", p+sep+"as_of=load:1", "", nil); code != 200 || body != first[q] {
			t.Errorf("GET %s as of load:1: %d\n%s", p, code, firstDiff(body, first[q]))
		}
		if code, body := do("GET", p+sep+"as_of=load:2", "", nil); code != 200 || body != second[q] {
			t.Errorf("GET %s as of load:2: %d\n%s", p, code, firstDiff(body, second[q]))
		}
	}
	if code, body := do("GET", "/v1/export/nquads?as_of=load:1", "", nil); code != 200 || body != firstExport {
		t.Errorf("GET /v1/export/nquads?as_of=load:1: %d\n%s", code, firstDiff(body, firstExport))
	}
	if code, body := do("GET", "/v1/export/nquads?as_of=load:2", "", nil); code != 200 || body == firstExport {
		t.Errorf("GET /v1/export/nquads?as_of=load:2: %d, the same as load:1's: %v", code, body == firstExport)
	}
	if code, body := do("GET", "/v1/stats?as_of=load:9", "", nil); code != 400 || !strings.Contains(body, `"as_of"`) || !strings.Contains(body, "no such load") {
		t.Errorf("GET /v1/stats?as_of=load:9: %d %s; want 400 naming as_of", code, body)
	}
	for q, want := range map[string]string{"load:1": "load:1 20", "2001-01-01": "before the first record", "load:2": "load:2 20"} {
		resp, err := ts.Client().Get(ts.URL + "/v1/stats?as_of=" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get(httpapi.AsOfHeader); !strings.HasPrefix(got, want) {
			t.Errorf("as_of=%s: %s %q; want it to start %q", q, httpapi.AsOfHeader, got, want)
		}
	}
	if _, body := do("GET", "/v1/stats?as_of=load:9", "", nil); strings.Contains(body, "expected no such") {
		t.Errorf("GET /v1/stats?as_of=load:9 says expected twice: %s", body)
	}
	code, body := do("GET", "/v1/loads", "", nil)
	var h graph.History
	if err := json.Unmarshal([]byte(body), &h); code != 200 || err != nil || len(h.Loads) != 2 || h.Loads[1].Via != "http" || h.Loads[1].Retracted != "retraction:1" || h.Loads[1].Files[0].SHA256 == "" {
		t.Errorf("GET /v1/loads: %d %v %s", code, err, body)
	}
}

// TestLoadsGolden pins threatgraph loads --format json on the demo to
// testdata/loads-demo.json, with the time, user and host (which vary from
// run to run) replaced by placeholders; -update rewrites it.
func TestLoadsGolden(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	got := cli(t, "loads", "--store", store, "--format", "json")
	for _, f := range []string{"time", "user", "host"} {
		got = regexp.MustCompile(`"`+f+`": "[^"]*"`).ReplaceAllString(got, `"`+f+`": "(`+f+`)"`)
	}
	file := filepath.Join("testdata", "loads-demo.json")
	if *updateGolden {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("threatgraph loads --format json differs from %s:\n%s", file, firstDiff(got, string(want)))
	}
}

// TestRetractedExportLoads: after retracting a source whose statements
// analysts' judgements judge or cite, the judgements of its statements go
// with them and the citations of them go, so both exports load on their
// own into an empty store and answer as the store they came from.
func TestRetractedExportLoads(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	before := cli(t, "export", "--format", "nquads", "--store", store)
	cli(t, "retract", "source:slate-2024-03-25-kaplan", "--reason", "test", "--store", store)
	stats := cli(t, "stats", "--store", store, "--format", "json")
	for _, format := range []string{"nquads", "json"} {
		out := filepath.Join(dir, "export."+map[string]string{"nquads": "nq", "json": "json"}[format])
		cli(t, "export", "--format", format, "--store", store, "--out", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "slate-2024-03-25-kaplan") {
			t.Errorf("the %s export names the retracted source", format)
		}
		again := filepath.Join(dir, format+".db")
		if _, stderr, err := runCLI(t, "ingest", out, "--store", again, "--quiet"); err != nil {
			t.Fatalf("the %s export after a retraction does not load: %v\n%s", format, err, stderr)
		}
		if got := cli(t, "stats", "--store", again, "--format", "json"); got != stats {
			t.Errorf("stats of the %s export loaded again:\n%s", format, firstDiff(got, stats))
		}
	}
	if !strings.Contains(before, "slate-2024-03-25-kaplan") || !strings.Contains(before, "<tg:judges> <source:slate-2024-03-25-kaplan#") {
		t.Fatal("the demo has no judgement of a Slate statement; the test proves nothing")
	}
	// Undone, the judgements are back.
	cli(t, "retract", "--undo", "retraction:1", "--reason", "back", "--store", store)
	if got := cli(t, "export", "--format", "nquads", "--store", store); got != before {
		t.Errorf("after the undo the export differs:\n%s", firstDiff(got, before))
	}
}

// TestRetractSaysWhatLeft: retract says how many quads left the answers
// (none when another load states them all), undo how many came back, and
// loads prints a reason's control characters escaped.
func TestRetractSaysWhatLeft(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	cli(t, "demo", "--store", store, "--quiet") // load:2 states what load:1 does
	if out := cli(t, "retract", "load:2", "--reason", "twice", "--store", store); !strings.Contains(out, "load:2: 0 quads left the answers (what it states is also stated by loads not retracted") {
		t.Errorf("retracting a load another restates:\n%s", out)
	}
	var st struct{ Quads int }
	if err := json.Unmarshal([]byte(cli(t, "stats", "--store", store, "--format", "json")), &st); err != nil {
		t.Fatal(err)
	}
	out := cli(t, "retract", "source:slate-2024-03-25-kaplan", "--reason", "a\x1b]0;pwned\x07b", "--store", store)
	var left int
	if _, err := fmt.Sscanf(out[strings.Index(out, "kaplan: ")+len("kaplan: "):], "%d quads left", &left); err != nil || left == 0 {
		t.Fatalf("retracting Slate: %q (%v)", out, err)
	}
	var after struct{ Quads int }
	if err := json.Unmarshal([]byte(cli(t, "stats", "--store", store, "--format", "json")), &after); err != nil || st.Quads-after.Quads != left {
		t.Errorf("retract said %d quads left; stats went from %d to %d", left, st.Quads, after.Quads)
	}
	if out := cli(t, "retract", "--undo", "retraction:2", "--reason", "back", "--store", store); !strings.Contains(out, fmt.Sprintf("%d quads back in the answers", left)) {
		t.Errorf("undo: %q; want %d quads back", out, left)
	}
	if _, _, err := runCLI(t, "retract", "--undo", "retraction:3", "--reason", "x", "--store", store); exitCode(err) != exitBadInput || !strings.Contains(err.Error(), "retraction:3: an undo (of retraction:2), which cannot be undone") {
		t.Errorf("undoing an undo: %v", err)
	}
	for _, when := range []string{"2001", "2001-06", "2001-06-30"} {
		if _, stderr, err := runCLI(t, "stats", "--as-of", when, "--store", store); err != nil || !strings.Contains(stderr, "before the first load recorded, so the store was empty") {
			t.Errorf("--as-of %s: %v\n%s", when, err, stderr)
		}
	}
	if out := cli(t, "loads", "--store", store); strings.Contains(out, "\x1b") || !strings.Contains(out, `a\x1b]0;pwned\x07b`) {
		t.Errorf("loads prints the reason raw:\n%q", out)
	}
	if out := cli(t, "ingest", "--store", store, filepath.Join("testdata", "history", "b.yaml")); !strings.Contains(out, "recorded as load:3 (threatgraph retract load:3") {
		t.Errorf("ingest does not say which load it recorded:\n%s", out)
	}
	// New facts of a retracted source load, hidden, and ingest says so.
	cli(t, "retract", "source:slate-2024-03-25-kaplan", "--reason", "again", "--store", store)
	f := filepath.Join(t.TempDir(), "slate.yaml")
	if err := os.WriteFile(f, []byte("format: threatgraph/1\nentities:\n  - id: group:herat-cell\n    kind: Group\n    name: Herat cell\n    source: source:slate-2024-03-25-kaplan\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runCLI(t, "ingest", "--store", store, f); err != nil || !strings.Contains(stderr, "warning: 3 of the 3 quads added are hidden by retractions in force") {
		t.Errorf("ingest under a retracted source: %v\n%s", err, stderr)
	}
	if _, _, err := runCLI(t, "retract", "source:slate-2024-03-25-kaplan#e-570cf5a8", "--reason", "x", "--store", store); exitCode(err) != exitBadInput || !strings.Contains(err.Error(), "hidden with its source source:slate-2024-03-25-kaplan by retraction:4") {
		t.Errorf("retracting a statement of a retracted source: %v", err)
	}
}

// TestArgCountIsUsage: a wrong number of arguments is bad input (exit 2)
// on every command, naming the command and its usage.
func TestArgCountIsUsage(t *testing.T) {
	for _, args := range [][]string{{"retract"}, {"ingest"}, {"show"}, {"path", "a"}, {"purge"}, {"loads", "x"}, {"retract", "--undo", "a", "b"}} {
		_, _, err := runCLI(t, args...)
		if exitCode(err) != exitBadInput || !strings.Contains(err.Error(), "threatgraph "+args[0]) || !strings.Contains(err.Error(), "usage: threatgraph "+args[0]) {
			t.Errorf("threatgraph %s: exit %d, %v; want exit 2 with the usage", strings.Join(args, " "), exitCode(err), err)
		}
	}
}

// TestSameOnTheDemo: same with its default source works on a store that
// never declared it (the demo's), and its undo splits again.
func TestSameOnTheDemo(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	before := cli(t, "show", "ISIS-K", "--store", store, "--format", "json")
	cli(t, "same", "group:isis-k", "group:islamic-state", "--reason", "test", "--store", store)
	if show := cli(t, "show", "ISIS-K", "--store", store, "--format", "json"); !strings.Contains(show, `"group:islamic-state"`) || !strings.Contains(show, `"source:analyst"`) {
		t.Errorf("after same, the card of ISIS-K:\n%s", show)
	}
	// Provenance reads the quads as stored, under whichever id.
	cli(t, "same", "group:isis-k", "group:isis-egypt", "--reason", "test", "--store", store)
	var ds []struct {
		Subject, Predicate string
		Values             []struct {
			Evidence []struct {
				Source string
				Loads  []struct{ Load string }
			}
		}
	}
	if err := json.Unmarshal([]byte(cli(t, "contested", "--loads", "--format", "json", "--store", store)), &ds); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, d := range ds {
		if d.Predicate != "founded" {
			continue
		}
		for _, v := range d.Values {
			for _, e := range v.Evidence {
				if checked++; len(e.Loads) == 0 || e.Loads[0].Load != "load:1" {
					t.Errorf("contested --loads of merged %s founded: %s's evidence names loads %v; want load:1", d.Subject, e.Source, e.Loads)
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no contested founding date after the merge; the check proves nothing")
	}
	cli(t, "same", "group:isis-k", "group:isis-egypt", "--undo", "--reason", "test", "--store", store)
	cli(t, "same", "group:isis-k", "group:islamic-state", "--undo", "--reason", "test", "--store", store)
	if show := cli(t, "show", "ISIS-K", "--store", store, "--format", "json"); show != before {
		t.Errorf("after the undo:\n%s", firstDiff(show, before))
	}
}

// TestPurgeAfterRetract: a statement retracted first is purged (it is still
// stored); a purged source's judged and cited statements leave no
// judgement or citation behind, so the export loads on its own; the
// compacted file keeps the store's permissions.
func TestPurgeAfterRetract(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	const stmt = "source:nyt-2024-03-25-schmitt#e-c2ec0bec"
	cli(t, "retract", stmt, "--reason", "x", "--store", store)
	if out := cli(t, "purge", stmt, "--reason", "x", "--yes", "--store", store); !strings.Contains(out, "purged statement "+stmt) {
		t.Errorf("purge of a retracted statement:\n%s", out)
	}
	bolt := filepath.Join(store, "indexes.bolt")
	if err := os.Chmod(bolt, 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, "purge", "source:bbc-2024-03-25-gardner", "--reason", "must go", "--yes", "--store", store)
	if st, err := os.Stat(bolt); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("after compaction the store's file is %v (%v); want it kept 0600", st.Mode(), err)
	}
	out := filepath.Join(dir, "after.nq")
	cli(t, "export", "--format", "nquads", "--store", store, "--out", out)
	again := filepath.Join(dir, "again.db")
	if _, stderr, err := runCLI(t, "ingest", out, "--store", again, "--quiet"); err != nil {
		t.Fatalf("the export after a purge does not load: %v\n%s", err, stderr)
	}
	if got, want := cli(t, "stats", "--store", again, "--format", "json"), cli(t, "stats", "--store", store, "--format", "json"); got != want {
		t.Errorf("stats of the export loaded again:\n%s", firstDiff(got, want))
	}
}

// request sends method path (with the bearer token, when one is given)
// to ts and returns the status and body.
func request(t *testing.T, ts *httptest.Server, method, path, token string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

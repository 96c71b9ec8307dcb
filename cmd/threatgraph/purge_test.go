package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
)

// runCLIIn runs the CLI with stdin (not a terminal).
func runCLIIn(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd(&out, &errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

// purgeQuestions are every question verb (asOfQuestions) and the export
// as N-Quads, which lists every stored quad.
var purgeQuestions = append([][]string{{"export", "--format", "nquads"}}, asOfQuestions...)

// TestPurgeAnswersAsNeverLoaded is the bar of purge: after the demo and
// load B, purging B (its load, or its source) leaves every answer byte for
// byte what a store that only ever had the demo answers; purging the demo
// load keeps the statement B also stated. The purge is listed (not its
// content) and answered as JSON with the quads removed.
func TestPurgeAnswersAsNeverLoaded(t *testing.T) {
	b := filepath.Join("testdata", "history", "b.yaml")
	demoOnly := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", demoOnly, "--quiet")
	want := ask(t, demoOnly, purgeQuestions)

	for _, target := range []string{"load:2", "source:test-wire-2024-03-26"} {
		t.Run(target, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "tg.db")
			cli(t, "demo", "--store", store, "--quiet")
			cli(t, "ingest", "--store", store, "--quiet", b)
			before := ask(t, store, purgeQuestions)
			if before["stats"] == want["stats"] {
				t.Fatal("load B changed no answer; the test proves nothing")
			}
			out := cli(t, "purge", target, "--reason", "test: must be gone", "--yes", "--store", store, "--format", "json")
			var res graph.Purged
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("purge --format json: %v\n%s", err, out)
			}
			if res.ID != "purge:1" || res.Target != target || res.Removed == 0 || res.Removed != len(res.Quads) || !res.Compacted {
				t.Errorf("purge answered %+v, compacted %v", res.Purge, res.Compacted)
			}
			// Gone from the store's directory, free pages included
			// (compacted), the view snapshot and the text index too.
			if err := filepath.WalkDir(store, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				raw, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				for _, w := range []string{"Test Cell", "a cell of ISIS-K", "A wire report"} {
					if bytes.Contains(raw, []byte(w)) {
						t.Errorf("after purging %s, %s still holds %q", target, p, w)
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for _, q := range res.Quads {
				if strings.Contains(q, "reuters") {
					t.Errorf("purged a quad of another source: %s", q)
				}
			}
			sameAnswers(t, "after purging "+target, ask(t, store, purgeQuestions), want)
			// and once more, now that views and indexes were rebuilt
			sameAnswers(t, "after purging "+target+" (asked again)", ask(t, store, purgeQuestions), want)

			var h graph.History
			if err := json.Unmarshal([]byte(cli(t, "loads", "--store", store, "--format", "json")), &h); err != nil {
				t.Fatal(err)
			}
			if len(h.Purges) != 1 || h.Purges[0].Removed != res.Removed || h.Purges[0].Reason != "test: must be gone" || h.Purges[0].User == "" {
				t.Errorf("loads lists purges %+v", h.Purges)
			}
			if rec, _ := json.Marshal(h); strings.Contains(string(rec), "Test Cell") {
				t.Error("the history holds purged content")
			}
			if (target == "load:2") != (h.Loads[1].Purged == "purge:1") {
				t.Errorf("load:2 marked purged %q after purging %s", h.Loads[1].Purged, target)
			}
			// The past forgets it too: as of load:2, B is not there.
			past := ask(t, store, [][]string{{"stats"}}, "--as-of", "load:2")
			if past["stats"] != want["stats"] {
				t.Errorf("stats --as-of load:2 after the purge:\n%s", firstDiff(past["stats"], want["stats"]))
			}
		})
	}

	t.Run("load:1 keeps what load:2 also stated", func(t *testing.T) {
		store := filepath.Join(t.TempDir(), "tg.db")
		cli(t, "demo", "--store", store, "--quiet")
		cli(t, "ingest", "--store", store, "--quiet", b)
		cli(t, "purge", "load:1", "--reason", "test", "--yes", "--store", store)
		nq := cli(t, "export", "--format", "nquads", "--store", store, "--quiet")
		for _, want := range []string{
			`<group:isis-k> <tg:alias> "ISIS-K" <source:reuters-2024-03-25#e-`,
			`<group:test-cell> <tg:name> "Test Cell" <source:test-wire-2024-03-26>`,
		} {
			if !strings.Contains(nq, want) {
				t.Errorf("after purging load:1 the store lacks %s", want)
			}
		}
		if strings.Contains(nq, "source:bbc-2024-03-25-gardner") {
			t.Error("after purging load:1 the store still holds the BBC's facts")
		}
	})
}

// TestPurgeRefuses: a bad target, no reason, or no --yes without a
// terminal is exit 2 and changes nothing (answers and history alike).
func TestPurgeRefuses(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "history", "b.yaml"))
	want := ask(t, store, historyQuestions)
	loads := cli(t, "loads", "--store", store, "--format", "json")
	for _, args := range [][]string{
		{"load:9", "--reason", "x", "--yes"},
		{"load:x", "--reason", "x", "--yes"},
		{"source:nobody", "--reason", "x", "--yes"},
		{"source:reuters-2024-03-25#e-00000000", "--reason", "x", "--yes"},
		{"group:isis-k", "--reason", "x", "--yes"},
		{"load:2", "--yes"},
		{"load:2", "--reason", " ", "--yes"},
		{"load:2", "--reason", "no terminal, no --yes"},
	} {
		_, stderr, err := runCLIIn(t, "yes\n", append([]string{"purge", "--store", store}, args...)...)
		if err == nil || exitCode(err) != exitBadInput {
			t.Errorf("purge %v: %v (exit %d), want exit 2\n%s", args, err, exitCode(err), stderr)
		}
	}
	sameAnswers(t, "after refused purges", ask(t, store, historyQuestions), want)
	if got := cli(t, "loads", "--store", store, "--format", "json"); got != loads {
		t.Errorf("refused purges changed the history:\n%s", firstDiff(got, loads))
	}
	cli(t, "purge", "load:2", "--reason", "once", "--yes", "--store", store)
	if _, _, err := runCLIIn(t, "", "purge", "load:2", "--reason", "twice", "--yes", "--store", store); err == nil || exitCode(err) != exitBadInput {
		t.Errorf("purging load:2 twice: %v, want exit 2", err)
	}
}

// TestPurgeOverHTTP: POST /v1/purge behind the token; after it the served
// answers, as of the present and as of load:2, are those of the store
// before load B; a bad target is a 400 naming target and purges nothing.
func TestPurgeOverHTTP(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	first := askAll(t, store)
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "history", "b.yaml"))
	ts := serveStore(t, store, "secret")
	do := func(method, path, token string) (int, string) {
		t.Helper()
		return request(t, ts, method, path, token, nil)
	}
	paths := map[string]string{"stats": "/v1/stats", "show ISIS-K": "/v1/entities/ISIS-K", "contested": "/v1/contested"}
	// a past state kept by the server before the purge must not survive it
	if code, body := do("GET", "/v1/stats?as_of=load:2", ""); code != 200 || body == first["stats"] {
		t.Fatalf("GET /v1/stats?as_of=load:2 before the purge: %d, unchanged %v", code, body == first["stats"])
	}
	if code, _ := do("POST", "/v1/purge?target=load:2&reason=test", ""); code != 401 {
		t.Errorf("POST /v1/purge without the token: %d; want 401", code)
	}
	if code, body := do("POST", "/v1/purge?target=load:7&reason=test", "secret"); code != 400 || !strings.Contains(body, `"target"`) || !strings.Contains(body, "no such load") {
		t.Errorf("POST /v1/purge of load:7: %d %s; want 400 naming target", code, body)
	}
	if code, body := do("POST", "/v1/purge?target=load:2", "secret"); code != 400 || !strings.Contains(body, "reason") {
		t.Errorf("POST /v1/purge without a reason: %d %s; want 400", code, body)
	}
	code, body := do("POST", "/v1/purge?target=load:2&reason=test", "secret")
	var res graph.Purged
	if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil || res.ID != "purge:1" || res.Removed == 0 || len(res.Quads) != res.Removed || !res.Compacted {
		t.Fatalf("POST /v1/purge: %d %v %s", code, err, body)
	}
	for q, p := range paths {
		if code, body := do("GET", p, ""); code != 200 || body != first[q] {
			t.Errorf("GET %s after the purge: %d\n%s", p, code, firstDiff(body, first[q]))
		}
	}
	if code, body := do("GET", "/v1/stats?as_of=load:2", ""); code != 200 || body != first["stats"] {
		t.Errorf("GET /v1/stats?as_of=load:2 after the purge: %d\n%s", code, firstDiff(body, first["stats"]))
	}
	code, body = do("GET", "/v1/loads", "")
	var h graph.History
	if err := json.Unmarshal([]byte(body), &h); code != 200 || err != nil || len(h.Purges) != 1 || h.Loads[1].Purged != "purge:1" {
		t.Errorf("GET /v1/loads: %d %v %s", code, err, body)
	}
}

// TestPurgeStatement: purging a statement removes the facts labelled
// with it and its own quads (the quote, labelled with its source), from
// the answers and from the file; the analysts' judgements that cite it
// are theirs and stay.
func TestPurgeStatement(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	const st = "source:reuters-2024-03-25#e-147ec72e"
	const quote = "it grabbed global attention with a suicide bombing on Kabul international airport"
	want := 0 // the quads labelled with the statement, and its own
	for _, line := range strings.Split(cli(t, "export", "--format", "nquads", "--store", store, "--quiet"), "\n") {
		if strings.HasSuffix(line, "<"+st+"> .") || strings.HasPrefix(line, "<"+st+"> ") {
			want++
		}
	}
	if want < 3 {
		t.Fatalf("the demo has %d quads of the statement; the test proves little", want)
	}
	var res graph.Purged
	if err := json.Unmarshal([]byte(cli(t, "purge", st, "--reason", "test", "--yes", "--store", store, "--format", "json")), &res); err != nil {
		t.Fatal(err)
	}
	if res.Kind != "statement" || res.Removed != want {
		t.Errorf("purge %s: %+v; want %d quads removed", st, res.Purge, want)
	}
	for _, line := range strings.Split(cli(t, "export", "--format", "nquads", "--store", store, "--quiet"), "\n") {
		if strings.Contains(line, st) && !strings.HasPrefix(line, "<judgement:") {
			t.Errorf("after the purge the store holds %s", line)
		}
	}
	raw, err := os.ReadFile(filepath.Join(store, "indexes.bolt"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(quote)) {
		t.Error("after the purge the store's file holds the quote")
	}
	cli(t, "show", "Kabul airport bombing", "--store", store, "--format", "json")
	cli(t, "contested", "--store", store, "--format", "json")
}

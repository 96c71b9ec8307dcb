package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// identityQuestions are the answers the bar of same compares: centrality
// (several measures), paths and exports.
var identityQuestions = [][]string{
	{"centrality"},
	{"centrality", "--measure", "betweenness"},
	{"centrality", "--measure", "closeness"},
	{"centrality", "--measure", "degree"},
	{"path", "person:p", "place:x"},
	{"path", "person:p", "group:c"},
	{"export", "--format", "nquads"},
	{"export", "--format", "graphml"},
}

func identityStores(t *testing.T) (split, merged string) {
	t.Helper()
	dir := t.TempDir()
	split, merged = filepath.Join(dir, "split.db"), filepath.Join(dir, "merged.db")
	cli(t, "ingest", "--store", split, "--quiet", filepath.Join("testdata", "same", "split.yaml"))
	cli(t, "ingest", "--store", merged, "--quiet", filepath.Join("testdata", "same", "merged.yaml"))
	return split, merged
}

// TestSameEqualsMerged is the bar: after same group:a group:b, the
// answers equal those of the dataset that wrote them as one (group:a);
// after undo, the split answers byte for byte; different wins over same.
func TestSameEqualsMerged(t *testing.T) {
	split, merged := identityStores(t)
	before := ask(t, split, identityQuestions)
	want := ask(t, merged, identityQuestions)
	for q := range want {
		if before[q] == want[q] {
			t.Errorf("threatgraph %s: split and merged datasets answer alike; the test proves nothing with it", q)
		}
	}
	cli(t, "same", "group:a", "group:b", "--reason", "one group under two names", "--store", split, "--quiet")
	sameAnswers(t, "after same", ask(t, split, identityQuestions), want)
	sameAnswers(t, "as of before same", ask(t, split, identityQuestions, "--as-of", "load:1"), before)
	card := cli(t, "show", "group:b", "--store", split, "--format", "json")
	for _, w := range []string{`"id": "group:a"`, `"ids": [`, `"group:b"`, `"same_as"`, `"reason": "one group under two names"`, `"stated_of": "group:b"`, `"value": "Bravo"`, `"value": "Alpha"`} {
		if !strings.Contains(card, w) {
			t.Errorf("show group:b after same lacks %s:\n%s", w, card)
		}
	}
	if loads := cli(t, "loads", "--store", split, "--format", "json"); !strings.Contains(loads, `"via": "same"`) {
		t.Errorf("loads does not list the same:\n%s", loads)
	}
	cli(t, "same", "group:a", "group:b", "--undo", "--reason", "not so sure", "--store", split, "--quiet")
	sameAnswers(t, "after same --undo", ask(t, split, identityQuestions), before)
	// Again: the statement comes back (its retraction undone).
	cli(t, "same", "group:a", "group:b", "--reason", "one group under two names", "--store", split, "--quiet")
	sameAnswers(t, "after same again", ask(t, split, identityQuestions), want)
	cli(t, "different", "group:b", "group:a", "--reason", "two groups after all", "--store", split, "--quiet")
	sameAnswers(t, "after different", ask(t, split, identityQuestions), before)
	if card := cli(t, "show", "group:b", "--store", split, "--format", "json"); !strings.Contains(card, `"different_from"`) || !strings.Contains(card, `"applied": false`) {
		t.Errorf("show group:b after different lacks the blocked same and the different:\n%s", card)
	}
	cli(t, "different", "group:a", "group:b", "--undo", "--reason", "one after all", "--store", split, "--quiet")
	sameAnswers(t, "after different --undo", ask(t, split, identityQuestions), want)
}

// TestSameBadInput: unknown ids, one id twice, kinds that differ, a
// missing reason or an unknown source are bad input (exit 2) that names
// the field, and nothing is written.
func TestSameBadInput(t *testing.T) {
	split, _ := identityStores(t)
	before := ask(t, split, identityQuestions)
	loads := cli(t, "loads", "--store", split, "--format", "json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"same", "group:a", "group:nope", "--reason", "r"}, "identities[0].same[1]: group:nope"},
		{[]string{"same", "group:a", "group:a", "--reason", "r"}, "group:a twice"},
		{[]string{"same", "group:a", "person:p", "--reason", "r"}, "group:a is a Group and person:p a Person"},
		{[]string{"same", "group:a", "source:s1", "--reason", "r"}, "source:s1 is a Source"},
		{[]string{"same", "group:a", "group:b"}, "--reason is required"},
		{[]string{"same", "group:a", "group:b", "--reason", "r", "--source", "source:nobody"}, "identities[0].source"},
		{[]string{"different", "group:a", "group:b", "--undo", "--reason", "r"}, "no such identity statement"},
	} {
		_, stderr, err := runCLI(t, append(c.args, "--store", split)...)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("threatgraph %s: err %v (exit %d), want exit 2", strings.Join(c.args, " "), err, exitCode(err))
			continue
		}
		if msg := stderr + err.Error(); !strings.Contains(msg, c.want) {
			t.Errorf("threatgraph %s: %q lacks %q", strings.Join(c.args, " "), msg, c.want)
		}
	}
	sameAnswers(t, "after bad input", ask(t, split, identityQuestions), before)
	if got := cli(t, "loads", "--store", split, "--format", "json"); got != loads {
		t.Errorf("bad input recorded a load:\n%s", firstDiff(got, loads))
	}
}

// TestSameOverHTTP: POST /v1/same behind the token; the routes then answer
// as the merged dataset's CLI does, and after undo as the split one's.
func TestSameOverHTTP(t *testing.T) {
	split, merged := identityStores(t)
	paths := map[string]string{"centrality": "/v1/centrality", "path person:p place:x": "/v1/paths?from=person:p&to=place:x"}
	qs := [][]string{{"centrality"}, {"path", "person:p", "place:x"}}
	before, want := ask(t, split, qs), ask(t, merged, qs)
	ts := serveStore(t, split, "secret")
	do := func(path, token string) (int, string) {
		t.Helper()
		return request(t, ts, "POST", path, token, nil)
	}
	get := func(when string, want map[string]string) {
		t.Helper()
		for q, p := range paths {
			resp, err := ts.Client().Get(ts.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != want[q] {
				t.Errorf("%s: GET %s: %d\n%s", when, p, resp.StatusCode, firstDiff(string(b), want[q]))
			}
		}
	}
	if code, _ := do("/v1/same?a=group:a&b=group:b&reason=one", ""); code != 401 {
		t.Errorf("POST /v1/same without the token: %d; want 401", code)
	}
	if code, body := do("/v1/same?a=group:a&b=person:p&reason=one", "secret"); code != 422 || !strings.Contains(body, "is a Group and person:p a Person") {
		t.Errorf("POST /v1/same of two kinds: %d %s; want 422", code, body)
	}
	get("after bad input", before)
	if code, body := do("/v1/same?a=group:a&b=group:b&reason=one", "secret"); code != 200 || !strings.Contains(body, `"identity:`) {
		t.Fatalf("POST /v1/same: %d %s", code, body)
	}
	get("after same", want)
	if code, body := do("/v1/same?a=group:a&b=group:b&reason=unsure&undo=true", "secret"); code != 200 || !strings.Contains(body, `"retraction:1"`) {
		t.Fatalf("POST /v1/same undo: %d %s", code, body)
	}
	get("after undo", before)
}

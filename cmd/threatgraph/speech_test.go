package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// speechFixture is the query package's fixture of reported speech and
// judgements (its comment says what each fact pins).
const speechFixture = "../../query/testdata/speech.yaml"

// TestSpeechAndJudgementsCLI: show and contested print whom a statement is
// according to and each judgement; analytics leave out what judgements
// deprecate unless --with-deprecated (HTTP: with-deprecated=true), and the
// CLI and the server answer the same bytes.
func TestSpeechAndJudgementsCLI(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, stderr, err := runCLI(t, "ingest", "--store", store, speechFixture); err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	text := func(args ...string) string {
		t.Helper()
		out, stderr, err := runCLI(t, append(args, "--store", store)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		return out
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"show", "Suspect Alpha"}, []string{
			`source:bbc: "According to Russian state media the suspect, Suspect A, is Tajik" (according to org:russian-state-media)`}},
		{[]string{"show", "Taliban"}, []string{
			"! seizedPower    2017 [deprecated]",
			"deprecated: known error — The Taliban took Kabul in August 2021. (source:editors, 2026-12-01; evidence: source:reuters)",
			"preferred: preferred source — The date the other sources agree on. (source:editors)",
			"[deprecated] = every statement of the value is judged deprecated"}},
		{[]string{"contested"}, []string{
			"2017                     source:slate [deprecated]",
			"Suspect A                source:bbc (according to org:russian-state-media), source:reuters (according to org:russian-state-media)"}},
	} {
		out := text(c.args...)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("threatgraph %s lacks %q:\n%s", strings.Join(c.args, " "), w, out)
			}
		}
	}
	if out := text("neighbors", "Crocus City Hall attack"); strings.Contains(out, "Taliban") {
		t.Errorf("neighbors show the Taliban, linked only by a deprecated statement:\n%s", out)
	}
	if out := text("neighbors", "Crocus City Hall attack", "--with-deprecated"); !strings.Contains(out, "Taliban") {
		t.Errorf("neighbors --with-deprecated lack the Taliban:\n%s", out)
	}
	if _, _, err := runCLI(t, "export", "--store", store, "--format", "nquads", "--with-deprecated"); exitCode(err) != exitBadInput {
		t.Errorf("export --format nquads --with-deprecated: exit %d (%v); want %d", exitCode(err), err, exitBadInput)
	}
	if with, without := text("timeline", "ISIS-K", "--format", "json", "--with-deprecated"), text("timeline", "ISIS-K", "--format", "json"); with == without ||
		!strings.Contains(with, `"date": "2017"`) || !strings.Contains(with, `"deprecated": true`) || !strings.Contains(with, `"date": "2024-03-22"`) ||
		strings.Contains(without, "2017") || !strings.Contains(without, `"date": "2024-03-22"`) {
		t.Errorf("timeline with and without deprecated facts:\n%s\n%s", with, without)
	}
	cases := []struct {
		args []string
		http string
		cli  string
	}{
		{[]string{"neighbors", "attack:crocus", "--with-deprecated"}, "/v1/entities/attack:crocus/neighbors?with-deprecated=true", ""},
		{[]string{"timeline", "ISIS-K", "--with-deprecated"}, "/v1/entities/ISIS-K/timeline?with-deprecated=true", ""},
		{[]string{"timeline", "ISIS-K"}, "/v1/entities/ISIS-K/timeline", ""},
		{[]string{"centrality", "--measure", "degree"}, "/v1/centrality?measure=degree", ""},
		{[]string{"centrality", "--measure", "degree", "--with-deprecated"}, "/v1/centrality?measure=degree&with-deprecated=true", ""},
		{[]string{"show", "Taliban"}, "/v1/entities/Taliban", ""},
		{[]string{"contested"}, "/v1/contested", ""},
	}
	for i, c := range cases {
		cases[i].cli = text(append(c.args, "--format", "json")...)
	}
	ts := serveStore(t, store, "") // holds the store: the CLI asks first
	for _, c := range cases {
		cli := c.cli
		resp, err := ts.Client().Get(ts.URL + c.http)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != cli {
			t.Errorf("GET %s: status %d, body differs from threatgraph %s --format json:\n%s", c.http, resp.StatusCode, strings.Join(c.args, " "), firstDiff(string(body), cli))
		}
	}
}

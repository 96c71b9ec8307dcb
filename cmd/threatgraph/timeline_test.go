package main

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestTimelineFilters: the CLI's timeline and its route take the scope
// flags; a bad value exits 2 naming the flag and answers 400 naming the
// parameter, and the table says which dates sources contest.
func TestTimelineFilters(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	cases := []struct {
		args  []string
		query url.Values
		param string
	}{
		{[]string{"--from", "2024-13"}, url.Values{"from": {"2024-13"}}, "from"},
		{[]string{"--to", "2020", "--from", "2024"}, url.Values{"from": {"2024"}, "to": {"2020"}}, "to"},
		{[]string{"--sources", "source:nobody"}, url.Values{"sources": {"source:nobody"}}, "sources"},
		{[]string{"--exclude-sources", "source:nobody"}, url.Values{"exclude-sources": {"source:nobody"}}, "exclude-sources"},
		{[]string{"--predicates", "nosuch"}, url.Values{"predicates": {"nosuch"}}, "predicates"},
		{[]string{"--with-deprecated=maybe"}, url.Values{"with-deprecated": {"maybe"}}, "with-deprecated"},
	}
	for _, c := range cases {
		_, _, err := runCLI(t, append([]string{"timeline", "ISIS-K", "--store", store}, c.args...)...)
		if err == nil || exitCode(err) != exitBadInput || !strings.Contains(err.Error(), c.param) {
			t.Errorf("timeline %v: %v (exit %d); want exit %d naming %s", c.args, err, exitCode(err), exitBadInput, c.param)
		}
	}
	table, _, err := runCLI(t, "timeline", "ISIS-K", "--store", store, "--sources", "source:reuters-2024-03-25,source:nyt-2024-03-25-schmitt")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "late 2014") || !strings.Contains(table, "[contested]") || !strings.HasPrefix(strings.SplitN(table, "\n", 4)[2], "DATE") {
		t.Errorf("timeline table:\n%s\nwant the dates as written, the contested founding and a DATE column", table)
	}
	if strings.Contains(table, "source:bbc") {
		t.Errorf("timeline --sources reuters,nyt shows the BBC:\n%s", table)
	}
	if dep, _, err := runCLI(t, "timeline", "Taliban", "--store", store, "--with-deprecated"); err != nil || !strings.Contains(dep, "seizedPower [deprecated]") {
		t.Errorf("timeline Taliban --with-deprecated (%v):\n%s\nwant Slate's deprecated 2017 marked", err, dep)
	}
	ts := serveStore(t, store, "")
	for _, c := range cases {
		resp, err := ts.Client().Get(ts.URL + "/v1/entities/ISIS-K/timeline?" + c.query.Encode())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body struct {
			Detail struct {
				Parameter string `json:"parameter"`
			} `json:"detail"`
		}
		if resp.StatusCode != 400 || json.Unmarshal(b, &body) != nil || body.Detail.Parameter != c.param || !strings.Contains(string(b), "expected") {
			t.Errorf("GET timeline?%s: %d %s; want 400 naming %s", c.query.Encode(), resp.StatusCode, b, c.param)
		}
	}
}

package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

// wikidataExcerpt is the shared Wikidata excerpt, read from ../shared/data.
func wikidataExcerpt(t *testing.T) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", "wikidata", "wikidata_terrorist_orgs_excerpt.csv")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("the Wikidata excerpt is absent: %v", err)
	}
	return p
}

// excerptRow is one row of the excerpt, read by the test's own counter.
type excerptRow struct {
	qid  string
	keys map[string]bool // of the name and every alias
	name string
}

// readExcerpt reads the raw CSV with encoding/csv only: the rows' QIDs,
// names and aliases, and how many aliases are not the name in other
// letters (each alias key once).
func readExcerpt(t *testing.T, path string) (rows []excerptRow, aliases int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range all[0] {
		col[h] = i
	}
	for _, r := range all[1:] {
		var as []string
		if err := json.Unmarshal([]byte(r[col["aliases_json"]]), &as); err != nil {
			t.Fatalf("%s: aliases_json %q: %v", r[0], r[col["aliases_json"]], err)
		}
		row := excerptRow{qid: r[col["qid"]], name: r[col["primary_name"]], keys: map[string]bool{schema.NameKey(r[col["primary_name"]]): true}}
		for _, a := range as {
			if k := schema.NameKey(a); !row.keys[k] {
				row.keys[k] = true
				aliases++
			}
		}
		rows = append(rows, row)
	}
	return rows, aliases
}

func candidatesOf(t *testing.T, store string, args ...string) query.CandidatesResult {
	t.Helper()
	out := cli(t, append([]string{"candidates", "--store", store, "--format", "json"}, args...)...)
	var res query.CandidatesResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("candidates --format json: %v\n%s", err, out)
	}
	return res
}

func findPair(res query.CandidatesResult, a, b string) *query.Candidate {
	a, b = min(a, b), max(a, b)
	for i, c := range res.Candidates {
		if c.A.ID == a && c.B.ID == b {
			return &res.Candidates[i]
		}
	}
	return nil
}

func hasReason(rs []query.Reason, code, text string) bool {
	return slices.ContainsFunc(rs, func(r query.Reason) bool { return r.Code == code && r.Text == text })
}

// TestWikidataExcerptKeepsItemsApart: importing the excerpt makes one
// entity per row (counted from the raw CSV), each QID its own however many
// names it shares; candidates lists every pair of rows that share a name
// or alias (computed from the raw CSV), with the counter-evidence
// "distinct wikidata ids" and never as strong, and the pair that shares
// only the alias "Islamic Party" with the reason "shared alias".
func TestWikidataExcerptKeepsItemsApart(t *testing.T) {
	csvPath := wikidataExcerpt(t)
	rows, aliases := readExcerpt(t, csvPath)
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "ingest", "--store", store, "--quiet", csvPath)

	var st query.Stats
	if err := json.Unmarshal([]byte(cli(t, "stats", "--store", store, "--format", "json")), &st); err != nil {
		t.Fatal(err)
	}
	qids := map[string]bool{}
	for _, r := range rows {
		qids[r.qid] = true
	}
	if len(qids) != len(rows) {
		t.Fatalf("the excerpt has %d rows but %d QIDs; the test expects one row per item", len(rows), len(qids))
	}
	if got := st.ByKind["Group"] + st.ByKind["Organization"]; got != len(rows) {
		t.Errorf("stats: %d groups and organisations after importing %d rows; want one entity per row", got, len(rows))
	}
	if st.ByKind["Source"] != len(rows) {
		t.Errorf("stats: %d sources; want one per row (the item at its revision): %d", st.ByKind["Source"], len(rows))
	}
	nq := cli(t, "export", "--format", "nquads", "--store", store, "--quiet")
	if got := strings.Count(nq, "> <tg:alias> "); got != aliases {
		t.Errorf("export: %d alias quads; want %d, the aliases of the raw CSV that are not the row's name in other letters", got, aliases)
	}
	for _, r := range rows {
		if !strings.Contains(nq, "<group:wd-"+r.qid+"> <tg:externalId> \"wikidata:"+r.qid+"\"") {
			t.Errorf("export lacks the externalId wikidata:%s of group:wd-%s", r.qid, r.qid)
		}
	}

	res := candidatesOf(t, store, "--limit", "0")
	clashes := 0
	for i, x := range rows {
		for _, y := range rows[i+1:] {
			var shared []string
			for k := range x.keys {
				if y.keys[k] {
					shared = append(shared, k)
				}
			}
			if len(shared) == 0 {
				continue
			}
			clashes++
			a, b := "group:wd-"+x.qid, "group:wd-"+y.qid
			c := findPair(res, a, b)
			if c == nil {
				t.Errorf("candidates does not list %s and %s, which share %q", a, b, shared)
				continue
			}
			// The reason, from the raw rows: both names, one name, or aliases only.
			xk, yk := schema.NameKey(x.name), schema.NameKey(y.name)
			for _, k := range shared {
				code := query.ReasonSharedAlias
				switch {
				case k == xk && k == yk:
					code = query.ReasonSameName
				case k == xk || k == yk:
					code = query.ReasonNameIsAlias
				}
				if !slices.ContainsFunc(c.Reasons, func(r query.Reason) bool {
					return r.Code == code && slices.ContainsFunc(r.Values, func(v string) bool { return schema.NameKey(v) == k })
				}) {
					t.Errorf("candidate %s %s: reasons %+v; want %s for %q", a, b, c.Reasons, code, k)
				}
			}
			if !hasReason(c.Against, query.AgainstDistinctIDs, "distinct wikidata ids") {
				t.Errorf("candidate %s %s: against %+v; want distinct wikidata ids", a, b, c.Against)
			}
			if c.Strength == query.StrengthStrong {
				t.Errorf("candidate %s %s is strong with distinct wikidata ids: %+v", a, b, c)
			}
			if show := cli(t, "show", a, "--store", store, "--format", "json"); !strings.Contains(show, `"id": "`+a+`"`) || strings.Contains(show, b) {
				t.Errorf("show %s: not an entity of its own (or names %s):\n%s", a, b, show)
			}
		}
	}
	if clashes == 0 {
		t.Fatal("no two rows of the excerpt share a name or alias: the test proves nothing")
	}
	c := findPair(res, "group:wd-Q3135107", "group:wd-Q3294374") // Hezb-e Islami Gulbuddin, Hizbul Islam: "Islamic Party"
	if c == nil {
		t.Fatalf("candidates does not list the two items sharing the alias Islamic Party:\n%+v", res)
	}
	if !hasReason(c.Reasons, query.ReasonSharedAlias, "shared alias") || !slices.Contains(c.Reasons[0].Values, "Islamic Party") {
		t.Errorf("Islamic Party pair: reasons %+v; want shared alias Islamic Party", c.Reasons)
	}
	if c.Strength != query.StrengthWeak {
		t.Errorf("Islamic Party pair: %s; want weak (a shared alias is never enough alone)", c.Strength)
	}
	for _, c := range res.Candidates {
		if c.Strength == query.StrengthStrong {
			t.Errorf("a strong candidate among Wikidata items alone: %+v", c)
		}
	}
}

// TestCandidatesAfterDemo: a native file's group named as the demo's
// group:isis-k is a strong candidate (pinned by a golden file); after
// same it is not listed, after same --undo it is again, and different
// rules it out.
func TestCandidatesAfterDemo(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	before := candidatesOf(t, store, "--limit", "0")
	if findPair(before, "group:isis-k", "group:iskp") != nil {
		t.Fatal("the demo alone lists group:iskp")
	}
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "candidates", "isis-k.yaml"))
	out := cli(t, "candidates", "--store", store, "--format", "json", "--kind", "Group")
	golden := filepath.Join("testdata", "candidates", "isis-k.json")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (write it with: go test ./cmd/threatgraph -run TestCandidatesAfterDemo -update)", err)
	}
	if out != string(want) {
		t.Errorf("candidates --kind Group --format json differs from %s:\n%s", golden, firstDiff(out, string(want)))
	}
	res := candidatesOf(t, store, "--kind", "Group")
	c := findPair(res, "group:isis-k", "group:iskp")
	if c == nil || c.Strength != query.StrengthStrong || res.Candidates[0].A != c.A || res.Candidates[0].B != c.B {
		t.Fatalf("candidates: %+v; want group:isis-k and group:iskp first, strong", res.Candidates)
	}
	if !hasReason(c.Reasons, query.ReasonSameName, "same name") || !hasReason(c.Reasons, query.ReasonSharedAlias, "shared alias") {
		t.Errorf("reasons %+v; want same name and shared alias", c.Reasons)
	}
	if !strings.HasPrefix(c.Command, "threatgraph same group:isis-k group:iskp --reason ") {
		t.Errorf("command %q; want threatgraph same group:isis-k group:iskp --reason …", c.Command)
	}
	text := cli(t, "candidates", "--store", store, "--kind", "Group")
	if !strings.Contains(text, "accept: "+c.Command) {
		t.Errorf("candidates (table) does not print the command %q:\n%s", c.Command, text)
	}

	cli(t, "same", "group:isis-k", "group:iskp", "--reason", "one group: same name and alias", "--store", store, "--quiet")
	if after := candidatesOf(t, store, "--limit", "0"); findPair(after, "group:isis-k", "group:iskp") != nil || after.Pairs != before.Pairs {
		t.Errorf("after same: %d candidates (the demo's %d); want the pair gone:\n%+v", after.Pairs, before.Pairs, after.Candidates)
	}
	cli(t, "same", "group:isis-k", "group:iskp", "--undo", "--reason", "not so sure", "--store", store, "--quiet")
	if again := candidatesOf(t, store, "--limit", "0"); findPair(again, "group:isis-k", "group:iskp") == nil {
		t.Errorf("after same --undo: the pair is not listed again")
	}
	cli(t, "different", "group:iskp", "group:isis-k", "--reason", "the notes mean another group", "--store", store, "--quiet")
	out2 := candidatesOf(t, store, "--limit", "0")
	if findPair(out2, "group:isis-k", "group:iskp") != nil || out2.RuledOut != 1 {
		t.Errorf("after different: ruled out %d, pair listed %v; want it ruled out", out2.RuledOut, findPair(out2, "group:isis-k", "group:iskp") != nil)
	}
}

// TestCandidatesBadFlags: a kind that is not an entity kind, a negative
// limit or a score outside 0 to 1 is bad input (exit 2) naming the flag.
func TestCandidatesBadFlags(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "demo", "--store", store, "--quiet")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind", "Dragon"}, "--kind"},
		{[]string{"--kind", "Source"}, "--kind"},
		{[]string{"--limit", "-1"}, "--limit"},
		{[]string{"--min-score", "1.5"}, "--min-score"},
		{[]string{"--min-score", "-0.1"}, "--min-score"},
	} {
		_, stderr, err := runCLI(t, append([]string{"candidates", "--store", store}, c.args...)...)
		if code := exitCode(err); code != exitBadInput || !strings.Contains(err.Error()+stderr, c.want) {
			t.Errorf("candidates %s: exit %d, %v; want exit %d naming %s", strings.Join(c.args, " "), code, err, exitBadInput, c.want)
		}
	}
}

// TestWikidataExcerptOverHTTP: the excerpt uploaded to POST /v1/ingest
// (filename=….csv) loads one entity per row, and GET /v1/candidates then
// answers what the CLI answers after ingesting the file.
func TestWikidataExcerptOverHTTP(t *testing.T) {
	csvPath := wikidataExcerpt(t)
	rows, _ := readExcerpt(t, csvPath)
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "init", "--store", store, "--quiet")
	const token = "resolve-test-token-0123456789"
	ts := serveStore(t, store, token)
	req, err := http.NewRequestWithContext(t.Context(), "POST", ts.URL+"/v1/ingest?filename=excerpt.csv", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/ingest?filename=excerpt.csv: %d\n%s", resp.StatusCode, body)
	}
	resp, err = ts.Client().Get(ts.URL + "/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st query.Stats
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || st.ByKind["Group"]+st.ByKind["Organization"] != len(rows) {
		t.Errorf("GET /v1/stats after the upload: %+v, %v; want %d groups and organisations, one per row", st.ByKind, err, len(rows))
	}
	resp, err = ts.Client().Get(ts.URL + "/v1/candidates?limit=0")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	other := filepath.Join(t.TempDir(), "cli.db") // the server holds store
	cli(t, "ingest", "--store", other, "--quiet", csvPath)
	if want := cli(t, "candidates", "--limit", "0", "--store", other, "--format", "json"); string(got) != want {
		t.Errorf("GET /v1/candidates?limit=0 after the upload differs from the CLI's after ingest:\n%s", firstDiff(string(got), want))
	}
}

// TestCandidatesExternalIDs: the same external id on two groups is a
// strong candidate whatever their names; on a Group and an Organization it
// is counted in other_kinds, not listed.
func TestCandidatesExternalIDs(t *testing.T) {
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "ingest", "--store", store, "--quiet", filepath.Join("testdata", "candidates", "kinds.yaml"))
	res := candidatesOf(t, store)
	if res.OtherKinds != 1 || findPair(res, "group:x", "org:x") != nil {
		t.Errorf("other_kinds %d, group:x/org:x listed %v; want 1 and not listed", res.OtherKinds, findPair(res, "group:x", "org:x") != nil)
	}
	c := findPair(res, "group:m1", "group:m2")
	if c == nil || c.Strength != query.StrengthStrong || !hasReason(c.Reasons, query.ReasonSameExternalID, "same external id") || len(c.Against) != 0 {
		t.Errorf("group:m1/group:m2: %+v; want strong, same external id mitre:G0001, nothing against", c)
	}
	if text := cli(t, "candidates", "--store", store); !strings.Contains(text, "1 pair of two kinds sharing an external id") {
		t.Errorf("candidates (table) does not say other kinds:\n%s", text)
	}
}

// TestCandidatesOnMITRE: on the MITRE ATT&CK bundle, each intrusion set
// that MITRE revoked in favour of another whose names it shares (read
// from the raw bundle: revoked-by relationships) is a candidate with that
// other, not weak and with nothing against (the revoked id is deprecated,
// so the two MITRE ids are no evidence of two groups); two live intrusion
// sets sharing a name or alias are weak, with their distinct mitre ids
// against.
func TestCandidatesOnMITRE(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the 50 MB ATT&CK bundle")
	}
	p := filepath.Join("..", "..", "..", "shared", "data", "stix", "mitre-attack", "enterprise-attack-18.1.json")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("the ATT&CK bundle is absent: %v", err)
	}
	var bundle struct {
		Objects []struct {
			ID, Type, Name   string
			RelationshipType string `json:"relationship_type"`
			SourceRef        string `json:"source_ref"`
			TargetRef        string `json:"target_ref"`
			Aliases          []string
			Revoked          bool
			Deprecated       bool `json:"x_mitre_deprecated"`
		}
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		t.Fatal(err)
	}
	type set struct {
		name string
		keys map[string]bool
		live bool
	}
	sets := map[string]*set{}
	var ids []string
	for _, o := range bundle.Objects {
		if o.Type != "intrusion-set" {
			continue
		}
		s := &set{name: o.Name, keys: map[string]bool{schema.NameKey(o.Name): true}, live: !o.Revoked && !o.Deprecated}
		for _, a := range o.Aliases {
			s.keys[schema.NameKey(a)] = true
		}
		sets[o.ID] = s
		ids = append(ids, o.ID)
	}
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "ingest", "--store", store, "--quiet", p)
	res := candidatesOf(t, store, "--kind", "Group", "--limit", "0")
	byNames := func(x, y string) *query.Candidate {
		for i, c := range res.Candidates {
			if (c.A.Name == x && c.B.Name == y) || (c.A.Name == y && c.B.Name == x) {
				return &res.Candidates[i]
			}
		}
		return nil
	}
	revoked := 0
	for _, o := range bundle.Objects {
		s, ts := sets[o.SourceRef], sets[o.TargetRef]
		if o.Type != "relationship" || o.RelationshipType != "revoked-by" || s == nil || ts == nil {
			continue
		}
		if !ts.keys[schema.NameKey(s.name)] && !s.keys[schema.NameKey(ts.name)] {
			continue // no name in common: nothing to propose them on
		}
		revoked++
		c := byNames(s.name, ts.name)
		if c == nil || c.Strength == query.StrengthWeak || len(c.Against) > 0 {
			t.Errorf("%s, revoked by MITRE for %s: candidate %+v; want listed, not weak, nothing against", s.name, ts.name, c)
		}
	}
	if revoked == 0 {
		t.Fatal("no revoked intrusion set shares a name with its replacement: the test proves nothing")
	}
	live := 0
	for i, x := range ids {
		for _, y := range ids[i+1:] {
			a, b := sets[x], sets[y]
			if !a.live || !b.live || !slices.ContainsFunc(slices.Collect(maps.Keys(a.keys)), func(k string) bool { return b.keys[k] }) {
				continue
			}
			live++
			c := byNames(a.name, b.name)
			if c == nil || c.Strength != query.StrengthWeak || !hasReason(c.Against, query.AgainstDistinctIDs, "distinct mitre ids") {
				t.Errorf("live intrusion sets %s and %s share a name: candidate %+v; want weak with distinct mitre ids against", a.name, b.name, c)
			}
		}
	}
	t.Logf("%d revoked intrusion sets sharing a name with their replacement, %d pairs of live ones sharing a name", revoked, live)
}

package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/query"
)

// gdeltSamples are the GDELT 2.0 and 1.0 samples in ../shared/data.
func gdeltSamples(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", "gdelt")
	files := []string{
		filepath.Join(dir, "v2", "20191024143000.export.CSV"),
		filepath.Join(dir, "v1", "events_sample_1982_2016_57-58cols.tsv"),
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("GDELT sample %s: %v", f, err)
		}
	}
	return files
}

// gdeltRaw counts from the raw rows, apart from the importer: events by
// CAMEO root code (EventRootCode), the distinct SOURCEURLs of those
// events, and their distinct action places (ActionGeo_Type with the
// FeatureID, or for a country or a US state its code).
func gdeltRaw(t *testing.T, files []string) (kinds map[string]int, places int) {
	t.Helper()
	ids := map[string]map[string]bool{"Attack": {}, "Warning": {}, "Claim": {}, "Source": {"GDELT itself": true}}
	where := map[string]bool{}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Split(strings.TrimRight(line, "\r"), "\t")
			if len(f) < 57 {
				continue
			}
			typ, cc, adm1, feature, url := 49, 51, 52, 55, 57
			if len(f) == 61 {
				typ, cc, adm1, feature, url = 51, 53, 54, 58, 60
			}
			kind := map[string]string{"18": "Attack", "19": "Attack", "20": "Attack", "13": "Warning"}[f[28]]
			if f[26] == "015" {
				kind = "Claim"
			}
			if kind == "" {
				continue
			}
			ids[kind][f[0]] = true
			if url < len(f) && f[url] != "" {
				ids["Source"][f[url]] = true
			}
			switch t := f[typ]; {
			case kind == "Claim" || t == "0" || t == "":
			case t == "1":
				where["c "+f[cc]] = true
			case t == "2":
				where["a "+f[adm1]] = true
			default:
				where["f "+f[feature]] = true
			}
		}
	}
	kinds = map[string]int{}
	for k, set := range ids {
		kinds[k] = len(set)
	}
	return kinds, len(where)
}

// TestGDELTIngest ingests both samples as a user does and checks the
// store's entities by kind, and its named places, against the raw rows.
func TestGDELTIngest(t *testing.T) {
	files := gdeltSamples(t)
	store := filepath.Join(t.TempDir(), "tg.db")
	_, stderr, err := runCLI(t, append([]string{"ingest", "--store", store}, files...)...)
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "GDELT 2.0 rows read: 2111") || !strings.Contains(stderr, "GDELT 1.0 rows read: 710") {
		t.Errorf("ingest does not report the rows read:\n%s", stderr)
	}
	var st struct {
		ByKind map[string]int `json:"by_kind"`
	}
	if err := json.Unmarshal([]byte(cli(t, "stats", "--store", store, "--format", "json")), &st); err != nil {
		t.Fatal(err)
	}
	want, places := gdeltRaw(t, files)
	for k, n := range want {
		if st.ByKind[k] != n {
			t.Errorf("%s: %d in the store; %d counted in the raw rows", k, st.ByKind[k], n)
		}
	}
	named := map[string]bool{}
	for _, l := range strings.Split(cli(t, "export", "--format", "nquads", "--store", store), "\n") {
		if strings.HasPrefix(l, "<location:gdelt-") && strings.Contains(l, " <tg:name> ") {
			named[l[:strings.IndexByte(l, ' ')]] = true
		}
	}
	if len(named) != places {
		t.Errorf("%d named places in the store; %d in the raw rows", len(named), places)
	}
	// A second load of the same files adds nothing.
	before := cli(t, "stats", "--store", store, "--format", "json")
	if _, stderr, err := runCLI(t, append([]string{"ingest", "--store", store}, files...)...); err != nil {
		t.Fatalf("second ingest: %v\n%s", err, stderr)
	}
	if after := cli(t, "stats", "--store", store, "--format", "json"); after != before {
		t.Errorf("a second load of the same files changed the store:\n%s\nwas\n%s", after, before)
	}
}

// TestGDELTBadRow: a bad row fails the load naming FILE:LINE: column and
// writes nothing; --skip-invalid keeps the other rows.
func TestGDELTBadRow(t *testing.T) {
	files := gdeltSamples(t)
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Split(l, "\t"); len(f) == 61 && (f[28] == "19" || f[28] == "18") && len(rows) < 3 {
			rows = append(rows, l)
		}
	}
	bad := strings.Split(rows[1], "\t")
	bad[1] = "2019-10-24"
	rows[1] = strings.Join(bad, "\t")
	in := filepath.Join(t.TempDir(), "three.export.CSV")
	if err := os.WriteFile(in, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "tg.db")
	_, stderr, err := runCLI(t, "ingest", "--store", store, in)
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("ingest of a bad row: %v; want exit 2\n%s", err, stderr)
	}
	if want := in + `:2: SQLDATE: "2019-10-24" is not a date (expected YYYYMMDD)`; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if _, err := os.Stat(store); err == nil {
		if out := cli(t, "stats", "--store", store, "--format", "json"); !strings.Contains(out, `"quads": 0`) {
			t.Errorf("a failed load wrote: %s", out)
		}
	}
	t.Chdir(t.TempDir()) // the rejects report is written here
	_, stderr, err = runCLI(t, "ingest", "--skip-invalid", "--store", store, in)
	if err != nil {
		t.Fatalf("ingest --skip-invalid: %v\n%s", err, stderr)
	}
	var st struct {
		ByKind map[string]int `json:"by_kind"`
	}
	if err := json.Unmarshal([]byte(cli(t, "stats", "--store", store, "--format", "json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.ByKind["Attack"] != 2 {
		t.Errorf("%d attacks after --skip-invalid; want the 2 good rows", st.ByKind["Attack"])
	}
}

// TestExcludeMachine: every centrality measure with --exclude-machine on
// the demo plus both GDELT samples is byte for byte the answer of the demo
// alone; without the flag it is not. So are the other analytics verbs, and
// centrality over HTTP.
func TestExcludeMachine(t *testing.T) {
	files := gdeltSamples(t)
	alone := demoStore(t)
	both := demoStore(t)
	if _, stderr, err := runCLI(t, append([]string{"ingest", "--store", both}, files...)...); err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	for _, m := range query.Measures {
		args := []string{"centrality", "--measure", m, "--top", "1000", "--format", "json", "--store"}
		want := cli(t, append(args, alone)...)
		got := cli(t, append(args, both, "--exclude-machine")...)
		if got != want {
			t.Errorf("centrality --measure %s --exclude-machine on the demo and GDELT:\n%.600s\nwant the demo's:\n%.600s", m, got, want)
		}
		if all := cli(t, append(args, both)...); all == want {
			t.Errorf("centrality --measure %s with GDELT's facts is the demo's: the test cannot tell", m)
		}
	}
	stab := []string{"centrality", "--stability", "--top", "5", "--format", "json", "--store"}
	if got, want := cli(t, append(stab, both, "--exclude-machine")...), cli(t, append(stab, alone)...); got != want {
		t.Errorf("centrality --stability --exclude-machine:\n%s\nwant the demo's:\n%s", got, want)
	}
	for _, q := range [][]string{
		{"path", "group:isis-k", "group:taliban", "--k", "3"}, // by id: "Taliban" also names GDELT's group:gdelt-tal
		{"neighbors", "ISIS-K", "--depth", "2"},
		{"timeline", "ISIS-K"},
		{"communities"},
		{"communities", "--project", "group"},
		{"preceded", "--window", "1y"},
	} {
		got := cli(t, append(append([]string{}, q...), "--format", "json", "--exclude-machine", "--store", both)...)
		want := cli(t, append(append([]string{}, q...), "--format", "json", "--store", alone)...)
		if got != want {
			t.Errorf("%s --exclude-machine:\n%.400s\nwant the demo's:\n%.400s", strings.Join(q, " "), got, want)
		}
	}
	// An export with scores is the demo's, but for the line naming the filter.
	exp := []string{"export", "--format", "graphml", "--with-centrality", "pagerank,betweenness", "--out", "-", "--store"}
	got := strings.Replace(cli(t, append(exp, both, "--exclude-machine")...), "    <data key=\"g_filter\">exclude-machine</data>\n", "", 1)
	if want := cli(t, append(exp, alone)...); got != want {
		t.Errorf("export --exclude-machine --with-centrality differs from the demo's export")
	}
	want := cli(t, "centrality", "--top", "1000", "--format", "json", "--store", alone)
	ts := serveStore(t, both, "")
	resp, err := ts.Client().Get(ts.URL + "/v1/centrality?top=1000&exclude-machine=true")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != want {
		t.Errorf("GET /v1/centrality?exclude-machine=true: %d\n%.600s\nwant the demo's:\n%.600s", resp.StatusCode, b, want)
	}
	resp, err = ts.Client().Get(ts.URL + "/v1/centrality?top=1000")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) == want {
		t.Errorf("GET /v1/centrality (cached answer of exclude-machine?) is the demo's")
	}
}

// TestGDELTToServer: ingest --server sends a GDELT file, which the server
// reads with the same importer; its attacks are then in /v1/stats.
func TestGDELTToServer(t *testing.T) {
	files := gdeltSamples(t)
	store := filepath.Join(t.TempDir(), "tg.db")
	cli(t, "init", "--store", store)
	const token = "gdelt-test-token-0123456789"
	ts := serveStore(t, store, token)
	t.Setenv("THREATGRAPH_SERVE_TOKEN", token)
	if _, stderr, err := runCLI(t, "ingest", "--server", ts.URL, files[0]); err != nil {
		t.Fatalf("ingest --server: %v\n%s", err, stderr)
	}
	resp, err := ts.Client().Get(ts.URL + "/v1/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		ByKind map[string]int `json:"by_kind"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	want, _ := gdeltRaw(t, files[:1])
	if st.ByKind["Attack"] != want["Attack"] || st.ByKind["Source"] != want["Source"] {
		t.Errorf("server holds %d attacks and %d sources; %d and %d in the raw rows", st.ByKind["Attack"], st.ByKind["Source"], want["Attack"], want["Source"])
	}
}

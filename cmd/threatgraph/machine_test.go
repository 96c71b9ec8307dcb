package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/threatgraph/threatgraph/query"
)

const machineFixture = "testdata/machine/mixed.yaml"

// machineRaw reads the fixture apart from the importer: the sources with
// coding machine, and how many facts each entity has from each source
// (the entity's own predicates under its source, each fact group's under
// its source; the kind declaration counts as none).
func machineRaw(t *testing.T) (machine map[string]bool, facts map[string]map[string]int) {
	t.Helper()
	data, err := os.ReadFile(machineFixture)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sources  []map[string]any `yaml:"sources"`
		Entities []map[string]any `yaml:"entities"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	machine = map[string]bool{}
	for _, s := range doc.Sources {
		if s["coding"] == "machine" {
			machine[s["id"].(string)] = true
		}
	}
	skip := map[string]bool{"id": true, "kind": true, "source": true, "quote": true, "facts": true}
	facts = map[string]map[string]int{}
	for _, e := range doc.Entities {
		id := e["id"].(string)
		facts[id] = map[string]int{}
		for k := range e {
			if !skip[k] {
				facts[id][e["source"].(string)]++
			}
		}
		groups, _ := e["facts"].([]any)
		for _, g := range groups {
			g := g.(map[string]any)
			for k := range g {
				if !skip[k] {
					facts[id][g["source"].(string)]++
				}
			}
		}
	}
	return machine, facts
}

func machineStore(t *testing.T) string {
	t.Helper()
	store := filepath.Join(t.TempDir(), "tg.db")
	if _, stderr, err := runCLI(t, "ingest", "--store", store, machineFixture); err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	return store
}

func jsonOut(t *testing.T, v any, args ...string) string {
	t.Helper()
	out, stderr, err := runCLI(t, append(args, "--format", "json")...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

// TestMachineCodedShow: on show, the evidence of a machine-coded source
// carries coding machine, the human one none; the table marks it; and
// --exclude-machine hides it, counting what it hid.
func TestMachineCodedShow(t *testing.T) {
	machine, facts := machineRaw(t)
	store := machineStore(t)
	const id = "attack:x"
	want := 0
	for src, n := range facts[id] {
		if machine[src] {
			want += n
		}
	}
	if want == 0 {
		t.Fatal("the fixture gives attack:x no machine-coded fact")
	}
	var card query.Card
	jsonOut(t, &card, "show", "--store", store, id)
	got := 0
	for _, f := range card.Facts {
		for _, e := range f.Evidence {
			if machine[e.Source] != (e.Coding == "machine") {
				t.Errorf("%s %s from %s: coding %q", f.Predicate, f.Value, e.Source, e.Coding)
			}
			if e.Coding == "machine" {
				got++
			}
		}
	}
	if got != want {
		t.Errorf("%d machine-coded evidences on the card; the fixture has %d", got, want)
	}
	out, _, err := runCLI(t, "show", "--store", store, id)
	if err != nil {
		t.Fatal(err)
	}
	for src := range facts[id] {
		marked := strings.Contains(out, src+"  (machine-coded)")
		if marked != machine[src] {
			t.Errorf("table marks %s machine-coded: %v; want %v\n%s", src, marked, machine[src], out)
		}
	}

	var hidden query.Card
	jsonOut(t, &hidden, "show", "--store", store, id, "--exclude-machine")
	if hidden.HiddenMachine != want {
		t.Errorf("hidden_machine %d; want %d", hidden.HiddenMachine, want)
	}
	for _, f := range hidden.Facts {
		for _, e := range f.Evidence {
			if machine[e.Source] {
				t.Errorf("--exclude-machine still shows %s %s from %s", f.Predicate, f.Value, e.Source)
			}
		}
	}
	if slices.ContainsFunc(hidden.Sources, func(s string) bool { return machine[s] }) {
		t.Errorf("--exclude-machine still lists machine-coded sources: %v", hidden.Sources)
	}
	out, _, err = runCLI(t, "show", "--store", store, id, "--exclude-machine")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "machine-coded sources hidden") {
		t.Errorf("the table does not say what it hid:\n%s", out)
	}
}

// TestMachineCodedAnswers: contested evidence carries the coding, and a
// timeline event, a neighbour's hop, are marked machine_coded exactly
// when every source of them is machine-coded.
func TestMachineCodedAnswers(t *testing.T) {
	machine, _ := machineRaw(t)
	store := machineStore(t)
	allMachine := func(srcs []string) bool {
		return len(srcs) > 0 && !slices.ContainsFunc(srcs, func(s string) bool { return !machine[s] })
	}

	var dis []query.Disagreement
	jsonOut(t, &dis, "contested", "--store", store)
	n := 0
	for _, d := range dis {
		for _, v := range d.Values {
			for _, e := range v.Evidence {
				n++
				if machine[e.Source] != (e.Coding == "machine") {
					t.Errorf("contested %s %s from %s: coding %q", d.Subject, d.Predicate, e.Source, e.Coding)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no contested value: the fixture's two dates of attack:x should be one")
	}

	var tl query.TimelineResult
	jsonOut(t, &tl, "timeline", "--store", store, "group:m")
	marked := 0
	for _, e := range tl.Events {
		if e.MachineCoded != allMachine(e.Sources) {
			t.Errorf("timeline %s %s (%v): machine_coded %v", e.ID, e.Date, e.Sources, e.MachineCoded)
		}
		for _, x := range e.Evidence {
			if machine[x.Source] != (x.Coding == "machine") {
				t.Errorf("timeline %s evidence from %s: coding %q", e.ID, x.Source, x.Coding)
			}
		}
		if e.MachineCoded {
			marked++
		}
	}
	if marked == 0 || marked == len(tl.Events) {
		t.Errorf("%d of %d timeline events machine-coded; the fixture has both kinds", marked, len(tl.Events))
	}

	out, _, err := runCLI(t, "timeline", "--store", store, "group:m")
	if err != nil {
		t.Fatal(err)
	}
	for src := range map[string]bool{"source:m": true, "source:h": true} {
		if strings.Contains(out, src+" (machine-coded)") != machine[src] {
			t.Errorf("timeline table marks %s machine-coded: %v; want %v\n%s", src, !machine[src], machine[src], out)
		}
	}
	if strings.Count(out, "[machine-coded]  ") != marked {
		t.Errorf("the timeline table marks %d events; want %d\n%s", strings.Count(out, "[machine-coded]  "), marked, out)
	}

	var nb query.NeighborsResult
	jsonOut(t, &nb, "neighbors", "--store", store, "attack:x")
	marked = 0
	for _, x := range nb.Neighbors {
		if x.Via.MachineCoded != allMachine(x.Via.Sources) {
			t.Errorf("neighbor %s via %s (%v): machine_coded %v", x.ID, x.Via.Predicate, x.Via.Sources, x.Via.MachineCoded)
		}
		if x.Via.MachineCoded {
			marked++
		}
	}
	if marked == 0 || marked == len(nb.Neighbors) {
		t.Errorf("%d of %d hops machine-coded; the fixture has both kinds", marked, len(nb.Neighbors))
	}
	out, _, err = runCLI(t, "neighbors", "--store", store, "attack:x")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "[machine-coded]\n") != marked {
		t.Errorf("the table marks %d hops; want %d\n%s", strings.Count(out, "[machine-coded]\n"), marked, out)
	}
}

// TestPrecededNotCertain: a warning dated before an attack is certain only
// when it is not machine-coded and not matched by a country alone; the
// other two are possible, dated before, with the reason in JSON and line.
func TestPrecededNotCertain(t *testing.T) {
	store := machineStore(t)
	var res query.PrecededResult
	jsonOut(t, &res, "preceded", "--store", store)
	if len(res.Attacks) != 1 {
		t.Fatalf("%d attacks with warnings; want attack:x", len(res.Attacks))
	}
	got := map[string]query.Precursor{}
	for _, w := range res.Attacks[0].Warnings {
		got[w.Warning] = w
	}
	if w := got["warning:city"]; w.Certainty != "certain" || w.DatedBefore || w.MachineCoded || w.WeakMatch != "" {
		t.Errorf("warning:city: %+v; want certain, nothing weak", w)
	}
	if w := got["warning:m"]; w.Certainty != "possible" || !w.DatedBefore || !w.MachineCoded {
		t.Errorf("warning:m: %+v; want possible, dated before, machine-coded", w)
	}
	if w := got["warning:country"]; w.Certainty != "possible" || !w.DatedBefore || w.MachineCoded || !strings.Contains(w.WeakMatch, "Testland is a country") {
		t.Errorf("warning:country: %+v; want possible, dated before, a weak match by the country", w)
	}
	var certain query.PrecededResult
	jsonOut(t, &certain, "preceded", "--store", store, "--certain")
	var ids []string
	for _, a := range certain.Attacks {
		for _, w := range a.Warnings {
			ids = append(ids, w.Warning)
		}
	}
	if !slices.Equal(ids, []string{"warning:city"}) {
		t.Errorf("--certain keeps %v; want [warning:city]", ids)
	}
	out, _, err := runCLI(t, "preceded", "--store", store)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"possible  14 days before (dated before, but machine-coded): machine-coded threat",
		"possible  13 days before (dated before, but weak match by place only: Testland is a country): warning about the country",
		"certain   12 days before: warning about the city",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("preceded table lacks %q:\n%s", want, out)
		}
	}
}

// TestMachineCodedServe: the server's card answers as the CLI's, with and
// without exclude-machine, on the fixture's store.
func TestMachineCodedServe(t *testing.T) {
	store := machineStore(t)
	cases := []struct {
		args []string
		path string
	}{
		{[]string{"show", "attack:x"}, "/v1/entities/attack:x"},
		{[]string{"show", "attack:x", "--exclude-machine"}, "/v1/entities/attack:x?exclude-machine=true"},
		{[]string{"preceded"}, "/v1/preceded"},
		{[]string{"neighbors", "attack:x"}, "/v1/entities/attack:x/neighbors"},
	}
	want := make([]string, len(cases))
	for i, c := range cases {
		out, _, err := runCLI(t, append(append([]string{}, c.args...), "--store", store, "--format", "json")...)
		if err != nil {
			t.Fatalf("threatgraph %s: %v", strings.Join(c.args, " "), err)
		}
		want[i] = out
	}
	if want[0] == want[1] {
		t.Fatal("show --exclude-machine answers as show")
	}
	ts := serveStore(t, store, "")
	for i, c := range cases {
		resp, err := ts.Client().Get(ts.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != want[i] {
			t.Errorf("GET %s: %d\n%s\nwant what threatgraph %s --format json prints:\n%s", c.path, resp.StatusCode, b, strings.Join(c.args, " "), want[i])
		}
	}
}

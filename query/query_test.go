package query_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/builtin"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

var (
	once    sync.Once
	demo    *graph.Store
	demoErr error
)

// demoStore loads the built-in dataset into a real bolt store, once.
func demoStore(t *testing.T) *graph.Store {
	t.Helper()
	once.Do(func() {
		demo, demoErr = graph.Open(context.Background(), graph.Options{Path: filepath.Join(tempDir, "db")}, nil)
		if demoErr != nil {
			return
		}
		files, err := builtin.Files()
		if err != nil {
			demoErr = err
			return
		}
		var parsed []*ingest.File
		for _, f := range files {
			parsed = append(parsed, ingest.Parse(f.Name, f.Data))
		}
		_, demoErr = ingest.Load(context.Background(), demo, parsed, ingest.Options{})
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demo
}

func TestResolveAliases(t *testing.T) {
	s := demoStore(t)
	for _, name := range []string{"ISIS-K", "IS-K", "ISIL-K", "Islamic State Khorasan Province", "islamic state khorasan province", "isil‑k", "ÍSIS-K", "  IS-K ", "group:isis-k"} {
		m, err := query.NewReader(s, query.ReaderOptions{}).Resolve(t.Context(), name)
		if err != nil || m.ID != "group:isis-k" || m.Kind != "Group" {
			t.Errorf("Resolve(%q) = %+v, %v; want group:isis-k", name, m, err)
		}
	}
	if _, err := query.NewReader(s, query.ReaderOptions{}).Resolve(t.Context(), "Islamic State Kent"); !errors.Is(err, query.ErrNotFound) {
		t.Errorf("Resolve(unknown) error = %v; want ErrNotFound", err)
	}
}

func TestShowMarksDisagreement(t *testing.T) {
	s := demoStore(t)
	card, err := query.NewReader(s, query.ReaderOptions{}).Show(t.Context(), "Crocus City Hall attack")
	if err != nil {
		t.Fatal(err)
	}
	if card.ID != "attack:2024-03-22-crocus-city-hall" {
		t.Fatalf("card for %s", card.ID)
	}
	wounded := map[string][]string{}
	for _, f := range card.Facts {
		if f.Predicate == "wounded" {
			if !f.Contested {
				t.Errorf("wounded %v not marked contested", f.Value)
			}
			for _, e := range f.Evidence {
				if e.Quote == "" {
					t.Errorf("wounded %v from %s has no evidence", f.Value, e.Source)
				}
				wounded[f.Value.String()] = append(wounded[f.Value.String()], e.Source)
			}
		}
		if f.Predicate == "killed" && f.Contested {
			t.Errorf("killed marked contested though every source's words allow 137")
		}
	}
	// Reason's exact 180 cannot be Reuters' "more than 180" nor The Week's
	// "hundreds more"; Slate's "at least 100" fits them all.
	for fig, src := range map[string]string{
		"180": "source:reason-2024-03-25-wolfe", "more than 180 (181 or more)": "source:reuters-2024-03-25",
		"hundreds more (200-999)": "source:theweek-2024-03-25-goat", "at least 100 (100 or more)": "source:slate-2024-03-25-kaplan",
	} {
		if !slices.Contains(wounded[fig], src) {
			t.Errorf("wounded figures = %v; want %q from %s among them", wounded, fig, src)
		}
	}
	if !slices.Equal(card.Contested, []string{"attackersOrigin", "wounded"}) {
		t.Errorf("Contested = %v; want [attackersOrigin wounded]", card.Contested)
	}
}

func TestContestedAndStats(t *testing.T) {
	s := demoStore(t)
	dis, err := query.NewReader(s, query.ReaderOptions{}).Contested(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, d := range dis {
		found[d.Subject+" "+d.Predicate] = true
		if d.Kind == query.KindValue && len(d.Values) < 2 || d.Kind != query.KindValue && len(d.Sides) < 2 {
			t.Errorf("%s %s %s: %d values, %d sides", d.Kind, d.Subject, d.Predicate, len(d.Values), len(d.Sides))
		}
	}
	for _, want := range []string{"group:taliban seizedPower", "group:isis-k founded", "attack:2024-03-22-crocus-city-hall wounded"} {
		if !found[want] {
			t.Errorf("Contested lacks %s", want)
		}
	}
	// "2021" and "August 2021" agree; they must not be listed.
	for k := range found {
		if k == "attack:2021-08-kabul-airport-bombing date" {
			t.Errorf("Kabul airport date listed as contested (year vs month of the same date)")
		}
	}
	st, err := query.NewReader(s, query.ReaderOptions{}).Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Contested != len(dis) {
		t.Errorf("stats contested %d, Contested lists %d", st.Contested, len(dis))
	}
	for _, k := range schema.Kinds {
		if st.ByKind[string(k)] == 0 && !slices.Contains([]schema.Kind{schema.Campaign, schema.Technique, schema.Malware, schema.Tool}, k) { // the kinds of STIX imports
			t.Errorf("the built-in dataset has no %s", k)
		}
	}
	if st.Sources < 6 || st.Quotes == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestSearch(t *testing.T) {
	s := demoStore(t)
	ms, err := query.NewReader(s, query.ReaderOptions{}).Search(t.Context(), "khorasan", 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range ms {
		ids[m.ID] = true
	}
	if !ids["group:isis-k"] {
		t.Errorf("search khorasan = %v; want group:isis-k", ms)
	}
	ms, err = query.NewReader(s, query.ReaderOptions{}).Search(t.Context(), "ISIS-K", 0)
	if err != nil || len(ms) == 0 || ms[0].ID != "group:isis-k" {
		t.Errorf("search ISIS-K: exact match first; got %v, %v", ms, err)
	}
}

// TestDatasetCounts keeps docs/dataset.md in step with what the built-in
// dataset loads: the per-kind table and the stats block.
func TestDatasetCounts(t *testing.T) {
	s := demoStore(t)
	st, err := query.NewReader(s, query.ReaderOptions{}).Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile("../docs/dataset.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(md)
	for _, k := range schema.Kinds {
		row := fmt.Sprintf("| %s | %d |", k, st.ByKind[string(k)])
		if !strings.Contains(doc, row) {
			t.Errorf("docs/dataset.md lacks the row %q", row)
		}
		stat := regexp.MustCompile(`(?m)^  ` + string(k) + ` +` + strconv.Itoa(st.ByKind[string(k)]) + `$`)
		if !stat.MatchString(doc) {
			t.Errorf("docs/dataset.md stats block: %s is not %d", k, st.ByKind[string(k)])
		}
	}
	for _, line := range []string{
		fmt.Sprintf("Facts                  %d  (%d relations)", st.Facts, st.Relations),
		fmt.Sprintf("Evidence quotes        %d", st.Quotes),
		fmt.Sprintf("Contested points       %d", st.Contested),
		fmt.Sprintf("Quads                  %d", st.Quads),
	} {
		if !strings.Contains(doc, line) {
			t.Errorf("docs/dataset.md lacks %q", line)
		}
	}
}

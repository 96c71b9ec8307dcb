package builtin_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/threatgraph/threatgraph/schema"
)

// The built-in dataset quotes six news articles of 25 March 2024. Their text is
// copyrighted and lives outside the repository, in the shared corpus; these
// tests read it from there and skip where it is absent.
const (
	corpusDir  = "../../../shared/corpus"
	corpusFile = "articles-2024-03-25.txt"
	editors    = "source:threatgraph-editors"
)

// article says which lines of the corpus file belong to one source.
type article struct {
	source string
	ranges [][2]int // 1-based, inclusive
	anchor string   // the first line of the first range, to notice a changed corpus
}

// articles follows the table in the corpus README. Two corrections, found by
// reading the file: Slate's text repeats under the Reuters headline at lines
// 109-131 (the README says 109-130) and counts as Slate; the Reuters article
// therefore starts at its headline on line 132, not 131.
var articles = []article{
	{"source:nyt-2024-03-25-schmitt", [][2]int{{1, 33}}, "Eric Schmitt"},
	{"source:bbc-2024-03-25-gardner", [][2]int{{34, 83}}, "IS-K: Who are the Islamic State jihadists behind Moscow attack?"},
	{"source:slate-2024-03-25-kaplan", [][2]int{{84, 108}, {109, 131}}, "Why ISIS-K Hates Putin—and Went After Moscow"},
	{"source:reuters-2024-03-25", [][2]int{{132, 156}}, "What is ISIS-K, the group claiming the Moscow concert attack?"},
	{"source:reason-2024-03-25-wolfe", [][2]int{{157, 167}}, "The Islamic State's Moscow Massacre"},
	{"source:theweek-2024-03-25-goat", [][2]int{{168, -1}}, "Why is Islamic State targeting Russia?"}, // -1: to the end
}

// loadArticles returns, for each source, the texts of its line ranges.
func loadArticles(t *testing.T) map[string][]string {
	t.Helper()
	path := filepath.Join(corpusDir, corpusFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("corpus %s is absent (it lives outside the repository, in ../shared/corpus beside the repository): quotes cannot be checked", path)
	}
	if err != nil {
		t.Fatalf("reading corpus: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	texts := map[string][]string{}
	for _, a := range articles {
		for i, r := range a.ranges {
			lo, hi := r[0], r[1]
			if hi < 0 {
				hi = len(lines)
			}
			if lo < 1 || hi > len(lines) || lo > hi {
				t.Fatalf("corpus %s has %d lines; %s expects lines %d-%d", path, len(lines), a.source, lo, hi)
			}
			if i == 0 && strings.TrimSpace(lines[lo-1]) != a.anchor {
				t.Fatalf("corpus %s changed: line %d of %s is %q (expected %q); update the line ranges in this test",
					path, lo, a.source, lines[lo-1], a.anchor)
			}
			texts[a.source] = append(texts[a.source], strings.Join(lines[lo-1:hi], "\n"))
		}
	}
	return texts
}

// group is one set of facts attributed to a source: an entity's own facts or an item of its facts list.
type group struct {
	file, entity string
	line         int
	source       string
	quote        string
	quoteLine    int
	preds        []*yaml.Node // keys of the predicates it states
	values       []*yaml.Node // their values, parallel to preds
	kind         string       // the entity's kind (for the entity-level group)
	according    []*yaml.Node // whom the statement is according to (reported speech)
}

// dataset is every file of data/ parsed.
type dataset struct {
	files  []string
	groups []group
	ids    map[string]string // id -> kind
}

func loadDataset(t *testing.T) *dataset {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("data", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no YAML files in data/")
	}
	sort.Strings(files)
	ds := &dataset{files: files, ids: map[string]string{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Errorf("%s: not valid YAML: %v", f, err)
			continue
		}
		if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			t.Errorf("%s: top level is not a mapping", f)
			continue
		}
		ds.walkFile(t, f, doc.Content[0])
	}
	return ds
}

func (ds *dataset) walkFile(t *testing.T, file string, root *yaml.Node) {
	fileSource := ""
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "source" {
			fileSource = root.Content[i+1].Value
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "sources" && k.Value != "entities" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			t.Errorf("%s:%d: %s is not a list", file, v.Line, k.Value)
			continue
		}
		for _, e := range v.Content {
			ds.walkEntity(t, file, k.Value == "sources", fileSource, e)
		}
	}
}

func (ds *dataset) walkEntity(t *testing.T, file string, isSource bool, fileSource string, e *yaml.Node) {
	if e.Kind != yaml.MappingNode {
		t.Errorf("%s:%d: entity is not a mapping", file, e.Line)
		return
	}
	top := group{file: file, line: e.Line, source: fileSource}
	var facts *yaml.Node
	id := ""
	for i := 0; i+1 < len(e.Content); i += 2 {
		k, v := e.Content[i], e.Content[i+1]
		switch k.Value {
		case "id":
			id = v.Value
		case "kind":
			top.kind = v.Value
		case "source":
			top.source = v.Value
		case "quote":
			top.quote, top.quoteLine = v.Value, v.Line
		case "according":
			top.according = scalars(v)
		case "facts":
			facts = v
		default:
			top.preds = append(top.preds, k)
			top.values = append(top.values, v)
		}
	}
	if isSource {
		top.kind = string(schema.Source)
		top.source = id // a source's attributes are its own
	}
	if id == "" {
		t.Errorf("%s:%d: entity without id", file, e.Line)
		return
	}
	if k, ok := ds.ids[id]; ok && k != top.kind && top.kind != "" {
		t.Errorf("%s:%d: %s is a %s here but a %s elsewhere", file, e.Line, id, top.kind, k)
	}
	if top.kind != "" {
		ds.ids[id] = top.kind
	}
	top.entity = id
	ds.groups = append(ds.groups, top)
	if facts == nil {
		return
	}
	if facts.Kind != yaml.SequenceNode {
		t.Errorf("%s:%d: %s: facts is not a list", file, facts.Line, id)
		return
	}
	for _, f := range facts.Content {
		g := group{file: file, entity: id, line: f.Line, source: fileSource} // a fact group names its own source, else the file's
		for i := 0; i+1 < len(f.Content); i += 2 {
			k, v := f.Content[i], f.Content[i+1]
			switch k.Value {
			case "source":
				g.source = v.Value
			case "quote":
				g.quote, g.quoteLine = v.Value, v.Line
			case "according":
				g.according = scalars(v)
			case "note", "negated":
			default:
				g.preds = append(g.preds, k)
				g.values = append(g.values, v)
			}
		}
		ds.groups = append(ds.groups, g)
	}
}

// TestQuotes checks that every quote is the exact words of the article its
// source names, and that every fact group citing an article has a quote.
func TestQuotes(t *testing.T) {
	texts := loadArticles(t)
	ds := loadDataset(t)
	known := map[string]bool{editors: true}
	for _, a := range articles {
		known[a.source] = true
	}
	quotes := 0
	for _, g := range ds.groups {
		at := fmt.Sprintf("%s:%d (%s)", g.file, g.line, g.entity)
		if g.kind == string(schema.Source) && g.source == g.entity {
			continue // a Source's own attributes: title, publisher, ...
		}
		if g.source == "" {
			t.Errorf("%s: fact group without a source", at)
			continue
		}
		if !known[g.source] {
			t.Errorf("%s: source %s is neither one of the six articles nor %s", at, g.source, editors)
			continue
		}
		if g.quote == "" {
			if g.source != editors {
				t.Errorf("%s: facts of %s without a quote (every fact group citing an article needs the exact words that support it)", at, g.source)
			}
			continue
		}
		quotes++
		line := g.quoteLine
		if g.source == editors {
			t.Errorf("%s:%d: quote %q is attributed to %s, which has no text to check it against", g.file, line, g.quote, editors)
			continue
		}
		if !containsAny(texts[g.source], g.quote) {
			t.Errorf("%s:%d: quote not found in %s: %q%s", g.file, line, g.source, g.quote, hint(texts, g.source, g.quote))
		}
	}
	t.Logf("%d fact groups, %d quotes checked against the corpus", len(ds.groups), quotes)
}

func containsAny(texts []string, q string) bool {
	for _, s := range texts {
		if strings.Contains(s, q) {
			return true
		}
	}
	return false
}

// hint says where a quote that is not in its source went wrong: it is in
// another article, or it matches up to some point (often a straight quote
// where the article has a curly one).
func hint(texts map[string][]string, source, q string) string {
	for _, a := range articles {
		if a.source != source && containsAny(texts[a.source], q) {
			return " (it is in " + a.source + ")"
		}
	}
	best := 0
	for _, s := range texts[source] {
		for n := len(q); n > best; n-- {
			if strings.Contains(s, q[:n]) {
				best = n
				break
			}
		}
	}
	if best == 0 {
		return " (not even its first character matches)"
	}
	r := []rune(q[best:])
	if len(r) > 20 {
		r = r[:20]
	}
	return fmt.Sprintf(" (matches up to byte %d; the rest %q does not follow in the article)", best, string(r))
}

// scalars returns a node's values: itself, or the items of a list.
func scalars(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}

// TestReferences checks what the quotes test cannot see and the ingester
// checks again: predicates exist and are not derived, relations point at ids
// of the dataset whose kind the predicate accepts, single-valued predicates
// have one value per group, and whom a statement is according to exists.
func TestReferences(t *testing.T) {
	ds := loadDataset(t)
	skip := map[string]bool{"id": true, "kind": true}
	for _, g := range ds.groups {
		for _, a := range g.according {
			if _, ok := ds.ids[a.Value]; !ok {
				t.Errorf("%s:%d: %s: according: %s is not defined in data/", g.file, a.Line, g.entity, a.Value)
			}
			if g.quote == "" {
				t.Errorf("%s:%d: %s: according without a quote", g.file, a.Line, g.entity)
			}
		}
		for i, k := range g.preds {
			if skip[k.Value] {
				continue
			}
			at := fmt.Sprintf("%s:%d: %s: %s", g.file, k.Line, g.entity, k.Value)
			p := schema.Lookup(k.Value)
			if p == nil || p.Derived {
				t.Errorf("%s: not a predicate of the vocabulary", at)
				continue
			}
			if kind, ok := schema.ParseKind(ds.ids[g.entity]); ok && !p.Allows(kind) {
				t.Errorf("%s: a %s cannot carry %s", at, kind, k.Value)
			}
			v := g.values[i]
			vals := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				if !p.Multi {
					t.Errorf("%s: single-valued, but given a list", at)
				}
				vals = v.Content
			}
			if !p.Relation() {
				continue
			}
			for _, o := range vals {
				kind, ok := ds.ids[o.Value]
				if !ok {
					t.Errorf("%s: %s is not defined in data/", at, o.Value)
					continue
				}
				if kk, _ := schema.ParseKind(kind); !p.Accepts(kk) {
					t.Errorf("%s: %s is a %s, which %s does not accept", at, o.Value, kind, k.Value)
				}
			}
		}
	}
}

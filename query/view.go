package query

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/query/analytics"
	"github.com/threatgraph/threatgraph/schema"
)

// A View is the analytics view of a store: entities as nodes (literals and
// sources are not nodes, see isNode; reified Claims and Warnings are), relations as rows
// with their predicate and each supporting source. It is built by reading
// every quad once, kept in a snapshot beside the store, and reused until the
// store's quad count changes (the store only grows, so an unchanged count
// means unchanged content). Graph builds the compact analytics graph for a
// scope; the graph of the whole store is cached.
type View struct {
	keys    []string // entity ids, sorted; a node's index is its id in every graph the view builds
	kinds   []string // by node
	names   []string // display names by node
	dates   []dated  // dated entities (Attack, Warning, Claim, ...), by node
	sources []string // known source ids (every declared Source, see newBelief), sorted
	machine []string // the sources with coding machine (Scope.ExcludeMachine), sorted
	// machineOnly are the nodes that only machine-coded sources declare
	// and relate (machineOnlyNodes), sorted: without them the graph is
	// the graph of the other sources (Scope.ExcludeMachine).
	machineOnly []int32
	origins     []string // the sources and whom statements are according to (originsOf), sorted
	preds       []string // relation predicates, sorted
	rows        []row    // one per (subject, predicate, object, source, origin, deprecated), sorted
	quads       int64    // the store's quad count when the view was built
	gen         uint64   // the store's generation then (generationOf)

	fullOnce sync.Once
	full     *analytics.Graph // the graph of the whole store, built once
}

// A row is one relation stated by one source, as the word of one origin
// (the source itself, or whom it reports), from statements that a
// judgement deprecates or not (a source may give it both ways). Fields are
// exported for the snapshot.
type row struct {
	S, O       int32
	P          uint16
	Source     uint16 // in View.sources: the belief policy's unit
	Origin     uint16 // in View.origins: the unit of independent support
	Deprecated bool
}

// dated is a node's date as each source gives it.
type dated struct {
	Node  int32
	Dates []sourcedDate
}

// A sourcedDate is one source's date for an entity, from statements that
// a judgement deprecates or not.
type sourcedDate struct {
	Start, End time.Time
	Text       string // canonical interval
	Source     uint16
	Deprecated bool
}

// Node returns the node id of an entity id.
func (v *View) Node(id string) (int32, bool) {
	i, ok := slices.BinarySearch(v.keys, id)
	return int32(i), ok
}

// datesOf returns node n's date as the scope's facts give it (c nil: every
// source, deprecated statements too), by agreedDates, and the sources that
// give it. No interval: the kept sources do not date it.
func (v *View) datesOf(n int32, c *scope) (dates []schema.Interval, contested bool, sources []string) {
	i, ok := slices.BinarySearchFunc(v.dates, n, func(d dated, n int32) int { return int(d.Node - n) })
	if !ok {
		return nil, false, nil
	}
	var ivs []schema.Interval
	for _, d := range v.dates[i].Dates {
		if c.uses(d.Source, d.Deprecated) {
			ivs = append(ivs, schema.Span(d.Start, d.End))
			sources = append(sources, v.sources[d.Source])
		}
	}
	slices.Sort(sources)
	dates, contested = agreedDates(ivs)
	return dates, contested, slices.Compact(sources)
}

// Date returns node n's date under every source, deprecated statements
// too: the agreed interval, or for a contested date the span of all its
// values.
func (v *View) Date(n int32) (schema.Interval, bool) {
	ds, _, _ := v.datesOf(n, nil)
	return span(ds)
}

// span returns the interval from the earliest start to the latest end.
func span(ds []schema.Interval) (schema.Interval, bool) {
	switch len(ds) {
	case 0:
		return schema.Interval{}, false
	case 1:
		return ds[0], true
	}
	lo, hi := ds[0].Start, ds[0].End
	for _, d := range ds[1:] {
		lo, hi = minTime(lo, d.Start), maxTime(hi, d.End)
	}
	return schema.Span(lo, hi), true
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Graph returns the analytics graph for the scope: every entity is a node
// (node ids are the view's), each (subject, predicate, object) kept by the
// scope is an edge weighted by its number of distinct supporting sources.
// A scope the view refuses is a *ParamError.
func (v *View) Graph(sc Scope) (*analytics.Graph, error) {
	c, err := v.compile(sc)
	if err != nil {
		return nil, err
	}
	return v.graph(c), nil
}

// graph returns the graph of a compiled scope; the graph of the whole store
// is built once, whatever number of goroutines ask for it.
func (v *View) graph(c *scope) *analytics.Graph {
	if c.graphZero() {
		v.fullOnce.Do(func() { v.full = v.build(c) })
		return v.full
	}
	return v.build(c)
}

// rankGraph returns the graph that ranks the entities of a compiled
// scope, and the view node of each of its nodes (nil: the same as the
// graph's). It is the scope's graph (graph), without the nodes the scope
// hides (scope.hides: with ExcludeMachine, those only machine-coded
// sources give), so that measures normalised by the number of nodes score
// as on a store without those sources.
func (v *View) rankGraph(c *scope) (*analytics.Graph, []int32) {
	if c.hidden == nil {
		return v.graph(c), nil
	}
	g := v.buildNodes(c, c.hidden)
	back := make([]int32, g.N())
	for i := range back {
		n, _ := v.Node(g.Key(int32(i)))
		back[i] = int32(n)
	}
	return g, back
}

// viewScores returns scores of rankGraph's graph by view node (those of
// nodes it left out are 0; rank does not rank them).
func (v *View) viewScores(scores []float64, back []int32) []float64 {
	if back == nil {
		return scores
	}
	out := make([]float64, len(v.keys))
	for i, n := range back {
		out[n] = scores[i]
	}
	return out
}

// build builds the graph of a compiled scope. An edge's weight is the
// number of independent origins (originsOf) of the facts the scope keeps.
func (v *View) build(c *scope) *analytics.Graph { return v.buildNodes(c, nil) }

// buildNodes is build without the nodes marked in hidden (nil: none).
func (v *View) buildNodes(c *scope, hidden []bool) *analytics.Graph {
	preds, nodes := c.preds, c.nodes
	var b analytics.Builder
	idx := make([]int32, len(v.keys))
	for i, k := range v.keys {
		if hidden != nil && hidden[i] {
			idx[i] = -1
			continue
		}
		idx[i] = b.Node(k, v.kinds[i])
	}
	// Rows are sorted by (S, P, O, Source, ...): count origins per triple.
	var origins []uint16
	for i := 0; i < len(v.rows); {
		r := v.rows[i]
		j := i
		origins = origins[:0]
		for ; j < len(v.rows) && v.rows[j].S == r.S && v.rows[j].P == r.P && v.rows[j].O == r.O; j++ {
			if x := v.rows[j]; c.uses(x.Source, x.Deprecated) && !slices.Contains(origins, x.Origin) {
				origins = append(origins, x.Origin)
			}
		}
		i = j
		n := len(origins)
		if n == 0 || (preds != nil && !preds[r.P]) || (nodes != nil && (!nodes[r.S] || !nodes[r.O])) || idx[r.S] < 0 || idx[r.O] < 0 {
			continue
		}
		b.Edge(idx[r.S], idx[r.O], v.preds[r.P], uint16(min(n, 1<<16-1)))
	}
	return b.Build()
}

// rowSources returns the sources that state subject -p-> object in the
// facts the scope c uses (its belief policy, deprecated facts).
func (v *View) rowSources(c *scope, s, o int32, p string) []string {
	pi, ok := slices.BinarySearch(v.preds, p)
	if !ok {
		return nil
	}
	i, _ := slices.BinarySearchFunc(v.rows, row{S: s, P: uint16(pi), O: o}, cmpRow)
	var out []string
	for ; i < len(v.rows) && v.rows[i].S == s && v.rows[i].P == uint16(pi) && v.rows[i].O == o; i++ {
		if !c.uses(v.rows[i].Source, v.rows[i].Deprecated) {
			continue
		}
		if src := v.sources[v.rows[i].Source]; len(out) == 0 || out[len(out)-1] != src {
			out = append(out, src)
		}
	}
	return out
}

func cmpRow(a, b row) int {
	switch {
	case a.S != b.S:
		return int(a.S - b.S)
	case a.P != b.P:
		return int(a.P) - int(b.P)
	case a.O != b.O:
		return int(a.O - b.O)
	case a.Source != b.Source:
		return int(a.Source) - int(b.Source)
	case a.Origin != b.Origin:
		return int(a.Origin) - int(b.Origin)
	case a.Deprecated != b.Deprecated:
		if a.Deprecated {
			return 1
		}
		return -1
	}
	return 0
}

// A ViewProgress is told, while a view is built, how many quads have been
// scanned of total (0 when the total is unknown). It is called from the
// building goroutine, every progressEvery quads and once at the end.
type ViewProgress func(scanned, total int64)

type viewProgressKey struct{}

// progressEvery is how many quads buildView scans between two calls of a
// ViewProgress.
const progressEvery = 4096

// WithViewProgress returns ctx carrying fn, which a Reader calls as it
// scans the store to build its view. It changes nothing else.
func WithViewProgress(ctx context.Context, fn ViewProgress) context.Context {
	return context.WithValue(ctx, viewProgressKey{}, fn)
}

func viewProgressOf(ctx context.Context) ViewProgress {
	fn, _ := ctx.Value(viewProgressKey{}).(ViewProgress)
	return fn
}

// buildView reads every quad of the store once and builds the view; total
// is the store's quad count, which only the progress reports use.
func buildView(ctx context.Context, qs Store, total int64) (*View, error) {
	progress := viewProgressOf(ctx)
	// Facts are kept with their labels (a statement's or a source's; the
	// source is a prefix of the label, so the label costs no copy) until the
	// scan has seen whom each statement is according to and which are
	// deprecated.
	type rel struct{ s, p, o, label string }
	kinds := map[string]string{}
	names := map[string][]sourcedName{} // Source holds the label until the scan ends
	titles := map[string]string{}
	declared := map[string]bool{} // Source entities: known sources, not nodes
	type dateQuad struct {
		id, val, label string
	}
	var rels []rel
	var dates []dateQuad
	// The machine-coded sources, from the object index, before the scan:
	// only when there are some does it note whose word each kind is.
	machine, err := machineSources(ctx, qs)
	if err != nil {
		return nil, err
	}
	var declBy map[string]uint8 // by entity: declMachine, declOther
	if len(machine) > 0 {
		declBy = map[string]uint8{}
	}
	meta := newStmtMeta()
	var count int64
	err = qs.Scan(ctx, func(q quad.Quad) error {
		count++
		if progress != nil && count%progressEvery == 0 {
			progress(count, total)
		}
		p := string(labelIRI(q.Predicate))
		s := string(labelIRI(q.Subject))
		switch p {
		case schema.TypeIRI:
			if k, ok := schema.KindFromIRI(string(labelIRI(q.Object))); ok && preferKind(schema.Kind(kinds[s]), k) {
				kinds[s] = string(k)
			}
			if declBy != nil {
				if _, ok := slices.BinarySearch(machine, schema.SourceOf(string(labelIRI(q.Label)))); ok {
					declBy[s] |= declMachine
				} else {
					declBy[s] |= declOther
				}
			}
			return nil
		case "tg:name":
			names[s] = append(names[s], sourcedName{Name: valueOf(q.Object).String(), Source: string(labelIRI(q.Label))})
			return nil
		case "tg:title":
			titles[s] = valueOf(q.Object).String()
			return nil
		case "tg:date":
			dates = append(dates, dateQuad{s, valueOf(q.Object).String(), string(labelIRI(q.Label))})
			return nil
		case schema.StatedInIRI:
			return nil
		}
		if isMeta(p) {
			meta.add(q, p)
			return nil
		}
		if isLabelMeta(p) {
			return nil
		}
		if o, ok := q.Object.(quad.IRI); ok {
			if pr := schema.LookupIRI(p); pr != nil && !pr.Relation() {
				return nil
			}
			rels = append(rels, rel{s, strings.TrimPrefix(p, "tg:"), string(o), string(labelIRI(q.Label))})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress(count, total)
	}
	deprecated := meta.deprecated()
	for id, k := range kinds {
		if !isNode(schema.Kind(k)) {
			declared[id] = true
			delete(kinds, id)
		}
	}
	v := &View{quads: count}
	for id := range kinds {
		v.keys = append(v.keys, id)
	}
	sort.Strings(v.keys)
	v.kinds = make([]string, len(v.keys))
	v.names = make([]string, len(v.keys))
	for i, id := range v.keys {
		v.kinds[i] = kinds[id]
		var byOrigin []sourcedName
		for _, n := range names[id] {
			for _, o := range meta.origins(n.Source) {
				byOrigin = append(byOrigin, sourcedName{Name: n.Name, Source: o, Deprecated: deprecated[n.Source]})
			}
		}
		v.names[i] = displayName(id, byOrigin, titles[id])
	}
	// Known sources: every declared Source, and any other source that
	// labels a relation or a date (possible only in a store not loaded
	// through ingest, which requires every label to be a declared Source).
	srcSet, predSet := declared, map[string]bool{}
	for _, r := range rels {
		if _, ok := kinds[r.o]; ok {
			srcSet[schema.SourceOf(r.label)], predSet[r.p] = true, true
		}
	}
	for _, d := range dates {
		srcSet[schema.SourceOf(d.label)] = true
	}
	// Origins: the sources, and whom any statement is according to.
	originSet := map[string]bool{}
	for _, ids := range meta.according {
		for _, id := range ids {
			originSet[id] = true
		}
	}
	for s := range srcSet {
		v.sources = append(v.sources, s)
		originSet[s] = true
	}
	sort.Strings(v.sources)
	for _, s := range machine {
		if _, ok := slices.BinarySearch(v.sources, s); ok {
			v.machine = append(v.machine, s)
		}
	}
	for o := range originSet {
		v.origins = append(v.origins, o)
	}
	sort.Strings(v.origins)
	for p := range predSet {
		v.preds = append(v.preds, p)
	}
	sort.Strings(v.preds)
	srcIdx := func(s string) uint16 { i, _ := slices.BinarySearch(v.sources, s); return uint16(i) }
	originIdx := func(s string) uint16 { i, _ := slices.BinarySearch(v.origins, s); return uint16(i) }
	if len(v.sources) > 1<<16 || len(v.preds) > 1<<16 || len(v.origins) > 1<<16 {
		return nil, fmt.Errorf("view: %d sources, %d origins and %d predicates exceed 65536", len(v.sources), len(v.origins), len(v.preds))
	}
	ownOrigin := make([]uint16, len(v.sources)) // a source's own word, in origins
	for i, s := range v.sources {
		ownOrigin[i] = originIdx(s)
	}
	// Every relation names two ids: a map finds them faster than a binary
	// search of the sorted keys (View.Node) does, a million times over.
	node := make(map[string]int32, len(v.keys))
	for i, id := range v.keys {
		node[id] = int32(i)
	}
	for _, r := range rels {
		s, ok1 := node[r.s]
		o, ok2 := node[r.o]
		if !ok1 || !ok2 {
			continue // a link to something that is not an entity
		}
		p, _ := slices.BinarySearch(v.preds, r.p)
		src, dep := srcIdx(schema.SourceOf(r.label)), deprecated[r.label]
		ids := meta.according[r.label]
		if len(ids) == 0 {
			v.rows = append(v.rows, row{S: s, O: o, P: uint16(p), Source: src, Origin: ownOrigin[src], Deprecated: dep})
		}
		for _, id := range ids {
			v.rows = append(v.rows, row{S: s, O: o, P: uint16(p), Source: src, Origin: originIdx(id), Deprecated: dep})
		}
	}
	slices.SortFunc(v.rows, cmpRow)
	v.rows = slices.Compact(v.rows)
	byNode := map[int32]*dated{}
	for _, d := range dates {
		n, ok := node[d.id]
		if !ok {
			continue
		}
		iv, err := schema.ParseDate(d.val)
		if err != nil {
			continue
		}
		if byNode[n] == nil {
			byNode[n] = &dated{Node: n}
		}
		byNode[n].Dates = append(byNode[n].Dates, sourcedDate{Start: iv.Start, End: iv.End, Text: d.val, Source: srcIdx(schema.SourceOf(d.label)), Deprecated: deprecated[d.label]})
	}
	for _, d := range byNode {
		sort.Slice(d.Dates, func(i, j int) bool {
			if d.Dates[i].Text != d.Dates[j].Text {
				return d.Dates[i].Text < d.Dates[j].Text
			}
			if d.Dates[i].Source != d.Dates[j].Source {
				return d.Dates[i].Source < d.Dates[j].Source
			}
			return !d.Dates[i].Deprecated && d.Dates[j].Deprecated
		})
		v.dates = append(v.dates, *d)
	}
	sort.Slice(v.dates, func(i, j int) bool { return v.dates[i].Node < v.dates[j].Node })
	v.machineOnly = v.machineOnlyNodes(declBy)
	return v, nil
}

// Who states an entity's kind (buildView's declBy).
const (
	declMachine uint8 = 1 << iota // a machine-coded source
	declOther                     // another
)

// machineOnlyNodes returns the nodes whose kind only machine-coded sources
// state (declBy) and whose relations are all theirs, sorted; none when no
// source is machine-coded.
func (v *View) machineOnlyNodes(declBy map[string]uint8) []int32 {
	if len(v.machine) == 0 {
		return nil
	}
	machine := make([]bool, len(v.sources))
	for i, s := range v.sources {
		_, machine[i] = slices.BinarySearch(v.machine, s)
	}
	other := make([]bool, len(v.keys))
	for i, id := range v.keys {
		other[i] = declBy[id]&declMachine == 0 || declBy[id]&declOther != 0
	}
	for _, r := range v.rows {
		if !machine[r.Source] {
			other[r.S], other[r.O] = true, true
		}
	}
	var out []int32
	for i, ok := range other {
		if !ok {
			out = append(out, int32(i))
		}
	}
	return out
}

const snapshotName = "view.snapshot"

// loadView returns the view of the store: the snapshot in dir when it is
// current, else a fresh build, saved to dir for the next call. An empty dir
// (memstore) always builds. A build reports to the ViewProgress of ctx
// (WithViewProgress), if any, with the store's count as the total.
func loadView(ctx context.Context, qs Store, dir string) (*View, error) {
	n, err := qs.Count(ctx)
	if err != nil {
		return nil, err
	}
	gen, err := generationOf(ctx, qs, n)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		if v, err := readSnapshot(filepath.Join(dir, snapshotName)); err == nil && v.quads == n && v.gen == gen {
			return v, nil
		}
	}
	v, err := buildView(ctx, qs, n)
	if err != nil {
		return nil, err
	}
	v.gen = gen
	if dir != "" {
		if err := writeSnapshot(filepath.Join(dir, snapshotName), v); err != nil {
			return v, fmt.Errorf("saving view snapshot: %w", err)
		}
	}
	return v, nil
}

// snapshot is the file format of view.snapshot: gob of the view's data,
// with a version that any change of what the view holds or means moves on
// (a snapshot of another version is rebuilt, never misread).
type snapshot struct {
	Version                                     int
	Keys, Kinds, Names, Sources, Origins, Preds []string
	Machine                                     []string
	MachineOnly                                 []int32
	Dates                                       []dated
	Rows                                        []row
	Quads                                       int64
	Gen                                         uint64 // absent (0) in older snapshots: a store before the history
}

// 2: sources are not nodes, names by displayName, Sources holds every
// declared Source; 3: the view's own fields, not the View struct; 4: rows
// and dates carry their origin (reported speech) and whether judgements
// deprecate them, names count origins; 6: the machine-coded sources and
// the nodes only they give.
const snapshotVersion = 6

func readSnapshot(path string) (*View, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var s snapshot
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&s); err != nil {
		return nil, err
	}
	if s.Version != snapshotVersion {
		return nil, errors.New("snapshot version mismatch")
	}
	return &View{keys: s.Keys, kinds: s.Kinds, names: s.Names, dates: s.Dates, sources: s.Sources, machine: s.Machine, machineOnly: s.MachineOnly, origins: s.Origins, preds: s.Preds, rows: s.Rows, quads: s.Quads, gen: s.Gen}, nil
}

// writeSnapshot writes atomically: a temporary file renamed into place.
func writeSnapshot(path string, v *View) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), snapshotName+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := gob.NewEncoder(w).Encode(snapshot{Version: snapshotVersion, Keys: v.keys, Kinds: v.kinds, Names: v.names, Dates: v.dates, Sources: v.sources, Machine: v.machine, MachineOnly: v.machineOnly, Origins: v.origins, Preds: v.preds, Rows: v.rows, Quads: v.quads, Gen: v.gen}); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

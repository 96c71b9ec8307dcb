package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// Target is what Load needs of a store.
type Target interface {
	// Kinds returns the kind of each id the store declares; unknown ids are
	// absent from the map.
	Kinds(ctx context.Context, ids []string) (map[string]schema.Kind, error)
	// Write adds quads atomically and returns how many were new.
	Write(ctx context.Context, qs []quad.Quad) (added int, err error)
}

// Options control Load.
type Options struct {
	SkipInvalid bool      // load the valid records, report the others
	DryRun      bool      // validate only; write nothing
	Rejects     io.Writer // with SkipInvalid: one JSON line per rejected record (may be nil)
	// Record says how the load came and who made it, for a target that
	// keeps a load history: Load adds the files and hands it to the
	// target's Write in its context (schema.WithLoad).
	Record schema.LoadInfo
}

// FileReport says what happened to one file.
type FileReport struct {
	File     string `json:"file"`
	Format   string `json:"format"`
	Records  int    `json:"records"`
	Rejected int    `json:"rejected"`
	Quads    int    `json:"quads"`
	Added    int    `json:"added"`
}

// Report says what Load did.
type Report struct {
	Files    []FileReport  `json:"files"`
	Problems schema.Errors `json:"-"`
	DryRun   bool          `json:"dry_run"`
	// Warnings do not stop the load: a name or alias that another entity
	// already has (see Warnings).
	Warnings schema.Errors `json:"-"`
}

// Totals adds up the file reports.
func (r *Report) Totals() FileReport {
	var t FileReport
	for _, f := range r.Files {
		t.Records += f.Records
		t.Rejected += f.Rejected
		t.Quads += f.Quads
		t.Added += f.Added
	}
	return t
}

// Load checks the parsed files together (references may cross files and
// reach into the store) and writes the quads of all files in one
// transaction: all or nothing, so a load can never leave references
// between its files half-written.
// In strict mode (the default) any problem returns schema.Errors and writes
// nothing. With SkipInvalid the records with problems, and records whose
// references then dangle, are left out and reported.
func Load(ctx context.Context, t Target, files []*File, opt Options) (*Report, error) {
	rep := &Report{DryRun: opt.DryRun}
	for _, f := range files {
		rep.Problems = append(rep.Problems, f.FileErrs...)
	}
	if err := quoteCollisions(ctx, t, files); err != nil {
		return rep, err
	}
	if err := link(ctx, t, files, opt.SkipInvalid); err != nil {
		return rep, err
	}
	rep.Warnings = Warnings(files)
	for _, f := range files {
		for _, r := range f.Records {
			rep.Problems = append(rep.Problems, r.Errs...)
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if a.File != b.File {
			return fileIndex(files, a.File) < fileIndex(files, b.File)
		}
		return a.Line < b.Line
	})
	if len(rep.Problems) > 0 && !opt.SkipInvalid {
		for _, f := range files {
			rep.Files = append(rep.Files, FileReport{File: f.Name, Format: f.Format, Records: len(f.Records), Rejected: rejected(f)})
		}
		return rep, rep.Problems
	}
	// One load is one transaction: every file's quads are written together,
	// so references across files can never land half-way.
	var all []quad.Quad
	owner := []int{} // index into rep.Files of each quad in all
	seen := map[quad.Quad]struct{}{}
	for _, f := range files {
		fr := FileReport{File: f.Name, Format: f.Format, Records: len(f.Records)}
		var qs []quad.Quad
		if len(f.FileErrs) > 0 {
			fr.Rejected = len(f.Records)
		} else {
			for _, r := range f.Records {
				if len(r.Errs) > 0 {
					fr.Rejected++
					continue
				}
				qs = append(qs, r.Quads...)
			}
		}
		qs = dedupe(qs)
		fr.Quads = len(qs)
		for _, q := range qs {
			// A quad in two files is new at most once: it counts for the first.
			if _, dup := seen[q]; dup {
				continue
			}
			seen[q] = struct{}{}
			all = append(all, q)
			owner = append(owner, len(rep.Files))
		}
		rep.Files = append(rep.Files, fr)
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("nothing was written: %w", err)
	}
	if opt.DryRun || len(all) == 0 {
		return rep, writeRejectsIf(opt, files)
	}
	var exists []bool
	if ex, ok := t.(existing); ok {
		var err error
		if exists, err = ex.Existing(ctx, all); err != nil {
			return rep, fmt.Errorf("checking which quads are new: %w; nothing was written", err)
		}
	}
	info := opt.Record
	info.Files = nil
	for _, f := range files {
		info.Files = append(info.Files, schema.LoadFile{Name: f.Name, SHA256: f.SHA256, Format: f.Format})
	}
	n, err := t.Write(schema.WithLoad(ctx, info), all)
	if err != nil {
		names := make([]string, len(rep.Files))
		for i, fr := range rep.Files {
			names[i] = fr.File
		}
		we := &WriteError{Files: names, Err: err}
		var c interface{ Committed() bool }
		if errors.As(err, &c) {
			we.Written = c.Committed()
		}
		return rep, we
	}
	if exists == nil {
		// Without a way to ask, the files share the count: all of it is
		// reported on the first file that had quads.
		for i := range rep.Files {
			if rep.Files[i].Quads > 0 {
				rep.Files[i].Added = n
				break
			}
		}
	} else {
		for i, e := range exists {
			if !e {
				rep.Files[owner[i]].Added++
			}
		}
	}
	return rep, writeRejectsIf(opt, files)
}

// existing is what Load uses, where the target has it, to tell each file's
// new quads from those already stored before writing them all at once.
type existing interface {
	Existing(ctx context.Context, qs []quad.Quad) ([]bool, error)
}

// A WriteError reports that a load's one transaction failed. Unless
// Written, nothing of it was written (the store is as it was and the same
// load may be run again); Err says why.
type WriteError struct {
	Files   []string // the files of the load
	Written bool     // the transaction was committed although an error followed
	Err     error
}

func (e *WriteError) Error() string {
	if e.Written {
		return fmt.Sprintf("the load of %s was written (one transaction), but then: %v", strings.Join(e.Files, ", "), e.Err)
	}
	return fmt.Sprintf("writing failed, nothing was written (the load of %s is one transaction): %v", strings.Join(e.Files, ", "), e.Err)
}

func (e *WriteError) Unwrap() error { return e.Err }

func writeRejectsIf(opt Options, files []*File) error {
	if opt.SkipInvalid && opt.Rejects != nil {
		if err := writeRejects(opt.Rejects, files); err != nil {
			return fmt.Errorf("writing rejects report: %w", err)
		}
	}
	return nil
}

func fileIndex(files []*File, name string) int {
	for i, f := range files {
		if f.Name == name {
			return i
		}
	}
	return len(files)
}

func rejected(f *File) int {
	if len(f.FileErrs) > 0 {
		return len(f.Records)
	}
	n := 0
	for _, r := range f.Records {
		if len(r.Errs) > 0 {
			n++
		}
	}
	return n
}

func dedupe(qs []quad.Quad) []quad.Quad {
	seen := make(map[quad.Quad]struct{}, len(qs))
	out := qs[:0]
	for _, q := range qs {
		if _, ok := seen[q]; ok {
			continue
		}
		seen[q] = struct{}{}
		out = append(out, q)
	}
	return out
}

// link checks kinds and references across all files and the store. With
// skip it repeats until no record refers to a rejected one.
func link(ctx context.Context, t Target, files []*File, skip bool) error {
	live := func(f *File, r *Record) bool { return len(f.FileErrs) == 0 && len(r.Errs) == 0 }
	// In strict mode nothing is written anyway: a record with a problem still
	// declares its id, so that its problem is not echoed by every reference.
	declares := func(f *File, r *Record) bool { return !skip || live(f, r) }
	// Ask the store about every id defined or referenced, once.
	idset := map[string]bool{}
	for _, f := range files {
		for _, r := range f.Records {
			for _, d := range r.Defines {
				idset[d.ID] = true
			}
			for _, ref := range r.Refs {
				if !ref.stmt {
					idset[ref.ID] = true
				}
			}
		}
	}
	ids := make([]string, 0, len(idset))
	for id := range idset {
		ids = append(ids, id)
	}
	stored, err := t.Kinds(ctx, ids)
	if err != nil {
		return fmt.Errorf("looking up existing entities: %w", err)
	}
	if err := consistent(ctx, t, files, declares, stored); err != nil {
		return err
	}
	storedStmts, err := storedStatements(ctx, t, files)
	if err != nil {
		return err
	}
	type def struct {
		kind schema.Kind
		file string
		line int
	}
	reported := map[*Record]map[int]bool{}
	for {
		defs := map[string]def{}
		for _, f := range files {
			for _, r := range f.Records {
				if !declares(f, r) {
					continue
				}
				for _, d := range r.Defines {
					if k, ok := stored[d.ID]; ok && k != d.Kind {
						r.Errs.Add(r.File, d.Line, "kind", fmt.Errorf("%w: %s is a %s in the store (expected %s here too, or another id)", schema.ErrKindConflict, d.ID, k, k))
						continue
					}
					if prev, ok := defs[d.ID]; ok && prev.kind != d.Kind {
						r.Errs.Add(r.File, d.Line, "kind", fmt.Errorf("%w: %s is a %s at %s:%d (expected %s here too, or another id)", schema.ErrKindConflict, d.ID, prev.kind, prev.file, prev.line, prev.kind))
						continue
					}
					if _, ok := defs[d.ID]; !ok {
						defs[d.ID] = def{d.Kind, r.File, d.Line}
					}
				}
			}
		}
		stmts := loadStatements(files, declares)
		kindOf := func(id string) (schema.Kind, bool) {
			if d, in := defs[id]; in {
				return d.kind, true
			}
			k, in := stored[id]
			return k, in
		}
		stmtKnown := func(id string) bool { return stmts[id] || storedStmts[id] }
		// checkRefs reports each problem of a record's references once.
		checkRefs := func(r *Record) (added bool) {
			for i, ref := range r.Refs {
				if reported[r][i] {
					continue
				}
				if !refProblem(r, ref, kindOf, stmtKnown) {
					continue
				}
				if reported[r] == nil {
					reported[r] = map[int]bool{}
				}
				reported[r][i] = true
				added = true
			}
			return added
		}
		changed := false
		for _, f := range files {
			for _, r := range f.Records {
				if declares(f, r) && checkRefs(r) {
					changed = true
				}
			}
		}
		if !changed || !skip {
			if skip {
				// The rejects report names every problem of a rejected
				// record, its references included.
				for _, f := range files {
					for _, r := range f.Records {
						if !live(f, r) {
							checkRefs(r)
						}
					}
				}
			}
			return nil
		}
	}
}

// loadStatements returns the statements that the records which declare
// define: the subjects of their tg:quote quads.
func loadStatements(files []*File, declares func(*File, *Record) bool) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		for _, r := range f.Records {
			if !declares(f, r) {
				continue
			}
			for _, q := range r.Quads {
				if p, _ := q.Predicate.(quad.IRI); string(p) == schema.QuoteIRI {
					if s, ok := q.Subject.(quad.IRI); ok {
						out[string(s)] = true
					}
				}
			}
		}
	}
	return out
}

// storedStatements returns which of the statements that the input refers
// to (judged statements, evidence) the store holds: those with a tg:quote.
// A Target that is no EdgeReader holds none that Load can see.
func storedStatements(ctx context.Context, t Target, files []*File) (map[string]bool, error) {
	out := map[string]bool{}
	er, ok := t.(EdgeReader)
	if !ok {
		return out, nil
	}
	for _, f := range files {
		for _, r := range f.Records {
			for _, ref := range r.Refs {
				if !ref.stmt {
					continue
				}
				if _, done := out[ref.ID]; done {
					continue
				}
				out[ref.ID] = false
				err := er.Out(ctx, quad.IRI(ref.ID), func(q quad.Quad) error {
					if p, _ := q.Predicate.(quad.IRI); string(p) == schema.QuoteIRI {
						out[ref.ID] = true
					}
					return nil
				})
				if err != nil {
					return nil, fmt.Errorf("looking up statement %s in the store: %w", ref.ID, err)
				}
			}
		}
	}
	return out, nil
}

func writeRejects(w io.Writer, files []*File) error {
	enc := json.NewEncoder(w)
	for _, f := range files {
		for _, r := range f.Records {
			errs := r.Errs
			if len(f.FileErrs) > 0 {
				errs = append(append(schema.Errors(nil), f.FileErrs...), errs...)
			}
			if len(errs) == 0 {
				continue
			}
			msgs := make([]string, len(errs))
			for i, e := range errs {
				msgs[i] = e.Error()
			}
			rej := map[string]any{"file": r.File, "line": r.Line, "record": r.Where, "errors": msgs}
			if r.Raw != "" {
				rej["raw"] = r.Raw
			}
			if err := enc.Encode(rej); err != nil {
				return err
			}
		}
		if len(f.Records) == 0 && len(f.FileErrs) > 0 {
			msgs := make([]string, len(f.FileErrs))
			for i, e := range f.FileErrs {
				msgs[i] = e.Error()
			}
			if err := enc.Encode(map[string]any{"file": f.Name, "line": 0, "record": "file", "errors": msgs}); err != nil {
				return err
			}
		}
	}
	return nil
}

// An EdgeReader lists the quads of a value in the store. A Target that is
// also an EdgeReader (a *graph.Store is) lets Load check the input against
// the store beyond kinds: a source's attributes, cycles of partOf, names
// and aliases already taken. Without it those checks see the input only.
type EdgeReader interface {
	// Out calls fn for every quad whose subject is v.
	Out(ctx context.Context, v quad.Value, fn func(quad.Quad) error) error
	// In calls fn for every quad whose object is v.
	In(ctx context.Context, v quad.Value, fn func(quad.Quad) error) error
}

// inMany is what an EdgeReader may offer to look many values up at once.
type inMany interface {
	InMany(ctx context.Context, vs []quad.Value, fn func(i int, q quad.Quad) error) error
}

// Warnings returns the warnings of every file (Load's report carries them):
// facts that load but that the user should know about.
func Warnings(files []*File) schema.Errors {
	var out schema.Errors
	for _, f := range files {
		out = append(out, f.Warnings...)
	}
	return out
}

// consistent runs the checks that need the whole input and the store: a
// source's single-valued attributes agree, acyclic relations stay acyclic,
// and a name or alias new to an entity is not already another's (a
// warning). Problems go to the records, warnings to the files.
func consistent(ctx context.Context, t Target, files []*File, declares func(*File, *Record) bool, stored map[string]schema.Kind) error {
	er, _ := t.(EdgeReader)
	kinds := map[string]schema.Kind{}
	for id, k := range stored {
		kinds[id] = k
	}
	for _, f := range files {
		for _, r := range f.Records {
			if declares(f, r) {
				for _, d := range r.Defines {
					if _, ok := kinds[d.ID]; !ok {
						kinds[d.ID] = d.Kind
					}
				}
			}
		}
	}
	if err := sourceAttrs(ctx, er, files, declares, kinds); err != nil {
		return err
	}
	if err := cycles(ctx, er, files, declares); err != nil {
		return err
	}
	return nameClashes(ctx, er, files, declares)
}

// literal shows a value in a message: text quoted, dates and numbers bare.
func literal(v quad.Value) string {
	switch x := v.(type) {
	case quad.String:
		return strconv.Quote(string(x))
	case quad.TypedString:
		if x.Type == DateType {
			return string(x.Value)
		}
		return strconv.Quote(string(x.Value))
	case quad.LangString:
		return strconv.Quote(string(x.Value))
	case quad.IRI:
		return string(x)
	}
	return quad.StringOf(v)
}

// sourceAttrs refuses a source whose single-valued attribute (title,
// publisher, reliability...) has two values: in two places of the input, or
// in the input and the store. A source is one document; two titles mean two
// documents under one id, and merging them would hang one's facts on the
// other's reliability.
func sourceAttrs(ctx context.Context, er EdgeReader, files []*File, declares func(*File, *Record) bool, kinds map[string]schema.Kind) error {
	type place struct {
		val         quad.Value
		file, field string
		line        int
	}
	first := map[[2]string]place{}
	var ids []string
	for _, f := range files {
		for _, r := range f.Records {
			if !declares(f, r) {
				continue
			}
			for _, a := range r.attrs {
				if kinds[a.subj] != schema.Source {
					continue
				}
				k := [2]string{a.subj, a.pred.Name}
				prev, ok := first[k]
				if !ok {
					first[k] = place{a.val, r.File, a.field, a.line}
					ids = append(ids, a.subj)
					continue
				}
				if quad.StringOf(prev.val) != quad.StringOf(a.val) {
					r.Errs.Addf(r.File, a.line, a.field, "source %s has %s %s at %s:%d and %s here (expected one %s per source: correct one of them, or give the other document its own source id)",
						a.subj, a.pred.Name, literal(prev.val), prev.file, prev.line, literal(a.val), a.pred.Name)
				}
			}
		}
	}
	if er == nil || len(ids) == 0 {
		return nil
	}
	sort.Strings(ids)
	ids = slices.Compact(ids)
	inStore := map[[2]string][]quad.Value{}
	for _, id := range ids {
		err := er.Out(ctx, quad.IRI(id), func(q quad.Quad) error {
			p := predOf(q)
			if p != nil && !p.Multi && !p.Derived {
				k := [2]string{id, p.Name}
				inStore[k] = append(inStore[k], q.Object)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading source %s from the store: %w", id, err)
		}
	}
	for _, f := range files {
		for _, r := range f.Records {
			if !declares(f, r) {
				continue
			}
			for _, a := range r.attrs {
				vs := inStore[[2]string{a.subj, a.pred.Name}]
				if kinds[a.subj] != schema.Source || len(vs) == 0 || slices.ContainsFunc(vs, func(v quad.Value) bool { return quad.StringOf(v) == quad.StringOf(a.val) }) {
					continue
				}
				r.Errs.Addf(r.File, a.line, a.field, "source %s has %s %s in the store and %s here (expected the same %s: correct the input, or give this document its own source id)",
					a.subj, a.pred.Name, literal(vs[0]), literal(a.val), a.pred.Name)
			}
		}
	}
	return nil
}

// predOf returns the vocabulary predicate of a quad, or nil.
func predOf(q quad.Quad) *schema.Predicate {
	p, ok := q.Predicate.(quad.IRI)
	if !ok {
		return nil
	}
	return schema.LookupIRI(string(p))
}

// cycles refuses an edge of an acyclic relation (partOf, partOfOrg,
// partOfAttack) that closes a cycle through the input's own edges and the
// store's. Edges are taken in input order; the one that closes a cycle is
// reported, with the cycle, and left out of the graph.
func cycles(ctx context.Context, er EdgeReader, files []*File, declares func(*File, *Record) bool) error {
	c := newCycleChecker(ctx, er)
	for _, f := range files {
		for _, r := range f.Records {
			if !declares(f, r) {
				continue
			}
			if err := c.check(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// A cycleChecker checks the edges of acyclic relations record by record,
// in input order, against the edges accepted so far and the store's.
type cycleChecker struct {
	ctx       context.Context
	er        EdgeReader
	adj       map[cycleKey][]string // the input's edges accepted so far
	fromStore map[cycleKey][]string // the store's edges, read on demand
	read      map[string]bool       // nodes whose store edges are read
	prev      map[string]string     // path's search, reused
	queue     []string
}

type cycleKey struct{ pred, node string }

func newCycleChecker(ctx context.Context, er EdgeReader) *cycleChecker {
	return &cycleChecker{ctx: ctx, er: er, adj: map[cycleKey][]string{}, fromStore: map[cycleKey][]string{}, read: map[string]bool{}}
}

func (c *cycleChecker) storeOut(pred *schema.Predicate, node string) ([]string, error) {
	if c.er == nil {
		return nil, nil
	}
	if !c.read[node] {
		c.read[node] = true
		err := c.er.Out(c.ctx, quad.IRI(node), func(q quad.Quad) error {
			if p := predOf(q); p != nil && p.Acyclic {
				if o, ok := q.Object.(quad.IRI); ok {
					k := cycleKey{p.Name, node}
					c.fromStore[k] = append(c.fromStore[k], string(o))
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s from the store: %w", node, err)
		}
	}
	return c.fromStore[cycleKey{pred.Name, node}], nil
}

// path returns a path from -> to over pred's edges, or nil.
func (c *cycleChecker) path(pred *schema.Predicate, from, to string) ([]string, error) {
	// The search's map and queue are kept from one call to the next.
	if c.prev == nil {
		c.prev = map[string]string{}
	}
	clear(c.prev)
	prev := c.prev
	prev[from] = ""
	queue := append(c.queue[:0], from)
	defer func() { c.queue = queue[:0] }()
	for head := 0; head < len(queue); head++ {
		n := queue[head]
		if n == to {
			var p []string
			for ; n != ""; n = prev[n] {
				p = append(p, n)
			}
			slices.Reverse(p)
			return p, nil
		}
		st, err := c.storeOut(pred, n)
		if err != nil {
			return nil, err
		}
		for _, next := range [2][]string{c.adj[cycleKey{pred.Name, n}], st} {
			for _, m := range next {
				if _, seen := prev[m]; !seen {
					prev[m] = n
					queue = append(queue, m)
				}
			}
		}
	}
	return nil, nil
}

// check refuses each edge of r that closes a cycle and accepts the others.
func (c *cycleChecker) check(r *Record) error {
	for _, ref := range r.Refs {
		if ref.Pred == nil || !ref.Pred.Acyclic || ref.subj == "" || ref.subj == ref.ID {
			continue
		}
		p, err := c.path(ref.Pred, ref.ID, ref.subj)
		if err != nil {
			return err
		}
		if p != nil {
			r.Errs.Addf(r.File, ref.Line, ref.Field, "%s %s %s closes a cycle: %s (expected a chain that ends, e.g. venue, city, country)",
				ref.subj, ref.Pred.Name, ref.ID, strings.Join(append([]string{ref.subj}, p...), " -> "))
			continue
		}
		k := cycleKey{ref.Pred.Name, ref.subj}
		c.adj[k] = append(c.adj[k], ref.ID)
	}
	return nil
}

// nameClashes warns when a name or alias given to an entity is already the
// name or alias of another entity, in the input or in the store: looking it
// up then lists both. It is a warning, not an error: two groups can share
// an alias in fact ("Islamic State").
func nameClashes(ctx context.Context, er EdgeReader, files []*File, declares func(*File, *Record) bool) error {
	type place struct {
		subj, text, file string
		line             int
	}
	byKey := map[string][]place{}
	var keys []string
	type use struct {
		f     *File
		n     nameKey
		other *place // the first other entity of the input with the key
	}
	var uses []use
	for _, f := range files {
		for _, r := range f.Records {
			if !declares(f, r) {
				continue
			}
			for _, n := range r.names {
				ps := byKey[n.key]
				if len(ps) == 0 {
					keys = append(keys, n.key)
				}
				if slices.ContainsFunc(ps, func(p place) bool { return p.subj == n.subj }) {
					continue
				}
				u := use{f: f, n: n}
				if len(ps) > 0 {
					u.other = &ps[0]
				}
				byKey[n.key] = append(ps, place{n.subj, n.text, r.File, n.line})
				uses = append(uses, u)
			}
		}
	}
	inStore := map[string][]string{}
	add := func(k string, q quad.Quad) error {
		if p, _ := q.Predicate.(quad.IRI); string(p) == schema.KeyIRI {
			if s, ok := q.Subject.(quad.IRI); ok && !slices.Contains(inStore[k], string(s)) {
				inStore[k] = append(inStore[k], string(s))
			}
		}
		return nil
	}
	if many, ok := er.(inMany); ok {
		vs := make([]quad.Value, len(keys))
		for i, k := range keys {
			vs[i] = quad.String(k)
		}
		if err := many.InMany(ctx, vs, func(i int, q quad.Quad) error { return add(keys[i], q) }); err != nil {
			return fmt.Errorf("looking up names in the store: %w", err)
		}
		keys = nil
	}
	for _, k := range keys {
		if er == nil {
			break
		}
		err := er.In(ctx, quad.String(k), func(q quad.Quad) error { return add(k, q) })
		if err != nil {
			return fmt.Errorf("looking up names in the store: %w", err)
		}
	}
	const advice = "looking it up will list both (look them up by id; if they are one entity, threatgraph candidates proposes the same command)"
	for _, u := range uses {
		held := inStore[u.n.key]
		if slices.Contains(held, u.n.subj) {
			continue // the entity has the name already: nothing new
		}
		if o := u.other; o != nil {
			u.f.Warnings.Addf(u.f.Name, u.n.line, u.n.field, "%q is also a name or alias of %s (%q at %s:%d): %s", u.n.text, o.subj, o.text, o.file, o.line, advice)
			continue
		}
		var others []string
		for _, s := range held {
			// An entity of the input that has the key gets its own warning.
			if !slices.ContainsFunc(byKey[u.n.key], func(p place) bool { return p.subj == s }) {
				others = append(others, s)
			}
		}
		if len(others) == 0 {
			continue
		}
		sort.Strings(others)
		u.f.Warnings.Addf(u.f.Name, u.n.line, u.n.field, "%q is already a name or alias of %s in the store: %s", u.n.text, strings.Join(others, ", "), advice)
	}
	return nil
}

// refProblem checks one reference of r against the kinds known (kindOf:
// the input's declarations, then the store's) and the statements known,
// adds its problem to r and reports whether there was one.
func refProblem(r *Record, ref Ref, kindOf func(string) (schema.Kind, bool), stmtKnown func(string) bool) bool {
	if ref.stmt {
		if stmtKnown(ref.ID) {
			return false
		}
		src := schema.SourceOf(ref.ID)
		r.Errs.Add(r.File, ref.Line, ref.Field, fmt.Errorf("%w: %s is in neither these files nor the store: no fact group of %s has this quote (expected the exact quote of a fact group of %s, as loaded)", schema.ErrNoStatement, ref.ID, src, src))
		return true
	}
	k, ok := kindOf(ref.ID)
	switch {
	case !ok && ref.domain:
		r.Errs.Add(r.File, ref.Line, ref.Field, fmt.Errorf("%s %w (expected a statement <%s> <rdf:type> <tg:Kind> in these files or in the store)", ref.ID, schema.ErrDanglingRef, ref.ID))
	case !ok:
		r.Errs.Add(r.File, ref.Line, ref.Field, fmt.Errorf("%s %w (expected an id defined in these files or in the store)", ref.ID, schema.ErrDanglingRef))
	case ref.domain && !ref.Pred.Allows(k):
		r.Errs.Addf(r.File, ref.Line, "predicate", "%s does not apply to a %s (%s is a %s; expected on %s)", ref.Pred.Name, k, ref.ID, k, schema.JoinKinds(ref.Pred.Domain, " or "))
	case ref.domain:
		return false
	case ref.identity != "" && k == schema.Source:
		r.Errs.Addf(r.File, ref.Line, ref.Field, "%s is a Source (expected an entity: sources are the provenance of facts, not entities to merge or split)", ref.ID)
	case ref.identity != "":
		k2, ok2 := kindOf(ref.identity)
		if !ok2 || k2 == k || ref.Field[len(ref.Field)-2] == '1' {
			return false // the other id reports itself; a kind clash is reported once, on the first id
		}
		r.Errs.Addf(r.File, ref.Line, ref.Field, "%s is a %s and %s a %s (expected two ids of one kind)", ref.ID, k, ref.identity, k2)
	case ref.Pred == nil && k != schema.Source:
		r.Errs.Addf(r.File, ref.Line, ref.Field, "%s is a %s (expected a Source)", ref.ID, k)
	case ref.Pred != nil && !ref.Pred.Accepts(k):
		r.Errs.Addf(r.File, ref.Line, ref.Field, "%s is a %s (expected %s)", ref.ID, k, schema.JoinKinds(ref.Pred.Range, " or "))
	default:
		return false
	}
	return true
}

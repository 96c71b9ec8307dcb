package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"sync"
	"unicode/utf8"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// A StreamTarget takes a load's quads as a stream, in one all-or-nothing
// write (a *graph.Store does): each hands every quad to put with its
// file's index; an error from each (or put) writes nothing. It returns,
// per file index, the distinct quads handed and how many were new.
type StreamTarget interface {
	Target
	WriteStream(ctx context.Context, each func(put func(q quad.Quad, tag int) error) error) (quads, added []int, err error)
}

// StreamChunk is how many bytes of a file a streamed load reads and parses
// at a time; a chunk ends at a line end.
const StreamChunk = 1 << 20

// IsNQuads reports whether a file of this name is read as N-Quads.
func IsNQuads(name string) bool {
	f, err := FormatOf(name)
	return err == nil && f == "nquads"
}

// LoadNQuads is Load for N-Quads files named on disk, streamed: memory
// grows with the entities, names and sources of the input (what linking
// needs), not with its quads. Each file is read twice, in chunks parsed in
// parallel and taken in order: the first pass collects the declarations
// (ids and kinds), quoted statements, names and judgements; the second
// checks every record against them and the store, as Load does, and hands
// the valid records' quads to the target's WriteStream, which writes
// nothing if the pass ends in a problem (strict mode) or must be run again
// (with SkipInvalid, when a rejected record declared what others use: the
// passes repeat without it until no more are rejected). Reports, problems,
// warnings, the rejects file and the load record are Load's.
//
// A target that is not a StreamTarget gets the files read whole and Load.
func LoadNQuads(ctx context.Context, t Target, names []string, opt Options) (*Report, error) {
	st, ok := t.(StreamTarget)
	if !ok {
		var files []*File
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
			files = append(files, Parse(name, data))
		}
		return Load(ctx, t, files, opt)
	}
	l := &streamLoad{t: st, names: names, opt: opt, excluded: map[lineAt]bool{}, earlier: map[lineAt]schema.Errors{}}
	for {
		rep, again, err := l.run(ctx)
		if err != nil || !again {
			return rep, err
		}
	}
}

// lineAt names a record: its file's index and its line.
type lineAt struct{ file, line int }

// streamLoad is one streamed load.
type streamLoad struct {
	t     StreamTarget
	names []string
	opt   Options
	// excluded: with SkipInvalid, the records rejected by an earlier
	// round, which declare nothing in this one, with their problems then.
	excluded map[lineAt]bool
	earlier  map[lineAt]schema.Errors
}

// fileState is what the first pass learns of one file.
type fileState struct {
	name     string
	sha      string
	records  int
	fileErrs schema.Errors
	dt       *derivedTables
	jerrs    map[int]schema.Errors // problems of judgements, by line
	names    *Record               // every name of the file's declaring records, for nameClashes
	warnings schema.Errors
}

// defAt is one declaration of the input, in order.
type defAt struct {
	id   string
	kind schema.Kind
	file int
	line int
}

// tables is what the first pass collects across the files.
type tables struct {
	files  []*fileState
	defs   []defAt
	ids    map[string]struct{} // ids declared, to ask the store about
	quotes map[string]bool     // subjects of tg:quote of the declaring records
	jrecs  [][]*Record         // per file: the records of judgements
}

// errRedo ends a second pass that must run again; errInvalid one that found
// problems in strict mode.
var (
	errRedo    = errors.New("a rejected record declared what others use: checking again")
	errInvalid = errors.New("the input has problems")
)

// run makes one round: the first pass, then the second with the write.
// again reports that a round must follow (SkipInvalid only).
func (l *streamLoad) run(ctx context.Context) (rep *Report, again bool, err error) {
	rep = &Report{DryRun: l.opt.DryRun}
	tb, err := l.collect(ctx)
	if err != nil {
		return rep, false, err
	}
	ids := make([]string, 0, len(tb.ids))
	for id := range tb.ids {
		ids = append(ids, id)
	}
	stored, err := l.t.Kinds(ctx, ids)
	if err != nil {
		return rep, false, fmt.Errorf("looking up existing entities: %w", err)
	}
	ids = nil
	// The first declaration of each id (one that the store contradicts
	// declares nothing), as link keeps them.
	first := make(map[string]defAt, len(tb.defs))
	for _, d := range tb.defs {
		if k, ok := stored[d.id]; ok && k != d.kind {
			continue
		}
		if _, ok := first[d.id]; !ok {
			first[d.id] = d
		}
	}
	tb.defs = nil
	er, _ := l.t.(EdgeReader)
	// Ids only referred to, and statements, are looked up in the store as
	// the second pass meets them, once.
	var lookupErr error
	asked := map[string]bool{}
	kinds := func(id string) (schema.Kind, bool) {
		if d, ok := first[id]; ok {
			return d.kind, true
		}
		if !asked[id] && lookupErr == nil {
			asked[id] = true
			ks, err := l.t.Kinds(ctx, []string{id})
			if err != nil {
				lookupErr = fmt.Errorf("looking up existing entities: %w", err)
			}
			if k, ok := ks[id]; ok {
				stored[id] = k
			}
		}
		k, ok := stored[id]
		return k, ok
	}
	storedStmts := map[string]bool{}
	stmtKnown := func(id string) bool {
		if tb.quotes[id] {
			return true
		}
		known, ok := storedStmts[id]
		if ok || er == nil || lookupErr != nil {
			return known
		}
		storedStmts[id] = false
		err := er.Out(ctx, quad.IRI(id), func(q quad.Quad) error {
			if p, _ := q.Predicate.(quad.IRI); string(p) == schema.QuoteIRI {
				storedStmts[id] = true
			}
			return nil
		})
		if err != nil {
			lookupErr = fmt.Errorf("looking up statement %s in the store: %w", id, err)
		}
		return storedStmts[id]
	}
	// Names already taken: warnings, once per round, as Load gives them.
	var nameFiles []*File
	for _, fs := range tb.files {
		nameFiles = append(nameFiles, &File{Name: fs.name, Records: []*Record{fs.names}})
	}
	if err := nameClashes(ctx, er, nameFiles, func(*File, *Record) bool { return true }); err != nil {
		return rep, false, err
	}
	for i, f := range nameFiles {
		tb.files[i].warnings = f.Warnings
		rep.Warnings = append(rep.Warnings, f.Warnings...)
	}
	chk := &secondPass{l: l, tb: tb, kinds: kinds, stmtKnown: stmtKnown, lookupErr: &lookupErr, stored: stored, first: first,
		cycles: newCycleChecker(ctx, er), attrs: newSourceAttrs(ctx, er), rejected: map[int]int{}}
	var quads, added []int
	refused := false // strict mode, and a file refused whole: nothing is written
	for _, fs := range tb.files {
		refused = refused || (len(fs.fileErrs) > 0 && !l.opt.SkipInvalid)
	}
	if l.opt.DryRun || refused {
		quads, err = chk.dryRun(ctx)
	} else {
		quads, added, err = l.t.WriteStream(schema.WithLoad(ctx, l.loadInfo(tb)), chk.each(ctx))
	}
	for i, fs := range tb.files {
		fr := FileReport{File: fs.name, Format: "nquads", Records: fs.records, Rejected: chk.rejected[i]}
		if len(fs.fileErrs) > 0 {
			fr.Rejected = fr.Records
		}
		if err == nil {
			if i < len(quads) {
				fr.Quads = quads[i]
			}
			if i < len(added) {
				fr.Added = added[i]
			}
		}
		rep.Files = append(rep.Files, fr)
	}
	for _, fs := range tb.files {
		rep.Problems = append(rep.Problems, fs.fileErrs...)
	}
	rep.Problems = append(rep.Problems, chk.problems...)
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if a.File != b.File {
			return l.fileIndex(a.File) < l.fileIndex(b.File)
		}
		return a.Line < b.Line
	})
	switch {
	case errors.Is(err, errRedo):
		for at, errs := range chk.rejectedAt {
			l.excluded[at] = true
			l.earlier[at] = errs
		}
		return rep, true, nil
	case errors.Is(err, errInvalid) || (err == nil && len(rep.Problems) > 0 && !l.opt.SkipInvalid):
		for i := range rep.Files {
			rep.Files[i].Quads, rep.Files[i].Added = 0, 0
		}
		return rep, false, rep.Problems
	case err != nil && l.opt.DryRun:
		return rep, false, err
	case err != nil:
		var c interface{ Committed() bool }
		written := errors.As(err, &c) && c.Committed()
		if ctx.Err() != nil && !written {
			return rep, false, fmt.Errorf("nothing was written: %w", ctx.Err())
		}
		return rep, false, &WriteError{Files: l.names, Written: written, Err: err}
	}
	if l.opt.SkipInvalid && l.opt.Rejects != nil {
		if err := chk.writeRejects(l.opt.Rejects); err != nil {
			return rep, false, fmt.Errorf("writing rejects report: %w", err)
		}
	}
	return rep, false, nil
}

func (l *streamLoad) fileIndex(name string) int {
	for i, n := range l.names {
		if n == name {
			return i
		}
	}
	return len(l.names)
}

// loadInfo is the load record's information, with the files.
func (l *streamLoad) loadInfo(tb *tables) schema.LoadInfo {
	info := l.opt.Record
	info.Files = nil
	for _, fs := range tb.files {
		info.Files = append(info.Files, schema.LoadFile{Name: fs.name, SHA256: fs.sha, Format: "nquads"})
	}
	return info
}

// declares reports whether a record takes part in linking: every record in
// strict mode (a record with a problem still declares its id, so that its
// problem is not echoed by every reference), the valid ones with
// SkipInvalid.
func (l *streamLoad) declares(file int, r *Record) bool {
	if !l.opt.SkipInvalid {
		return true
	}
	return len(r.Errs) == 0 && !l.excluded[lineAt{file, r.Line}]
}

// collect is the first pass.
func (l *streamLoad) collect(ctx context.Context) (*tables, error) {
	tb := &tables{ids: map[string]struct{}{}, quotes: map[string]bool{}}
	for _, name := range l.names {
		tb.files = append(tb.files, &fileState{name: name, dt: newDerivedTables(), jerrs: map[int]schema.Errors{}, names: &Record{File: name}})
		tb.jrecs = append(tb.jrecs, nil)
	}
	err := scanFiles(ctx, l.names, true, true, func(c *chunk) error {
		fs := tb.files[c.file]
		fs.records += c.plain
		for _, r := range c.recs {
			fs.records++
			fs.dt.add(r)
			if len(r.Quads) > 0 {
				if p, _ := r.Quads[0].Predicate.(quad.IRI); schema.IsJudgementIRI(string(p)) {
					tb.jrecs[c.file] = append(tb.jrecs[c.file], r)
				}
			}
			for _, d := range r.Defines {
				tb.ids[d.ID] = struct{}{}
			}
			if !l.declares(c.file, r) {
				continue
			}
			for _, d := range r.Defines {
				tb.defs = append(tb.defs, defAt{d.ID, d.Kind, c.file, d.Line})
			}
			fs.names.names = append(fs.names.names, r.names...)
			if len(r.Quads) > 0 {
				q := r.Quads[0]
				if p, _ := q.Predicate.(quad.IRI); string(p) == schema.QuoteIRI {
					if s, ok := q.Subject.(quad.IRI); ok {
						tb.quotes[string(s)] = true
					}
				}
			}
		}
		return nil
	}, func(file int, sum hash.Hash, text textCheck) {
		fs := tb.files[file]
		fs.sha = hex.EncodeToString(sum.Sum(nil))
		switch {
		case !text.nonSpace:
			fs.fileErrs.Add(fs.name, 0, "", errors.New("file is empty (expected a mapping with sources and entities)"))
		case text.nulLine > 0:
			fs.fileErrs.Add(fs.name, text.nulLine, "", errors.New("file is binary: it contains a NUL byte (expected UTF-8 text)"))
		case text.badLine > 0:
			fs.fileErrs.Add(fs.name, text.badLine, "", errors.New("file is not UTF-8 text (binary?)"))
		case fs.records == 0:
			fs.fileErrs.Add(fs.name, 0, "", errors.New("no statements (expected N-Quads lines)"))
		}
		if len(fs.fileErrs) > 0 {
			fs.records = 0
		}
	})
	if err != nil {
		return nil, err
	}
	// Judgements are checked whole, per file, once the file's quotes and
	// names are known (as parseNQuads checks them, after checkDerived).
	for i, recs := range tb.jrecs {
		fs := tb.files[i]
		before := make([]int, len(recs))
		for k, r := range recs {
			fs.dt.check(r)
			before[k] = len(r.Errs)
		}
		checkJudgements(&File{Name: fs.name, Records: recs})
		for k, r := range recs {
			if len(r.Errs) > before[k] {
				fs.jerrs[r.Line] = append(fs.jerrs[r.Line], r.Errs[before[k]:]...)
			}
		}
	}
	tb.jrecs = nil
	return tb, nil
}

// secondPass checks each record against the first pass's tables and the
// store, in input order.
type secondPass struct {
	l         *streamLoad
	tb        *tables
	kinds     func(string) (schema.Kind, bool)
	stmtKnown func(string) bool
	lookupErr *error // the first failed lookup of kinds and statements
	stored    map[string]schema.Kind
	first     map[string]defAt // the first declaration of each id
	cycles    *cycleChecker
	attrs     *sourceAttrChecker

	problems   schema.Errors
	rejected   map[int]int              // rejected records per file
	rejectedAt map[lineAt]schema.Errors // records rejected now that declared something
	rejects    []reject
}

// A reject is one line of the rejects report.
type reject struct {
	file, where string
	line        int
	errs        schema.Errors
}

// checkRecord checks one record whole, as Load would have; its problems
// are then in r.Errs.
func (p *secondPass) checkRecord(ctx context.Context, file int, r *Record) error {
	fs := p.tb.files[file]
	fs.dt.add(r)
	fs.dt.check(r)
	r.Errs = append(r.Errs, fs.jerrs[r.Line]...)
	declares := p.l.declares(file, r)
	if declares {
		if err := p.attrs.check(r, p.kinds); err != nil {
			return err
		}
		if err := p.cycles.check(r); err != nil {
			return err
		}
		for _, d := range r.Defines {
			if k, ok := p.stored[d.ID]; ok && k != d.Kind {
				r.Errs.Add(r.File, d.Line, "kind", fmt.Errorf("%w: %s is a %s in the store (expected %s here too, or another id)", schema.ErrKindConflict, d.ID, k, k))
				continue
			}
			if prev, ok := p.first[d.ID]; ok && prev.kind != d.Kind {
				r.Errs.Add(r.File, d.Line, "kind", fmt.Errorf("%w: %s is a %s at %s:%d (expected %s here too, or another id)", schema.ErrKindConflict, d.ID, prev.kind, p.tb.files[prev.file].name, prev.line, prev.kind))
			}
		}
	}
	for _, ref := range r.Refs {
		refProblem(r, ref, p.kinds, p.stmtKnown)
	}
	return *p.lookupErr
}

// each is WriteStream's producer: the second pass, putting the quads of
// the valid records.
func (p *secondPass) each(ctx context.Context) func(put func(q quad.Quad, tag int) error) error {
	return func(put func(q quad.Quad, tag int) error) error {
		return p.run(ctx, put)
	}
}

// dryRun is the second pass without a write: it counts each file's
// distinct quads (by a 64-bit hash of their N-Quads form).
func (p *secondPass) dryRun(ctx context.Context) ([]int, error) {
	seed := maphash.MakeSeed()
	seen := make([]map[uint64]struct{}, len(p.tb.files))
	counts := make([]int, len(p.tb.files))
	err := p.run(ctx, func(q quad.Quad, tag int) error {
		if seen[tag] == nil {
			seen[tag] = map[uint64]struct{}{}
		}
		h := maphash.String(seed, q.NQuad())
		if _, ok := seen[tag][h]; !ok {
			seen[tag][h] = struct{}{}
			counts[tag]++
		}
		return nil
	})
	return counts, err
}

func (p *secondPass) run(ctx context.Context, put func(q quad.Quad, tag int) error) error {
	strictFailed := false
	p.rejectedAt = map[lineAt]schema.Errors{}
	var changed error
	err := scanFiles(ctx, p.l.names, true, false, func(c *chunk) error {
		fs := p.tb.files[c.file]
		if len(fs.fileErrs) > 0 {
			return nil
		}
		for _, r := range c.recs {
			if err := p.checkRecord(ctx, c.file, r); err != nil {
				return err
			}
			at := lineAt{c.file, r.Line}
			if prev, ok := p.l.earlier[at]; ok {
				// Rejected in an earlier round: its problems then, and
				// any new one (a reference now dangling).
				errs := slices.Clone(prev)
				for _, e := range r.Errs {
					if !slices.ContainsFunc(errs, func(x *schema.FieldError) bool { return x.Error() == e.Error() }) {
						errs = append(errs, e)
					}
				}
				r.Errs = errs
			}
			if len(r.Errs) > 0 {
				p.rejected[c.file]++
				p.problems = append(p.problems, r.Errs...)
				if !p.l.opt.SkipInvalid {
					strictFailed = true
					continue
				}
				p.rejects = append(p.rejects, reject{file: r.File, where: r.Where, line: r.Line, errs: r.Errs})
				if !p.l.excluded[at] && declaresSomething(r) {
					p.rejectedAt[at] = r.Errs
				}
				continue
			}
			if strictFailed {
				continue
			}
			for _, q := range r.Quads {
				if err := put(q, c.file); err != nil {
					return err
				}
			}
		}
		return nil
	}, func(file int, sum hash.Hash, _ textCheck) {
		// The second pass reads the file again: what it hands to the
		// write must be what the first pass checked and hashed.
		if fs := p.tb.files[file]; changed == nil && hex.EncodeToString(sum.Sum(nil)) != fs.sha {
			changed = fmt.Errorf("%s changed while it was being loaded (its bytes differ from those the first pass checked): nothing was written; load it again once it is complete", fs.name)
		}
	})
	if err == nil {
		err = changed
	}
	if err != nil {
		return err
	}
	if len(p.rejectedAt) > 0 {
		return errRedo
	}
	if strictFailed {
		return errInvalid
	}
	return nil
}

// declaresSomething reports whether a record's rejection changes what
// other records are checked against: it declares an id or quotes a
// statement, names an entity, or states an acyclic edge or a single-valued
// attribute.
func declaresSomething(r *Record) bool {
	if len(r.Defines) > 0 || len(r.attrs) > 0 || len(r.names) > 0 {
		return true
	}
	for _, ref := range r.Refs {
		if ref.Pred != nil && ref.Pred.Acyclic {
			return true
		}
	}
	if len(r.Quads) > 0 {
		if p, _ := r.Quads[0].Predicate.(quad.IRI); string(p) == schema.QuoteIRI {
			return true
		}
	}
	return false
}

// writeRejects writes the rejects report: one JSON line per rejected
// record, and one per file refused whole.
func (p *secondPass) writeRejects(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, fs := range p.tb.files {
		if len(fs.fileErrs) == 0 {
			continue
		}
		msgs := make([]string, len(fs.fileErrs))
		for i, e := range fs.fileErrs {
			msgs[i] = e.Error()
		}
		if err := enc.Encode(map[string]any{"file": fs.name, "line": 0, "record": "file", "errors": msgs}); err != nil {
			return err
		}
	}
	for _, r := range p.rejects {
		msgs := make([]string, len(r.errs))
		for i, e := range r.errs {
			msgs[i] = e.Error()
		}
		if err := enc.Encode(map[string]any{"file": r.file, "line": r.line, "record": r.where, "errors": msgs}); err != nil {
			return err
		}
	}
	return nil
}

// A sourceAttrChecker refuses, record by record, a source's single-valued
// attribute with a second value: in an earlier record or in the store (as
// sourceAttrs does for a whole load).
type sourceAttrChecker struct {
	ctx   context.Context
	er    EdgeReader
	first map[[2]string]attrAt
	store map[string]map[string][]quad.Value // source -> predicate -> values, read on demand
}

type attrAt struct {
	val  quad.Value
	file string
	line int
}

func newSourceAttrs(ctx context.Context, er EdgeReader) *sourceAttrChecker {
	return &sourceAttrChecker{ctx: ctx, er: er, first: map[[2]string]attrAt{}, store: map[string]map[string][]quad.Value{}}
}

func (c *sourceAttrChecker) check(r *Record, kinds func(string) (schema.Kind, bool)) error {
	for _, a := range r.attrs {
		if k, _ := kinds(a.subj); k != schema.Source {
			continue
		}
		key := [2]string{a.subj, a.pred.Name}
		if prev, ok := c.first[key]; !ok {
			c.first[key] = attrAt{a.val, r.File, a.line}
		} else if quad.StringOf(prev.val) != quad.StringOf(a.val) {
			r.Errs.Addf(r.File, a.line, a.field, "source %s has %s %s at %s:%d and %s here (expected one %s per source: correct one of them, or give the other document its own source id)",
				a.subj, a.pred.Name, literal(prev.val), prev.file, prev.line, literal(a.val), a.pred.Name)
		}
		if c.er == nil {
			continue
		}
		vals, ok := c.store[a.subj]
		if !ok {
			vals = map[string][]quad.Value{}
			err := c.er.Out(c.ctx, quad.IRI(a.subj), func(q quad.Quad) error {
				if p := predOf(q); p != nil && !p.Multi && !p.Derived {
					vals[p.Name] = append(vals[p.Name], q.Object)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("reading source %s from the store: %w", a.subj, err)
			}
			c.store[a.subj] = vals
		}
		vs := vals[a.pred.Name]
		if len(vs) == 0 || slices.ContainsFunc(vs, func(v quad.Value) bool { return quad.StringOf(v) == quad.StringOf(a.val) }) {
			continue
		}
		r.Errs.Addf(r.File, a.line, a.field, "source %s has %s %s in the store and %s here (expected the same %s: correct the input, or give this document its own source id)",
			a.subj, a.pred.Name, literal(vs[0]), literal(a.val), a.pred.Name)
	}
	return nil
}

// A chunk is a run of whole lines of one file, parsed into records.
type chunk struct {
	file int
	name string
	line int // the number of its first line
	data []byte
	recs []*Record
	// light: the first pass, which parses only the lines that declare
	// (firstPass) and counts the others in plain
	light bool
	plain int
	done  chan struct{}
}

// textCheck is what checkText would say of a file, learnt chunk by chunk.
type textCheck struct {
	nonSpace         bool
	nulLine, badLine int // the first line with a NUL byte, with bad UTF-8
}

// scanFiles reads the files in chunks, parses each chunk's lines into
// records on as many goroutines as there are CPUs, and calls fn with the
// chunks in order; after each file, end (if not nil) gets its hash (when
// sum) and what checkText would say of it. With light (the first pass),
// only the lines that firstPass names are parsed; the others are counted.
// Both passes hash the files: the second must read what the first checked.
// Memory is bounded by the chunks in flight.
func scanFiles(ctx context.Context, names []string, sum, light bool, fn func(*chunk) error, end func(file int, sum hash.Hash, text textCheck)) error {
	workers := max(runtime.GOMAXPROCS(0), 1)
	work := make(chan *chunk, workers)
	order := make(chan *chunk, 2*workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.recs = parseChunk(c)
				close(c.done)
			}
		}()
	}
	type fileEnd struct {
		file int
		sum  hash.Hash
		text textCheck
	}
	ends := make(chan fileEnd, len(names))
	var readErr error
	go func() {
		defer close(order)
		defer close(work)
		for i, name := range names {
			var h hash.Hash
			if sum {
				h = sha256.New()
			}
			text, err := readChunks(ctx, i, name, h, light, func(c *chunk) bool {
				select {
				case order <- c:
				case <-ctx.Done():
					return false
				}
				select {
				case work <- c:
					return true
				case <-ctx.Done():
					return false
				}
			})
			if err != nil {
				readErr = err
				return
			}
			// A marker chunk (no data) ends the file, in order.
			c := &chunk{file: -1 - i, done: make(chan struct{})}
			close(c.done)
			ends <- fileEnd{i, h, text}
			select {
			case order <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	var err error
	for c := range order {
		select {
		case <-c.done:
		case <-ctx.Done():
		}
		if err != nil || ctx.Err() != nil {
			continue // drain
		}
		if c.file < 0 {
			e := <-ends
			if end != nil {
				end(e.file, e.sum, e.text)
			}
			continue
		}
		if err = fn(c); err != nil {
			cancel()
		}
		c.recs, c.data = nil, nil
	}
	wg.Wait()
	switch {
	case err != nil:
		return err
	case readErr != nil:
		return readErr
	}
	return ctx.Err()
}

// readChunks reads one file in chunks of whole lines, handing each to send
// (false: stop), hashing its bytes into h (if not nil), and says what
// checkText would say of it.
func readChunks(ctx context.Context, file int, name string, h hash.Hash, light bool, send func(*chunk) bool) (textCheck, error) {
	var text textCheck
	f, err := os.Open(name)
	if err != nil {
		return text, fmt.Errorf("reading %s: %w", name, err)
	}
	defer f.Close()
	line := 1
	var carry []byte
	buf := make([]byte, StreamChunk)
	for {
		n, rerr := io.ReadFull(f, buf)
		data := append(carry, buf[:n]...)
		carry = nil
		eof := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
		if rerr != nil && !eof {
			return text, fmt.Errorf("reading %s: %w", name, rerr)
		}
		if !eof {
			i := bytes.LastIndexByte(data, '\n')
			if i < 0 {
				carry = data
				continue
			}
			carry = bytes.Clone(data[i+1:])
			data = data[:i+1]
		}
		if h != nil {
			h.Write(data)
		}
		checkChunkText(&text, data, line)
		if len(data) > 0 {
			c := &chunk{file: file, name: name, line: line, data: data, light: light, done: make(chan struct{})}
			line += bytes.Count(data, []byte{'\n'})
			if !send(c) {
				return text, ctx.Err()
			}
		}
		if eof {
			return text, nil
		}
	}
}

// checkChunkText adds what checkText would find in a chunk starting at line.
func checkChunkText(t *textCheck, data []byte, line int) {
	if !t.nonSpace && len(bytes.TrimSpace(data)) > 0 {
		t.nonSpace = true
	}
	if t.nulLine == 0 {
		if i := bytes.IndexByte(data, 0); i >= 0 {
			t.nulLine = line + bytes.Count(data[:i], []byte{'\n'})
		}
	}
	if t.badLine == 0 && !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		t.badLine = line + bytes.Count(data[:i], []byte{'\n'})
	}
}

// predicateOf returns the predicate IRI of an N-Quads line (trimmed, not
// blank nor a comment) when it is plain to see: a subject IRI or blank
// node, then an IRI without escapes. ok is false otherwise (the line is
// then parsed).
func predicateOf(t []byte) (string, bool) {
	var rest []byte
	switch {
	case t[0] == '<':
		i := bytes.IndexByte(t, '>')
		if i < 0 {
			return "", false
		}
		rest = t[i+1:]
	case bytes.HasPrefix(t, []byte("_:")):
		i := bytes.IndexAny(t, " \t")
		if i < 0 {
			return "", false
		}
		rest = t[i:]
	default:
		return "", false
	}
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) == 0 || rest[0] != '<' {
		return "", false
	}
	i := bytes.IndexByte(rest, '>')
	if i < 0 || bytes.IndexByte(rest[:i], '\\') >= 0 {
		return "", false
	}
	return string(rest[1:i]), true
}

// firstPass reports whether the first pass parses a line with predicate
// p: declarations, quotes, names and aliases, judgements.
func firstPass(p string) bool {
	switch p {
	case schema.TypeIRI, schema.QuoteIRI, "tg:name", "tg:alias":
		return true
	}
	return schema.IsJudgementIRI(p)
}

// parseChunk reads a chunk's lines into records.
func parseChunk(c *chunk) []*Record {
	var recs []*Record
	data, line := c.data, c.line
	for len(data) > 0 {
		text := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if c.light {
			if t := bytes.TrimSpace(text); len(t) == 0 || t[0] == '#' {
				line++
				continue
			} else if p, ok := predicateOf(t); ok && !firstPass(p) {
				c.plain++
				line++
				continue
			}
		}
		if r := nquadsRecord(c.name, line, text); r != nil {
			recs = append(recs, r)
		}
		line++
	}
	return recs
}

package table

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// Format is the importer's name, in reports and the load history.
const Format = "table"

// An Importer reads incident tables (.csv, .tsv, .txt) with one Mapping.
type Importer struct {
	m *Mapping
}

// New returns the importer of tables read with m.
func New(m *Mapping) *Importer { return &Importer{m: m} }

// Name is "table".
func (im *Importer) Name() string { return Format }

// Detect takes a file by its name: .csv, .tsv and .txt are tables when a
// mapping is given.
func (im *Importer) Detect(name string, head []byte) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".tsv", ".txt":
		return true
	}
	return false
}

// checkEvery is how many rows are read between two looks at the context.
const checkEvery = 256

// Import reads the table row by row (encoding/csv, one reused record) into
// one record per row. It never fails: problems are in the File. A row's
// problems are FILE:ROW: COLUMN: what (expected …), ROW being the line the
// row begins on (the header is row 1); a problem of the mapping against
// this table (a column the header lacks) is MAPPING:LINE: field.
func (im *Importer) Import(ctx context.Context, name string, data []byte) *ingest.File {
	m := im.m
	b := ingest.NewBuilder(name, Format, data)
	switch valid := utf8.Valid(data); {
	case m.latin1:
		data = latin1(data)
	case m.either && !valid:
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte("\n"))
		b.Warn(line, "", errors.New("not UTF-8 text: read as ISO 8859-1 (Latin-1), as the mapping's encoding allows"))
		data = latin1(data)
	case !valid:
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte("\n"))
		b.FileError(line, "", errors.New("not UTF-8 text (expected UTF-8; set encoding: latin1 in the mapping for an ISO 8859-1 table)"))
		return b.File()
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = m.comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = m.comma == '\t'
	names := m.columns
	if m.header {
		h, err := cr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				b.FileError(0, "", errors.New("empty table (expected a header row, then rows)"))
			} else {
				b.FileError(lineOf(err), "", fmt.Errorf("reading the header: %w", csvErr(err)))
			}
			return b.File()
		}
		names = make([]string, len(h))
		for i, s := range h {
			names[i] = strings.TrimSpace(s)
		}
	}
	idx, ok := im.bind(b, name, names)
	if !ok {
		return b.File()
	}
	im.declareSource(b)
	st := &state{im: im, b: b, names: names, seen: map[string]uint64{}, skipped: map[string]int{}, slugs: slugCache{}, shares: map[string]*sharedEntity{}}
	r := &row{idx: idx, data: data}
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				b.FileError(0, "", fmt.Errorf("reading stopped: %w", err))
				return b.File()
			}
			ingest.ReportProgress(ctx, cr.InputOffset())
		}
		start := cr.InputOffset()
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.FileError(lineOf(err), "", csvErr(err))
			return b.File()
		}
		line, _ := cr.FieldPos(0)
		r.cells, r.line, r.start, r.end = cells, line, start, cr.InputOffset()
		st.row(r)
	}
	if st.nrows == 0 {
		b.FileError(0, "", errors.New("no rows (expected a row per incident after the header)"))
		return b.File()
	}
	st.finish()
	return b.File()
}

// bind finds each column the mapping names in the table's header.
func (im *Importer) bind(b *ingest.Builder, name string, names []string) ([]int, bool) {
	pos := make(map[string]int, len(names))
	dup := map[string]bool{}
	for i, n := range names {
		if _, ok := pos[n]; ok {
			dup[n] = true
		}
		pos[n] = i
	}
	idx := make([]int, len(im.m.refs))
	ok := true
	for i, ref := range im.m.refs {
		p, in := pos[ref.name]
		switch {
		case !in:
			b.ConfigError(im.m.name, ref.line, ref.field, fmt.Errorf("unknown column %q: %s has no such column (expected one of %s%s)", ref.name, name, listed(names), suggest(ref.name, names)))
			ok = false
		case dup[ref.name]:
			b.ConfigError(im.m.name, ref.line, ref.field, fmt.Errorf("column %q is in %s's header more than once (expected one column of each name)", ref.name, name))
			ok = false
		}
		idx[i] = p
	}
	if im.m.header && len(im.m.columns) > 0 {
		for _, c := range im.m.columns {
			if _, in := pos[c]; !in {
				b.FileError(1, "", fmt.Errorf("the header lacks column %q that the mapping %s lists (expected all of its columns)", c, im.m.name))
				ok = false
			}
		}
	}
	return idx, ok
}

func listed(names []string) string {
	if len(names) > 12 {
		return strings.Join(names[:12], ", ") + fmt.Sprintf(" and %d more", len(names)-12)
	}
	return strings.Join(names, ", ")
}

// declareSource writes the dataset's Source: its own record, which states
// its attributes itself (as a native file's sources do).
func (im *Importer) declareSource(b *ingest.Builder) {
	s := im.m.source
	rec := b.Record(0, "source "+s.id)
	rec.Declare(0, "source.id", s.id, schema.Source, s.id)
	for _, f := range s.facts {
		rec.Fact(0, f[2], s.id, schema.Source, f[0], f[1], s.id)
	}
}

// A row is the table's current row; cell reads a column the mapping names.
type row struct {
	cells      []string
	idx        []int // mapping reference → position
	line       int
	data       []byte
	start, end int64 // the row's bytes in data
}

func (r *row) cell(ref int) string {
	if i := r.idx[ref]; i < len(r.cells) {
		return strings.TrimSpace(r.cells[i])
	}
	return ""
}

// text is the row as written, without its line end.
func (r *row) text() string {
	return strings.TrimRight(string(r.data[r.start:r.end]), "\r\n")
}

// state is what an import keeps across rows: statement labels given out
// (to tell two rows whose quotes share a short hash) and rows that gave no
// entity, by the reason.
type state struct {
	im        *Importer
	b         *ingest.Builder
	names     []string
	seen      map[string]uint64 // statement label → hash of its quote
	skipped   map[string]int
	slugs     slugCache
	shares    map[string]*sharedEntity // by id
	according []pendingSource          // the current row's own sources
	nrows     int
	first     int // the first row that gave no entity
	// unknowns counts the cells of a count that an unknown marker made
	// no fact ("0" fatalities in ACLED: none reported), by column and marker
	unknowns map[unknownKey]*unknownCount
}

type unknownKey struct{ column, marker, pred string }

type unknownCount struct{ n, first int }

// present is one entity of a row.
type present struct {
	id   string
	kind schema.Kind
}

type rowErr struct {
	field string
	err   error
}

func (st *state) colName(ref int, r *row) string {
	if i := r.idx[ref]; i < len(st.names) {
		return st.names[i]
	}
	return st.im.m.refs[ref].name
}

// fieldOf names a template's first column, for errors.
func (st *state) fieldOf(t *template, r *row, fallback string) string {
	if t != nil {
		if cs := t.columns(); len(cs) > 0 {
			return st.colName(cs[0], r)
		}
	}
	return fallback
}

func (st *state) row(r *row) {
	m := st.im.m
	st.nrows++
	var errs []rowErr
	ents := make([]*present, len(m.entities))
	where := "row " + strconv.Itoa(r.line)
	for i, e := range m.entities {
		p, err := st.entity(e, r)
		if err.err != nil {
			errs = append(errs, err)
		}
		ents[i] = p
		if p != nil && where == "row "+strconv.Itoa(r.line) {
			where += " " + p.id
		}
	}
	rec := st.b.Record(r.line, where)
	// A row with a problem keeps its text, for the rejects report.
	defer func() {
		if !rec.OK() {
			rec.KeepRaw(r.text())
		}
	}()
	if len(r.cells) != len(st.names) {
		rec.Errorf(r.line, "", "%d columns (expected %d, as the header)", len(r.cells), len(st.names))
		return
	}
	for _, e := range errs {
		rec.Err(r.line, e.field, e.err)
	}
	if ents[0] == nil {
		// The first entity is the row's own (the incident): a row
		// without it loads nothing, its actors and places neither.
		reason := "no " + m.entities[0].as
		if e := m.entities[0]; e.kindCol >= 0 {
			reason = fmt.Sprintf("%s %q", st.colName(e.kindCol, r), r.cell(e.kindCol))
		}
		if len(st.skipped) == 0 {
			st.first = r.line
		}
		st.skipped[reason]++
		return
	}
	src := m.source.id
	st.according = st.according[:0]
	label := st.label(rec, r)
	// The row's own entity, its facts and relations are the row's
	// statement (label); the other entities (groups, places), their
	// names, facts and relations are the dataset's coding, the same in
	// every row: each is stated once, in a record of its own, and a row
	// refers to it.
	for i, e := range m.entities {
		if p := ents[i]; p != nil && e.own {
			rec.Declare(r.line, st.fieldOf(e.id, r, "id"), p.id, p.kind, src)
			st.name(rec, r, e, p, nil)
			for _, f := range e.facts {
				st.fact(rec, r, p, f, label)
			}
		}
	}
	if !rec.OK() {
		// A row with a problem names no shared entity (one that only
		// rejected rows name never loads), and states no relation, whose
		// references would echo its problem.
		return
	}
	st.sources(rec, r)
	st.relations(rec, r, ents, true, label)
	for i, e := range m.entities {
		if p := ents[i]; p != nil && !e.own {
			sh := st.shared(r, e, p)
			for fi, f := range e.facts {
				if sh.once(st.factKey(r, fi, f)) {
					st.fact(sh.rec, r, p, f, src)
				}
			}
		}
	}
	st.relations(rec, r, ents, false, src)
}

// relations states the row's relations from its own entities (own, in
// the row's record, labelled label) or from the shared ones (once each,
// in their records).
func (st *state) relations(rec *ingest.Rec, r *row, ents []*present, own bool, label string) {
	m := st.im.m
	for ri, rel := range m.relations {
		from := ents[slices.Index(m.entities, rel.from)]
		if rel.from.own != own || from == nil || !holdAll(rel.conds, r) {
			continue
		}
		for _, te := range rel.to {
			to := ents[slices.Index(m.entities, te)]
			if to == nil {
				continue
			}
			field := st.fieldOf(te.id, r, rel.pred.Name)
			if own {
				rec.Fact(r.line, field, from.id, from.kind, rel.pred.Name, to.id, label)
			} else if sh := st.shares[from.id]; sh.once("r" + strconv.Itoa(ri) + " " + to.id) {
				sh.rec.Fact(r.line, field, from.id, from.kind, rel.pred.Name, to.id, label)
			}
			break
		}
	}
}

// A sharedEntity is an entity other than the rows' own (a group, a
// place): its record, and what it already states.
type sharedEntity struct {
	rec  *ingest.Rec
	done map[string]bool
}

// once reports whether key is new to the entity, and marks it done.
func (s *sharedEntity) once(key string) bool {
	if s.done[key] {
		return false
	}
	s.done[key] = true
	return true
}

// shared returns the record of a shared entity, declaring it (stated by
// the dataset) the first time a row names it; each distinct name it is
// given is stated.
func (st *state) shared(r *row, e *entitySpec, p *present) *sharedEntity {
	src := st.im.m.source.id
	sh := st.shares[p.id]
	if sh == nil {
		sh = &sharedEntity{rec: st.b.Record(r.line, fmt.Sprintf("row %d %s %s", r.line, e.as, p.id)), done: map[string]bool{}}
		st.shares[p.id] = sh
		sh.rec.Declare(r.line, st.fieldOf(e.id, r, "id"), p.id, p.kind, src)
	}
	st.name(sh.rec, r, e, p, sh)
	return sh
}

// name states the entity's name (once per distinct text for a shared one).
func (st *state) name(rec *ingest.Rec, r *row, e *entitySpec, p *present, sh *sharedEntity) {
	if e.name == nil {
		return
	}
	name, ok := e.name.render(r, "", "", false, nil)
	if !ok || sh != nil && !sh.once("name "+name) {
		return
	}
	rec.Fact(r.line, st.fieldOf(e.name, r, "name"), p.id, p.kind, schema.NamePred, name, st.im.m.source.id)
}

// factKey is what a fact of a shared entity reads from the row: the same
// key gives the same fact.
func (st *state) factKey(r *row, i int, f *factSpec) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(i))
	for ref := f.refLo; ref < f.refHi; ref++ {
		b.WriteByte(0)
		b.WriteString(r.cell(ref))
	}
	return b.String()
}

// entity resolves one entity of the row: nil when the row has none (a
// condition fails, a kind code maps to nothing, an id column is empty or
// unknown).
func (st *state) entity(e *entitySpec, r *row) (*present, rowErr) {
	if !holdAll(e.conds, r) {
		return nil, rowErr{}
	}
	k := e.kind
	if e.kindCol >= 0 {
		code := r.cell(e.kindCol)
		kk, ok := e.kindMap[code]
		if !ok {
			if code == "" {
				return nil, rowErr{}
			}
			return nil, rowErr{st.colName(e.kindCol, r), fmt.Errorf("%w: code %q is not in the mapping's kinds for %s (expected one of %s)", schema.ErrBadValue, code, e.as, codes(e.kindMap))}
		}
		if kk == "" {
			return nil, rowErr{}
		}
		k = kk
	}
	id, ok := e.id.renderWith(r, "", kindPrefix[k], true, e.unknown, st.slugs)
	if !ok {
		return nil, rowErr{}
	}
	return &present{id: id, kind: k}, rowErr{}
}

func codes[V any](m map[string]V) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, strconv.Quote(k))
	}
	sort.Strings(ks)
	if len(ks) > 20 {
		return strings.Join(ks[:20], ", ") + ", …"
	}
	return strings.Join(ks, ", ")
}

// label is the label of the row's facts: the dataset, or with according a
// statement of the dataset in the row's words, according to the row's own
// sources (declared here, each stating its title itself).
func (st *state) label(rec *ingest.Rec, r *row) string {
	m := st.im.m
	a := m.according
	if a == nil {
		return m.source.id
	}
	cell := r.cell(a.column)
	if cell == "" {
		return m.source.id
	}
	vals := []string{cell}
	if a.split != "" {
		vals = vals[:0]
		for _, v := range strings.Split(cell, strings.TrimSpace(a.split)) {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
	}
	if len(vals) == 0 {
		return m.source.id
	}
	quote := ""
	if a.quote != nil {
		quote, _ = a.quote.render(r, "", "", false, nil)
	}
	if quote == "" {
		quote = r.text()
	}
	field := st.colName(a.column, r)
	stmt := schema.StatementLabel(m.source.id, quote)
	h := fnv.New64a()
	h.Write([]byte(quote))
	sum := h.Sum64()
	if prev, ok := st.seen[stmt]; ok && prev != sum {
		st.b.Warn(r.line, field, fmt.Errorf("the row's quote has the short hash of another row's (statement %s): its facts are labelled %s, without its sources", stmt, m.source.id))
		return m.source.id
	}
	st.seen[stmt] = sum
	stmt = rec.Statement(m.source.id, quote)
	for _, v := range vals {
		id, _ := a.id.renderWith(r, v, "", true, nil, st.slugs)
		if id == m.source.id {
			rec.Errorf(r.line, field, "%q gives the dataset's own id %s (expected another source)", v, id)
			continue
		}
		st.according = append(st.according, pendingSource{id: id, title: v, field: field, stmt: stmt})
	}
	return stmt
}

// A pendingSource is one of the row's own sources, stated once the row is
// known to be valid.
type pendingSource struct {
	id, title, field, stmt string
}

// sources states the row's statement according to its own sources, each
// declared (stating its title itself) in a record of its own the first
// time a valid row names it.
func (st *state) sources(rec *ingest.Rec, r *row) {
	src := st.im.m.source.id
	for _, ps := range st.according {
		if st.shares[ps.id] == nil {
			sh := &sharedEntity{rec: st.b.Record(r.line, fmt.Sprintf("row %d source %s", r.line, ps.id)), done: map[string]bool{}}
			st.shares[ps.id] = sh
			if sh.rec.Declare(r.line, ps.field, ps.id, schema.Source, ps.id) {
				sh.rec.Fact(r.line, ps.field, ps.id, schema.Source, "title", ps.title, ps.id)
			}
		}
		rec.Quad(r.line, ps.field, quad.Make(quad.IRI(ps.stmt), quad.IRI(schema.AccordingToIRI), quad.IRI(ps.id), quad.IRI(src)))
	}
}

// fact states one fact of an entity from the row, if the row has it.
func (st *state) fact(rec *ingest.Rec, r *row, p *present, f *factSpec, label string) {
	if !holdAll(f.conds, r) {
		return
	}
	switch f.pred.Type {
	case schema.Date:
		st.date(rec, r, p, f, label)
		return
	case schema.Count:
		st.count(rec, r, p, f, label)
		return
	}
	text, field, ok := st.text(rec, r, f)
	if !ok {
		return
	}
	if f.pred.Type == schema.Float {
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			rec.Errorf(r.line, field, "%v: %q is not a number (expected a decimal number such as 34.52)", schema.ErrBadValue, text)
			return
		}
		rec.Value(r.line, field, p.id, p.kind, f.pred.Name, quad.Float(v), label)
		return
	}
	rec.Fact(r.line, field, p.id, p.kind, f.pred.Name, text, label)
}

// text reads a fact's text: a cell (through the value map), a template or
// a constant; ok is false when the row has none.
func (st *state) text(rec *ingest.Rec, r *row, f *factSpec) (string, string, bool) {
	switch {
	case f.column >= 0:
		field := st.colName(f.column, r)
		v := r.cell(f.column)
		if v == "" || isUnknown(v, f.unknown) {
			return "", field, false
		}
		if f.values != nil {
			mv, ok := f.values[v]
			if !ok {
				rec.Errorf(r.line, field, "%v: code %q is not in the mapping's values for %s (expected one of %s)", schema.ErrBadValue, v, f.pred.Name, codes(f.values))
				return "", field, false
			}
			return mv, field, mv != ""
		}
		return v, field, true
	case f.tpl != nil:
		v, ok := f.tpl.render(r, "", "", false, f.unknown)
		return v, st.fieldOf(f.tpl, r, f.pred.Name), ok
	}
	return f.value, f.pred.Name, f.value != ""
}

// date states a date: from year, month and day columns (0 or empty: not
// known, the interval widens to the month or the year), or a cell read as
// a date and widened to the precision a code column gives.
func (st *state) date(rec *ingest.Rec, r *row, p *present, f *factSpec, label string) {
	if f.year < 0 {
		text, field, ok := st.text(rec, r, f)
		if !ok {
			return
		}
		iv, err := parseDate(text, f.numeric)
		if err != nil {
			rec.Err(r.line, field, fmt.Errorf("%w: %w", schema.ErrBadValue, err))
			return
		}
		if y := iv.Start.Year(); y < f.minYear || iv.End.Year() > f.maxYear {
			rec.Errorf(r.line, field, "%v: date %q is out of the mapping's years %d-%d (expected a date the table can hold)", schema.ErrBadValue, text, f.minYear, f.maxYear)
			return
		}
		words := iv.Text
		if f.precCol >= 0 {
			pf := st.colName(f.precCol, r)
			code := r.cell(f.precCol)
			prec, ok := f.precMap[code]
			if !ok {
				rec.Errorf(r.line, pf, "%v: code %q is not in the mapping's precisions (expected one of %s)", schema.ErrBadValue, code, codes(f.precMap))
				return
			}
			iv = widen(iv, prec)
			words = fmt.Sprintf("%s (%s %s)", text, pf, code)
		}
		rec.DateSpan(r.line, field, p.id, p.kind, f.pred.Name, iv, words, label)
		return
	}
	yf, mf, df := st.colName(f.year, r), "", ""
	y, ok, err := datePart(r.cell(f.year), f.minYear, f.maxYear, f.unknown)
	if err != nil {
		rec.Errorf(r.line, yf, "%v: %v (expected a year, or 0 or empty for unknown)", schema.ErrBadValue, err)
		return
	}
	if !ok {
		return
	}
	iv := schema.Span(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC))
	field := yf
	if f.month >= 0 {
		mf = st.colName(f.month, r)
		mo, ok, err := datePart(r.cell(f.month), 1, 12, f.unknown)
		if err != nil {
			rec.Errorf(r.line, mf, "%v: %v (expected a month 1-12, or 0 or empty for unknown)", schema.ErrBadValue, err)
			return
		}
		if ok {
			first := time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
			iv = schema.Span(first, first.AddDate(0, 1, -1))
			if f.day >= 0 {
				df = st.colName(f.day, r)
				last := first.AddDate(0, 1, -1).Day()
				d, ok, err := datePart(r.cell(f.day), 1, last, f.unknown)
				if err != nil {
					rec.Errorf(r.line, df, "%v: %v (expected a day of %04d-%02d, 1-%d, or 0 or empty for unknown)", schema.ErrBadValue, err, y, mo, last)
					return
				}
				if ok {
					t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
					iv = schema.Span(t, t)
				}
			}
		} else if f.day >= 0 && r.cell(f.day) != "" && r.cell(f.day) != "0" {
			df = st.colName(f.day, r)
			rec.Errorf(r.line, df, "%v: a day (%s) without a month (expected 0 or empty when the month is unknown)", schema.ErrBadValue, r.cell(f.day))
			return
		}
	}
	words := ""
	if f.text >= 0 {
		if w := r.cell(f.text); w != "" {
			words = w
			// Words beside the parts say the date is approximate: they
			// never make it more precise. A date they name widens the
			// interval to cover both; words read as no date widen a day
			// to its month.
			if wiv, ok := wordsDate(w); ok {
				iv = schema.Span(minTime(iv.Start, wiv.Start), maxTime(iv.End, wiv.End))
			} else if iv.Precision == schema.Day {
				first := time.Date(iv.Start.Year(), iv.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
				iv = schema.Span(first, first.AddDate(0, 1, -1))
			}
		}
	}
	rec.DateSpan(r.line, field, p.id, p.kind, f.pred.Name, iv, words, label)
}

// reDays is a span of days within a month as tables write it: "February
// 27-28, 1994", "27-28 February 1994".
var (
	reMonthDays = regexp.MustCompile(`^([A-Za-z]+)\.? (\d{1,2}) ?[-–] ?(\d{1,2}),? (\d{4})$`)
	reDaysMonth = regexp.MustCompile(`^(\d{1,2}) ?[-–] ?(\d{1,2}) ([A-Za-z]+)\.?,? (\d{4})$`)
)

// wordsDate reads a date in words: anything schema.ParseDate reads, or a
// span of days within a month.
func wordsDate(w string) (schema.Interval, bool) {
	if iv, err := schema.ParseDate(w); err == nil {
		return iv, true
	}
	var month, d1, d2, year string
	if m := reMonthDays.FindStringSubmatch(w); m != nil {
		month, d1, d2, year = m[1], m[2], m[3], m[4]
	} else if m := reDaysMonth.FindStringSubmatch(w); m != nil {
		d1, d2, month, year = m[1], m[2], m[3], m[4]
	} else {
		return schema.Interval{}, false
	}
	a, err1 := schema.ParseDate(d1 + " " + month + " " + year)
	b, err2 := schema.ParseDate(d2 + " " + month + " " + year)
	if err1 != nil || err2 != nil || b.End.Before(a.Start) {
		return schema.Interval{}, false
	}
	return schema.Span(a.Start, b.End), true
}

var reNumeric = regexp.MustCompile(`^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$`)

// parseDate reads a date cell: what schema.ParseDate reads, or with order
// dmy or mdy a numeric date in that order ("22-03-2024", "03/22/2024"),
// kept as written.
func parseDate(text, order string) (schema.Interval, error) {
	m := reNumeric.FindStringSubmatch(text)
	if m == nil || order == "" {
		iv, err := schema.ParseDate(text)
		if err != nil && m != nil {
			return iv, fmt.Errorf("date %q: a numeric date whose order the mapping does not give (expected numeric: dmy or mdy on the fact)", text)
		}
		return iv, err
	}
	d, mo := m[1], m[2]
	if order == "mdy" {
		d, mo = mo, d
	}
	dn, _ := strconv.Atoi(d)
	mn, _ := strconv.Atoi(mo)
	iv, err := schema.ParseDate(fmt.Sprintf("%s-%02d-%02d", m[3], mn, dn))
	if err != nil {
		return iv, fmt.Errorf("date %q (%s): %w", text, order, err)
	}
	iv.Text = text
	return iv, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// widen gives the interval of the precision a source coded: a week is the
// days within six of the date (whichever week it names), a month and a
// year the whole of them; a day is the date as read.
func widen(iv schema.Interval, prec string) schema.Interval {
	s := iv.Start
	switch prec {
	case "week":
		return schema.Span(s.AddDate(0, 0, -6), iv.End.AddDate(0, 0, 6))
	case "month":
		first := time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, time.UTC)
		return schema.Span(first, first.AddDate(0, 1, -1))
	case "year":
		return schema.Span(time.Date(s.Year(), 1, 1, 0, 0, 0, 0, time.UTC), time.Date(s.Year(), 12, 31, 0, 0, 0, 0, time.UTC))
	}
	return iv
}

// datePart reads a year, month or day cell: ok is false for 0, empty or an
// unknown marker.
func datePart(s string, lo, hi int, unknown []string) (int, bool, error) {
	if s == "" || s == "0" || isUnknown(s, unknown) {
		return 0, false, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, ".0"))
	if err != nil {
		return 0, false, fmt.Errorf("%q is not a whole number", s)
	}
	if n < lo || n > hi {
		return 0, false, fmt.Errorf("%d is out of range %d-%d", n, lo, hi)
	}
	return n, true, nil
}

// count states a count: a cell (the figure), or two (the bounds of a
// range, an empty upper bound leaving it open), with the words of the
// mapping around the figure; unknown markers and empty cells give no fact,
// never 0.
func (st *state) count(rec *ingest.Rec, r *row, p *present, f *factSpec, label string) {
	if f.column < 0 {
		text, field, ok := st.text(rec, r, f)
		if !ok {
			return
		}
		q, err := schema.QuantityIn(text)
		if err == nil {
			q.Text = text
			err = q.CheckWords()
		}
		if err != nil {
			rec.Err(r.line, field, fmt.Errorf("%w: %w", schema.ErrBadValue, err))
			return
		}
		rec.Count(r.line, field, p.id, p.kind, f.pred.Name, q, label)
		return
	}
	field := st.colName(f.column, r)
	v := r.cell(f.column)
	if v == "" || isUnknown(v, f.unknown) {
		if v != "" {
			st.unknown(r, field, v, f.pred.Name)
		}
		return
	}
	lo, err := whole(v)
	if err != nil {
		rec.Errorf(r.line, field, "%v: %v (expected a whole number, or empty%s for unknown)", schema.ErrBadValue, err, markers(f.unknown))
		return
	}
	figure := strconv.FormatInt(lo, 10)
	if f.atLeast {
		figure = "at least " + figure
	}
	if f.upper >= 0 && !f.atLeast {
		uf := st.colName(f.upper, r)
		hv := r.cell(f.upper)
		switch {
		case hv == "" || isUnknown(hv, f.unknown):
			figure = "at least " + figure
		default:
			hi, err := whole(hv)
			if err != nil {
				rec.Errorf(r.line, uf, "%v: %v (expected a whole number, or empty%s for unknown)", schema.ErrBadValue, err, markers(f.unknown))
				return
			}
			switch {
			case hi < lo:
				rec.Errorf(r.line, uf, "%v: upper bound %d is below the lower bound %d in %s (expected at least %d)", schema.ErrBadValue, hi, lo, field, lo)
				return
			case hi > lo:
				figure += "-" + strconv.FormatInt(hi, 10)
			}
		}
	}
	if f.words == nil && f.of == "" && !strings.Contains(figure, " ") && !strings.Contains(figure, "-") {
		rec.Count(r.line, field, p.id, p.kind, f.pred.Name, schema.ExactCount(lo), label)
		return
	}
	text := figure
	if f.words != nil {
		text, _ = f.words.render(r, figure, "", false, nil)
	}
	q, err := schema.QuantityIn(text)
	if err == nil {
		q.Text = text
		if err = q.CheckWords(); err == nil {
			q, err = q.WithOf(f.of)
		}
	}
	if err != nil {
		rec.Err(r.line, field, fmt.Errorf("%w: %w", schema.ErrBadValue, err))
		return
	}
	rec.Count(r.line, field, p.id, p.kind, f.pred.Name, q, label)
}

func markers(unknown []string) string {
	var q []string
	for _, u := range unknown {
		if u != "" {
			q = append(q, strconv.Quote(u))
		}
	}
	if len(q) == 0 {
		return ""
	}
	return " or " + strings.Join(q, " or ")
}

// whole reads a whole number as tables write it ("12", "12.0").
func whole(s string) (int64, error) {
	t := s
	if i := strings.IndexByte(t, '.'); i > 0 && strings.Trim(t[i+1:], "0") == "" {
		t = t[:i]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a whole number", s)
	case n < 0:
		return 0, fmt.Errorf("%d is negative", n)
	case n > schema.MaxCount:
		return 0, fmt.Errorf("%d is too large (at most %d)", n, schema.MaxCount)
	}
	return n, nil
}

// unknown counts a count's cell that its unknown marker made no fact.
func (st *state) unknown(r *row, field, v, pred string) {
	if st.unknowns == nil {
		st.unknowns = map[unknownKey]*unknownCount{}
	}
	k := unknownKey{field, v, pred}
	u := st.unknowns[k]
	if u == nil {
		u = &unknownCount{first: r.line}
		st.unknowns[k] = u
	}
	u.n++
}

// finish reports the rows that gave no entity: they load nothing, and the
// user is told how many and why, never silently; and the counts that an
// unknown marker left unstated.
func (st *state) finish() {
	keys := make([]unknownKey, 0, len(st.unknowns))
	for k := range st.unknowns {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return st.unknowns[keys[i]].first < st.unknowns[keys[j]].first })
	for _, k := range keys {
		u := st.unknowns[k]
		st.b.Warn(u.first, k.column, fmt.Errorf("%d of %d rows have %s %q, which the mapping reads as not known: they state no %s fact (the first: row %d)", u.n, st.nrows, k.column, k.marker, k.pred, u.first))
	}
	if len(st.skipped) == 0 {
		return
	}
	reasons := make([]string, 0, len(st.skipped))
	total := 0
	for k, n := range st.skipped {
		reasons = append(reasons, fmt.Sprintf("%s: %d", k, n))
		total += n
	}
	sort.Strings(reasons)
	st.b.Warn(st.first, "", fmt.Errorf("%d of %d rows give no %s, the mapping's first entity, and load nothing (%s)", total, st.nrows, st.im.m.entities[0].as, strings.Join(reasons, "; ")))
}

func lineOf(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return 0
}

// csvErr is a reading error in the project's words.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote):
			return fmt.Errorf("a quoted field is not closed (expected a closing \" before the end of the file): %w", pe.Err)
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return fmt.Errorf("column %d: a \" inside an unquoted field (expected the field quoted, with \"\" for each \"): %w", pe.Column, pe.Err)
		}
		return fmt.Errorf("column %d: %w", pe.Column, pe.Err)
	}
	return err
}

func firstInvalid(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// latin1 decodes ISO 8859-1 to UTF-8.
func latin1(data []byte) []byte {
	out := make([]byte, 0, len(data)+len(data)/8)
	for _, c := range data {
		out = utf8.AppendRune(out, rune(c))
	}
	return out
}

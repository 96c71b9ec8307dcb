package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cayleygraph/quad"
	"gopkg.in/yaml.v3"

	"github.com/threatgraph/threatgraph/schema"
)

// An Importer reads one kind of input besides the native formats (a STIX
// bundle, an incident table, GDELT events) into a File, through a Builder,
// so that its facts are checked, linked and loaded as a native file's are.
type Importer interface {
	// Name is the format's name, in reports and the load history ("stix").
	Name() string
	// Detect reports whether the file is this importer's, from its name and
	// its first bytes (up to 64 KiB).
	Detect(name string, head []byte) bool
	// Import parses the file. It never fails: problems are in the File.
	Import(ctx context.Context, name string, data []byte) *File
}

// DetectLen is how many leading bytes ParseWith hands to Detect.
const DetectLen = 64 << 10

// ParseWith reads one input file with the first importer that detects it,
// else as a native or N-Quads file (Parse).
func ParseWith(ctx context.Context, name string, data []byte, imps []Importer) *File {
	head := data
	if len(head) > DetectLen {
		head = head[:DetectLen]
	}
	for _, imp := range imps {
		if imp.Detect(name, head) {
			return imp.Import(ctx, name, data)
		}
	}
	return Parse(name, data)
}

// Recognised reports whether some importer or the native readers take a
// file of this name (and first bytes): nil, or the error to show.
func Recognised(name string, head []byte, imps []Importer) error {
	for _, imp := range imps {
		if imp.Detect(name, head) {
			return nil
		}
	}
	if _, err := FormatOf(name); err == nil {
		return nil
	}
	names := make([]string, len(imps))
	for i, imp := range imps {
		names[i] = imp.Name()
	}
	also := ""
	if len(names) > 0 {
		also = ", or an input of " + strings.Join(names, ", ")
	}
	return fmt.Errorf("%s: unknown file type %q (expected .yaml, .yml, .json, .nq or .nquads%s: see docs/import.md)", name, filepath.Ext(name), also)
}

// A Builder assembles a File from the facts an importer reads, checking
// each against the vocabulary as a native or N-Quads file is checked; Load
// then links them (references, kinds, sources) across files and the store.
// Errors name the input's own positions: the importer gives the line (a
// row, a line of JSON) and the field (a column, a JSON path).
type Builder struct {
	f *File
}

// NewBuilder starts the File of input name, of format (the importer's
// Name), whose bytes are data (for the load history's hash).
func NewBuilder(name, format string, data []byte) *Builder {
	sum := sha256.Sum256(data)
	return &Builder{f: &File{Name: name, Format: format, SHA256: hex.EncodeToString(sum[:])}}
}

// FileError records a problem of the whole file: it then loads nothing.
func (b *Builder) FileError(line int, field string, err error) {
	b.f.FileErrs.Add(b.f.Name, line, field, err)
}

// Warn records a fact that loads but deserves the user's attention (an
// object that is not mapped, an ambiguous place name).
func (b *Builder) Warn(line int, field string, err error) {
	b.f.Warnings.Add(b.f.Name, line, field, err)
}

// Record starts one record: the unit that --skip-invalid keeps or rejects
// whole (a STIX object, a table row). where names it in reports ("row 12",
// "objects[3] intrusion-set--…").
func (b *Builder) Record(line int, where string) *Rec {
	r := &Record{File: b.f.Name, Line: line, Where: where}
	b.f.Records = append(b.f.Records, r)
	return &Rec{b: b, r: r}
}

// File finishes the file: judgements are checked against the statements
// they judge, and a file without records is an error.
func (b *Builder) File() *File {
	if len(b.f.Records) == 0 && len(b.f.FileErrs) == 0 {
		b.f.FileErrs.Add(b.f.Name, 0, "", errors.New("nothing to import (expected at least one record)"))
	}
	checkJudgements(b.f)
	return b.f
}

// A Rec is one record being built.
type Rec struct {
	b *Builder
	r *Record
}

// Err records a problem of the record at line and field.
func (r *Rec) Err(line int, field string, err error) { r.r.Errs.Add(r.r.File, line, field, err) }

// Errorf is Err with a formatted message.
func (r *Rec) Errorf(line int, field, format string, args ...any) {
	r.r.Errs.Addf(r.r.File, line, field, format, args...)
}

// OK reports whether the record has no problem so far.
func (r *Rec) OK() bool { return len(r.r.Errs) == 0 }

// Declare states that id is an entity of kind, according to source (a
// Source id, declared in this input or the store).
func (r *Rec) Declare(line int, field, id string, kind schema.Kind, source string) bool {
	if err := schema.CheckID(id); err != nil {
		r.Err(line, field, err)
		return false
	}
	if err := schema.CheckID(source); err != nil {
		r.Err(line, field, fmt.Errorf("source: %w", err))
		return false
	}
	r.r.Quads = append(r.r.Quads, quad.Make(quad.IRI(id), quad.IRI(schema.TypeIRI), quad.IRI(kind.IRI()), quad.IRI(source)))
	r.r.Defines = append(r.r.Defines, Def{ID: id, Kind: kind, Line: line})
	r.r.addRef(source, line, field)
	return true
}

// Statement returns the label of a fact of source with the exact words
// quote (the source itself when quote is empty) and writes the statement's
// quote. Facts given this label are the source's statement in those words.
func (r *Rec) Statement(source, quote string) string {
	label := schema.StatementLabel(source, quote)
	if quote != "" {
		src := quad.IRI(source)
		r.r.Quads = append(r.r.Quads,
			quad.Make(quad.IRI(label), quad.IRI(schema.StatedInIRI), src, src),
			quad.Make(quad.IRI(label), quad.IRI(schema.QuoteIRI), quad.String(quote), src))
	}
	r.r.addRef(source, 0, "source")
	return label
}

// Fact states subj pred text, labelled label (a source or a Statement),
// the text read as the native format reads a string value of pred: a date
// in any written form, a count in words, an entity id, an enum value. kind
// is subj's kind when the importer knows it (the domain is checked at
// once), or "" (checked by Load against the declarations). It reports
// whether the fact was taken.
func (r *Rec) Fact(line int, field, subj string, kind schema.Kind, pred, text, label string) bool {
	p := schema.Lookup(pred)
	if p == nil || p.Derived {
		r.Err(line, field, fmt.Errorf("%w %q (internal: the importer maps to a predicate the vocabulary lacks)", schema.ErrUnknownPredicate, pred))
		return false
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: text, Line: line}
	switch p.Type {
	case schema.Float:
		n.Tag = "!!float"
	case schema.Bool:
		n.Tag = "!!bool"
	}
	obj, written, err := value(p, n)
	if err != nil {
		r.Err(line, field, fmt.Errorf("%w: %w", schema.ErrBadValue, err))
		return false
	}
	return r.put(line, field, subj, kind, p, obj, written, label)
}

// Value states subj pred v, v already typed (quad.Float for lat, quad.Bool,
// quad.IRI for an entity); the rest as Fact.
func (r *Rec) Value(line int, field, subj string, kind schema.Kind, pred string, v quad.Value, label string) bool {
	p := schema.LookupIRI("tg:" + pred)
	if p == nil || p.Derived {
		r.Err(line, field, fmt.Errorf("%w %q (internal: the importer maps to a predicate the vocabulary lacks)", schema.ErrUnknownPredicate, pred))
		return false
	}
	if err := literalOf(p, v); err != nil {
		r.Err(line, field, fmt.Errorf("%w: %s: %w", schema.ErrBadValue, p.Name, err))
		return false
	}
	if p.Type == schema.Float {
		f, _ := v.(quad.Float)
		if p.Min != p.Max && (float64(f) < p.Min || float64(f) > p.Max) {
			r.Err(line, field, fmt.Errorf("%w: %s: %v is out of range (expected %v to %v)", schema.ErrBadValue, p.Name, f, p.Min, p.Max))
			return false
		}
	}
	return r.put(line, field, subj, kind, p, v, "", label)
}

// Count states a count subj pred q (its bounds, whom it counts, the words).
func (r *Rec) Count(line int, field, subj string, kind schema.Kind, pred string, q schema.Quantity, label string) bool {
	p := schema.Lookup(pred)
	if p == nil || p.Type != schema.Count {
		r.Err(line, field, fmt.Errorf("%w %q (internal: not a count of the vocabulary)", schema.ErrUnknownPredicate, pred))
		return false
	}
	return r.put(line, field, subj, kind, p, countValue(q), "", label)
}

// Negate states that the multi-valued relation pred from subj to obj does
// not hold, according to label.
func (r *Rec) Negate(line int, field, subj string, kind schema.Kind, pred, obj, label string) bool {
	p := schema.Lookup(pred)
	if p == nil || p.Negation() == nil {
		r.Errorf(line, field, "internal: %s cannot be negated", pred)
		return false
	}
	if err := schema.CheckID(obj); err != nil {
		r.Err(line, field, err)
		return false
	}
	return r.put(line, field, subj, kind, p.Negation(), quad.IRI(obj), "", label)
}

// Quad adds one quad checked as an N-Quads line is (for judgements and
// reported speech, whose shapes Fact does not write); errors are given
// field instead of N-Quads' subject, predicate, object and label.
func (r *Rec) Quad(line int, field string, q quad.Quad) bool {
	tmp := &Record{File: r.r.File, Line: line}
	checkQuad(tmp, q)
	for i := range tmp.Errs {
		tmp.Errs[i].Field = field
	}
	r.r.Errs = append(r.r.Errs, tmp.Errs...)
	if len(tmp.Errs) > 0 {
		return false
	}
	for i := range tmp.Refs {
		tmp.Refs[i].Field = field
	}
	r.r.Quads = append(r.r.Quads, q)
	r.r.Defines = append(r.r.Defines, tmp.Defines...)
	r.r.Refs = append(r.r.Refs, tmp.Refs...)
	r.r.attrs = append(r.r.attrs, tmp.attrs...)
	return true
}

func (r *Rec) put(line int, field, subj string, kind schema.Kind, p *schema.Predicate, obj quad.Value, written, label string) bool {
	if err := schema.CheckID(subj); err != nil {
		r.Err(line, field, err)
		return false
	}
	if err := schema.CheckID(schema.SourceOf(label)); err != nil {
		r.Err(line, field, fmt.Errorf("source: %w", err))
		return false
	}
	if kind != "" && !p.Allows(kind) {
		r.Errorf(line, field, "%s does not apply to a %s (expected on %s)", p.Name, kind, schema.JoinKinds(p.Domain, " or "))
		return false
	}
	if p.NoSelf() && obj == quad.Value(quad.IRI(subj)) {
		r.Err(line, field, fmt.Errorf("%w: %s %s itself (expected another entity)", schema.ErrBadValue, subj, p.Name))
		return false
	}
	s, l := quad.IRI(subj), quad.IRI(label)
	r.r.Quads = append(r.r.Quads, quad.Make(s, quad.IRI(p.IRI()), obj, l))
	r.r.addRef(schema.SourceOf(label), line, field)
	if kind == "" {
		r.r.Refs = append(r.r.Refs, Ref{ID: subj, Line: line, Field: field, Pred: p, domain: true})
	}
	switch {
	case p.Type == schema.Entity:
		r.r.Refs = append(r.r.Refs, Ref{ID: string(obj.(quad.IRI)), Line: line, Field: field, Pred: p, subj: subj})
	case p.Type == schema.Date && written != "":
		r.r.Quads = append(r.r.Quads, quad.Make(s, quad.IRI(p.IRI()+"Text"), quad.String(written), l))
	case p.Name == schema.NamePred || p.Name == schema.AliasPred:
		text, _ := literalText(obj)
		key := schema.NameKey(text)
		r.r.Quads = append(r.r.Quads, quad.Make(s, quad.IRI(schema.KeyIRI), quad.String(key), l))
		r.r.names = append(r.r.names, nameKey{subj: subj, text: text, key: key, line: line, field: field})
	}
	if !p.Multi && !p.Derived && (kind == schema.Source || kind == "") {
		r.r.attrs = append(r.r.attrs, attr{subj: subj, pred: p, val: obj, line: line, field: field})
	}
	return true
}

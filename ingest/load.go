package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
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
// reach into the store) and writes each file's quads in one transaction.
// In strict mode (the default) any problem returns schema.Errors and writes
// nothing. With SkipInvalid the records with problems, and records whose
// references then dangle, are left out and reported.
func Load(ctx context.Context, t Target, files []*File, opt Options) (*Report, error) {
	rep := &Report{DryRun: opt.DryRun}
	for _, f := range files {
		rep.Problems = append(rep.Problems, f.FileErrs...)
	}
	if err := link(ctx, t, files, opt.SkipInvalid); err != nil {
		return rep, err
	}
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
		if !opt.DryRun && len(qs) > 0 {
			n, err := t.Write(ctx, qs)
			if err != nil {
				rep.Files = append(rep.Files, fr)
				// Each file is one transaction: say what did land.
				var written []string
				for _, done := range rep.Files[:len(rep.Files)-1] {
					if done.Quads > 0 {
						written = append(written, done.File)
					}
				}
				state := "nothing was written"
				if len(written) > 0 {
					state = "written before it: " + strings.Join(written, ", ") + " (each file is one transaction)"
				}
				return rep, fmt.Errorf("%s: writing failed, the file was not written (%w); %s", f.Name, err, state)
			}
			fr.Added = n
		}
		rep.Files = append(rep.Files, fr)
	}
	if opt.SkipInvalid && opt.Rejects != nil {
		if err := writeRejects(opt.Rejects, files); err != nil {
			return rep, fmt.Errorf("writing rejects report: %w", err)
		}
	}
	return rep, nil
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
				idset[ref.ID] = true
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
		// checkRefs reports each problem of a record's references once.
		checkRefs := func(r *Record) (added bool) {
			for i, ref := range r.Refs {
				if reported[r][i] {
					continue
				}
				k, ok := defs[ref.ID].kind, false
				if _, in := defs[ref.ID]; in {
					ok = true
				} else if sk, in := stored[ref.ID]; in {
					k, ok = sk, true
				}
				switch {
				case !ok:
					r.Errs.Add(r.File, ref.Line, ref.Field, fmt.Errorf("%s %w (expected an id defined in these files or in the store)", ref.ID, schema.ErrDanglingRef))
				case ref.Pred == nil && k != schema.Source:
					r.Errs.Addf(r.File, ref.Line, ref.Field, "%s is a %s (expected a Source)", ref.ID, k)
				case ref.Pred != nil && !ref.Pred.Accepts(k):
					r.Errs.Addf(r.File, ref.Line, ref.Field, "%s is a %s (expected %s)", ref.ID, k, schema.JoinKinds(ref.Pred.Range, " or "))
				default:
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
			if err := enc.Encode(map[string]any{"file": r.File, "line": r.Line, "record": r.Where, "errors": msgs}); err != nil {
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

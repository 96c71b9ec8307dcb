package ingest

import (
	"context"
	"fmt"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// This file extends the Builder for the table importer (ingest/table):
// dates built from parts (year, month and day columns) rather than read
// from one text, problems of the file that configures an import, and the
// progress of a long parse.

// DateSpan states subj pred iv, labelled label, with text the words the source
// used (kept as the predicate's Text, as a native {text, value} date is);
// text may be empty when iv is all the source gave. The rest as Fact.
func (r *Rec) DateSpan(line int, field, subj string, kind schema.Kind, pred string, iv schema.Interval, text, label string) bool {
	p := schema.Lookup(pred)
	if p == nil || p.Type != schema.Date {
		r.Err(line, field, fmt.Errorf("%w %q (internal: not a date of the vocabulary)", schema.ErrUnknownPredicate, pred))
		return false
	}
	if iv.Start.IsZero() || iv.End.Before(iv.Start) {
		r.Err(line, field, fmt.Errorf("%w: %s: empty interval (expected a first and a last day)", schema.ErrBadValue, pred))
		return false
	}
	if text != "" {
		if err := schema.CheckText(text); err != nil {
			r.Err(line, field, fmt.Errorf("%w: %s text: %w", schema.ErrBadValue, pred, err))
			return false
		}
	}
	obj := quad.TypedString{Value: quad.String(iv.String()), Type: DateType}
	return r.put(line, field, subj, kind, p, obj, text, label)
}

// ConfigError records a problem of the file that configures the import (a
// table's mapping) at its own position, file:line: field, rather than the
// input's: the input then loads nothing.
func (b *Builder) ConfigError(file string, line int, field string, err error) {
	b.f.FileErrs.Add(file, line, field, err)
}

type progressKey struct{}

// WithProgress returns a context in which an importer reports through fn
// how many bytes of its input it has read so far (from the importer's
// goroutine, every few hundred records), so that a caller can show the
// progress of a long parse.
func WithProgress(ctx context.Context, fn func(done int64)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ReportProgress tells the context's progress function, if any, that done
// bytes of the input have been read.
func ReportProgress(ctx context.Context, done int64) {
	if fn, ok := ctx.Value(progressKey{}).(func(int64)); ok {
		fn(done)
	}
}

// KeepRaw keeps the record's input as written (a table's row), for the
// rejects report should the record be rejected. An importer calls it only
// for a record that already has a problem, so that a large input's valid
// records hold no copy of their text.
func (r *Rec) KeepRaw(text string) { r.r.Raw = text }

package schema

import (
	"errors"
	"fmt"
	"strings"
)

// A FieldError is one problem with one field of one record of an input file.
type FieldError struct {
	File  string // input file as given
	Line  int    // 1-indexed line, 0 when unknown
	Field string // the field ("entities[3].facts[0].killed"), may be empty
	Err   error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// Errors collects every problem found in an input, so that one run reports
// them all, like go/scanner.ErrorList.
type Errors []*FieldError

// Add appends a problem.
func (l *Errors) Add(file string, line int, field string, err error) {
	*l = append(*l, &FieldError{File: file, Line: line, Field: field, Err: err})
}

// Addf appends a problem with a formatted message.
func (l *Errors) Addf(file string, line int, field, format string, args ...any) {
	l.Add(file, line, field, fmt.Errorf(format, args...))
}

// Err returns nil when the list is empty, else the list as an error.
func (l Errors) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Error lists up to 20 problems, one a line, and says how many more.
func (l Errors) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i == 20 {
			fmt.Fprintf(&b, "\n(and %d more problems)", len(l)-20)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As access to every problem.
func (l Errors) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Sentinels for the kinds of problem tests and callers may want to tell apart.
var (
	ErrUnknownKind      = errors.New("unknown kind")
	ErrUnknownPredicate = errors.New("unknown predicate")
	ErrDanglingRef      = errors.New("refers to an entity that exists nowhere")
	ErrBadValue         = errors.New("bad value")
	ErrKindConflict     = errors.New("id already used with another kind")
	ErrNoStatement      = errors.New("no such statement")
)

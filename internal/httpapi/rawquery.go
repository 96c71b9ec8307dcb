package httpapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	cgraph "github.com/cayleygraph/cayley/graph"
	cquery "github.com/cayleygraph/cayley/query"
	"github.com/cayleygraph/cayley/query/gizmo"
	"github.com/cayleygraph/cayley/query/graphql"
)

// Limits bound a raw query.
type Limits struct {
	Timeout time.Duration // wall time (0: 5 s)
	Rows    int           // result cap (0: 10,000)
	// Memory is how far the live heap may grow while the query runs, in
	// bytes (0: 256 MiB); past it the query is stopped with a *MemoryError.
	Memory int64
	// Concurrency is how many raw queries a Server runs at once (0: 2;
	// negative: raw queries are turned off and answer 403); more get 503.
	// RunQuery itself does not count.
	Concurrency int
}

// Default raw query limits.
const (
	DefaultQueryMemory      = 256 << 20
	DefaultQueryConcurrency = 2
)

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = 5 * time.Second
	}
	if l.Rows <= 0 {
		l.Rows = 10_000
	}
	if l.Memory <= 0 {
		l.Memory = DefaultQueryMemory
	}
	if l.Concurrency == 0 {
		l.Concurrency = DefaultQueryConcurrency
	}
	return l
}

// Languages are the raw query languages.
var Languages = []string{"gizmo", "graphql"}

// QueryResult is the answer to a raw query.
type QueryResult struct {
	Lang      string `json:"lang"`
	Results   []any  `json:"results"`   // gizmo: one per emitted row; graphql: one object
	Rows      int    `json:"rows"`      // rows counted against the cap (array elements included)
	Truncated bool   `json:"truncated"` // the cap was reached and the rest left out
	Limit     int    `json:"limit"`     // the cap
}

// ErrQueryTimeout reports a raw query stopped at its time limit.
var ErrQueryTimeout = errors.New("query: time limit reached")

// A QueryError is a query that could not run: Syntax when it did not parse
// or compile, else a runtime error (a Gizmo exception, a GraphQL field).
type QueryError struct {
	Syntax bool
	Err    error
}

func (e *QueryError) Error() string { return e.Err.Error() }
func (e *QueryError) Unwrap() error { return e.Err }

// RunQuery runs a raw Gizmo or GraphQL query on qs, read-only (neither
// language can write), stopping it with ErrQueryTimeout at lim.Timeout and
// keeping at most lim.Rows rows. A query that CheckQuery refuses (too
// long, too deeply nested for the parser's recursion) gets its
// *GuardError before any parser sees it. A heap watchdog stops the query
// with a *MemoryError (errors.Is ErrQueryMemory) when the live heap grows
// by more than lim.Memory while it runs; a Gizmo query runs after a
// prelude (see prelude) that makes one built-in call refuse a result past
// half of lim.Memory. Gizmo is interrupted through the iterator's context
// (cayley's Execute ignores its own; cancelling the context passed to Next
// calls goja's Runtime.Interrupt, which also stops a loop that touches no
// iterator); its row limit is advisory, so rows are also capped here,
// including elements of emitted arrays. RunQuery returns once the
// JavaScript goroutine has ended and, after a memory stop, the memory has
// been collected and returned to the operating system (StartQuery returns
// before that).
func RunQuery(ctx context.Context, qs cgraph.QuadStore, lang, text string, lim Limits) (*QueryResult, error) {
	res, done, err := StartQuery(ctx, qs, lang, text, lim)
	<-done
	return res, err
}

// StartQuery is RunQuery returning as soon as the answer is known: done is
// closed once nothing of the query runs any more. A Gizmo VM interrupted
// in the middle of a built-in call (a regular expression match: at most
// RegexMatchTimeout) goes on until that call returns; done is closed after
// it has, and after a memory stop once runtime.GC and debug.FreeOSMemory
// have run. A caller that bounds how many queries run at once holds its
// slot until done is closed.
func StartQuery(ctx context.Context, qs cgraph.QuadStore, lang, text string, lim Limits) (res *QueryResult, done <-chan struct{}, err error) {
	lim = lim.withDefaults()
	ended := make(chan struct{})
	if _, err := CheckQuery(lang, text); err != nil {
		close(ended)
		return nil, ended, err
	}
	var sess cquery.Session
	switch lang {
	case "gizmo":
		g := gizmo.NewSession(qs)
		if err := runPrelude(ctx, g, lim); err != nil {
			close(ended)
			return nil, ended, err
		}
		sess = g
	case "graphql":
		sess = graphql.NewSession(qs)
	default:
		close(ended)
		return nil, ended, fmt.Errorf("unknown query language %q (expected gizmo or graphql)", lang)
	}
	mctx, stopMem := context.WithCancelCause(ctx)
	qctx, cancel := context.WithTimeout(mctx, lim.Timeout)
	stopWatch := watchHeap(lim.Memory, stopMem)
	it, err := sess.Execute(qctx, text, cquery.Options{Collation: cquery.JSON, Limit: lim.Rows + 1})
	if err != nil {
		stopWatch()
		cancel()
		stopMem(nil)
		close(ended)
		return nil, ended, &QueryError{Syntax: true, Err: err}
	}
	defer func() {
		_ = it.Close() // interrupts a Gizmo VM still running
		go func() {
			defer close(ended)
			// Next returns false at once when the VM goroutine has ended,
			// else when it does (it is interrupted: it ends once the
			// built-in call it is in returns).
			for it.Next(context.WithoutCancel(ctx)) {
			}
			stopWatch()
			var me *MemoryError
			memStop := errors.As(context.Cause(mctx), &me)
			cancel()
			stopMem(nil)
			if memStop {
				// Only now is what the VM held garbage.
				runtime.GC()
				debug.FreeOSMemory()
			}
		}()
	}()
	res = &QueryResult{Lang: lang, Results: []any{}, Limit: lim.Rows}
	budget := lim.Rows
	for it.Next(qctx) {
		r := it.Result()
		if r == nil {
			continue // a Gizmo expression's own value
		}
		if budget <= 0 {
			res.Truncated = true
			break
		}
		budget--
		r, cut := capRows(r, &budget)
		res.Results = append(res.Results, r)
		if cut {
			res.Truncated = true
			break
		}
	}
	res.Rows = lim.Rows - budget
	var me *MemoryError
	if errors.As(context.Cause(mctx), &me) {
		return nil, ended, me
	}
	if err := it.Err(); err != nil && !res.Truncated {
		switch {
		case ctx.Err() != nil:
			return nil, ended, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) || qctx.Err() != nil:
			return nil, ended, fmt.Errorf("%w after %v", ErrQueryTimeout, lim.Timeout)
		}
		return nil, ended, &QueryError{Err: err}
	}
	if qctx.Err() != nil && ctx.Err() == nil && !res.Truncated {
		// GraphQL returns no error when its iterators are cut short.
		return nil, ended, fmt.Errorf("%w after %v", ErrQueryTimeout, lim.Timeout)
	}
	return res, ended, nil
}

// runPrelude runs the prelude in the session's runtime: cayley keeps one
// goja runtime per session, so what the prelude changes holds for the
// user's query run next.
func runPrelude(ctx context.Context, sess *gizmo.Session, lim Limits) error {
	it, err := sess.Execute(ctx, prelude(capsFor(lim.Memory)), cquery.Options{Collation: cquery.JSON, Limit: 1})
	if err != nil {
		return fmt.Errorf("gizmo prelude does not compile: %w", err)
	}
	for it.Next(ctx) {
	}
	if err := it.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("gizmo prelude: %w", err)
	}
	// Not it.Close(): on an iterator whose VM has ended it still calls
	// Interrupt, and the interrupt would stop the user's query at once.
	return nil
}

// capRows keeps the elements of the arrays in v while the budget lasts,
// each element costing one row, and reports whether it cut any.
func capRows(v any, budget *int) (any, bool) {
	switch x := v.(type) {
	case []any:
		cut := false
		out := make([]any, 0, min(len(x), max(*budget, 0)))
		for _, e := range x {
			if *budget <= 0 {
				return out, true
			}
			*budget--
			e, c := capRows(e, budget)
			out = append(out, e)
			if c {
				return out, true
			}
		}
		return out, cut
	case []map[string]any:
		anys := make([]any, len(x))
		for i, e := range x {
			anys[i] = e
		}
		return capRows(anys, budget)
	case map[string]any:
		out := make(map[string]any, len(x))
		cut := false
		for _, k := range slices.Sorted(maps.Keys(x)) {
			e := x[k]
			if cut {
				break
			}
			var c bool
			out[k], c = capRows(e, budget)
			cut = cut || c
		}
		return out, cut
	}
	return v, false
}

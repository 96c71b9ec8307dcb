package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/threatgraph/threatgraph/query"
)

// args reads a request's query parameters; every parse error is a 400
// naming the parameter.
type args struct {
	q url.Values
}

func newArgs(r *http.Request, allowed map[string]bool) (*args, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Msg: "malformed query string", Detail: ParamDetail{Parameter: "query string", Expected: "URL-encoded key=value pairs"}}
	}
	for k := range q {
		if !allowed[k] {
			names := make([]string, 0, len(allowed))
			for n := range allowed {
				names = append(names, n)
			}
			slices.Sort(names)
			want := "no parameters"
			if len(names) > 0 {
				want = "one of " + strings.Join(names, ", ")
			}
			return nil, &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("unknown parameter %q (this route takes %s)", k, want), Detail: ParamDetail{Parameter: k, Expected: want}}
		}
	}
	return &args{q: q}, nil
}

// str returns the parameter's value, trimmed ("" when absent).
func (a *args) str(name string) string { return strings.TrimSpace(a.q.Get(name)) }

// required returns a parameter that must be present and not empty.
func (a *args) required(name, want string) (string, error) {
	s := a.str(name)
	if s == "" {
		return "", paramError(name, "", want)
	}
	return s, nil
}

// list returns a comma-separated (or repeated) parameter's values, as the
// CLI's comma-separated flags take them.
func (a *args) list(name string) []string {
	var out []string
	for _, v := range a.q[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// integer returns an integer parameter in [lo, hi], or def when absent.
func (a *args) integer(name string, def, lo, hi int) (int, error) {
	s := a.str(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, paramError(name, s, fmt.Sprintf("an integer from %d to %d", lo, hi))
	}
	return n, nil
}

// boolean returns a boolean parameter (true, false, 1, 0; a bare
// "?stability" is true), false when absent.
func (a *args) boolean(name string) (bool, error) {
	vs, ok := a.q[name]
	if !ok {
		return false, nil
	}
	s := strings.TrimSpace(vs[0])
	if s == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, paramError(name, s, "true or false")
	}
	return b, nil
}

// scope reads the scope parameters (sources, exclude-sources,
// exclude-machine, predicates,
// kinds, with-deprecated, and the dates named fromName and toName) and
// checks them against
// the Reader's view (query.Reader.Check), so that an unknown source,
// predicate or kind, or a bad date, is a 400 naming the parameter as this
// route spells it.
func (a *args) scope(ctx context.Context, q *query.Reader, fromName, toName string) (query.Scope, error) {
	sc := query.Scope{
		Sources:        a.list("sources"),
		ExcludeSources: a.list("exclude-sources"),
		Predicates:     a.list("predicates"),
		Kinds:          a.list("kinds"),
		From:           a.str(fromName),
		To:             a.str(toName),
	}
	var err error
	if sc.WithDeprecated, err = a.boolean("with-deprecated"); err != nil {
		return sc, err
	}
	if sc.ExcludeMachine, err = a.boolean("exclude-machine"); err != nil {
		return sc, err
	}
	err = q.Check(ctx, sc)
	var pe *query.ParamError
	if errors.As(err, &pe) {
		name := map[string]string{"from": fromName, "to": toName}[pe.Param]
		if name == "" {
			name = pe.Param
		}
		return sc, paramError(name, pe.Value, pe.Want)
	}
	return sc, err
}

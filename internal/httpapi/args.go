package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
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

// filter reads the belief-policy and window parameters (sources,
// exclude-sources, predicates, and the dates named fromName and toName)
// and checks them against the view, so that an unknown source or predicate
// or a bad date is a 400 naming the parameter.
func (a *args) filter(v *query.View, fromName, toName string) (query.Filter, error) {
	f := query.Filter{
		Sources:        a.list("sources"),
		ExcludeSources: a.list("exclude-sources"),
		Predicates:     a.list("predicates"),
		From:           a.str(fromName),
		To:             a.str(toName),
	}
	for _, p := range []struct {
		name string
		vals []string
	}{{"sources", f.Sources}, {"exclude-sources", f.ExcludeSources}} {
		for _, s := range p.vals {
			if _, ok := slices.BinarySearch(v.Sources, s); !ok {
				return f, paramError(p.name, s, fmt.Sprintf("a source id in the store (%d sources, e.g. %s)", len(v.Sources), strings.Join(v.Sources[:min(3, len(v.Sources))], ", ")))
			}
		}
	}
	for _, p := range f.Predicates {
		if _, ok := slices.BinarySearch(v.Preds, p); !ok {
			return f, paramError("predicates", p, "relations in the store, e.g. "+strings.Join(v.Preds[:min(4, len(v.Preds))], ", "))
		}
	}
	for _, d := range [][2]string{{fromName, f.From}, {toName, f.To}} {
		if d[1] == "" {
			continue
		}
		if _, err := schema.ParseDate(d[1]); err != nil {
			return f, paramError(d[0], d[1], "a date: YYYY, YYYY-MM, YYYY-MM-DD or an interval A/B")
		}
	}
	return f, nil
}

// kinds reads a list of entity kinds, canonical and sorted.
func (a *args) kinds(name string) ([]string, error) {
	var out []string
	for _, k := range a.list(name) {
		kk, ok := schema.ParseKind(k)
		if !ok {
			return nil, paramError(name, k, "kinds among "+schema.JoinKinds(schema.Kinds, ", "))
		}
		out = append(out, string(kk))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

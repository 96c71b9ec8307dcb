package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/schema"
)

// IdentityResult is what POST /v1/same and /v1/different did, as the
// CLI's same and different --format json print it.
type IdentityResult struct {
	Verb        string              `json:"verb"`
	IDs         [2]string           `json:"ids,omitempty"`
	Identity    string              `json:"identity,omitempty"`
	Statement   string              `json:"statement,omitempty"`
	Load        string              `json:"load,omitempty"`
	Retractions []*graph.Retraction `json:"retractions,omitempty"`
}

// identityRoutes are POST /v1/same and /v1/different.
func (s *Server) identityRoutes() []*route {
	var out []*route
	for _, verb := range []string{schema.Same, schema.Different} {
		summary := "Record that two ids name one entity (every answer reads them as one, under the smallest id), or with undo retract that; loaded like a file, recorded in the load history; needs the bearer token configured as serve.token (CLI: same)"
		if verb == schema.Different {
			summary = "Record that two ids name two entities (wins over same), or with undo retract that; loaded like a file, recorded in the load history; needs the bearer token configured as serve.token (CLI: different)"
		}
		out = append(out, &route{method: "POST", path: "/v1/" + verb, summary: summary,
			params: []param{
				{name: "a", typ: "string", desc: "the first id (or, with undo, an identity:HASH alone)"},
				{name: "b", typ: "string", desc: "the second id"},
				{name: "source", typ: "string", desc: "the Source whose statement this is (default source:analyst; with undo, only that source's statements)"},
				{name: "reason", typ: "string", required: true, desc: "why, in words (recorded)"},
				{name: "date", typ: "string", desc: "when the source said so"},
				{name: "undo", typ: "boolean", def: "false", desc: "retract the statements in force instead; CLI --undo"},
			},
			result: &IdentityResult{}, errors: []int{400, 401, 403, 404, 422, 501},
			answer: func(r *http.Request, a *args) (any, error) { return s.identityAnswer(r, a, verb) }})
	}
	return out
}

func (s *Server) identityAnswer(r *http.Request, a *args, verb string) (any, error) {
	if err := s.authorize(r, verb); err != nil {
		return nil, err
	}
	if s.opts.History == nil || s.opts.Loader == nil {
		return nil, s.noHistory()
	}
	reason, err := a.required("reason", "why, in words")
	if err != nil {
		return nil, err
	}
	if len(reason) > graph.MaxReason {
		return nil, paramError("reason", fmt.Sprintf("(%d bytes)", len(reason)), fmt.Sprintf("at most %d bytes", graph.MaxReason))
	}
	undo, err := a.boolean("undo")
	if err != nil {
		return nil, err
	}
	x, y, source := a.str("a"), a.str("b"), a.str("source")
	ctx := r.Context()
	if undo {
		ids := []string{x}
		if y != "" {
			ids = append(ids, y)
		}
		if x == "" {
			return nil, paramError("a", "", "an id (and b), or an identity:HASH")
		}
		return s.undoIdentity(ctx, verb, source, reason, ids)
	}
	if x == "" || y == "" {
		return nil, paramError("b", y, "two ids, a and b")
	}
	if source == "" {
		source = "source:analyst"
	}
	date := a.str("date")
	_, err = s.Ingest(ctx, []Upload{{Name: verb + ".json", Data: schema.IdentityFile(verb, x, y, source, reason, date)}}, LoadOptions{})
	var invalid *InvalidError
	if errors.As(err, &invalid) {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Msg: verb + " " + x + " " + y + ": nothing was written", Detail: map[string][]string{"problems": invalid.Problems}}
	}
	if err != nil {
		return nil, err
	}
	iv := ""
	if date != "" {
		d, _ := schema.ParseDate(date) // the load checked it
		iv = d.String()
	}
	id := schema.IdentityID(verb, x, y, source, reason, iv)
	res := &IdentityResult{Verb: verb, IDs: [2]string{x, y}, Identity: id, Statement: schema.IdentityLabel(source, id)}
	h, err := s.opts.History.History(ctx)
	if err != nil {
		return nil, err
	}
	if n := len(h.Loads); n > 0 {
		res.Load = h.Loads[n-1].ID
	}
	for _, rt := range h.Retractions {
		if rt.Kind == "statement" && rt.Target == res.Statement && rt.UndoneBy == "" {
			u, err := s.Retract(ctx, rt.ID, AgainReason(verb, x, y, reason), true)
			if err != nil {
				return nil, err
			}
			res.Retractions = append(res.Retractions, u)
		}
	}
	return res, nil
}

func (s *Server) undoIdentity(ctx context.Context, verb, source, reason string, ids []string) (*IdentityResult, error) {
	its, err := s.snapshot().reader.IdentitiesOf(ctx, verb, source, ids...)
	if errors.Is(err, query.ErrNotFound) {
		return nil, &Error{Status: http.StatusNotFound, Msg: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	res := &IdentityResult{Verb: verb}
	if len(ids) == 2 {
		res.IDs = [2]string{ids[0], ids[1]}
	}
	for _, it := range its {
		rec, err := s.Retract(ctx, it.Statement, reason, false)
		var he *graph.HistoryError
		if errors.As(err, &he) {
			return res, historyParamError("reason", he)
		}
		if err != nil {
			return res, err
		}
		res.Retractions = append(res.Retractions, rec)
	}
	return res, nil
}

// AgainReason is the reason of the undo that recording an identity again
// makes (the retraction that hid that very statement), within
// graph.MaxReason.
func AgainReason(verb, x, y, reason string) string {
	r := verb + " " + x + " " + y + " again: " + reason
	if len(r) > graph.MaxReason {
		r = strings.ToValidUTF8(r[:graph.MaxReason-3], "") + "..."
	}
	return r
}

package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"

	"github.com/threatgraph/threatgraph/query"
)

// candidatesParams are the parameters of GET /v1/candidates, the CLI's
// candidates flags.
var candidatesParams = []param{
	{name: "kind", typ: "string", desc: "only entities of this kind (Group, Person, Organization, ...); CLI --kind"},
	{name: "limit", typ: "integer", def: "50", desc: "at most this many candidates (0: all); CLI --limit"},
	{name: "min-score", typ: "number", def: "0", desc: "only candidates scoring at least this, 0 to 1; CLI --min-score"},
}

// candidatesRoute is GET /v1/candidates (CLI: candidates).
func (s *Server) candidatesRoute() *route {
	return &route{method: "GET", path: "/v1/candidates",
		summary: "Pairs of entities of one kind that may be one, strongest first, each with its score, reasons (same external id, same name, a name that is the other's alias, shared aliases: weak, never enough alone, similar names, the same attacks and places), counter-evidence (distinct ids of one scheme) and the same command that accepts it; merged pairs are not listed, pairs a different statement keeps apart are counted as ruled out (CLI: candidates)",
		params:  candidatesParams, result: &query.CandidatesResult{}, errors: []int{400, 408, 503}, answer: s.candidatesAnswer}
}

func (s *Server) candidatesAnswer(r *http.Request, a *args) (any, error) {
	limit, err := a.integer("limit", 50, 0, 1_000_000)
	if err != nil {
		return nil, err
	}
	minScore := 0.0
	if v := a.str("min-score"); v != "" {
		minScore, err = strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(minScore) || minScore < 0 || minScore > 1 {
			return nil, paramError("min-score", v, "a number from 0 to 1")
		}
	}
	o := query.CandidateOptions{Kind: a.str("kind"), Limit: limit, MinScore: minScore}
	return s.read(r.Context(), func(q *query.Reader) (any, error) {
		return s.analytics(r, true, func(ctx context.Context) (any, error) { return q.Candidates(ctx, o) })
	})
}

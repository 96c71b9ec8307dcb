package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/query"
)

// TestCandidatesRoute: GET /v1/candidates answers the Reader's
// Candidates byte for byte, matches the OpenAPI document, and a bad
// parameter is a 400 naming it.
func TestCandidatesRoute(t *testing.T) {
	f := newFixture(t, Options{})
	r := query.NewReader(f.st, query.ReaderOptions{})
	for _, c := range []struct {
		path string
		o    query.CandidateOptions
	}{
		{"/v1/candidates", query.CandidateOptions{Limit: 50}},
		{"/v1/candidates?kind=location&limit=0&min-score=0.1", query.CandidateOptions{Kind: "location", MinScore: 0.1}},
		{"/v1/candidates?kind=Group&min-score=1", query.CandidateOptions{Kind: "Group", Limit: 50, MinScore: 1}},
	} {
		status, body := f.get(t, c.path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d; want 200\n%s", c.path, status, body)
		}
		want, err := r.Candidates(t.Context(), c.o)
		if err != nil {
			t.Fatal(err)
		}
		if got, w := string(body), encode(t, want); got != w {
			t.Errorf("GET %s:\n%s\nwant (Reader.Candidates, encoded as the CLI does):\n%s", c.path, got, w)
		}
	}
	for _, c := range []struct{ path, param string }{
		{"/v1/candidates?kind=Source", "kind"},
		{"/v1/candidates?kind=Dragon", "kind"},
		{"/v1/candidates?limit=-1", "limit"},
		{"/v1/candidates?min-score=2", "min-score"},
		{"/v1/candidates?min-score=NaN", "min-score"},
		{"/v1/candidates?min-score=high", "min-score"},
		{"/v1/candidates?top=3", "top"},
	} {
		status, body := f.get(t, c.path)
		if status != http.StatusBadRequest || !strings.Contains(string(body), c.param) {
			t.Errorf("GET %s: %d %s; want 400 naming %s", c.path, status, body, c.param)
		}
	}
}

package query

import "github.com/threatgraph/threatgraph/query/analytics"

// Hooks for the external tests (package query_test): what they read of a
// View, whose fields are unexported, and the read rules of rules.go.

func (v *View) IDs() []string       { return v.keys }
func (v *View) Name(n int32) string { return v.names[n] }
func (v *View) RowCount() int       { return len(v.rows) }
func (v *View) QuadCount() int64    { return v.quads }

// FreshGraph builds the whole-store graph anew (not the one kept), for
// BenchmarkView/graph.
func (v *View) FreshGraph() *analytics.Graph { return v.build(&scope{}) }

// The read rules (rules.go), for rules_test.go.
var (
	NewBelief   = newBelief
	NewWindow   = newWindow
	AgreedDates = agreedDates
	DisplayName = displayName
	IsContested = isContested
	Conflict    = conflict
	IsNode      = isNode

	AttributionDisputed = attributionDisputed
)

type SourcedName = sourcedName

// RankOf is rankOf on (rank, date) pairs.
func RankOf(js ...[2]string) string {
	var in []judgedRank
	for _, j := range js {
		in = append(in, judgedRank{j[0], j[1]})
	}
	return rankOf(in)
}

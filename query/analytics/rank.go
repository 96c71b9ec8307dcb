package analytics

import (
	"cmp"
	"math"
	"slices"
)

// A Score is one node's value in a ranking.
type Score struct {
	Node  int32
	Key   string
	Value float64
}

// Top returns the n highest scores, highest first, breaking ties by
// ascending node key (which is ascending node id) so that output is
// stable. NaN ranks below every number. n < 0 or n > len(scores) ranks
// every node.
func Top(g *Graph, scores []float64, n int) []Score {
	ids := make([]int32, len(scores))
	for i := range ids {
		ids[i] = int32(i)
	}
	slices.SortFunc(ids, func(a, b int32) int {
		x, y := scores[a], scores[b]
		switch {
		case math.IsNaN(x) && math.IsNaN(y):
		case math.IsNaN(x):
			return 1
		case math.IsNaN(y):
			return -1
		case x != y:
			return cmp.Compare(y, x)
		}
		return cmp.Compare(a, b)
	})
	if n < 0 || n > len(ids) {
		n = len(ids)
	}
	out := make([]Score, n)
	for i, v := range ids[:n] {
		out[i] = Score{Node: v, Key: g.Key(v), Value: scores[v]}
	}
	return out
}

package analytics

import (
	"fmt"
	"math/rand/v2"
)

var genKinds = []struct {
	name  string
	share int // per mille
}{
	{"Attack", 350}, {"Person", 200}, {"Location", 150}, {"Group", 100},
	{"Claim", 80}, {"Warning", 70}, {"Organization", 50},
}

var genPredicates = []string{
	"perpetratedBy", "locatedIn", "partOf", "affiliateOf", "splinterOf",
	"leaderOf", "memberOf", "nationality", "suspectIn", "claimant",
	"claims", "alleges", "via", "issuedBy", "about", "concerns",
}

// generate returns a knowledge-graph-like random graph with n nodes and
// about m edges, the same for the same seed. Nodes get kinds in fixed
// proportions (35% Attack, 20% Person, ...). Three quarters of the edges
// attach each new node to earlier nodes chosen by preferential attachment
// (so degrees are heavy-tailed, with hub groups and places); the rest join
// uniformly random pairs, which also makes parallel edges and reciprocal
// pairs. Predicates are uniform over 16 names and source counts are
// 1 + geometric(1/2). Exact duplicate triples merge, so M() can be a
// little below m.
func generate(n, m int, seed uint64) *Graph {
	rng := rand.New(rand.NewPCG(seed, 0x6b67)) // "kg"
	var b Builder
	ids := make([]int32, n)
	for i := range n {
		r := rng.IntN(1000)
		k := genKinds[len(genKinds)-1].name
		for _, gk := range genKinds {
			if r < gk.share {
				k = gk.name
				break
			}
			r -= gk.share
		}
		ids[i] = b.Node(fmt.Sprintf("%s:%08d", k, i), k)
	}
	sources := func() uint16 {
		s := uint16(1)
		for s < 20 && rng.IntN(2) == 0 {
			s++
		}
		return s
	}
	pred := func() string { return genPredicates[rng.IntN(len(genPredicates))] }
	pa := m * 3 / 4
	ends := make([]int32, 0, 2*pa) // each edge end point once: degree-proportional sampling
	const seedNodes = 4
	for i := 1; i < min(seedNodes, n); i++ {
		b.Edge(ids[i], ids[i-1], pred(), sources())
		ends = append(ends, int32(i), int32(i-1))
	}
	made := len(ends) / 2
	for i := seedNodes; i < n && made < pa; i++ {
		// Spread the attachment edges evenly over the new nodes.
		want := (pa-made)/(n-i) + boolInt(rng.IntN(n-i) < (pa-made)%(n-i))
		for range want {
			var t int32
			if rng.IntN(10) == 0 {
				t = int32(rng.IntN(i)) // a little uniform mixing
			} else {
				t = ends[rng.IntN(len(ends))]
			}
			b.Edge(ids[i], ids[t], pred(), sources())
			ends = append(ends, int32(i), t)
			made++
		}
	}
	for made < m && n > 1 {
		u, v := rng.IntN(n), rng.IntN(n)
		if u == v {
			continue
		}
		b.Edge(ids[u], ids[v], pred(), sources())
		made++
	}
	return b.Build()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

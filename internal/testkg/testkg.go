package testkg

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/cayleygraph/quad"
)

// Quads returns a generated knowledge graph: nodes entities, each with its
// kind (rdf:type tg:Kind), and relations among them until there are
// nodes+edges quads in all (preferential attachment: half the objects are
// drawn from earlier objects, half uniformly), each quad stated by one of
// sources sources. The same arguments give the same quads.
func Quads(nodes, edges, sources int, seed uint64) []quad.Quad {
	r := rand.New(rand.NewPCG(seed, 9))
	preds := []string{"perpetratedBy", "locatedIn", "partOf", "memberOf", "affiliateOf", "about", "claims", "issuedBy", "target", "suspectIn"}
	id := func(i int) quad.IRI { return nodeID(i) }
	src := func() quad.IRI { return quad.IRI(fmt.Sprintf("source:s%d", r.IntN(sources))) }
	qs := make([]quad.Quad, 0, nodes+edges)
	for i := range nodes {
		qs = append(qs, quad.Make(id(i), quad.IRI("rdf:type"), quad.IRI("tg:"+kinds[i%len(kinds)]), src()))
	}
	targets := make([]int, 0, edges)
	for len(qs) < nodes+edges {
		s := r.IntN(nodes)
		o := r.IntN(nodes)
		if len(targets) > 0 && r.IntN(2) == 0 {
			o = targets[r.IntN(len(targets))]
		}
		targets = append(targets, o)
		qs = append(qs, quad.Make(id(s), quad.IRI("tg:"+preds[r.IntN(len(preds))]), id(o), src()))
	}
	return qs
}

var kinds = []string{"Group", "Person", "Organization", "Location", "Attack", "Warning", "Claim"}

// nodeID is the id of Quads' i-th entity.
func nodeID(i int) quad.IRI { return quad.IRI(fmt.Sprintf("%s:n%d", kinds[i%len(kinds)], i)) }

// words is the vocabulary of Text.
var words = strings.Fields(`attack group cell network plot warning officials said reported claimed
	responsibility suspects arrested border province city hall concert militants bombing intelligence
	agency report team sent residents sleeper recently arrived weapons rifles vests police security
	government ministry state media sources according unnamed leader members recruited online funding
	training camp region affiliate branch faction operatives surveillance venue threat assessment`)

// Text returns text for Quads' first nodes entities (same nodes and
// sources): a name per entity, and for every fourth one a statement of a
// source with its quote and a description (the quads ingest writes for a
// quoted description), words drawn from a small vocabulary. The same
// arguments give the same quads.
func Text(nodes, sources int, seed uint64) []quad.Quad {
	r := rand.New(rand.NewPCG(seed, 11))
	sentence := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = words[r.IntN(len(words))]
		}
		return strings.Join(w, " ")
	}
	var qs []quad.Quad
	for i := range nodes {
		src := quad.IRI(fmt.Sprintf("source:s%d", r.IntN(sources)))
		qs = append(qs, quad.Make(nodeID(i), quad.IRI("tg:name"), quad.String(fmt.Sprintf("%s %d", sentence(2), i)), src))
		if i%4 != 0 {
			continue
		}
		quote := sentence(12 + r.IntN(12))
		stmt := quad.IRI(fmt.Sprintf("%s#e-%08x", src, i))
		qs = append(qs,
			quad.Make(stmt, quad.IRI("tg:statedIn"), src, src),
			quad.Make(stmt, quad.IRI("tg:quote"), quad.String(quote), src),
			quad.Make(nodeID(i), quad.IRI("tg:description"), quad.String(sentence(8)), stmt))
	}
	return qs
}

// Star returns a star of n people who are all members of one group
// (group:hub), every quad stated by source:star: the shape on which
// gonum's Louvain is quadratic and closeness is n breadth-first searches.
func Star(n int) []quad.Quad {
	src := quad.IRI("source:star")
	qs := []quad.Quad{quad.Make(quad.IRI("group:hub"), quad.IRI("rdf:type"), quad.IRI("tg:Group"), src)}
	for i := range n {
		p := quad.IRI(fmt.Sprintf("person:p%d", i))
		qs = append(qs,
			quad.Make(p, quad.IRI("rdf:type"), quad.IRI("tg:Person"), src),
			quad.Make(p, quad.IRI("tg:memberOf"), quad.IRI("group:hub"), src))
	}
	return qs
}

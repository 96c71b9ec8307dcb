package analytics_test

import (
	"context"
	"fmt"

	"github.com/threatgraph/threatgraph/query/analytics"
)

func ExamplePageRank() {
	var b analytics.Builder
	b.Node("group:isis-k", "Group")
	b.Node("place:moscow", "Location")
	b.AddEdge("attack:crocus", "group:isis-k", "perpetratedBy", 6)
	b.AddEdge("attack:crocus", "place:moscow", "locatedIn", 9)
	b.AddEdge("attack:kerman", "group:isis-k", "perpetratedBy", 4)
	b.AddEdge("claim:amaq", "group:isis-k", "claimant", 2)
	g := b.Build()

	pr, err := analytics.PageRank(context.Background(), g, 0.85, analytics.Options{})
	if err != nil {
		panic(err)
	}
	for v := range int32(g.N()) { // node ids follow ascending keys
		fmt.Printf("%-14s %.3f\n", g.Key(v), pr[v])
	}
	// Output:
	// attack:crocus  0.132
	// attack:kerman  0.132
	// claim:amaq     0.132
	// group:isis-k   0.414
	// place:moscow   0.189
}

func ExampleKShortestPaths() {
	var b analytics.Builder
	b.AddEdge("attack:crocus", "group:isis-k", "perpetratedBy", 6)
	b.AddEdge("claim:amaq", "attack:crocus", "claims", 3)
	b.AddEdge("claim:amaq", "group:isis-k", "claimant", 2)
	b.AddEdge("person:gunman", "attack:crocus", "suspectIn", 5)
	g := b.Build()

	s, _ := g.ID("person:gunman")
	t, _ := g.ID("group:isis-k")
	ps, err := analytics.KShortestPaths(context.Background(), g, s, t, 2)
	if err != nil {
		panic(err)
	}
	for _, p := range ps {
		fmt.Print(g.Key(p.Nodes[0]))
		for i, e := range p.Edges {
			edge := g.EdgeAt(e)
			arrow := "-%s->"
			if edge.From != p.Nodes[i] {
				arrow = "<-%s-"
			}
			fmt.Printf(" "+arrow+" %s", g.Predicates()[edge.Predicate], g.Key(p.Nodes[i+1]))
		}
		fmt.Println()
	}
	// Output:
	// person:gunman -suspectIn-> attack:crocus -perpetratedBy-> group:isis-k
	// person:gunman -suspectIn-> attack:crocus <-claims- claim:amaq -claimant-> group:isis-k
}

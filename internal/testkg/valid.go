package testkg

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// Valid returns lines quads that threatgraph ingest accepts as they are
// (written as N-Quads, WriteNQuads): sources sources, each declared with a
// title; entities Groups, People, Locations and Attacks, each declared and
// named (ingest adds a tg:key quad per name); a partOf tree of the
// locations; every tenth entity described by a statement of a source (its
// quote and tg:statedIn); then relations and attributes that fit the
// vocabulary (memberOf, affiliateOf, activeIn, perpetratedBy, locatedIn,
// target, killed, date) until there are lines quads. The same arguments
// give the same quads.
func Valid(lines, entities, sources int, seed uint64) []quad.Quad {
	r := rand.New(rand.NewPCG(seed, 13))
	kinds := []string{"Group", "Person", "Location", "Attack"}
	id := func(i int) quad.IRI { return quad.IRI(fmt.Sprintf("%s:v%d", kinds[i%4], i)) }
	srcID := func(k int) quad.IRI { return quad.IRI(fmt.Sprintf("source:v%d", k)) }
	src := func() quad.IRI { return srcID(r.IntN(sources)) }
	// of returns a random entity of kind k (0..3) below n.
	of := func(k, n int) int { return (r.IntN(max(n/4, 1)))*4 + k }
	qs := make([]quad.Quad, 0, lines)
	for k := range sources {
		s := srcID(k)
		qs = append(qs,
			quad.Make(s, quad.IRI(schema.TypeIRI), quad.IRI("tg:Source"), s),
			quad.Make(s, quad.IRI("tg:title"), quad.String(fmt.Sprintf("Report %d", k)), s))
	}
	for i := range entities {
		s := src()
		qs = append(qs,
			quad.Make(id(i), quad.IRI(schema.TypeIRI), quad.IRI("tg:"+kinds[i%4]), s),
			quad.Make(id(i), quad.IRI("tg:name"), quad.String(fmt.Sprintf("%s %s %d", words[r.IntN(len(words))], words[r.IntN(len(words))], i)), s))
		if i%4 == 2 && i >= 8 {
			qs = append(qs, quad.Make(id(i), quad.IRI("tg:partOf"), id(of(2, i)), s))
		}
		if i%10 == 0 {
			quote := ""
			for range 12 {
				quote += words[r.IntN(len(words))] + " "
			}
			quote += fmt.Sprint(i)
			stmt := quad.IRI(schema.StatementLabel(string(s), quote))
			qs = append(qs,
				quad.Make(stmt, quad.IRI("tg:statedIn"), s, s),
				quad.Make(stmt, quad.IRI("tg:quote"), quad.String(quote), s),
				quad.Make(id(i), quad.IRI("tg:description"), quad.String(quote), stmt))
		}
	}
	for len(qs) < lines {
		s := src()
		e := r.IntN(entities)
		var p string
		var o quad.Value
		switch e % 4 {
		case 0: // Group
			if r.IntN(2) == 0 {
				p, o = "affiliateOf", id(of(0, entities))
				if o == id(e) {
					continue
				}
			} else {
				p, o = "activeIn", id(of(2, entities))
			}
		case 1: // Person
			p, o = "memberOf", id(of(0, entities))
		case 2: // Location
			p, o = "alias", quad.String(fmt.Sprintf("%s %d", words[r.IntN(len(words))], e))
		case 3: // Attack
			switch r.IntN(5) {
			case 0:
				p, o = "perpetratedBy", id(of(r.IntN(2), entities))
			case 1:
				p, o = "locatedIn", id(of(2, entities))
			case 2:
				p, o = "target", id(r.IntN(entities))
			case 3:
				p, o = "killed", quad.Int(r.IntN(300))
			default:
				p, o = "date", quad.TypedString{Value: quad.String(fmt.Sprintf("20%02d-%02d-%02d", 10+r.IntN(15), 1+r.IntN(12), 1+r.IntN(28))), Type: "tg:date"}
			}
		}
		qs = append(qs, quad.Make(id(e), quad.IRI("tg:"+p), o, s))
	}
	return qs[:lines]
}

// WriteNQuads writes qs to w, one N-Quads line each.
func WriteNQuads(w io.Writer, qs []quad.Quad) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for _, q := range qs {
		if _, err := bw.WriteString(q.NQuad() + "\n"); err != nil {
			return err
		}
	}
	return bw.Flush()
}

package query_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/query/export"
)

// boltReader loads native YAML into a new bbolt store and returns its Reader.
func boltReader(t *testing.T, data string) *query.Reader {
	t.Helper()
	s := openStore(t)
	f := ingest.Parse("t.yaml", []byte(data))
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatalf("fixture: %v", errs.Err())
	}
	if _, err := ingest.Load(t.Context(), s, []*ingest.File{f}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return query.NewReader(s, query.ReaderOptions{})
}

// contestedOf returns the contested points, checking that stats counts
// every one of them.
func contestedOf(t *testing.T, r *query.Reader) []query.Disagreement {
	t.Helper()
	dis, err := r.Contested(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Contested != len(dis) {
		t.Errorf("stats contested %d; Contested lists %d points", st.Contested, len(dis))
	}
	return dis
}

// sideLine writes a side as "actor stance claim [claimants] sources|quotes".
func sideLine(s query.Side) string {
	var cs, evs []string
	for _, c := range s.Claimants {
		cs = append(cs, c.ID)
	}
	for _, e := range s.Evidence {
		evs = append(evs, e.Source+"|"+e.Quote)
	}
	return fmt.Sprintf("%s %s %s %v %s", s.Actor, s.Stance, s.Claim, cs, strings.Join(evs, " "))
}

const claimSources = `sources:
  - {id: "source:s1", publisher: S1}
  - {id: "source:s2", publisher: S2}
  - {id: "source:s3", publisher: S3}
  - {id: "source:s4", publisher: S4}
`

// TestContestedAttribution: an attack whose sources name a group's
// affiliate (its claim of responsibility), the group itself (perpetratedBy)
// and another actor (an attribution), which that actor denies, is one
// attribution point with every side: actor, stance, claim, claimants and
// evidence.
func TestContestedAttribution(t *testing.T) {
	r := boltReader(t, claimSources+`entities:
  - {id: group:parent, kind: Group, name: Parent, source: source:s1}
  - {id: group:child, kind: Group, name: Child, source: source:s1, affiliateOf: group:parent}
  - {id: org:blamed, kind: Organization, name: Blamed, source: source:s1}
  - {id: org:accuser, kind: Organization, name: Accuser, source: source:s1}
  - id: attack:a
    kind: Attack
    name: A
    source: source:s1
    facts:
      - {source: source:s4, quote: "the Parent carried out A", perpetratedBy: group:parent}
  - id: claim:own
    kind: Claim
    facts:
      - {source: source:s1, quote: "Child says it did A", claimType: responsibility, claimant: group:child, alleges: group:child, claims: attack:a}
  - id: claim:blame
    kind: Claim
    facts:
      - {source: source:s2, quote: "the Accuser blames the Blamed", claimType: attribution, alleges: org:blamed, claims: attack:a}
      - {source: source:s2, quote: "the Accuser said on Monday", claimant: org:accuser}
  - id: claim:deny
    kind: Claim
    facts:
      - {source: source:s3, quote: "the Blamed denies any role", claimType: denial, claimant: org:blamed, alleges: org:blamed, claims: attack:a}
`)
	dis := contestedOf(t, r)
	if len(dis) != 1 {
		t.Fatalf("contested %+v; want one attribution point", dis)
	}
	d := dis[0]
	if d.Kind != query.KindAttribution || d.Subject != "attack:a" || d.Name != "A" || d.Predicate != "" || len(d.Values) != 0 {
		t.Errorf("point %+v; want the attribution of attack:a", d)
	}
	var got []string
	for _, s := range d.Sides {
		got = append(got, sideLine(s))
	}
	want := []string{
		"group:child responsibility claim:own [group:child] source:s1|Child says it did A",
		"group:parent perpetrator  [] source:s4|the Parent carried out A",
		"org:blamed attribution claim:blame [org:accuser] source:s2|the Accuser blames the Blamed",
		"org:blamed denial claim:deny [org:blamed] source:s3|the Blamed denies any role",
	}
	if !slices.Equal(got, want) {
		t.Errorf("sides\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d.Sides[2].ActorName != "Blamed" || d.Sides[2].Claimants[0].Name != "Accuser" {
		t.Errorf("names: %+v", d.Sides[2])
	}
}

// TestContestedAttributionChain: actors on one affiliateOf chain agree, at
// any depth; actors named together by one statement acted together; two
// affiliates of one parent disagree; clearing a group disputes naming its
// affiliate, clearing an affiliate does not dispute naming the parent.
func TestContestedAttributionChain(t *testing.T) {
	r := boltReader(t, claimSources+`entities:
  - {id: group:parent, kind: Group, name: Parent, source: source:s1}
  - {id: group:child, kind: Group, name: Child, source: source:s1, affiliateOf: group:parent}
  - {id: group:grandchild, kind: Group, name: Grandchild, source: source:s1, affiliateOf: group:child}
  - {id: group:sibling, kind: Group, name: Sibling, source: source:s2, affiliateOf: group:parent}
  - {id: attack:chain, kind: Attack, name: Chain, source: source:s1, perpetratedBy: group:grandchild}
  - {id: attack:together, kind: Attack, name: Together, source: source:s1, quote: "Sibling and Child fought side by side", perpetratedBy: [group:sibling, group:child]}
  - {id: attack:siblings, kind: Attack, name: Siblings, source: source:s1, perpetratedBy: group:child}
  - {id: attack:deny-parent, kind: Attack, name: DenyParent, source: source:s1, perpetratedBy: group:child}
  - {id: attack:deny-child, kind: Attack, name: DenyChild, source: source:s1, perpetratedBy: group:parent}
  - id: claim:parent-chain
    kind: Claim
    facts:
      - {source: source:s2, claimType: responsibility, claimant: group:parent, alleges: group:parent, claims: attack:chain}
  - id: claim:sibling
    kind: Claim
    facts:
      - {source: source:s2, claimType: attribution, alleges: group:sibling, claims: attack:siblings}
  - id: claim:parent-denies
    kind: Claim
    facts:
      - {source: source:s3, claimType: denial, claimant: group:parent, alleges: group:parent, claims: attack:deny-parent}
  - id: claim:child-denies
    kind: Claim
    facts:
      - {source: source:s3, claimType: denial, claimant: group:child, alleges: group:child, claims: attack:deny-child}
  # One quote reports two claims that disagree: not "named together".
  - {id: attack:one-quote, kind: Attack, name: OneQuote, source: source:s1}
  - id: claim:one-quote-child
    kind: Claim
    facts:
      - {source: source:s2, quote: "Child claimed it, but Sibling was blamed", claimType: responsibility, claimant: group:child, alleges: group:child, claims: attack:one-quote}
  - id: claim:one-quote-sibling
    kind: Claim
    facts:
      - {source: source:s2, quote: "Child claimed it, but Sibling was blamed", claimType: attribution, alleges: group:sibling, claims: attack:one-quote}
`)
	var got []string
	for _, d := range contestedOf(t, r) {
		got = append(got, d.Kind+" "+d.Subject)
	}
	if want := []string{"attribution attack:deny-parent", "attribution attack:one-quote", "attribution attack:siblings"}; !slices.Equal(got, want) {
		t.Errorf("contested %v; want %v", got, want)
	}
}

// TestContestedRelation: a multi-valued relation that one source states and
// another negates is a relation point with both sides; a negation that no
// statement contradicts is none.
func TestContestedRelation(t *testing.T) {
	r := boltReader(t, claimSources+`entities:
  - {id: group:y, kind: Group, name: Y, source: source:s1}
  - {id: group:z, kind: Group, name: Z, source: source:s1}
  - id: group:x
    kind: Group
    name: X
    source: source:s1
    facts:
      - {source: source:s1, quote: "X is a branch of Y", affiliateOf: group:y}
      - {source: source:s2, quote: "X has no tie to Y or Z", negated: true, affiliateOf: [group:y, group:z]}
`)
	dis := contestedOf(t, r)
	if len(dis) != 1 {
		t.Fatalf("contested %+v; want one relation point", dis)
	}
	d := dis[0]
	if d.Kind != query.KindRelation || d.Subject != "group:x" || d.Predicate != "affiliateOf" || d.Object != "group:y" || d.ObjectName != "Y" {
		t.Errorf("point %+v; want group:x affiliateOf group:y", d)
	}
	var got []string
	for _, s := range d.Sides {
		got = append(got, sideLine(s))
	}
	want := []string{" states  [] source:s1|X is a branch of Y", " negates  [] source:s2|X has no tie to Y or Z"}
	if !slices.Equal(got, want) {
		t.Errorf("sides %q; want %q", got, want)
	}
}

// TestNegatedNeverPositive: a negated perpetratedBy is read as what it is by
// every answer, never as the fact it denies: no edge in the view (neighbours,
// preceded), no perpetratedBy on either card, no relation in stats, no edge
// in a graph export; the fact exports write it as a negation and read back
// the same.
func TestNegatedNeverPositive(t *testing.T) {
	const data = claimSources + `entities:
  - {id: group:g, kind: Group, name: G, source: source:s1}
  - {id: warning:w, kind: Warning, name: W, source: source:s1, about: group:g, date: 2024-03-01}
  - id: attack:a
    kind: Attack
    name: A
    source: source:s1
    date: 2024-03-22
    facts:
      - {source: source:s2, quote: "G had nothing to do with A", negated: true, perpetratedBy: group:g}
`
	r := boltReader(t, data)
	ctx := t.Context()
	for _, id := range []string{"attack:a", "group:g"} {
		card, err := r.Show(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var preds []string
		for _, f := range append(card.Facts, card.Incoming...) {
			preds = append(preds, f.Predicate)
		}
		if slices.Contains(preds, "perpetratedBy") || !slices.Contains(preds, "not/perpetratedBy") {
			t.Errorf("show %s: predicates %v; want not/perpetratedBy, never perpetratedBy", id, preds)
		}
	}
	nb, err := r.Neighbors(ctx, "attack:a", 2, query.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Neighbors) != 0 {
		t.Errorf("neighbors of attack:a %+v; want none", nb.Neighbors)
	}
	pre, err := r.Preceded(ctx, query.PrecededOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pre.Attacks) != 0 || len(pre.Unwarned) != 1 || pre.Unwarned[0].ID != "attack:a" {
		t.Errorf("preceded %+v; want attack:a unwarned (G did not carry it out)", pre)
	}
	st, err := r.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Relations != 1 || st.Contested != 0 {
		t.Errorf("stats: %d relations, %d contested; want 1 (warning about G), 0", st.Relations, st.Contested)
	}
	exportSum := func(r *query.Reader, format string) (string, export.Summary) {
		var b bytes.Buffer
		sum, err := r.Export(ctx, &b, format, query.ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return b.String(), sum
	}
	export := func(r *query.Reader, format string) string { out, _ := exportSum(r, format); return out }
	for _, format := range []string{"graphml", "gexf", "cytoscape"} {
		if out, sum := exportSum(r, format); strings.Contains(out, "perpetratedBy") || sum.Edges != 1 {
			t.Errorf("%s export: %d edges; want 1 (warning about G), and no perpetratedBy:\n%s", format, sum.Edges, out)
		}
	}
	nq := export(r, "nquads")
	if !strings.Contains(nq, "<attack:a> <tg:not/perpetratedBy> <group:g>") || strings.Contains(nq, "<tg:perpetratedBy>") {
		t.Errorf("nquads export:\n%s", nq)
	}
	js := export(r, "json")
	if !strings.Contains(js, `"negated":true,"perpetratedBy":"group:g"`) {
		t.Errorf("json export lacks the negated group:\n%s", js)
	}
	for _, c := range []struct{ name, data string }{{"back.json", js}, {"back.nq", nq}} {
		f := ingest.Parse(c.name, []byte(c.data))
		s2 := openStore(t)
		if _, err := ingest.Load(ctx, s2, []*ingest.File{f}, ingest.Options{}); err != nil {
			t.Fatalf("re-ingest %s: %v", c.name, err)
		}
		if back := export(query.NewReader(s2, query.ReaderOptions{}), "nquads"); back != nq {
			t.Errorf("%s read back holds other quads:\n%s\nwant\n%s", c.name, back, nq)
		}
	}
}

// TestNegatedRefused: negated applies to multi-valued relations only, and
// is a boolean.
func TestNegatedRefused(t *testing.T) {
	for _, c := range []struct{ group, want string }{
		{`{source: source:s1, negated: true, killed: 3}`, "killed in a negated group"},
		{`{source: source:s1, negated: true, targetType: church}`, "targetType in a negated group"},
		{`{source: source:s1, negated: yes please, target: group:g}`, "negated: is a scalar (expected true or false)"},
	} {
		f := ingest.Parse("t.yaml", []byte(claimSources+"entities:\n  - {id: group:g, kind: Group, source: source:s1}\n  - id: attack:a\n    kind: Attack\n    facts:\n      - "+c.group+"\n"))
		if err := f.Errors().Err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want %q", c.group, err, c.want)
		}
	}
}

// TestContestedBuiltinCrocus: in the built-in data the Crocus City Hall
// attack is an attribution point: the Islamic State's claim and the U.S.
// attribution to ISIS-K against Russian officials blaming Ukraine, which
// Ukraine denies.
func TestContestedBuiltinCrocus(t *testing.T) {
	r := query.NewReader(demoStore(t), query.ReaderOptions{})
	dis := contestedOf(t, r)
	var crocus *query.Disagreement
	for i, d := range dis {
		if d.Kind == query.KindAttribution && d.Subject == "attack:2024-03-22-crocus-city-hall" {
			crocus = &dis[i]
		}
	}
	if crocus == nil {
		t.Fatal("no attribution point for the Crocus City Hall attack")
	}
	has := map[string]bool{}
	for _, s := range crocus.Sides {
		has[s.Actor+" "+s.Stance+" "+s.Claim] = true
	}
	for _, want := range []string{
		"group:islamic-state responsibility claim:2024-03-22-isis-amaq-crocus",
		"group:isis-k attribution claim:2024-03-us-attribution-crocus",
		"org:ukrainian-government attribution claim:2024-03-putin-blames-ukraine",
		"org:ukrainian-government denial claim:2024-03-ukraine-denial-crocus",
		"group:isis-k perpetrator ",
	} {
		if !has[want] {
			t.Errorf("Crocus sides lack %q: %v", want, has)
		}
	}
}

// TestDisplayNameLeavesDeprecatedNames: an entity is named by its names
// from statements that are not deprecated, the same in the view
// (centrality), the card and a graph export, whatever --with-deprecated.
func TestDisplayNameLeavesDeprecatedNames(t *testing.T) {
	r := boltReader(t, `format: threatgraph/1
sources:
  - {id: source:a, publisher: A}
  - {id: source:b, publisher: B}
  - {id: source:c, publisher: C}
  - {id: source:ed, publisher: Editors}
entities:
  - id: group:g
    kind: Group
    facts:
      - {source: source:a, quote: "the group X", name: X}
      - {source: source:b, quote: "the group Y", name: Y}
      - {source: source:c, quote: "also Y", name: Y}
  - {id: attack:k, kind: Attack, name: K, source: source:a, quote: "X did K", perpetratedBy: group:g}
judgements:
  - {of: {source: source:b, quote: "the group Y"}, rank: deprecated, reason: known-error, source: source:ed, note: "n"}
  - {of: {source: source:c, quote: "also Y"}, rank: deprecated, reason: known-error, source: source:ed, note: "n"}
`)
	card, err := r.Show(t.Context(), "group:g")
	if err != nil {
		t.Fatal(err)
	}
	if card.Name != "X" {
		t.Errorf("card name %q; want X (both Y statements are deprecated)", card.Name)
	}
	for _, with := range []bool{false, true} {
		res, err := r.Centrality(t.Context(), query.CentralityOptions{Measure: "degree", Scope: query.Scope{WithDeprecated: with}})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Top {
			if s.ID == "group:g" && s.Name != "X" {
				t.Errorf("centrality (with deprecated %v) names group:g %q; want X", with, s.Name)
			}
		}
		var buf strings.Builder
		if _, err := r.Export(t.Context(), &buf, "cytoscape", query.ExportOptions{Scope: query.Scope{WithDeprecated: with}}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `"label":"X"`) || strings.Contains(buf.String(), `"label":"Y"`) {
			t.Errorf("cytoscape export (with deprecated %v) does not label group:g X", with)
		}
	}
}

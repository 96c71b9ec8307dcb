package query

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// ErrNotFound reports that no entity has the id, name or alias.
var ErrNotFound = errors.New("no entity with that id, name or alias")

// An AmbiguousError lists the entities that share a name or alias.
type AmbiguousError struct {
	Text    string
	Matches []Match
}

func (e *AmbiguousError) Error() string {
	ids := make([]string, len(e.Matches))
	for i, m := range e.Matches {
		ids[i] = m.ID + " (" + strings.Join(append([]string{m.Kind}, m.ExternalIDs...), ", ") + ")"
	}
	return fmt.Sprintf("%q names %d entities: %s; use an id", e.Text, len(e.Matches), strings.Join(ids, ", "))
}

// A Match is an entity found by id, name or alias.
type Match struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Matched string `json:"matched,omitempty"` // the name or alias that matched
	// ExternalIDs, in an AmbiguousError, are the entity's externalIds
	// (other than its STIX id) that tell it apart: mitre:T1586.002.
	ExternalIDs []string `json:"external_ids,omitempty"`
}

// resolve finds the entity that text names: an id, or a name or alias
// compared case- and accent-insensitively, or else the id in any case
// (attack:acled-AFG100 finds attack:acled-afg100, group:wd-q2000803
// group:wd-Q2000803), or else an externalId, compared
// case-insensitively, with or without its scheme (G0007 and mitre:G0007).
// Several entities → an *AmbiguousError listing them with their
// externalIds.
func resolve(ctx context.Context, qs Store, text string) (Match, error) {
	text = strings.TrimSpace(text)
	if m, ok, err := byID(ctx, qs, text); err != nil || ok {
		return m, err
	}
	ms, err := byKey(ctx, qs, schema.NameKey(text))
	if err != nil {
		return Match{}, err
	}
	if len(ms) == 0 {
		if ms, err = byIDFold(ctx, qs, text); err != nil {
			return Match{}, err
		}
	}
	if len(ms) == 0 {
		if ms, err = byExternalID(ctx, qs, text); err != nil {
			return Match{}, err
		}
	}
	switch len(ms) {
	case 0:
		return Match{}, fmt.Errorf("%q: %w", text, ErrNotFound)
	case 1:
		return ms[0], nil
	}
	for i := range ms {
		if ms[i].ExternalIDs, err = externalIDs(ctx, qs, ms[i].ID); err != nil {
			return Match{}, err
		}
	}
	return Match{}, &AmbiguousError{Text: text, Matches: ms}
}

// byID returns the entity whose id is id, ok false when there is none.
func byID(ctx context.Context, qs Store, id string) (Match, bool, error) {
	k, name, err := kindAndName(ctx, qs, id)
	if err != nil || k == "" {
		return Match{}, false, err
	}
	id, err = canonicalIn(ctx, qs, id)
	return Match{ID: id, Kind: k, Name: name}, err == nil, err
}

// byIDFold returns the entities whose id equals text case-insensitively
// (group:wd-q2000803 for group:wd-Q2000803), reading every entity's type.
func byIDFold(ctx context.Context, qs Store, text string) ([]Match, error) {
	if !strings.Contains(text, ":") {
		return nil, nil
	}
	ids := map[string]bool{}
	err := qs.Quads(ctx, quad.Predicate, quad.IRI(schema.TypeIRI), func(q quad.Quad) error {
		if id := string(labelIRI(q.Subject)); strings.EqualFold(id, text) {
			ids[id] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return matchesOf(ctx, qs, ids)
}

// byExternalID returns the entities with an externalId equal to text, or,
// when text has no scheme that matches, whose id after the scheme is text;
// both compared case-insensitively. It reads every externalId: it is the
// last resort of resolve.
func byExternalID(ctx context.Context, qs Store, text string) ([]Match, error) {
	if text == "" {
		return nil, nil
	}
	whole, bare := map[string]bool{}, map[string]bool{}
	err := qs.Quads(ctx, quad.Predicate, quad.IRI("tg:externalId"), func(q quad.Quad) error {
		v := fmt.Sprint(valueOf(q.Object).Value)
		subj := string(labelIRI(q.Subject))
		if strings.EqualFold(v, text) {
			whole[subj] = true
		} else if _, rest, ok := strings.Cut(v, ":"); ok && strings.EqualFold(rest, text) {
			bare[subj] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := whole
	if len(ids) == 0 {
		ids = bare
	}
	return matchesOf(ctx, qs, ids)
}

// matchesOf returns the entities of ids, sorted by id.
func matchesOf(ctx context.Context, qs Store, ids map[string]bool) ([]Match, error) {
	seen := map[string]bool{}
	var out []Match
	for id := range ids {
		m, ok, err := byID(ctx, qs, id)
		if err != nil {
			return nil, err
		}
		if ok && !seen[m.ID] { // ids merged by same statements are one entity
			seen[m.ID] = true
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// externalIDs returns an entity's externalIds other than its STIX id, sorted.
func externalIDs(ctx context.Context, qs Store, id string) ([]string, error) {
	var out []string
	err := qs.Quads(ctx, quad.Subject, quad.IRI(id), func(q quad.Quad) error {
		if string(labelIRI(q.Predicate)) != "tg:externalId" {
			return nil
		}
		if v := fmt.Sprint(valueOf(q.Object).Value); !strings.HasPrefix(v, "stix:") && !slices.Contains(out, v) {
			out = append(out, v)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// byKey returns the entities with a name or alias whose key is k.
func byKey(ctx context.Context, qs Store, k string) ([]Match, error) {
	seen := map[string]bool{}
	var out []Match
	err := qs.Quads(ctx, quad.Object, quad.String(k), func(q quad.Quad) error {
		if p, _ := q.Predicate.(quad.IRI); string(p) != schema.KeyIRI {
			return nil
		}
		id := string(labelIRI(q.Subject))
		if seen[id] {
			return nil
		}
		seen[id] = true
		kind, name, err := kindAndName(ctx, qs, id)
		if err != nil {
			return err
		}
		out = append(out, Match{ID: id, Kind: kind, Name: name})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// kindAndName returns an entity's kind and display name ("" when id is not
// an entity; the name by displayName).
func kindAndName(ctx context.Context, qs Store, id string) (kind, name string, err error) {
	var names []sourcedName
	title := ""
	err = qs.Quads(ctx, quad.Subject, quad.IRI(id), func(q quad.Quad) error {
		switch string(labelIRI(q.Predicate)) {
		case schema.TypeIRI:
			if k, ok := schema.KindFromIRI(string(labelIRI(q.Object))); ok && preferKind(schema.Kind(kind), k) {
				kind = string(k)
			}
		case "tg:name":
			names = append(names, sourcedName{Name: fmt.Sprint(valueOf(q.Object).Value), Source: string(labelIRI(q.Label))})
		case "tg:title":
			title = fmt.Sprint(valueOf(q.Object).Value)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	if names, err = byOrigin(ctx, newQuoteCache(qs), names); err != nil {
		return "", "", err
	}
	return kind, displayName(id, names, title), nil
}

// byOrigin turns names whose Source is the label that states them into
// names by origin (originsOf: a name reported according to someone is
// theirs), for displayName.
func byOrigin(ctx context.Context, c *quoteCache, names []sourcedName) ([]sourcedName, error) {
	out := names[:0:0]
	for _, n := range names {
		st, err := c.statement(ctx, n.Source)
		if err != nil {
			return nil, err
		}
		_, rank, err := c.judgementsOf(ctx, n.Source)
		if err != nil {
			return nil, err
		}
		for _, o := range originsOf(n.Source, st.according) {
			out = append(out, sourcedName{Name: n.Name, Source: o, Deprecated: rank == schema.RankDeprecated})
		}
	}
	return out, nil
}

// A Card is everything the store says about one entity.
type Card struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	// IDs, for an entity merged by same statements, are all its ids (ID
	// is the smallest); SameAs are the same statements that name any of
	// them, DifferentFrom the different ones (identity.go).
	IDs           []string   `json:"ids,omitempty"`
	SameAs        []Identity `json:"same_as,omitempty"`
	DifferentFrom []Identity `json:"different_from,omitempty"`
	Facts         []Fact     `json:"facts"`
	Incoming      []Fact     `json:"incoming"`  // relations that point at the entity
	Contested     []string   `json:"contested"` // predicates on which sources disagree
	Sources       []string   `json:"sources"`   // every source that says anything about it
	// Marking is the most restrictive TLP marking of the facts on the card
	// (marking:tlp-red...), Markings every marking they carry (marking.go).
	Marking  string   `json:"marking,omitempty"`
	Markings []string `json:"markings,omitempty"`
	// HiddenMachine, with ShowOptions.ExcludeMachine, is how many pieces
	// of evidence of machine-coded sources the card leaves out.
	HiddenMachine int `json:"hidden_machine,omitempty"`
}

// ShowOptions choose what a card shows.
type ShowOptions struct {
	// ExcludeMachine leaves out the evidence of machine-coded sources
	// (Evidence.Coding "machine"), and a fact with no other evidence;
	// Card.HiddenMachine counts what it left out.
	ExcludeMachine bool
}

// A Fact is one predicate and value with every source that states it.
type Fact struct {
	Predicate string `json:"predicate"`
	Subject   string `json:"subject,omitempty"` // for incoming relations: the entity that points here
	Value     Value  `json:"value"`
	ValueName string `json:"value_name,omitempty"` // display name of an entity value
	AsWritten string `json:"as_written,omitempty"` // for a date: the text as the source wrote it
	Contested bool   `json:"contested"`            // another source gives another value for this single-valued predicate
	// Deprecated: every statement of the value is ranked deprecated by a
	// judgement (Evidence.Rank); analytics leave it out unless asked.
	Deprecated bool       `json:"deprecated,omitempty"`
	Evidence   []Evidence `json:"evidence"`
}

// Show returns the card of the entity that text names.
func (r *Reader) Show(ctx context.Context, text string) (*Card, error) {
	return r.ShowWith(ctx, text, ShowOptions{})
}

// ShowWith returns the card of the entity that text names, as o says.
func (r *Reader) ShowWith(ctx context.Context, text string, o ShowOptions) (*Card, error) {
	qs := r.store
	m, err := resolve(ctx, qs, text)
	if err != nil {
		return nil, err
	}
	card := &Card{ID: m.ID, Kind: m.Kind, Name: m.Name, Facts: []Fact{}, Incoming: []Fact{}, Contested: []string{}}
	if card.IDs, card.SameAs, card.DifferentFrom, err = identityCard(ctx, qs, m.ID); err != nil {
		return nil, err
	}
	ev := newQuoteCache(qs)
	names := map[string]string{}
	nameOf := func(id string) (string, error) {
		if n, ok := names[id]; ok {
			return n, nil
		}
		_, n, err := kindAndName(ctx, qs, id)
		names[id] = n
		return n, err
	}
	sources := map[string]bool{}
	collect := func(d quad.Direction, dst *[]Fact) error {
		idx := map[string]int{}
		err := eachQuad(ctx, qs, d, quad.IRI(m.ID), func(q, orig quad.Quad) error {
			p := string(labelIRI(q.Predicate))
			if p == schema.KeyIRI || p == schema.TypeIRI && d == quad.Subject {
				return nil
			}
			if d == quad.Object && schema.LookupIRI(p) == nil {
				return nil
			}
			var k string
			f := Fact{Predicate: predName(q.Predicate)}
			if d == quad.Subject {
				f.Value = valueOf(q.Object)
				k = p + "\x00" + key(q.Object)
			} else {
				f.Subject = string(labelIRI(q.Subject))
				f.Value = Value{Type: "entity", Value: f.Subject}
				k = p + "\x00" + f.Subject
			}
			e, err := ev.evidence(ctx, q.Label)
			if err != nil {
				return err
			}
			if o.ExcludeMachine && e.MachineCoded() {
				card.HiddenMachine++
				return nil
			}
			if e.Loads, err = loadsOf(ctx, qs, orig); err != nil {
				return err
			}
			if card.IDs != nil {
				e.StatedOf = string(labelIRI(orig.Subject))
				if d == quad.Object {
					e.StatedOf = string(labelIRI(orig.Object))
				}
			}
			sources[e.Source] = true
			i, ok := idx[k]
			if !ok {
				i = len(*dst)
				idx[k] = i
				*dst = append(*dst, f)
			}
			(*dst)[i].Evidence = append((*dst)[i].Evidence, e)
			return nil
		})
		return err
	}
	if err := collect(quad.Subject, &card.Facts); err != nil {
		return nil, err
	}
	if err := collect(quad.Object, &card.Incoming); err != nil {
		return nil, err
	}
	for _, fs := range [][]Fact{card.Facts, card.Incoming} {
		for i := range fs {
			sortEvidence(fs[i].Evidence)
			fs[i].Deprecated = Deprecated(fs[i].Evidence)
			if fs[i].Value.Type == "entity" {
				n, err := nameOf(fs[i].Value.Value.(string))
				if err != nil {
					return nil, err
				}
				fs[i].ValueName = n
			}
		}
	}
	card.Facts = foldDateText(card.Facts)
	// Contested: a single-valued predicate with values that conflict.
	values := map[string][]Value{}
	for _, f := range card.Facts {
		values[f.Predicate] = append(values[f.Predicate], f.Value)
	}
	for i, f := range card.Facts {
		if isContested(schema.Lookup(f.Predicate), values[f.Predicate]) {
			card.Facts[i].Contested = true
		}
	}
	for p, vs := range values {
		if isContested(schema.Lookup(p), vs) {
			card.Contested = append(card.Contested, p)
		}
	}
	sort.Strings(card.Contested)
	sortFacts(card.Facts)
	sortFacts(card.Incoming)
	for s := range sources {
		card.Sources = append(card.Sources, s)
	}
	sort.Strings(card.Sources)
	card.Marking, card.Markings = cardMarkings(card.Facts, card.Incoming)
	return card, nil
}

// sortFacts orders facts by vocabulary order (name first), then value.
func sortFacts(fs []Fact) {
	order := map[string]int{}
	for i, p := range schema.Predicates() {
		order[p.Name] = i + 1
	}
	order["name"] = -2
	order["alias"] = -1
	rank := func(p string) int {
		if r, ok := order[p]; ok {
			return r
		}
		return 1 << 20
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if rank(a.Predicate) != rank(b.Predicate) {
			return rank(a.Predicate) < rank(b.Predicate)
		}
		if a.Predicate != b.Predicate {
			return a.Predicate < b.Predicate
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return fmt.Sprint(a.Value.Value) < fmt.Sprint(b.Value.Value)
	})
}

// foldDateText moves each derived "<date>Text" fact onto the date fact that
// the same statement supports, so a date reads "2024-03-01/2024-03-10 (early
// March)" instead of two lines.
func foldDateText(fs []Fact) []Fact {
	out := fs[:0]
	texts := map[string]string{} // date predicate + label key -> text
	evKey := func(evs []Evidence) string {
		var b strings.Builder
		for _, e := range evs {
			b.WriteString(e.Source + "\x00" + e.Quote + "\x00")
		}
		return b.String()
	}
	for _, f := range fs {
		if base, ok := strings.CutSuffix(f.Predicate, "Text"); ok {
			if p := schema.Lookup(f.Predicate); p != nil && p.Derived {
				sortEvidence(f.Evidence)
				texts[base+"\x00"+evKey(f.Evidence)] = f.Value.String()
				continue
			}
		}
		out = append(out, f)
	}
	for i := range out {
		if out[i].Value.Type == "date" {
			sortEvidence(out[i].Evidence)
			out[i].AsWritten = texts[out[i].Predicate+"\x00"+evKey(out[i].Evidence)]
		}
	}
	return out
}

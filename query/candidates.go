package query

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// CandidateOptions choose the candidates listed: of one kind (Kind, "" for
// every kind), scoring at least MinScore (0 to 1), at most Limit of them
// (0: all).
type CandidateOptions struct {
	Kind     string
	Limit    int
	MinScore float64
}

// The strengths of a candidate.
const (
	// StrengthStrong: strong evidence (the same external id, the same name,
	// a name of one an alias of the other) scoring above StrongScore, and no
	// counter-evidence. Still a proposal: the analyst decides.
	StrengthStrong = "strong"
	// StrengthPossible: some evidence, worth a look.
	StrengthPossible = "possible"
	// StrengthWeak: little evidence, weak evidence only (shared aliases,
	// which are never enough alone to suggest merging, with or without
	// shared attacks and places), or evidence against.
	StrengthWeak = "weak"
)

// StrongScore is the score a strong candidate exceeds; PossibleScore the
// score a possible one reaches.
const (
	StrongScore   = 0.5
	PossibleScore = 0.3
)

// The reasons for and against a candidate (Reason.Code).
const (
	ReasonSameExternalID = "same-external-id" // strong
	ReasonSameName       = "same-name"        // strong
	ReasonNameIsAlias    = "name-is-alias"    // strong
	ReasonSharedAlias    = "shared-alias"     // weak: never enough alone
	ReasonSameCode       = "same-code"        // weak: a classification code many share (capec:, cameo:)
	ReasonSimilarName    = "similar-name"     // weak
	ReasonSharedAttacks  = "shared-attacks"   // weak
	ReasonSharedPlaces   = "shared-places"    // weak
	AgainstDistinctIDs   = "distinct-ids"     // lowers the score tenfold
	AgainstRelated       = "related"          // lowers the score tenfold
)

// The weight of each reason: the score is 1 - Π(1 - weight) over the
// reasons (each shared alias, attack or place counted up to three times),
// times distinctIDsFactor for each scheme in which the two have distinct
// ids.
const (
	weightSameExternalID = 0.9
	weightSameName       = 0.5
	weightNameIsAlias    = 0.4
	weightSharedAlias    = 0.1
	weightSameCode       = 0.1
	weightSimilarName    = 0.3 // times the similarity
	weightSharedAttack   = 0.1
	weightSharedPlace    = 0.05
	maxCounted           = 3
	distinctIDsFactor    = 0.1
	// similarEnough is the least similarity of two names (the overlap of
	// the tokens of their keys, see similarity) that counts.
	similarEnough = 0.6
)

// Blocking: pairs are only those that share a name or alias key, an
// external id, or a name token (or its first four letters); a token
// shared by more than maxTokenBlock entities of a kind ("islamic",
// "front") proposes no pairs by itself, nor does a key shared by more
// than maxKeyBlock.
const (
	maxTokenBlock = 50
	maxKeyBlock   = 500
	prefixLen     = 4
)

// A CandidatesResult lists the pairs of entities that may be one.
type CandidatesResult struct {
	Kind     string  `json:"kind,omitempty"` // the kind asked for, or every kind
	MinScore float64 `json:"min_score"`
	// Pairs is how many candidates scored at least MinScore, before Limit.
	Pairs int `json:"pairs"`
	// RuledOut is how many pairs with evidence a different statement
	// keeps apart (not listed).
	RuledOut int `json:"ruled_out"`
	// OtherKinds is how many pairs of entities of two kinds share an
	// external id (not listed: same needs one kind; correct a kind first).
	OtherKinds int `json:"other_kinds"`
	// Compared is how many pairs shared a block and were weighed (of
	// Entities with a name, an alias or an external id).
	Compared   int         `json:"compared"`
	Entities   int         `json:"entities"`
	Candidates []Candidate `json:"candidates"`
	// Note says how to read the list.
	Note string `json:"note"`
}

// CandidatesNote says what the list is and is not.
const CandidatesNote = "proposals for review, strongest first: nothing is merged until an analyst runs the command given (same A B --reason TEXT); " +
	"a shared alias is weak evidence, never enough alone to suggest merging; distinct ids in one scheme (two Wikidata QIDs, two MITRE ids) count against a pair; " +
	"pairs merged by same are not listed, nor pairs a different statement keeps apart (ruled_out), nor pairs of two kinds (other_kinds: those sharing an external id)"

// A Candidate is a pair of entities of one kind that may be one, with the
// evidence for and against.
type Candidate struct {
	A        CandidateEntity `json:"a"` // the smaller id
	B        CandidateEntity `json:"b"`
	Kind     string          `json:"kind"`
	Score    float64         `json:"score"` // 0 to 1, rounded to 3 places
	Strength string          `json:"strength"`
	Reasons  []Reason        `json:"reasons"`
	Against  []Reason        `json:"against,omitempty"`
	// Command accepts the candidate: threatgraph same A B --reason "…"
	// (write your own reason).
	Command string `json:"command"`
}

// A CandidateEntity is one side of a candidate.
type CandidateEntity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// A Reason is one piece of evidence for (or against) a candidate.
type Reason struct {
	Code   string   `json:"code"`
	Text   string   `json:"text"` // "shared alias", "distinct wikidata ids"
	Weight float64  `json:"weight"`
	Values []string `json:"values,omitempty"` // the names, ids, attacks or places
}

// resolutionFacts is what candidates reads of one entity.
type resolutionFacts struct {
	names, aliases []string          // texts, distinct
	keys           map[string]byte   // key -> nameBit | aliasBit
	external       []string          // externalId values, distinct
	extLabels      [][]string        // by external: the labels that state it
	liveExternal   []string          // external ids some statement states that no judgement deprecates
	attacks        map[string]bool   // attacks perpetratedBy it
	places         map[string]bool   // activeIn, locatedIn, country
	text           map[string]string // key -> a text of it (the first seen)
	nameKeys       []string          // of names, as names
	nameTokens     [][]string        // of each name key
}

const (
	nameBit  byte = 1
	aliasBit byte = 2
)

// placePreds are the relations whose objects are an entity's places.
var placePreds = map[string]bool{"activeIn": true, "locatedIn": true, "country": true}

// relatedPreds are the relations a source states between two entities it
// holds distinct (a place within another, an affiliate, a splinter, a
// rival): counter-evidence for a pair.
var relatedPreds = map[string]bool{"partOf": true, "affiliateOf": true, "splinterOf": true, "rivalOf": true, "partOfOrg": true, "partOfAttack": true}

// Candidates lists the pairs of entities of one kind that may be one, each
// with its score, its reasons and the counter-evidence, strongest first
// (then by ids). It reads names, aliases and external ids from one Scan of
// the store as the answers read it (merged entities as one), kinds,
// display names and relations from the view, and pairs only entities that
// share a block (a name or alias key, an external id, a name token): not
// all pairs. An unknown kind or an option out of range is a *ParamError.
func (r *Reader) Candidates(ctx context.Context, o CandidateOptions) (*CandidatesResult, error) {
	var kind string
	if o.Kind != "" {
		k, ok := schema.ParseKind(o.Kind)
		if !ok || !isNode(k) {
			return nil, &ParamError{Param: "kind", Value: o.Kind, Want: "one of " + schema.JoinKinds(nodeKinds(), ", ")}
		}
		kind = string(k)
	}
	if o.Limit < 0 {
		return nil, &ParamError{Param: "limit", Value: strconv.Itoa(o.Limit), Want: "0 (all) or more"}
	}
	if math.IsNaN(o.MinScore) || o.MinScore < 0 || o.MinScore > 1 {
		return nil, &ParamError{Param: "min-score", Value: strconv.FormatFloat(o.MinScore, 'g', -1, 64), Want: "a number from 0 to 1"}
	}
	v, err := r.View(ctx)
	if err != nil {
		return nil, err
	}
	facts := map[int32]*resolutionFacts{}
	get := func(n int32) *resolutionFacts {
		f := facts[n]
		if f == nil {
			f = &resolutionFacts{keys: map[string]byte{}, text: map[string]string{}}
			facts[n] = f
		}
		return f
	}
	meta := newStmtMeta() // which statements judgements deprecate
	err = r.store.Scan(ctx, func(q quad.Quad) error {
		p := string(labelIRI(q.Predicate))
		if isMeta(p) {
			meta.add(q, p)
			return nil
		}
		if p != "tg:name" && p != "tg:alias" && p != "tg:externalId" {
			return nil
		}
		n, ok := v.Node(string(labelIRI(q.Subject)))
		if !ok || (kind != "" && v.kinds[n] != kind) {
			return nil
		}
		text := valueOf(q.Object).String()
		f := get(n)
		switch p {
		case "tg:externalId":
			i := slices.Index(f.external, text)
			if i < 0 {
				i = len(f.external)
				f.external = append(f.external, text)
				f.extLabels = append(f.extLabels, nil)
			}
			f.extLabels[i] = append(f.extLabels[i], string(labelIRI(q.Label)))
		case "tg:name", "tg:alias":
			k := schema.NameKey(text)
			bit, list := nameBit, &f.names
			if p == "tg:alias" {
				bit, list = aliasBit, &f.aliases
			}
			if f.keys[k]&bit == 0 {
				*list = append(*list, text)
			}
			f.keys[k] |= bit
			if _, ok := f.text[k]; !ok {
				f.text[k] = text
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	deprecated := meta.deprecated()
	for _, f := range facts {
		for i, x := range f.external {
			if slices.ContainsFunc(f.extLabels[i], func(l string) bool { return !deprecated[l] }) {
				f.liveExternal = append(f.liveExternal, x)
			}
		}
		f.nameKeys = make([]string, len(f.names))
		f.nameTokens = make([][]string, len(f.names))
		for i, name := range f.names {
			f.nameKeys[i] = schema.NameKey(name)
			f.nameTokens[i] = tokens(f.nameKeys[i])
		}
	}
	// Neighbours, from the view's relations the judgements do not deprecate.
	related := map[[2]int32][]string{}
	for _, rw := range v.rows {
		if rw.Deprecated {
			continue
		}
		switch p := v.preds[rw.P]; {
		case relatedPreds[p]:
			k := [2]int32{min(rw.S, rw.O), max(rw.S, rw.O)}
			if !slices.Contains(related[k], p) {
				related[k] = append(related[k], p)
			}
		case p == "perpetratedBy":
			if f, ok := facts[rw.O]; ok {
				if f.attacks == nil {
					f.attacks = map[string]bool{}
				}
				f.attacks[v.keys[rw.S]] = true
			}
		case placePreds[p]:
			if f, ok := facts[rw.S]; ok {
				if f.places == nil {
					f.places = map[string]bool{}
				}
				f.places[v.keys[rw.O]] = true
			}
		}
	}
	pairs := blockPairs(v, facts)
	apart, err := r.apartPairs(ctx)
	if err != nil {
		return nil, err
	}
	res := &CandidatesResult{Kind: kind, MinScore: o.MinScore, Compared: len(pairs), Entities: len(facts), Candidates: []Candidate{}, Note: CandidatesNote}
	res.OtherKinds = otherKinds(v, facts)
	for pr := range pairs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, b := pr[0], pr[1]
		c, ok := candidate(v, a, b, facts[a], facts[b], related[pr])
		if !ok {
			continue
		}
		if apart[[2]string{c.A.ID, c.B.ID}] {
			res.RuledOut++
			continue
		}
		if c.Score < o.MinScore {
			continue
		}
		res.Candidates = append(res.Candidates, c)
	}
	rank := map[string]int{StrengthStrong: 0, StrengthPossible: 1, StrengthWeak: 2}
	slices.SortFunc(res.Candidates, func(x, y Candidate) int {
		return cmp.Or(cmp.Compare(rank[x.Strength], rank[y.Strength]), cmp.Compare(y.Score, x.Score),
			cmp.Compare(x.A.ID, y.A.ID), cmp.Compare(x.B.ID, y.B.ID))
	})
	res.Pairs = len(res.Candidates)
	if o.Limit > 0 && len(res.Candidates) > o.Limit {
		res.Candidates = res.Candidates[:o.Limit]
	}
	for i := range res.Candidates {
		res.Candidates[i].Command = sameCommand(res.Candidates[i])
	}
	return res, nil
}

func nodeKinds() []schema.Kind {
	var ks []schema.Kind
	for _, k := range schema.Kinds {
		if isNode(k) {
			ks = append(ks, k)
		}
	}
	return ks
}

// apartPairs returns the pairs of canonical ids that a different
// statement in force keeps apart, smaller id first.
func (r *Reader) apartPairs(ctx context.Context) (map[[2]string]bool, error) {
	ids, err := r.idStore.load(ctx)
	if err != nil {
		return nil, err
	}
	apart := map[[2]string]bool{}
	for _, it := range ids.stmts {
		if it.Verb != schema.Different {
			continue
		}
		x, y := ids.canonical(it.IDs[0]), ids.canonical(it.IDs[1])
		apart[[2]string{min(x, y), max(x, y)}] = true
	}
	return apart, nil
}

// otherKinds counts the pairs of entities of two kinds that share an
// external id.
func otherKinds(v *View, facts map[int32]*resolutionFacts) int {
	byID := map[string][]int32{}
	for n, f := range facts {
		for _, x := range f.external {
			byID[x] = append(byID[x], n)
		}
	}
	pairs := map[[2]int32]bool{}
	for _, ns := range byID {
		for i, a := range ns {
			for _, b := range ns[i+1:] {
				if v.kinds[a] != v.kinds[b] {
					pairs[[2]int32{min(a, b), max(a, b)}] = true
				}
			}
		}
	}
	return len(pairs)
}

// blockPairs returns the pairs of nodes of one kind that share a block,
// smaller node first.
func blockPairs(v *View, facts map[int32]*resolutionFacts) map[[2]int32]bool {
	type blockKey struct{ kind, what, key string }
	blocks := map[blockKey][]int32{}
	nodes := make([]int32, 0, len(facts))
	for n := range facts {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes) // blocks list their nodes in order
	for _, n := range nodes {
		f, k := facts[n], v.kinds[n]
		for key := range f.keys {
			blocks[blockKey{k, "key", key}] = append(blocks[blockKey{k, "key", key}], n)
		}
		for _, x := range f.external {
			blocks[blockKey{k, "ext", x}] = append(blocks[blockKey{k, "ext", x}], n)
		}
		seen := map[string]bool{}
		for _, ts := range f.nameTokens {
			for _, t := range ts {
				for _, b := range []string{"t:" + t, "p:" + prefix(t)} {
					if !seen[b] {
						seen[b] = true
						blocks[blockKey{k, "tok", b}] = append(blocks[blockKey{k, "tok", b}], n)
					}
				}
			}
		}
	}
	pairs := map[[2]int32]bool{}
	for bk, ns := range blocks {
		if len(ns) < 2 || (bk.what == "tok" && len(ns) > maxTokenBlock) || (bk.what == "key" && len(ns) > maxKeyBlock) {
			continue
		}
		for i, a := range ns {
			for _, b := range ns[i+1:] {
				pairs[[2]int32{a, b}] = true
			}
		}
	}
	return pairs
}

// tokens splits a name key into its words of three letters or more, and
// its numbers (the 2 of "Dragonfly 2.0").
func tokens(key string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(key, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if (len([]rune(t)) >= 3 || strings.ContainsFunc(t, unicode.IsDigit)) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func prefix(t string) string {
	rs := []rune(t)
	if len(rs) > prefixLen {
		rs = rs[:prefixLen]
	}
	return string(rs)
}

// candidate weighs the evidence that nodes a and b (a < b) are one entity,
// related by the relations related: ok is false when there is none.
func candidate(v *View, a, b int32, fa, fb *resolutionFacts, related []string) (Candidate, bool) {
	c := Candidate{
		A:    CandidateEntity{ID: v.keys[a], Name: v.names[a]},
		B:    CandidateEntity{ID: v.keys[b], Name: v.names[b]},
		Kind: v.kinds[a],
	}
	if c.Kind != v.kinds[b] {
		return c, false // same needs one kind
	}
	add := func(code, text string, w float64, values []string) {
		c.Reasons = append(c.Reasons, Reason{Code: code, Text: text, Weight: w, Values: values})
	}
	// External ids: the same one, or distinct ones of one scheme.
	if len(fa.external) > 0 && len(fb.external) > 0 {
		externalEvidence(&c, fa, fb)
	}
	if len(related) > 0 {
		rel := slices.Sorted(slices.Values(related))
		c.Against = append(c.Against, Reason{Code: AgainstRelated, Text: "stated as two related entities (" + strings.Join(rel, ", ") + ")", Weight: distinctIDsFactor, Values: rel})
	}
	// Names and aliases, by key.
	var sameName, nameAlias, shared []string
	small, large := fa.keys, fb.keys
	if len(large) < len(small) {
		small, large = large, small
	}
	for k := range small {
		if _, ok := large[k]; !ok {
			continue
		}
		ba, bb, t := fa.keys[k], fb.keys[k], fa.text[k]
		switch {
		case ba&nameBit != 0 && bb&nameBit != 0:
			sameName = append(sameName, t)
		case ba&nameBit != 0 || bb&nameBit != 0:
			nameAlias = append(nameAlias, t)
		default:
			shared = append(shared, t)
		}
	}
	for _, s := range [][]string{sameName, nameAlias, shared} {
		slices.Sort(s)
	}
	if len(sameName) > 0 {
		add(ReasonSameName, "same name", weightSameName, sameName)
	}
	if len(nameAlias) > 0 {
		add(ReasonNameIsAlias, "a name of one is an alias of the other", weightNameIsAlias, nameAlias)
	}
	if len(shared) > 0 {
		add(ReasonSharedAlias, "shared alias", upTo(weightSharedAlias, len(shared)), shared)
	}
	// Similar names (not the same key).
	best, bi, bj := 0.0, 0, 0
	for i, kx := range fa.nameKeys {
		for j, ky := range fb.nameKeys {
			if kx == ky {
				continue
			}
			if s := tokenSimilarity(fa.nameTokens[i], fb.nameTokens[j]); s > best {
				best, bi, bj = s, i, j
			}
		}
	}
	if best >= similarEnough && len(sameName) == 0 {
		add(ReasonSimilarName, "similar names", round3(weightSimilarName*best), []string{fa.names[bi] + " ~ " + fb.names[bj]})
	}
	if common := sharedSet(fa.attacks, fb.attacks); len(common) > 0 {
		add(ReasonSharedAttacks, "same attacks (perpetratedBy)", upTo(weightSharedAttack, len(common)), common)
	}
	if common := sharedSet(fa.places, fb.places); len(common) > 0 {
		add(ReasonSharedPlaces, "same places (activeIn, locatedIn, country)", upTo(weightSharedPlace, len(common)), common)
	}
	if len(c.Reasons) == 0 {
		return c, false
	}
	// Only names and ids propose a pair; attacks and places only add.
	namesOrIDs := slices.ContainsFunc(c.Reasons, func(r Reason) bool {
		return r.Code != ReasonSharedAttacks && r.Code != ReasonSharedPlaces
	})
	if !namesOrIDs {
		return c, false
	}
	rest := 1.0
	for _, r := range c.Reasons {
		rest *= 1 - r.Weight
	}
	score := 1 - rest
	for range c.Against {
		score *= distinctIDsFactor
	}
	c.Score = round3(score)
	strong := slices.ContainsFunc(c.Reasons, func(r Reason) bool {
		return r.Code == ReasonSameExternalID || r.Code == ReasonSameName || r.Code == ReasonNameIsAlias
	})
	// Shared aliases, codes, attacks and places are weak however many:
	// without a name or an id the pair stays weak.
	weakOnly := !slices.ContainsFunc(c.Reasons, func(r Reason) bool {
		return r.Code != ReasonSharedAlias && r.Code != ReasonSharedAttacks && r.Code != ReasonSharedPlaces && r.Code != ReasonSameCode
	})
	switch {
	case len(c.Against) > 0 || weakOnly:
		c.Strength = StrengthWeak
	case strong && c.Score > StrongScore:
		c.Strength = StrengthStrong
	case c.Score >= PossibleScore:
		c.Strength = StrengthPossible
	default:
		c.Strength = StrengthWeak
	}
	return c, true
}

// uniqueSchemes are the schemes whose datasets give one entity one id, so
// that two distinct ids name two entities: Wikidata items, MITRE ATT&CK
// ids, GeoNames places, GTD and ACLED incidents. Others do not count
// against a pair: GDELT codes one attack as many events, and two STIX
// producers give one group two ids.
var uniqueSchemes = map[string]bool{"wikidata": true, "mitre": true, "geonames": true, "gtd": true, "acled": true}

// identifyingSchemes are the schemes whose ids each name one entity, so
// that two entities with one id are one (strong): uniqueSchemes, STIX
// object ids, GDELT events, ISO 3166 and FIPS 10-4 codes. An id of another
// scheme is a code many entities may share (CAPEC attack patterns, CAMEO
// actor codes): the same code is weak evidence.
var identifyingSchemes = map[string]bool{"wikidata": true, "mitre": true, "geonames": true, "gtd": true, "acled": true,
	"stix": true, "gdelt": true, "iso3166-1": true, "fips10-4": true}

// externalEvidence adds to c the external ids fa and fb share (strong),
// and the schemes of uniqueSchemes in which their live ids (stated
// without a judgement deprecating them) are all distinct (against): a
// revoked object's id, which its dataset replaced by the other's, is no
// evidence that the two are two.
func externalEvidence(c *Candidate, fa, fb *resolutionFacts) {
	a, b := fa.external, fb.external
	scheme := func(x string) string { s, _, _ := strings.Cut(x, ":"); return s }
	var same, code []string
	for _, x := range a {
		switch {
		case !slices.Contains(b, x):
		case identifyingSchemes[scheme(x)]:
			same = append(same, x)
		default:
			code = append(code, x)
		}
	}
	if len(same) > 0 {
		slices.Sort(same)
		c.Reasons = append(c.Reasons, Reason{Code: ReasonSameExternalID, Text: "same external id", Weight: weightSameExternalID, Values: same})
	}
	if len(code) > 0 {
		slices.Sort(code)
		c.Reasons = append(c.Reasons, Reason{Code: ReasonSameCode, Text: "same code of a shared classification", Weight: upTo(weightSameCode, len(code)), Values: code})
	}
	la, lb := fa.liveExternal, fb.liveExternal
	var schemes []string
	for _, x := range la {
		s := scheme(x)
		if !uniqueSchemes[s] || slices.Contains(schemes, s) || slices.ContainsFunc(same, func(y string) bool { return scheme(y) == s }) ||
			!slices.ContainsFunc(lb, func(y string) bool { return scheme(y) == s }) {
			continue
		}
		schemes = append(schemes, s)
	}
	slices.Sort(schemes)
	for _, s := range schemes {
		var ids []string
		for _, x := range append(slices.Clone(la), lb...) {
			if scheme(x) == s {
				ids = append(ids, x)
			}
		}
		slices.Sort(ids)
		c.Against = append(c.Against, Reason{Code: AgainstDistinctIDs, Text: "distinct " + s + " ids", Weight: distinctIDsFactor, Values: ids})
	}
}

// upTo is the weight of n pieces of evidence of weight w each, counting
// maxCounted at most.
func upTo(w float64, n int) float64 {
	return round3(1 - math.Pow(1-w, float64(min(n, maxCounted))))
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func sharedSet(a, b map[string]bool) []string {
	var out []string
	for x := range a {
		if b[x] {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// similarity is the token overlap (Jaccard) of two name keys, two
// tokens counting as one when they are equal or, of five letters or more
// and no digit, differ by an edit distance of at most a fifth of the
// longer ("shabab", "shabaab"; "force", "forces"; not "apt34", "apt38").
func similarity(x, y string) float64 { return tokenSimilarity(tokens(x), tokens(y)) }

// tokenSimilarity is similarity of the tokens of two keys.
func tokenSimilarity(tx, ty []string) float64 {
	if len(tx) == 0 || len(ty) == 0 {
		return 0
	}
	used := make([]bool, len(ty))
	common := 0
	for _, a := range tx {
		for j, b := range ty {
			if !used[j] && tokensMatch(a, b) {
				used[j] = true
				common++
				break
			}
		}
	}
	return float64(common) / float64(len(tx)+len(ty)-common)
}

func tokensMatch(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	longer := max(la, lb)
	if min(la, lb) < 5 || strings.ContainsFunc(a+b, unicode.IsDigit) {
		return false // short words, and numbers (APT34, APT38), only as written
	}
	k := longer / 5 // the most edits allowed
	if la-lb > k || lb-la > k {
		return false
	}
	return levenshteinWithin([]rune(a), []rune(b), k)
}

// levenshteinWithin reports whether the edit distance of a and b is at
// most k, stopping as soon as every cell of a row exceeds k.
func levenshteinWithin(a, b []rune, k int) bool {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			best = min(best, cur[j])
		}
		if best > k {
			return false
		}
		prev, cur = cur, prev
	}
	return prev[len(b)] <= k
}

// sameCommand is the command that accepts c, with a reason drawn from
// its evidence (the analyst's own words are better).
func sameCommand(c Candidate) string {
	var parts []string
	for _, r := range c.Reasons {
		s := r.Text
		if len(r.Values) > 0 && r.Code != ReasonSharedAttacks && r.Code != ReasonSharedPlaces {
			qs := make([]string, len(r.Values))
			for i, x := range r.Values {
				qs[i] = strconv.Quote(x)
			}
			s += " " + strings.Join(qs, ", ")
		}
		parts = append(parts, s)
	}
	reason := strings.Join(parts, "; ")
	return fmt.Sprintf("threatgraph same %s %s --reason %s", shellQuote(c.A.ID), shellQuote(c.B.ID), shellQuote(reason))
}

// shellQuote quotes s for a POSIX shell: as is when it is made of safe
// characters only, else in single quotes.
func shellQuote(s string) string {
	safe := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.:/@+=,", r)))
	})
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

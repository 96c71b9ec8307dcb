package schema

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Kind is an entity type.
type Kind string

// The kinds of entity.
const (
	Group        Kind = "Group"
	Person       Kind = "Person"
	Organization Kind = "Organization"
	Location     Kind = "Location"
	Attack       Kind = "Attack"
	Warning      Kind = "Warning"
	Claim        Kind = "Claim"
	Source       Kind = "Source"
	Campaign     Kind = "Campaign"  // a set of attacks or intrusions over a time (STIX campaign)
	Technique    Kind = "Technique" // a way of attacking (STIX attack-pattern, ATT&CK technique)
	Malware      Kind = "Malware"   // malicious software (STIX malware)
	Tool         Kind = "Tool"      // legitimate software put to an actor's use (STIX tool)
)

// Kinds lists every kind in display order.
var Kinds = []Kind{Group, Person, Organization, Location, Attack, Warning, Claim, Source, Campaign, Technique, Malware, Tool}

// IRI returns the kind's IRI, the object of its rdf:type quad ("tg:Group").
func (k Kind) IRI() string { return "tg:" + string(k) }

// ParseKind returns the kind named s (case-insensitive) and whether it exists.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds {
		if strings.EqualFold(string(k), s) {
			return k, true
		}
	}
	return "", false
}

// JoinKinds writes kinds for a message: JoinKinds(Kinds, ", ") lists them
// all ("Group, Person, ..."), JoinKinds(p.Range, " or ") a predicate's range.
func JoinKinds(ks []Kind, sep string) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, sep)
}

// KindFromIRI returns the kind whose IRI is iri.
func KindFromIRI(iri string) (Kind, bool) {
	name, ok := strings.CutPrefix(iri, "tg:")
	if !ok {
		return "", false
	}
	for _, k := range Kinds {
		if string(k) == name {
			return k, true
		}
	}
	return "", false
}

// ValueType is the type of a predicate's object.
type ValueType int

// Value types. Entity means the object is another entity's IRI.
const (
	Entity ValueType = iota
	String
	Count // a non-negative integer
	Float
	Date // an Interval
	Bool
	Enum
	URL
)

func (t ValueType) String() string {
	switch t {
	case Entity:
		return "entity"
	case String:
		return "string"
	case Count:
		return "count (a whole number, or the words as written)"
	case Float:
		return "number"
	case Date:
		return "date"
	case Bool:
		return "boolean"
	case Enum:
		return "one of a fixed set"
	case URL:
		return "URL"
	}
	return "unknown"
}

// Predicate describes one predicate of the vocabulary.
type Predicate struct {
	Name   string    // short name used in the native format ("perpetratedBy")
	Type   ValueType // what the object is
	Domain []Kind    // kinds of subject allowed; empty means any
	Range  []Kind    // for Entity: kinds of object allowed; empty means any
	Enum   []string  // for Enum: the allowed values
	Multi  bool      // several values are normal; single-valued predicates are "contested" when sources disagree
	Min    float64   // for Float: lowest allowed value
	Max    float64   // for Float: highest allowed value (Min == Max means unbounded)
	Doc    string    // one line for docs and errors
	// Derived predicates are written by threatgraph itself (the written text of
	// a date, the normalised lookup key of a name) and are not accepted in input.
	Derived bool
	// OneLine strings are shown on one line (names, aliases, titles): no
	// control or bidirectional formatting character is accepted (CheckText).
	OneLine bool
	// Irreflexive relations never link an entity to itself (a group is no
	// affiliate of itself).
	Irreflexive bool
	// Acyclic relations are irreflexive and never close a cycle (a place is
	// never part of itself through a chain of places).
	Acyclic bool
	// Negates is set on a negation ("not/perpetratedBy"): the multi-valued
	// relation that a source states does not hold. A negation links two
	// entities but is no relation: nothing reads it as the fact it denies.
	Negates *Predicate
}

// IRI returns the predicate's IRI ("tg:perpetratedBy").
func (p *Predicate) IRI() string { return "tg:" + p.Name }

// Relation reports whether the predicate states that two entities are
// linked: an entity-valued predicate that is not a negation.
func (p *Predicate) Relation() bool { return p.Type == Entity && p.Negates == nil }

// NotPrefix begins the name of a negation: "not/perpetratedBy" is a
// source's statement that the attack was not carried out by the object.
const NotPrefix = "not/"

// Negation returns the predicate that states p does not hold ("tg:not/" +
// p's name), or nil when p cannot be negated: only multi-valued relations
// can (a single-valued one is contested by a second value instead).
func (p *Predicate) Negation() *Predicate { return negations[p.Name] }

// Allows reports whether a subject of kind k may carry the predicate.
func (p *Predicate) Allows(k Kind) bool { return len(p.Domain) == 0 || slices.Contains(p.Domain, k) }

// NoSelf reports whether the relation may not link an entity to itself.
func (p *Predicate) NoSelf() bool { return p.Irreflexive || p.Acyclic }

// Accepts reports whether an object of kind k fits the predicate's range.
func (p *Predicate) Accepts(k Kind) bool { return len(p.Range) == 0 || slices.Contains(p.Range, k) }

// Special IRIs.
const (
	TypeIRI      = "rdf:type"    // entity kind: <id> <rdf:type> <tg:Group>
	QuoteIRI     = "tg:quote"    // evidence: <statement> <tg:quote> "exact words"
	StatedInIRI  = "tg:statedIn" // <statement> <tg:statedIn> <source>
	KeyIRI       = "tg:key"      // derived: normalised name/alias for lookup
	StatementSep = "#e-"         // statement label = source IRI + StatementSep + hash
	NamePred     = "name"
	// CodingIRI is a Source's coding; MachineCoding its value for sources
	// coded by software (Scope.ExcludeMachine leaves their facts out).
	CodingIRI     = "tg:coding"
	MachineCoding = "machine"
	AliasPred     = "alias"
)

var anyEntity []Kind

var (
	attackOrPlot  = []Kind{Attack}
	actors        = []Kind{Group, Person, Organization}
	places        = []Kind{Location}
	groupsOnly    = []Kind{Group}
	peopleOnly    = []Kind{Person}
	groupsAndOrgs = []Kind{Group, Organization}
	// Threat intelligence (STIX): who acts, and the means they use.
	cyberActors  = []Kind{Group, Person, Campaign}
	capabilities = []Kind{Technique, Malware, Tool}
	software     = []Kind{Malware, Tool}
	attributable = []Kind{Group, Person, Organization}
)

// predicates is the vocabulary. Keep docs/format.md in step.
var predicates = []*Predicate{
	// Any entity.
	{Name: "name", OneLine: true, Type: String, Doc: "display name (one per entity; other names are aliases)"},
	{Name: "alias", OneLine: true, Type: String, Multi: true, Doc: "another name, spelling or abbreviation"},
	{Name: "description", Type: String, Multi: true, Doc: "a short description in the source's words"},
	{Name: "externalId", OneLine: true, Type: String, Multi: true, Doc: "the entity's id in another dataset, as scheme:id (wikidata:Q2000803, geonames:1138958, mitre:G0016, stix:intrusion-set--…, gtd:201401010001)"},
	{Name: "date", Type: Date, Domain: []Kind{Attack, Warning, Claim}, Doc: "when it happened or was said"},
	{Name: "endDate", Type: Date, Domain: []Kind{Attack, Warning, Group, Organization}, Doc: "when it ended"},

	// Groups and organisations.
	{Name: "founded", Type: Date, Domain: groupsAndOrgs, Doc: "founding date"},
	{Name: "foundedBy", Type: Entity, Domain: groupsAndOrgs, Range: anyEntity, Multi: true, Doc: "founder: a person, group or organisation"},
	{Name: "affiliateOf", Irreflexive: true, Type: Entity, Domain: groupsOnly, Range: groupsAndOrgs, Multi: true, Doc: "the group is an affiliate (branch, province) of the object"},
	{Name: "splinterOf", Irreflexive: true, Type: Entity, Domain: groupsOnly, Range: groupsAndOrgs, Multi: true, Doc: "the group split from the object"},
	{Name: "rivalOf", Irreflexive: true, Type: Entity, Domain: groupsAndOrgs, Range: groupsAndOrgs, Multi: true, Doc: "the group fights or opposes the object"},
	{Name: "activeIn", Type: Entity, Domain: groupsAndOrgs, Range: places, Multi: true, Doc: "region of activity"},
	{Name: "ideology", Type: String, Domain: groupsOnly, Multi: true, Doc: "ideology or movement"},
	{Name: "estimatedSize", Type: Count, Domain: groupsOnly, Doc: "estimated size (fighters or members), in the source's words (\"several thousand\")"},
	{Name: "strengthMin", Type: Count, Domain: groupsOnly, Doc: "estimated size, low end, where a source gives a low and a high figure"},
	{Name: "strengthMax", Type: Count, Domain: groupsOnly, Doc: "estimated size, high end, where a source gives a low and a high figure"},
	{Name: "seizedPower", Type: Date, Domain: groupsOnly, Doc: "when the group took power in a country"},
	{Name: "lostTerritory", Type: Date, Domain: groupsOnly, Doc: "when the group lost the last territory it held"},
	{Name: "orgType", Type: String, Domain: []Kind{Organization}, Doc: "government, agency, ministry, news agency, think tank, ..."},
	{Name: "partOfOrg", Acyclic: true, Type: Entity, Domain: []Kind{Organization}, Range: []Kind{Organization}, Doc: "the organisation belongs to the object (agency of a government)"},
	{Name: "country", Type: Entity, Domain: groupsAndOrgs, Range: places, Doc: "country the organisation belongs to"},

	// People.
	{Name: "role", Type: String, Domain: peopleOnly, Multi: true, Doc: "role or title (\"director of national intelligence\")"},
	{Name: "leaderOf", Type: Entity, Domain: peopleOnly, Range: groupsAndOrgs, Multi: true, Doc: "the person leads the object"},
	{Name: "memberOf", Type: Entity, Domain: peopleOnly, Range: groupsAndOrgs, Multi: true, Doc: "the person belongs to or works for the object"},
	{Name: "nationality", Type: Entity, Domain: peopleOnly, Range: places, Multi: true, Doc: "country of citizenship"},
	{Name: "suspectIn", Type: Entity, Domain: peopleOnly, Range: attackOrPlot, Multi: true, Doc: "the person is a suspect in the attack or plot"},
	{Name: "arrested", Type: Date, Domain: peopleOnly, Doc: "when the person was arrested"},

	// Places.
	{Name: "placeType", Type: Enum, Domain: places, Enum: []string{"continent", "region", "country", "province", "city", "town", "district", "village", "venue", "site"}, Doc: "what kind of place"},
	{Name: "partOf", Acyclic: true, Type: Entity, Domain: places, Range: places, Doc: "the place lies within the object (venue, town, region, country)"},
	{Name: "lat", Type: Float, Domain: places, Min: -90, Max: 90, Doc: "latitude, WGS84 degrees"},
	{Name: "lon", Type: Float, Domain: places, Min: -180, Max: 180, Doc: "longitude, WGS84 degrees"},

	// Attacks, carried out, foiled or plotted.
	{Name: "status", Type: Enum, Domain: attackOrPlot, Enum: []string{"carried-out", "foiled", "plotted"}, Doc: "carried-out, foiled or plotted"},
	{Name: "perpetratedBy", Type: Entity, Domain: attackOrPlot, Range: actors, Multi: true, Doc: "who carried it out, as the source attributes it"},
	{Name: "locatedIn", Type: Entity, Domain: []Kind{Attack, Organization, Person}, Range: places, Doc: "where it happened (or is based)"},
	{Name: "target", Type: Entity, Domain: attackOrPlot, Range: anyEntity, Multi: true, Doc: "who or what was targeted"},
	{Name: "targetType", Type: String, Domain: attackOrPlot, Multi: true, Doc: "kind of target in words (\"concert venue\", \"church\")"},
	{Name: "attackType", Type: String, Domain: attackOrPlot, Multi: true, Doc: "method (\"shooting\", \"suicide bombing\", \"arson\")"},
	{Name: "killed", Type: Count, Domain: attackOrPlot, Doc: "people killed"},
	{Name: "wounded", Type: Count, Domain: attackOrPlot, Doc: "people wounded"},
	{Name: "attackCount", Type: Count, Domain: attackOrPlot, Doc: "for an aggregate mention (a series of attacks): how many"},
	{Name: "arrests", Type: Count, Domain: attackOrPlot, Doc: "people arrested in connection with it"},
	{Name: "arrestedBy", Type: Entity, Domain: attackOrPlot, Range: groupsAndOrgs, Multi: true, Doc: "who made the arrests"},
	{Name: "suspectNationality", Type: Entity, Domain: attackOrPlot, Range: places, Multi: true, Doc: "nationality of suspects, where individuals are not named"},
	{Name: "attackersOrigin", Type: Enum, Domain: attackOrPlot, Enum: []string{"sent-in", "residents"}, Doc: "whether the attackers were sent in for the attack or lived in the country they struck"},
	{Name: "partOfAttack", Acyclic: true, Type: Entity, Domain: attackOrPlot, Range: attackOrPlot, Doc: "the attack was part of a larger operation"},

	// Warnings and threat assessments.
	{Name: "warningType", Type: Enum, Domain: []Kind{Warning}, Enum: []string{"duty-to-warn", "public-advisory", "threat-assessment"}, Doc: "duty-to-warn, public-advisory or threat-assessment"},
	{Name: "issuedBy", Type: Entity, Domain: []Kind{Warning}, Range: actors, Multi: true, Doc: "who gave the warning"},
	{Name: "issuedTo", Type: Entity, Domain: []Kind{Warning}, Range: anyEntity, Multi: true, Doc: "who received it"},
	{Name: "about", Type: Entity, Domain: []Kind{Warning}, Range: actors, Multi: true, Doc: "the group warned about"},
	{Name: "concerns", Type: Entity, Domain: []Kind{Warning}, Range: places, Multi: true, Doc: "the place warned about"},
	{Name: "public", Type: Bool, Domain: []Kind{Warning}, Doc: "true for a public warning, false for a private one"},
	{Name: "response", Type: Enum, Domain: []Kind{Warning}, Enum: []string{"heeded", "dismissed", "unknown"}, Doc: "how the recipient treated it"},

	// Claims of responsibility, attributions, denials.
	{Name: "claimType", Type: Enum, Domain: []Kind{Claim}, Enum: []string{"responsibility", "attribution", "denial"}, Doc: "responsibility (by the perpetrator), attribution (by others), denial"},
	{Name: "claimant", Type: Entity, Domain: []Kind{Claim}, Range: actors, Multi: true, Doc: "who makes the claim"},
	{Name: "claims", Type: Entity, Domain: []Kind{Claim}, Range: attackOrPlot, Multi: true, Doc: "the attack the claim is about"},
	{Name: "alleges", Type: Entity, Domain: []Kind{Claim}, Range: anyEntity, Multi: true, Doc: "who is named as responsible (or, for a denial, cleared)"},
	{Name: "via", Type: Entity, Domain: []Kind{Claim}, Range: groupsAndOrgs, Multi: true, Doc: "channel (news agency, outlet)"},

	// Threat intelligence (STIX 2.1 relationships and properties).
	{Name: "firstSeen", Type: Date, Domain: []Kind{Group, Person, Campaign, Malware}, Doc: "when the actor, campaign or malware was first seen (STIX first_seen)"},
	{Name: "lastSeen", Type: Date, Domain: []Kind{Group, Person, Campaign, Malware}, Doc: "when it was last seen (STIX last_seen)"},
	{Name: "killChainPhase", OneLine: true, Type: String, Domain: capabilities, Multi: true, Doc: "a phase of a kill chain the technique or software serves, as chain:phase (mitre-attack:persistence)"},
	{Name: "platform", OneLine: true, Type: String, Domain: capabilities, Multi: true, Doc: "a platform it runs on or applies to (Windows, Linux, macOS)"},
	{Name: "uses", Type: Entity, Domain: []Kind{Group, Person, Campaign, Technique, Malware, Tool}, Range: capabilities, Multi: true, Doc: "the actor, campaign, technique or software uses the technique, malware or tool (STIX uses)"},
	{Name: "attributedTo", Irreflexive: true, Type: Entity, Domain: []Kind{Campaign, Group, Person}, Range: attributable, Multi: true, Doc: "the campaign, group or actor is attributed to the object (STIX attributed-to)"},
	{Name: "targets", Type: Entity, Domain: append(append([]Kind{Organization}, cyberActors...), capabilities...), Range: anyEntity, Multi: true, Doc: "the actor, campaign or capability targets the object: a sector, an organisation, a place (STIX targets)"},
	{Name: "locatedAt", Type: Entity, Domain: []Kind{Group, Person, Organization, Campaign}, Range: places, Multi: true, Doc: "the actor or campaign is located at or operates from the place (STIX located-at)"},
	{Name: "originatesFrom", Type: Entity, Domain: []Kind{Group, Person, Campaign, Malware}, Range: places, Multi: true, Doc: "the actor, campaign or malware originates from the place (STIX originates-from)"},
	{Name: "subtechniqueOf", Acyclic: true, Type: Entity, Domain: []Kind{Technique}, Range: []Kind{Technique}, Doc: "the technique is a sub-technique of the object (ATT&CK subtechnique-of)"},
	{Name: "impersonates", Irreflexive: true, Type: Entity, Domain: []Kind{Group, Person}, Range: attributable, Multi: true, Doc: "the actor poses as the object (STIX impersonates)"},
	{Name: "authoredBy", Type: Entity, Domain: software, Range: attributable, Multi: true, Doc: "the software was written by the object (STIX authored-by)"},
	{Name: "variantOf", Irreflexive: true, Type: Entity, Domain: software, Range: software, Multi: true, Doc: "the software is a variant of the object (STIX variant-of)"},
	{Name: "derivedFrom", Irreflexive: true, Type: Entity, Domain: append(append([]Kind{}, capabilities...), Campaign), Range: append(append([]Kind{}, capabilities...), Campaign), Multi: true, Doc: "the object was the basis of this one (STIX derived-from)"},
	{Name: "cooperatesWith", Irreflexive: true, Type: Entity, Domain: attributable, Range: attributable, Multi: true, Doc: "the actor works with the object (STIX cooperates-with, collaborates-with)"},
	{Name: "downloads", Irreflexive: true, Type: Entity, Domain: software, Range: software, Multi: true, Doc: "the software downloads the object (STIX downloads, drops)"},

	// Sources.
	{Name: "publisher", OneLine: true, Type: String, Domain: []Kind{Source}, Doc: "publisher"},
	{Name: "author", OneLine: true, Type: String, Domain: []Kind{Source}, Multi: true, Doc: "author"},
	{Name: "title", OneLine: true, Type: String, Domain: []Kind{Source}, Doc: "title or headline"},
	{Name: "published", Type: Date, Domain: []Kind{Source}, Doc: "publication date"},
	{Name: "url", Type: URL, Domain: []Kind{Source}, Doc: "where it can be read"},
	{Name: "reliability", Type: Enum, Domain: []Kind{Source}, Enum: []string{"A", "B", "C", "D", "E", "F"}, Doc: "Admiralty scale: A completely reliable ... F cannot be judged"},
	{Name: "coding", Type: Enum, Domain: []Kind{Source}, Enum: []string{"human", "machine"}, Doc: "how the source's facts were coded: human (read by a person) or machine (extracted by software, as GDELT's events are); --exclude-machine leaves out the machine-coded"},
}

var byName = map[string]*Predicate{}

// negations holds the negation of each multi-valued relation, by the
// relation's name. They are not in Predicates() (nor the native format's
// keys: a fact group says negated: true); LookupIRI finds them.
var negations = map[string]*Predicate{}

func init() {
	var derived []*Predicate
	for _, p := range predicates {
		if p.Type == Date {
			derived = append(derived, &Predicate{Name: p.Name + "Text", Type: String, Domain: p.Domain, Multi: true, Derived: true,
				Doc: "the " + p.Name + " as the source wrote it"})
		}
	}
	derived = append(derived, &Predicate{Name: "key", Type: String, Multi: true, Derived: true, Doc: "normalised name or alias, for lookup"})
	predicates = append(predicates, derived...)
	for _, p := range predicates {
		if byName[p.Name] != nil {
			panic("schema: duplicate predicate " + p.Name)
		}
		byName[p.Name] = p
	}
	for _, p := range predicates {
		if p.Multi && p.Relation() && !p.Derived {
			negations[p.Name] = &Predicate{Name: NotPrefix + p.Name, Type: Entity, Domain: p.Domain, Range: p.Range, Multi: true, Irreflexive: p.NoSelf(), Negates: p,
				Doc: "a source states that this does not hold: " + p.Doc}
		}
	}
}

// Lookup returns the predicate with the short name of the native format
// ("killed"), or nil; negations have none (a fact group says negated: true).
func Lookup(name string) *Predicate { return byName[name] }

// LookupIRI returns the predicate whose IRI is iri ("tg:killed"), a
// negation among them ("tg:not/perpetratedBy"), or nil.
func LookupIRI(iri string) *Predicate {
	name, ok := strings.CutPrefix(iri, "tg:")
	if !ok {
		return nil
	}
	if base, ok := strings.CutPrefix(name, NotPrefix); ok {
		return negations[base]
	}
	return byName[name]
}

// Predicates returns every predicate, sorted by name.
func Predicates() []*Predicate {
	out := slices.Clone(predicates)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// StatementLabel returns the label for a fact of source with the evidence
// quote: the source IRI itself when quote is empty, else the source IRI and
// a short hash of the quote, so that the same input always gives the same
// label (re-ingesting adds nothing).
func StatementLabel(source, quote string) string {
	if quote == "" {
		return source
	}
	return source + StatementSep + shortHash(quote)
}

// SourceOf returns the source IRI of a fact label (a source or a statement).
func SourceOf(label string) string {
	if i := strings.Index(label, StatementSep); i >= 0 {
		return label[:i]
	}
	return label
}

// CheckID reports whether id is a valid entity id: "prefix:rest" with no
// spaces, angle brackets, quotes or '#'.
func CheckID(id string) error {
	prefix, rest, ok := strings.Cut(id, ":")
	if !ok || prefix == "" || rest == "" {
		return fmt.Errorf("id %q is not of the form kind:name (for example group:isis-k)", id)
	}
	if err := CheckText(id); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if strings.ContainsAny(id, " <>\"{}|\\^`#") {
		return fmt.Errorf("id %q contains a space or one of <>\"{}|\\^`#", id)
	}
	return nil
}

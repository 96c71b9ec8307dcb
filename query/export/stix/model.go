package stix

import (
	"github.com/google/uuid"

	"github.com/threatgraph/threatgraph/schema"
)

// Namespace is threatgraph's UUIDv5 namespace for STIX ids: the UUIDv5 of
// "https://github.com/threatgraph/threatgraph/stix" in the URL namespace
// (RFC 9562). It never changes, so an entity keeps its STIX id across
// exports and stores.
var Namespace = uuid.MustParse("5578df3a-6ed2-5662-a7a7-773e877a1635")

// ID returns the STIX id of the object of type typ (intrusion-set, report,
// ...) made for key (a threatgraph id, a source or statement label): typ,
// "--" and the UUIDv5 of Namespace and key.
func ID(typ, key string) string { return typ + "--" + uuid.NewSHA1(Namespace, []byte(key)).String() }

// Timestamp is the created and modified time of every object. STIX requires
// both; the graph does not record when an object was made (a source's
// publication date is its report's published), so the export writes this
// fixed time rather than the time of the export, which would make two
// exports of one store differ.
const Timestamp = "1970-01-01T00:00:00.000Z"

// An Entity is one entity of the graph with the facts the export writes
// about it (its quads whose subject it is).
type Entity struct {
	ID       string   // threatgraph id: group:isis-k
	Kind     string   // schema kind: Group, Person, ...
	Name     string   // display name (the view's rule)
	Declared []string // labels (sources or statements) of its kind quads
	Facts    []Fact

	bare bool // a Source the graph names in labels only, added by Write
}

// A Fact is one quad of an entity: a relation or negation (Ref set) or a
// literal value.
type Fact struct {
	Predicate string           // vocabulary name: killed, perpetratedBy, not/perpetratedBy
	Label     string           // the source or statement that states it
	Ref       string           // the object's threatgraph id, for a relation or a negation
	Value     any              // a literal: string, int64, float64 or bool (a date's canonical form, a count's words)
	Date      *schema.Interval // for a date: its interval, Text the source's words if recorded
	Count     *schema.Quantity // for a count in words: its bounds and words
}

// A Statement is a source's exact words that facts are labelled with.
type Statement struct {
	Label     string   // source:x#e-<hash>
	Quote     string   // the exact words
	According []string // ids of whom the source attributes the words to
}

// A Label is what a source or a statement carries beyond its facts: the
// markings of its facts (schema.MarkingIRI) and the source's confidence in
// it (schema.ConfidenceIRI, as the source gave it).
type Label struct {
	Label      string
	Markings   []string // marking ids: marking:tlp-amber, ...
	Confidence *int64
}

// A Judgement is an analyst's rank of a statement (schema.Ranks).
type Judgement struct {
	ID       string // judgement:<hash>
	Of       string // the judged label
	Rank     string
	Reason   string
	Note     string
	Source   string   // the judging source
	Date     string   // when judged, as stored
	Evidence []string // labels shown as evidence
}

// Summary says what Write wrote and what it could not.
type Summary struct {
	Objects       int            // STIX objects in the bundle
	Entities      int            // entities written as STIX objects
	Relationships int            // relationship objects
	Facts         int            // facts written (relations and values, with their sources)
	ByType        map[string]int // objects by STIX type
	NotExported   map[string]int // what the bundle does not hold, by reason
	Marking       string         // the most restrictive TLP marking of what was written (schema.MostRestrictive), "" if none
}

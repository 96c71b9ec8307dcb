package schema

import (
	"encoding/json"
	"strings"
)

// Identity statements: a source's word that two ids name one entity
// (same) or two distinct ones (different). Each is a node
// <identity:HASH> whose quads carry the identity statement's label
// (IdentityLabel: its source, so the belief policy and retraction apply):
// <i> <tg:sameAs> <A>, <i> <tg:sameAs> <B> (or tg:differentFrom), <i>
// <tg:note> "why", optionally <i> <tg:judgedOn> a date. None is a
// predicate of the vocabulary: the subject is the identity node, not an
// entity, and the readers (query) turn the statements into one node per
// merged entity.
const (
	SameAsIRI        = "tg:sameAs"
	DifferentFromIRI = "tg:differentFrom"
	IdentityPrefix   = "identity:" // prefix of an identity node's id
)

// Identity verbs, as the native format and the CLI name them.
const (
	Same      = "same"
	Different = "different"
)

// IdentityIRI returns the predicate of verb (Same or Different), or "".
func IdentityIRI(verb string) string {
	switch verb {
	case Same:
		return SameAsIRI
	case Different:
		return DifferentFromIRI
	}
	return ""
}

// IsIdentityIRI reports whether iri is tg:sameAs or tg:differentFrom.
func IsIdentityIRI(iri string) bool { return iri == SameAsIRI || iri == DifferentFromIRI }

// IdentityID returns the id of an identity statement: "identity:" and a
// short hash of what makes it this statement (the verb, the two ids in
// order, the source, the reason and the date). The same statement loaded
// twice is one node; another reason or date is another statement.
func IdentityID(verb, a, b, source, reason, date string) string {
	if b < a {
		a, b = b, a
	}
	return IdentityPrefix + shortHash(strings.Join([]string{verb, a, b, source, reason, date}, "\x00"))
}

// IdentityLabel returns the label of an identity statement's quads: a
// statement of its source (source#e-HASH, the hash of its id), so that
// retracting that statement retracts this identity only, and retracting
// the source retracts it with the rest of the source's word.
func IdentityLabel(source, id string) string {
	return source + StatementSep + strings.TrimPrefix(id, IdentityPrefix)
}

// DefaultIdentitySource is the source an identity statement is recorded
// as when none is given; IdentityFile declares it.
const DefaultIdentitySource = "source:analyst"

// IdentityFile returns a native file (JSON, one field a line, so that an
// error names its line and field) stating one identity: what `threatgraph
// same` and `different`, and POST /v1/same and /v1/different, load.
func IdentityFile(verb, a, b, source, reason, date string) []byte {
	item := map[string]any{verb: []string{a, b}, "source": source, "reason": reason}
	if date != "" {
		item["date"] = date
	}
	doc := map[string]any{"format": FormatVersion, "identities": []any{item}}
	if source == DefaultIdentitySource {
		// Declared (its id only, so as not to clash with a title the store
		// may give it) with the statement, so that same and different work
		// on any store; restating it adds nothing.
		doc["sources"] = []any{map[string]any{"id": source}}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return append(out, '\n')
}

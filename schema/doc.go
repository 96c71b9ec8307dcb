// Package schema is threatgraph's vocabulary: the kinds of entity, the
// predicates that link them or describe them, the value type and cardinality
// of each predicate, date intervals with a precision, and the normalisation
// that makes names and aliases match case- and accent-insensitively.
//
// Every other package imports schema; schema imports nothing of ours.
//
// IRIs are short and readable: entity ids are "kind:slug" ("group:isis-k"),
// predicates are "tg:name" ("tg:perpetratedBy"), kinds are "tg:Group", and a
// fact's label (its quad label) is its source ("source:bbc-2024-03-25") or a
// statement of that source ("source:bbc-2024-03-25#e-1a2b3c4d") that also
// carries the evidence quote. See docs/format.md.
package schema

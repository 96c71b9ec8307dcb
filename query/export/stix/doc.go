// Package stix writes a knowledge graph as a STIX 2.1 bundle: one STIX
// object per entity, one relationship per relation, a report (and an
// identity, its author) per source, a note per statement (a source's exact
// words) and an opinion per judgement, so that every fact keeps the source
// that stated it (query.Reader.Export walks the store into it; docs/export.md
// has the mapping table).
//
// The bundle validates against the OASIS STIX 2.1 JSON Schemas. Ids are
// UUIDv5 of Namespace and the threatgraph id (ID), so the same graph always
// gives the same ids and the same bytes. What standard STIX properties cannot
// hold without losing it (every value with its source, a date as the interval
// and the words the source used, a count with its bounds, negations) is kept
// in x_threatgraph_* custom properties; what the bundle cannot hold at all is
// counted in the Summary, never dropped silently.
//
// The package imports only the schema package and github.com/google/uuid; it
// never sees the store.
package stix

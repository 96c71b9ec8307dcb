// Package table reads incident tables (CSV, TSV: GTD, ACLED or any
// spreadsheet of incidents) into threatgraph's facts, as an
// ingest.Importer, with a mapping that says which columns give which
// entities, facts and relations, and which source states them.
//
// A mapping (Parse, Open; the format is docs/import.md and its JSON Schema
// docs/mapping.schema.json, embedded and checked here) is read once and
// compiled: templates such as "attack:gtd-{eventid}" into literals and
// column references, bound to positions when a table's header is read. Each
// row is one record of the ingest.Builder: kept or rejected whole by
// --skip-invalid, its problems FILE:ROW: COLUMN: what (expected …).
//
// Nothing is stated more precisely than the table states it: a date from
// year, month and day columns where 0 means unknown is the month or the
// year; a count cell that is empty or an unknown marker (GTD's -99) gives
// no fact, never 0; a count is kept with the words the mapping gives it
// ("at least 5 fatalities (ACLED estimate)", a lower bound with
// atLeast); coordinates are stated only on the place they are of (GTD's
// specificity, ACLED's geo_precision say which). A per-row source (according) makes the
// row's facts a statement of the dataset in the row's words, according to
// that source.
//
// Rows are read one at a time with one reused record; what grows with the
// table is the ingest.Builder's records (the quads of each row), which Load
// needs whole to check and write the load in one transaction.
package table

// Package ingest reads threatgraph's inputs (the native YAML/JSON format and
// N-Quads), validates them against the vocabulary of package schema, and
// turns them into quads labelled with their sources.
//
// Reading is separate from writing: Parse checks files and returns records
// with their quads and the entity ids they define and refer to; Load checks
// the references against the store, then writes the quads of all the files
// of one load in one transaction (all or nothing). Problems are reported all at once as schema.Errors, each naming the
// file, the line and the field, and in strict mode nothing is written unless
// every file is valid.
package ingest

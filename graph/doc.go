// Package graph is threatgraph's store: it opens a cayley quad store chosen
// by configuration (an embedded key-value store by default, memstore for
// tests, PostgreSQL through cayley's SQL backend), guards it with a lock file
// so that a second process fails at once with a message naming the path and
// the holder instead of hanging, and writes batches of quads atomically,
// ignoring quads already present so that re-ingesting adds nothing.
package graph

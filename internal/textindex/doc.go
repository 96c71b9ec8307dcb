// Package textindex is the full-text index behind query.Reader's SearchAll
// and TextSearch: a bleve index of the docs the Reader gives it (names,
// aliases, descriptions and evidence quotes), kept beside the store as
// search.bleve and stamped with the store's state it was built from.
//
// An index whose stamp differs from the store's, or has none, is never
// used: it is rebuilt into a temporary directory, which is renamed into
// place only once complete, so that a process killed during a build leaves
// the old complete index or none. A directory that cannot be written gets
// an index in memory instead.
package textindex

// Package gexf writes GEXF 1.2 (http://www.gexf.net/1.2draft) as a stream,
// for Gephi. When node or edge keys named start or end are declared the graph
// is mode="dynamic" with timeformat="date", and those values become the
// elements' start and end, so Gephi's timeline plays attacks and warnings as
// they appear (see package export, Time).
//
// Mapping from the export model: a node or edge string key named label
// becomes the element's label (an edge without one is labelled with its
// predicate, which is also kept as an attribute); an edge double named weight
// becomes its weight; every other key is a static attribute whose id is the
// key id (n_*, e_*) and whose type is string, integer, double or boolean.
// Graph-level data, which GEXF has no place for, goes into
// <meta><description> as "name=value; name=value".
package gexf

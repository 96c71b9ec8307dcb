// Package graphml writes GraphML as a stream, in the portable shape of
// ../shared/graphml/README.md (beside the repository) §4: default namespace, all keys (sorted,
// ids n_*/e_*/g_*, types string|int|double|boolean) before one directed
// <graph id="G">, graph data, then nodes, then edges, one element per line
// with 2-space indentation, no empty <data>, no <default>, no <desc>.
//
// The value rules, multi-valued attributes and time conventions are those of
// package export. Parallel edges are written as given, each with its own id;
// Gephi merges them unless "Don't merge" is chosen at import.
package graphml

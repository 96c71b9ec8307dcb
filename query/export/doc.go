// Package export is the store-independent model that the streaming graph
// exporters consume: keys declared up front, then graph data, nodes and edges,
// streamed in that order (query.Reader.Export walks the store into it). The
// encoders live in sub-packages:
//
//   - graphml: GraphML for Gephi, yEd, Cytoscape, NetworkX and igraph, in the
//     shape recommended by ../shared/graphml/README.md (§4), relative to the
//     repository root.
//   - gexf: GEXF 1.2 with mode="dynamic", so Gephi's timeline plays attacks
//     and warnings from their start and end dates.
//   - cytoscape: Cytoscape.js JSON ({"elements":{"nodes":[…],"edges":[…]}}).
//
// All three implement Encoder and write with memory independent of the number
// of elements (a 64 KiB buffer and one row of values per domain), and the same
// calls always give the same bytes.
//
// # Keys
//
// A Key has a name, a Domain (Graph, Node, Edge) and a Type (String, Int,
// Double, Boolean: the four GraphML types every client reads alike). Names
// match [a-z][a-z0-9_]* and are not in ReservedNames (id, name, source,
// target, Gephi's and Cytoscape's magic columns; weight only as an edge
// Double). Key ids are the name with a g_, n_ or e_ prefix. Keys, and each
// element's values, are written sorted by (domain, name), whatever order they
// were declared or given in. CheckKeys reports the first bad key as a
// *KeyError; an encoder built with bad keys writes nothing and returns it.
//
// # Values
//
// Attributes are built with Str, Int64, Float, Bool, List and Figures. Each
// element call resolves them against the keys of its domain; an undeclared
// name, a name given twice or a value of the wrong type is a *ValueError,
// which stops the encoder (the error is sticky). The rules, from the clients'
// behaviour measured in the README:
//
//   - Missing values are omitted, never written as an empty element: an Attr
//     with only a Name, an empty string (also after cleaning), NaN and ±Inf.
//   - Strings are cleaned (Clean): characters XML 1.0 forbids and invalid
//     UTF-8 are dropped, the rest is put in NFC.
//   - Int keys hold int32 values (Gephi and Cytoscape parse int with
//     Integer.parseInt); a larger int64 is ErrIntRange. Declare wider integers
//     Double (Int64 values are accepted if exact, |v| <= 2^53) or String
//     (written in decimal).
//   - Doubles are written in the shortest form that round-trips
//     (strconv 'g', -1), -0 as 0; booleans exactly true or false. A boolean
//     should be given on every element of its domain, since igraph reads a
//     missing boolean as false.
//
// Node and edge ids must be XML name tokens (ValidID); ID maps an IRI such as
// group:isis-k to the recommended form group-isis-k. For diff-stable output
// the caller streams nodes sorted by id and edges by (source, target,
// predicate, id), gives edges globally unique, stable ids, and writes no edge
// whose endpoints it has not written: checking uniqueness or endpoints would
// take memory proportional to the graph, so the encoders do not.
//
// # Multi-valued attributes
//
// A multi-valued attribute is one string attribute holding JSON, which every
// client keeps as text and every script can parse (json.loads, JSON.parse),
// and which survives values that contain any separator; a joined form such as
// "a | b" does not.
//
//   - A set of strings (aliases, provenance ids): List writes a JSON array,
//     sorted bytewise and de-duplicated, no spaces: ["ISIS-K","ISKP"]. An
//     empty list is [] (known to be empty); leave the attribute out for
//     unknown.
//   - A number that sources disagree on (casualty figures): Figures writes
//     three attributes, declared together by FigureKeys: name, a JSON array
//     of the figures with their sources sorted by lower bound, equal figures
//     merged ({"value":N,...} for an exact one, {"text":"at least 137",
//     "lower":137,"upper":null,...} for one in words, with "of" for a part);
//     name_min and name_max, the span the figures allow, for filtering, sizing
//     and sorting in Gephi or Cytoscape: the fewest any figure allows and
//     the most any figure of everyone allows (missing when one is open).
//     For killed: killed = [{"value":133,"sources":["source-b"]},{"value":145,"sources":["source-a"]}],
//     killed_min = 133, killed_max = 145.
//
// # Time
//
// Dates are ISO 8601 strings of day, month or year precision (2024-03-22,
// 2024-03, 2024) or RFC 3339 timestamps, and sort lexicographically. String
// keys named start and end on nodes or edges are the element's interval:
// GraphML and Cytoscape.js write them as ordinary attributes; GEXF writes them
// as the element's start and end (timeformat="date"), a month or year
// widened to its first day for start and its last day for end, a timestamp
// truncated to its UTC date, and an end before its start is an error. An
// element without start and end is present at all times; one without end
// stays from its start on.
//
// # Why not gonum's encoders
//
// gonum.org/v1/gonum/graph/formats/gexf12 and .../cytoscapejs are struct
// models (gexf12.Content, cytoscapejs.GraphElem) for encoding/xml and
// encoding/json: the whole graph is built in memory and marshalled at once,
// which breaks the streaming requirement (the element slices alone would be
// hundreds of MB for a million edges) and gives no control over the escaping
// and layout rules above. gonum has no GraphML encoder; gonum's graph
// encoding/dot is the same whole-graph shape. The encoders here write tokens
// by hand into a bufio.Writer with escaping checked by the fuzz tests against
// encoding/xml and encoding/json.
package export

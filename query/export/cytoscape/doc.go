// Package cytoscape writes Cytoscape.js JSON as a stream:
//
//	{"data":{…graph data…},
//	"elements":{"nodes":[
//	{"data":{"id":"a","label":"…"}},
//	…
//	],"edges":[
//	{"data":{"id":"e1","source":"a","target":"b","predicate":"…"}}
//	]}}
//
// one element per line, fields in key order after id (and source, target),
// numbers and booleans as JSON numbers and booleans, missing values omitted.
// Cytoscape desktop imports it with File → Import → Network from File, and
// Cytoscape.js takes the object as the elements of cytoscape({elements}).
// Strings are cleaned as in package export, and U+2028 and U+2029 are
// escaped, so that the output is also a valid JavaScript literal.
package cytoscape

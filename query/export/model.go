package export

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A Domain says which elements a Key applies to.
type Domain uint8

// The domains, in document order.
const (
	Graph Domain = iota // graph-level metadata, written before any node
	Node
	Edge
)

// String returns "graph", "node" or "edge", the GraphML spelling of d.
func (d Domain) String() string {
	switch d {
	case Graph:
		return "graph"
	case Node:
		return "node"
	case Edge:
		return "edge"
	}
	return "domain(" + strconv.Itoa(int(d)) + ")"
}

// prefix returns the key-id prefix of d: "g_", "n_" or "e_".
func (d Domain) prefix() string { return d.String()[:1] + "_" }

// A Type is the declared type of a Key: one of the four GraphML types that
// every client reads the same way.
type Type uint8

// The attribute types. The zero Type marks a missing value in an Attr.
const (
	String  Type = iota + 1 // UTF-8 text (NFC, XML-illegal characters dropped)
	Int                     // integers within int32; wider ones must be declared Double or String
	Double                  // finite float64 (NaN and ±Inf are written as missing)
	Boolean                 // exactly true or false
)

// String returns the GraphML attr.type of t.
func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Int:
		return "int"
	case Double:
		return "double"
	case Boolean:
		return "boolean"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// A Key declares one attribute: its name, the domain it applies to and its type.
// All keys are declared before the first element is written.
type Key struct {
	Name   string // [a-z][a-z0-9_]*, not reserved (see ReservedNames)
	Domain Domain
	Type   Type
}

// ID returns the document-unique id of k: "g_", "n_" or "e_" followed by its name.
func (k Key) ID() string { return k.Domain.prefix() + k.Name }

// An Attr is one named, typed attribute value of a node, an edge or the graph.
// Build it with Str, Int64, Float, Bool, List or Figures. An Attr with a Name and
// no value (Attr{Name: "killed"}) is a missing value: it is skipped, like an
// empty string or a NaN.
type Attr struct {
	Name string
	kind Type
	s    string
	n    uint64 // int64 or float64 bits or bool
}

// Str returns a string attribute. An empty string is written as missing.
func Str(name, v string) Attr { return Attr{Name: name, kind: String, s: v} }

// Int64 returns an integer attribute. Its key must be declared Int (and v must
// then fit in int32), Double (v must be exact in a float64, |v| <= 2^53), or
// String (v is written in decimal).
func Int64(name string, v int64) Attr { return Attr{Name: name, kind: Int, n: uint64(v)} }

// Float returns a double attribute. NaN and ±Inf are written as missing, -0 as 0.
func Float(name string, v float64) Attr {
	return Attr{Name: name, kind: Double, n: math.Float64bits(v)}
}

// Bool returns a boolean attribute, written as true or false.
func Bool(name string, v bool) Attr {
	var n uint64
	if v {
		n = 1
	}
	return Attr{Name: name, kind: Boolean, n: n}
}

// Kind returns the type of the value a carries, or 0 if it is missing.
func (a Attr) Kind() Type { return a.kind }

// StringValue returns the value of a string attribute.
func (a Attr) StringValue() string { return a.s }

// IntValue returns the value of an integer attribute.
func (a Attr) IntValue() int64 { return int64(a.n) }

// FloatValue returns the value of a double attribute.
func (a Attr) FloatValue() float64 { return math.Float64frombits(a.n) }

// BoolValue returns the value of a boolean attribute.
func (a Attr) BoolValue() bool { return a.n != 0 }

// List returns a string attribute holding a set of strings (aliases, source ids)
// as a JSON array: cleaned (see Clean), sorted bytewise, de-duplicated, without
// spaces or HTML escaping, e.g. ["ISIS-K","ISKP"]. No values gives [] (known to
// be empty); to say "unknown", leave the attribute out.
func List(name string, values ...string) Attr {
	vs := make([]string, 0, len(values))
	for _, v := range values {
		if v = Clean(v); v != "" {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	vs = slices.Compact(vs)
	var b []byte
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSON(b, v)
	}
	b = append(b, ']')
	return Str(name, string(b))
}

// A Figure is one value of a number that sources may disagree on, such as a
// casualty count, with the ids of the sources that assert it. A plain
// figure is an exact Value of everyone the number counts. A figure that the
// source's words bound rather than name ("at least 137", "as many as 170
// civilians") has Text, the words as written, and Lower and Upper, the
// bounds (Open: no upper bound), and Of, whom it counts ("civilians"; empty
// for everyone); its Value is not used.
type Figure struct {
	Value   int64
	Sources []string
	Text    string
	Lower   int64
	Upper   int64
	Open    bool
	Of      string
}

// bounds returns the figure's fewest and most (hi is unused when open).
func (f Figure) bounds() (lo, hi int64, open bool) {
	if f.Text == "" {
		return f.Value, f.Value, false
	}
	return f.Lower, f.Upper, f.Open
}

func (f Figure) same(g Figure) bool {
	return f.Text == g.Text && f.Value == g.Value && f.Lower == g.Lower && f.Upper == g.Upper && f.Open == g.Open && f.Of == g.Of
}

// FigureKeys declares the three keys that Figures writes for name in d:
// name (string, the JSON list), name_min and name_max (typ, Int or Double).
func FigureKeys(name string, d Domain, typ Type) []Key {
	return []Key{
		{Name: name, Domain: d, Type: String},
		{Name: name + "_min", Domain: d, Type: typ},
		{Name: name + "_max", Domain: d, Type: typ},
	}
}

// Figures returns the attributes of a number that sources may disagree on.
// name holds every figure with its sources as a JSON array of objects
// sorted by lower bound: a plain figure is {"value":133,"sources":[...]},
// a bounded one {"text":"at least 137","lower":137,"upper":null,"sources":[...]}
// with "of" when it counts a part ("civilians"); equal figures are merged,
// sources sorted and de-duplicated. name_min is the fewest any figure
// allows; name_max the most any figure of everyone allows, missing when
// one has no upper bound or none counts everyone (a part bounds the whole
// from below only). No figures gives no attributes (missing).
func Figures(name string, figs ...Figure) []Attr {
	if len(figs) == 0 {
		return nil
	}
	fs := slices.Clone(figs)
	slices.SortStableFunc(fs, func(a, b Figure) int {
		alo, ahi, aopen := a.bounds()
		blo, bhi, bopen := b.bounds()
		if aopen {
			ahi = math.MaxInt64
		}
		if bopen {
			bhi = math.MaxInt64
		}
		return cmp.Or(cmp.Compare(alo, blo), cmp.Compare(ahi, bhi), strings.Compare(a.Of, b.Of), strings.Compare(a.Text, b.Text))
	})
	var b []byte
	b = append(b, '[')
	lo, hi := int64(math.MaxInt64), int64(-1)
	hiKnown := true
	for i := 0; i < len(fs); {
		j := i
		var src []string
		for ; j < len(fs) && fs[j].same(fs[i]); j++ {
			for _, s := range fs[j].Sources {
				if s = Clean(s); s != "" {
					src = append(src, s)
				}
			}
		}
		slices.Sort(src)
		src = slices.Compact(src)
		if i > 0 {
			b = append(b, ',')
		}
		f := fs[i]
		flo, fhi, open := f.bounds()
		lo = min(lo, flo)
		if f.Of == "" {
			hiKnown = hiKnown && !open
			hi = max(hi, fhi)
		}
		if f.Text == "" {
			b = append(b, `{"value":`...)
			b = strconv.AppendInt(b, f.Value, 10)
		} else {
			b = append(b, `{"text":`...)
			b = appendJSON(b, f.Text)
			b = append(b, `,"lower":`...)
			b = strconv.AppendInt(b, flo, 10)
			b = append(b, `,"upper":`...)
			if open {
				b = append(b, "null"...)
			} else {
				b = strconv.AppendInt(b, fhi, 10)
			}
			if f.Of != "" {
				b = append(b, `,"of":`...)
				b = appendJSON(b, f.Of)
			}
		}
		b = append(b, `,"sources":[`...)
		for k, s := range src {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, s)
		}
		b = append(b, "]}"...)
		i = j
	}
	b = append(b, ']')
	attrs := []Attr{Str(name, string(b)), Int64(name+"_min", lo)}
	if hiKnown && hi >= 0 {
		attrs = append(attrs, Int64(name+"_max", hi))
	}
	return attrs
}

// appendJSON appends s as a JSON string without HTML escaping.
func appendJSON(b []byte, s string) []byte {
	var buf strings.Builder
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	_ = e.Encode(s) // cannot fail for a string
	return append(b, strings.TrimSuffix(buf.String(), "\n")...)
}

// ReservedNames maps each attribute name that the encoders reject to the
// reason. Names outside [a-z][a-z0-9_]* (SUID, "shared name") are rejected by
// the syntax rule too; they are listed for the error message.
var ReservedNames = map[string]string{
	"id":                 "NetworkX overwrites edge 'id' with the XML edge id; igraph drops the XML ids",
	"name":               "igraph uses 'name' as the vertex index; Cytoscape overwrites its 'name' column",
	"source":             "collides with the endpoint columns of nx.to_pandas_edgelist and igraph; use 'provenance'",
	"target":             "collides with the endpoint columns of nx.to_pandas_edgelist and igraph",
	"weight":             "Gephi consumes it as the edge Weight and sums it when merging; allowed only as an edge double",
	"SUID":               "Cytoscape reserved column",
	"selected":           "Cytoscape reserved column",
	"shared name":        "Cytoscape reserved column",
	"interaction":        "Cytoscape edge-type column",
	"shared interaction": "Cytoscape reserved column",
	"x":                  "Gephi visual property",
	"y":                  "Gephi visual property",
	"z":                  "Gephi visual property",
	"size":               "Gephi visual property",
	"r":                  "Gephi visual property",
	"g":                  "Gephi visual property",
	"b":                  "Gephi visual property",
	"color":              "Gephi visual property",
	"xpos":               "Gephi visual property",
	"ypos":               "Gephi visual property",
	"zpos":               "Gephi visual property",
	"nodelabel":          "Gephi label alias",
	"edgelabel":          "Gephi label alias",
}

// Errors reported by the encoders, inside a *KeyError or *ValueError.
var (
	ErrBadName       = errors.New("attribute name must match [a-z][a-z0-9_]*")
	ErrReservedName  = errors.New("reserved attribute name")
	ErrDuplicateKey  = errors.New("duplicate key")
	ErrBadDomain     = errors.New("domain must be Graph, Node or Edge")
	ErrBadType       = errors.New("type must be String, Int, Double or Boolean")
	ErrUnknownAttr   = errors.New("attribute not declared")
	ErrDuplicateAttr = errors.New("attribute given twice")
	ErrTypeMismatch  = errors.New("value does not match the declared type")
	ErrIntRange      = errors.New("integer out of range for the declared type")
	ErrBadID         = errors.New("id must be a non-empty XML name token (letters, digits, '.', '-', '_', ':')")
	ErrOrder         = errors.New("elements out of order: graph data, then nodes, then edges")
	ErrClosed        = errors.New("export: encoder closed")
	ErrBadInterval   = errors.New("interval bound must be an ISO date: YYYY, YYYY-MM, YYYY-MM-DD or RFC 3339")
)

// A KeyError reports an invalid key declaration.
type KeyError struct {
	Key Key
	Err error
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("export: key %q (%s %s): %v", e.Key.Name, e.Key.Domain, e.Key.Type, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// A ValueError reports an element that cannot be written: a bad id, an
// undeclared attribute, or a value that does not fit its key.
type ValueError struct {
	Domain Domain
	ID     string // element id; empty for graph data
	Attr   string // attribute name; empty if the problem is the element itself
	Err    error
}

func (e *ValueError) Error() string {
	s := "export: " + e.Domain.String()
	if e.ID != "" {
		s += " " + strconv.Quote(e.ID)
	}
	if e.Attr != "" {
		s += " attribute " + strconv.Quote(e.Attr)
	}
	return s + ": " + e.Err.Error()
}

func (e *ValueError) Unwrap() error { return e.Err }

// CheckKeys reports the first problem with keys: a bad or reserved name, a
// name declared twice for one domain, an unknown domain or type.
func CheckKeys(keys []Key) error {
	seen := make(map[Key]bool, len(keys))
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return &KeyError{Key: k, Err: err}
		}
		id := Key{Name: k.Name, Domain: k.Domain}
		if seen[id] {
			return &KeyError{Key: k, Err: ErrDuplicateKey}
		}
		seen[id] = true
	}
	return nil
}

func checkKey(k Key) error {
	if k.Domain > Edge {
		return ErrBadDomain
	}
	if k.Type < String || k.Type > Boolean {
		return ErrBadType
	}
	if why, ok := ReservedNames[k.Name]; ok && !(k.Name == "weight" && k.Domain == Edge && k.Type == Double) {
		return fmt.Errorf("%w %q: %s", ErrReservedName, k.Name, why)
	}
	if !validName(k.Name) {
		return ErrBadName
	}
	return nil
}

func validName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// SortKeys sorts keys in document order: by domain (graph, node, edge), then
// by name bytewise. The encoders write keys, and each element's attributes,
// in this order whatever order they were given in.
func SortKeys(keys []Key) {
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), strings.Compare(a.Name, b.Name))
	})
}

// ValidID reports whether s can be written as a node or edge id: a non-empty
// XML name token (xs:NMTOKEN) made of letters, digits, '.', '-', '_' and ':'.
// The recommended form is [A-Za-z][A-Za-z0-9._-]* (see ID).
func ValidID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
				c == '.' || c == '-' || c == '_' || c == ':') {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
			return false
		}
		i += n
	}
	return true
}

// ID maps a knowledge-graph IRI such as "group:isis-k" to the recommended
// export id form "group-isis-k": every byte outside [A-Za-z0-9._-] becomes '-'
// and a leading non-letter gets an "x-" prefix. Distinct IRIs that differ only
// in such bytes map to the same id; the caller must keep its IRIs within
// [A-Za-z0-9._:-] (as the schema package does) for ID to be one-to-one.
func ID(iri string) string {
	b := []byte(iri)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) == 0 || !('a' <= b[0] && b[0] <= 'z' || 'A' <= b[0] && b[0] <= 'Z') {
		b = append([]byte("x-"), b...)
	}
	return string(b)
}

// An Encoder streams one graph. Graph, Node and Edge must be called in that
// order (graph data at most once, before any node; all nodes before any edge).
// Each method returns the first error so far, so checking Close is enough.
// After an error nothing more is written. Close does not close the writer.
//
// graphml.Encoder, gexf.Encoder and cytoscape.Encoder implement Encoder.
type Encoder interface {
	Graph(attrs ...Attr) error
	Node(id string, attrs ...Attr) error
	Edge(id, source, target string, attrs ...Attr) error
	Close() error
}

// EdgeID returns the stable id of the edge subject -predicate-> object
// (IRIs): "e-" and the first 16 hex digits of the SHA-256 of the three joined
// by U+001F. It depends on nothing else, so an edge keeps its id when its
// sources change.
func EdgeID(subject, predicate, object string) string {
	h := sha256.Sum256([]byte(subject + "\x1f" + predicate + "\x1f" + object))
	return "e-" + hex.EncodeToString(h[:8])
}

// Summary says what an export wrote.
type Summary struct {
	Nodes   int `json:"nodes"`             // entities written (graph formats, json)
	Edges   int `json:"edges"`             // relation edges written (graph formats)
	Quads   int `json:"quads"`             // quads written (nquads), or represented (json)
	Skipped int `json:"skipped,omitempty"` // quads left out because the format cannot hold them (json: other vocabularies; stix: NotExported's total)
	Objects int `json:"objects,omitempty"` // STIX objects written (stix)

	// NotExported counts what the format cannot hold, by reason (stix).
	NotExported map[string]int `json:"not_exported,omitempty"`
	// Marking is the most restrictive TLP marking of the sources the export
	// used (marking:tlp-amber...), Markings every marking they carry.
	Marking  string   `json:"marking,omitempty"`
	Markings []string `json:"markings,omitempty"`
}

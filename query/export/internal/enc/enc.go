// Package enc holds what the export encoders share: binding attributes to
// declared keys with the value rules of package export, a buffered writer
// with XML and JSON escaping and a sticky error, and the checks and state
// behind every export.Encoder method (Doc).
package enc

import (
	"bufio"
	"io"
	"math"
	"strconv"

	"github.com/threatgraph/threatgraph/query/export"
)

// A Schema is a validated, sorted set of keys that binds the attributes of one
// element to its keys.
type Schema struct {
	Keys [3][]export.Key // per domain, sorted by name
	IDs  [3][]string     // Keys[d][i].ID()
	idx  [3]map[string]int
	row  [3][]export.Attr
	seen [3][]bool
}

// NewSchema checks keys with export.CheckKeys and sorts a copy of them.
func NewSchema(keys []export.Key) (*Schema, error) {
	if err := export.CheckKeys(keys); err != nil {
		return nil, err
	}
	s := new(Schema)
	ks := append([]export.Key(nil), keys...)
	export.SortKeys(ks)
	for _, k := range ks {
		s.Keys[k.Domain] = append(s.Keys[k.Domain], k)
	}
	for d := range s.Keys {
		s.idx[d] = make(map[string]int, len(s.Keys[d]))
		for i, k := range s.Keys[d] {
			s.idx[d][k.Name] = i
			s.IDs[d] = append(s.IDs[d], k.ID())
		}
		s.row[d] = make([]export.Attr, len(s.Keys[d]))
		s.seen[d] = make([]bool, len(s.Keys[d]))
	}
	return s, nil
}

// Has reports whether d declares a key named name with type t, and its index.
func (s *Schema) Has(d export.Domain, name string, t export.Type) (int, bool) {
	i, ok := s.idx[d][name]
	return i, ok && s.Keys[d][i].Type == t
}

// Bind resolves attrs of the element id in domain d. It returns one Attr per
// key of d, in key order, with Kind 0 where the value is missing; present
// values are converted to the key's type (strings cleaned, NaN dropped, -0 made
// 0, ints widened). The returned slice is reused by the next call for d.
func (s *Schema) Bind(d export.Domain, id string, attrs []export.Attr) ([]export.Attr, error) {
	row, seen := s.row[d], s.seen[d]
	clear(row)
	clear(seen)
	for _, a := range attrs {
		i, ok := s.idx[d][a.Name]
		if !ok {
			return nil, &export.ValueError{Domain: d, ID: id, Attr: a.Name, Err: export.ErrUnknownAttr}
		}
		if seen[i] {
			return nil, &export.ValueError{Domain: d, ID: id, Attr: a.Name, Err: export.ErrDuplicateAttr}
		}
		seen[i] = true
		v, err := convert(a, s.Keys[d][i].Type)
		if err != nil {
			return nil, &export.ValueError{Domain: d, ID: id, Attr: a.Name, Err: err}
		}
		row[i] = v
	}
	return row, nil
}

const maxExact = 1 << 53

func convert(a export.Attr, t export.Type) (export.Attr, error) {
	missing := export.Attr{Name: a.Name}
	switch a.Kind() {
	case 0:
		return missing, nil
	case export.String:
		if t != export.String {
			break
		}
		v := export.Clean(a.StringValue())
		if v == "" {
			return missing, nil
		}
		return export.Str(a.Name, v), nil
	case export.Int:
		v := a.IntValue()
		switch t {
		case export.Int:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return missing, export.ErrIntRange
			}
			return a, nil
		case export.Double:
			if v < -maxExact || v > maxExact {
				return missing, export.ErrIntRange
			}
			return export.Float(a.Name, float64(v)), nil
		case export.String:
			return export.Str(a.Name, strconv.FormatInt(v, 10)), nil
		}
	case export.Double:
		if t != export.Double {
			break
		}
		v := a.FloatValue()
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return missing, nil
		}
		if v == 0 {
			return export.Float(a.Name, 0), nil
		}
		return a, nil
	case export.Boolean:
		if t == export.Boolean {
			return a, nil
		}
	}
	return missing, export.ErrTypeMismatch
}

// A Writer is a bufio.Writer that remembers the first error of the writer it
// wraps, with escaping helpers that write directly into the buffer.
type Writer struct {
	*bufio.Writer
	ew  *errWriter
	num []byte
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// BufferSize is the size of the write buffer.
const BufferSize = 64 << 10

// NewWriter returns a Writer over w.
func NewWriter(w io.Writer) *Writer {
	ew := &errWriter{w: w}
	return &Writer{Writer: bufio.NewWriterSize(ew, BufferSize), ew: ew, num: make([]byte, 0, 32)}
}

// Err returns the first error of the underlying writer.
func (w *Writer) Err() error { return w.ew.err }

// Lexical writes the canonical form of a non-string value: decimal ints,
// shortest round-trip doubles ('g' format), true or false.
func (w *Writer) Lexical(a export.Attr) {
	b := w.num[:0]
	switch a.Kind() {
	case export.Int:
		b = strconv.AppendInt(b, a.IntValue(), 10)
	case export.Double:
		b = strconv.AppendFloat(b, a.FloatValue(), 'g', -1, 64)
	case export.Boolean:
		b = strconv.AppendBool(b, a.BoolValue())
	}
	w.Write(b)
	w.num = b
}

// XMLText writes s escaped as XML character data: & < > and CR.
// Quotes stay literal so that JSON values remain readable.
func (w *Writer) XMLText(s string) { w.escape(s, &xmlText) }

// XMLAttr writes s escaped for a double-quoted XML attribute value:
// & < " and TAB, LF, CR (which attribute normalisation would turn into spaces).
func (w *Writer) XMLAttr(s string) { w.escape(s, &xmlAttr) }

var (
	xmlText = [256]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"}
	xmlAttr = [256]string{'&': "&amp;", '<': "&lt;", '"': "&quot;", '\t': "&#x9;", '\n': "&#xA;", '\r': "&#xD;"}
)

// escape writes s with every byte that has an entry in esc replaced by it.
func (w *Writer) escape(s string, esc *[256]string) {
	last := 0
	for i := 0; i < len(s); i++ {
		if e := esc[s[i]]; e != "" {
			w.WriteString(s[last:i])
			w.WriteString(e)
			last = i + 1
		}
	}
	w.WriteString(s[last:])
}

const hex = "0123456789abcdef"

// JSONString writes s as a quoted JSON string without HTML escaping; U+2028
// and U+2029 are escaped so that the output is also valid JavaScript.
func (w *Writer) JSONString(s string) {
	w.WriteByte('"')
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch {
		case c == '"':
			esc = `\"`
		case c == '\\':
			esc = `\\`
		case c == '\n':
			esc = `\n`
		case c == '\r':
			esc = `\r`
		case c == '\t':
			esc = `\t`
		case c < 0x20:
			esc = `\u00` + string(hex[c>>4]) + string(hex[c&0xF])
		case c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9):
			w.WriteString(s[last:i])
			if s[i+2] == 0xA8 {
				w.WriteString(`\u2028`)
			} else {
				w.WriteString(`\u2029`)
			}
			i += 2
			last = i + 1
			continue
		default:
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		last = i + 1
	}
	w.WriteString(s[last:])
	w.WriteByte('"')
}

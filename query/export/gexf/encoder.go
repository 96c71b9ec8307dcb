package gexf

import (
	"io"
	"time"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/internal/enc"
)

const header = `<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">
  <meta>
    <creator>threatgraph</creator>
`

// special holds, per domain, the index in the row of the keys that become XML
// attributes of the element instead of <attvalue>s (-1 if not declared).
type special struct {
	label, start, end, weight int
}

// An Encoder writes one GEXF 1.2 document to a stream. It implements
// export.Encoder; see that interface for the calling contract.
type Encoder struct {
	d  enc.Doc // Stage enc.Start: nothing written; Nodes: <nodes> open; Edges: <edges> open
	sp [3]special
}

var _ export.Encoder = (*Encoder)(nil)

// NewEncoder returns an Encoder that writes to w with the given keys, checked
// by export.CheckKeys. If the keys are invalid, nothing is written and every
// method returns the *export.KeyError. Output is buffered; call Close to
// flush it.
func NewEncoder(w io.Writer, keys []export.Key) *Encoder {
	e := &Encoder{d: enc.NewDoc(w, keys)}
	if e.d.Err() != nil {
		return e
	}
	for _, d := range []export.Domain{export.Node, export.Edge} {
		sp := special{-1, -1, -1, -1}
		if i, ok := e.d.S.Has(d, "label", export.String); ok {
			sp.label = i
		} else if i, ok := e.d.S.Has(d, "predicate", export.String); ok && d == export.Edge {
			sp.label = i
		}
		if i, ok := e.d.S.Has(d, "start", export.String); ok {
			sp.start = i
		}
		if i, ok := e.d.S.Has(d, "end", export.String); ok {
			sp.end = i
		}
		if i, ok := e.d.S.Has(d, "weight", export.Double); ok && d == export.Edge {
			sp.weight = i
		}
		e.sp[d] = sp
	}
	return e
}

func (e *Encoder) dynamic() bool {
	for _, sp := range e.sp[export.Node:] {
		if sp.start >= 0 || sp.end >= 0 {
			return true
		}
	}
	return false
}

// open writes the document up to <nodes>, with graph-level data, if any, as
// "name=value" lines in the description.
func (e *Encoder) open(graph []export.Attr) {
	e.d.W.WriteString(header)
	first := true
	for i, a := range graph {
		if a.Kind() == 0 {
			continue
		}
		if first {
			e.d.W.WriteString("    <description>")
			first = false
		} else {
			e.d.W.WriteString("; ")
		}
		e.d.W.WriteString(e.d.S.Keys[export.Graph][i].Name)
		e.d.W.WriteByte('=')
		if a.Kind() == export.String {
			e.d.W.XMLText(a.StringValue())
		} else {
			e.d.W.Lexical(a)
		}
	}
	if !first {
		e.d.W.WriteString("</description>\n")
	}
	e.d.W.WriteString("  </meta>\n")
	if e.dynamic() {
		e.d.W.WriteString("  <graph mode=\"dynamic\" defaultedgetype=\"directed\" timeformat=\"date\">\n")
	} else {
		e.d.W.WriteString("  <graph mode=\"static\" defaultedgetype=\"directed\">\n")
	}
	for _, d := range []export.Domain{export.Node, export.Edge} {
		sp := e.sp[d]
		first := true
		for i, k := range e.d.S.Keys[d] {
			if i == sp.start || i == sp.end || i == sp.weight || i == sp.label && k.Name == "label" {
				continue
			}
			if first {
				e.d.W.WriteString("    <attributes class=\"")
				e.d.W.WriteString(d.String())
				e.d.W.WriteString("\" mode=\"static\">\n")
				first = false
			}
			e.d.W.WriteString(`      <attribute id="`)
			e.d.W.WriteString(e.d.S.IDs[d][i])
			e.d.W.WriteString(`" title="`)
			e.d.W.WriteString(k.Name)
			e.d.W.WriteString(`" type="`)
			e.d.W.WriteString(gexfType[k.Type])
			e.d.W.WriteString("\"/>\n")
		}
		if !first {
			e.d.W.WriteString("    </attributes>\n")
		}
	}
	e.d.W.WriteString("    <nodes>\n")
	e.d.Stage = enc.Nodes
}

var gexfType = [...]string{export.String: "string", export.Int: "integer", export.Double: "double", export.Boolean: "boolean"}

// Graph writes graph-level data into the <meta> description. It may be
// called once, before any node.
func (e *Encoder) Graph(attrs ...export.Attr) error {
	row, err := e.d.Graph(attrs)
	if err != nil {
		return err
	}
	e.open(row)
	return e.d.Check()
}

// Node writes one node. A "label" string key becomes the node label; "start"
// and "end" string keys become its time interval (see package doc).
func (e *Encoder) Node(id string, attrs ...export.Attr) error {
	row, err := e.d.Node(id, attrs)
	if err != nil {
		return err
	}
	start, end, err := e.interval(export.Node, id, row)
	if err != nil {
		return e.d.Fail(err)
	}
	if e.d.Stage == enc.Start {
		e.open(nil)
	}
	e.d.W.WriteString(`      <node id="`)
	e.d.W.WriteString(id)
	e.element("node", export.Node, row, start, end)
	return e.d.Check()
}

// Edge writes one directed edge. A "label" string key (or else "predicate")
// becomes the edge label, a "weight" double its weight, and "start" and "end"
// its time interval. Ids must be unique and endpoints written nodes; the
// encoder does not check either.
func (e *Encoder) Edge(id, source, target string, attrs ...export.Attr) error {
	row, err := e.d.Edge(id, source, target, attrs)
	if err != nil {
		return err
	}
	start, end, err := e.interval(export.Edge, id, row)
	if err != nil {
		return e.d.Fail(err)
	}
	switch e.d.Stage {
	case enc.Start:
		e.open(nil)
		fallthrough
	case enc.Nodes:
		e.d.W.WriteString("    </nodes>\n    <edges>\n")
		e.d.Stage = enc.Edges
	}
	e.d.W.WriteString(`      <edge id="`)
	e.d.W.WriteString(id)
	e.d.W.WriteString(`" source="`)
	e.d.W.WriteString(source)
	e.d.W.WriteString(`" target="`)
	e.d.W.WriteString(target)
	e.element("edge", export.Edge, row, start, end)
	return e.d.Check()
}

// interval converts the start and end values of row to GEXF dates.
func (e *Encoder) interval(d export.Domain, id string, row []export.Attr) (start, end string, err error) {
	sp := e.sp[d]
	if sp.start >= 0 && row[sp.start].Kind() != 0 {
		if start, err = Date(row[sp.start].StringValue(), false); err != nil {
			return "", "", &export.ValueError{Domain: d, ID: id, Attr: "start", Err: err}
		}
	}
	if sp.end >= 0 && row[sp.end].Kind() != 0 {
		if end, err = Date(row[sp.end].StringValue(), true); err != nil {
			return "", "", &export.ValueError{Domain: d, ID: id, Attr: "end", Err: err}
		}
	}
	if start != "" && end != "" && end < start {
		return "", "", &export.ValueError{Domain: d, ID: id, Attr: "end", Err: export.ErrBadInterval}
	}
	return start, end, nil
}

// Date converts an ISO 8601 date of year, month or day precision, or an RFC
// 3339 timestamp, to a GEXF date (YYYY-MM-DD): the first day of the period
// for a start, the last for an end. Timestamps are truncated to their UTC date.
func Date(s string, end bool) (string, error) {
	layouts := [...]string{"2006", "2006-01", "2006-01-02"}
	for i, l := range layouts {
		if len(s) != len(l) {
			continue
		}
		t, err := time.Parse(l, s)
		if err != nil {
			break
		}
		if end {
			switch i {
			case 0:
				t = t.AddDate(1, 0, -1)
			case 1:
				t = t.AddDate(0, 1, -1)
			}
		}
		return t.Format("2006-01-02"), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format("2006-01-02"), nil
	}
	return "", export.ErrBadInterval
}

func (e *Encoder) element(tag string, d export.Domain, row []export.Attr, start, end string) {
	sp := e.sp[d]
	if sp.label >= 0 && row[sp.label].Kind() != 0 {
		e.d.W.WriteString(`" label="`)
		e.d.W.XMLAttr(row[sp.label].StringValue())
	}
	if sp.weight >= 0 && row[sp.weight].Kind() != 0 {
		e.d.W.WriteString(`" weight="`)
		e.d.W.Lexical(row[sp.weight])
	}
	if start != "" {
		e.d.W.WriteString(`" start="`)
		e.d.W.WriteString(start)
	}
	if end != "" {
		e.d.W.WriteString(`" end="`)
		e.d.W.WriteString(end)
	}
	n := 0
	for i, a := range row {
		if a.Kind() == 0 || i == sp.start || i == sp.end || i == sp.weight || i == sp.label && e.d.S.Keys[d][i].Name == "label" {
			continue
		}
		if n == 0 {
			e.d.W.WriteString("\">\n        <attvalues>\n")
		}
		n++
		e.d.W.WriteString(`          <attvalue for="`)
		e.d.W.WriteString(e.d.S.IDs[d][i])
		e.d.W.WriteString(`" value="`)
		if a.Kind() == export.String {
			e.d.W.XMLAttr(a.StringValue())
		} else {
			e.d.W.Lexical(a)
		}
		e.d.W.WriteString("\"/>\n")
	}
	if n == 0 {
		e.d.W.WriteString("\"/>\n")
		return
	}
	e.d.W.WriteString("        </attvalues>\n      </")
	e.d.W.WriteString(tag)
	e.d.W.WriteString(">\n")
}

// Close ends the document and flushes it. It returns the first error of any
// call, or of writing; it does not close the underlying writer.
func (e *Encoder) Close() error {
	if err := e.d.Err(); err != nil {
		return err
	}
	switch e.d.Stage {
	case enc.Start:
		e.open(nil)
		fallthrough
	case enc.Nodes:
		e.d.W.WriteString("    </nodes>\n    <edges>\n")
	}
	e.d.W.WriteString("    </edges>\n  </graph>\n</gexf>\n")
	return e.d.Close()
}

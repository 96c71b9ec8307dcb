package graphml

import (
	"io"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/internal/enc"
)

// Header is the XML declaration and root element that every document starts with.
const Header = `<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
`

// An Encoder writes one GraphML document to a stream. It implements
// export.Encoder; see that interface for the calling contract.
type Encoder struct {
	d enc.Doc
}

var _ export.Encoder = (*Encoder)(nil)

// NewEncoder returns an Encoder that writes to w with the given keys,
// which are checked (export.CheckKeys) and written sorted. If the keys are
// invalid, nothing is written and every method returns the *export.KeyError.
// Output is buffered; call Close to flush it.
func NewEncoder(w io.Writer, keys []export.Key) *Encoder {
	e := &Encoder{d: enc.NewDoc(w, keys)}
	if e.d.Err() != nil {
		return e
	}
	e.d.W.WriteString(Header)
	for d := range e.d.S.Keys {
		for _, k := range e.d.S.Keys[d] {
			e.d.W.WriteString(`  <key id="`)
			e.d.W.WriteString(k.ID())
			e.d.W.WriteString(`" for="`)
			e.d.W.WriteString(k.Domain.String())
			e.d.W.WriteString(`" attr.name="`)
			e.d.W.WriteString(k.Name)
			e.d.W.WriteString(`" attr.type="`)
			e.d.W.WriteString(k.Type.String())
			e.d.W.WriteString("\"/>\n")
		}
	}
	e.d.W.WriteString("  <graph id=\"G\" edgedefault=\"directed\">\n")
	return e
}

// Graph writes graph-level data (metadata such as a schema version or a
// caller-supplied snapshot id). It may be called once, before any node.
func (e *Encoder) Graph(attrs ...export.Attr) error {
	row, err := e.d.Graph(attrs)
	if err != nil {
		return err
	}
	e.d.Stage = enc.Nodes
	e.data(export.Graph, row, "    ")
	return e.d.Check()
}

// Node writes one node. All nodes must be written before the first edge.
func (e *Encoder) Node(id string, attrs ...export.Attr) error {
	row, err := e.d.Node(id, attrs)
	if err != nil {
		return err
	}
	e.d.Stage = enc.Nodes
	e.d.W.WriteString(`    <node id="`)
	e.d.W.WriteString(id)
	e.element("node", export.Node, row)
	return e.d.Check()
}

// Edge writes one directed edge from source to target. Its id must be unique
// in the document and source and target must be written nodes; the encoder
// does not check either (that would take memory proportional to the graph).
func (e *Encoder) Edge(id, source, target string, attrs ...export.Attr) error {
	row, err := e.d.Edge(id, source, target, attrs)
	if err != nil {
		return err
	}
	e.d.Stage = enc.Edges
	e.d.W.WriteString(`    <edge id="`)
	e.d.W.WriteString(id)
	e.d.W.WriteString(`" source="`)
	e.d.W.WriteString(source)
	e.d.W.WriteString(`" target="`)
	e.d.W.WriteString(target)
	e.element("edge", export.Edge, row)
	return e.d.Check()
}

// element finishes the start tag of a node or edge, then writes its data and
// end tag, or closes it as an empty element.
func (e *Encoder) element(tag string, d export.Domain, row []export.Attr) {
	empty := true
	for _, a := range row {
		if a.Kind() != 0 {
			empty = false
			break
		}
	}
	if empty {
		e.d.W.WriteString("\"/>\n")
		return
	}
	e.d.W.WriteString("\">\n")
	e.data(d, row, "      ")
	e.d.W.WriteString("    </")
	e.d.W.WriteString(tag)
	e.d.W.WriteString(">\n")
}

func (e *Encoder) data(d export.Domain, row []export.Attr, indent string) {
	ids := e.d.S.IDs[d]
	for i, a := range row {
		if a.Kind() == 0 {
			continue
		}
		e.d.W.WriteString(indent)
		e.d.W.WriteString(`<data key="`)
		e.d.W.WriteString(ids[i])
		e.d.W.WriteString(`">`)
		if a.Kind() == export.String {
			e.d.W.XMLText(a.StringValue())
		} else {
			e.d.W.Lexical(a)
		}
		e.d.W.WriteString("</data>\n")
	}
}

// Close ends the document and flushes it. It returns the first error of any
// call, or of writing; it does not close the underlying writer.
func (e *Encoder) Close() error {
	if err := e.d.Err(); err != nil {
		return err
	}
	e.d.W.WriteString("  </graph>\n</graphml>\n")
	return e.d.Close()
}

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

const (
	stateGraph = iota // <graph> open, graph data allowed
	stateNodes        // graph data written or first node written
	stateEdges        // first edge written
	stateClosed
)

// An Encoder writes one GraphML document to a stream. It implements
// export.Encoder; see that interface for the calling contract.
type Encoder struct {
	w     *enc.Writer
	s     *enc.Schema
	state int
	err   error
}

var _ export.Encoder = (*Encoder)(nil)

// NewEncoder returns an Encoder that writes to w with the given keys,
// which are checked (export.CheckKeys) and written sorted. If the keys are
// invalid, nothing is written and every method returns the *export.KeyError.
// Output is buffered; call Close to flush it.
func NewEncoder(w io.Writer, keys []export.Key) *Encoder {
	e := &Encoder{w: enc.NewWriter(w)}
	e.s, e.err = enc.NewSchema(keys)
	if e.err != nil {
		return e
	}
	e.w.WriteString(Header)
	for d := range e.s.Keys {
		for _, k := range e.s.Keys[d] {
			e.w.WriteString(`  <key id="`)
			e.w.WriteString(k.ID())
			e.w.WriteString(`" for="`)
			e.w.WriteString(k.Domain.String())
			e.w.WriteString(`" attr.name="`)
			e.w.WriteString(k.Name)
			e.w.WriteString(`" attr.type="`)
			e.w.WriteString(k.Type.String())
			e.w.WriteString("\"/>\n")
		}
	}
	e.w.WriteString("  <graph id=\"G\" edgedefault=\"directed\">\n")
	return e
}

// Graph writes graph-level data (metadata such as a schema version or a
// caller-supplied snapshot id). It may be called once, before any node.
func (e *Encoder) Graph(attrs ...export.Attr) error {
	if e.err != nil {
		return e.err
	}
	if e.state != stateGraph {
		return e.fail(&export.ValueError{Domain: export.Graph, Err: export.ErrOrder})
	}
	row, err := e.s.Bind(export.Graph, "", attrs)
	if err != nil {
		return e.fail(err)
	}
	e.state = stateNodes
	e.data(export.Graph, row, "    ")
	return e.check()
}

// Node writes one node. All nodes must be written before the first edge.
func (e *Encoder) Node(id string, attrs ...export.Attr) error {
	if e.err != nil {
		return e.err
	}
	if e.state > stateNodes {
		return e.fail(&export.ValueError{Domain: export.Node, ID: id, Err: export.ErrOrder})
	}
	if !export.ValidID(id) {
		return e.fail(&export.ValueError{Domain: export.Node, ID: id, Err: export.ErrBadID})
	}
	row, err := e.s.Bind(export.Node, id, attrs)
	if err != nil {
		return e.fail(err)
	}
	e.state = stateNodes
	e.w.WriteString(`    <node id="`)
	e.w.WriteString(id)
	e.element("node", export.Node, row)
	return e.check()
}

// Edge writes one directed edge from source to target. Its id must be unique
// in the document and source and target must be written nodes; the encoder
// does not check either (that would take memory proportional to the graph).
func (e *Encoder) Edge(id, source, target string, attrs ...export.Attr) error {
	if e.err != nil {
		return e.err
	}
	if e.state > stateEdges {
		return e.fail(export.ErrClosed)
	}
	for _, s := range [...]string{id, source, target} {
		if !export.ValidID(s) {
			return e.fail(&export.ValueError{Domain: export.Edge, ID: s, Err: export.ErrBadID})
		}
	}
	row, err := e.s.Bind(export.Edge, id, attrs)
	if err != nil {
		return e.fail(err)
	}
	e.state = stateEdges
	e.w.WriteString(`    <edge id="`)
	e.w.WriteString(id)
	e.w.WriteString(`" source="`)
	e.w.WriteString(source)
	e.w.WriteString(`" target="`)
	e.w.WriteString(target)
	e.element("edge", export.Edge, row)
	return e.check()
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
		e.w.WriteString("\"/>\n")
		return
	}
	e.w.WriteString("\">\n")
	e.data(d, row, "      ")
	e.w.WriteString("    </")
	e.w.WriteString(tag)
	e.w.WriteString(">\n")
}

func (e *Encoder) data(d export.Domain, row []export.Attr, indent string) {
	ids := e.s.IDs[d]
	for i, a := range row {
		if a.Kind() == 0 {
			continue
		}
		e.w.WriteString(indent)
		e.w.WriteString(`<data key="`)
		e.w.WriteString(ids[i])
		e.w.WriteString(`">`)
		if a.Kind() == export.String {
			e.w.XMLText(a.StringValue())
		} else {
			e.w.Lexical(a)
		}
		e.w.WriteString("</data>\n")
	}
}

// Close ends the document and flushes it. It returns the first error of any
// call, or of writing; it does not close the underlying writer.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	e.w.WriteString("  </graph>\n</graphml>\n")
	if err := e.w.Flush(); err != nil {
		return e.fail(err)
	}
	e.state = stateClosed
	e.err = export.ErrClosed
	return nil
}

func (e *Encoder) check() error {
	if err := e.w.Err(); err != nil {
		return e.fail(err)
	}
	return nil
}

func (e *Encoder) fail(err error) error {
	if e.err == nil {
		e.err = err
	}
	return e.err
}

package cytoscape

import (
	"io"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/internal/enc"
)

const (
	stateStart = iota // nothing written
	stateNodes        // "nodes":[ open
	stateEdges        // "edges":[ open
	stateClosed
)

// An Encoder writes one Cytoscape.js JSON document to a stream. It
// implements export.Encoder; see that interface for the calling contract.
type Encoder struct {
	w     *enc.Writer
	s     *enc.Schema
	state int
	first bool // no element written yet in the open array
	err   error
}

var _ export.Encoder = (*Encoder)(nil)

// NewEncoder returns an Encoder that writes to w with the given keys, checked
// by export.CheckKeys. If the keys are invalid, nothing is written and every
// method returns the *export.KeyError. Output is buffered; call Close to
// flush it.
func NewEncoder(w io.Writer, keys []export.Key) *Encoder {
	e := &Encoder{w: enc.NewWriter(w)}
	e.s, e.err = enc.NewSchema(keys)
	return e
}

// open writes the document up to the nodes array, with graph data, if any,
// as the top-level "data" object (Cytoscape's network table).
func (e *Encoder) open(graph []export.Attr) {
	e.w.WriteByte('{')
	if graph != nil {
		e.w.WriteString(`"data":{`)
		e.fields(export.Graph, graph, true)
		e.w.WriteString("},\n")
	}
	e.w.WriteString(`"elements":{"nodes":[`)
	e.state = stateNodes
	e.first = true
}

// fields writes the present values of row as JSON members.
func (e *Encoder) fields(d export.Domain, row []export.Attr, first bool) {
	for i, a := range row {
		if a.Kind() == 0 {
			continue
		}
		if !first {
			e.w.WriteByte(',')
		}
		first = false
		e.w.WriteByte('"')
		e.w.WriteString(e.s.Keys[d][i].Name)
		e.w.WriteString(`":`)
		if a.Kind() == export.String {
			e.w.JSONString(a.StringValue())
		} else {
			e.w.Lexical(a)
		}
	}
}

// Graph writes graph-level data as the top-level "data" object. It may be
// called once, before any node.
func (e *Encoder) Graph(attrs ...export.Attr) error {
	if e.err != nil {
		return e.err
	}
	if e.state != stateStart {
		return e.fail(&export.ValueError{Domain: export.Graph, Err: export.ErrOrder})
	}
	row, err := e.s.Bind(export.Graph, "", attrs)
	if err != nil {
		return e.fail(err)
	}
	e.open(row)
	return e.check()
}

func (e *Encoder) sep() {
	if e.first {
		e.w.WriteString("\n")
		e.first = false
	} else {
		e.w.WriteString(",\n")
	}
}

// Node writes one node as {"data":{"id":ID,...}}.
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
	if e.state == stateStart {
		e.open(nil)
	}
	e.sep()
	e.w.WriteString(`{"data":{"id":`)
	e.w.JSONString(id)
	e.fields(export.Node, row, false)
	e.w.WriteString("}}")
	return e.check()
}

// Edge writes one edge as {"data":{"id":ID,"source":S,"target":T,...}}. Ids
// must be unique and endpoints written nodes (Cytoscape.js refuses an edge to
// a missing node); the encoder does not check either.
func (e *Encoder) Edge(id, source, target string, attrs ...export.Attr) error {
	if e.err != nil {
		return e.err
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
	e.toEdges()
	e.sep()
	e.w.WriteString(`{"data":{"id":`)
	e.w.JSONString(id)
	e.w.WriteString(`,"source":`)
	e.w.JSONString(source)
	e.w.WriteString(`,"target":`)
	e.w.JSONString(target)
	e.fields(export.Edge, row, false)
	e.w.WriteString("}}")
	return e.check()
}

func (e *Encoder) toEdges() {
	switch e.state {
	case stateStart:
		e.open(nil)
		fallthrough
	case stateNodes:
		if !e.first {
			e.w.WriteByte('\n')
		}
		e.w.WriteString(`],"edges":[`)
		e.state = stateEdges
		e.first = true
	}
}

// Close ends the document and flushes it. It returns the first error of any
// call, or of writing; it does not close the underlying writer.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	e.toEdges()
	if !e.first {
		e.w.WriteByte('\n')
	}
	e.w.WriteString("]}}\n")
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

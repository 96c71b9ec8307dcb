package cytoscape

import (
	"io"

	"github.com/threatgraph/threatgraph/query/export"
	"github.com/threatgraph/threatgraph/query/export/internal/enc"
)

// An Encoder writes one Cytoscape.js JSON document to a stream. It
// implements export.Encoder; see that interface for the calling contract.
type Encoder struct {
	d     enc.Doc // Stage enc.Start: nothing written; Nodes: "nodes":[ open; Edges: "edges":[ open
	first bool    // no element written yet in the open array
}

var _ export.Encoder = (*Encoder)(nil)

// NewEncoder returns an Encoder that writes to w with the given keys, checked
// by export.CheckKeys. If the keys are invalid, nothing is written and every
// method returns the *export.KeyError. Output is buffered; call Close to
// flush it.
func NewEncoder(w io.Writer, keys []export.Key) *Encoder {
	return &Encoder{d: enc.NewDoc(w, keys)}
}

// open writes the document up to the nodes array, with graph data, if any,
// as the top-level "data" object (Cytoscape's network table).
func (e *Encoder) open(graph []export.Attr) {
	e.d.W.WriteByte('{')
	if graph != nil {
		e.d.W.WriteString(`"data":{`)
		e.fields(export.Graph, graph, true)
		e.d.W.WriteString("},\n")
	}
	e.d.W.WriteString(`"elements":{"nodes":[`)
	e.d.Stage = enc.Nodes
	e.first = true
}

// fields writes the present values of row as JSON members.
func (e *Encoder) fields(d export.Domain, row []export.Attr, first bool) {
	for i, a := range row {
		if a.Kind() == 0 {
			continue
		}
		if !first {
			e.d.W.WriteByte(',')
		}
		first = false
		e.d.W.WriteByte('"')
		e.d.W.WriteString(e.d.S.Keys[d][i].Name)
		e.d.W.WriteString(`":`)
		if a.Kind() == export.String {
			e.d.W.JSONString(a.StringValue())
		} else {
			e.d.W.Lexical(a)
		}
	}
}

// Graph writes graph-level data as the top-level "data" object. It may be
// called once, before any node.
func (e *Encoder) Graph(attrs ...export.Attr) error {
	row, err := e.d.Graph(attrs)
	if err != nil {
		return err
	}
	e.open(row)
	return e.d.Check()
}

func (e *Encoder) sep() {
	if e.first {
		e.d.W.WriteString("\n")
		e.first = false
	} else {
		e.d.W.WriteString(",\n")
	}
}

// Node writes one node as {"data":{"id":ID,...}}.
func (e *Encoder) Node(id string, attrs ...export.Attr) error {
	row, err := e.d.Node(id, attrs)
	if err != nil {
		return err
	}
	if e.d.Stage == enc.Start {
		e.open(nil)
	}
	e.sep()
	e.d.W.WriteString(`{"data":{"id":`)
	e.d.W.JSONString(id)
	e.fields(export.Node, row, false)
	e.d.W.WriteString("}}")
	return e.d.Check()
}

// Edge writes one edge as {"data":{"id":ID,"source":S,"target":T,...}}. Ids
// must be unique and endpoints written nodes (Cytoscape.js refuses an edge to
// a missing node); the encoder does not check either.
func (e *Encoder) Edge(id, source, target string, attrs ...export.Attr) error {
	row, err := e.d.Edge(id, source, target, attrs)
	if err != nil {
		return err
	}
	e.toEdges()
	e.sep()
	e.d.W.WriteString(`{"data":{"id":`)
	e.d.W.JSONString(id)
	e.d.W.WriteString(`,"source":`)
	e.d.W.JSONString(source)
	e.d.W.WriteString(`,"target":`)
	e.d.W.JSONString(target)
	e.fields(export.Edge, row, false)
	e.d.W.WriteString("}}")
	return e.d.Check()
}

func (e *Encoder) toEdges() {
	switch e.d.Stage {
	case enc.Start:
		e.open(nil)
		fallthrough
	case enc.Nodes:
		if !e.first {
			e.d.W.WriteByte('\n')
		}
		e.d.W.WriteString(`],"edges":[`)
		e.d.Stage = enc.Edges
		e.first = true
	}
}

// Close ends the document and flushes it. It returns the first error of any
// call, or of writing; it does not close the underlying writer.
func (e *Encoder) Close() error {
	if err := e.d.Err(); err != nil {
		return err
	}
	e.toEdges()
	if !e.first {
		e.d.W.WriteByte('\n')
	}
	e.d.W.WriteString("]}}\n")
	return e.d.Close()
}

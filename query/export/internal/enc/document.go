package enc

import (
	"io"

	"github.com/threatgraph/threatgraph/query/export"
)

// Stages of a document, in the order export.Encoder's contract allows.
const (
	Start = iota // no graph data, node or edge yet: graph data allowed
	Nodes        // graph data or a node written: nodes allowed
	Edges        // an edge written: only edges allowed
)

// A Doc is what an encoder keeps of the document it writes: the writer, the
// schema, the stage reached, and the first error of any call or of writing,
// which every later call returns.
type Doc struct {
	W     *Writer
	S     *Schema
	Stage int
	err   error
}

// NewDoc returns a Doc over w with the given keys, checked by NewSchema; if
// they are invalid, every call returns the *export.KeyError.
func NewDoc(w io.Writer, keys []export.Key) Doc {
	d := Doc{W: NewWriter(w)}
	d.S, d.err = NewSchema(keys)
	return d
}

// Err returns the first error.
func (d *Doc) Err() error { return d.err }

// Graph binds graph-level attrs, which must come before any node.
func (d *Doc) Graph(attrs []export.Attr) ([]export.Attr, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.Stage != Start {
		return nil, d.Fail(&export.ValueError{Domain: export.Graph, Err: export.ErrOrder})
	}
	return d.bind(export.Graph, "", attrs)
}

// Node checks node id and binds its attrs; nodes must come before edges.
func (d *Doc) Node(id string, attrs []export.Attr) ([]export.Attr, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.Stage > Nodes {
		return nil, d.Fail(&export.ValueError{Domain: export.Node, ID: id, Err: export.ErrOrder})
	}
	if !export.ValidID(id) {
		return nil, d.Fail(&export.ValueError{Domain: export.Node, ID: id, Err: export.ErrBadID})
	}
	return d.bind(export.Node, id, attrs)
}

// Edge checks the ids of an edge and binds its attrs.
func (d *Doc) Edge(id, source, target string, attrs []export.Attr) ([]export.Attr, error) {
	if d.err != nil {
		return nil, d.err
	}
	for _, s := range [...]string{id, source, target} {
		if !export.ValidID(s) {
			return nil, d.Fail(&export.ValueError{Domain: export.Edge, ID: s, Err: export.ErrBadID})
		}
	}
	return d.bind(export.Edge, id, attrs)
}

func (d *Doc) bind(dom export.Domain, id string, attrs []export.Attr) ([]export.Attr, error) {
	row, err := d.S.Bind(dom, id, attrs)
	if err != nil {
		return nil, d.Fail(err)
	}
	return row, nil
}

// Check returns the first error of writing, if any, and keeps it.
func (d *Doc) Check() error {
	if err := d.W.Err(); err != nil {
		return d.Fail(err)
	}
	return nil
}

// Fail keeps err unless an error came first, and returns the first error.
func (d *Doc) Fail(err error) error {
	if d.err == nil {
		d.err = err
	}
	return d.err
}

// Close flushes the document, after which every call returns
// export.ErrClosed. It does not close the underlying writer.
func (d *Doc) Close() error {
	if err := d.W.Flush(); err != nil {
		return d.Fail(err)
	}
	d.err = export.ErrClosed
	return nil
}

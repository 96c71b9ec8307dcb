package query

// What the external tests (package query_test) read of a View, whose
// fields are unexported.

func (v *View) IDs() []string       { return v.keys }
func (v *View) Name(n int32) string { return v.names[n] }
func (v *View) RowCount() int       { return len(v.rows) }
func (v *View) QuadCount() int64    { return v.quads }

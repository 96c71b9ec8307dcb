package ingest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"
	"gopkg.in/yaml.v3"

	"github.com/threatgraph/threatgraph/schema"
)

// identity reads one item of identities: a source's word that two ids name
// one entity ({same: [A, B], source, reason, date}) or two distinct ones
// ({different: [A, B], ...}). It becomes the quads of an identity node
// labelled with the identity's statement (schema.IdentityLabel); Load
// checks that both ids exist, that they are of one kind and not Sources,
// and that the source is a declared Source.
func (d *decoder) identity(idx int, n *yaml.Node) {
	where := fmt.Sprintf("identities[%d]", idx)
	rec := &Record{File: d.file, Line: n.Line, Where: where, ptr: "/identities/" + strconv.Itoa(idx)}
	d.records = append(d.records, rec)
	if n.Kind != yaml.MappingNode {
		rec.Errs.Addf(d.file, n.Line, where, "is a %s (expected a mapping with same or different, source and reason)", nodeKind(n))
		return
	}
	d.duplicateKeys(rec, where, n)
	var verb, reason, date string
	var ids [2]string
	var idLines [2]int
	src, srcLine := d.source, n.Line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := where + "." + k.Value
		switch k.Value {
		case schema.Same, schema.Different:
			if verb != "" {
				rec.Errs.Addf(d.file, k.Line, field, "%s and %s together (expected one of them: an identity says either that two ids are one entity or that they are two)", verb, k.Value)
				continue
			}
			verb = k.Value
			if v.Kind != yaml.SequenceNode || len(v.Content) != 2 {
				rec.Errs.Addf(d.file, v.Line, field, "is a %s (expected a list of two ids, such as [group:a, group:b])", describeList(v))
				continue
			}
			for j, x := range v.Content {
				if err := checkIDNode(x); err != nil {
					rec.Errs.Add(d.file, x.Line, fmt.Sprintf("%s[%d]", field, j), err)
					continue
				}
				ids[j], idLines[j] = x.Value, x.Line
			}
			if ids[0] != "" && ids[0] == ids[1] {
				rec.Errs.Addf(d.file, v.Content[1].Line, field+"[1]", "%s twice (expected two different ids)", ids[0])
				ids = [2]string{}
			}
		case "source":
			if err := checkIDNode(v); err != nil {
				rec.Errs.Add(d.file, v.Line, field, err)
				continue
			}
			src, srcLine = v.Value, v.Line
		case "reason":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || strings.TrimSpace(v.Value) == "" {
				rec.Errs.Addf(d.file, v.Line, field, "is a %s (expected why, in words: a non-empty string)", nodeKind(v))
				continue
			}
			reason = v.Value
		case "date":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				rec.Errs.Addf(d.file, v.Line, field, "is a %s (expected a date)", nodeKind(v))
				continue
			}
			iv, err := schema.ParseDate(v.Value)
			if err != nil {
				rec.Errs.Add(d.file, v.Line, field, fmt.Errorf("%w: %w", schema.ErrBadValue, err))
				continue
			}
			date = iv.String()
		default:
			rec.Errs.Addf(d.file, k.Line, field, "unknown field (expected same or different, source, reason or date)")
		}
	}
	if verb == "" {
		rec.Errs.Addf(d.file, n.Line, where, "missing same or different (expected same: [A, B] or different: [A, B])")
	}
	if !hasKey(n, "reason") {
		rec.Errs.Addf(d.file, n.Line, where, "missing reason (expected reason: why, in words)")
	}
	if src == "" {
		rec.Errs.Addf(d.file, n.Line, where, "no source (expected source: on the identity or at the top of the file)")
	}
	if len(rec.Errs) > 0 || ids[0] == "" || ids[1] == "" {
		return
	}
	id := schema.IdentityID(verb, ids[0], ids[1], src, reason, date)
	rec.Where = where + " " + id
	node, l := quad.IRI(id), quad.IRI(schema.IdentityLabel(src, id))
	pred := quad.IRI(schema.IdentityIRI(verb))
	rec.Quads = append(rec.Quads,
		quad.Make(node, pred, quad.IRI(ids[0]), l),
		quad.Make(node, pred, quad.IRI(ids[1]), l),
		quad.Make(node, quad.IRI(schema.NoteIRI), quad.String(reason), l))
	if date != "" {
		rec.Quads = append(rec.Quads, quad.Make(node, quad.IRI(schema.JudgedOnIRI), quad.TypedString{Value: quad.String(date), Type: DateType}, l))
	}
	field := where + "." + verb
	for j := range ids {
		rec.Refs = append(rec.Refs, Ref{ID: ids[j], Line: idLines[j], Field: fmt.Sprintf("%s[%d]", field, j), identity: ids[1-j]})
	}
	rec.addRef(src, srcLine, where+".source")
}

// describeList names what v is, for a field that wants two ids.
func describeList(v *yaml.Node) string {
	if v.Kind == yaml.SequenceNode {
		return fmt.Sprintf("list of %d", len(v.Content))
	}
	return nodeKind(v)
}

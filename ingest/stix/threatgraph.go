package stix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// A bundle written by threatgraph's own STIX export (query/export/stix)
// carries every fact with its label in x_threatgraph_* properties: the
// entity's id and kind, its facts with the note or report that states each,
// each relationship's stating notes and reports, each statement's id. Such
// a bundle is read back from those properties, so that an export imports
// as the graph it came from (same ids, labels, quotes, dates with their
// words, counts with their bounds, negations, reported speech, judgements,
// markings), not as STIX read by a stranger.

// tgObject is what the exact path reads of an object.
type tgObject struct {
	Type      string            `json:"type"`
	ID        string            `json:"id"`
	XID       string            `json:"x_threatgraph_id"`
	XKind     string            `json:"x_threatgraph_kind"`
	Declared  []string          `json:"x_threatgraph_declared_in_refs"`
	Facts     []json.RawMessage `json:"x_threatgraph_facts"`
	Predicate string            `json:"x_threatgraph_predicate"`
	StatedIn  []string          `json:"x_threatgraph_stated_in_refs"`
	SourceRef string            `json:"source_ref"`
	TargetRef string            `json:"target_ref"`
	Content   string            `json:"content"`
	ObjRefs   []string          `json:"object_refs"`
	According []string          `json:"x_threatgraph_according_to_refs"`
	Markings  []string          `json:"object_marking_refs"`
	LabelMark []string          `json:"x_threatgraph_label_marking_refs"`
	Conf      *int64            `json:"confidence"`
	Rank      string            `json:"x_threatgraph_rank"`
	Reason    string            `json:"x_threatgraph_reason"`
	Note      string            `json:"x_threatgraph_note"`
	JudgedOn  string            `json:"x_threatgraph_judged_on"`
	Evidence  []string          `json:"x_threatgraph_evidence_refs"`
	By        string            `json:"x_threatgraph_source_ref"`
	TLP2      map[string]struct {
		Level string `json:"tlp_2_0"`
	} `json:"extensions"`

	line int
}

// tgFact is one entry of x_threatgraph_facts.
type tgFact struct {
	Predicate string          `json:"predicate"`
	StatedIn  string          `json:"stated_in_ref"`
	Value     json.RawMessage `json:"value"`
	Target    string          `json:"target_ref"`
	Text      string          `json:"text"`
	Lower     *int64          `json:"lower"`
	Upper     *int64          `json:"upper"`
	Of        string          `json:"of"`
}

// readThreatgraph returns the objects of a bundle written by threatgraph
// (any object with an x_threatgraph_kind), each with its line, or nil.
func readThreatgraph(data []byte) []*tgObject {
	if !bytes.Contains(data, []byte(`"x_threatgraph_kind"`)) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var objs []*tgObject
	line, at := 1, 0 // the line of data[at], counted forward only
	lineOf := func(off int) int {
		line += bytes.Count(data[at:off], []byte{'\n'})
		at = off
		return line
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil
		}
		if k != "objects" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil
		}
		for dec.More() {
			off := int(dec.InputOffset())
			if i := bytes.IndexByte(data[off:], '{'); i >= 0 {
				off += i // the object's opening brace, after the comma and newline
			}
			var o tgObject
			if dec.Decode(&o) != nil {
				return nil
			}
			o.line = lineOf(off)
			objs = append(objs, &o)
		}
		if _, err := dec.Token(); err != nil {
			return nil
		}
	}
	for _, o := range objs {
		if o.XKind != "" {
			return objs
		}
	}
	return nil
}

// importThreatgraph builds the File of a threatgraph bundle from its
// x_threatgraph_* properties: one record per object.
func importThreatgraph(ctx context.Context, name string, data []byte, objs []*tgObject) *ingest.File {
	b := ingest.NewBuilder(name, "stix", data)
	label := map[string]string{}   // STIX id of a report or statement note -> label
	entity := map[string]string{}  // STIX id -> threatgraph id
	marking := map[string]string{} // STIX id of a marking definition -> marking id
	for _, t := range schema.TLPs {
		if d, ok := tlpByMarking[t]; ok {
			marking[d] = t
		}
	}
	for _, o := range objs {
		switch {
		case o.Type == "marking-definition" && o.XID != "":
			marking[o.ID] = o.XID
		case o.XKind == "Statement":
			label[o.ID] = o.XID
		case o.XKind != "":
			entity[o.ID] = o.XID
			if o.Type == "report" {
				label[o.ID] = o.XID
			}
		}
	}
	for i, o := range objs {
		if ctx.Err() != nil {
			b.FileError(0, "", ctx.Err())
			return b.File()
		}
		where := fmt.Sprintf("objects[%d] %s", i, o.ID)
		field := fmt.Sprintf("objects[%d]", i)
		switch {
		case o.Type == "relationship" && o.Predicate != "":
			rec := b.Record(o.line, where)
			s, t := entity[o.SourceRef], entity[o.TargetRef]
			if s == "" || t == "" {
				rec.Errorf(o.line, field+".source_ref", "%s or %s is no threatgraph object of this bundle (expected the ids of objects with x_threatgraph_id)", o.SourceRef, o.TargetRef)
				continue
			}
			for j, ref := range o.StatedIn {
				l, ok := label[ref]
				if !ok {
					rec.Errorf(o.line, fmt.Sprintf("%s.x_threatgraph_stated_in_refs[%d]", field, j), "%s is no report or statement note of this bundle", ref)
					continue
				}
				rec.Value(o.line, field+".x_threatgraph_predicate", s, "", o.Predicate, quad.IRI(t), l)
			}
		case o.Type == "opinion" && o.XID != "":
			rec := b.Record(o.line, where)
			by, ok := label[o.By]
			if !ok || len(o.ObjRefs) != 1 || label[o.ObjRefs[0]] == "" {
				rec.Errorf(o.line, field, "the opinion's x_threatgraph_source_ref and object_refs must name a report and the judged statement's note of this bundle")
				continue
			}
			j, l := quad.IRI(o.XID), quad.IRI(by)
			qs := []quad.Quad{
				quad.Make(j, quad.IRI(schema.JudgesIRI), quad.IRI(label[o.ObjRefs[0]]), l),
				quad.Make(j, quad.IRI(schema.RankIRI), quad.String(o.Rank), l),
				quad.Make(j, quad.IRI(schema.ReasonIRI), quad.String(o.Reason), l),
				quad.Make(j, quad.IRI(schema.NoteIRI), quad.String(o.Note), l),
			}
			if o.JudgedOn != "" {
				qs = append(qs, quad.Make(j, quad.IRI(schema.JudgedOnIRI), quad.TypedString{Value: quad.String(o.JudgedOn), Type: "tg:date"}, l))
			}
			for _, e := range o.Evidence {
				if el, ok := label[e]; ok {
					qs = append(qs, quad.Make(j, quad.IRI(schema.EvidenceIRI), quad.IRI(el), l))
				} else {
					rec.Errorf(o.line, field+".x_threatgraph_evidence_refs", "%s is no report or statement note of this bundle", e)
				}
			}
			// One record per quad, as in N-Quads: the file's judgement
			// check reads each judgement's parts from the first quad of
			// each record.
			for k, q := range qs {
				if k > 0 {
					rec = b.Record(o.line, where)
				}
				rec.Quad(o.line, field, q)
			}
		case o.XKind == "Statement":
			rec := b.Record(o.line, where)
			src := schema.SourceOf(o.XID)
			if got := rec.Statement(src, o.Content); got != o.XID {
				rec.Errorf(o.line, field+".content", "the quote is not that of statement %s (its id would be %s)", o.XID, got)
				continue
			}
			for _, a := range o.According {
				if id := entity[a]; id != "" {
					rec.Quad(o.line, field+".x_threatgraph_according_to_refs", quad.Make(quad.IRI(o.XID), quad.IRI(schema.AccordingToIRI), quad.IRI(id), quad.IRI(src)))
				}
			}
			markLabel(rec, o, field, o.XID, o.Markings, marking)
		case o.XKind != "":
			rec := b.Record(o.line, where)
			entityRecord(rec, o, field, label, entity, marking)
		}
	}
	return b.File()
}

// tlpByMarking is the TLP 2.0 marking definition id of each TLP level, as
// the export writes them.
var tlpByMarking = map[string]string{
	schema.TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	schema.TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	schema.TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	schema.TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	schema.TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// markLabel states the markings and confidence of a label.
func markLabel(rec *ingest.Rec, o *tgObject, field, l string, refs []string, marking map[string]string) {
	for _, ref := range refs {
		if m, ok := marking[ref]; ok {
			rec.Mark(o.line, field+".object_marking_refs", l, schema.MarkingIRI, quad.IRI(m))
		} else {
			rec.Errorf(o.line, field+".object_marking_refs", "%s is no marking definition of this bundle", ref)
		}
	}
	if o.Conf != nil {
		rec.Mark(o.line, field+".confidence", l, schema.ConfidenceIRI, quad.Int(*o.Conf))
	}
}

// entityRecord states an entity: its kind with each declaring label, then
// each of its facts.
func entityRecord(rec *ingest.Rec, o *tgObject, field string, label, entity, marking map[string]string) {
	kind, ok := schema.ParseKind(o.XKind)
	if !ok {
		rec.Errorf(o.line, field+".x_threatgraph_kind", "unknown kind %q (expected one of %s)", o.XKind, schema.JoinKinds(schema.Kinds, ", "))
		return
	}
	for j, ref := range o.Declared {
		l, ok := label[ref]
		f := fmt.Sprintf("%s.x_threatgraph_declared_in_refs[%d]", field, j)
		switch {
		case !ok:
			rec.Errorf(o.line, f, "%s is no report or statement note of this bundle", ref)
		case strings.Contains(l, schema.StatementSep):
			rec.Quad(o.line, f, quad.Make(quad.IRI(o.XID), quad.IRI(schema.TypeIRI), quad.IRI(kind.IRI()), quad.IRI(l)))
		default:
			rec.Declare(o.line, f, o.XID, kind, l)
		}
	}
	if o.Type == "report" {
		markLabel(rec, o, field, o.XID, o.LabelMark, marking)
	}
	for j, raw := range o.Facts {
		f := fmt.Sprintf("%s.x_threatgraph_facts[%d]", field, j)
		var fc tgFact
		if err := json.Unmarshal(raw, &fc); err != nil {
			rec.Errorf(o.line, f, "%v", err)
			continue
		}
		l, ok := label[fc.StatedIn]
		if !ok {
			rec.Errorf(o.line, f+".stated_in_ref", "%s is no report or statement note of this bundle", fc.StatedIn)
			continue
		}
		if base, neg := strings.CutPrefix(fc.Predicate, schema.NotPrefix); neg {
			t := entity[fc.Target]
			if t == "" {
				rec.Errorf(o.line, f+".target_ref", "%s is no threatgraph object of this bundle", fc.Target)
				continue
			}
			rec.Negate(o.line, f, o.XID, kind, base, t, l)
			continue
		}
		p := schema.Lookup(fc.Predicate)
		if p == nil {
			rec.Errorf(o.line, f+".predicate", "unknown predicate %q (expected a predicate of the vocabulary, docs/format.md)", fc.Predicate)
			continue
		}
		var s string
		_ = json.Unmarshal(fc.Value, &s) // a string value, or "" for a number or boolean
		switch p.Type {
		case schema.Date:
			rec.Date(o.line, f, o.XID, kind, p.Name, s, fc.Text, l)
		case schema.Count:
			if fc.Lower != nil {
				c := schema.Quantity{Text: s, Lower: *fc.Lower, Of: fc.Of, Open: fc.Upper == nil}
				if fc.Upper != nil {
					c.Upper = *fc.Upper
				}
				q, err := schema.ParseCountLiteral(c.Lexical()) // checks the bounds and words
				if err != nil {
					rec.Errorf(o.line, f, "count: %v", err)
					continue
				}
				rec.Count(o.line, f, o.XID, kind, p.Name, q, l)
				continue
			}
			n, err := strconv.ParseInt(string(fc.Value), 10, 64)
			if err != nil {
				rec.Errorf(o.line, f+".value", "%s is not a whole number (expected a count)", fc.Value)
				continue
			}
			rec.Value(o.line, f, o.XID, kind, p.Name, quad.Int(n), l)
		case schema.Float:
			x, err := strconv.ParseFloat(string(fc.Value), 64)
			if err != nil {
				rec.Errorf(o.line, f+".value", "%s is not a number", fc.Value)
				continue
			}
			rec.Value(o.line, f, o.XID, kind, p.Name, quad.Float(x), l)
		case schema.Bool:
			var v bool
			if err := json.Unmarshal(fc.Value, &v); err != nil {
				rec.Errorf(o.line, f+".value", "%s is not true or false", fc.Value)
				continue
			}
			rec.Value(o.line, f, o.XID, kind, p.Name, quad.Bool(v), l)
		case schema.Entity:
			rec.Errorf(o.line, f, "relation %s as a fact (expected a relationship object)", p.Name)
		default:
			rec.Fact(o.line, f, o.XID, kind, p.Name, s, l)
		}
	}
}

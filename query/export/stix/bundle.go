package stix

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/threatgraph/threatgraph/schema"
)

// A Bundle collects a graph's entities, statements and judgements and
// writes them as one STIX 2.1 bundle. Add everything, then call Write once.
// It holds the whole bundle in memory: its reports list every object their
// source states, which is known only at the end.
type Bundle struct {
	ents   []*Entity
	byID   map[string]*Entity
	stmts  map[string]Statement
	labels map[string]Label
	judged []Judgement
}

// NewBundle returns an empty Bundle.
func NewBundle() *Bundle {
	return &Bundle{byID: map[string]*Entity{}, stmts: map[string]Statement{}, labels: map[string]Label{}}
}

// Entity adds an entity. A second entity with the same id is ignored. A
// source that labels facts and was not added is written as a bare report
// (its id as its name), not counted in Summary.Entities.
func (b *Bundle) Entity(e Entity) {
	if b.byID[e.ID] != nil {
		return
	}
	p := &e
	b.ents = append(b.ents, p)
	b.byID[e.ID] = p
}

// Statement adds a statement's quote and reported speech.
func (b *Bundle) Statement(s Statement) { b.stmts[s.Label] = s }

// Label adds the markings and confidence of a source or statement label.
func (b *Bundle) Label(l Label) { b.labels[l.Label] = l }

// Judgement adds a judgement of a statement.
func (b *Bundle) Judgement(j Judgement) { b.judged = append(b.judged, j) }

// object is one STIX object; encoding/json writes its keys sorted.
type object map[string]any

func (o object) id() string { return o["id"].(string) }

// keyed is an object's JSON with its id, for sorting.
type keyed struct {
	id   string
	line []byte
}

// writer is the state of one Write.
type writer struct {
	b      *Bundle
	actors map[string]bool            // Persons written as threat-actor
	states map[string]map[string]bool // label -> STIX ids of what it states
	rels   map[string]*relationship   // of the entity being written, by STIX id
	out    []keyed                    // the objects written, as JSON
	rep    []object                   // the reports, written last (their object_refs)
	err    error                      // the first marshalling error
	sum    Summary
	idents map[string]object // identities of sources, by id
	marks  map[string]object // marking definitions used, by id
	idOf   map[string]string // identityRef, by source
	used   []string          // every marking used
}

type relationship struct {
	subject, predicate, object string
	labels                     map[string]bool
}

// Write writes the bundle to w: {"type":"bundle","id":...,"objects":[...]},
// one object per line, sorted by id, every object's keys sorted. The same
// contents always give the same bytes; the bundle's id is the UUIDv5 of
// their SHA-256. A cancelled ctx stops it with ctx's error.
func (b *Bundle) Write(ctx context.Context, w io.Writer) (Summary, error) {
	wr := &writer{b: b, states: map[string]map[string]bool{}, rels: map[string]*relationship{}, idents: map[string]object{},
		sum: Summary{ByType: map[string]int{}, NotExported: map[string]int{}}, marks: map[string]object{}, idOf: map[string]string{}}
	b.addMissingSources()
	slices.SortFunc(b.ents, func(x, y *Entity) int { return strings.Compare(x.ID, y.ID) })
	wr.findActors()
	for i, e := range b.ents {
		if i%1024 == 0 && ctx.Err() != nil {
			return wr.sum, ctx.Err()
		}
		wr.entity(e)
	}
	wr.opinions()
	wr.notes()
	if err := ctx.Err(); err != nil {
		return wr.sum, err
	}
	wr.reports()
	for _, id := range slices.Sorted(maps.Keys(wr.idents)) {
		wr.emit(wr.idents[id])
	}
	for _, id := range slices.Sorted(maps.Keys(wr.marks)) {
		wr.emit(wr.marks[id])
	}
	if wr.err != nil {
		return wr.sum, wr.err
	}
	wr.sum.Marking = schema.MostRestrictive(wr.used...)
	slices.SortFunc(wr.out, func(x, y keyed) int { return strings.Compare(x.id, y.id) })
	h := sha256.New()
	for _, k := range wr.out {
		h.Write(k.line)
		h.Write([]byte{'\n'})
	}
	wr.sum.Objects = len(wr.out)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"type":"bundle","id":"` + ID("bundle", hex.EncodeToString(h.Sum(nil))) + `","objects":[`)
	for i, k := range wr.out {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n")
		bw.Write(k.line)
	}
	bw.WriteString("\n]}\n")
	return wr.sum, bw.Flush()
}

// emit marshals an object into the bundle's lines.
func (w *writer) emit(o object) {
	line, err := marshal(o)
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("stix: object %s: %w", o.id(), err)
		}
		return
	}
	w.out = append(w.out, keyed{o.id(), line})
	w.sum.ByType[o["type"].(string)]++
}

// addMissingSources adds a bare Source entity for every source a label
// names that was not added, so that every fact has a report.
func (b *Bundle) addMissingSources() {
	var labels []string
	for _, e := range b.ents {
		labels = append(labels, e.Declared...)
		for _, f := range e.Facts {
			labels = append(labels, f.Label)
		}
	}
	for _, j := range b.judged {
		labels = append(labels, j.Source, j.Of)
		labels = append(labels, j.Evidence...)
	}
	for _, l := range labels {
		if src := schema.SourceOf(l); b.byID[src] == nil {
			b.Entity(Entity{ID: src, Kind: string(schema.Source), Name: src, bare: true})
		}
	}
}

// findActors marks the Persons that act in the graph as threat actors: a
// member or leader of a Group, a suspect, a perpetrator, a claimant, or
// the actor a warning is about. Other Persons are identities (class
// individual).
func (w *writer) findActors() {
	w.actors = map[string]bool{}
	person := func(id string) bool { e := w.b.byID[id]; return e != nil && e.Kind == string(schema.Person) }
	group := func(id string) bool { e := w.b.byID[id]; return e != nil && e.Kind == string(schema.Group) }
	for _, e := range w.b.ents {
		for _, f := range e.Facts {
			switch f.Predicate {
			case "memberOf", "leaderOf":
				if group(f.Ref) && person(e.ID) {
					w.actors[e.ID] = true
				}
			case "suspectIn":
				if person(e.ID) {
					w.actors[e.ID] = true
				}
			case "perpetratedBy", "claimant", "about":
				if person(f.Ref) {
					w.actors[f.Ref] = true
				}
			}
		}
	}
}

// typeOf returns the STIX type of an entity, "" if it has none.
func (w *writer) typeOf(e *Entity) string {
	switch schema.Kind(e.Kind) {
	case schema.Group:
		return "intrusion-set"
	case schema.Person:
		if w.actors[e.ID] {
			return "threat-actor"
		}
		return "identity"
	case schema.Organization:
		return "identity"
	case schema.Location:
		return "location"
	case schema.Attack:
		return "incident"
	case schema.Warning, schema.Claim:
		return "note"
	case schema.Source:
		return "report"
	case "Campaign":
		return "campaign"
	case "Technique":
		return "attack-pattern"
	case "Malware":
		return "malware"
	case "Tool":
		return "tool"
	}
	return ""
}

// ref returns the STIX id of the entity id, "" if it is not written.
func (w *writer) ref(id string) string {
	e := w.b.byID[id]
	if e == nil {
		return ""
	}
	t := w.typeOf(e)
	if t == "" {
		return ""
	}
	return ID(t, e.ID)
}

// labelRef returns the STIX id of what a label is: a statement's note or a
// source's report.
func labelRef(label string) string {
	if strings.Contains(label, schema.StatementSep) {
		return ID("note", label)
	}
	return ID("report", label)
}

// identityRef returns the id of the identity that authors a source's
// report and notes: one per publisher, else one per source, keyed with a
// U+001F, which no entity id holds, so that it never takes an entity's id.
func (w *writer) identityRef(source string) string {
	if id, ok := w.idOf[source]; ok {
		return id
	}
	id := w.identityOf(source)
	w.idOf[source] = id
	return id
}

func (w *writer) identityOf(source string) string {
	e := w.b.byID[source]
	if e == nil {
		return ID("identity", "source\x1f"+source)
	}
	if pub, ok := single(e, "publisher"); ok {
		return ID("identity", "publisher\x1f"+pub.(string))
	}
	return ID("identity", "source\x1f"+source)
}

// stated records that label states the object ref.
func (w *writer) stated(label, ref string) {
	m := w.states[label]
	if m == nil {
		m = map[string]bool{}
		w.states[label] = m
	}
	m[ref] = true
}

// kebab turns a camelCase predicate into a relationship_type.
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		if r == '/' {
			r = '-'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// relationshipTypes gives the STIX name of the predicates that have one;
// the others are their names in kebab-case (perpetratedBy: perpetrated-by).
var relationshipTypes = map[string]string{
	"partOf":    "located-at", // place within place, as OpenCTI writes it
	"locatedIn": "located-at",
	"target":    "targets",
}

// RelationshipType returns the relationship_type of a relation.
func RelationshipType(predicate string) string {
	if t, ok := relationshipTypes[predicate]; ok {
		return t
	}
	return kebab(predicate)
}

// values returns the distinct values of a predicate of e, sorted.
func values(e *Entity, pred string) []string {
	var out []string
	for _, f := range e.Facts {
		if f.Predicate == pred && f.Ref == "" {
			out = append(out, fmt.Sprint(f.Value))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// single returns the value of a predicate when every fact of e gives the
// same one.
func single(e *Entity, pred string) (any, bool) {
	var v any
	n := 0
	for _, f := range e.Facts {
		if f.Predicate != pred || f.Ref != "" {
			continue
		}
		if n > 0 && fmt.Sprint(v) != fmt.Sprint(f.Value) {
			return nil, false
		}
		v = f.Value
		n++
	}
	return v, n > 0
}

// singleDate returns the interval of a date predicate when every fact of
// e gives the same one.
func singleDate(e *Entity, pred string) (*schema.Interval, bool) {
	var iv *schema.Interval
	for _, f := range e.Facts {
		if f.Predicate != pred || f.Date == nil {
			continue
		}
		if iv != nil && (!iv.Start.Equal(f.Date.Start) || !iv.End.Equal(f.Date.End)) {
			return nil, false
		}
		if iv == nil || iv.Text == "" {
			iv = f.Date
		}
	}
	return iv, iv != nil
}

// refs returns the distinct objects of e's relations of a predicate.
func refs(e *Entity, pred string) []string {
	var out []string
	for _, f := range e.Facts {
		if f.Predicate == pred && f.Ref != "" {
			out = append(out, f.Ref)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Start returns the first instant of an interval as a STIX timestamp.
func Start(iv schema.Interval) string { return iv.Start.UTC().Format("2006-01-02T15:04:05.000Z") }

// End returns the last millisecond of an interval's last day.
func End(iv schema.Interval) string {
	return iv.End.UTC().Add(24*time.Hour - time.Millisecond).Format("2006-01-02T15:04:05.000Z")
}

// base returns the properties every object has.
func base(typ, id string) object {
	return object{"type": typ, "spec_version": "2.1", "id": id, "created": Timestamp, "modified": Timestamp}
}

// entity writes one entity's object and collects its relations.
func (w *writer) entity(e *Entity) {
	typ := w.typeOf(e)
	if typ == "" {
		w.sum.NotExported["entities of a kind STIX has no object for ("+e.Kind+")"]++
		w.sum.NotExported["facts of those entities"] += len(e.Facts)
		return
	}
	id := ID(typ, e.ID)
	o := base(typ, id)
	o["x_threatgraph_id"] = e.ID
	o["x_threatgraph_kind"] = e.Kind
	if !e.bare {
		w.sum.Entities++
	}
	var declared []string
	for _, l := range e.Declared {
		declared = append(declared, labelRef(l))
		w.stated(l, id)
	}
	if len(declared) > 0 {
		slices.Sort(declared)
		o["x_threatgraph_declared_in_refs"] = slices.Compact(declared)
	}
	if by := declaringSource(e); by != "" && typ != "report" {
		o["created_by_ref"] = w.identityRef(by) // the source that names it an entity
	}
	var facts []map[string]any
	for _, f := range e.Facts {
		if f.Ref != "" && !strings.HasPrefix(f.Predicate, schema.NotPrefix) {
			to := w.ref(f.Ref)
			if to == "" {
				w.sum.NotExported["relations to an entity the bundle does not hold"]++
				continue
			}
			rid := ID("relationship", e.ID+"\x1f"+f.Predicate+"\x1f"+f.Ref)
			r := w.rels[rid]
			if r == nil {
				r = &relationship{subject: id, predicate: f.Predicate, object: to, labels: map[string]bool{}}
				w.rels[rid] = r
			}
			r.labels[f.Label] = true
			w.stated(f.Label, rid)
			w.sum.Facts++
			continue
		}
		m := map[string]any{"predicate": f.Predicate, "stated_in_ref": labelRef(f.Label)}
		switch {
		case f.Ref != "": // a negation
			to := w.ref(f.Ref)
			if to == "" {
				w.sum.NotExported["negations of a relation to an entity the bundle does not hold"]++
				continue
			}
			m["target_ref"] = to
		case f.Date != nil:
			m["value"] = f.Value
			m["start"] = Start(*f.Date)
			m["end"] = End(*f.Date)
			if f.Date.Text != "" {
				m["text"] = f.Date.Text
			}
		case f.Count != nil:
			m["value"] = f.Value
			m["lower"] = f.Count.Lower
			if !f.Count.Open {
				m["upper"] = f.Count.Upper
			}
			if f.Count.Of != "" {
				m["of"] = f.Count.Of
			}
		default:
			m["value"] = f.Value
		}
		w.stated(f.Label, id)
		facts = append(facts, m)
		w.sum.Facts++
	}
	if len(facts) > 0 {
		slices.SortStableFunc(facts, func(a, b map[string]any) int {
			return strings.Compare(factKey(a), factKey(b))
		})
		o["x_threatgraph_facts"] = facts
	}
	w.standard(e, typ, o)
	var labels []string
	labels = append(labels, e.Declared...)
	for _, f := range e.Facts {
		labels = append(labels, f.Label)
	}
	if typ == "report" {
		labels = append(labels, e.ID) // what the report states
		if ms := w.b.labels[e.ID].Markings; len(ms) > 0 {
			refs := make([]string, len(ms))
			for i, m := range ms {
				refs[i] = MarkingRef(m)
			}
			slices.Sort(refs)
			o["x_threatgraph_label_marking_refs"] = refs // the report's own, for a reader that keeps labels apart
		}
	}
	w.mark(o, labels...)
	if typ == "report" {
		w.rep = append(w.rep, o) // its object_refs come last
	} else {
		w.emit(o)
	}
	w.relationships()
}

// declaringSource returns the one source whose labels declare e, or "".
func declaringSource(e *Entity) string {
	src := ""
	for _, l := range e.Declared {
		s := schema.SourceOf(l)
		if src != "" && s != src {
			return ""
		}
		src = s
	}
	return src
}

func factKey(m map[string]any) string {
	return fmt.Sprint(m["predicate"], "\x1f", m["value"], "\x1f", m["target_ref"], "\x1f", m["stated_in_ref"])
}

// standard sets the STIX properties of the object from e's facts: the
// display name, every other name as an alias, the descriptions, and what
// each type defines. A single-valued property is set only when the sources
// agree (x_threatgraph_facts has every value).
func (w *writer) standard(e *Entity, typ string, o object) {
	o["name"] = e.Name
	var aliases []string
	for _, n := range append(values(e, "name"), values(e, "alias")...) {
		if n != e.Name {
			aliases = append(aliases, n)
		}
	}
	slices.Sort(aliases)
	aliases = slices.Compact(aliases)
	if desc := values(e, "description"); len(desc) > 0 {
		o["description"] = strings.Join(desc, "\n\n")
	}
	var ext []map[string]any
	for _, x := range values(e, "externalId") {
		scheme, id, ok := strings.Cut(x, ":")
		if !ok || scheme == "" || id == "" {
			continue
		}
		if scheme == "mitre" {
			scheme = "mitre-attack"
		}
		ext = append(ext, map[string]any{"source_name": scheme, "external_id": id})
	}
	seen := func(pred, first, last string) {
		if iv, ok := singleDate(e, pred); ok {
			if first != "" {
				o[first] = Start(*iv)
			}
			if last != "" {
				o[last] = End(*iv)
			}
		}
	}
	var phases []map[string]any
	for _, p := range values(e, "killChainPhase") {
		if chain, phase, ok := strings.Cut(p, ":"); ok && chain != "" && phase != "" {
			phases = append(phases, map[string]any{"kill_chain_name": chain, "phase_name": phase})
		}
	}
	withAliases := func() {
		if len(aliases) > 0 {
			o["aliases"] = aliases
		}
	}
	switch typ {
	case "intrusion-set", "campaign":
		withAliases()
		seen("firstSeen", "first_seen", "")
		seen("lastSeen", "", "last_seen")
	case "threat-actor":
		withAliases()
		o["resource_level"] = "individual"
		seen("firstSeen", "first_seen", "")
		seen("lastSeen", "", "last_seen")
	case "malware":
		withAliases()
		o["is_family"] = true
		seen("firstSeen", "first_seen", "")
		seen("lastSeen", "", "last_seen")
	case "tool", "attack-pattern":
		withAliases()
	case "identity":
		if e.Kind == string(schema.Person) {
			o["identity_class"] = "individual"
			if roles := values(e, "role"); len(roles) > 0 {
				o["roles"] = roles
			}
		} else {
			o["identity_class"] = "organization"
		}
	case "location":
		w.location(e, o)
	case "incident":
		dated(e, o)
	case "note":
		w.noteEntity(e, o)
	case "report":
		w.sourceReport(e, o)
	}
	if len(phases) > 0 && (typ == "attack-pattern" || typ == "malware" || typ == "tool") {
		o["kill_chain_phases"] = phases
	}
	if len(ext) > 0 {
		if prev, ok := o["external_references"].([]map[string]any); ok {
			ext = append(prev, ext...)
		}
		o["external_references"] = ext
	}
}

// dated sets the interval of an Attack, Warning or Claim (their date) when
// the sources agree on it: its bounds and the source's words.
func dated(e *Entity, o object) {
	iv, ok := singleDate(e, "date")
	if !ok {
		return
	}
	o["x_threatgraph_date_start"] = Start(*iv)
	o["x_threatgraph_date_end"] = End(*iv)
	if iv.Text != "" {
		o["x_threatgraph_date_text"] = iv.Text
	}
}

// location sets coordinates and the region, country, administrative area
// and city of a place from its placeType and the places it is part of (a
// country by its ISO code where it has one, else by name).
// STIX requires a region, a country or coordinates: a place with none of
// them (no coordinates, not within a country) has its own name as region.
func (w *writer) location(e *Entity, o object) {
	lat, okLat := single(e, "lat")
	lon, okLon := single(e, "lon")
	if okLat && okLon {
		o["latitude"], o["longitude"] = lat, lon
	}
	set := func(field, name string) {
		if _, ok := o[field]; !ok {
			o[field] = name
		}
	}
	at := e
	for range 16 { // partOf is acyclic; the bound guards a store written otherwise
		if pt, ok := single(at, "placeType"); ok {
			switch pt {
			case "country":
				set("country", countryCode(at))
			case "continent", "region":
				set("region", at.Name)
			case "province":
				set("administrative_area", at.Name)
			case "city", "town", "village":
				set("city", at.Name)
			}
		}
		up := refs(at, "partOf")
		if len(up) == 0 || w.b.byID[up[0]] == nil {
			break
		}
		at = w.b.byID[up[0]]
	}
	_, hasRegion := o["region"]
	_, hasCountry := o["country"]
	_, hasLat := o["latitude"]
	if !hasRegion && !hasCountry && !hasLat {
		o["region"] = e.Name
	}
}

// countryCode returns a country's ISO 3166-1 code when it has exactly one
// (externalId iso3166-1:FR, or FRA as OpenCTI writes them), else its name.
func countryCode(e *Entity) string {
	var codes []string
	for _, x := range values(e, "externalId") {
		if c, ok := strings.CutPrefix(x, "iso3166-1:"); ok && c != "" {
			codes = append(codes, c)
		}
	}
	if len(codes) == 1 {
		return codes[0]
	}
	return e.Name
}

// noteEntity fills a Warning's or Claim's note: its name as abstract, its
// descriptions (or name) as content, the entities it relates to as
// object_refs (else the reports that state it), who gives it as authors.
func (w *writer) noteEntity(e *Entity, o object) {
	o["abstract"] = e.Name
	if d, ok := o["description"]; ok {
		o["content"] = d
		delete(o, "description")
	} else {
		o["content"] = e.Name
	}
	var objs []string
	for _, f := range e.Facts {
		if f.Ref != "" && !strings.HasPrefix(f.Predicate, schema.NotPrefix) {
			if r := w.ref(f.Ref); r != "" {
				objs = append(objs, r)
			}
		}
	}
	if len(objs) == 0 {
		for _, l := range e.Declared {
			objs = append(objs, ID("report", schema.SourceOf(l)))
		}
	}
	if len(objs) == 0 {
		objs = append(objs, ID("report", e.ID)) // cannot happen: an entity is declared by a source
	}
	slices.Sort(objs)
	o["object_refs"] = slices.Compact(objs)
	by := "issuedBy"
	if e.Kind == string(schema.Claim) {
		by = "claimant"
	}
	var authors []string
	for _, r := range refs(e, by) {
		if a := w.b.byID[r]; a != nil {
			authors = append(authors, a.Name)
		}
	}
	if len(authors) > 0 {
		slices.Sort(authors)
		o["authors"] = slices.Compact(authors)
	}
	dated(e, o)
}

// sourceReport fills a source's report, all but its object_refs (reports),
// and makes its author's identity.
func (w *writer) sourceReport(e *Entity, o object) {
	if t, ok := single(e, "title"); ok {
		o["name"] = t
	}
	o["published"] = Timestamp
	if iv, ok := singleDate(e, "published"); ok {
		o["published"] = Start(*iv)
		o["x_threatgraph_published_end"] = End(*iv)
		if iv.Text != "" {
			o["x_threatgraph_published_text"] = iv.Text
		}
	} else {
		o["x_threatgraph_published_unknown"] = true
	}
	o["report_types"] = []string{"threat-report"}
	if authors := values(e, "author"); len(authors) > 0 {
		o["x_threatgraph_authors"] = authors
	}
	var ext []map[string]any
	pub, hasPub := single(e, "publisher")
	for _, u := range values(e, "url") {
		name := "threatgraph"
		if hasPub {
			name = pub.(string)
		}
		ext = append(ext, map[string]any{"source_name": name, "url": u, "external_id": e.ID})
	}
	if len(ext) > 0 {
		o["external_references"] = ext
	}
	w.confidence(o, e.ID)
	ident := w.identityRef(e.ID)
	o["created_by_ref"] = ident
	if _, ok := w.idents[ident]; !ok {
		io := base("identity", ident)
		if hasPub {
			io["name"] = pub
			io["identity_class"] = "organization"
		} else {
			io["name"] = e.Name
			io["identity_class"] = "unknown"
			io["x_threatgraph_source"] = e.ID
		}
		w.idents[ident] = io
	}
}

// The TLP 2.0 marking definitions, as OASIS publishes them
// (cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
const tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

var tlp2 = map[string]struct{ id, level string }{
	schema.TLPClear:       {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"},
	schema.TLPGreen:       {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"},
	schema.TLPAmber:       {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"},
	schema.TLPAmberStrict: {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"},
	schema.TLPRed:         {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"},
}

// MarkingRef returns the STIX id of a marking: a TLP level's published TLP
// 2.0 marking definition, any other marking's statement definition.
func MarkingRef(marking string) string {
	if t, ok := tlp2[marking]; ok {
		return t.id
	}
	return ID("marking-definition", marking)
}

// markingObject returns the marking definition of a marking.
func markingObject(marking string) object {
	id := MarkingRef(marking)
	o := object{"type": "marking-definition", "spec_version": "2.1", "id": id}
	if t, ok := tlp2[marking]; ok {
		o["created"] = "2022-10-01T00:00:00.000Z"
		o["name"] = "TLP:" + strings.ToUpper(t.level)
		o["extensions"] = map[string]any{tlp2Extension: map[string]any{"extension_type": "property-extension", "tlp_2_0": t.level}}
		return o
	}
	o["created"] = Timestamp
	o["name"] = marking
	o["definition_type"] = "statement"
	o["definition"] = map[string]any{"statement": marking}
	o["x_threatgraph_id"] = marking
	return o
}

// mark sets the object's object_marking_refs to every marking of the
// labels whose facts it carries: an object is as restricted as the most
// restricted fact in it.
func (w *writer) mark(o object, labels ...string) {
	var refs []string
	for _, l := range labels {
		for _, m := range w.b.labels[l].Markings {
			ref := MarkingRef(m)
			if _, ok := w.marks[ref]; !ok {
				w.marks[ref] = markingObject(m)
			}
			w.used = append(w.used, m)
			refs = append(refs, ref)
		}
	}
	if len(refs) > 0 {
		slices.Sort(refs)
		o["object_marking_refs"] = slices.Compact(refs)
	}
}

// confidence sets the object's confidence to its label's, if the source
// gave one.
func (w *writer) confidence(o object, label string) {
	if c := w.b.labels[label].Confidence; c != nil {
		o["confidence"] = *c
	}
}

// relationships writes the relationships of the entity just written, one
// per (subject, predicate, object), with every label that states it.
func (w *writer) relationships() {
	defer clear(w.rels)
	for _, rid := range slices.Sorted(maps.Keys(w.rels)) {
		r := w.rels[rid]
		o := base("relationship", rid)
		o["relationship_type"] = RelationshipType(r.predicate)
		o["source_ref"] = r.subject
		o["target_ref"] = r.object
		o["x_threatgraph_predicate"] = r.predicate
		var in []string
		sources := map[string]bool{}
		for l := range r.labels {
			in = append(in, labelRef(l))
			sources[schema.SourceOf(l)] = true
		}
		slices.Sort(in)
		o["x_threatgraph_stated_in_refs"] = slices.Compact(in)
		w.mark(o, slices.Collect(maps.Keys(r.labels))...)
		if len(sources) == 1 {
			for s := range sources {
				o["created_by_ref"] = w.identityRef(s)
			}
		}
		w.emit(o)
		w.sum.Relationships++
	}
}

// opinions writes each judgement as an opinion on the judged statement's
// note (or source's report).
func (w *writer) opinions() {
	for _, j := range w.b.judged {
		id := ID("opinion", j.ID)
		o := base("opinion", id)
		o["opinion"] = opinionOf(j.Rank)
		o["object_refs"] = []string{labelRef(j.Of)}
		expl := j.Reason
		if j.Note != "" {
			expl += ": " + j.Note
		}
		o["explanation"] = expl
		o["created_by_ref"] = w.identityRef(j.Source)
		o["x_threatgraph_id"] = j.ID
		o["x_threatgraph_rank"] = j.Rank
		o["x_threatgraph_reason"] = j.Reason
		if j.Note != "" {
			o["x_threatgraph_note"] = j.Note
		}
		if j.Date != "" {
			o["x_threatgraph_judged_on"] = j.Date
		}
		o["x_threatgraph_source_ref"] = ID("report", j.Source)
		var ev []string
		for _, l := range j.Evidence {
			ev = append(ev, labelRef(l))
			if strings.Contains(l, schema.StatementSep) {
				w.stmtNeeded(l)
			}
		}
		if len(ev) > 0 {
			slices.Sort(ev)
			o["x_threatgraph_evidence_refs"] = slices.Compact(ev)
		}
		if strings.Contains(j.Of, schema.StatementSep) {
			w.stmtNeeded(j.Of)
		}
		w.stated(j.Source, id)
		w.mark(o, j.Source)
		w.emit(o)
	}
}

// stmtNeeded makes sure a statement has a note.
func (w *writer) stmtNeeded(label string) {
	if w.states[label] == nil {
		w.states[label] = map[string]bool{}
	}
}

// opinionOf maps a rank to the opinion scale.
func opinionOf(rank string) string {
	switch rank {
	case schema.RankPreferred:
		return "agree"
	case schema.RankDeprecated:
		return "disagree"
	}
	return "neutral"
}

// notes writes a note per statement: its quote, what it states, by whom.
func (w *writer) notes() {
	for _, l := range slices.Sorted(maps.Keys(w.states)) {
		if !strings.Contains(l, schema.StatementSep) {
			continue
		}
		st := w.b.stmts[l]
		src := schema.SourceOf(l)
		id := ID("note", l)
		o := base("note", id)
		o["content"] = st.Quote
		if st.Quote == "" {
			o["content"] = l
			w.sum.NotExported["statements without a quote (the note's content is the label)"]++
		}
		objs := slices.Sorted(maps.Keys(w.states[l]))
		if len(objs) == 0 {
			objs = []string{ID("report", src)}
		}
		o["object_refs"] = objs
		o["created_by_ref"] = w.identityRef(src)
		o["x_threatgraph_id"] = l
		o["x_threatgraph_kind"] = "Statement"
		o["x_threatgraph_source_ref"] = ID("report", src)
		var names, according []string
		for _, a := range st.According {
			if e := w.b.byID[a]; e != nil {
				names = append(names, e.Name)
			}
			if r := w.ref(a); r != "" {
				according = append(according, r)
			} else {
				w.sum.NotExported["reported speech of an entity the bundle does not hold"]++
			}
		}
		if len(names) > 0 {
			slices.Sort(names)
			o["authors"] = slices.Compact(names)
		}
		if len(according) > 0 {
			slices.Sort(according)
			o["x_threatgraph_according_to_refs"] = slices.Compact(according)
		}
		w.stated(src, id)
		w.mark(o, l)
		w.confidence(o, l)
		w.emit(o)
	}
}

// reports gives each source's report its object_refs (what it and its
// statements state, its notes and its opinions) and writes it.
func (w *writer) reports() {
	stmts := map[string][]string{} // source -> its statement labels
	for l := range w.states {
		if strings.Contains(l, schema.StatementSep) {
			stmts[schema.SourceOf(l)] = append(stmts[schema.SourceOf(l)], l)
		}
	}
	for _, o := range w.rep {
		src := o["x_threatgraph_id"].(string)
		set := map[string]bool{}
		for r := range w.states[src] {
			set[r] = true
		}
		for _, l := range stmts[src] {
			for r := range w.states[l] {
				set[r] = true
			}
		}
		delete(set, o.id())
		refs := slices.Sorted(maps.Keys(set))
		if len(refs) == 0 {
			refs = []string{o["created_by_ref"].(string)}
		}
		o["object_refs"] = refs
		w.emit(o)
	}
	w.rep = nil
}

// marshal encodes v as JSON without HTML escaping and without a newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

package stix

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// Importer reads STIX 2.1 bundles. The zero value is ready to use.
type Importer struct{}

// New returns the STIX importer.
func New() *Importer { return &Importer{} }

// Name is the format's name in reports and the load history.
func (*Importer) Name() string { return "stix" }

var (
	reBundleType = regexp.MustCompile(`"type"\s*:\s*"bundle"`)
	reBundleID   = regexp.MustCompile(`"id"\s*:\s*"bundle--`)
)

// Detect takes a JSON object whose "type" is "bundle" (or a single STIX
// object: a "type" with an "id" type--uuid and a "spec_version"), by its
// content and whatever the file's name: a native .json file has no type.
func (*Importer) Detect(name string, head []byte) bool {
	h := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(h) == 0 || h[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	if _, err := dec.Token(); err != nil {
		return false
	}
	var typ, id string
	spec, truncated := false, false
loop:
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			truncated = true
			break
		}
		switch k {
		case "type", "id", "spec_version":
			var s string
			if err := dec.Decode(&s); err != nil {
				truncated = isSyntax(err)
				break loop
			}
			switch k {
			case "type":
				typ = s
			case "id":
				id = s
			default:
				spec = true
			}
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				truncated = true
				break loop
			}
		}
		if typ == "bundle" {
			return true
		}
	}
	if typ != "" {
		return spec && isStixID(id, typ)
	}
	// The head ends inside a long property (the objects before the type).
	return truncated && reBundleType.Match(h) && reBundleID.Match(h)
}

// Import reads one STIX file. Problems are in the File, never a panic.
func (*Importer) Import(ctx context.Context, name string, data []byte) *ingest.File {
	if objs := readThreatgraph(data); objs != nil { // threatgraph's own export: read back exactly
		return importThreatgraph(ctx, name, data, objs)
	}
	b := ingest.NewBuilder(name, "stix", data)
	bd, objErrs, err := decodeBundle(data)
	if err != nil {
		var pe *posError
		if errors.As(err, &pe) {
			ln := &lines{data: data, line: 1}
			b.FileError(ln.at(pe.off), pe.field, pe.err)
		} else {
			b.FileError(0, "", err)
		}
		return b.File()
	}
	m := newMapper(ctx, b, name, data, bd)
	for _, e := range objErrs {
		o := bd.objects[e.index]
		rec := b.Record(o.line, fmt.Sprintf("objects[%d]", e.index))
		rec.Err(e.line, e.field, e.err)
	}
	if err := m.run(); err != nil {
		b.FileError(0, "", err)
	}
	return b.File()
}

// The STIX object types that map to a kind, and the id prefix of each:
// stable across bundles (the same STIX id always gives the same id) and
// independent of how the object is classified (a threat actor that one
// bundle calls an individual and another does not keeps its id).
var idPrefix = map[string]string{
	"intrusion-set":  "group",
	"threat-actor":   "actor",
	"campaign":       "campaign",
	"attack-pattern": "technique",
	"malware":        "malware",
	"tool":           "tool",
	"identity":       "identity",
	"location":       "location",
	"report":         "source",
}

// fixedKind is the kind of the types whose kind needs no look at the object.
var fixedKind = map[string]schema.Kind{
	"intrusion-set":  schema.Group,
	"campaign":       schema.Campaign,
	"attack-pattern": schema.Technique,
	"malware":        schema.Malware,
	"tool":           schema.Tool,
	"location":       schema.Location,
	"report":         schema.Source,
}

// relPred maps STIX relationship types to predicates of the vocabulary.
var relPred = map[string]string{
	"uses":            "uses",
	"attributed-to":   "attributedTo",
	"targets":         "targets",
	"located-at":      "locatedAt", // between two locations: partOf
	"originates-from": "originatesFrom",
	"subtechnique-of": "subtechniqueOf",
	"impersonates":    "impersonates",
	"authored-by":     "authoredBy",
	"variant-of":      "variantOf",
	"derived-from":    "derivedFrom",
	"cooperates-with": "cooperatesWith",
	"downloads":       "downloads",
	"drops":           "downloads",
}

// Known TLP marking definitions, which bundles often refer to without
// including them: TLP 1.0 (STIX 2.1 section 7.2.1.4) and TLP 2.0.
var knownTLP = map[string]string{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": schema.TLPClear, // TLP:WHITE
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": schema.TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": schema.TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": schema.TLPRed,
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": schema.TLPClear, // TLP 2.0
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": schema.TLPGreen,
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": schema.TLPAmber,
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": schema.TLPAmberStrict,
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": schema.TLPRed,
}

// unmappedWhy says why a type has no place, in the warning.
var unmappedWhy = map[string]string{
	"course-of-action": "threatgraph has no kind for mitigations",
	"indicator":        "threatgraph has no kind for detection patterns",
	"vulnerability":    "threatgraph has no kind for vulnerabilities",
	"infrastructure":   "threatgraph has no kind for infrastructure",
	"observed-data":    "threatgraph has no kind for raw observations",
	"grouping":         "a grouping is no source: its objects are read as outside any report",
}

// A tally counts what is not mapped, by category, with its first line.
type tally struct {
	n, line int
	why     string
	read    bool // read otherwise than as facts (revoked-by), not left out
}

// A pending judgement, written once every statement is known.
type judgement struct {
	line             int
	field            string
	stmt, judge      string
	rank, reason     string
	date, note       string
	evidence         []string
	judgedByOwnerErr bool
}

type mapper struct {
	ctx    context.Context
	b      *ingest.Builder
	name   string
	bd     *bundle
	bundle string // the bundle's Source id

	byID      map[string]*stixObject
	reportsOf map[string][]string // object id -> the Source ids of the reports that refer to it
	revokedBy map[string]string   // object id -> the id of what replaced it
	markings  map[string]string   // marking-definition id -> marking id
	countryOf map[string]string   // country code -> location id of that country in the bundle
	partOfRel map[string]bool     // locations with a located-at relationship to another location

	sources   map[string]*sourceDecl // Sources to declare
	props     map[string]string      // statement label -> the properties it carries (markings, confidence)
	labelsOf  map[string][]string    // object id -> its statements
	bySource  map[string][]string    // Source id -> its statements
	unmapped  map[string]*tally
	missing   map[string]bool // object and marking reference counted as missing
	judgments []judgement
}

type sourceDecl struct {
	id, title, publisher string
	line                 int
}

func newMapper(ctx context.Context, b *ingest.Builder, name string, data []byte, bd *bundle) *mapper {
	m := &mapper{ctx: ctx, b: b, name: name, bd: bd,
		byID: map[string]*stixObject{}, reportsOf: map[string][]string{}, revokedBy: map[string]string{},
		markings: map[string]string{}, countryOf: map[string]string{}, partOfRel: map[string]bool{},
		sources: map[string]*sourceDecl{}, props: map[string]string{}, labelsOf: map[string][]string{},
		bySource: map[string][]string{}, unmapped: map[string]*tally{}, missing: map[string]bool{}}
	if _, u, ok := cutID(bd.ID); ok {
		m.bundle = "source:stix-bundle-" + strings.ToLower(u)
	} else {
		sum := sha256.Sum256(data)
		m.bundle = "source:stix-file-" + hex.EncodeToString(sum[:6])
	}
	return m
}

// count tallies one thing not mapped.
func (m *mapper) count(cat string, line int, why string) {
	t := m.unmapped[cat]
	if t == nil {
		t = &tally{line: line, why: why}
		m.unmapped[cat] = t
	}
	t.n++
}

// read tallies one thing read otherwise than as facts.
func (m *mapper) read(cat string, line int, how string) {
	m.count(cat, line, how)
	m.unmapped[cat].read = true
}

// id returns the threatgraph id of a STIX id, or "" for a type that maps to
// no kind.
func tgID(stixID string) string {
	typ, u, ok := cutID(stixID)
	if !ok {
		return ""
	}
	p := idPrefix[typ]
	if p == "" {
		return ""
	}
	return p + ":stix-" + strings.ToLower(u)
}

// identitySource is the Source of the facts an identity created.
func identitySource(stixID string) string {
	_, u, _ := cutID(stixID)
	return "source:stix-" + strings.ToLower(u)
}

// kindOf returns the kind an object maps to, or "".
func kindOf(o *stixObject) schema.Kind {
	if k, ok := fixedKind[o.Type]; ok {
		return k
	}
	switch o.Type {
	case "threat-actor":
		if slices.Contains(o.ThreatActorTypes, "individual") || o.IdentityClass == "individual" {
			return schema.Person
		}
		return schema.Group
	case "identity":
		if o.IdentityClass == "individual" {
			return schema.Person
		}
		return schema.Organization
	}
	return ""
}

// refKind returns the kind of a referenced object: from the object when the
// bundle holds it, else from its type where that fixes it, else "" (Load
// checks it against the store).
func (m *mapper) refKind(ref string) schema.Kind {
	if o := m.byID[ref]; o != nil {
		return kindOf(o)
	}
	typ, _, _ := cutID(ref)
	return fixedKind[typ]
}

func (m *mapper) run() error {
	objs := m.bd.objects
	// Index: the latest version of each id, markings, reports, revocations.
	older := 0
	for _, o := range objs {
		if o.Type == "" {
			continue // rejected while decoding
		}
		if prev := m.byID[o.ID]; prev != nil {
			older++
			if o.Modified <= prev.Modified {
				continue
			}
		}
		m.byID[o.ID] = o
	}
	if older > 0 {
		m.b.Warn(0, "objects", fmt.Errorf("%d older versions of objects left out (the bundle holds several versions of one id; the latest modified is read)", older))
	}
	for _, o := range objs {
		if m.byID[o.ID] != o {
			continue
		}
		switch o.Type {
		case "marking-definition":
			m.markings[o.ID] = markingOf(o)
		case "report":
			for _, r := range o.ObjectRefs {
				m.reportsOf[r] = append(m.reportsOf[r], tgID(o.ID))
			}
		case "relationship":
			switch o.RelationshipType {
			case "revoked-by":
				m.revokedBy[o.SourceRef] = o.TargetRef
			case "located-at":
				if strings.HasPrefix(o.SourceRef, "location--") && strings.HasPrefix(o.TargetRef, "location--") {
					m.partOfRel[o.SourceRef] = true
				}
			}
		case "location":
			if placeType(o) == "country" && o.Country != "" {
				m.countryOf[strings.ToUpper(o.Country)] = tgID(o.ID)
			}
		}
	}
	var later []*stixObject // sightings, opinions, notes: they refer to statements
	for i, o := range objs {
		if i%1024 == 0 {
			if err := m.ctx.Err(); err != nil {
				return err
			}
		}
		if m.byID[o.ID] != o || o.Type == "" {
			continue
		}
		switch o.Type {
		case "relationship":
			m.relationship(o)
		case "sighting", "opinion", "note":
			later = append(later, o)
		case "marking-definition":
		case "report":
			m.report(o)
		default:
			if kindOf(o) == "" {
				why := unmappedWhy[o.Type]
				switch {
				case why != "":
				case strings.HasPrefix(o.Type, "x-"):
					why = "a custom object type"
				case isObservable(o.Type):
					why = "a cyber observable: threatgraph has no kind for it"
				default:
					why = "threatgraph has no kind for it"
				}
				m.count(o.Type+" objects", o.line, why)
				continue
			}
			m.entity(o)
		}
	}
	for _, o := range later {
		switch o.Type {
		case "sighting":
			m.sighting(o)
		case "opinion":
			m.opinion(o)
		case "note":
			m.note(o)
		}
	}
	m.writeJudgements()
	if len(m.sources) == 0 {
		// Nothing mapped: the bundle was read all the same, and says so.
		m.useSource(m.bundle, "", 0)
	}
	m.writeSources()
	cats := make([]string, 0, len(m.unmapped))
	for c := range m.unmapped {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		t := m.unmapped[c]
		if t.read {
			m.b.Warn(t.line, "objects", fmt.Errorf("%d %s read %s", t.n, c, t.why))
			continue
		}
		m.b.Warn(t.line, "objects", fmt.Errorf("%d %s not mapped (%s)", t.n, c, t.why))
	}
	return nil
}

func isObservable(t string) bool {
	switch t {
	case "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
		"file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software",
		"url", "user-account", "windows-registry-key", "x509-certificate":
		return true
	}
	return false
}

// markingOf returns the marking id of a marking definition: a TLP level,
// or marking:stix-<uuid> for any other (a statement of terms).
func markingOf(o *stixObject) string {
	if t, ok := knownTLP[o.ID]; ok {
		return t
	}
	if o.DefinitionType == "tlp" && len(o.Definition) > 0 {
		var d struct {
			TLP string `json:"tlp"`
		}
		if json.Unmarshal(o.Definition, &d) == nil {
			if t, ok := schema.TLPMarking(d.TLP); ok {
				return t
			}
		}
	}
	for _, e := range o.Extensions {
		if t, ok := schema.TLPMarking(e.TLP2); ok {
			return t
		}
	}
	if strings.HasPrefix(strings.ToUpper(o.Name), "TLP:") {
		if t, ok := schema.TLPMarking(o.Name); ok {
			return t
		}
	}
	_, u, _ := cutID(o.ID)
	return schema.MarkingPrefix + "stix-" + strings.ToLower(u)
}

// markingsOf returns the marking ids of an object: its object markings and,
// as a whole, the markings of any of its properties (a granular marking
// marks the object's statement: never less restricted than the source
// marked a part of it).
func (m *mapper) markingsOf(o *stixObject) []string {
	var out []string
	add := func(ref string) {
		id, ok := m.markings[ref]
		if !ok {
			if t, ok := knownTLP[ref]; ok {
				id = t
			} else {
				_, u, valid := cutID(ref)
				if !valid {
					return
				}
				id = schema.MarkingPrefix + "stix-" + strings.ToLower(u)
				if k := o.ID + " " + ref; !m.missing[k] {
					m.missing[k] = true
					m.count("marking references to definitions outside the bundle", o.line, "kept as marking:stix-<uuid>, of no known TLP level")
				}
			}
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, r := range o.ObjectMarkingRefs {
		add(r)
	}
	for _, g := range o.GranularMarkings {
		add(g.MarkingRef)
	}
	sort.Strings(out)
	return out
}

// sourcesOf returns the Sources that state an object: the reports that
// refer to it, else the identity that created it, else the bundle.
func (m *mapper) sourcesOf(o *stixObject) []string {
	if rs := m.reportsOf[o.ID]; len(rs) > 0 {
		for _, r := range rs {
			m.useSource(r, "", o.line)
		}
		return rs
	}
	if o.CreatedByRef != "" {
		if _, _, ok := cutID(o.CreatedByRef); ok {
			s := identitySource(o.CreatedByRef)
			m.useSource(s, o.CreatedByRef, o.line)
			return []string{s}
		}
	}
	m.useSource(m.bundle, "", o.line)
	return []string{m.bundle}
}

// useSource notes a Source to declare (identity: the STIX identity it
// stands for, whose name is its title).
func (m *mapper) useSource(id, identity string, line int) {
	if _, ok := m.sources[id]; ok {
		return
	}
	d := &sourceDecl{id: id, line: line}
	switch {
	case id == m.bundle:
		d.title = m.bundleTitle()
	case identity != "":
		if o := m.byID[identity]; o != nil {
			d.title = strings.TrimSpace(o.Name)
			d.line = o.line
		}
	}
	m.sources[id] = d
}

// statement returns the label of an object's facts stated by source: a
// statement whose quote is the object's name (a relationship's or
// sighting's description; else its STIX id), carrying its markings and confidence. Objects whose quotes
// coincide but whose markings differ get their STIX id as quote instead, so
// that no statement carries another's marking.
func (m *mapper) statement(rec *ingest.Rec, source string, o *stixObject) string {
	// A relationship's description is the evidence for it ("[APT38] has
	// used ..."); an object's is a fact of its own, and its name names the
	// statement shortly.
	quote := strings.TrimSpace(o.Name)
	if o.Type == "relationship" || o.Type == "sighting" {
		quote = strings.TrimSpace(o.Description)
	}
	if quote == "" {
		quote = o.ID
	}
	marks := m.markingsOf(o)
	props := strings.Join(marks, " ")
	if o.Confidence != nil {
		props += fmt.Sprintf(" c%d", *o.Confidence)
	}
	if o.Revoked || o.XMitreDeprecated {
		props += " revoked:" + o.ID
	}
	label := schema.StatementLabel(source, quote)
	if p, ok := m.props[label]; ok && p != props {
		quote = o.ID
		label = schema.StatementLabel(source, quote)
	}
	m.props[label] = props
	rec.Statement(source, quote)
	if !slices.Contains(m.labelsOf[o.ID], label) {
		m.labelsOf[o.ID] = append(m.labelsOf[o.ID], label)
		m.bySource[source] = append(m.bySource[source], label)
	}
	for _, mk := range marks {
		rec.Mark(o.line, "object_marking_refs", label, schema.MarkingIRI, quad.IRI(mk))
	}
	if c := o.Confidence; c != nil {
		if *c < 0 || *c > 100 {
			rec.Errorf(o.line, fmt.Sprintf("objects[%d].confidence", o.index), "%d is out of range (expected a whole number from 0 to 100)", *c)
		} else {
			rec.Mark(o.line, "confidence", label, schema.ConfidenceIRI, quad.Int(*c))
		}
	}
	if o.Revoked || o.XMitreDeprecated {
		m.flag(o, source, label)
	}
	return label
}

// flag notes the judgement that deprecates a revoked or deprecated object's
// statement.
func (m *mapper) flag(o *stixObject, source, label string) {
	judge := "source:stix-revocations-" + strings.TrimPrefix(m.bundle, "source:stix-")
	var note string
	switch {
	case o.Revoked:
		note = "revoked in STIX"
		if by := m.revokedBy[o.ID]; by != "" {
			name := by
			if r := m.byID[by]; r != nil && r.Name != "" {
				name = r.Name
			}
			note += ", replaced by " + name
			if id := tgID(by); id != "" {
				note += " (" + id + ")"
			}
		}
	default:
		note = "deprecated in ATT&CK (x_mitre_deprecated): no longer maintained"
	}
	m.useSource(judge, "", o.line)
	m.sources[judge].title = "Revocations and deprecations in " + m.bundleTitle()
	m.judgments = append(m.judgments, judgement{line: o.line, field: fmt.Sprintf("objects[%d].revoked", o.index),
		stmt: label, judge: judge, rank: schema.RankDeprecated, reason: "superseded", date: day(o.Modified), note: note})
}

// bundleTitle is the title of the bundle's Source.
func (m *mapper) bundleTitle() string {
	if m.bd.ID != "" {
		return "STIX bundle " + m.bd.ID
	}
	return "STIX file " + strings.TrimPrefix(m.bundle, "source:stix-file-")
}

// day returns the day of a STIX timestamp, "" when it is none.
func day(ts string) string {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(ts))
	if err != nil {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// attack reports whether o is an ATT&CK object, whose first_seen and
// last_seen ATT&CK records to the month (its campaign pages say "First Seen:
// February 2022"; the Workbench's editor takes a month and a year).
func attack(o *stixObject) bool {
	return o.XMitreSpecVersion != "" || o.XMitreFirstSeenCit != "" || o.XMitreLastSeenCit != ""
}

// month returns the month (YYYY-MM) an ATT&CK first_seen or last_seen
// stands for, "" when ts is not one. ATT&CK writes the month as midnight of
// its first day in the editor's time zone: 2024-11-01T04:00:00.000Z (US
// Eastern summer time), 2023-01-31T23:00:00.000Z (Central European time, so
// February 2023). An instant is read as a month when it lies within a time
// zone's offset (UTC-12 to UTC+14) of midnight UTC on a first of the month,
// on a quarter hour; any other instant is not a month and keeps its day.
func month(ts string) string {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(ts))
	if err != nil {
		return ""
	}
	t = t.UTC()
	if t.Nanosecond() != 0 || t.Second() != 0 || t.Minute()%15 != 0 {
		return ""
	}
	day0 := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for _, first := range []time.Time{day0, day0.AddDate(0, 0, 1)} {
		off := t.Sub(first) // UTC instant minus midnight UTC: -offset of the zone
		if first.Day() == 1 && off >= -14*time.Hour && off <= 12*time.Hour {
			return first.Format("2006-01")
		}
	}
	return ""
}

// date states a STIX timestamp as the day it falls on (UTC), keeping the
// timestamp as the source wrote it; an ATT&CK object's first_seen and
// last_seen, recorded to the month, as the month (see month).
func (m *mapper) date(rec *ingest.Rec, o *stixObject, field, subj string, kind schema.Kind, pred, ts, label string) {
	if ts == "" {
		return
	}
	d := day(ts)
	if d == "" {
		rec.Errorf(o.line, fmt.Sprintf("objects[%d].%s", o.index, field), "%q is not a timestamp (expected RFC 3339, such as 2016-04-06T20:03:48.000Z)", ts)
		return
	}
	if (field == "first_seen" || field == "last_seen") && attack(o) {
		if mo := month(ts); mo != "" {
			d = mo
		}
	}
	rec.Date(o.line, fmt.Sprintf("objects[%d].%s", o.index, field), subj, kind, pred, d, ts, label)
}

// scheme returns the scheme of an external reference's source_name for an
// externalId: mitre-attack (and the mobile and ICS matrices) is mitre.
func scheme(source string) string {
	s := strings.ToLower(strings.TrimSpace(source))
	if strings.HasPrefix(s, "mitre-") && strings.HasSuffix(s, "attack") {
		return "mitre"
	}
	return strings.Join(strings.Fields(s), "-")
}

func placeType(o *stixObject) string {
	switch strings.ToLower(o.XOpenCTILocType) {
	case "region":
		return "region"
	case "country":
		return "country"
	case "city":
		return "city"
	case "administrative-area":
		return "province"
	}
	switch {
	case o.City != "":
		return "city"
	case o.AdministrativeArea != "":
		return "province"
	case o.Country != "":
		return "country"
	case o.Region != "":
		return "region"
	}
	return ""
}

// entity maps an SDO with a kind.
func (m *mapper) entity(o *stixObject) {
	kind := kindOf(o)
	id := tgID(o.ID)
	where := fmt.Sprintf("objects[%d] %s", o.index, o.ID)
	rec := m.b.Record(o.line, where)
	f := func(field string) string { return fmt.Sprintf("objects[%d].%s", o.index, field) }
	if id == "" {
		rec.Errorf(o.line, f("id"), "%q is not a STIX id (expected %s--<uuid>)", o.ID, o.Type)
		return
	}
	for _, src := range m.sourcesOf(o) {
		label := m.statement(rec, src, o)
		rec.Declare(o.line, f("type"), id, kind, src)
		m.facts(rec, o, id, kind, label)
	}
}

// facts states an object's properties, labelled label.
func (m *mapper) facts(rec *ingest.Rec, o *stixObject, id string, kind schema.Kind, label string) {
	f := func(field string) string { return fmt.Sprintf("objects[%d].%s", o.index, field) }
	line := o.line
	name := strings.TrimSpace(o.Name)
	if name != "" {
		rec.Fact(line, f("name"), id, kind, "name", name, label)
	} else if kind != schema.Source {
		m.count(o.Type+" objects without a name", line, "kept without a display name")
	}
	keys := map[string]bool{schema.NameKey(name): true}
	alias := func(field string, vs []string) {
		for i, a := range vs {
			a = strings.TrimSpace(a)
			k := schema.NameKey(a)
			if a == "" || keys[k] {
				continue
			}
			keys[k] = true
			rec.Fact(line, fmt.Sprintf("%s[%d]", f(field), i), id, kind, "alias", a, label)
		}
	}
	alias("aliases", o.Aliases)
	alias("x_mitre_aliases", o.XMitreAliases)
	alias("x_opencti_aliases", o.XOpenCTIAliases)
	if d := strings.TrimSpace(o.Description); d != "" {
		rec.Fact(line, f("description"), id, kind, "description", d, label)
	}
	rec.Fact(line, f("id"), id, kind, "externalId", "stix:"+o.ID, label)
	for i, e := range o.ExternalReferences {
		if e.ExternalID != "" && e.SourceName != "" {
			rec.Fact(line, fmt.Sprintf("%s[%d].external_id", f("external_references"), i), id, kind, "externalId", scheme(e.SourceName)+":"+strings.TrimSpace(e.ExternalID), label)
		}
	}
	if p := schema.Lookup("firstSeen"); p.Allows(kind) {
		m.date(rec, o, "first_seen", id, kind, "firstSeen", o.FirstSeen, label)
		m.date(rec, o, "last_seen", id, kind, "lastSeen", o.LastSeen, label)
	}
	switch kind {
	case schema.Technique, schema.Malware, schema.Tool:
		for i, k := range o.KillChainPhases {
			if k.KillChainName != "" && k.PhaseName != "" {
				rec.Fact(line, fmt.Sprintf("%s[%d]", f("kill_chain_phases"), i), id, kind, "killChainPhase", k.KillChainName+":"+k.PhaseName, label)
			}
		}
		for i, p := range o.XMitrePlatforms {
			if p = strings.TrimSpace(p); p != "" {
				rec.Fact(line, fmt.Sprintf("%s[%d]", f("x_mitre_platforms"), i), id, kind, "platform", p, label)
			}
		}
	case schema.Person:
		for i, r := range o.Roles {
			if r = strings.TrimSpace(r); r != "" {
				rec.Fact(line, fmt.Sprintf("%s[%d]", f("roles"), i), id, kind, "role", r, label)
			}
		}
	case schema.Organization:
		if t := strings.TrimSpace(o.XOpenCTIOrgType); t != "" {
			rec.Fact(line, f("x_opencti_organization_type"), id, kind, "orgType", t, label)
		}
	case schema.Location:
		pt := placeType(o)
		if pt != "" {
			rec.Fact(line, f("type"), id, kind, "placeType", pt, label)
		}
		if o.Latitude != nil && o.Longitude != nil {
			rec.Value(line, f("latitude"), id, kind, "lat", quad.Float(*o.Latitude), label)
			rec.Value(line, f("longitude"), id, kind, "lon", quad.Float(*o.Longitude), label)
		}
		if pt == "country" && o.Country != "" {
			rec.Fact(line, f("country"), id, kind, "externalId", "iso3166-1:"+strings.ToUpper(strings.TrimSpace(o.Country)), label)
		}
		if (pt == "city" || pt == "province") && o.Country != "" && !m.partOfRel[o.ID] {
			if c := m.countryOf[strings.ToUpper(o.Country)]; c != "" && c != id {
				rec.Value(line, f("country"), id, kind, "partOf", quad.IRI(c), label)
			}
		}
	}
}

// report maps a report to a Source: its own facts are its own.
func (m *mapper) report(o *stixObject) {
	id := tgID(o.ID)
	rec := m.b.Record(o.line, fmt.Sprintf("objects[%d] %s", o.index, o.ID))
	f := func(field string) string { return fmt.Sprintf("objects[%d].%s", o.index, field) }
	if id == "" {
		rec.Errorf(o.line, f("id"), "%q is not a STIX id (expected report--<uuid>)", o.ID)
		return
	}
	delete(m.sources, id) // declared here, with its title
	rec.Declare(o.line, f("type"), id, schema.Source, id)
	if t := strings.TrimSpace(o.Name); t != "" {
		rec.Fact(o.line, f("name"), id, schema.Source, "title", t, id)
	}
	m.date(rec, o, "published", id, schema.Source, "published", o.Published, id)
	if c := m.byID[o.CreatedByRef]; c != nil && strings.TrimSpace(c.Name) != "" {
		rec.Fact(o.line, f("created_by_ref"), id, schema.Source, "publisher", strings.TrimSpace(c.Name), id)
	}
	if d := strings.TrimSpace(o.Description); d != "" {
		rec.Fact(o.line, f("description"), id, schema.Source, "description", d, id)
	}
	rec.Fact(o.line, f("id"), id, schema.Source, "externalId", "stix:"+o.ID, id)
	url := false
	for i, e := range o.ExternalReferences {
		if e.ExternalID != "" && e.SourceName != "" {
			rec.Fact(o.line, fmt.Sprintf("%s[%d].external_id", f("external_references"), i), id, schema.Source, "externalId", scheme(e.SourceName)+":"+strings.TrimSpace(e.ExternalID), id)
		}
		if e.URL != "" && !url {
			url = rec.Fact(o.line, fmt.Sprintf("%s[%d].url", f("external_references"), i), id, schema.Source, "url", strings.TrimSpace(e.URL), id)
		}
	}
	for _, mk := range m.markingsOf(o) {
		rec.Mark(o.line, f("object_marking_refs"), id, schema.MarkingIRI, quad.IRI(mk))
	}
	if c := o.Confidence; c != nil && *c >= 0 && *c <= 100 {
		rec.Mark(o.line, f("confidence"), id, schema.ConfidenceIRI, quad.Int(*c))
	}
	m.sources[id] = nil // declared: not again
}

// relationship maps a relationship to the relation quads of its sources.
func (m *mapper) relationship(o *stixObject) {
	rt := o.RelationshipType
	st, _, _ := cutID(o.SourceRef)
	tt, _, _ := cutID(o.TargetRef)
	if rt == "revoked-by" {
		m.read("revoked-by relationships", o.line, "as the notes of the judgements that deprecate the revoked objects, not as relations")
		return
	}
	pred := relPred[rt]
	sk, tk := m.refKind(o.SourceRef), m.refKind(o.TargetRef)
	sid, tid := tgID(o.SourceRef), tgID(o.TargetRef)
	switch {
	case (rt == "located-at" || rt == "part-of") && st == "location" && tt == "location":
		pred = "partOf" // OpenCTI's place hierarchy
	case rt == "part-of" && sk == schema.Organization && tk == schema.Organization:
		pred = "partOfOrg" // OpenCTI's sectors, organisations within organisations
	}
	if pred == "" {
		m.count(rt+" relationships", o.line, "no relation of the vocabulary for it")
		return
	}
	if sid == "" || tid == "" {
		m.count(fmt.Sprintf("%s relationships from %s to %s", rt, st, tt), o.line, "an end is of a type that maps to no kind")
		return
	}
	p := schema.Lookup(pred)
	if (sk != "" && !p.Allows(sk)) || (tk != "" && !p.Accepts(tk)) {
		m.count(fmt.Sprintf("%s relationships from %s to %s", rt, sk, tk), o.line, "the vocabulary's "+pred+" does not link these kinds")
		return
	}
	rec := m.b.Record(o.line, fmt.Sprintf("objects[%d] %s", o.index, o.ID))
	for _, src := range m.sourcesOf(o) {
		label := m.statement(rec, src, o)
		rec.Value(o.line, fmt.Sprintf("objects[%d].target_ref", o.index), sid, sk, pred, quad.IRI(tid), label)
	}
}

// sighting maps a sighting of a mapped object at identities or places to
// the object targets them, according to the sighting's source.
func (m *mapper) sighting(o *stixObject) {
	st, _, _ := cutID(o.SightingOfRef)
	sid, sk := tgID(o.SightingOfRef), m.refKind(o.SightingOfRef)
	if sid == "" || (sk != "" && !schema.Lookup("targets").Allows(sk)) {
		m.count("sightings of "+st+" objects", o.line, "what was sighted maps to no kind that can target")
		return
	}
	var where []string
	for _, w := range o.WhereSightedRefs {
		if id := tgID(w); id != "" && id != sid {
			where = append(where, id)
		}
	}
	if len(where) == 0 {
		m.count("sightings without a mapped where_sighted_refs", o.line, "nothing to say where it was seen")
		return
	}
	rec := m.b.Record(o.line, fmt.Sprintf("objects[%d] %s", o.index, o.ID))
	for _, src := range m.sourcesOf(o) {
		label := m.statement(rec, src, o)
		for i, w := range where {
			rec.Value(o.line, fmt.Sprintf("objects[%d].where_sighted_refs[%d]", o.index, i), sid, sk, "targets", quad.IRI(w), label)
		}
	}
}

// stmtsOf returns the statements an opinion or note refers to by a STIX id:
// an object's or relationship's, or every statement of a report.
func (m *mapper) stmtsOf(ref string) []string {
	if strings.HasPrefix(ref, "report--") {
		return m.bySource[tgID(ref)]
	}
	return m.labelsOf[ref]
}

// opinion maps an opinion to judgements of the statements it is about:
// disagree and strongly-disagree deprecate them (doubtful), agree marks
// them reviewed, strongly-agree confirmed, neutral says nothing.
func (m *mapper) opinion(o *stixObject) {
	var rank, reason string
	switch o.Opinion {
	case "strongly-disagree", "disagree":
		rank, reason = schema.RankDeprecated, "doubtful"
	case "agree":
		rank, reason = schema.RankNormal, "reviewed"
	case "strongly-agree":
		rank, reason = schema.RankNormal, "confirmed"
	case "neutral":
		m.count("neutral opinions", o.line, "a neutral opinion ranks nothing")
		return
	default:
		rec := m.b.Record(o.line, fmt.Sprintf("objects[%d] %s", o.index, o.ID))
		rec.Errorf(o.line, fmt.Sprintf("objects[%d].opinion", o.index), "%q is not an opinion (expected strongly-disagree, disagree, neutral, agree or strongly-agree)", o.Opinion)
		return
	}
	judge := m.sourcesOf(o)
	note := strings.TrimSpace(o.Explanation)
	if note == "" {
		note = "STIX opinion: " + o.Opinion
	}
	for i, ref := range o.ObjectRefs {
		stmts := m.stmtsOf(ref)
		if len(stmts) == 0 {
			m.count("opinions on objects that are not mapped", o.line, "nothing mapped to judge")
			continue
		}
		for _, j := range judge {
			for _, s := range stmts {
				if schema.SourceOf(s) == j {
					m.count("opinions of a source on its own statements", o.line, "a judgement is another source's word on a statement")
					continue
				}
				m.judgments = append(m.judgments, judgement{line: o.line, field: fmt.Sprintf("objects[%d].object_refs[%d]", o.index, i),
					stmt: s, judge: j, rank: rank, reason: reason, date: day(o.Created), note: note})
			}
		}
	}
}

// note maps a note to a description of each entity it is about, in the
// note's words, according to the note's source.
func (m *mapper) note(o *stixObject) {
	content := strings.TrimSpace(o.Content)
	if content == "" {
		rec := m.b.Record(o.line, fmt.Sprintf("objects[%d] %s", o.index, o.ID))
		rec.Errorf(o.line, fmt.Sprintf("objects[%d].content", o.index), "missing or empty (expected the note's text)")
		return
	}
	var rec *ingest.Rec
	for i, ref := range o.ObjectRefs {
		typ, _, _ := cutID(ref)
		id, k := tgID(ref), m.refKind(ref)
		if id == "" || typ == "report" {
			m.count("notes on objects that are not entities", o.line, "a note describes an entity")
			continue
		}
		if rec == nil {
			rec = m.b.Record(o.line, fmt.Sprintf("objects[%d] %s", o.index, o.ID))
		}
		for _, src := range m.sourcesOf(o) {
			label := rec.Statement(src, content)
			for _, mk := range m.markingsOf(o) {
				rec.Mark(o.line, fmt.Sprintf("objects[%d].object_marking_refs", o.index), label, schema.MarkingIRI, quad.IRI(mk))
			}
			rec.Fact(o.line, fmt.Sprintf("objects[%d].object_refs[%d]", o.index, i), id, k, "description", content, label)
		}
	}
}

// writeJudgements writes each judgement as the native reader does: one
// record per quad, as checkJudgements reads N-Quads judgements.
func (m *mapper) writeJudgements() {
	for _, j := range m.judgments {
		id := quad.IRI(schema.JudgementID(j.stmt, j.rank, j.reason, j.judge, j.date, j.note))
		l := quad.IRI(j.judge)
		qs := []quad.Quad{
			quad.Make(id, quad.IRI(schema.JudgesIRI), quad.IRI(j.stmt), l),
			quad.Make(id, quad.IRI(schema.RankIRI), quad.String(j.rank), l),
			quad.Make(id, quad.IRI(schema.ReasonIRI), quad.String(j.reason), l),
			quad.Make(id, quad.IRI(schema.NoteIRI), quad.String(j.note), l),
		}
		if j.date != "" {
			qs = append(qs, quad.Make(id, quad.IRI(schema.JudgedOnIRI), quad.TypedString{Value: quad.String(j.date), Type: ingest.DateType}, l))
		}
		for _, q := range qs {
			m.b.Record(j.line, j.field).Quad(j.line, j.field, q)
		}
	}
}

// writeSources declares the Sources the facts are labelled with.
func (m *mapper) writeSources() {
	ids := make([]string, 0, len(m.sources))
	for id, d := range m.sources {
		if d != nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		d := m.sources[id]
		rec := m.b.Record(d.line, "source "+id)
		rec.Declare(d.line, "created_by_ref", id, schema.Source, id)
		if d.title != "" {
			rec.Fact(d.line, "name", id, schema.Source, "title", d.title, id)
		}
	}
}

package gazetteer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"
	bolt "go.etcd.io/bbolt"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// The sources of the facts Enrich adds: GeoNames for cities and provinces,
// i18n-iso-countries for countries (their names and codes).
const (
	SourceGeoNames  = "source:geonames"
	SourceCountries = "source:i18n-iso-countries"
)

// EnrichFile is the name of the File Enrich appends to a load.
const EnrichFile = "geonames"

// Summary says what Enrich did.
type Summary struct {
	Resolved  int `json:"resolved"`  // Locations given facts
	Ambiguous int `json:"ambiguous"` // several equal matches: a warning each, no facts
	Unmatched int `json:"unmatched"` // no place of that name (and kind, and country)
	Added     int `json:"added"`     // facts added (not counting the declarations)
}

// A loc is what the files say of one entity.
type loc struct {
	id         string
	location   bool // declared a Location (in the files or the store)
	stored     bool // the store's quads of it were read
	file       *ingest.File
	line       int
	names      []string
	placeTypes []string
	parents    []string
	coords     bool
	externalID map[string]bool
}

// A resolution is what the gazetteer says of a loc.
type resolution struct {
	cands []Candidate // after narrowing
	best  []Candidate // the best of them, equal: on a place's own name, else on any
	place *Place      // the one match, or nil
	done  bool
}

type enricher struct {
	ctx  context.Context
	gz   *Gazetteer
	st   Stored // may be nil
	locs map[string]*loc
	res  map[string]*resolution
	err  error
	b    *ingest.Builder
	sum  Summary
	refs map[string]string // gazetteer place key → the entity standing for it
	decl map[string]bool   // location:geonames-… declared by this File
	srcs map[string]bool   // sources used
}

// Enrich resolves, against gz, the Location entities that the files declare
// with a name and that lack coordinates, a placeType or a partOf (in any
// file of the load, from any source), and returns the files with one more,
// EnrichFile, holding the facts the gazetteer adds: labelled
// source:geonames (cities, provinces) or source:i18n-iso-countries
// (countries), which it declares. A Location is resolved when exactly one
// place has one of its names, narrowed by its placeType (country, province,
// or city, town, village, district) and by the countries and provinces its
// partOf chain resolves to; a match on a place's own name beats a match on
// an alternate name only. It then gets what it lacks: lat and lon, a
// placeType (province, country, district for GeoNames' sections of
// populated places; GeoNames does not tell a city from a town or village),
// partOf its province (else country) where it has none, and always the
// place's externalId. The province and country are the file's own entities
// where exactly one resolved to them, else location:geonames-<code>,
// declared with their names. Several equal matches are a warning in the
// entity's file naming the candidates, and add nothing. Files or records
// with problems are left alone. The result is deterministic: the same
// files and gazetteer give the same File.
func Enrich(ctx context.Context, gz *Gazetteer, files []*ingest.File) ([]*ingest.File, Summary, error) {
	return EnrichInto(ctx, gz, files, nil)
}

// Stored is what EnrichInto reads of the store a load goes into: the quads
// of a subject, and of an object (an externalId, a name key). *graph.Store
// satisfies it.
type Stored interface {
	Quads(ctx context.Context, d quad.Direction, v quad.Value, fn func(quad.Quad) error) error
}

// EnrichInto is Enrich for a load into st (nil: none): what the store holds
// of an entity counts as the files' (a partOf, coordinates, a placeType, a
// name that resolves a partOf target), and the store's own entity for a
// province or country (by its externalId, else a name that resolves to it,
// one entity only) is the partOf target before a new location:geonames-….
func EnrichInto(ctx context.Context, gz *Gazetteer, files []*ingest.File, st Stored) ([]*ingest.File, Summary, error) {
	e := &enricher{ctx: ctx, gz: gz, st: st, locs: map[string]*loc{}, res: map[string]*resolution{},
		refs: map[string]string{}, decl: map[string]bool{}, srcs: map[string]bool{}}
	e.collect(files)
	ids := make([]string, 0, len(e.locs))
	for id, l := range e.locs {
		if l.file != nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		e.fromStore(id)
	}
	if e.err != nil {
		return files, e.sum, e.err
	}
	// Resolve every named Location first: the load's own entities for a
	// province or country are then known before any partOf is written.
	for _, id := range ids {
		e.resolve(id, map[string]bool{})
		if e.err != nil {
			return files, e.sum, e.err
		}
	}
	byPlace := map[string][]string{}
	for id, r := range e.res {
		if r.place != nil {
			k := placeKey(r.place.Kind, r.place.ID)
			byPlace[k] = append(byPlace[k], id)
		}
	}
	for k, ents := range byPlace {
		if len(ents) == 1 {
			e.refs[k] = ents[0]
		}
	}
	e.b = ingest.NewBuilder(EnrichFile, "gazetteer", nil)
	var ambiguous []*loc
	for _, id := range ids {
		l := e.locs[id]
		if len(l.names) == 0 || (l.coords && len(l.placeTypes) > 0 && len(l.parents) > 0) {
			continue
		}
		r := e.resolve(id, map[string]bool{})
		switch {
		case r.place != nil:
			e.sum.Resolved++
			e.add(l, r.place)
		case len(r.best) > 1:
			e.sum.Ambiguous++
			ambiguous = append(ambiguous, l)
		case kindsOf(l.placeTypes) != nil && len(kindsOf(l.placeTypes)) == 0:
			// A region, venue or site: not the gazetteer's to say.
		default:
			e.sum.Unmatched++
		}
		if e.err != nil {
			return files, e.sum, e.err
		}
	}
	sort.SliceStable(ambiguous, func(i, j int) bool { // in the order of the input
		a, b := ambiguous[i], ambiguous[j]
		if a.file != b.file {
			return a.file.Name < b.file.Name
		}
		return a.line < b.line
	})
	for _, l := range ambiguous {
		e.warn(l, e.res[l.id].best)
	}
	if e.sum.Resolved == 0 {
		return files, e.sum, nil
	}
	e.sources()
	f := e.b.File()
	f.SHA256 = e.digest(f)
	return append(files, f), e.sum, e.err
}

// digest stands for the File's bytes in the load history: the sha256 of
// the gazetteer's files and of the quads, in order, one a line.
func (e *enricher) digest(f *ingest.File) string {
	h := sha256.New()
	for _, in := range e.gz.stats.Files {
		fmt.Fprintf(h, "# %s %s\n", in.Format, in.SHA256)
	}
	for _, r := range f.Records {
		for _, q := range r.Quads {
			fmt.Fprintln(h, q.String())
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (e *enricher) get(id string) *loc {
	l := e.locs[id]
	if l == nil {
		l = &loc{id: id, externalID: map[string]bool{}}
		e.locs[id] = l
	}
	return l
}

// collect reads the valid records of the valid files.
func (e *enricher) collect(files []*ingest.File) {
	for _, f := range files {
		if len(f.FileErrs) > 0 {
			continue
		}
		for _, r := range f.Records {
			if len(r.Errs) > 0 {
				continue
			}
			for _, d := range r.Defines {
				if d.Kind == schema.Location {
					if l := e.get(d.ID); l.file == nil {
						l.file, l.line, l.location = f, d.Line, true
					}
				}
			}
			for _, q := range r.Quads {
				e.see(q)
			}
		}
	}
	for _, l := range e.locs {
		sort.Strings(l.parents)
	}
}

// see notes what a quad says of a place.
func (e *enricher) see(q quad.Quad) {
	s, ok := q.Subject.(quad.IRI)
	if !ok {
		return
	}
	p, _ := q.Predicate.(quad.IRI)
	switch p {
	case "tg:name":
		if t, ok := ingest.LiteralText(q.Object); ok {
			l := e.get(string(s))
			if !contains(l.names, t) {
				l.names = append(l.names, t)
			}
		}
	case "tg:placeType":
		if t, ok := ingest.LiteralText(q.Object); ok {
			l := e.get(string(s))
			if !contains(l.placeTypes, t) {
				l.placeTypes = append(l.placeTypes, t)
			}
		}
	case "tg:partOf":
		if o, ok := q.Object.(quad.IRI); ok {
			l := e.get(string(s))
			if !contains(l.parents, string(o)) {
				l.parents = append(l.parents, string(o))
			}
		}
	case "tg:lat", "tg:lon":
		e.get(string(s)).coords = true
	case "tg:externalId":
		if t, ok := ingest.LiteralText(q.Object); ok {
			e.get(string(s)).externalID[t] = true
		}
	case schema.TypeIRI:
		if q.Object == quad.Value(quad.IRI(schema.Location.IRI())) {
			e.get(string(s)).location = true
		}
	}
}

// fromStore adds what the store holds of id (once).
func (e *enricher) fromStore(id string) *loc {
	l := e.get(id)
	if e.st == nil || l.stored || e.err != nil {
		return l
	}
	l.stored = true
	err := e.st.Quads(e.ctx, quad.Subject, quad.IRI(id), func(q quad.Quad) error {
		e.see(q)
		return nil
	})
	if err != nil {
		e.err = fmt.Errorf("reading %s from the store: %w", id, err)
	}
	sort.Strings(l.parents)
	return l
}

// storedSubjects returns the subjects of the store's quads pred obj.
func (e *enricher) storedSubjects(pred string, obj quad.Value) []string {
	if e.st == nil || e.err != nil {
		return nil
	}
	var out []string
	err := e.st.Quads(e.ctx, quad.Object, obj, func(q quad.Quad) error {
		if q.Predicate == quad.Value(quad.IRI(pred)) {
			if s, ok := q.Subject.(quad.IRI); ok && !contains(out, string(s)) {
				out = append(out, string(s))
			}
		}
		return nil
	})
	if err != nil {
		e.err = fmt.Errorf("reading the store: %w", err)
	}
	sort.Strings(out)
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// kindsOf maps an entity's placeTypes to the gazetteer's kinds: nil when
// it has none (any kind), empty when none is the gazetteer's (a region).
func kindsOf(types []string) []Kind {
	if len(types) == 0 {
		return nil
	}
	out := []Kind{}
	for _, t := range types {
		var k Kind
		switch t {
		case "country":
			k = Country
		case "province":
			k = Province
		case "city", "town", "village", "district":
			k = City
		default:
			continue
		}
		if !containsKind(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func containsKind(l []Kind, k Kind) bool {
	for _, x := range l {
		if x == k {
			return true
		}
	}
	return false
}

// A hint is a country, and perhaps a province, that an entity lies in.
type hint struct{ country, admin1 string }

func (h hint) admits(p *Place) bool {
	if h.country != "" && p.Country != h.country {
		return false
	}
	return h.admin1 == "" || p.Kind != City || p.Admin1 == h.admin1
}

// resolve looks an entity up by its names, kinds and partOf hints.
func (e *enricher) resolve(id string, visiting map[string]bool) *resolution {
	if r := e.res[id]; r != nil {
		if r.done {
			return r
		}
		return &resolution{} // a cycle: partOf is acyclic, Load will say so
	}
	r := &resolution{}
	e.res[id] = r
	defer func() { r.done = true }()
	l := e.fromStore(id)
	if !l.location || len(l.names) == 0 {
		return r
	}
	kinds := kindsOf(l.placeTypes)
	if kinds != nil && len(kinds) == 0 {
		return r
	}
	var cands []Candidate
	seen := map[string]int{}
	err := e.gz.db.View(func(tx *bolt.Tx) error {
		for _, n := range l.names {
			cs, err := lookup(e.ctx, tx, schema.NameKey(n), kinds, "")
			if err != nil {
				return err
			}
			for _, c := range cs {
				k := placeKey(c.Kind, c.place.ID)
				if i, ok := seen[k]; ok {
					cands[i].Matched = append(cands[i].Matched, c.Matched...)
					cands[i].Primary = cands[i].Primary || c.Primary
					continue
				}
				seen[k] = len(cands)
				cands = append(cands, c)
			}
		}
		return nil
	})
	if err != nil {
		e.err = fmt.Errorf("resolving %s in the gazetteer: %w", id, err)
		return r
	}
	visiting[id] = true
	hints := e.hints(l, visiting)
	delete(visiting, id)
	cands = narrow(cands, hints)
	sortCandidates(cands)
	r.cands = cands
	var best []Candidate
	for _, c := range cands {
		if c.Primary {
			best = append(best, c)
		}
	}
	if len(best) == 0 {
		best = cands
	}
	r.best = best
	if len(best) == 1 {
		r.place = best[0].place
	}
	return r
}

// narrow keeps the candidates every hint admits, else those some hint
// admits.
func narrow(cands []Candidate, hints []hint) []Candidate {
	if len(hints) == 0 {
		return cands
	}
	var all, some []Candidate
	for _, c := range cands {
		n := 0
		for _, h := range hints {
			if h.admits(c.place) {
				n++
			}
		}
		if n == len(hints) {
			all = append(all, c)
		}
		if n > 0 {
			some = append(some, c)
		}
	}
	if len(all) > 0 {
		return all
	}
	return some
}

// hints walks up an entity's partOf chain to the first ancestors that
// resolve (or that are the gazetteer's own location:geonames-… entities).
func (e *enricher) hints(l *loc, visiting map[string]bool) []hint {
	var out []hint
	for _, p := range l.parents {
		if visiting[p] {
			continue
		}
		if h, ok := e.hintOfID(p); ok {
			out = append(out, h)
			continue
		}
		if r := e.resolve(p, visiting); r.place != nil {
			h := hint{country: r.place.Country}
			if r.place.Kind == Province {
				h.admin1 = r.place.ID
			}
			out = append(out, h)
			continue
		}
		visiting[p] = true
		out = append(out, e.hints(e.fromStore(p), visiting)...)
		delete(visiting, p)
	}
	return out
}

// hintOfID reads the place of a location:geonames-<code> id.
func (e *enricher) hintOfID(id string) (hint, bool) {
	code, ok := strings.CutPrefix(id, geonamesPrefix)
	if !ok {
		return hint{}, false
	}
	switch {
	case isCode(code, 2):
		return hint{country: code}, true
	case strings.Contains(code, "."):
		cc, _, _ := strings.Cut(code, ".")
		return hint{country: cc, admin1: code}, true
	}
	if _, err := strconv.ParseUint(code, 10, 32); err == nil {
		if p, err := e.gz.place(City, code); err == nil && p != nil {
			return hint{country: p.Country}, true
		}
	}
	return hint{}, false
}

// geonamesPrefix starts the ids of the Locations Enrich declares.
const geonamesPrefix = "location:geonames-"

func sourceOf(p *Place) string {
	if p.Kind == Country {
		return SourceCountries
	}
	return SourceGeoNames
}

// placeTypeOf is the placeType the gazetteer states of a place, or "".
func placeTypeOf(p *Place) string {
	switch {
	case p.Kind == Country:
		return "country"
	case p.Kind == Province:
		return "province"
	case p.Feature == "PPLX": // a section of a populated place
		return "district"
	}
	return ""
}

// add writes the facts the gazetteer gives l.
func (e *enricher) add(l *loc, p *Place) {
	src := sourceOf(p)
	e.srcs[src] = true
	rec := e.b.Record(0, fmt.Sprintf("%s (%s %s)", l.id, p.ExternalID(), p.Name))
	field := l.id + "."
	n := 0
	if ext := p.ExternalID(); !l.externalID[ext] {
		if rec.Fact(0, field+"externalId", l.id, schema.Location, "externalId", ext, src) {
			n++
		}
	}
	if !l.coords && p.HasCoords {
		if rec.Value(0, field+"lat", l.id, schema.Location, "lat", quad.Float(p.Lat), src) {
			n++
		}
		if rec.Value(0, field+"lon", l.id, schema.Location, "lon", quad.Float(p.Lon), src) {
			n++
		}
	}
	if t := placeTypeOf(p); t != "" && len(l.placeTypes) == 0 {
		if rec.Fact(0, field+"placeType", l.id, schema.Location, "placeType", t, src) {
			n++
		}
	}
	if len(l.parents) == 0 {
		if parent := e.parentOf(p); parent != "" && parent != l.id {
			if rec.Value(0, field+"partOf", l.id, schema.Location, "partOf", quad.IRI(parent), SourceGeoNames) {
				e.srcs[SourceGeoNames] = true
				n++
			}
		}
	}
	e.sum.Added += n
}

// parentOf returns the entity a place lies in (its province, else its
// country), declaring location:geonames-<code> if the files have none.
func (e *enricher) parentOf(p *Place) string {
	switch p.Kind {
	case City:
		if p.Admin1 != "" {
			if id := e.ref(Province, p.Admin1); id != "" {
				return id
			}
		}
		return e.ref(Country, p.Country)
	case Province:
		return e.ref(Country, p.Country)
	}
	return ""
}

// ref returns the entity for a province or country: the files' own, else a
// declared location:geonames-<code>; "" if the gazetteer lacks it.
func (e *enricher) ref(k Kind, code string) string {
	if id := e.refs[placeKey(k, code)]; id != "" {
		return id
	}
	id := geonamesPrefix + code
	if e.decl[id] {
		return id
	}
	p, err := e.gz.place(k, code)
	if err != nil {
		e.err = err
		return ""
	}
	if p == nil {
		return ""
	}
	if own := e.storedRef(p); own != "" {
		e.refs[placeKey(k, code)] = own
		return own
	}
	e.decl[id] = true
	src := sourceOf(p)
	e.srcs[src] = true
	rec := e.b.Record(0, fmt.Sprintf("%s (%s)", id, p.Name))
	rec.Declare(0, id, id, schema.Location, src)
	rec.Fact(0, id+".name", id, schema.Location, "name", p.Name, src)
	rec.Fact(0, id+".placeType", id, schema.Location, "placeType", placeTypeOf(p), src)
	rec.Fact(0, id+".externalId", id, schema.Location, "externalId", p.ExternalID(), src)
	if parent := e.parentOf(p); parent != "" {
		e.srcs[SourceGeoNames] = true
		rec.Value(0, id+".partOf", id, schema.Location, "partOf", quad.IRI(parent), SourceGeoNames)
	}
	return id
}

// storedRef finds the store's one entity for a province or country: the
// one with its externalId, else the one Location with one of its names that
// resolves to it; "" if none or several.
func (e *enricher) storedRef(p *Place) string {
	if e.st == nil {
		return ""
	}
	if ids := e.storedSubjects("tg:externalId", quad.String(p.ExternalID())); len(ids) == 1 {
		return ids[0]
	} else if len(ids) > 1 {
		return ""
	}
	names, err := e.gz.aliases(p.Kind, p.ID)
	if err != nil {
		e.err = err
		return ""
	}
	var found []string
	for _, n := range names {
		for _, id := range e.storedSubjects(schema.KeyIRI, quad.String(schema.NameKey(n))) {
			if contains(found, id) {
				continue
			}
			if r := e.resolve(id, map[string]bool{}); r.place != nil && r.place.Kind == p.Kind && r.place.ID == p.ID {
				found = append(found, id)
			}
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

// maxNamed is how many candidates a warning names.
const maxNamed = 8

func (e *enricher) warn(l *loc, cands []Candidate) {
	var b strings.Builder
	for i, c := range cands {
		if i == maxNamed {
			fmt.Fprintf(&b, ", and %d more", len(cands)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(describe(c))
	}
	names, _ := json.Marshal(l.names)
	l.file.Warnings.Addf(l.file.Name, l.line, l.id,
		"name %s matches %d places in the gazetteer equally: %s; nothing added (a placeType, or a partOf the country or province, chooses)",
		names, len(cands), b.String())
}

// describe names a candidate in a warning: "geonames:4951788 Springfield
// (US.MA, population 155929)".
func describe(c Candidate) string {
	var where []string
	switch {
	case c.Province != nil:
		where = append(where, c.Province.Code)
	case c.Country != nil:
		where = append(where, c.Country.Code)
	}
	if c.Kind != City {
		where = append(where, c.Kind.String())
	}
	if c.Population > 0 {
		where = append(where, "population "+strconv.FormatInt(c.Population, 10))
	}
	s := c.ID + " " + c.Name
	if len(where) > 0 {
		s += " (" + strings.Join(where, ", ") + ")"
	}
	return s
}

// sources declares the sources the File uses.
func (e *enricher) sources() {
	for _, s := range []struct{ id, title, publisher, url, desc string }{
		{SourceGeoNames, "GeoNames", "GeoNames", "https://www.geonames.org",
			"The GeoNames gazetteer (cities and first-order administrative divisions), loaded with threatgraph places load: coordinates, provinces and ids of places resolved by name. Contains data from GeoNames (https://www.geonames.org/), licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)."},
		{SourceCountries, "i18n-iso-countries", "i18n-iso-countries contributors", "https://github.com/michaelwittig/node-i18n-iso-countries",
			"ISO 3166-1 country codes and country names in many languages, loaded with threatgraph places load. MIT licence."},
	} {
		if !e.srcs[s.id] {
			continue
		}
		rec := e.b.Record(0, s.id)
		rec.Declare(0, s.id, s.id, schema.Source, s.id)
		rec.Fact(0, s.id+".title", s.id, schema.Source, "title", s.title, s.id)
		rec.Fact(0, s.id+".publisher", s.id, schema.Source, "publisher", s.publisher, s.id)
		rec.Fact(0, s.id+".url", s.id, schema.Source, "url", s.url, s.id)
		rec.Fact(0, s.id+".description", s.id, schema.Source, "description", s.desc, s.id)
	}
}

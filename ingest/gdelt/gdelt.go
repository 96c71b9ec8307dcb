package gdelt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// Name is the format's name in reports and the load history.
const Name = "gdelt"

// SourceID is the constant Source of GDELT itself: it labels the facts of
// rows that give no SOURCEURL.
const SourceID = "source:gdelt"

// Importer reads GDELT event files. The zero value is ready to use.
type Importer struct{}

// New returns the GDELT importer.
func New() *Importer { return &Importer{} }

// Name implements ingest.Importer.
func (*Importer) Name() string { return Name }

// Detect implements ingest.Importer: a file named *.export.CSV (GDELT's
// own name for its event exports), or any file whose first line is a
// GDELT event row: tab-separated, 57, 58 or 61 columns, a GlobalEventID
// (digits) and a SQLDATE (YYYYMMDD) first.
func (*Importer) Detect(name string, head []byte) bool {
	if strings.HasSuffix(strings.ToLower(name), ".export.csv") {
		return true
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if bytes.Count(line, []byte("\t")) < 56 {
		return false
	}
	f := strings.Split(string(line), "\t")
	if _, ok := layoutOf(len(f)); !ok {
		return false
	}
	return digits(f[colID]) && len(f[colSQLDate]) == 8 && digits(f[colSQLDate])
}

// Counts says what an import read: rows by what they became, and the
// actors by how they were resolved. It is reported as a warning.
type Counts struct {
	Rows, Attacks, Warnings, Claims, Other, Invalid int
	// Actors: by known group code, by CAMEO actor code (a generic actor:
	// a country, a government, "rebels"), and names without a code, left out.
	KnownGroup, Generic, NameOnly int
}

// Import implements ingest.Importer. It reads the file row by row; a row
// is one record, its problems named FILE:LINE: column.
func (imp *Importer) Import(ctx context.Context, name string, data []byte) *ingest.File {
	b := ingest.NewBuilder(name, Name, data)
	r := reader{b: b, name: name}
	r.gdeltSource()
	var fields []string
	var first *layout
	line := 0
	for len(data) > 0 {
		line++
		var row []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			row, data = data[:i], data[i+1:]
		} else {
			row, data = data, nil
		}
		row = bytes.TrimSuffix(row, []byte("\r"))
		if len(row) == 0 {
			continue
		}
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				b.FileError(line, "", fmt.Errorf("import interrupted: %w", err))
				return b.File()
			}
		}
		r.counts.Rows++
		n := bytes.Count(row, tab) + 1
		lay, ok := layoutOf(n)
		if ok && (first == nil || lay.version == first.version) {
			// Most rows are of other CAMEO codes: skip them before
			// copying the row into strings.
			if code := column(row, colEventCode); classOf(string(code)) == unmapped && digits(string(code)) {
				if first == nil {
					first = &lay
				}
				r.counts.Other++
				continue
			}
		}
		if ok && first != nil && (lay.version != first.version) {
			ok = false
		}
		if !ok {
			r.counts.Invalid++
			want := "57 or 58 (GDELT 1.0) or 61 (GDELT 2.0)"
			if first != nil {
				want = map[string]string{"GDELT 1.0": "57 or 58, as the file's first row (GDELT 1.0)", "GDELT 2.0": "61, as the file's first row (GDELT 2.0)"}[first.version]
			}
			rec := b.Record(line, fmt.Sprintf("row %d", line))
			rec.Errorf(line, "columns", "%d tab-separated columns (expected %s)", n, want)
			continue
		}
		if first == nil {
			first = &lay
		}
		fields = splitTabs(fields[:0], row)
		r.row(line, &lay, fields)
	}
	c := r.counts
	b.Warn(0, "", fmt.Errorf("%s rows read: %d; imported %d attacks (CAMEO 18-20), %d warnings (threats, CAMEO 13), %d claims of responsibility (CAMEO 015); %d rows of other CAMEO codes not imported; actors: %d by known group code, %d generic (from their CAMEO actor code), %d named without an actor code left out",
		versionOf(first), c.Rows, c.Attacks, c.Warnings, c.Claims, c.Other, c.KnownGroup, c.Generic, c.NameOnly))
	return b.File()
}

func versionOf(l *layout) string {
	if l == nil {
		return "GDELT"
	}
	return l.version
}

// reader holds one import's state.
type reader struct {
	b      *ingest.Builder
	name   string
	counts Counts
	// unknownCC are the ActionGeo_CountryCode values outside
	// fipsCountries already reported.
	unknownCC map[string]bool
}

// gdeltSource declares the constant Source of GDELT itself.
func (r *reader) gdeltSource() {
	rec := r.b.Record(0, "GDELT")
	rec.Declare(0, "", SourceID, schema.Source, SourceID)
	rec.Fact(0, "", SourceID, schema.Source, "title", "The GDELT Project", SourceID)
	rec.Fact(0, "", SourceID, schema.Source, "url", "https://www.gdeltproject.org/", SourceID)
	rec.Fact(0, "", SourceID, schema.Source, "coding", "machine", SourceID)
}

// row maps one well-formed row (its column count checked).
func (r *reader) row(line int, lay *layout, f []string) {
	code := f[colEventCode]
	class := classOf(code)
	if class == unmapped {
		if !digits(code) {
			r.counts.Invalid++
			rec := r.b.Record(line, fmt.Sprintf("row %d", line))
			rec.Errorf(line, lay.names[colEventCode], "%q is not a CAMEO event code (expected 2 to 4 digits)", code)
			return
		}
		r.counts.Other++
		return
	}
	id := f[colID]
	col := func(i int) string { return lay.names[i] }
	var kind schema.Kind
	var prefix string
	switch class {
	case attack:
		kind, prefix = schema.Attack, "attack:gdelt-"
	case threat:
		kind, prefix = schema.Warning, "warning:gdelt-"
	case claim:
		kind, prefix = schema.Claim, "claim:gdelt-"
	}
	rec := r.b.Record(line, fmt.Sprintf("row %d event %s", line, id))
	if !digits(id) {
		rec.Errorf(line, col(colID), "%q is not a GlobalEventID (expected digits)", id)
	}
	if !digits(code) || len(code) > 4 {
		rec.Errorf(line, col(colEventCode), "%q is not a CAMEO event code (expected 2 to 4 digits)", code)
	}
	day, err := time.Parse("20060102", f[colSQLDate])
	if err != nil {
		rec.Errorf(line, col(colSQLDate), "%q is not a date (expected YYYYMMDD)", f[colSQLDate])
	}
	var u string
	if lay.url >= 0 && f[lay.url] != "" {
		u = f[lay.url]
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			rec.Errorf(line, col(lay.url), "%q is not an http(s) URL", u)
		}
	}
	pl := r.place(rec, line, lay, f)
	if !rec.OK() {
		// Nothing of a bad row is declared: under --skip-invalid its
		// problems are its own, not echoed as references to nothing.
		r.counts.Invalid++
		return
	}
	src := SourceID
	if u != "" {
		src = URLSource(u)
		rec.Declare(line, col(lay.url), src, schema.Source, src)
		rec.Fact(line, col(lay.url), src, schema.Source, "url", u, src)
		rec.Fact(line, col(lay.url), src, schema.Source, "coding", "machine", src)
		rec.Fact(line, col(lay.url), src, schema.Source, "description", "an article whose events GDELT coded by machine", src)
	}
	var place string
	if class != claim {
		place = pl.declare(rec, src)
	}
	ev := prefix + id
	words := describe(code)
	rec.Declare(line, col(colID), ev, kind, src)
	rec.Fact(line, col(colID), ev, kind, "externalId", "gdelt:"+id, src)
	rec.Fact(line, col(colSQLDate), ev, kind, "date", day.Format("2006-01-02"), src)
	a1 := r.actor(rec, line, lay, f, 0, src)
	a2 := r.actor(rec, line, lay, f, 1, src)
	fact := func(field int, pred, obj string) {
		if obj != "" {
			rec.Fact(line, col(field), ev, kind, pred, obj, src)
		}
	}
	switch class {
	case attack:
		r.counts.Attacks++
		fact(colEventCode, "attackType", words)
		fact(colActor1Code, "perpetratedBy", a1)
		fact(colActor2Code, "target", a2)
		fact(lay.action.feature, "locatedIn", place)
	case threat:
		r.counts.Warnings++
		fact(colEventCode, "warningType", "threat-assessment")
		fact(colEventCode, "description", "CAMEO "+code+": "+words)
		fact(colActor1Code, "about", a1)
		fact(colActor2Code, "issuedTo", a2)
		fact(lay.action.feature, "concerns", place)
	case claim:
		r.counts.Claims++
		fact(colEventCode, "claimType", "responsibility")
		fact(colEventCode, "description", "CAMEO "+code+": "+words)
		fact(colActor1Code, "claimant", a1)
	}
}

// URLSource returns the id of the Source of a row's SOURCEURL:
// source:gdelt- and the first 12 hex digits of the URL's SHA-256.
func URLSource(u string) string {
	sum := sha256.Sum256([]byte(u))
	return "source:gdelt-" + hex.EncodeToString(sum[:6])
}

// Actor types (Actor1Type1Code) of armed non-state actors: a generic
// actor of these types is a Group, of any other an Organization.
var armedTypes = map[string]bool{"REB": true, "INS": true, "SEP": true, "UAF": true, "RAD": true, "CRM": true}

// actor declares actor n (0: Actor1, 1: Actor2) of the row and returns its
// id, or "" when the row names none or names it without an actor code.
//
// A known group code (Actor1KnownGroupCode: TAL, HMS, ...) of an armed
// group gives group:gdelt-<code>; of an intergovernmental or
// non-governmental organisation (an actor code IGO... or NGO...),
// org:gdelt-<actor code> (the actor code tells the UN's agencies apart).
// Without a known group, the actor code gives a generic actor
// (group:gdelt-<code> for rebels, insurgents, separatists; org:gdelt-<code>
// for a country, a government, the police). The row's Actor1Name is the
// entity's name as this source gives it.
func (r *reader) actor(rec *ingest.Rec, line int, lay *layout, f []string, n int, src string) string {
	off := n * actorColumnStride
	code, name := f[colActor1Code+off], strings.TrimSpace(f[colActor1Name+off])
	known, typ := f[colActor1Known+off], f[colActor1Type1+off]
	field := lay.names[colActor1Code+off]
	if code == "" {
		if name != "" {
			r.counts.NameOnly++
		}
		return ""
	}
	org := strings.HasPrefix(code, "IGO") || strings.HasPrefix(code, "NGO") || typ == "IGO" || typ == "NGO"
	var id string
	var kind schema.Kind
	switch {
	case known != "" && !org:
		id, kind = "group:gdelt-"+strings.ToLower(known), schema.Group
		field = lay.names[colActor1Known+off]
		r.counts.KnownGroup++
	case known != "":
		id, kind = "org:gdelt-"+strings.ToLower(code), schema.Organization
		r.counts.KnownGroup++
	case armedTypes[typ]:
		id, kind = "group:gdelt-"+strings.ToLower(code), schema.Group
		r.counts.Generic++
	default:
		id, kind = "org:gdelt-"+strings.ToLower(code), schema.Organization
		r.counts.Generic++
	}
	if !rec.Declare(line, field, id, kind, src) {
		return ""
	}
	rec.Fact(line, lay.names[colActor1Code+off], id, kind, "externalId", "cameo:"+code, src)
	if known != "" {
		rec.Fact(line, lay.names[colActor1Known+off], id, kind, "externalId", "cameo-group:"+known, src)
	}
	switch {
	case known != "" && name != "":
		rec.Fact(line, lay.names[colActor1Name+off], id, kind, "name", name, src)
	case known == "":
		// A generic actor's Actor1Name is the word the article used
		// ("GUNMAN", "SYDNEY" for Australia): an alias, not its name,
		// which GDELT's code gives (stated by GDELT itself).
		rec.Fact(line, lay.names[colActor1Code+off], id, kind, "name", codeName(code), SourceID)
		if name != "" {
			rec.Fact(line, lay.names[colActor1Name+off], id, kind, "alias", name, src)
		}
	}
	return id
}

// actorTypes are CAMEO's actor type codes in words.
var actorTypes = map[string]string{
	"AGR": "agriculture", "BUS": "business", "COP": "police", "CRM": "criminals", "CVL": "civilians",
	"DEV": "development", "EDU": "education", "ELI": "elites", "ENV": "environmental", "GOV": "government",
	"HLH": "health", "HRI": "human rights", "INS": "insurgents", "JUD": "judiciary", "LAB": "labour",
	"LEG": "legislature", "MED": "media", "MIL": "military", "MOD": "moderates", "OPP": "opposition",
	"RAD": "radicals", "REB": "rebels", "REF": "refugees", "SEP": "separatists", "SPY": "intelligence services",
	"UAF": "unaffiliated armed forces", "IGO": "intergovernmental organisation", "NGO": "non-governmental organisation",
}

// codeName names a generic actor by its CAMEO actor code: its 3-letter
// parts, the actor types in words, a first part that is an ISO 3166-1
// alpha-3 country code by the country's English name (countryNames), and
// the rest (a region or other code) as written: "USAGOV" is "United States
// of America government", "DEU" "Germany", "UAF" "unaffiliated armed
// forces", "AFRREB" "AFR rebels".
func codeName(code string) string {
	if len(code)%3 != 0 {
		return code
	}
	var parts []string
	for i := 0; i < len(code); i += 3 {
		c := code[i : i+3]
		if w, ok := actorTypes[c]; ok {
			c = w
		} else if n, ok := countryNames[c]; ok && i == 0 {
			c = n
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, " ")
}

// GDELT's ActionGeo_Type values.
var placeTypes = map[string]string{"1": "country", "2": "province", "3": "city", "4": "city", "5": "province"}

// A placeRow is a row's ActionGeo place, its columns checked.
type placeRow struct {
	line                       int
	id, ext, typ, name, parent string
	country, adm1              string // ids of the country and ADM1 region ("": none)
	cc, adm1Code               string
	lat, lon                   float64
	hasLat                     bool
	cols                       func(int) string
	g                          geo
}

// place reads the row's ActionGeo place (nil: none), recording bad
// columns in rec.
//
// Ids: a country (type 1) location:gdelt-<FIPS country code>, a US state
// (type 2) location:gdelt-<ADM1 code>, any other place
// location:gdelt-<FeatureID> (a GNS or GNIS feature id). A city lies in
// its ADM1 region, a region in its country (partOf), declared by their
// codes, unnamed.
func (r *reader) place(rec *ingest.Rec, line int, lay *layout, f []string) *placeRow {
	g := lay.action
	col := func(i int) string { return lay.names[i] }
	typ := f[g.typ]
	if typ == "" || typ == "0" {
		return nil
	}
	pt, known := placeTypes[typ]
	if !known {
		rec.Errorf(line, col(g.typ), "%q is not a GDELT place type (expected 0 to 5)", typ)
		return nil
	}
	p := &placeRow{line: line, typ: pt, name: strings.TrimSpace(f[g.fullName]), cols: col, g: g, cc: f[g.country], adm1Code: f[g.adm1]}
	if f[g.lat] != "" || f[g.long] != "" {
		var err error
		p.hasLat = true
		if p.lat, err = strconv.ParseFloat(f[g.lat], 64); err != nil || p.lat < -90 || p.lat > 90 {
			rec.Errorf(line, col(g.lat), "%q is not a latitude (expected a number from -90 to 90)", f[g.lat])
		}
		if p.lon, err = strconv.ParseFloat(f[g.long], 64); err != nil || p.lon < -180 || p.lon > 180 {
			rec.Errorf(line, col(g.long), "%q is not a longitude (expected a number from -180 to 180)", f[g.long])
		}
	}
	if p.cc != "" {
		p.country = "location:gdelt-" + strings.ToLower(p.cc)
		if !fipsCountries[p.cc] && !r.unknownCC[p.cc] {
			if r.unknownCC == nil {
				r.unknownCC = map[string]bool{}
			}
			r.unknownCC[p.cc] = true
			r.b.Warn(line, col(g.country), fmt.Errorf("%q is not a FIPS 10-4 country code (expected two letters such as GM, US, SY); the place is kept as location:gdelt-%s, named by its row only (later rows with this code are not reported)", p.cc, strings.ToLower(p.cc)))
		}
	}
	if p.adm1Code != "" && p.adm1Code != p.cc {
		p.adm1 = "location:gdelt-" + strings.ToLower(p.adm1Code)
	}
	field := g.feature
	switch typ {
	case "1":
		p.id, p.ext, field = p.country, "fips10-4:"+p.cc, g.country
	case "2":
		p.id, p.ext, p.parent, field = p.adm1, "fips10-4:"+p.adm1Code, p.country, g.adm1
	default:
		if fid := f[g.feature]; fid != "" && fid != "0" && !digits(strings.TrimPrefix(fid, "-")) {
			rec.Errorf(line, col(g.feature), "%q is not a GNS or GNIS feature id (expected a whole number, such as -1746443, for ActionGeo_Type %s)", fid, typ)
			return nil
		} else if fid != "" && fid != "0" {
			p.id = "location:gdelt-" + strings.ToLower(fid)
			p.ext = "gns:" + fid
			if typ == "3" {
				p.ext = "gnis:" + fid
			}
		}
		p.parent = p.adm1
		if typ == "5" || p.parent == "" {
			p.parent = p.country
		}
	}
	if p.id == "" {
		rec.Errorf(line, col(field), "%q (expected the place's code or feature id for ActionGeo_Type %s)", f[field], typ)
		return nil
	}
	if p.parent == p.id {
		p.parent = ""
	}
	return p
}

// declare states the place (and the regions it lies in) according to src
// and returns its id; a nil place declares nothing.
func (p *placeRow) declare(rec *ingest.Rec, src string) string {
	if p == nil {
		return ""
	}
	line, g, col, loc := p.line, p.g, p.cols, schema.Location
	field := col(g.feature)
	rec.Declare(line, field, p.id, loc, src)
	rec.Fact(line, field, p.id, loc, "externalId", p.ext, src)
	rec.Fact(line, col(g.typ), p.id, loc, "placeType", p.typ, src)
	if p.name != "" {
		rec.Fact(line, col(g.fullName), p.id, loc, "name", p.name, src)
	}
	if p.hasLat {
		rec.Value(line, col(g.lat), p.id, loc, "lat", quad.Float(p.lat), src)
		rec.Value(line, col(g.long), p.id, loc, "lon", quad.Float(p.lon), src)
	}
	if p.parent == "" {
		return p.id
	}
	rec.Fact(line, field, p.id, loc, "partOf", p.parent, src)
	if p.parent == p.adm1 {
		rec.Declare(line, col(g.adm1), p.adm1, loc, src)
		rec.Fact(line, col(g.adm1), p.adm1, loc, "externalId", "fips10-4:"+p.adm1Code, src)
		rec.Fact(line, col(g.adm1), p.adm1, loc, "placeType", "province", src)
		if p.country != "" {
			rec.Fact(line, col(g.adm1), p.adm1, loc, "partOf", p.country, src)
		}
	}
	if p.country != "" {
		rec.Declare(line, col(g.country), p.country, loc, src)
		rec.Fact(line, col(g.country), p.country, loc, "externalId", "fips10-4:"+p.cc, src)
		rec.Fact(line, col(g.country), p.country, loc, "placeType", "country", src)
	}
	return p.id
}

var tab = []byte{'\t'}

// column returns column i of row (nil when the row is shorter).
func column(row []byte, i int) []byte {
	for ; i > 0; i-- {
		j := bytes.IndexByte(row, '\t')
		if j < 0 {
			return nil
		}
		row = row[j+1:]
	}
	if j := bytes.IndexByte(row, '\t'); j >= 0 {
		return row[:j]
	}
	return row
}

// splitTabs splits row at tabs into fields (reused), copying each field
// once into a string.
func splitTabs(fields []string, row []byte) []string {
	s := string(row)
	for {
		i := strings.IndexByte(s, '\t')
		if i < 0 {
			return append(fields, s)
		}
		fields = append(fields, s[:i])
		s = s[i+1:]
	}
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

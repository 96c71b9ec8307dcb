package gazetteer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/threatgraph/threatgraph/schema"
)

// A Kind is what a place of the gazetteer is.
type Kind byte

const (
	Country  Kind = 'C' // a country of ISO 3166-1 (i18n-iso-countries)
	Province Kind = 'A' // a first-order administrative division (GeoNames admin1)
	City     Kind = 'P' // a populated place (GeoNames feature class P)
)

func (k Kind) String() string {
	switch k {
	case Country:
		return "country"
	case Province:
		return "province"
	case City:
		return "city"
	}
	return fmt.Sprintf("kind(%q)", byte(k))
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// A Place is one entry of the gazetteer.
type Place struct {
	Kind Kind   `json:"-"`
	ID   string `json:"-"` // GeoNames id (city), admin1 code "RU.47" (province), alpha-2 (country)
	Name string `json:"n"`
	// ASCII is GeoNames' asciiname (cities); Alpha3 the country's alpha-3.
	ASCII      string  `json:"a,omitempty"`
	Alpha3     string  `json:"a3,omitempty"`
	Lat        float64 `json:"lat,omitempty"`
	Lon        float64 `json:"lon,omitempty"`
	HasCoords  bool    `json:"xy,omitempty"`
	Feature    string  `json:"f,omitempty"` // GeoNames feature code: PPL, PPLA, PPLC, PPLX…
	Country    string  `json:"c,omitempty"` // alpha-2
	Admin1     string  `json:"p,omitempty"` // admin1 code, "RU.47"
	Population int64   `json:"pop,omitempty"`
}

// Name fields: which of a place's names an index entry is.
const (
	FieldName      = "name"          // GeoNames name, admin1 name
	FieldASCII     = "asciiname"     // GeoNames asciiname
	FieldAlternate = "alternatename" // GeoNames alternatenames
	FieldAlpha2    = "alpha-2"
	FieldAlpha3    = "alpha-3"
)

// primary reports whether a match on this field is on the place's own
// name (a city's name or ASCII name, a province's name, a country's name
// in any language or its code) rather than one of GeoNames' alternates.
func primary(field string) bool { return field != FieldAlternate }

// A nameEntry is one name of one place, under its index key.
type nameEntry struct {
	k     string // NameKey 0x00 kind id
	text  string
	field string // FieldName…, or a language code ("ru") for a country name
	seq   int    // the order given, which breaks ties
}

// An InputFile is one file read into the gazetteer.
type InputFile struct {
	Name   string `json:"name"`
	Format string `json:"format"` // "cities", "admin1", "countries"
	SHA256 string `json:"sha256"`
	Rows   int    `json:"rows"`
}

// dataset is everything read from the inputs, before it is written.
type dataset struct {
	places map[string]*Place // by kind+id
	names  []nameEntry
	files  []InputFile
	errs   schema.Errors

	suffixOf *Place // the place whose index key suffix is suffix
	suffix   string
}

func placeKey(k Kind, id string) string { return string(k) + id }

// maxErrors stops reading a file after this many problems.
const maxErrors = 100

func (ds *dataset) add(p *Place) bool {
	k := placeKey(p.Kind, p.ID)
	if _, dup := ds.places[k]; dup {
		return false
	}
	ds.places[k] = p
	return true
}

func (ds *dataset) name(p *Place, text, field string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	if ds.suffixOf != p { // the names of one place come together
		ds.suffixOf, ds.suffix = p, "\x00"+string(p.Kind)+p.ID
	}
	k := indexKey(text, ds.suffix)
	if k == "" {
		return
	}
	ds.names = append(ds.names, nameEntry{k: k, text: text, field: field, seq: len(ds.names)})
}

// ErrFormat reports an input that is none of the formats the gazetteer reads.
var ErrFormat = errors.New("gazetteer: unknown input")

// read reads every input: GeoNames cities dumps (.txt, .txt.gz), admin1
// codes (a JSON array of {code, name}), and i18n-iso-countries (its
// directory, or its codes.json with langs/ beside it). Problems are in
// ds.errs, all of them (up to maxErrors a file); an unreadable input is an
// error.
func read(ctx context.Context, inputs []string) (*dataset, error) {
	ds := &dataset{places: map[string]*Place{}}
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st, err := os.Stat(in)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", in, err)
		}
		if st.IsDir() {
			if err := ds.readCountries(ctx, in, filepath.Join(in, "codes.json")); err != nil {
				return nil, err
			}
			continue
		}
		data, err := os.ReadFile(in)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", in, err)
		}
		switch {
		case len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b:
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				ds.errs.Addf(in, 0, "", "%v (expected a gzipped GeoNames dump)", err)
				continue
			}
			if err := ds.readCities(ctx, in, data, zr); err != nil {
				return nil, err
			}
		case jsonArrayOf(data) == '{':
			ds.readAdmin1(in, data)
		case jsonArrayOf(data) == '[':
			if err := ds.readCountries(ctx, in, in); err != nil {
				return nil, err
			}
		case bytes.IndexByte(firstLine(data), '\t') >= 0:
			if err := ds.readCities(ctx, in, data, bytes.NewReader(data)); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: %s is none of a GeoNames cities dump (tab-separated .txt or .txt.gz), "+
				"admin1 codes (a JSON array of {\"code\",\"name\"}) or i18n-iso-countries (its directory or codes.json)", ErrFormat, in)
		}
	}
	return ds, nil
}

// jsonArrayOf returns the first non-space byte after a leading '[' (what
// the array holds), or 0.
func jsonArrayOf(data []byte) byte {
	s := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(s) == 0 || s[0] != '[' {
		return 0
	}
	s = bytes.TrimLeft(s[1:], " \t\r\n")
	if len(s) == 0 {
		return ']'
	}
	return s[0]
}

func firstLine(data []byte) []byte {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i]
	}
	return data
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// GeoNames' columns (https://download.geonames.org/export/dump/readme.txt).
const (
	colID = iota
	colName
	colASCII
	colAlternates
	colLat
	colLon
	colClass
	colFeature
	colCountry
	colCC2
	colAdmin1
	colAdmin2
	colAdmin3
	colAdmin4
	colPopulation
	colElevation
	colDEM
	colTimezone
	colModified
	geonamesColumns
)

var columnNames = [...]string{"geonameid", "name", "asciiname", "alternatenames", "latitude", "longitude",
	"feature class", "feature code", "country code", "cc2", "admin1 code", "admin2 code", "admin3 code",
	"admin4 code", "population", "elevation", "dem", "timezone", "modification date"}

func column(i int) string { return fmt.Sprintf("column %d (%s)", i+1, columnNames[i]) }

// readCities reads a GeoNames dump: one place a line, 19 tab-separated
// columns, no header, no quoting. raw is the file's bytes (for its hash).
func (ds *dataset) readCities(ctx context.Context, name string, raw []byte, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line, rows, before := 0, 0, len(ds.errs)
	bad := func(col int, format string, args ...any) {
		ds.errs.Addf(name, line, column(col), format, args...)
	}
	for sc.Scan() {
		line++
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if len(ds.errs)-before >= maxErrors {
			ds.errs.Addf(name, line, "", "too many problems; stopped reading (expected a GeoNames dump of 19 tab-separated columns)")
			break
		}
		text := sc.Text()
		if text == "" {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != geonamesColumns {
			ds.errs.Addf(name, line, "", "%d tab-separated columns (expected %d: GeoNames' geonameid, name, asciiname, alternatenames, latitude, longitude, …)", len(cols), geonamesColumns)
			continue
		}
		id, err := strconv.ParseUint(cols[colID], 10, 32)
		if err != nil || id == 0 {
			bad(colID, "%q is not a GeoNames id (expected a positive integer)", cols[colID])
			continue
		}
		p := &Place{Kind: City, ID: strconv.FormatUint(id, 10), Name: strings.TrimSpace(cols[colName]), ASCII: strings.TrimSpace(cols[colASCII]),
			Feature: cols[colFeature], Country: cols[colCountry]}
		ok := true
		if p.Name == "" {
			bad(colName, "empty (expected the place's name)")
			ok = false
		} else if err := schema.CheckText(p.Name); err != nil {
			bad(colName, "%v", err)
			ok = false
		}
		if p.Lat, err = strconv.ParseFloat(cols[colLat], 64); err != nil || p.Lat < -90 || p.Lat > 90 {
			bad(colLat, "%q is not a latitude (expected decimal degrees from -90 to 90)", cols[colLat])
			ok = false
		}
		if p.Lon, err = strconv.ParseFloat(cols[colLon], 64); err != nil || p.Lon < -180 || p.Lon > 180 {
			bad(colLon, "%q is not a longitude (expected decimal degrees from -180 to 180)", cols[colLon])
			ok = false
		}
		p.HasCoords = true
		if cols[colClass] != "" && cols[colClass] != "P" {
			bad(colClass, "%q is not a populated place (expected class P: the cities dumps hold only populated places)", cols[colClass])
			ok = false
		}
		if !isCode(p.Country, 2) {
			bad(colCountry, "%q is not a country code (expected ISO 3166-1 alpha-2, two capital letters)", p.Country)
			ok = false
		}
		if a := cols[colAdmin1]; a != "" && a != "00" {
			p.Admin1 = p.Country + "." + a
		}
		if s := cols[colPopulation]; s != "" {
			if p.Population, err = strconv.ParseInt(s, 10, 64); err != nil || p.Population < 0 {
				bad(colPopulation, "%q is not a population (expected a whole number, 0 or more)", s)
				ok = false
			}
		}
		if !ok {
			continue
		}
		if !ds.add(p) {
			bad(colID, "GeoNames id %s is given twice (expected each place once; give one cities dump: cities500 holds those of cities15000)", p.ID)
			continue
		}
		rows++
		ds.name(p, p.Name, FieldName)
		ds.name(p, p.ASCII, FieldASCII)
		if alt := cols[colAlternates]; alt != "" {
			for _, a := range strings.Split(alt, ",") {
				if schema.CheckText(a) == nil {
					ds.name(p, a, FieldAlternate)
				}
			}
		}
	}
	if err := sc.Err(); err != nil { // a truncated or corrupt gzip stream, a line over 16 MiB
		ds.errs.Addf(name, line+1, "", "%v (expected a GeoNames dump: lines of 19 tab-separated columns)", err)
		return nil
	}
	if rows == 0 && len(ds.errs) == before {
		ds.errs.Addf(name, 0, "", "no places (expected a GeoNames dump: one place a line)")
	}
	ds.files = append(ds.files, InputFile{Name: name, Format: "cities", SHA256: sum(raw), Rows: rows})
	return nil
}

func isCode(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// lineAt returns the 1-indexed line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// readAdmin1 reads GeoNames' admin1 codes as a JSON array of
// {"code": "RU.47", "name": "Moscow Oblast"}.
func (ds *dataset) readAdmin1(name string, data []byte) {
	dec := json.NewDecoder(bytes.NewReader(data))
	before, rows := len(ds.errs), 0
	if _, err := dec.Token(); err != nil { // [
		ds.errs.Addf(name, 1, "", "%v (expected a JSON array of {\"code\", \"name\"})", err)
		return
	}
	for i := 0; dec.More(); i++ {
		if len(ds.errs)-before >= maxErrors {
			ds.errs.Addf(name, lineAt(data, dec.InputOffset()), "", "too many problems; stopped reading")
			return
		}
		off := dec.InputOffset() // the end of the previous token: skip the separator
		rest := data[off:]
		line := lineAt(data, off+int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n,"))))
		var e struct {
			Code *string `json:"code"`
			Name *string `json:"name"`
		}
		if err := dec.Decode(&e); err != nil {
			ds.errs.Addf(name, line, fmt.Sprintf("[%d]", i), "%v (expected {\"code\": \"RU.47\", \"name\": \"Moscow Oblast\"})", err)
			return
		}
		field := func(f string) string { return fmt.Sprintf("[%d].%s", i, f) }
		if e.Code == nil || e.Name == nil {
			ds.errs.Addf(name, line, fmt.Sprintf("[%d]", i), "lacks code or name (expected {\"code\": \"RU.47\", \"name\": \"Moscow Oblast\"})")
			continue
		}
		cc, sub, ok := strings.Cut(*e.Code, ".")
		if !ok || !isCode(cc, 2) || sub == "" || strings.ContainsAny(sub, " .") {
			ds.errs.Addf(name, line, field("code"), "%q is not an admin1 code (expected CC.CODE: a country's alpha-2, a dot and GeoNames' code, as RU.47)", *e.Code)
			continue
		}
		n := strings.TrimSpace(*e.Name)
		if n == "" {
			ds.errs.Addf(name, line, field("name"), "empty (expected the province's name)")
			continue
		}
		if err := schema.CheckText(n); err != nil {
			ds.errs.Add(name, line, field("name"), err)
			continue
		}
		p := &Place{Kind: Province, ID: *e.Code, Name: n, Country: cc, Admin1: *e.Code}
		if !ds.add(p) {
			ds.errs.Addf(name, line, field("code"), "%s is given twice (expected each code once)", *e.Code)
			continue
		}
		rows++
		ds.name(p, n, FieldName)
	}
	if _, err := dec.Token(); err != nil { // ]
		ds.errs.Addf(name, lineAt(data, dec.InputOffset()), "", "%v (expected the end of the array)", err)
		return
	}
	if rows == 0 && len(ds.errs) == before {
		ds.errs.Addf(name, 1, "", "no admin1 codes (expected a JSON array of {\"code\", \"name\"})")
	}
	ds.files = append(ds.files, InputFile{Name: name, Format: "admin1", SHA256: sum(data), Rows: rows})
}

// readCountries reads i18n-iso-countries: codes.json, an array of
// [alpha-2, alpha-3, numeric, "ISO 3166-2:XX"], and the language files in
// langs/ beside it ({"locale": "ru", "countries": {"RU": "Россия" or [names…]}}).
func (ds *dataset) readCountries(ctx context.Context, shown, codes string) error {
	data, err := os.ReadFile(codes)
	if err != nil {
		return fmt.Errorf("reading %s: %w (expected the i18n-iso-countries directory, holding codes.json and langs/)", shown, err)
	}
	var rows [][]string
	if err := json.Unmarshal(data, &rows); err != nil {
		ds.errs.Addf(codes, lineOfJSONError(data, err), "", "%v (expected an array of [alpha-2, alpha-3, numeric, …])", err)
		return nil
	}
	var lines []int
	for i, off := 0, 0; i < len(rows); i++ { // the line of each row, for errors
		j := bytes.Index(data[off:], []byte("[\""))
		if j < 0 {
			break
		}
		off += j + 1
		lines = append(lines, lineAt(data, int64(off)))
	}
	lineOf := func(i int) int {
		if i < len(lines) {
			return lines[i]
		}
		return 0
	}
	before, n := len(ds.errs), 0
	byAlpha2 := map[string]*Place{}
	for i, r := range rows {
		if len(r) < 2 || !isCode(r[0], 2) || !isCode(r[1], 3) {
			ds.errs.Addf(codes, lineOf(i), fmt.Sprintf("[%d]", i), "%q is not a country's codes (expected [alpha-2, alpha-3, …], as [\"RU\", \"RUS\", \"643\"])", r)
			continue
		}
		p := &Place{Kind: Country, ID: r[0], Alpha3: r[1], Country: r[0]}
		if !ds.add(p) {
			ds.errs.Addf(codes, lineOf(i), fmt.Sprintf("[%d][0]", i), "%s is given twice (expected each country once)", r[0])
			continue
		}
		byAlpha2[r[0]] = p
		n++
	}
	langDir := filepath.Join(filepath.Dir(codes), "langs")
	langs, err := filepath.Glob(filepath.Join(langDir, "*.json"))
	if err != nil {
		return err
	}
	sort.Strings(langs)
	if len(langs) == 0 {
		ds.errs.Addf(langDir, 0, "", "no language files (expected langs/*.json beside codes.json, as in the i18n-iso-countries package)")
	}
	// English first: the country's name is its English name, else the
	// first language's.
	sort.SliceStable(langs, func(i, j int) bool {
		return filepath.Base(langs[i]) == "en.json" && filepath.Base(langs[j]) != "en.json"
	})
	for _, lf := range langs {
		if err := ctx.Err(); err != nil {
			return err
		}
		ds.readLang(lf, byAlpha2)
	}
	for _, p := range byAlpha2 {
		if p.Name == "" {
			p.Name = p.ID
		}
		ds.name(p, p.ID, FieldAlpha2)
		ds.name(p, p.Alpha3, FieldAlpha3)
	}
	if n == 0 && len(ds.errs) == before {
		ds.errs.Addf(codes, 1, "", "no countries (expected an array of [alpha-2, alpha-3, numeric, …])")
	}
	ds.files = append(ds.files, InputFile{Name: shown, Format: "countries", SHA256: sum(data), Rows: n})
	return nil
}

func (ds *dataset) readLang(name string, byAlpha2 map[string]*Place) {
	data, err := os.ReadFile(name)
	if err != nil {
		ds.errs.Add(name, 0, "", err)
		return
	}
	var f struct {
		Locale    string                     `json:"locale"`
		Countries map[string]json.RawMessage `json:"countries"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		ds.errs.Addf(name, lineOfJSONError(data, err), "", "%v (expected {\"locale\": \"ru\", \"countries\": {\"RU\": name or [names]}})", err)
		return
	}
	if f.Locale == "" || len(f.Countries) == 0 {
		ds.errs.Addf(name, 1, "", "no locale or no countries (expected {\"locale\": \"ru\", \"countries\": {\"RU\": name or [names]}})")
		return
	}
	codes := make([]string, 0, len(f.Countries))
	for c := range f.Countries {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		raw := f.Countries[c]
		field := "countries." + c
		p := byAlpha2[c]
		if p == nil {
			ds.errs.Addf(name, lineOfKey(data, c), field, "%s is not in codes.json (expected a country's alpha-2)", c)
			continue
		}
		var names []string
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			names = []string{one}
		} else if err := json.Unmarshal(raw, &names); err != nil {
			ds.errs.Addf(name, lineOfKey(data, c), field, "%s (expected a name or an array of names)", raw)
			continue
		}
		for _, n := range names {
			if schema.CheckText(n) != nil || strings.TrimSpace(n) == "" {
				ds.errs.Addf(name, lineOfKey(data, c), field, "%q is not a name (expected text)", n)
				continue
			}
			if p.Name == "" {
				p.Name = strings.TrimSpace(n)
			}
			ds.name(p, n, f.Locale)
		}
	}
}

func lineOfKey(data []byte, key string) int {
	if i := bytes.Index(data, []byte(`"`+key+`"`)); i >= 0 {
		return lineAt(data, int64(i))
	}
	return 0
}

func lineOfJSONError(data []byte, err error) int {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return lineAt(data, se.Offset)
	case errors.As(err, &te):
		return lineAt(data, te.Offset)
	}
	return 0
}

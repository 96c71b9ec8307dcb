package gazetteer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/threatgraph/threatgraph/schema"
)

// File is the gazetteer's file in a store's directory.
const File = "gazetteer.bolt"

// version is the format of the gazetteer's file; another is refused.
const version = "2"

var (
	bucketMeta   = []byte("meta")
	bucketPlaces = []byte("places") // kind+id → Place (JSON)
	bucketNames  = []byte("names")  // NameKey 0x00 kind id → field 0x00 text
	// bucketAliases: kind+id → JSON list of the names of a province or
	// country (to find the store's own entity for one by name).
	bucketAliases = []byte("aliases")
)

// ErrNotLoaded reports that no gazetteer file exists at the path.
var ErrNotLoaded = errors.New("no gazetteer loaded")

// maxKey is the longest name key indexed (bbolt allows 32 KiB; no place
// name comes near).
const maxKey = 1024

// Stats describe a gazetteer.
type Stats struct {
	Version   string      `json:"version"`
	Loaded    time.Time   `json:"loaded"`
	Cities    int         `json:"cities"`
	Provinces int         `json:"provinces"`
	Countries int         `json:"countries"`
	Names     int         `json:"names"` // index entries: distinct name keys of each place
	Files     []InputFile `json:"files"`
}

// Build reads the inputs and writes the gazetteer to path, replacing any
// there: into a temporary file beside it, in one bbolt transaction with the
// keys in order, synced, then renamed into place. Invalid input is returned
// as schema.Errors (every problem, FILE:LINE: field) and changes nothing.
func Build(ctx context.Context, path string, inputs []string) (*Stats, error) {
	if len(inputs) == 0 {
		return nil, errors.New("no input files (expected GeoNames cities, admin1 codes or i18n-iso-countries)")
	}
	ds, err := read(ctx, inputs)
	if err != nil {
		return nil, err
	}
	if len(ds.errs) > 0 {
		return nil, ds.errs
	}
	st := &Stats{Version: version, Loaded: time.Now().UTC().Truncate(time.Second), Files: ds.files}
	for _, p := range ds.places {
		switch p.Kind {
		case City:
			st.Cities++
		case Province:
			st.Provinces++
		case Country:
			st.Countries++
		}
	}
	names := dedupNames(ds.names)
	st.Names = len(names)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, File+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating the gazetteer: %w", err)
	}
	tmpName := tmp.Name()
	err = tmp.Chmod(0o644) // CreateTemp's 0600: the store's readers may be other users
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmpName)
		return nil, fmt.Errorf("creating the gazetteer: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmpName)
		}
	}()
	db, err := bolt.Open(tmpName, 0o644, &bolt.Options{Timeout: time.Second, NoSync: true, NoFreelistSync: true, InitialMmapSize: buildMmap})
	if err != nil {
		return nil, fmt.Errorf("creating the gazetteer %s: %w", tmpName, err)
	}
	err = db.Update(func(tx *bolt.Tx) error { return write(ctx, tx, ds, names, st) })
	if err == nil {
		err = db.Sync()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("writing the gazetteer: %w", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return nil, fmt.Errorf("writing the gazetteer: %w", err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return st, nil
}

// dedupNames sorts the entries by key, place, and keeps one per key and
// place: the first given (a place's own name before its ASCII name before
// its alternates).
func dedupNames(in []nameEntry) []nameEntry {
	out := make([]nameEntry, 0, len(in))
	for _, e := range in {
		if len(e.k) <= maxKey {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b nameEntry) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	return slices.CompactFunc(out, func(a, b nameEntry) bool { return a.k == b.k })
}

func write(ctx context.Context, tx *bolt.Tx, ds *dataset, names []nameEntry, st *Stats) error {
	meta, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return err
	}
	places, err := tx.CreateBucket(bucketPlaces)
	if err != nil {
		return err
	}
	idx, err := tx.CreateBucket(bucketNames)
	if err != nil {
		return err
	}
	places.FillPercent, idx.FillPercent = 1, 1 // keys go in order
	keys := make([]string, 0, len(ds.places))
	for k := range ds.places {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i%8192 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		v, err := json.Marshal(ds.places[k])
		if err != nil {
			return err
		}
		if err := places.Put([]byte(k), v); err != nil {
			return err
		}
	}
	for i, e := range names {
		if i%8192 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := idx.Put([]byte(e.k), []byte(e.field+"\x00"+e.text)); err != nil {
			return err
		}
	}
	aliases, err := tx.CreateBucket(bucketAliases)
	if err != nil {
		return err
	}
	byPlace := map[string][]string{}
	for _, e := range names {
		i := strings.LastIndexByte(e.k, 0)
		if pk := e.k[i+1:]; pk != "" && (Kind(pk[0]) == Country || Kind(pk[0]) == Province) && !slices.Contains(byPlace[pk], e.text) {
			byPlace[pk] = append(byPlace[pk], e.text)
		}
	}
	for pk, texts := range byPlace {
		v, err := json.Marshal(texts)
		if err != nil {
			return err
		}
		if err := aliases.Put([]byte(pk), v); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := meta.Put([]byte("version"), []byte(version)); err != nil {
		return err
	}
	return meta.Put([]byte("stats"), raw)
}

// A Gazetteer is an open gazetteer file, read-only. Its methods may be
// called concurrently.
type Gazetteer struct {
	db    *bolt.DB
	path  string
	stats Stats
}

// Open opens the gazetteer at path for reading; ErrNotLoaded when there is
// none.
func Open(path string) (*Gazetteer, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s (threatgraph places load FILE... builds it)", ErrNotLoaded, path)
		}
		return nil, fmt.Errorf("opening the gazetteer: %w", err)
	}
	db, err := bolt.Open(path, 0o444, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("opening the gazetteer %s: %w", path, err)
	}
	g := &Gazetteer{db: db, path: path}
	err = db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return errors.New("not a gazetteer file (it has no meta bucket)")
		}
		if v := string(meta.Get([]byte("version"))); v != version {
			return fmt.Errorf("gazetteer format %q (expected %q: load it again with threatgraph places load)", v, version)
		}
		if tx.Bucket(bucketPlaces) == nil || tx.Bucket(bucketNames) == nil || tx.Bucket(bucketAliases) == nil {
			return errors.New("not a gazetteer file (its buckets are missing)")
		}
		return json.Unmarshal(meta.Get([]byte("stats")), &g.stats)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening the gazetteer %s: %w", path, err)
	}
	return g, nil
}

// Close closes the file.
func (g *Gazetteer) Close() error { return g.db.Close() }

// Path is the file's path.
func (g *Gazetteer) Path() string { return g.path }

// Stats returns what Build recorded.
func (g *Gazetteer) Stats() Stats { return g.stats }

// A Match is one name of a place that matched the name looked up.
type Match struct {
	Name  string `json:"name"`
	Field string `json:"field"` // name, asciiname, alternatename, alpha-2, alpha-3, or a language code
}

// A Ref names a country or province.
type Ref struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// A Candidate is a place whose name matched.
type Candidate struct {
	ID         string  `json:"id"` // geonames:524901, geonames-admin1:RU.47, iso3166:RU
	Kind       Kind    `json:"kind"`
	Name       string  `json:"name"`
	Feature    string  `json:"feature,omitempty"`
	Country    *Ref    `json:"country,omitempty"`
	Province   *Ref    `json:"province,omitempty"`
	Population int64   `json:"population,omitempty"`
	Lat        float64 `json:"lat,omitempty"`
	Lon        float64 `json:"lon,omitempty"`
	HasCoords  bool    `json:"-"`
	Matched    []Match `json:"matched"`
	// Primary: the place's own name matched (not only one of GeoNames'
	// alternate names).
	Primary bool   `json:"primary"`
	place   *Place // the entry
}

// ExternalID is the place's id as the externalId of an entity.
func (p *Place) ExternalID() string {
	switch p.Kind {
	case City:
		return "geonames:" + p.ID
	case Province:
		return "geonames-admin1:" + p.ID
	}
	return "iso3166:" + p.ID
}

// FindOptions narrow a Find.
type FindOptions struct {
	Country string // alpha-2, alpha-3 or a country's name
	Kinds   []Kind // none: every kind
	Limit   int    // at most this many, 0: all
}

// ErrUnknownCountry reports a FindOptions.Country the gazetteer does not
// know, or knows several of.
var ErrUnknownCountry = errors.New("unknown country")

// Find returns the places that have a name whose key is name's, best
// first: a match on the place's own name before a match on an alternate
// name only, then the larger population, then countries, provinces,
// cities, then by id.
func (g *Gazetteer) Find(ctx context.Context, name string, opt FindOptions) ([]Candidate, error) {
	var out []Candidate
	err := g.db.View(func(tx *bolt.Tx) error {
		cc := ""
		if opt.Country != "" {
			var err error
			if cc, err = countryCode(tx, opt.Country); err != nil {
				return err
			}
		}
		var err error
		out, err = lookup(ctx, tx, schema.NameKey(name), opt.Kinds, cc)
		return err
	})
	if err != nil {
		return nil, err
	}
	sortCandidates(out)
	if opt.Limit > 0 && len(out) > opt.Limit {
		out = out[:opt.Limit]
	}
	return out, nil
}

func sortCandidates(out []Candidate) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		switch {
		case a.Primary != b.Primary:
			return a.Primary
		case a.Population != b.Population:
			return a.Population > b.Population
		case a.Kind != b.Kind:
			return a.Kind > b.Kind // 'P' < 'C' < 'A' in bytes: order C, A, P
		}
		return a.ID < b.ID
	})
}

// CountryCode returns the alpha-2 of a country given by its alpha-2,
// alpha-3 or a name in any language; ErrUnknownCountry when none or
// several.
func (g *Gazetteer) CountryCode(s string) (string, error) {
	var cc string
	err := g.db.View(func(tx *bolt.Tx) error {
		var err error
		cc, err = countryCode(tx, s)
		return err
	})
	return cc, err
}

// countryCode resolves a country given by code or name to its alpha-2.
func countryCode(tx *bolt.Tx, s string) (string, error) {
	up := strings.ToUpper(strings.TrimSpace(s))
	if isCode(up, 2) && tx.Bucket(bucketPlaces).Get([]byte(placeKey(Country, up))) != nil {
		return up, nil
	}
	found := map[string]bool{}
	c := tx.Bucket(bucketNames).Cursor()
	prefix := append([]byte(schema.NameKey(s)), 0, byte(Country))
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		found[string(k[len(prefix):])] = true
	}
	if len(found) == 1 {
		for id := range found {
			return id, nil
		}
	}
	if len(found) == 0 {
		return "", fmt.Errorf("%w %q (expected an ISO 3166-1 alpha-2 or alpha-3 code, or a country's name)", ErrUnknownCountry, s)
	}
	ids := make([]string, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return "", fmt.Errorf("%w: %q names %s (expected one: give its alpha-2 code)", ErrUnknownCountry, s, strings.Join(ids, ", "))
}

// lookup returns the places with a name of key key, of the kinds (all when
// none) and in country cc (any when empty), unsorted.
func lookup(ctx context.Context, tx *bolt.Tx, key string, kinds []Kind, cc string) ([]Candidate, error) {
	if key == "" {
		return nil, nil
	}
	names, places := tx.Bucket(bucketNames), tx.Bucket(bucketPlaces)
	prefix := append([]byte(key), 0)
	var out []Candidate
	c := names.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rest := k[len(prefix):]
		if len(rest) < 2 {
			continue
		}
		kind, id := Kind(rest[0]), string(rest[1:])
		if len(kinds) > 0 && !slices.Contains(kinds, kind) {
			continue
		}
		p, err := getPlace(places, kind, id)
		if err != nil {
			return nil, err
		}
		if p == nil || (cc != "" && p.Country != cc) {
			continue
		}
		field, text, _ := strings.Cut(string(v), "\x00")
		out = append(out, candidate(places, p, Match{Name: text, Field: field}))
	}
	return out, nil
}

func getPlace(places *bolt.Bucket, kind Kind, id string) (*Place, error) {
	v := places.Get([]byte(placeKey(kind, id)))
	if v == nil {
		return nil, nil
	}
	p := &Place{Kind: kind, ID: id}
	if err := json.Unmarshal(v, p); err != nil {
		return nil, fmt.Errorf("gazetteer entry %s: %w", placeKey(kind, id), err)
	}
	return p, nil
}

func candidate(places *bolt.Bucket, p *Place, m Match) Candidate {
	c := Candidate{ID: p.ExternalID(), Kind: p.Kind, Name: p.Name, Feature: p.Feature, Population: p.Population,
		Lat: p.Lat, Lon: p.Lon, HasCoords: p.HasCoords, Matched: []Match{m}, Primary: primary(m.Field), place: p}
	if p.Kind != Country && p.Country != "" {
		c.Country = &Ref{Code: p.Country}
		if cp, _ := getPlace(places, Country, p.Country); cp != nil {
			c.Country.Name = cp.Name
		}
	}
	if p.Kind == City && p.Admin1 != "" {
		c.Province = &Ref{Code: p.Admin1}
		if ap, _ := getPlace(places, Province, p.Admin1); ap != nil {
			c.Province.Name = ap.Name
		}
	}
	return c
}

// aliases returns the names of a province or country.
func (g *Gazetteer) aliases(kind Kind, id string) ([]string, error) {
	var out []string
	err := g.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketAliases).Get([]byte(placeKey(kind, id)))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &out)
	})
	return out, err
}

// place returns one entry, or nil.
func (g *Gazetteer) place(kind Kind, id string) (*Place, error) {
	var p *Place
	err := g.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = getPlace(tx.Bucket(bucketPlaces), kind, id)
		return err
	})
	return p, err
}

// buildMmap is the address space mapped at once for a build (virtual, not
// memory): growing bbolt's map remaps and copies every node in memory,
// which took a fifth of the time of loading cities500.
const buildMmap = 1 << 30

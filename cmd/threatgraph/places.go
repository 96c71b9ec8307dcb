package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/gazetteer"
	"github.com/threatgraph/threatgraph/internal/httpapi"
	"github.com/threatgraph/threatgraph/schema"
)

func newPlacesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "places",
		Short: "The gazetteer beside the store: load GeoNames, find places, its counts",
		Long: `The gazetteer is reference data kept beside the store (gazetteer.bolt in the store's
directory), not facts of the graph: loading 200,000 cities adds no node. When one is loaded,
ingest, demo and serve's POST /v1/ingest resolve the Locations they load that lack coordinates,
a placeType or a partOf, and add what GeoNames gives, labelled source:geonames (docs/import.md).`,
	}
	cmd.AddCommand(newPlacesLoadCmd(a), newPlacesFindCmd(a), newPlacesStatsCmd(a))
	return cmd
}

func newPlacesLoadCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "load FILE...",
		Short: "Build the gazetteer from GeoNames cities, admin1 codes and i18n-iso-countries, replacing any",
		Long: `Build the gazetteer from these files, all at once, replacing the one there:
  cities15000.txt, cities500.txt.gz   GeoNames cities dumps (tab-separated, plain or gzipped)
  admin1.json                         GeoNames admin1 codes, [{"code": "RU.47", "name": "Moscow Oblast"}, ...]
  i18n-iso-countries/                 the directory of the npm package (codes.json and langs/*.json), or its codes.json

Every problem is reported as FILE:LINE: field: what (expected ...), and a bad file changes
nothing: the gazetteer is written into a temporary file and renamed into place.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := a.gazetteerPath()
			if err != nil {
				return err
			}
			start := time.Now()
			st, err := gazetteer.Build(cmd.Context(), path, args)
			var problems schema.Errors
			if errors.As(err, &problems) {
				a.printProblems("", "problem", problems, "--format json")
				return usageError{fmt.Errorf("%s; the gazetteer was not changed", plural(len(problems), "problem"))}
			}
			if errors.Is(err, gazetteer.ErrFormat) || errors.Is(err, os.ErrNotExist) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if a.cfg.Format == "json" {
				return a.json(placesStats{Path: path, Stats: *st})
			}
			a.printPlacesStats(path, *st)
			a.printf("loaded in %.1f s\n", time.Since(start).Seconds())
			return nil
		},
	}
}

func newPlacesFindCmd(a *app) *cobra.Command {
	var q httpapi.PlacesQuery
	cmd := &cobra.Command{
		Use:   "find NAME",
		Short: "Places of the gazetteer with this name, in any language, best first",
		Long: `List the places whose name, ASCII name, alternate name or (countries) name in any of 78
languages or ISO code matches NAME, case- and accent-insensitively: with country, province,
population, coordinates and the names that matched. Best first: a place's own name before an
alternate name, then by population. The same answer as GET /v1/places?name=NAME.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q.Name = args[0]
			switch q.Kind {
			case "", "city", "province", "country":
			default:
				return usageError{fmt.Errorf("--kind %q: expected city, province or country", q.Kind)}
			}
			if q.Limit < 1 || q.Limit > 1000 {
				return usageError{fmt.Errorf("--limit %d: expected 1 to 1000", q.Limit)}
			}
			path, err := a.gazetteerPath()
			if err != nil {
				return err
			}
			res, err := findPlaces(cmd.Context(), path, q)
			if errors.Is(err, gazetteer.ErrNotLoaded) || errors.Is(err, gazetteer.ErrUnknownCountry) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			header := []string{"id", "kind", "name", "province", "country", "population", "lat", "lon", "matched"}
			var rows [][]string
			for _, c := range res.Candidates {
				var m []string
				for _, n := range c.Matched {
					m = append(m, fmt.Sprintf("%s (%s)", n.Name, n.Field))
				}
				rows = append(rows, []string{c.ID, c.Kind, c.Name, refText(c.Province), refText(c.Country),
					popText(c.Population), coord(c.Lat), coord(c.Lon), strings.Join(m, ", ")})
			}
			return a.emit(res, header, rows, func() error {
				if len(rows) == 0 {
					a.printf("no place named %q in the gazetteer\n", schema.Escape(q.Name))
					return nil
				}
				if err := a.table(strings.ToUpper(strings.Join(header, "\t")), rows); err != nil {
					return err
				}
				if res.Total > len(rows) {
					a.printf("(%d of %d; --limit shows more)\n", len(rows), res.Total)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Country, "country", "", "only places in this country (alpha-2, alpha-3 or its name)")
	f.StringVar(&q.Kind, "kind", "", "only city, province or country")
	f.IntVar(&q.Limit, "limit", 20, "at most this many candidates")
	return cmd
}

func newPlacesStatsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "What the gazetteer holds: cities, provinces, countries, names, the files it was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := a.gazetteerPath()
			if err != nil {
				return err
			}
			gz, err := gazetteer.Open(path)
			if errors.Is(err, gazetteer.ErrNotLoaded) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			defer gz.Close()
			if a.cfg.Format == "json" {
				return a.json(placesStats{Path: path, Stats: gz.Stats()})
			}
			a.printPlacesStats(path, gz.Stats())
			return nil
		},
	}
}

// placesStats is places stats --format json (and places load's).
type placesStats struct {
	Path string `json:"path"`
	gazetteer.Stats
}

func (a *app) printPlacesStats(path string, st gazetteer.Stats) {
	a.printf("gazetteer %s (built %s)\n", path, st.Loaded.Format(time.RFC3339))
	a.printf("  cities     %d\n  provinces  %d\n  countries  %d\n  names      %d (name keys of each place)\n", st.Cities, st.Provinces, st.Countries, st.Names)
	for _, f := range st.Files {
		a.printf("  from %s (%s, %d rows, sha256 %s)\n", f.Name, f.Format, f.Rows, f.SHA256[:12])
	}
}

func refText(r *httpapi.PlaceRef) string {
	if r == nil {
		return "-"
	}
	if r.Name == "" {
		return r.Code
	}
	return r.Name + " (" + r.Code + ")"
}

func popText(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

func coord(f *float64) string {
	if f == nil {
		return "-"
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// gazetteerPath is where the gazetteer of the configured store lives.
func (a *app) gazetteerPath() (string, error) {
	path, ok := gazetteerFile(a.cfg.Store.Backend, a.cfg.Store.Path)
	if !ok {
		return "", usageError{fmt.Errorf("the gazetteer lives in the store's directory: backend %s has none (expected bbolt or leveldb)", a.cfg.Store.Backend)}
	}
	return path, nil
}

// gazetteerFile is the gazetteer's file beside a store, if the backend
// keeps its store in a directory.
func gazetteerFile(backend, dir string) (string, bool) {
	switch backend {
	case "", "bbolt", "leveldb":
		if dir == "" {
			return "", false
		}
		return filepath.Join(dir, gazetteer.File), true
	}
	return "", false
}

// findPlaces answers places find and GET /v1/places.
func findPlaces(ctx context.Context, path string, q httpapi.PlacesQuery) (*httpapi.PlacesResult, error) {
	gz, err := gazetteer.Open(path)
	if err != nil {
		return nil, err
	}
	defer gz.Close()
	opt := gazetteer.FindOptions{Country: q.Country}
	switch q.Kind {
	case "city":
		opt.Kinds = []gazetteer.Kind{gazetteer.City}
	case "province":
		opt.Kinds = []gazetteer.Kind{gazetteer.Province}
	case "country":
		opt.Kinds = []gazetteer.Kind{gazetteer.Country}
	}
	cs, err := gz.Find(ctx, q.Name, opt)
	if err != nil {
		return nil, err
	}
	res := &httpapi.PlacesResult{Name: q.Name, Total: len(cs), Candidates: []httpapi.Place{}}
	if q.Country != "" {
		if res.Country, err = gz.CountryCode(q.Country); err != nil {
			return nil, err
		}
	}
	for i, c := range cs {
		if i == q.Limit {
			break
		}
		p := httpapi.Place{ID: c.ID, Kind: c.Kind.String(), Name: c.Name, Feature: c.Feature, Population: c.Population, Primary: c.Primary}
		if c.Country != nil {
			p.Country = &httpapi.PlaceRef{Code: c.Country.Code, Name: c.Country.Name}
		}
		if c.Province != nil {
			p.Province = &httpapi.PlaceRef{Code: c.Province.Code, Name: c.Province.Name}
		}
		if c.HasCoords {
			lat, lon := c.Lat, c.Lon
			p.Lat, p.Lon = &lat, &lon
		}
		for _, m := range c.Matched {
			p.Matched = append(p.Matched, httpapi.PlaceName{Name: m.Name, Field: m.Field})
		}
		res.Candidates = append(res.Candidates, p)
	}
	return res, nil
}

// placesFinder serves GET /v1/places from the gazetteer beside the store,
// opened for each request (places load may replace it while serve runs).
type placesFinder struct{ path string }

func (p placesFinder) FindPlaces(ctx context.Context, q httpapi.PlacesQuery) (*httpapi.PlacesResult, error) {
	res, err := findPlaces(ctx, p.path, q)
	switch {
	case errors.Is(err, gazetteer.ErrNotLoaded):
		return nil, &httpapi.Error{Status: http.StatusNotImplemented, Msg: "no gazetteer is loaded beside this store (threatgraph places load FILE... builds it)", Err: err}
	case errors.Is(err, gazetteer.ErrUnknownCountry):
		return nil, &httpapi.Error{Status: http.StatusBadRequest, Msg: err.Error(), Detail: httpapi.ParamDetail{Parameter: "country", Value: q.Country, Expected: "an ISO 3166-1 alpha-2 or alpha-3 code, or a country's name"}, Err: err}
	}
	return res, err
}

// placesOf is the server's gazetteer, or nil for a backend without a
// directory.
func placesOf(s *graph.Store) httpapi.Places {
	if path, ok := gazetteerFile(s.Backend(), s.Path()); ok {
		return placesFinder{path}
	}
	return nil
}

// enrichFiles resolves the places of the files of a load into st against
// the gazetteer beside it, when one is loaded, and returns the files with
// gazetteer.EnrichInto's File appended; what it did goes to w (if any).
func enrichFiles(ctx context.Context, st *graph.Store, files []*ingest.File, w io.Writer) ([]*ingest.File, error) {
	backend, dir := st.Backend(), st.Path()
	path, ok := gazetteerFile(backend, dir)
	if !ok {
		return files, nil
	}
	gz, err := gazetteer.Open(path)
	if errors.Is(err, gazetteer.ErrNotLoaded) {
		return files, nil
	}
	if err != nil {
		return nil, err
	}
	defer gz.Close()
	out, sum, err := gazetteer.EnrichInto(ctx, gz, files, st)
	if err != nil {
		return nil, err
	}
	if w != nil && sum.Resolved+sum.Ambiguous > 0 {
		fmt.Fprintf(w, "gazetteer: %s resolved (%s added), %d ambiguous (warned), %d not found\n",
			plural(sum.Resolved, "place"), plural(sum.Added, "fact"), sum.Ambiguous, sum.Unmatched)
	}
	return out, nil
}

// enrich is enrichFiles for the store s.
func (a *app) enrich(ctx context.Context, s *graph.Store, files []*ingest.File) ([]*ingest.File, error) {
	return enrichFiles(ctx, s, files, a.errOut)
}

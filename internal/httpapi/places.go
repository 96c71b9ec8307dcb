package httpapi

import (
	"context"
	"fmt"
	"net/http"
)

// Places looks names up in the gazetteer kept beside the store (GET
// /v1/places). It is declared here and satisfied in cmd, so that the server
// does not import the gazetteer's package (under ingest).
type Places interface {
	// FindPlaces answers one lookup. An error that is an *Error is sent as
	// it is (400 for an unknown country, 501 when no gazetteer is loaded).
	FindPlaces(ctx context.Context, q PlacesQuery) (*PlacesResult, error)
}

// PlacesQuery is one lookup.
type PlacesQuery struct {
	Name    string // a name in any language, or a country's code
	Country string // alpha-2, alpha-3 or a country's name; "" for any
	Kind    string // city, province or country; "" for any
	Limit   int
}

// PlacesResult is the answer of GET /v1/places and of places find --format json.
type PlacesResult struct {
	Name       string  `json:"name"`
	Country    string  `json:"country,omitempty"` // the country asked for, as its alpha-2
	Total      int     `json:"total"`             // candidates before the limit
	Candidates []Place `json:"candidates"`
}

// A Place is one candidate: a place of the gazetteer that has the name.
type Place struct {
	ID         string      `json:"id"`   // geonames:524901, geonames-admin1:RU.47, iso3166:RU
	Kind       string      `json:"kind"` // city, province, country
	Name       string      `json:"name"`
	Feature    string      `json:"feature,omitempty"` // GeoNames feature code: PPLC (capital), PPLA (seat of a province), PPL…
	Country    *PlaceRef   `json:"country,omitempty"`
	Province   *PlaceRef   `json:"province,omitempty"`
	Population int64       `json:"population,omitempty"`
	Lat        *float64    `json:"lat,omitempty"`
	Lon        *float64    `json:"lon,omitempty"`
	Matched    []PlaceName `json:"matched"` // the names that matched, and which field of the data each is
	// Primary: the place's own name matched, not only one of GeoNames'
	// alternate names.
	Primary bool `json:"primary"`
}

// A PlaceRef names a country or province.
type PlaceRef struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// A PlaceName is a name that matched: the name and its field (name,
// asciiname, alternatename, alpha-2, alpha-3, or a language code).
type PlaceName struct {
	Name  string `json:"name"`
	Field string `json:"field"`
}

// placesRoutes is GET /v1/places.
func (s *Server) placesRoutes() []*route {
	return []*route{{method: "GET", path: "/v1/places", summary: "Places of the gazetteer (GeoNames, beside the store) with this name in any language: each with its country, province, population, coordinates and the names that matched, best first; not cached, since the gazetteer is loaded apart from the store (CLI: places find)",
		params: []param{
			{name: "name", typ: "string", required: true, desc: "a place's name in any language (case- and accent-insensitive), or a country's alpha-2 or alpha-3 code"},
			{name: "country", typ: "string", desc: "only places in this country: alpha-2, alpha-3 or its name; CLI --country"},
			{name: "kind", typ: "string", desc: "only city, province or country; CLI --kind"},
			{name: "limit", typ: "integer", def: "20", desc: "at most this many candidates (1-1000); CLI --limit"},
		},
		result: &PlacesResult{}, errors: []int{400, 501}, answer: s.placesAnswer}}
}

func (s *Server) placesAnswer(r *http.Request, a *args) (any, error) {
	if s.opts.Places == nil {
		return nil, &Error{Status: http.StatusNotImplemented, Msg: "this server has no gazetteer"}
	}
	name, err := a.required("name", "a place's name")
	if err != nil {
		return nil, err
	}
	limit, err := a.integer("limit", 20, 1, 1000)
	if err != nil {
		return nil, err
	}
	kind := a.str("kind")
	switch kind {
	case "", "city", "province", "country":
	default:
		return nil, paramError("kind", kind, "city, province or country")
	}
	res, err := s.opts.Places.FindPlaces(r.Context(), PlacesQuery{Name: name, Country: a.str("country"), Kind: kind, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("finding places: %w", err)
	}
	return res, nil
}

// Package gazetteer keeps the GeoNames gazetteer beside a store and
// resolves the place names of ingested files against it.
//
// The gazetteer is reference data, not facts of the graph: Build reads the
// GeoNames cities dumps (cities15000.txt, cities500.txt.gz), the admin1
// codes (admin1.json) and the i18n-iso-countries data (alpha-2 and alpha-3
// codes, names in many languages) into a bbolt file of its own (File, next
// to the store), written whole into a temporary file and renamed into
// place. Open reads it; Find looks a name up (schema.NameKey of every name,
// ASCII name, alternate name and country name) and returns the candidates
// with their country, province, population, coordinates and the names that
// matched.
//
// Enrich resolves the Location entities that the files of a load declare
// with a name and that lack coordinates, a placeType or a partOf: where the
// gazetteer gives exactly one match (narrowed by the entity's own placeType
// and the countries and provinces its partOf chain resolves to), it adds
// the missing facts, labelled source:geonames, in one extra File of the
// same load. Several equal matches are a warning naming the candidates,
// never a guess.
package gazetteer

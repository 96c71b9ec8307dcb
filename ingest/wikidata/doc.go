// Package wikidata imports an excerpt of Wikidata items (one organisation
// a row of a CSV file whose header begins qid,primary_name,aliases_json)
// as Groups or Organizations, each with its name, its aliases and its
// externalId wikidata:<qid>, stated by a Source of its own: the Wikidata
// item at the revision the row was read from (Wikidata is CC0).
//
// Two rows are never one entity: each QID is a group:wd-<qid> of its own,
// however many names or aliases it shares with another row or with the
// store (entity resolution proposes, `threatgraph candidates`; the analyst
// decides, `threatgraph same`).
package wikidata

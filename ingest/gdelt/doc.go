// Package gdelt imports GDELT 1.0 and 2.0 event files (tab-separated, no
// header: 57 or 58 columns for GDELT 1.0, 61 for GDELT 2.0) as an
// ingest.Importer.
//
// Only the events an armed-group graph needs are read, chosen by their
// CAMEO event code: 18x to 20x (assault, fight, unconventional mass
// violence) become Attacks, 13x (threaten) Warnings of type
// threat-assessment, 015 (acknowledge or claim responsibility) Claims of
// responsibility; every other row is counted and left out. Each row is one
// record, kept or rejected whole. Its facts are labelled with a Source per
// SOURCEURL (source:gdelt-<hash of the URL>), or with the constant
// source:gdelt where a GDELT 1.0 row has no URL; every one of them has
// coding machine, so that a belief policy can leave machine-coded facts
// out (query.Scope.ExcludeMachine). GDELT gives no casualty counts and no
// certainty beyond its coding: nothing else is stated.
//
// The column names are GDELT's published field lists and the CAMEO words
// those of GDELT's CAMEO lookup table. Source: The GDELT Project
// (https://www.gdeltproject.org/).
package gdelt

// Package stix imports STIX 2.1 bundles (MITRE ATT&CK, OpenCTI datasets,
// the OASIS examples) as an ingest.Importer: intrusion sets and threat
// actors become Groups (or Persons), campaigns Campaigns, attack patterns
// Techniques, malware and tools Malware and Tools, identities Persons or
// Organizations, locations Locations, and relationships the relations of
// the vocabulary (uses, attributedTo, targets, locatedAt, ...). Reports are
// Sources and state the objects they refer to; other objects are stated by
// the identity that created them, else by a Source for the bundle. Each
// object's facts are one statement of its source (its description or name
// as the quote), which carries the object's TLP and other markings
// (tg:marking) and its confidence (tg:confidence); revoked and deprecated
// objects are kept under a statement judged deprecated. What has no place
// in the vocabulary (indicators, courses of action, x-mitre-* objects,
// mitigates and detects relationships) is counted and reported as one
// warning per type. docs/import.md describes the mapping.
package stix

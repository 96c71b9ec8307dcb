// Package query answers analysts' questions over the quad store: entity
// cards with every fact, its sources and evidence, and the values on which
// sources disagree; search by name or alias; counts; and exports of the
// store (Reader.Export, in the formats of ExportFormats). Answers are plain
// structs with stable JSON field names, shared by the CLI's --format json
// and the HTTP endpoint.
//
// Library functions do not log; they return values and errors.
package query

package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/gdelt"
	"github.com/threatgraph/threatgraph/ingest/stix"
	"github.com/threatgraph/threatgraph/ingest/table"
	"github.com/threatgraph/threatgraph/ingest/wikidata"
)

// importOptions are the flags that choose or configure an importer.
type importOptions struct {
	Mapping string // ingest --mapping: a table mapping file
}

// importers lists the readers of inputs besides the native formats (STIX
// bundles, incident tables, GDELT events), in the order they are tried:
// the first whose Detect takes a file reads it; a file none takes is read
// as native or N-Quads by its extension.
func importers(opt importOptions) ([]ingest.Importer, error) {
	var imps []ingest.Importer
	if opt.Mapping != "" { // the user's mapping first: their tables are tables
		m, err := table.Open(opt.Mapping)
		if err != nil {
			return nil, err
		}
		imps = append(imps, table.New(m))
	}
	// The Wikidata excerpt before GDELT: its header is checked exactly.
	imps = append(imps, stix.New(), wikidata.Importer{}, gdelt.New())
	return imps, nil
}

// detectedByContent reports whether an importer takes the file by its
// first bytes although its name alone is not recognised (a bundle.txt).
func detectedByContent(name string, imps []ingest.Importer) bool {
	head, err := readHead(name, ingest.DetectLen)
	if err != nil {
		return false
	}
	return ingest.Recognised(name, head, imps) == nil
}

// readHead reads up to n leading bytes of a file.
func readHead(name string, n int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:k], nil
}

// tableLike reports whether a file's name is a table's, which only an
// importer reads (a table with --mapping, a Wikidata excerpt, GDELT).
func tableLike(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".tsv", ".txt":
		return true
	}
	return false
}

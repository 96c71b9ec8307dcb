package main

import (
	"context"
	"os"

	"github.com/threatgraph/threatgraph/ingest"
)

// parseImported reads and parses a file that an importer takes (a table,
// a bundle): its bytes count on the read meter m as the importer parses
// them, since reading the file is quick and parsing it is the long part.
// ok is false when no importer takes the file.
func parseImported(ctx context.Context, name string, m *meter, imps []ingest.Importer) (f *ingest.File, ok bool, err error) {
	head, err := readHead(name, ingest.DetectLen)
	if err != nil {
		return nil, false, nil // readInput reports it
	}
	taken := false
	for _, imp := range imps {
		taken = taken || imp.Detect(name, head)
	}
	if !taken {
		return nil, false, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, true, err
	}
	var last int64
	ctx = ingest.WithProgress(ctx, func(done int64) {
		done = min(done, int64(len(data))) // a decoded input may be longer
		m.add(done - last)
		last = done
	})
	f = ingest.ParseWith(ctx, name, data, imps)
	m.add(int64(len(data)) - last)
	return f, true, nil
}

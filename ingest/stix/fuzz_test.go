package stix_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/threatgraph/threatgraph/ingest/stix"
)

// FuzzImport: whatever the bytes, Import returns a File (no panic), and
// Detect answers.
//
//	go test ./ingest/stix -run '^$' -fuzz FuzzImport -fuzztime 30s
func FuzzImport(f *testing.F) {
	f.Add(read(f, filepath.Join("testdata", "analyst-bundle.json")))
	f.Add([]byte(`{"type": "bundle", "objects": [{"type": "relationship", "relationship_type": "uses", "source_ref": "x--y"}]}`))
	f.Add([]byte(`{"type": "campaign", "spec_version": "2.1", "id": "campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		imp := stix.New()
		imp.Detect("f.json", data)
		if f := imp.Import(context.Background(), "f.json", data); f == nil {
			t.Fatal("nil file")
		}
	})
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/query"
)

// TestExportRoute: /v1/export/{format} streams the same bytes as the CLI's
// export code path, takes the CLI's filters, and answers bad ones as JSON
// errors that the OpenAPI document describes.
func TestExportRoute(t *testing.T) {
	f := newFixture(t, Options{})
	for _, format := range query.ExportFormats {
		status, body := f.get(t, "/v1/export/"+format)
		if status != 200 {
			t.Fatalf("%s: status %d: %s", format, status, body)
		}
		var want bytes.Buffer
		if _, err := query.NewReader(f.st, query.ReaderOptions{}).Export(t.Context(), &want, format, query.ExportOptions{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, want.Bytes()) {
			t.Errorf("%s: the endpoint's export (%d bytes) differs from Reader.Export's (%d bytes)", format, len(body), want.Len())
		}
	}
	status, body := f.get(t, "/v1/export/graphml?kinds=Group,Attack&with-centrality=pagerank&around=ISIS-K&depth=1")
	if status != 200 || !bytes.Contains(body, []byte(`attr.name="pagerank"`)) || !bytes.Contains(body, []byte("Islamic State Khorasan Province")) {
		t.Errorf("filtered graphml with scores: %d\n%.400s", status, body)
	}
	for _, tt := range []struct {
		path   string
		status int
		param  string
	}{
		{"/v1/export/pdf", 404, "format"},
		{"/v1/export/graphml?kinds=Gang", 400, "kinds"},
		{"/v1/export/graphml?depth=99", 400, "depth"},
		{"/v1/export/graphml?from=yesterday", 400, "from"},
		{"/v1/export/nquads?with-centrality=pagerank", 400, "with-centrality"},
		{"/v1/export/graphml?with-centrality=fame", 400, "with-centrality"},
		{"/v1/export/graphml?around=nobody+at+all", 404, "around"},
		{"/v1/export/graphml?around=ISIS-K&kinds=Attack", 400, "around"},
		{"/v1/export/json?sources=source:nowhere", 400, "sources"},
		{"/v1/export/gexf?from=2024&to=2023", 400, "to"},
		{"/v1/export/graphml?colour=red", 400, "colour"},
	} {
		status, body := f.get(t, tt.path)
		if status != tt.status {
			t.Errorf("%s: status %d; want %d: %s", tt.path, status, tt.status, body)
			continue
		}
		var e struct {
			Error  string `json:"error"`
			Detail struct {
				Parameter string `json:"parameter"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
			t.Errorf("%s: not a JSON error: %s", tt.path, body)
			continue
		}
		if e.Detail.Parameter != tt.param && !strings.Contains(e.Error, tt.param) {
			t.Errorf("%s: error %q does not name %s", tt.path, e.Error, tt.param)
		}
	}
}

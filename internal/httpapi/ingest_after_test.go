package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/cayleygraph/quad"
)

// scanFailing fails Scan once armed: the view cannot be rebuilt after a write.
type scanFailing struct {
	Store
	armed *atomic.Bool
}

func (s scanFailing) Scan(ctx context.Context, fn func(quad.Quad) error) error {
	if s.armed.Load() {
		return errors.New("scan broke")
	}
	return s.Store.Scan(ctx, fn)
}

// TestIngestCommittedThenViewFails: a load that was committed, after which
// rebuilding the view failed, answers 500 saying the file IS in the store
// (it once said nothing was written).
func TestIngestCommittedThenViewFails(t *testing.T) {
	st, _ := openBuiltin(t)
	armed := &atomic.Bool{}
	srv, err := New(t.Context(), scanFailing{st, armed}, Options{Token: testToken, Loader: testLoader{st}})
	if err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	f := &fixture{st: st, srv: srv, ts: ts, val: newValidator(t, srv)}
	status, body := f.do(t, "POST", "/v1/ingest?filename=cells.yaml", "", []byte(cellFile("vf", 2)), "Authorization", "Bearer "+testToken)
	var eb struct {
		Error  string        `json:"error"`
		Detail IngestFailure `json:"detail"`
	}
	if err := json.Unmarshal(body, &eb); err != nil || status != 500 {
		t.Fatalf("%d %s (%v); want 500 with IngestFailure", status, body, err)
	}
	if !eb.Detail.Written || !slices.Equal(eb.Detail.Files, []string{"cells.yaml"}) {
		t.Errorf("the load was committed but the answer says %s", body)
	}
}

// TestIngestWithoutLoader: a Server built without a Loader refuses ingests
// (403 on the route; an error from Server.Ingest), it does not panic.
func TestIngestWithoutLoader(t *testing.T) {
	st, dir := openBuiltin(t)
	srv, err := New(t.Context(), st, Options{Token: testToken, SnapshotDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Ingest(t.Context(), []Upload{{Name: "a.yaml", Data: []byte("entities: []")}}, LoadOptions{}); err == nil {
		t.Error("Ingest without a Loader succeeded")
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	f := &fixture{st: st, srv: srv, ts: ts, val: newValidator(t, srv)}
	if status, body := f.do(t, "POST", "/v1/ingest?filename=a.yaml", "", []byte("entities: []"), "Authorization", "Bearer "+testToken); status != 403 {
		t.Errorf("POST /v1/ingest without a Loader: %d %s; want 403", status, body)
	}
}

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
)

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestCachesBoundedInBytes asks 600 distinct large questions (centrality
// with top from 1000 to 1599: every answer lists the whole graph): the
// answer cache and the centrality memo stay within their byte bounds by
// their own accounting, evict the least recently used answers, and the
// process heap after GC grows by about the bounds, not by the answers
// asked. Before the byte bounds both caches kept every answer (up to
// 8,192 and 512 of any size).
func TestCachesBoundedInBytes(t *testing.T) {
	const bound = 256 << 10
	f := newFixture(t, Options{CacheBytes: bound, MemoBytes: bound})
	status, one := f.get(t, "/v1/centrality?measure=degree&top=10000")
	if status != 200 {
		t.Fatalf("centrality: %d %s", status, one)
	}
	const n = 600
	if len(one)*n < 20*bound {
		t.Fatalf("answers of %d bytes: %d of them (%d bytes) would not show a cache without a byte bound", len(one), n, len(one)*n)
	}
	before := heapAfterGC()
	for i := range n {
		status, body := f.get(t, fmt.Sprintf("/v1/centrality?measure=degree&top=%d", 1000+i))
		if status != 200 || len(body) < len(one)/2 {
			t.Fatalf("top=%d: %d, %d bytes", 1000+i, status, len(body))
		}
	}
	after := heapAfterGC()
	for name, st := range map[string]cacheStats{"answers": f.srv.answers.Stats(), "centrality": f.srv.memo.Stats()} {
		if st.Bytes > bound || st.Bytes <= 0 {
			t.Errorf("%s cache holds %d bytes; want at most its bound %d", name, st.Bytes, bound)
		}
		if st.Evictions == 0 || st.Entries >= n {
			t.Errorf("%s cache: %d entries, %d evictions after %d distinct answers of %d bytes; want evictions", name, st.Entries, st.Evictions, n, len(one))
		}
	}
	// Generous: both bounds three times over, plus 8 MiB of other garbage
	// and growth; the unbounded caches grew by about 2 x 600 answers.
	grew := int64(after) - int64(before)
	if limit := int64(3*2*bound + 8<<20); grew > limit {
		t.Errorf("heap after GC grew by %d bytes over %d answers of %d bytes; want at most %d", grew, n, len(one), limit)
	}
	t.Logf("answer %d bytes; heap %d -> %d (%+d); answers %+v; memo %+v", len(one), before, after, grew, f.srv.answers.Stats(), f.srv.memo.Stats())
	// The most recent answer is still cached, the first was evicted.
	e := f.srv.epoch.Load()
	if _, ok := f.srv.answers.Get("/v1/centrality?measure=degree&top=1599"); !ok {
		t.Error("the last answer is not cached")
	}
	if _, ok := f.srv.answers.Get("/v1/centrality?measure=degree&top=1000"); ok {
		t.Error("the first answer is still cached; want it evicted (least recently used)")
	}
	if f.srv.epoch.Load() != e {
		t.Error("epoch moved without an ingest")
	}
	// /metrics reports the caches.
	_, m := f.get(t, "/metrics")
	for _, want := range []string{`threatgraph_cache_bytes{cache="answers"}`, `threatgraph_cache_evictions_total{cache="centrality"}`, `threatgraph_cache_max_bytes{cache="answers"} 262144`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestAnswerLargerThanBound: an answer heavier than the cache's bound is
// served, the same each time, and not cached.
func TestAnswerLargerThanBound(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 4 << 10, MemoBytes: 4 << 10})
	const path = "/v1/centrality?measure=degree&top=10000"
	_, first := f.get(t, path)
	status, second := f.get(t, path)
	if status != 200 || len(second) <= 4<<10 || !bytes.Equal(first, second) {
		t.Fatalf("second answer: %d, %d bytes, same as the first: %v; want 200 with more than 4 KiB, the same", status, len(second), bytes.Equal(first, second))
	}
	for name, st := range map[string]cacheStats{"answers": f.srv.answers.Stats(), "centrality": f.srv.memo.Stats()} {
		if st.Entries != 0 || st.Bytes != 0 || st.Rejected < 2 {
			t.Errorf("%s cache after two answers larger than its bound: %+v; want nothing kept, 2 rejected", name, st)
		}
	}
	// A small answer still is cached.
	f.get(t, "/healthz")
	if st := f.srv.answers.Stats(); st.Entries != 1 || st.Bytes > 4<<10 {
		t.Errorf("after a small answer: %+v; want it cached", st)
	}
}

// TestNoCachingAcrossIngest: an answer whose computation began before an
// ingest began writing is not stored after, and one begun while an ingest
// is under way is not stored at all.
func TestNoCachingAcrossIngest(t *testing.T) {
	f := newFixture(t, Options{Token: testToken})
	s := f.srv
	_, e, _ := s.cachedResponse("k")
	s.epoch.Add(1) // an ingest begins (Server.Ingest)
	s.answers.Purge()
	s.storeResponse("k", e, []byte("old"))
	if _, ok := s.answers.Get("k"); ok {
		t.Error("an answer begun before the ingest was cached after it began")
	}
	_, e, _ = s.cachedResponse("k")
	s.storeResponse("k", e, []byte("mid"))
	s.epoch.Add(1) // published
	if _, ok := s.answers.Get("k"); ok {
		t.Error("an answer begun during the ingest was cached")
	}
	_, e, _ = s.cachedResponse("k")
	s.storeResponse("k", e, []byte("new"))
	if b, ok := s.answers.Get("k"); !ok || string(b) != "new" {
		t.Errorf("an answer after the ingest: %q %v; want cached", b, ok)
	}
}

// TestReadersDoNotWaitForIngest runs a slow reader (a raw Gizmo query that
// spins for 2 s) and, behind it, an ingest, on a real bbolt store: the
// ingest finishes without waiting for the slow reader, and search and
// entity cards answer within 500 ms while both are in flight (a bound for
// "does not stall", not a speed claim). Under the old sync.RWMutex the
// ingest waited for the reader's read lock and every new request queued
// behind the waiting ingest, so each probe took the rest of the 2 s.
func TestReadersDoNotWaitForIngest(t *testing.T) {
	f := newFixture(t, Options{Token: testToken, QueryLimits: Limits{Timeout: 20 * time.Second}})
	before := f.srv.Quads()
	const spin = 2 * time.Second
	slow := url.QueryEscape(fmt.Sprintf(`var t0 = Date.now(); while (Date.now() - t0 < %d) {}; g.V("<group:isis-k>").All()`, spin.Milliseconds()))
	type done struct {
		at     time.Time
		status int
		body   string
		err    error
	}
	get := func(u string) done {
		resp, err := f.ts.Client().Get(u)
		if err != nil {
			return done{at: time.Now(), err: err}
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return done{at: time.Now(), status: resp.StatusCode, body: string(b)}
	}
	start := time.Now()
	slowc := make(chan done, 1)
	go func() { slowc <- get(f.ts.URL + "/v1/query?lang=gizmo&q=" + slow) }()
	time.Sleep(200 * time.Millisecond) // the slow reader is running
	ingc := make(chan done, 1)
	go func() {
		req, _ := http.NewRequest("POST", f.ts.URL+"/v1/ingest?filename=cells.yaml", strings.NewReader(cellFile("probe", 20)))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := f.ts.Client().Do(req)
		if err != nil {
			ingc <- done{at: time.Now(), err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ingc <- done{at: time.Now(), status: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(100 * time.Millisecond) // the ingest is under way, or waiting
	for i, p := range []string{"/v1/search?q=isis&limit=5", "/v1/entities/group:isis-k", "/v1/search?q=moscow", "/v1/entities/location:moscow"} {
		t0 := time.Now()
		d := get(f.ts.URL + p)
		if took := time.Since(t0); d.err != nil || d.status != 200 || took > 500*time.Millisecond {
			t.Errorf("probe %d %s while a slow reader and an ingest are in flight: %d %v after %v; want 200 within 500ms", i, p, d.status, d.err, took)
		}
	}
	var ing done
	select {
	case ing = <-ingc:
	case <-time.After(spin):
		ing = <-ingc
		t.Errorf("ingest still running %v after it started; want it done without waiting for the slow reader", spin)
	}
	sr := <-slowc
	if sr.err != nil || sr.status != 200 || !strings.Contains(sr.body, "group:isis-k") {
		t.Fatalf("slow reader: %d %v %.200s; want 200 with its answer", sr.status, sr.err, sr.body)
	}
	if sr.at.Sub(start) < spin {
		t.Fatalf("slow reader ended after %v, before its %v spin: the test did not exercise a slow reader", sr.at.Sub(start), spin)
	}
	if ing.err != nil || ing.status != 200 {
		t.Fatalf("ingest: %d %v %s", ing.status, ing.err, ing.body)
	}
	if !ing.at.Before(sr.at) {
		t.Errorf("ingest finished %v after the slow reader; want before it (it must not wait for readers)", ing.at.Sub(sr.at))
	}
	if f.srv.Quads() == before {
		t.Error("ingest added nothing")
	}
	// And the new state is what is read now.
	if status, _ := f.get(t, "/v1/entities/group:probe-3"); status != 200 {
		t.Errorf("entity of the ingest after it: %d", status)
	}
}

// failingStore fails every write, having committed it (written) or not.
type failingStore struct {
	*graph.Store
	written bool
}

func (s *failingStore) Write(ctx context.Context, qs []quad.Quad) (int, error) {
	n := 0
	if s.written {
		var err error
		if n, err = s.Store.Write(ctx, qs); err != nil {
			return n, err
		}
	}
	return 0, &graph.WriteError{Quads: len(qs), Written: s.written, Err: errors.New("disk on fire")}
}

// TestIngestFailureSaysWhatWasWritten: a write that fails answers 500 with
// detail {"written", "files_written"} and a sentence saying so, matching
// the OpenAPI document; the view follows the store when the batch landed.
func TestIngestFailureSaysWhatWasWritten(t *testing.T) {
	for _, written := range []bool{false, true} {
		t.Run(fmt.Sprint("written=", written), func(t *testing.T) {
			st, dir := openBuiltin(t)
			srv, err := New(t.Context(), st, Options{Token: testToken, SnapshotDir: dir, Loader: testLoader{&failingStore{Store: st, written: written}}})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv.Handler())
			t.Cleanup(ts.Close)
			f := &fixture{st: st, srv: srv, ts: ts, val: newValidator(t, srv)}
			before := srv.Quads()
			status, body := f.do(t, "POST", "/v1/ingest?filename=cells.yaml", "", []byte(cellFile("fail", 2)), "Authorization", "Bearer "+testToken)
			var eb struct {
				Error  string        `json:"error"`
				Detail IngestFailure `json:"detail"`
			}
			if err := json.Unmarshal(body, &eb); err != nil || status != 500 {
				t.Fatalf("failed ingest: %d %s (%v); want 500 with IngestFailure", status, body, err)
			}
			if written {
				if !eb.Detail.Written || len(eb.Detail.Files) != 1 || eb.Detail.Files[0] != "cells.yaml" || !strings.Contains(eb.Error, "are in the store") {
					t.Errorf("committed batch: %s; want written true, files_written [cells.yaml], a sentence saying so", body)
				}
				if srv.Quads() == before {
					t.Error("quads unchanged after a committed batch; want the view to follow the store")
				}
			} else {
				if eb.Detail.Written || eb.Detail.Files == nil || len(eb.Detail.Files) != 0 || !strings.Contains(eb.Error, "nothing was written") {
					t.Errorf("batch not committed: %s; want written false, files_written [], \"nothing was written\"", body)
				}
				if srv.Quads() != before {
					t.Errorf("quads %d -> %d after a failed write", before, srv.Quads())
				}
			}
		})
	}
}

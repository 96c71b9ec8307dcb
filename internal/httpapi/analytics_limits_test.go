package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/internal/testkg"
)

// starServer serves an on-disk store in which n people are members of one
// group: closeness there is n breadth-first searches of the whole graph,
// seconds of work, and communities was quadratic.
func starServer(t *testing.T, n int, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tg.db")
	st, err := graph.Open(context.Background(), graph.Options{Backend: "bbolt", Path: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	qs := testkg.Star(n)
	if _, err := st.Write(context.Background(), qs); err != nil {
		t.Fatal(err)
	}
	opts.SnapshotDir = dir
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := New(t.Context(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts
}

// waitRunning waits up to d for the server's running analytics
// computations to be want.
func waitRunning(t *testing.T, srv *Server, want int64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for srv.AnalyticsRunning() != want {
		if time.Now().After(deadline) {
			t.Fatalf("analytics running: %d after %v, want %d", srv.AnalyticsRunning(), d, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// getWithin GETs path with a client that gives up after d.
func getWithin(ts *httptest.Server, path string, d time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+path, nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestAnalyticsAbandonedStops: a centrality computation (memoised, shared
// by waiters) whose only client gives up after 300 ms stops within 2 s, and
// so does communities; /metrics reports the running count. Before, the
// centrality went on with context.WithoutCancel to its end.
func TestAnalyticsAbandonedStops(t *testing.T) {
	srv, ts := starServer(t, 30_000, Options{})
	for _, path := range []string{"/v1/centrality?measure=closeness", "/v1/communities?from=2000"} {
		start := time.Now()
		if code, _, err := getWithin(ts, path, 300*time.Millisecond); err == nil {
			t.Logf("%s answered %d in %v, before the client gave up", path, code, time.Since(start))
		}
		waitRunning(t, srv, 0, 2*time.Second)
	}
	code, body, err := getWithin(ts, "/metrics", 5*time.Second)
	if err != nil || code != 200 || !strings.Contains(string(body), "threatgraph_analytics_running 0") {
		t.Fatalf("/metrics: %d %v; want threatgraph_analytics_running 0 in:\n%.2000s", code, err, body)
	}
}

// TestAnalyticsBusy: with two computations running, a third expensive
// request answers 503 with retry_after_seconds, as raw queries do; a memo
// hit or a cheap request does not need a slot.
func TestAnalyticsBusy(t *testing.T) {
	srv, ts := starServer(t, 30_000, Options{AnalyticsConcurrency: 2})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, top := range []int{11, 12} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/centrality?measure=closeness&top=%d", ts.URL, top), nil)
			if resp, err := ts.Client().Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	waitRunning(t, srv, 2, 5*time.Second)
	for _, path := range []string{"/v1/communities", "/v1/centrality?measure=harmonic"} {
		code, body, err := getWithin(ts, path, 5*time.Second)
		if err != nil || code != http.StatusServiceUnavailable {
			t.Fatalf("%s while two run: %d %v %s; want 503", path, code, err, body)
		}
		var e struct {
			Detail map[string]int `json:"detail"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Detail["retry_after_seconds"] != 1 || e.Detail["concurrency"] != 2 {
			t.Fatalf("%s 503 body %s: want detail retry_after_seconds 1, concurrency 2", path, body)
		}
	}
	if code, body, _ := getWithin(ts, "/v1/entities/group:hub/neighbors", 5*time.Second); code != 200 {
		t.Fatalf("depth-1 neighbors while two run: %d %s; want 200", code, body)
	}
	cancel()
	wg.Wait()
	waitRunning(t, srv, 0, 2*time.Second)
}

// TestAnalyticsDeadline: a computation that reaches serve.analytics_timeout
// answers 408 with the limit, and stops.
func TestAnalyticsDeadline(t *testing.T) {
	srv, ts := starServer(t, 30_000, Options{AnalyticsTimeout: 300 * time.Millisecond})
	start := time.Now()
	code, body, err := getWithin(ts, "/v1/centrality?measure=closeness", 10*time.Second)
	if err != nil || code != http.StatusRequestTimeout {
		t.Fatalf("closeness with a 300 ms deadline: %d %v %s; want 408", code, err, body)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("408 after %v; want about 300 ms", took)
	}
	var e struct {
		Detail map[string]string `json:"detail"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Detail["limit"] != "300ms" {
		t.Fatalf("408 body %s: want detail limit 300ms", body)
	}
	waitRunning(t, srv, 0, 2*time.Second)
}

package httpapi

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
)

// Load benchmark parameters: 200 concurrent clients, at most b.N requests
// per route and at most loadBudget of wall time per route, on loopback.
const (
	loadClients = 200
	loadBudget  = 20 * time.Second
)

// BenchmarkLoad runs 200 concurrent clients (closed loop: each sends its
// next request when the last is answered) against the entity, neighbours,
// path and centrality routes of a real server on 127.0.0.1, on the
// built-in dataset and on a generated graph of 200k entities and 1M
// relations, and reports requests/s and the p50 and p99 latency per route.
// Each route gets b.N requests or 20 s, whichever ends first.
//
//	go test ./internal/httpapi -run '^$' -bench Load -benchtime 20000x -timeout 30m
func BenchmarkLoad(b *testing.B) {
	b.Run("builtin", func(b *testing.B) {
		st, dir := openBuiltin(b)
		ids := []string{"group:isis-k", "attack:2024-03-22-crocus-city-hall", "group:islamic-state", "group:taliban", "location:moscow"}
		benchRoutes(b, st, dir, ids, ids)
	})
	b.Run("generated-200k", func(b *testing.B) {
		dir := filepath.Join(b.TempDir(), "big.db")
		st, err := graph.Open(context.Background(), graph.Options{Backend: "bbolt", Path: dir, NoSync: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		start := time.Now()
		qs := generated(200_000, 1_000_000)
		if _, err := st.Write(context.Background(), qs); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated and wrote %d quads in %v", len(qs), time.Since(start))
		r := rand.New(rand.NewPCG(3, 4))
		var ids []string
		for range 1000 {
			ids = append(ids, genID(r.IntN(200_000)))
		}
		benchRoutes(b, st, dir, ids, ids[:200])
	})
}

var genKinds = []string{"Group", "Person", "Organization", "Location", "Attack", "Warning", "Claim"}

func genID(i int) string {
	return fmt.Sprintf("%s:g%d", [...]string{"group", "person", "organization", "location", "attack", "warning", "claim"}[i%7], i)
}

// generated returns quads for n entities (type and name each) and m
// relations between random entities, over 200 sources. Seeded.
func generated(n, m int) []quad.Quad {
	r := rand.New(rand.NewPCG(1, 2))
	rels := []string{"perpetratedBy", "locatedIn", "partOf", "memberOf", "affiliateOf", "about", "claims", "issuedBy", "suspectIn", "concerns"}
	src := func() quad.IRI { return quad.IRI(fmt.Sprintf("source:s%d", r.IntN(200))) }
	out := make([]quad.Quad, 0, 2*n+m)
	for i := range n {
		id := quad.IRI(genID(i))
		out = append(out,
			quad.Make(id, quad.IRI("rdf:type"), quad.IRI("tg:"+genKinds[i%7]), src()),
			quad.Make(id, quad.IRI("tg:name"), quad.String(fmt.Sprintf("Entity %d", i)), src()))
	}
	for range m {
		out = append(out, quad.Make(quad.IRI(genID(r.IntN(n))), quad.IRI("tg:"+rels[r.IntN(len(rels))]), quad.IRI(genID(r.IntN(n))), src()))
	}
	return out
}

func benchRoutes(b *testing.B, st *graph.Store, dir string, ids, pathIDs []string) {
	start := time.Now()
	srv, err := New(context.Background(), st, Options{SnapshotDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("server ready (view loaded) in %v, %d quads", time.Since(start), srv.Quads())
	ts := httptest.NewServer(srv.Handler()) // listens on 127.0.0.1
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: loadClients, MaxIdleConnsPerHost: loadClients, MaxConnsPerHost: loadClients}}
	var entity, neighbors, paths []string
	for _, id := range ids {
		entity = append(entity, "/v1/entities/"+url.PathEscape(id))
		neighbors = append(neighbors, "/v1/entities/"+url.PathEscape(id)+"/neighbors")
	}
	for i := range pathIDs {
		paths = append(paths, "/v1/paths?from="+url.QueryEscape(pathIDs[i])+"&to="+url.QueryEscape(pathIDs[(i+1)%len(pathIDs)]))
	}
	centrality := []string{"/v1/centrality", "/v1/centrality?measure=degree&kinds=Group", "/v1/centrality?top=20&kinds=Person,Group"}
	for _, rt := range []struct {
		name  string
		paths []string
	}{{"entity", entity}, {"neighbors", neighbors}, {"path", paths}, {"centrality", centrality}} {
		b.Run(rt.name, func(b *testing.B) { load(b, client, ts.URL, rt.paths) })
	}
}

// load sends b.N requests (or as many as fit in loadBudget) from
// loadClients goroutines and reports throughput and latency quantiles.
func load(b *testing.B, client *http.Client, base string, paths []string) {
	var next, failed atomic.Int64
	lat := make([][]time.Duration, loadClients)
	// Warm-up, not timed: every client opens its keep-alive connection,
	// as a dashboard's would be open already; we measure steady state.
	var warm sync.WaitGroup
	for range loadClients {
		warm.Go(func() {
			if resp, err := client.Get(base + "/healthz"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	warm.Wait()
	deadline := time.Now().Add(loadBudget)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range loadClients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) || time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				resp, err := client.Get(base + paths[int(i)%len(paths)])
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		b.Fatal("no request completed")
	}
	if n := failed.Load(); n > 0 {
		b.Errorf("%d of %d requests failed", n, len(all))
	}
	slices.Sort(all)
	q := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(all)), "requests")
	b.ReportMetric(0, "ns/op")
}

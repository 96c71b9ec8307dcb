package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The deep queries of issue 9 get a 400 naming the bound, the depth found
// and the parameter q, over GET and POST, and the server goes on answering.
func TestRawQueryRefusesDeepQueries(t *testing.T) {
	f := newFixture(t, Options{})
	for name, q := range deepQueries(300_000) {
		text := q.text[:min(len(q.text), 16000)] // URLs stay short; the bound is passed long before
		status, body := f.get(t, "/v1/query?lang="+q.lang+"&q="+url.QueryEscape(text))
		var eb struct {
			Error  string
			Detail GuardDetail
		}
		if err := json.Unmarshal(body, &eb); err != nil || status != http.StatusBadRequest || eb.Detail.Parameter != "q" ||
			eb.Detail.Found <= eb.Detail.Limit || !strings.Contains(eb.Error, fmt.Sprintf("the limit is %d", eb.Detail.Limit)) {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
	for _, q := range []struct{ lang, text string }{
		{"gizmo", strings.Repeat("(", 300_000) + "1" + strings.Repeat(")", 300_000)},
		{"graphql", "{" + strings.Repeat("a{", 1_000_000) + "b" + strings.Repeat("}", 1_000_000) + "}"},
	} {
		status, body := f.do(t, "POST", "/v1/query?lang="+q.lang, "text/plain", []byte(q.text))
		if status != http.StatusBadRequest || !strings.Contains(string(body), "bytes long, the limit is 65536") {
			t.Errorf("POST %s: %d %s", q.lang, status, body[:min(len(body), 300)])
		}
	}
	if status, _ := f.get(t, "/healthz"); status != http.StatusOK {
		t.Errorf("healthz after the deep queries: %d", status)
	}
}

// heapPeak samples the heap every millisecond until stop and returns the
// highest reading over the level at the start.
func heapPeak() (stop func() int64) {
	base, _ := readHeap()
	var peak atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
			if o, _ := readHeap(); o-base > peak.Load() {
				peak.Store(o - base)
			}
		}
	}()
	return func() int64 { close(done); wg.Wait(); return peak.Load() }
}

// A query that doubles a string or grows an array is stopped with the
// memory answer well before its time limit, the heap stays under a bound,
// comes back after, and /healthz and /v1/stats answer all along.
func TestRawQueryMemoryLimit(t *testing.T) {
	const limit = 64 << 20
	f := newFixture(t, Options{QueryLimits: Limits{Memory: limit, Timeout: 20 * time.Second}})
	runtime.GC()
	_, live0 := readHeap()
	for name, q := range map[string]string{
		"doubling": `var s = "x"; while (true) { s = s + s }`,
		"array":    `var a = []; while (true) { a.push("item number " + a.length) }`,
		"objects":  `var m = {}; for (var i = 0; ; i++) { m["k" + i] = [i, i, i] }`,
	} {
		stopPeak := heapPeak()
		var slow atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, p := range []string{"/healthz", "/v1/stats"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					start := time.Now()
					resp, err := http.Get(f.ts.URL + p)
					if err != nil || resp.StatusCode != http.StatusOK {
						t.Errorf("%s during %s: %v %v", p, name, err, resp)
						return
					}
					resp.Body.Close()
					if d := time.Since(start); d > time.Duration(slow.Load()) {
						slow.Store(int64(d))
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
		}
		start := time.Now()
		status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(q))
		took := time.Since(start)
		close(stop)
		wg.Wait()
		peak := stopPeak()
		t.Logf("%s: %d after %v, heap peak +%d MiB, slowest other answer %v: %s", name, status, took.Round(time.Millisecond), peak>>20, time.Duration(slow.Load()).Round(time.Millisecond), body)
		if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "memory limit 64 MiB") || !strings.Contains(string(body), "serve.query_memory") {
			t.Errorf("%s: %d %s", name, status, body)
		}
		if took > 10*time.Second {
			t.Errorf("%s: stopped after %v", name, took)
		}
		// The allocations in flight when the watchdog fires cannot be cut:
		// a doubling string caught at the limit still makes its next one
		// or two strings (2 and 4 times the limit) plus the garbage of the
		// last: 12 times the limit bounds it when the watchdog runs on
		// time (+128 MiB measured alone). On a loaded machine the watchdog
		// itself waits for a core while each doubling copies faster than
		// it is scheduled (+1792 MiB measured at load average 6.5), so the
		// bound for doubling is 40 times the limit: still far below what
		// an unwatched query reaches within its 20 s (the whole memory).
		// Growth by small steps stops within 3 times.
		bound := int64(3 * limit)
		if name == "doubling" {
			bound = 40 * limit
		}
		if peak > bound {
			t.Errorf("%s: heap peak +%d MiB, over %d MiB", name, peak>>20, bound>>20)
		}
		if d := time.Duration(slow.Load()); d > 2*time.Second {
			t.Errorf("%s: /healthz or /v1/stats took %v during the query", name, d)
		}
		waitSlotsFree(t, f, 10*time.Second)
		runtime.GC()
		if _, live := readHeap(); live-live0 > 32<<20 {
			t.Errorf("%s: live heap still +%d MiB after the stop", name, (live-live0)>>20)
		}
	}
}

// A JavaScript loop that touches no iterator stops at the time limit (408
// over HTTP), and RunQuery returns only once its goroutine has ended.
func TestRawQueryTimeoutStopsPureLoop(t *testing.T) {
	f := newFixture(t, Options{QueryLimits: Limits{Timeout: 300 * time.Millisecond}})
	for _, q := range []string{`while (true) {}`, `for (var i = 0; ; i++) { Math.sqrt(i) }`} {
		start := time.Now()
		status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(q))
		if status != http.StatusRequestTimeout || time.Since(start) > 3*time.Second {
			t.Errorf("%q: %d after %v: %s", q, status, time.Since(start), body)
		}
		before := runtime.NumGoroutine()
		_, err := RunQuery(t.Context(), f.st.QuadStore(), "gizmo", q, Limits{Timeout: 200 * time.Millisecond})
		if !errors.Is(err, ErrQueryTimeout) {
			t.Errorf("%q: %v", q, err)
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%q: %d goroutines after RunQuery, %d before", q, n, before)
		}
	}
}

// With the slots full a raw query gets 503 at once, and the other routes
// answer meanwhile.
func TestRawQueryConcurrencyLimit(t *testing.T) {
	f := newFixture(t, Options{QueryLimits: Limits{Concurrency: 1, Timeout: 3 * time.Second}})
	slow := make(chan int, 1)
	go func() {
		resp, err := http.Get(f.ts.URL + "/v1/query?lang=gizmo&q=" + url.QueryEscape(`while(true){}`))
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	deadline := time.Now().Add(2 * time.Second)
	for len(f.srv.rawSlots) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(`g.V().All()`))
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), "serve.query_concurrency") || time.Since(start) > time.Second {
		t.Errorf("second query: %d %s", status, body)
	}
	if status, _ := f.get(t, "/healthz"); status != http.StatusOK {
		t.Errorf("healthz: %d", status)
	}
	if got := <-slow; got != http.StatusRequestTimeout {
		t.Errorf("slow query: %d", got)
	}
	waitSlotsFree(t, f, 5*time.Second)
	if status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(`g.V("<group:isis-k>").All()`)); status != http.StatusOK {
		t.Errorf("after the slot is free: %d %s", status, body)
	}
}

// A browser's cross-site request is refused; same-origin pages and
// clients that are not browsers are not.
func TestRawQueryRefusesCrossSite(t *testing.T) {
	f := newFixture(t, Options{})
	q := "/v1/query?lang=gizmo&q=" + url.QueryEscape(`g.V("<group:isis-k>").All()`)
	host := strings.TrimPrefix(f.ts.URL, "http://")
	for _, c := range []struct {
		method string
		hdr    []string
		want   int
	}{
		{"GET", nil, 200},
		{"GET", []string{"Sec-Fetch-Site", "same-origin"}, 200},
		{"GET", []string{"Sec-Fetch-Site", "none"}, 200},
		{"GET", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"GET", []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"GET", []string{"Origin", "https://evil.example"}, 403},
		{"GET", []string{"Origin", "http://" + host}, 200},
		{"POST", []string{"Origin", "null"}, 403},
	} {
		var status int
		var body []byte
		if c.method == "POST" {
			status, body = f.do(t, "POST", "/v1/query?lang=gizmo", "text/plain", []byte(`g.V().All()`), c.hdr...)
		} else {
			status, body = f.do(t, "GET", q, "", nil, c.hdr...)
		}
		if status != c.want {
			t.Errorf("%s %v: %d %s", c.method, c.hdr, status, body)
		}
	}
}

// waitSlotsFree waits until no raw query holds a slot: a slot is given
// back only once the query's VM has ended (and, after a memory stop, the
// memory has been returned).
func waitSlotsFree(t *testing.T, f *fixture, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for len(f.srv.rawSlots) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("raw query slots still held %v after the answer", within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// One built-in call cannot allocate past the caps: the typed arrays are
// gone, and repeat, padEnd, Array(n), fill, join, spread and apply on a
// huge length throw the RangeError naming the bytes and the memory limit,
// at once and without the heap growing; ordinary uses still work.
func TestRawQueryAllocCaps(t *testing.T) {
	f := newFixture(t, Options{QueryLimits: Limits{Memory: 256 << 20, Timeout: 10 * time.Second}})
	for _, c := range []struct{ q, want string }{
		{`var a=new Uint8Array(1500000000); g.Emit(a.length)`, "Uint8Array is not defined"},
		{`var a=new Uint8Array(1500000000); a.fill(7)`, "Uint8Array is not defined"},
		{`var b=new ArrayBuffer(1500000000); g.Emit(b.byteLength)`, "ArrayBuffer is not defined"},
		{`var s="x".repeat(1<<30)`, `"...".repeat(1073741824) would allocate 1073741824 bytes or more, memory limit 256 MiB`},
		{`"xy".padEnd(1.5e9,"ab")`, `"...".padEnd(1500000000) would allocate 1500000000 bytes or more, memory limit 256 MiB`},
		{`var s="x".repeat(1e6); g.Emit("".concat(s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s,s).length)`, `"...".concat() would allocate`},
		{`var s="x".repeat(1e6); g.Emit(s.replace(/x/g, s).length)`, `replace() would allocate`},
		{`var a = Array(1.5e9)`, "Array(1500000000) would allocate"},
		{`var a = []; a.length = 1.5e9; a.fill(7)`, "Array.prototype.fill() would allocate"},
		{`var a = []; a.length = 1.5e9; g.Emit(a.join("x").length)`, "Array.prototype.join() would allocate"},
		{`var a = []; a.length = 1.5e9; g.Emit([...a].length)`, "spreading or iterating an array would allocate"},
		{`var a = []; a.length = 1.5e9; g.Emit(Math.max.apply(null, a))`, "Function.prototype.apply() would allocate"},
		{`g.Emit(Array.prototype.fill.call({get length() { return 1.5e9 }}, 7))`, "length getter is not accepted"},
	} {
		stopPeak := heapPeak()
		start := time.Now()
		status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(c.q))
		took, peak := time.Since(start), stopPeak()
		var eb struct{ Error string }
		_ = json.Unmarshal(body, &eb)
		if status != http.StatusUnprocessableEntity || !strings.Contains(eb.Error, c.want) || took > 3*time.Second || peak > 64<<20 {
			t.Errorf("%s: %d after %v, heap +%d MiB: %s", c.q, status, took, peak>>20, body)
		}
		waitSlotsFree(t, f, 5*time.Second)
	}
	q := `g.Emit(["ab".repeat(3), "x".padStart(5, "-"), "a".concat("b", 1), [1,2,3].join("-"), String([1,[2,3]]), Array(3).length,
		new Array(1,2).length, [] instanceof Array, [].constructor === Array, "aXbX".replace(/X/g, "$&$&"), [...[1,2], ...new Set([3,3])].length,
		Math.max.apply(null, [1, 5, 2]), Array.from({length: 2}).length])`
	status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(q))
	want := `["ababab","----x","ab1","1-2-3","1,2,3",3,2,true,true,"aXXbXX",3,5,2]`
	if status != http.StatusOK || !strings.Contains(strings.Join(strings.Fields(string(body)), ""), want) {
		t.Errorf("ordinary uses: %d %s, want %s", status, body, want)
	}
}

// The prelude is compiled on its own: a syntax error on line 3 of the
// query still says line 3.
func TestRawQuerySyntaxErrorLine(t *testing.T) {
	f := newFixture(t, Options{})
	status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape("var a = 1;\nvar b = 2;\nvar = 3;\n"))
	if status != http.StatusBadRequest || !strings.Contains(string(body), "Line 3:5") {
		t.Errorf("%d %s", status, body)
	}
}

// backtrack takes regexp2 (the lookahead) far longer than any limit here
// without RegexMatchTimeout.
const backtrack = `/^(a+)+(?=b)/.test("aaaaaaaaaaaaaaaaaaaaaaaaaaaa!")`

// A backtracking regular expression ends at RegexMatchTimeout (goja
// reports the abandoned match as no match), within the query's time limit.
func TestRawQueryRegexMatchTimeout(t *testing.T) {
	f := newFixture(t, Options{})
	start := time.Now()
	res, err := RunQuery(t.Context(), f.st.QuadStore(), "gizmo", "g.Emit("+backtrack+")", Limits{Timeout: 5 * time.Second})
	took := time.Since(start)
	if err != nil || len(res.Results) != 1 || res.Results[0] != false || took > RegexMatchTimeout+2*time.Second {
		t.Errorf("after %v: %v %v", took, res, err)
	}
}

// A query stopped at its time limit while its VM is inside a regular
// expression match answers 408 at the limit, but keeps its slot until the
// match has ended: a second query meanwhile gets 503, and the slot is free
// once the VM has ended.
func TestRawQuerySlotHeldUntilVMEnds(t *testing.T) {
	f := newFixture(t, Options{QueryLimits: Limits{Concurrency: 1, Timeout: 300 * time.Millisecond}})
	start := time.Now()
	status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape("while (true) { "+backtrack+" }"))
	took := time.Since(start)
	if status != http.StatusRequestTimeout || took > 300*time.Millisecond+RegexMatchTimeout/2 {
		t.Errorf("regex loop: %d after %v: %s", status, took, body)
	}
	if status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(`g.V().All()`)); status != http.StatusServiceUnavailable {
		t.Errorf("second query while the VM still runs: %d %s", status, body)
	}
	waitSlotsFree(t, f, RegexMatchTimeout+2*time.Second)
	if status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(`g.V("<group:isis-k>").All()`)); status != http.StatusOK {
		t.Errorf("after the VM ended: %d %s", status, body)
	}
}

// vmRSS is the process's resident set from /proc/self/status.
func vmRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// After a memory stop, once the slot is free, the resident set is back
// within the limit plus 128 MiB of where it started.
func TestRawQueryMemoryComesBack(t *testing.T) {
	const limit = 64 << 20
	f := newFixture(t, Options{QueryLimits: Limits{Memory: limit, Timeout: 20 * time.Second}})
	runtime.GC()
	debug.FreeOSMemory()
	rss0 := vmRSS(t)
	for _, q := range []string{
		`var s = "x"; while (true) { s = s + s }`,
		`var a = []; while (true) { a.push("item number " + a.length) }`,
		`var a=new Uint8Array(1500000000); a.fill(7)`,
	} {
		status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(q))
		if status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", q, status, body)
		}
		waitSlotsFree(t, f, 10*time.Second)
		rss := vmRSS(t)
		t.Logf("%s: VmRSS %d MiB, %d MiB at the start", q, rss>>20, rss0>>20)
		if rss-rss0 > limit+128<<20 {
			t.Errorf("%s: VmRSS %d MiB after the stop, %d MiB at the start", q, rss>>20, rss0>>20)
		}
	}
}

// TestRawQueryNoRunTimeCompile: code compiled while a query runs would
// escape the guard that reads the query's text before parsing: a
// Function("(((…") of three million brackets overflowed goja's parser stack
// and killed the process. eval and every function constructor are refused,
// and the server answers afterwards.
func TestRawQueryNoRunTimeCompile(t *testing.T) {
	f := newFixture(t, Options{QueryLimits: Limits{Timeout: 10 * time.Second}})
	for _, q := range []string{
		`var f=Function("return "+"(".repeat(3e6)+"1"+")".repeat(3e6)); g.Emit(f())`,
		`g.Emit(eval("["+"[".repeat(3e6)+"]".repeat(3e6)+"]"))`,
		`g.Emit((function(){}).constructor("return 1")())`,
		`g.Emit(Object.getPrototypeOf(function*(){}).constructor("yield 1")().next().value)`,
		`g.Emit(this.eval("1"))`,
	} {
		status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(q))
		if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "code compiled at run time (eval, Function) is not allowed") {
			t.Errorf("%s: %d %s; want 422 refusing run-time compilation", q, status, body)
		}
		waitSlotsFree(t, f, 5*time.Second)
	}
	if status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(`g.Emit([1,2].map(function (x) { return x * 2 }))`)); status != http.StatusOK {
		t.Errorf("ordinary functions after the refusals: %d %s", status, body)
	}
}

// TestRawQueriesTurnedOff: a server whose operator turned raw queries off
// (serve.query_concurrency: 0, a negative Concurrency here) answers them
// 403 and every question route as usual.
func TestRawQueriesTurnedOff(t *testing.T) {
	f := newFixture(t, Options{QueryLimits: Limits{Concurrency: -1}})
	status, body := f.get(t, "/v1/query?lang=gizmo&q="+url.QueryEscape(`g.V().All()`))
	if status != http.StatusForbidden || !strings.Contains(string(body), "raw queries are turned off") {
		t.Errorf("raw query on a server with them turned off: %d %s; want 403", status, body)
	}
	if status, body := f.get(t, "/v1/stats"); status != http.StatusOK {
		t.Errorf("/v1/stats: %d %s", status, body)
	}
}

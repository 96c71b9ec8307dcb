package httpapi

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestHostCheck: a server told its loopback names refuses a request whose
// Host is another name (a DNS name rebound to 127.0.0.1 by a web page) with
// 421, on every route, and answers its own names; the answer matches the
// OpenAPI document.
func TestHostCheck(t *testing.T) {
	f := newFixture(t, Options{Hosts: LoopbackHosts("127.0.0.1:8080")})
	try := func(host, path string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := f.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		vreq, _ := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
		f.val.check(t, vreq, resp.StatusCode, resp.Header, b)
		return resp.StatusCode, b
	}
	for _, host := range []string{"evil.example:8080", "evil.example", "127.0.0.1.evil.example:8080", "10.0.0.1:8080"} {
		for _, path := range []string{"/v1/stats", "/v1/query?lang=gizmo&q=g.V().All()"} {
			code, body := try(host, path)
			if code != http.StatusMisdirectedRequest || !strings.Contains(string(body), "answers only to") {
				t.Errorf("Host %s, %s: %d %s; want 421 naming the hosts it answers to", host, path, code, body)
			}
		}
	}
	for _, host := range []string{"127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080"} {
		if code, body := try(host, "/v1/stats"); code != http.StatusOK {
			t.Errorf("Host %s: %d %s; want 200", host, code, body)
		}
	}
	for addr, want := range map[string][]string{
		"127.0.0.1:8080": {"localhost", "127.0.0.1", "::1", "127.0.0.1"},
		"[::1]:0":        {"localhost", "127.0.0.1", "::1", "::1"},
		"localhost:80":   {"localhost", "127.0.0.1", "::1", "localhost"},
		"0.0.0.0:8080":   nil,
		":8080":          nil,
		"192.0.2.7:8080": nil,
	} {
		if got := LoopbackHosts(addr); !slices.Equal(got, want) {
			t.Errorf("LoopbackHosts(%q) = %v; want %v", addr, got, want)
		}
	}
}

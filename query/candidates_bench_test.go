package query_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/query"
)

var (
	namesOnce  sync.Once
	namesStore *graph.Store
	namesDir   string
	namesErr   error
)

// namesQuads generates a store the size of MITRE ATT&CK's (25k entities)
// for entity resolution: groups, organisations, people and places with
// names of two to four words from a vocabulary of 3,000 (a few words
// common, as "islamic" or "front" are), up to four aliases each
// (initials, a misspelling, another entity's name), one in 30 a duplicate
// of another (its name, its alias), external ids of two schemes, and
// 20k attacks perpetrated by the groups.
func namesQuads(n int, seed uint64) []quad.Quad {
	rng := rand.New(rand.NewPCG(seed, 1))
	src := quad.IRI("source:gen")
	qs := []quad.Quad{quad.Make(src, quad.IRI("rdf:type"), quad.IRI("tg:Source"), src)}
	vocab := make([]string, 3000)
	for i := range vocab {
		var b strings.Builder
		for range 4 + rng.IntN(6) {
			b.WriteByte(byte('a' + rng.IntN(26)))
		}
		vocab[i] = b.String()
	}
	word := func() string { // a few words are common
		if rng.IntN(4) == 0 {
			return vocab[rng.IntN(20)]
		}
		return vocab[rng.IntN(len(vocab))]
	}
	kinds := []string{"Group", "Organization", "Person", "Location"}
	names := make([]string, n)
	for i := range n {
		id := quad.IRI(fmt.Sprintf("%s:e%d", strings.ToLower(kinds[i%4]), i))
		qs = append(qs, quad.Make(id, quad.IRI("rdf:type"), quad.IRI("tg:"+kinds[i%4]), src))
		var ws []string
		for range 2 + rng.IntN(3) {
			ws = append(ws, word())
		}
		name := strings.Join(ws, " ")
		if i >= 4 && rng.IntN(30) == 0 {
			name = names[i-4] // a duplicate of the entity of the same kind before
			qs = append(qs, quad.Make(id, quad.IRI("tg:alias"), quad.String(names[i-4]+" "+word()), src))
		}
		names[i] = name
		qs = append(qs, quad.Make(id, quad.IRI("tg:name"), quad.String(name), src))
		for range rng.IntN(5) {
			var alias string
			switch rng.IntN(3) {
			case 0:
				var b strings.Builder
				for _, w := range strings.Fields(name) {
					b.WriteByte(w[0])
				}
				alias = strings.ToUpper(b.String())
			case 1:
				alias = strings.Replace(name, name[1:2], "", 1)
			default:
				alias = names[rng.IntN(i+1)]
			}
			qs = append(qs, quad.Make(id, quad.IRI("tg:alias"), quad.String(alias), src))
		}
		switch rng.IntN(10) {
		case 0, 1, 2, 3:
			qs = append(qs, quad.Make(id, quad.IRI("tg:externalId"), quad.String(fmt.Sprintf("mitre:G%05d", i)), src))
		case 4:
			qs = append(qs, quad.Make(id, quad.IRI("tg:externalId"), quad.String(fmt.Sprintf("wikidata:Q%d", rng.IntN(n))), src))
		}
	}
	for a := range 20_000 {
		id := quad.IRI(fmt.Sprintf("attack:a%d", a))
		qs = append(qs, quad.Make(id, quad.IRI("rdf:type"), quad.IRI("tg:Attack"), src),
			quad.Make(id, quad.IRI("tg:perpetratedBy"), quad.IRI(fmt.Sprintf("group:e%d", 4*rng.IntN(n/4))), src))
	}
	return qs
}

func namesGraphStore(b *testing.B) *graph.Store {
	namesOnce.Do(func() {
		qs := namesQuads(25_000, 11)
		namesDir, namesErr = os.MkdirTemp("", "tg-names-")
		if namesErr != nil {
			return
		}
		namesStore, namesErr = graph.Open(context.Background(), graph.Options{Path: filepath.Join(namesDir, "db")}, nil)
		if namesErr != nil {
			return
		}
		_, namesErr = namesStore.Write(context.Background(), qs)
	})
	if namesErr != nil {
		b.Fatal(namesErr)
	}
	return namesStore
}

// BenchmarkCandidates measures candidates on an on-disk store the size of
// MITRE ATT&CK (25k entities with names and aliases, 20k attacks), as the
// CLI runs it (a new Reader, its view from the snapshot beside the
// store), against its floor in the same run: one Scan of every quad
// (scan), which candidates makes once. It reports the CPU time per
// operation (cpu-ns/op, less disturbed than ns/op on a shared machine),
// the pairs weighed and the pairs of one kind that comparing all would
// weigh.
//
// go test ./query -run '^$' -bench Candidates -benchtime 5x
func BenchmarkCandidates(b *testing.B) {
	s := namesGraphStore(b)
	dir := filepath.Join(namesDir, "db")
	if _, err := query.NewReader(s, query.ReaderOptions{Dir: dir}).View(b.Context()); err != nil { // writes the snapshot
		b.Fatal(err)
	}
	b.Run("scan", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			n := 0
			if err := s.Scan(b.Context(), func(quad.Quad) error { n++; return nil }); err != nil || n == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("candidates", func(b *testing.B) {
		var res *query.CandidatesResult
		defer reportCPU(b)()
		for b.Loop() {
			var err error
			res, err = query.NewReader(s, query.ReaderOptions{Dir: dir}).Candidates(b.Context(), query.CandidateOptions{Limit: 50})
			if err != nil {
				b.Fatal(err)
			}
		}
		perKind := float64(res.Entities) / 4
		b.ReportMetric(float64(res.Compared), "pairs-weighed")
		b.ReportMetric(4*perKind*(perKind-1)/2, "all-pairs")
		b.ReportMetric(float64(res.Pairs), "candidates")
	})
}

// reportCPU starts counting the process's CPU time (user and system); the
// function it returns reports it per operation as cpu-ns/op, a figure a
// machine shared with other work disturbs less than the wall time.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func init() {
	cleanups = append(cleanups, func() {
		if namesStore != nil {
			namesStore.Close()
		}
		if namesDir != "" {
			os.RemoveAll(namesDir)
		}
	})
}

package gazetteer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkBuild builds the gazetteer of cities500 (199k places), admin1
// and the countries; the baseline, read, only gunzips cities500 and splits
// its lines and columns, the floor of any loader of it.
//
//	go test ./ingest/gazetteer -run '^$' -bench Build -benchtime 1x -count 3
func BenchmarkBuild(b *testing.B) {
	dir := dataDir(b)
	in := inputs(dir, "cities500.txt.gz")
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			data, err := os.ReadFile(in[0])
			if err != nil {
				b.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			sc := bufio.NewScanner(zr)
			sc.Buffer(nil, 16<<20)
			n := 0
			for sc.Scan() {
				n += bytes.Count(sc.Bytes(), []byte{'\t'})
			}
			if n == 0 {
				b.Fatal("nothing read")
			}
		}
	})
	b.Run("build", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), File)
		var places int
		cpu0 := cpuSeconds(b)
		for b.Loop() {
			st, err := Build(b.Context(), path, in)
			if err != nil {
				b.Fatal(err)
			}
			places = st.Cities + st.Provinces + st.Countries
		}
		b.ReportMetric(float64(places)*float64(b.N)/b.Elapsed().Seconds(), "places/s")
		b.ReportMetric((cpuSeconds(b)-cpu0)/float64(b.N), "cpu-s/op")
	})
}

// cpuSeconds is the process's user and system CPU time: on a machine
// shared with other work, the figure that does not depend on their load.
func cpuSeconds(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkFind looks names up in the cities500 gazetteer; open is what
// places find and GET /v1/places pay besides (they open the file for each
// question).
//
//	go test ./ingest/gazetteer -run '^$' -bench Find -count 6
func BenchmarkFind(b *testing.B) {
	dir := dataDir(b)
	path := filepath.Join(b.TempDir(), File)
	if _, err := Build(b.Context(), path, inputs(dir, "cities500.txt.gz")); err != nil {
		b.Fatal(err)
	}
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			g, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			g.Close()
		}
	})
	g, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	for _, tc := range []struct{ bench, name, country string }{
		{"Moscow", "Moscow", ""},
		{"Springfield", "Springfield", ""},
		{"Moskva-RU", "Москва", "RU"},
		{"Krasnogorsk", "Krasnogorsk", ""},
	} {
		b.Run(tc.bench, func(b *testing.B) {
			for b.Loop() {
				cs, err := g.Find(b.Context(), tc.name, FindOptions{Country: tc.country})
				if err != nil || len(cs) == 0 {
					b.Fatal(len(cs), err)
				}
			}
		})
	}
}

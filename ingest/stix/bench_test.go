package stix_test

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/stix"
	"github.com/threatgraph/threatgraph/internal/testkg"
)

// BenchmarkATTACK measures the whole ATT&CK bundle (50 MB, 24,772 objects)
// as threatgraph ingest loads it: decoded, mapped, checked and written in
// one transaction, into an empty on-disk store (empty-store) and into one
// that already holds 1M quads (store-1M: 200k entities, 800k relations of
// internal/testkg), against encoding/json decoding the same file into
// map[string]any (decode-map), the baseline, in the same run; import is
// the importer alone (decoded and mapped, no store). Opening a fresh store
// (or copying the 1M-quad one) is outside the timer.
//
//	go test ./ingest/stix -run '^$' -bench ATTACK -benchtime 3x -count 6
func BenchmarkATTACK(b *testing.B) {
	path := filepath.Join(stixData(b, "mitre-attack"), "enterprise-attack-18.1.json")
	data := read(b, path)
	b.Run("decode-map", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var v map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	// import: decoded and mapped only (the importer's own share, no store).
	b.Run("import", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if f := stix.New().Import(b.Context(), path, data); len(f.Records) == 0 {
				b.Fatal("no records")
			}
		}
	})
	load := func(b *testing.B, dir string) {
		b.Helper()
		s, err := graph.Open(b.Context(), graph.Options{Path: dir}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.StartTimer()
		f := stix.New().Import(b.Context(), path, data)
		rep, err := ingest.Load(b.Context(), s, []*ingest.File{f}, ingest.Options{})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Totals().Added == 0 {
			b.Fatal("nothing added")
		}
	}
	b.Run("empty-store", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			b.StopTimer()
			load(b, filepath.Join(b.TempDir(), "db"))
			b.StartTimer()
		}
	})
	b.Run("store-1M", func(b *testing.B) {
		base := filepath.Join(b.TempDir(), "base")
		s, err := graph.Open(b.Context(), graph.Options{Path: base}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Write(b.Context(), testkg.Quads(200_000, 800_000, 200, 7)); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			b.StopTimer()
			dir := filepath.Join(b.TempDir(), "db")
			copyDir(b, base, dir)
			load(b, dir)
			b.StartTimer()
		}
	})
}

// copyDir copies the store's files (not its lock) from src to dst.
func copyDir(b *testing.B, src, dst string) {
	b.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		b.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() || e.Name() == "threatgraph.lock" {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			b.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

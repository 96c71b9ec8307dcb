package graph_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/schema"
)

func quads() []quad.Quad {
	src := quad.IRI("source:a")
	return []quad.Quad{
		quad.Make(quad.IRI("group:x"), quad.IRI(schema.TypeIRI), quad.IRI("tg:Group"), src),
		quad.Make(quad.IRI("group:x"), quad.IRI("tg:name"), quad.String("X"), src),
		quad.Make(quad.IRI("attack:y"), quad.IRI(schema.TypeIRI), quad.IRI("tg:Attack"), src),
		quad.Make(quad.IRI("attack:y"), quad.IRI("tg:killed"), quad.Int(3), src),
		quad.Make(quad.IRI("attack:y"), quad.IRI("tg:killed"), quad.Int(4), quad.IRI("source:b")),
	}
}

func TestStoreBackends(t *testing.T) {
	for _, backend := range []string{"bbolt", "leveldb", "memstore"} {
		t.Run(backend, func(t *testing.T) {
			s, err := graph.Open(t.Context(), graph.Options{Backend: backend, Path: filepath.Join(t.TempDir(), "db")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if n, err := s.Count(t.Context()); err != nil || n != 0 {
				t.Fatalf("new store Count = %d, %v; want 0", n, err)
			}
			added, err := s.Write(t.Context(), quads())
			if err != nil || added != 5 {
				t.Fatalf("Write = %d, %v; want 5", added, err)
			}
			// Again, and with a duplicate inside the batch: nothing new.
			added, err = s.Write(t.Context(), append(quads(), quads()[0]))
			if err != nil || added != 0 {
				t.Fatalf("second Write = %d, %v; want 0", added, err)
			}
			kinds, err := s.Kinds(t.Context(), []string{"group:x", "attack:y", "person:nobody"})
			if err != nil {
				t.Fatal(err)
			}
			if kinds["group:x"] != schema.Group || kinds["attack:y"] != schema.Attack || len(kinds) != 2 {
				t.Errorf("Kinds = %v", kinds)
			}
		})
	}
}

func TestStorePersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	newStore(t, dir)
	s, err := graph.Open(t.Context(), graph.Options{Path: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Count(t.Context()); err != nil || n != 5 {
		t.Errorf("reopened store Count = %d, %v; want 5", n, err)
	}
}

// TestLockedStoreFailsFast opens a store in a child process and checks that
// this process is refused at once with a message naming the path and holder,
// where bolt alone would block forever.
func TestLockedStoreFailsFast(t *testing.T) {
	if os.Getenv("TG_HOLD_STORE") != "" {
		s, err := graph.Open(t.Context(), graph.Options{Path: os.Getenv("TG_HOLD_STORE")}, nil)
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(20 * time.Second)
		s.Close()
		os.Exit(0)
	}
	dir := filepath.Join(t.TempDir(), "db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockedStoreFailsFast$")
	cmd.Env = append(os.Environ(), "TG_HOLD_STORE="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf) != "held\n" {
		t.Fatalf("child did not open the store: %q %v", buf, err)
	}
	start := time.Now()
	_, err = graph.Open(t.Context(), graph.Options{Path: dir}, nil)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("second open took %v; want a prompt failure", took)
	}
	if !errors.Is(err, graph.ErrLocked) {
		t.Fatalf("second open: %v; want ErrLocked", err)
	}
	if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, "pid ") {
		t.Errorf("message %q should name the path and the holder's pid", msg)
	}
	// Within one process too (flock is per open file).
	s, err := graph.Open(t.Context(), graph.Options{Path: filepath.Join(t.TempDir(), "db2")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := graph.Open(t.Context(), graph.Options{Path: s.Path()}, nil); !errors.Is(err, graph.ErrLocked) {
		t.Errorf("same-process second open: %v; want ErrLocked", err)
	}
}

func TestUnknownBackend(t *testing.T) {
	_, err := graph.Open(t.Context(), graph.Options{Backend: "oracle", Path: t.TempDir()}, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown store backend "oracle"`) {
		t.Errorf("Open(oracle) = %v", err)
	}
}

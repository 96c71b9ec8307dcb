package testkg

import (
	"slices"
	"testing"
)

func TestQuadsDeterministicAndShaped(t *testing.T) {
	a, b := Quads(100, 400, 5, 1), Quads(100, 400, 5, 1)
	if len(a) != 500 || !slices.Equal(a, b) {
		t.Fatalf("Quads(100, 400, 5, 1): %d quads, deterministic %v; want 500, true", len(a), slices.Equal(a, b))
	}
	if c := Quads(100, 400, 5, 2); slices.Equal(a, c) {
		t.Error("another seed gave the same graph")
	}
	labels := map[string]bool{}
	for _, q := range a {
		if !q.IsValid() || q.Label == nil {
			t.Fatalf("invalid or unlabelled quad %v", q)
		}
		labels[q.Label.String()] = true
	}
	if len(labels) > 5 {
		t.Errorf("%d distinct sources; want at most 5", len(labels))
	}
}

package query

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/schema"
)

// machineStore: source:m is machine-coded, source:h is not. group:m is
// declared by source:m alone; group:x too, but source:h relates it.
func machineStore() sliceStore {
	m, h := quad.IRI("source:m"), quad.IRI("source:h")
	typ := quad.IRI(schema.TypeIRI)
	return sliceStore{
		quad.Make(m, typ, quad.IRI("tg:Source"), m),
		quad.Make(m, quad.IRI(schema.CodingIRI), quad.String(schema.MachineCoding), m),
		quad.Make(h, typ, quad.IRI("tg:Source"), h),
		quad.Make(h, quad.IRI(schema.CodingIRI), quad.String("human"), h),
		quad.Make(quad.IRI("group:m"), typ, quad.IRI("tg:Group"), m),
		quad.Make(quad.IRI("group:x"), typ, quad.IRI("tg:Group"), m),
		quad.Make(quad.IRI("group:h"), typ, quad.IRI("tg:Group"), h),
		quad.Make(quad.IRI("attack:m"), typ, quad.IRI("tg:Attack"), m),
		quad.Make(quad.IRI("attack:m"), quad.IRI("tg:perpetratedBy"), quad.IRI("group:m"), m),
		quad.Make(quad.IRI("group:h"), quad.IRI("tg:rivalOf"), quad.IRI("group:x"), h),
	}
}

// TestMachineCoded: the view knows the machine-coded sources and the nodes
// only they give (a node another source relates is not one of them), keeps
// both in its snapshot, and ExcludeMachine leaves out their facts and hides
// those nodes; the export reads the same sources from the store.
func TestMachineCoded(t *testing.T) {
	st := machineStore()
	dir := t.TempDir()
	v, err := loadView(t.Context(), st, dir)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ns []int32) []string {
		var out []string
		for _, n := range ns {
			out = append(out, v.keys[n])
		}
		return out
	}
	if !slices.Equal(v.machine, []string{"source:m"}) {
		t.Errorf("machine sources %v; want [source:m]", v.machine)
	}
	if got := names(v.machineOnly); !slices.Equal(got, []string{"attack:m", "group:m"}) {
		t.Errorf("machine-only nodes %v; want [attack:m group:m]", got)
	}
	again, err := readSnapshot(filepath.Join(dir, snapshotName))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.machine, v.machine) || !slices.Equal(again.machineOnly, v.machineOnly) {
		t.Errorf("snapshot reads back machine %v, machine-only %v; want %v, %v", again.machine, again.machineOnly, v.machine, v.machineOnly)
	}
	c, err := v.compile(Scope{ExcludeMachine: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range v.sources {
		if c.uses(uint16(i), false) != (s != "source:m") {
			t.Errorf("ExcludeMachine uses %s: %v", s, c.uses(uint16(i), false))
		}
	}
	for n, k := range v.keys {
		if want := k == "attack:m" || k == "group:m"; c.hides(int32(n)) != want {
			t.Errorf("ExcludeMachine hides %s: %v; want %v", k, !want, want)
		}
	}
	g, back := v.rankGraph(c)
	if g.N() != 2 || g.M() != 1 || len(back) != 2 {
		t.Errorf("rank graph: %d nodes, %d edges; want group:h and group:x, linked once", g.N(), g.M())
	}
	if c, _ := v.compile(Scope{}); c.hidden != nil {
		t.Error("the zero scope hides nodes")
	}
	got, err := machineSources(t.Context(), st)
	if err != nil || !slices.Equal(got, []string{"source:m"}) {
		t.Errorf("machineSources = %v, %v; want [source:m]", got, err)
	}
	if ex := (Scope{ExcludeSources: []string{"source:h"}, ExcludeMachine: true}).excluded(v.machine); !slices.Equal(ex, []string{"source:h", "source:m"}) {
		t.Errorf("excluded = %v; want both", ex)
	}
}

package ingest_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// TestNQuadsDerivedMustAgree: what threatgraph derives (lookup keys, the
// ids of quoted statements) is refused from N-Quads when it disagrees with
// what the file states; before, a hidden tg:key made an entity answer to a
// name no card shows, or made a real name ambiguous, and a statement could
// claim another source or carry no quote. Consistent input still loads.
func TestNQuadsDerivedMustAgree(t *testing.T) {
	const src = "<source:a> <rdf:type> <tg:Source> <source:a> .\n<group:g> <rdf:type> <tg:Group> <source:a> .\n<group:g> <tg:name> \"Cell\" <source:a> .\n"
	stmt := schema.StatementLabel("source:a", "the cell")
	for _, tt := range []struct {
		name, lines, want string
	}{
		{"hidden key", `<group:g> <tg:key> "zzzhidden" <source:a> .`, "tg:key \"zzzhidden\" is not the key of a name or alias of group:g"},
		{"key of another entity's name", `<group:g> <tg:key> "crocus city hall" <source:a> .`, "is not the key of a name or alias"},
		{"statement without quote", `<group:g> <tg:alias> "C" <` + stmt + `> .`, "gives it no matching quote"},
		{"quote that does not hash to the id", "<" + schema.StatementLabel("source:a", "other words") + `> <tg:quote> "the cell" <source:a> .`, "is not the statement id of this quote"},
		{"statedIn another source", "<" + stmt + `> <tg:quote> "the cell" <source:a> .` + "\n<" + stmt + `> <tg:statedIn> <source:b> <source:a> .`, "is stated in <source:b>, but its id names source:a"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			_, err := ingest.Load(t.Context(), s, []*ingest.File{ingest.Parse("in.nq", []byte(src+tt.lines+"\n"))}, ingest.Options{})
			line := "in.nq:" + strconv.Itoa(4+strings.Count(tt.lines, "\n"))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), line) {
				t.Errorf("error %v; want %s and %q", err, line, tt.want)
			}
			if n := count(t, s); n != 0 {
				t.Errorf("%d quads written after a refused file", n)
			}
		})
	}
	ok := src + `<group:g> <tg:key> "cell" <source:a> .` + "\n<" + stmt + `> <tg:quote> "the cell" <source:a> .` + "\n<" + stmt + `> <tg:statedIn> <source:a> <source:a> .` + "\n" + `<group:g> <tg:alias> "C" <` + stmt + "> .\n"
	s := openStore(t)
	if _, err := ingest.Load(t.Context(), s, []*ingest.File{ingest.Parse("ok.nq", []byte(ok))}, ingest.Options{}); err != nil {
		t.Errorf("consistent derived quads refused: %v", err)
	}
}

package query_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/threatgraph/threatgraph/internal/testkg"
	"github.com/threatgraph/threatgraph/query"
)

// TestResolveExternalID: an entity is found by its externalId, with or
// without the scheme and in any case, and by its id in any case; two
// entities of one name are told apart by their externalIds in the
// ambiguity, and an externalId that two entities share is ambiguous too.
func TestResolveExternalID(t *testing.T) {
	r := boltReader(t, claimSources+`entities:
  - {id: group:apt28, kind: Group, name: APT28, source: source:s1, externalId: [mitre:G0007, stix:intrusion-set--bef4c620]}
  - {id: technique:compromise-email, kind: Technique, name: Email Accounts, source: source:s1, externalId: [mitre:T1586.002]}
  - {id: technique:establish-email, kind: Technique, name: Email Accounts, source: source:s1, externalId: [mitre:T1585.002]}
  - {id: attack:acled-afg100, kind: Attack, source: source:s1, externalId: [acled:AFG100]}
  - {id: group:one, kind: Group, name: One, source: source:s1, externalId: [x:Z1]}
  - {id: group:two, kind: Group, name: Two, source: source:s2, externalId: [y:Z1]}
  - {id: group:wd-Q2000803, kind: Group, name: Wiki Group, source: source:s1}
  - {id: group:Twin, kind: Group, name: Twin Upper, source: source:s1}
  - {id: group:twin, kind: Group, name: Twin Lower, source: source:s1}
`)
	for text, want := range map[string]string{
		"G0007": "group:apt28", "mitre:G0007": "group:apt28", "mitre:g0007": "group:apt28", " g0007 ": "group:apt28",
		"mitre:T1586.002": "technique:compromise-email", "T1585.002": "technique:establish-email",
		"attack:acled-AFG100": "attack:acled-afg100", "acled:AFG100": "attack:acled-afg100", "AFG100": "attack:acled-afg100",
		"GROUP:APT28": "group:apt28", "x:Z1": "group:one", "group:wd-q2000803": "group:wd-Q2000803",
		"group:Twin": "group:Twin", "group:twin": "group:twin",
	} {
		m, err := r.Resolve(t.Context(), text)
		if err != nil || m.ID != want {
			t.Errorf("Resolve(%q) = %+v, %v; want %s", text, m, err, want)
		}
	}
	for text, want := range map[string][]string{
		"Email Accounts": {"technique:compromise-email (Technique, mitre:T1586.002)", "technique:establish-email (Technique, mitre:T1585.002)"},
		"Z1":             {"group:one (Group, x:Z1)", "group:two (Group, y:Z1)"},
		"GROUP:TWIN":     {"group:Twin (Group)", "group:twin (Group)"},
	} {
		_, err := r.Resolve(t.Context(), text)
		var amb *query.AmbiguousError
		if !errors.As(err, &amb) || len(amb.Matches) != len(want) {
			t.Errorf("Resolve(%q) error = %v; want an ambiguity of %d", text, err, len(want))
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Resolve(%q) error %q lacks %q", text, err, w)
			}
		}
	}
	for _, text := range []string{"G000", "mitre:", "T1586", "stix:"} {
		if _, err := r.Resolve(t.Context(), text); !errors.Is(err, query.ErrNotFound) {
			t.Errorf("Resolve(%q) error = %v; want ErrNotFound", text, err)
		}
	}
}

// BenchmarkResolve, on an on-disk store of 20k generated entities (and 30k
// relations): an id (found directly) against the id in another case (a
// read of every entity's type) and a text that nothing matches (that, and
// every externalId).
func BenchmarkResolve(b *testing.B) {
	s := openStore(b)
	if _, err := s.Write(b.Context(), testkg.Quads(20_000, 30_000, 20, 7)); err != nil {
		b.Fatal(err)
	}
	r := query.NewReader(s, query.ReaderOptions{})
	for _, c := range []struct{ name, text string }{{"id", "Group:n0"}, {"id-other-case", "group:N0"}, {"none", "group:nosuch"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.Resolve(b.Context(), c.text); err != nil && c.name != "none" {
					b.Fatal(err)
				}
			}
		})
	}
}

package query

import (
	"os/exec"
	"testing"

	"github.com/threatgraph/threatgraph/schema"
)

func schemaKey(s string) string { return schema.NameKey(s) }

func TestSimilarity(t *testing.T) {
	for _, c := range []struct {
		x, y string
		want float64
	}{
		{"al-shabaab", "al-shabab", 1},                                              // shabaab ~ shabab; "al" is too short a token
		{"islamic state - khorasan province", "islamic state khorasan province", 1}, // the dash is no token
		{"government of iran", "government of ukraine", 1.0 / 3},
		{"russian air force", "russian armed forces", 0.5}, // force ~ forces
		{"isi", "isis", 0},
		{"apt34", "apt38", 0},                   // numbers only as written
		{"dragonfly", "dragonfly 2.0", 1.0 / 3}, // numbers are words
		{"", "x", 0},
	} {
		if got := similarity(c.x, c.y); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("similarity(%q, %q) = %v; want %v", c.x, c.y, got, c.want)
		}
	}
}

// TestShellQuote: the command candidates prints gives same its ids and
// reason as written, through a real shell.
func TestShellQuote(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skipf("no shell to check quoting with: %v", err)
	}
	for _, s := range []string{"group:isis-k", `same name "al-Qa'ida"; shared alias "ISIS-K"`, "$(echo no) `no` \\ !x *", "tab\there", "ümlaut – dash"} {
		out, err := exec.Command(sh, "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("sh -c printf %%s %s = %q, %v; want %q", shellQuote(s), out, err, s)
		}
	}
}

// TestCandidateStrength: the rules of strength, on two entities' facts.
func TestCandidateStrength(t *testing.T) {
	v := &View{keys: []string{"group:a", "group:b"}, kinds: []string{"Group", "Group"}, names: []string{"A", "B"}}
	facts := func(names, aliases, external []string, attacks, places []string) *resolutionFacts {
		f := &resolutionFacts{keys: map[string]byte{}, text: map[string]string{}, names: names, aliases: aliases, external: external,
			liveExternal: external, attacks: map[string]bool{}, places: map[string]bool{}}
		for _, n := range names {
			f.keys[schemaKey(n)] |= nameBit
			f.text[schemaKey(n)] = n
			f.nameKeys = append(f.nameKeys, schemaKey(n))
			f.nameTokens = append(f.nameTokens, tokens(schemaKey(n)))
		}
		for _, a := range aliases {
			f.keys[schemaKey(a)] |= aliasBit
			f.text[schemaKey(a)] = a
		}
		for _, x := range attacks {
			f.attacks[x] = true
		}
		for _, x := range places {
			f.places[x] = true
		}
		return f
	}
	revoked := func(f *resolutionFacts) *resolutionFacts { f.liveExternal = nil; return f }
	three := []string{"x one", "x two", "x three"}
	for _, c := range []struct {
		name    string
		a, b    *resolutionFacts
		want    string
		listed  bool
		related []string
	}{
		{"same name, one part of the other", facts([]string{"Alpha"}, []string{"AF"}, nil, nil, nil), facts([]string{"Alpha"}, []string{"AF"}, nil, nil, nil), StrengthWeak, true, []string{"partOf"}},
		{"shared aliases, attacks and places only", facts([]string{"Alpha"}, three, nil, three, three), facts([]string{"Omega"}, three, nil, three, three), StrengthWeak, true, nil},
		{"attacks and places only: not a pair", facts([]string{"Alpha"}, nil, nil, three, three), facts([]string{"Omega"}, nil, nil, three, three), "", false, nil},
		{"same name and an alias", facts([]string{"Alpha Front"}, []string{"AF"}, nil, nil, nil), facts([]string{"alpha front"}, []string{"AF"}, nil, nil, nil), StrengthStrong, true, nil},
		{"same name alone", facts([]string{"Alpha Front"}, nil, nil, nil, nil), facts([]string{"Alpha Front"}, nil, nil, nil, nil), StrengthPossible, true, nil},
		{"same external id", facts([]string{"Alpha"}, nil, []string{"mitre:G1"}, nil, nil), facts([]string{"Omega"}, nil, []string{"mitre:G1", "wikidata:Q2"}, nil, nil), StrengthStrong, true, nil},
		{"same name, distinct wikidata ids", facts([]string{"Alpha"}, nil, []string{"wikidata:Q1"}, nil, nil), facts([]string{"Alpha"}, nil, []string{"wikidata:Q2"}, nil, nil), StrengthWeak, true, nil},
		{"same name, distinct gdelt ids (GDELT codes one attack many times)", facts([]string{"Alpha"}, []string{"AF"}, []string{"gdelt:1"}, nil, nil), facts([]string{"Alpha"}, []string{"AF"}, []string{"gdelt:2"}, nil, nil), StrengthStrong, true, nil},
		{"same name, a deprecated (revoked) mitre id and a live one", facts([]string{"Alpha"}, []string{"AF"}, []string{"mitre:G1"}, nil, nil), revoked(facts([]string{"Alpha"}, []string{"AF"}, []string{"mitre:G2"}, nil, nil)), StrengthStrong, true, nil},
		{"the same capec code only", facts([]string{"Spearphishing Link"}, nil, []string{"capec:CAPEC-163"}, nil, nil), facts([]string{"Spearphishing Attachment"}, nil, []string{"capec:CAPEC-163"}, nil, nil), StrengthWeak, true, nil},
		{"the same stix id", facts([]string{"Alpha"}, nil, []string{"stix:intrusion-set--1"}, nil, nil), facts([]string{"Omega"}, nil, []string{"stix:intrusion-set--1"}, nil, nil), StrengthStrong, true, nil},
		{"nothing shared", facts([]string{"Alpha"}, nil, nil, nil, nil), facts([]string{"Omega"}, nil, nil, nil, nil), "", false, nil},
	} {
		got, ok := candidate(v, 0, 1, c.a, c.b, c.related)
		if ok != c.listed || (ok && got.Strength != c.want) {
			t.Errorf("%s: listed %v, %s %v (%+v); want listed %v, %s", c.name, ok, got.Strength, got.Score, got.Reasons, c.listed, c.want)
		}
	}
}

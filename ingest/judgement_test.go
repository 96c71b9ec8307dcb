package ingest_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// speech adds to base a source that others quote, the analysts, an
// organisation, and a statement of Slate according to TASS.
const speech = `sources:
  - id: source:tass
    publisher: TASS
  - id: source:editors
    publisher: threatgraph editors
entities:
  - id: org:state-media
    kind: Organization
    name: Russian state media
    source: source:bbc
  - id: attack:crocus
    kind: Attack
    facts:
      - source: source:slate
        quote: "TASS said the attack was in Moscow"
        according: [source:tass, org:state-media]
        locatedIn: location:moscow
`

// judged judges Slate's "killing 137" of base.
const judged = `source: source:editors
judgements:
  - of: {source: source:slate, quote: "killing 137"}
    rank: deprecated
    reason: superseded
    date: 2024-03-26
    note: "The toll was revised."
    evidence: [{source: source:bbc, quote: "killed at least 133"}, {source: source:bbc}]
`

// TestReportedSpeechStored: according: is stored on the group's statement,
// labelled with its source, one quad per id.
func TestReportedSpeechStored(t *testing.T) {
	s := openStore(t)
	if _, err := load(t, s, ingest.Options{}, map[string]string{"a.yaml": base, "b.yaml": speech}); err != nil {
		t.Fatal(err)
	}
	stmt := quad.IRI(schema.StatementLabel("source:slate", "TASS said the attack was in Moscow"))
	var got []string
	err := s.Out(t.Context(), stmt, func(q quad.Quad) error {
		if string(q.Predicate.(quad.IRI)) == schema.AccordingToIRI {
			got = append(got, quad.StringOf(q.Object)+" "+quad.StringOf(q.Label))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := "<org:state-media> <source:slate>,<source:tass> <source:slate>"; strings.Join(got, ",") != want {
		t.Errorf("accordingTo quads %q; want %q", got, want)
	}
}

// TestJudgementStored: a judgement is a node labelled with the judging
// source, its id derived from what it says; the judged statement may be in
// the store already, and loading it again adds nothing.
func TestJudgementStored(t *testing.T) {
	s := openStore(t)
	if _, err := load(t, s, ingest.Options{}, map[string]string{"a.yaml": base, "b.yaml": speech}); err != nil {
		t.Fatal(err)
	}
	rep, err := load(t, s, ingest.Options{}, map[string]string{"j.yaml": judged})
	if err != nil {
		t.Fatalf("judging a statement of the store: %v", err)
	}
	if n := rep.Totals().Added; n != 7 {
		t.Errorf("the judgement added %d quads; want 7 (judges, rank, reason, note, date, two evidence)", n)
	}
	of := schema.StatementLabel("source:slate", "killing 137")
	id := schema.JudgementID(of, "deprecated", "superseded", "source:editors", "2024-03-26", "The toll was revised.")
	var labels []string
	err = s.Out(t.Context(), quad.IRI(id), func(q quad.Quad) error {
		labels = append(labels, quad.StringOf(q.Predicate)+" "+quad.StringOf(q.Label))
		return nil
	})
	if err != nil || len(labels) != 7 || !strings.Contains(strings.Join(labels, ","), "<tg:judges> <source:editors>") {
		t.Errorf("quads of %s: %v, %v", id, labels, err)
	}
	if rep, err := load(t, s, ingest.Options{}, map[string]string{"j.yaml": judged}); err != nil || rep.Totals().Added != 0 {
		t.Errorf("loading the judgement again: %+v, %v; want nothing added", rep, err)
	}
}

// TestSpeechAndJudgementErrors: each mistake is a positioned error naming
// what was expected, and nothing is written.
func TestSpeechAndJudgementErrors(t *testing.T) {
	withSpeech := func(old, new string) string { return strings.Replace(speech, old, new, 1) }
	withJudged := func(old, new string) string { return strings.Replace(judged, old, new, 1) }
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"according without quote", map[string]string{"b.yaml": withSpeech(`        quote: "TASS said the attack was in Moscow"`+"\n", "")},
			"b.yaml:15: entities[1].facts[0].according: reported speech needs a quote (expected quote: with the source's exact words"},
		{"according on a source", map[string]string{"b.yaml": withSpeech("    publisher: TASS\n", "    publisher: TASS\n    according: org:state-media\n")},
			"b.yaml:4: sources[0].according: a source's attributes are its own statements"},
		{"according to a place", map[string]string{"b.yaml": withSpeech("[source:tass, org:state-media]", "location:moscow")},
			"b.yaml:16: entities[1].facts[0].according: location:moscow is a Location (expected Group or Person or Organization or Source)"},
		{"according to nobody known", map[string]string{"b.yaml": withSpeech("[source:tass, org:state-media]", "org:nowhere")},
			"b.yaml:16: entities[1].facts[0].according: org:nowhere refers to an entity that exists nowhere"},
		{"according to itself", map[string]string{"b.yaml": withSpeech("[source:tass, org:state-media]", "source:slate")},
			"b.yaml:16: entities[1].facts[0].according: source:slate is the statement's own source"},
		{"judging what nobody said", map[string]string{"j.yaml": withJudged("killing 137", "killing 138")},
			"j.yaml:3: judgements[0].of: no such statement: " + schema.StatementLabel("source:slate", "killing 138") + " is in neither these files nor the store: no fact group of source:slate has this quote"},
		{"evidence nobody said", map[string]string{"j.yaml": withJudged("killed at least 133", "killed 133")},
			"j.yaml:8: judgements[0].evidence[0]: no such statement"},
		{"no note", map[string]string{"j.yaml": withJudged(`    note: "The toll was revised."`+"\n", "")},
			`j.yaml:3: judgements[0]: missing note (expected note: why, in words)`},
		{"a rank the reason cannot give", map[string]string{"j.yaml": withJudged("rank: deprecated", "rank: preferred")},
			"j.yaml:4: judgements[0].rank: preferred with reason superseded (expected rank deprecated for that reason)"},
		{"an unknown reason", map[string]string{"j.yaml": withJudged("reason: superseded", "reason: wrong")},
			`j.yaml:5: judgements[0].reason: "wrong" is not a reason (expected one of known-error, superseded`},
		{"judging oneself", map[string]string{"j.yaml": withJudged("source: source:editors", "source: source:slate")},
			"j.yaml:3: judgements[0].source: source:slate judges its own statement"},
		{"no judging source", map[string]string{"j.yaml": withJudged("source: source:editors\n", "")},
			"j.yaml:2: judgements[0]: no judging source (expected source: on the judgement or at the top of the file)"},
		{"a judge that is no source", map[string]string{"j.yaml": withJudged("source: source:editors", "source: org:state-media")},
			"j.yaml:3: judgements[0].source: org:state-media is a Organization (expected a Source)"},
		{"an unknown field", map[string]string{"j.yaml": withJudged("    rank:", "    ranking: high\n    rank:")},
			"j.yaml:4: judgements[0].ranking: unknown field (expected of, rank, reason, source, date, note or evidence)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"a.yaml": base, "b.yaml": speech}
			for k, v := range c.files {
				files[k] = v
			}
			refused(t, openStore(t), files, c.want)
		})
	}
}

// TestJudgementsInNQuads: N-Quads carry reported speech and judgements as
// the native reader writes them, and are checked the same way.
func TestJudgementsInNQuads(t *testing.T) {
	stmt := schema.StatementLabel("source:s", "the words")
	id := schema.JudgementID(stmt, "deprecated", "doubtful", "source:j", "", "why")
	head := nqHead + "<source:j> <rdf:type> <tg:Source> <source:j> .\n" +
		"<" + stmt + "> <tg:quote> \"the words\" <source:s> .\n" +
		"<" + stmt + "> <tg:statedIn> <source:s> <source:s> .\n" +
		"<attack:a> <tg:perpetratedBy> <group:g> <" + stmt + "> .\n"
	judgement := func(id, of string) string {
		return "<" + id + "> <tg:judges> <" + of + "> <source:j> .\n" +
			"<" + id + "> <tg:rank> \"deprecated\" <source:j> .\n" +
			"<" + id + "> <tg:reason> \"doubtful\" <source:j> .\n" +
			"<" + id + "> <tg:note> \"why\" <source:j> .\n"
	}
	ok := head + "<" + stmt + "> <tg:accordingTo> <group:g> <source:s> .\n" + judgement(id, stmt)
	if _, err := load(t, openStore(t), ingest.Options{}, map[string]string{"a.nq": ok}); err != nil {
		t.Fatalf("valid N-Quads refused: %v", err)
	}
	other := schema.StatementLabel("source:s", "other words")
	for _, c := range []struct{ name, data, want string }{
		{"a judgement id that is not its hash", head + judgement("judgement:00000000", stmt),
			"a.nq:9: subject: judgement:00000000 is not the id of this judgement (expected <" + id + ">"},
		{"judging a statement nobody made", head + judgement(schema.JudgementID(other, "deprecated", "doubtful", "source:j", "", "why"), other),
			"a.nq:9: object: no such statement: " + other},
		{"according to, unquoted", head + "<" + other + "> <tg:accordingTo> <group:g> <source:s> .\n",
			"a.nq:9: subject: " + other + " is a statement, but this file gives it no matching quote"},
		{"according to, by another source", head + "<" + stmt + "> <tg:accordingTo> <group:g> <source:j> .\n",
			"a.nq:9: label: " + stmt + " is labelled source:j, but the statement is of source:s"},
		{"a rank of no kind", head + strings.Replace(judgement(id, stmt), `"deprecated"`, `"bad"`, 1),
			`a.nq:10: object: "bad" is not a rank (expected one of preferred, normal, deprecated)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := refused(t, openStore(t), map[string]string{"a.nq": c.data}, c.want)
			if c.name == "judging a statement nobody made" && !errors.Is(err, schema.ErrNoStatement) {
				t.Errorf("error %v is not schema.ErrNoStatement", err)
			}
		})
	}
}

// TestJudgementsInJSON: the native JSON format takes judgements too (the
// JSON Schema knows them).
func TestJudgementsInJSON(t *testing.T) {
	const doc = `{"source": "source:editors", "judgements": [{"of": {"source": "source:slate", "quote": "killing 137"},
  "rank": "deprecated", "reason": "doubtful", "note": "Only one source."}]}`
	if _, err := load(t, openStore(t), ingest.Options{}, map[string]string{"a.yaml": base, "b.yaml": speech, "j.json": doc}); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(doc, `"note"`, `"notes"`, 1)
	refused(t, openStore(t), map[string]string{"a.yaml": base, "b.yaml": speech, "j.json": bad}, `j.json:2: judgements[0].notes: unknown field`)
}

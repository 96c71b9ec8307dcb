package schema

import (
	"fmt"
	"slices"
	"strings"
)

// Statement-level IRIs: what a source's statement (a label source#e-hash)
// carries besides its quote, and the quads of a judgement. None is a
// predicate of the vocabulary: their subjects are statements and judgement
// nodes, not entities.
const (
	// AccordingToIRI is reported speech: <stmt> <tg:accordingTo> <id>
	// <source>, the source attributes the statement to id.
	AccordingToIRI = "tg:accordingTo"

	// A judgement is a node <judgement:…> labelled with the judging source:
	// <j> <tg:judges> <stmt>, <tg:rank> "deprecated", <tg:reason>
	// "known-error", <tg:note> "why", optionally <tg:judgedOn> a date and
	// <tg:evidence> statements or sources that show it.
	JudgesIRI       = "tg:judges"
	RankIRI         = "tg:rank"
	ReasonIRI       = "tg:reason"
	NoteIRI         = "tg:note"
	JudgedOnIRI     = "tg:judgedOn"
	EvidenceIRI     = "tg:evidence"
	JudgementPrefix = "judgement:" // prefix of a judgement node's id
)

// AccordingTo is the relation of reported speech, for messages and checks:
// the statement's source attributes it to a Group, Person, Organization or
// Source. It is not in the vocabulary (Lookup does not find it): it is
// written as according: on a fact group and stored on the statement.
var AccordingTo = &Predicate{Name: "accordingTo", Type: Entity, Multi: true,
	Range: []Kind{Group, Person, Organization, Source},
	Doc:   "whom the source attributes the statement to (reported speech)"}

// IsJudgementIRI reports whether iri is one of a judgement's predicates.
func IsJudgementIRI(iri string) bool {
	switch iri {
	case JudgesIRI, RankIRI, ReasonIRI, NoteIRI, JudgedOnIRI, EvidenceIRI:
		return true
	}
	return false
}

// The ranks of a statement, as Wikidata ranks its statements: preferred
// (the best of several values), normal (the default, also a judgement that
// lifts an earlier deprecation) and deprecated (known to be wrong, or not
// to be relied on; kept, shown as such, and left out of analytics).
const (
	RankPreferred  = "preferred"
	RankNormal     = "normal"
	RankDeprecated = "deprecated"
)

// Ranks lists the ranks.
var Ranks = []string{RankPreferred, RankNormal, RankDeprecated}

// A Reason says why a judgement gives its rank; each reason goes with the
// ranks it can justify.
type Reason struct {
	Name  string
	Ranks []string
	Doc   string
}

// Reasons is the closed list of reasons. Keep docs/format.md in step.
var Reasons = []Reason{
	{"known-error", []string{RankDeprecated}, "the statement is wrong, and the evidence shows it (a date, a figure, a name the source got wrong)"},
	{"superseded", []string{RankDeprecated}, "true when stated, replaced by later information (a toll revised, a claim withdrawn)"},
	{"speculation", []string{RankDeprecated}, "the source offers it as a possibility or a guess, not as a fact"},
	{"doubtful", []string{RankDeprecated}, "not shown wrong, but not to be relied on (a single uncorroborated source, a confession under duress)"},
	{"misattributed", []string{RankDeprecated}, "the words or the act are credited to the wrong party"},
	{"preferred-source", []string{RankPreferred}, "of the values the sources give, this one rests on the better source (an official count, the primary document)"},
	{"most-recent", []string{RankPreferred}, "the latest of several values, where the later one replaces the earlier"},
	{"confirmed", []string{RankPreferred, RankNormal}, "checked against other evidence and found right"},
	{"reviewed", []string{RankNormal}, "looked at again: the statement stands as an ordinary one (lifts an earlier deprecation)"},
}

// LookupReason returns the reason named name, or nil.
func LookupReason(name string) *Reason {
	for i := range Reasons {
		if Reasons[i].Name == name {
			return &Reasons[i]
		}
	}
	return nil
}

// ReasonNames lists the reasons' names.
func ReasonNames() []string {
	out := make([]string, len(Reasons))
	for i, r := range Reasons {
		out[i] = r.Name
	}
	return out
}

// Allows reports whether the reason can justify rank.
func (r *Reason) Allows(rank string) bool { return slices.Contains(r.Ranks, rank) }

// JudgementID returns the id of a judgement: "judgement:" and a short hash
// of what makes it this judgement (the judged statement, rank, reason,
// judging source, date and note). The same judgement loaded twice is one
// node; another note or date is another judgement.
func JudgementID(statement, rank, reason, source, date, note string) string {
	return JudgementPrefix + shortHash(strings.Join([]string{statement, rank, reason, source, date, note}, "\x00"))
}

// A JudgementError is a judgement that breaks a rule of judgements; Field
// says which part: "rank" (its reason cannot justify it) or "source" (the
// source judges its own statement).
type JudgementError struct {
	Field string
	Msg   string
}

func (e *JudgementError) Error() string { return e.Msg }

// CheckJudgement applies the rules every judgement obeys, whatever format
// it came in: its reason allows its rank, and its judge is not the source
// of the judged statement (a judgement is an analyst's statement about a
// source's statement). An unknown reason or rank is the format's to report.
func CheckJudgement(judged, rank, reason, judge string) error {
	if r := LookupReason(reason); r != nil && rank != "" && !r.Allows(rank) {
		return &JudgementError{"rank", fmt.Sprintf("%s with reason %s (expected rank %s for that reason)", rank, reason, strings.Join(r.Ranks, " or "))}
	}
	if judged != "" && judge != "" && SourceOf(judged) == judge {
		return &JudgementError{"source", fmt.Sprintf("%s judges its own statement (expected another source: a judgement is an analyst's statement about a source's statement)", judge)}
	}
	return nil
}

package schema

import "strings"

// Markings and confidence: what a source's label (a Source or one of its
// statements) carries about how its facts may be shared and how sure the
// source was. Neither is a predicate of the vocabulary: their subject is a
// label, not an entity.
const (
	// MarkingIRI marks the facts of a label: <label> <tg:marking>
	// <marking:tlp-amber> <source>. A fact is marked by every marking of
	// its label; an answer names the most restrictive marking it used.
	MarkingIRI = "tg:marking"
	// ConfidenceIRI is the source's own confidence in a statement, kept as
	// the number the source gave (STIX: 0 to 100): <label> <tg:confidence>
	// 85 <source>. It is never turned into words or a probability on input.
	ConfidenceIRI = "tg:confidence"
	// MarkingPrefix begins a marking's id ("marking:tlp-amber").
	MarkingPrefix = "marking:"
)

// The Traffic Light Protocol markings, least restrictive first. TLP 1.0's
// WHITE is TLP 2.0's CLEAR, and is read as marking:tlp-clear.
const (
	TLPClear       = "marking:tlp-clear"
	TLPGreen       = "marking:tlp-green"
	TLPAmber       = "marking:tlp-amber"
	TLPAmberStrict = "marking:tlp-amber-strict"
	TLPRed         = "marking:tlp-red"
)

// TLPs lists the TLP markings, least restrictive first.
var TLPs = []string{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// TLPMarking returns the marking id of a TLP level as written ("amber",
// "TLP:AMBER+STRICT", "white") and whether it is one.
func TLPMarking(level string) (string, bool) {
	l := strings.ToLower(strings.TrimSpace(level))
	l = strings.TrimPrefix(l, "tlp:")
	switch l {
	case "white", "clear":
		return TLPClear, true
	case "green":
		return TLPGreen, true
	case "amber":
		return TLPAmber, true
	case "amber+strict", "amber-strict":
		return TLPAmberStrict, true
	case "red":
		return TLPRed, true
	}
	return "", false
}

// MarkingRank orders markings by restriction: the TLP levels 0 (clear) to
// 4 (red); -1 for any other marking (a statement of terms), which has no
// place on the scale.
func MarkingRank(m string) int {
	for i, t := range TLPs {
		if t == m {
			return i
		}
	}
	return -1
}

// MostRestrictive returns the most restrictive TLP marking among ms, or ""
// when none is a TLP marking.
func MostRestrictive(ms ...string) string {
	best, rank := "", -1
	for _, m := range ms {
		if r := MarkingRank(m); r > rank {
			best, rank = m, r
		}
	}
	return best
}

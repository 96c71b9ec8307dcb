package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// A Quantity is a count as a source wrote it, the way Wikidata stores a
// quantity: the figure the words name (Amount), the fewest and most it can
// be (Lower and Upper, inclusive), and the text as written. No bound is
// more precise than the words: "at least 137" is [137, open), "nearly 100"
// is [90, 99], "dozens" is [24, 99] (see ParseQuantity for the table).
//
// A count may also say whom it counts (Of: "civilians", "U.S. service
// members"): a count with Of is a part, one without is the whole. In the
// store an exact count of the whole is a plain integer; any other is a
// literal of type CountType (Lexical, ParseCountLiteral).
type Quantity struct {
	Text   string // exactly as written
	Amount int64  // the one figure written ("at least 137": 137); 0 for a range or a word without a figure ("dozens")
	Lower  int64  // the fewest it can be, >= 0
	Upper  int64  // the most it can be, <= MaxCount; MaxCount when Open
	Open   bool   // the words give no upper bound ("at least 137", "more than 180")
	Of     string // whom it counts ("civilians"); empty for everyone the predicate counts
}

// CountType is the datatype IRI of a count literal that is not a plain
// integer: "137/|civilians|at least 137 civilians"^^<tg:count>.
const CountType = "tg:count"

// Lexical is the count literal's canonical form, BOUNDS|OF|TEXT: BOUNDS is
// "N" for an exact count, "L/U" for a range and "L/" for an open one; OF
// and TEXT may be empty. Text may hold any character; Of holds no '|'.
func (q Quantity) Lexical() string {
	b := strconv.FormatInt(q.Lower, 10)
	switch {
	case q.Open:
		b += "/"
	case q.Upper != q.Lower:
		b += "/" + strconv.FormatInt(q.Upper, 10)
	}
	return b + "|" + q.Of + "|" + q.Text
}

// Bounds writes the bounds in a form ParseQuantity reads back to them:
// "137", "at least 137", "0-170".
func (q Quantity) Bounds() string {
	switch {
	case q.Open:
		return "at least " + strconv.FormatInt(q.Lower, 10)
	case q.Exact():
		return strconv.FormatInt(q.Lower, 10)
	}
	return strconv.FormatInt(q.Lower, 10) + "-" + strconv.FormatInt(q.Upper, 10)
}

// Plain reports whether the count is stored as a plain integer: exact, of
// everyone, and written as its digits (or not written at all).
func (q Quantity) Plain() bool {
	return q.Exact() && q.Of == "" && (q.Text == "" || q.Text == strconv.FormatInt(q.Lower, 10))
}

// ParseCountLiteral reads a count literal in the form Lexical writes; it
// refuses any other form, so that one count has one literal (re-ingesting
// adds nothing).
func ParseCountLiteral(s string) (Quantity, error) {
	b, rest, ok1 := strings.Cut(s, "|")
	of, text, ok2 := strings.Cut(rest, "|")
	if !ok1 || !ok2 {
		return Quantity{}, fmt.Errorf("%q is not a count literal (expected BOUNDS|OF|TEXT such as \"137/||at least 137\")", s)
	}
	if strings.TrimSpace(text) == "" {
		return Quantity{}, fmt.Errorf("count literal %q has no words (expected BOUNDS|OF|TEXT with the words as the source wrote them)", s)
	}
	q := Quantity{Of: of, Text: text}
	lo, hi, isRange := strings.Cut(b, "/")
	var err error
	if q.Lower, err = ParseCount(lo); err != nil {
		return Quantity{}, fmt.Errorf("count literal %q: lower bound: %w", s, err)
	}
	q.Upper = q.Lower
	switch {
	case isRange && hi == "":
		q.Upper, q.Open = MaxCount, true
	case isRange:
		if q.Upper, err = ParseCount(hi); err != nil {
			return Quantity{}, fmt.Errorf("count literal %q: upper bound: %w", s, err)
		}
		if q.Upper <= q.Lower {
			return Quantity{}, fmt.Errorf("count literal %q: bounds do not rise (expected \"%d\" for an exact count)", s, q.Lower)
		}
	}
	if q.Exact() {
		q.Amount = q.Lower
	}
	if err := q.checkOf(); err != nil {
		return Quantity{}, fmt.Errorf("count literal %q: %w", s, err)
	}
	if q.Lexical() != s {
		return Quantity{}, fmt.Errorf("%q is not in canonical form (expected %q)", s, q.Lexical())
	}
	if err := q.CheckWords(); err != nil {
		return Quantity{}, fmt.Errorf("count literal %q: %w", s, err)
	}
	return q, nil
}

// QuantityIn reads the figure that text begins with: the longest run of
// its first words that ParseQuantity reads ("as many as 170" of "as many
// as 170 civilians", "Dozens" of "Dozens were killed").
func QuantityIn(text string) (Quantity, error) {
	ws := strings.Fields(text)
	for k := len(ws); k > 0; k-- {
		phrase := strings.TrimRight(strings.Join(ws[:k], " "), ".,;:")
		if q, err := ParseQuantity(phrase); err == nil {
			return q, nil
		}
	}
	return Quantity{}, fmt.Errorf("%q does not begin with a count (expected %s, then any words)", text, QuantityForms)
}

// CheckWords reports whether q's bounds are what its words say: the text
// begins with a figure (QuantityIn) whose bounds are q's. It is how a
// count is kept no more precise than its source, in every input format.
func (q Quantity) CheckWords() error {
	w, err := QuantityIn(q.Text)
	if err != nil {
		return err
	}
	if w.Lower != q.Lower || w.Upper != q.Upper {
		return fmt.Errorf("the words %q say %s, not %s", q.Text, w.Bounds(), q.Bounds())
	}
	return nil
}

// checkOf checks whom a count counts: one line of text, no '|'.
func (q Quantity) checkOf() error {
	if strings.ContainsRune(q.Of, '|') {
		return fmt.Errorf("whom it counts %q contains '|'", q.Of)
	}
	if q.Of != "" && strings.TrimSpace(q.Of) != q.Of {
		return fmt.Errorf("whom it counts %q has leading or trailing spaces", q.Of)
	}
	return CheckText(q.Of)
}

// WithOf returns q counting of, checked (one line, no '|').
func (q Quantity) WithOf(of string) (Quantity, error) {
	q.Of = of
	return q, q.checkOf()
}

// ExactCount is the quantity of a plain integer count n.
func ExactCount(n int64) Quantity {
	return Quantity{Amount: n, Lower: n, Upper: n}
}

// Compatible reports whether two counts of one predicate can both hold. Two
// counts of the same people (same Of) must overlap; a part (Of set) and the
// whole (no Of) disagree only when the part's fewest exceeds the whole's
// most; two different parts never disagree.
func (q Quantity) Compatible(r Quantity) bool {
	switch {
	case q.Of == r.Of:
		return q.Overlaps(r)
	case q.Of == "":
		return r.Lower <= q.Upper
	case r.Of == "":
		return q.Lower <= r.Upper
	}
	return true
}

// Exact reports whether the words name one number ("137", "twelve", "a
// dozen"). It is derived from the bounds so that it cannot contradict them.
func (q Quantity) Exact() bool { return q.Lower == q.Upper }

// Overlaps reports whether both quantities can hold at once: two counts
// disagree only when their bounds share no number, as dates disagree only
// when their intervals share no day (Interval.Overlaps). "at least 137" and
// "145" agree; "nearly 100" and "more than 180" do not.
func (q Quantity) Overlaps(r Quantity) bool {
	return max(q.Lower, r.Lower) <= min(q.Upper, r.Upper)
}

// QuantityForms says what ParseQuantity reads, for messages that expect a count.
const QuantityForms = `a whole number ("137", "1,200", "twelve", "a dozen"), a range ("130-140", "130 to 140", "between 130 and 140"), ` +
	`a qualifier and a number ("at least 137", "more than 180", "nearly 100", "as many as 170", "about 100", "fewer than 10"), ` +
	`or a word ("several", "dozens", "scores", "hundreds", "thousands")`

// A qualifier maps a number n to bounds; s is n's spread, a tenth of n
// rounded up (at least 2, so that an approximate figure is never exact).
type qualifier int

const (
	exactly   qualifier = iota // [n, n]
	atLeast                    // [n, open)
	moreThan                   // [n+1, open)
	atMost                     // [0, n]
	fewerThan                  // [0, n-1]
	nearly                     // [n-s, n-1]
	justOver                   // [n+1, n+s]
	about                      // [n-s, n+s]
)

// prefixes are the qualifiers written before a number.
var prefixes = map[string]qualifier{
	"at least": atLeast, "no fewer than": atLeast, "no less than": atLeast, "a minimum of": atLeast,
	"more than": moreThan, "over": moreThan, "above": moreThan, "upwards of": moreThan, "in excess of": moreThan,
	"at most": atMost, "no more than": atMost, "up to": atMost, "as many as": atMost, "a maximum of": atMost,
	"fewer than": fewerThan, "less than": fewerThan, "under": fewerThan, "below": fewerThan,
	"nearly": nearly, "almost": nearly, "just under": nearly, "just short of": nearly,
	"just over": justOver, "just above": justOver, "slightly more than": justOver,
	"about": about, "around": about, "some": about, "roughly": about, "approximately": about, "approx.": about,
	"circa": about, "c.": about, "~": about, "an estimated": about, "estimated": about, "close to": about,
}

// suffixes are the qualifiers written after a number.
var suffixes = map[string]qualifier{
	" or more": atLeast, "+": atLeast, " or fewer": atMost, " or less": atMost, " or so": about,
}

// vague are words that name no figure. A plural of a unit is at least two of
// it and less than the next word a writer would use instead: "dozens" and
// "scores" below "hundreds", "thousands" below "tens of thousands".
var vague = map[string][2]int64{
	"a few": {2, 9}, "several": {3, 9},
	"dozens": {24, 99}, "scores": {40, 199}, "hundreds": {200, 999}, "thousands": {2000, 9999},
	"tens of thousands": {20000, 99999}, "hundreds of thousands": {200000, 999999}, "millions": {2000000, 9999999},
}

// units multiply a number ("two hundred") and, after "a few" or "several",
// name a vague count ("several hundred" is [300, 999]).
var units = map[string]int64{"dozen": 12, "score": 20, "hundred": 100, "thousand": 1000, "million": 1000000}

// plural gives, for a unit, the word whose upper bound "several UNIT" shares.
var plural = map[string]string{"dozen": "dozens", "score": "scores", "hundred": "hundreds", "thousand": "thousands", "million": "millions"}

var numberWords = map[string]int64{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19,
}

var tens = map[string]int64{"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}

// ParseQuantity reads a count as a source wrote it into bounds. Case and
// spacing do not matter; the text is kept exactly in Text. A number is
// decimal digits with optional thousands separators ("1,200"), a number
// word up to ninety-nine ("twelve", "twenty-one"), either optionally times
// dozen, score, hundred, thousand or million ("two hundred", "3 million"),
// or "a dozen", "half a dozen", "a hundred", "a thousand". Then, with s a
// tenth of n rounded up (never less than 2, so that no approximate figure
// is exact):
//
//	n                                         [n, n]
//	at least, no fewer than, n or more, n+    [n, open)
//	more than, over, above, upwards of        [n+1, open)
//	at most, no more than, up to, as many as  [0, n]  (the words give no lower bound)
//	fewer than, less than, under, below       [0, n-1]
//	nearly, almost, just under                [n-s, n-1]  ("nearly 100": [90, 99])
//	just over, slightly more than             [n+1, n+s]
//	about, around, some, roughly, approximately, circa, ~, an estimated, n or so
//	                                          [n-s, n+s]  ("about 100": [90, 110])
//	a-b, a to b, between a and b, from a to b, a or b   [a, b]
//	a few [2, 9]; several [3, 9]; dozens [24, 99]; scores [40, 199];
//	hundreds [200, 999]; thousands [2000, 9999]; tens of thousands
//	[20000, 99999]; hundreds of thousands [200000, 999999]; millions
//	[2000000, 9999999]; a few UNIT [2 UNIT, ...] and several UNIT
//	[3 UNIT, ...] up to the plural's upper bound ("several hundred": [300, 999]).
//
// Every bound is within 0..MaxCount. Anything else is an error naming the
// text and QuantityForms.
func ParseQuantity(text string) (Quantity, error) {
	s := strings.ToLower(strings.Join(strings.Fields(text), " "))
	s = strings.ReplaceAll(strings.NewReplacer("–", "-", "—", "-").Replace(s), " - ", "-")
	q, err := parseQuantity(s)
	if err != nil {
		if s == "" {
			return Quantity{}, fmt.Errorf("empty count (expected %s)", QuantityForms)
		}
		return Quantity{}, fmt.Errorf("count %q: %v (expected %s)", text, err, QuantityForms)
	}
	q.Text = text
	return q, nil
}

func parseQuantity(s string) (Quantity, error) {
	if b, ok := vague[s]; ok {
		return Quantity{Lower: b[0], Upper: b[1]}, nil
	}
	for _, few := range []string{"a few ", "several "} {
		if u, ok := strings.CutPrefix(s, few); ok && units[u] > 0 {
			return Quantity{Lower: vague[strings.TrimSpace(few)][0] * units[u], Upper: vague[plural[u]][1]}, nil
		}
	}
	if n, ok := number(s); ok {
		return bounds(n, exactly)
	}
	if rest, ok := strings.CutPrefix(s, "between "); ok {
		if a, b, ok := strings.Cut(rest, " and "); ok {
			return span(a, b)
		}
	}
	if rest, ok := strings.CutPrefix(s, "from "); ok {
		if a, b, ok := strings.Cut(rest, " to "); ok {
			return span(a, b)
		}
	}
	for _, sep := range []string{" to ", " or ", "-"} {
		for i := strings.Index(s, sep); i > 0; i = next(s, sep, i) {
			if _, ok := number(s[:i]); ok {
				if _, ok := number(s[i+len(sep):]); ok {
					return span(s[:i], s[i+len(sep):])
				}
			}
		}
	}
	for p, qual := range prefixes {
		rest, ok := strings.CutPrefix(s, p)
		if !ok || (p[len(p)-1] >= 'a' && p[len(p)-1] <= 'z' && !strings.HasPrefix(rest, " ")) {
			continue
		}
		if n, ok := number(strings.TrimSpace(rest)); ok {
			return bounds(n, qual)
		}
		return Quantity{}, fmt.Errorf("%q is not followed by a number", p)
	}
	for suf, qual := range suffixes {
		if rest, ok := strings.CutSuffix(s, suf); ok {
			if n, ok := number(rest); ok {
				return bounds(n, qual)
			}
		}
	}
	return Quantity{}, fmt.Errorf("unrecognised count")
}

func next(s, sep string, i int) int {
	j := strings.Index(s[i+1:], sep)
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func span(a, b string) (Quantity, error) {
	lo, ok1 := number(a)
	hi, ok2 := number(b)
	switch {
	case !ok1 || !ok2:
		return Quantity{}, fmt.Errorf("a range needs a number at each end")
	case lo >= hi:
		return Quantity{}, fmt.Errorf("range %d to %d does not rise", lo, hi)
	}
	return Quantity{Lower: lo, Upper: hi}, nil
}

func bounds(n int64, qual qualifier) (Quantity, error) {
	s := max(2, (n+9)/10) // "nearly 10" is [8, 9], not the exact 9
	q := Quantity{Amount: n, Lower: n, Upper: n}
	switch qual {
	case atLeast:
		q.Upper, q.Open = MaxCount, true
	case moreThan:
		q.Lower, q.Upper, q.Open = n+1, MaxCount, true
	case atMost:
		q.Lower = 0
	case fewerThan:
		q.Lower, q.Upper = 0, n-1
	case nearly:
		q.Lower, q.Upper = n-s, n-1
	case justOver:
		q.Lower, q.Upper = n+1, n+s
	case about:
		q.Lower, q.Upper = n-s, n+s
	}
	switch {
	case qual == fewerThan && n == 0:
		return Quantity{}, fmt.Errorf("no count is fewer than 0")
	case (qual == nearly || qual == about || qual == justOver) && n < 2:
		return Quantity{}, fmt.Errorf("an approximate %d names no bounds", n)
	case q.Lower > MaxCount:
		return Quantity{}, fmt.Errorf("%d is too large (at most %d)", n, MaxCount)
	case q.Upper > MaxCount:
		return Quantity{}, fmt.Errorf("bounds [%d, %d] exceed %d", q.Lower, q.Upper, MaxCount)
	}
	return q, nil
}

// number reads a whole number written in digits ("1,200") or words
// ("twenty-one", "two hundred", "a dozen"), at most MaxCount.
func number(s string) (int64, bool) {
	switch s {
	case "a dozen":
		return 12, true
	case "half a dozen":
		return 6, true
	case "a score":
		return 20, true
	case "a hundred":
		return 100, true
	case "a thousand":
		return 1000, true
	case "a million":
		return 1000000, true
	}
	mult := int64(1)
	if i := strings.LastIndexByte(s, ' '); i > 0 && units[s[i+1:]] > 0 {
		mult, s = units[s[i+1:]], s[:i]
	}
	n, ok := digits(s)
	if !ok {
		n, ok = words(s)
	}
	if !ok || n > MaxCount/mult || (mult > 1 && n == 0) {
		return 0, false
	}
	return n * mult, true
}

// digits reads decimal digits, optionally grouped by commas in threes
// ("1,200"), with no leading zero.
func digits(s string) (int64, bool) {
	groups := strings.Split(s, ",")
	for i, g := range groups {
		if !allDigits(g) || i > 0 && len(g) != 3 || i == 0 && len(groups) > 1 && len(g) > 3 {
			return 0, false
		}
	}
	if len(s) > 1 && s[0] == '0' || len(s) > 13 {
		return 0, false
	}
	var n int64
	for _, c := range strings.ReplaceAll(s, ",", "") {
		n = n*10 + int64(c-'0')
	}
	return n, n <= MaxCount
}

// words reads a number word from zero to ninety-nine.
func words(s string) (int64, bool) {
	if n, ok := numberWords[s]; ok {
		return n, true
	}
	if n, ok := tens[s]; ok {
		return n, true
	}
	t, u, ok := strings.Cut(strings.Replace(s, " ", "-", 1), "-")
	if n, ok2 := numberWords[u]; ok && ok2 && n >= 1 && n <= 9 && tens[t] > 0 {
		return tens[t] + n, true
	}
	return 0, false
}

package schema

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Precision says how exactly a source dated something.
type Precision string

// Precisions, finest first.
const (
	Day    Precision = "day"
	Range  Precision = "range" // an explicit interval of days ("early March", "2024-03-01/2024-03-10")
	Month  Precision = "month"
	Season Precision = "season"
	Year   Precision = "year"
)

// An Interval is a date as sources give it: the first and last day it may
// denote (both inclusive, UTC midnight), a precision, and the text as written.
type Interval struct {
	Start     time.Time
	End       time.Time
	Precision Precision
	Text      string // as written; empty when it was given in canonical form
}

// String returns the canonical form: "2024-03-22", "2024-03", "2024", or
// "2024-03-01/2024-03-10" for any other span. Parsing it gives the same
// Start, End and Precision back (Season and Range both print as a span).
func (iv Interval) String() string {
	switch iv.Precision {
	case Day:
		return iv.Start.Format("2006-01-02")
	case Month:
		return iv.Start.Format("2006-01")
	case Year:
		return iv.Start.Format("2006")
	}
	return iv.Start.Format("2006-01-02") + "/" + iv.End.Format("2006-01-02")
}

// Days returns the number of days the interval spans (1 for a day).
func (iv Interval) Days() int { return int(iv.End.Sub(iv.Start).Hours()/24) + 1 }

// Before reports whether iv certainly ends before other begins.
func (iv Interval) Before(other Interval) bool { return iv.End.Before(other.Start) }

// Overlaps reports whether the two intervals share at least one day.
func (iv Interval) Overlaps(other Interval) bool {
	return !iv.End.Before(other.Start) && !other.End.Before(iv.Start)
}

// LeadDays returns the fewest and most days from iv to a later interval b
// (b.Start-iv.End .. b.End-iv.Start), negative where b may come first.
func (iv Interval) LeadDays(b Interval) (lo, hi int) {
	lo = int(b.Start.Sub(iv.End).Hours() / 24)
	hi = int(b.End.Sub(iv.Start).Hours() / 24)
	return lo, hi
}

var months = map[string]time.Month{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

var (
	reYear     = regexp.MustCompile(`^(\d{4})$`)
	reMonth    = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	reDay      = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
	reDMY      = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?,? (\d{4})$`)
	reMDY      = regexp.MustCompile(`^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$`)
	reMY       = regexp.MustCompile(`^(early|mid|late)?-? ?([a-z]+)\.?,? (\d{4})$`)
	reSeason   = regexp.MustCompile(`^(spring|summer|autumn|fall|winter) (?:of )?(\d{4})$`)
	reYearPart = regexp.MustCompile(`^(early|mid|late) (\d{4})$`)
	reDecade   = regexp.MustCompile(`^(\d{3})0s$`)
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func lastDay(y int, m time.Month) int { return day(y, m+1, 1).AddDate(0, 0, -1).Day() }

// DateForms says what ParseDate reads, for messages that expect a date.
const DateForms = `YYYY, YYYY-MM, YYYY-MM-DD, START/END, or a written date with a year such as "early March 2024"`

// ParseDate reads a date expression into an Interval. It accepts the
// canonical forms (2024, 2024-03, 2024-03-22, START/END where each end is any
// of those) and the way articles write dates: "22 March 2024",
// "March 22, 2024", "Dec. 24 2023", "March 2024", "early March 2024"
// (days 1-10), "mid-March 2024" (11-20), "late March 2024" (21-end),
// "summer 2024" (June-August; seasons are northern-hemisphere meteorological
// seasons, winter running December to February), "early 2024" (January-April),
// "mid 2024" (May-August), "late 2024" (September-December), "2010s".
// A year must be given: "early March" alone is ambiguous, so the native format
// takes it as {text: "early March", value: "2024-03-01/2024-03-10"}.
func ParseDate(s string) (Interval, error) {
	text := strings.TrimSpace(s)
	if text == "" {
		return Interval{}, fmt.Errorf("empty date")
	}
	if a, b, ok := strings.Cut(text, "/"); ok {
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		lo, err := parseCanonical(a)
		if err != nil {
			return Interval{}, fmt.Errorf("date %q: start: %v", s, err)
		}
		hi, err := parseCanonical(b)
		if err != nil {
			return Interval{}, fmt.Errorf("date %q: end: %v", s, err)
		}
		if hi.End.Before(lo.Start) {
			return Interval{}, fmt.Errorf("date %q: end is before start", s)
		}
		iv := Interval{Start: lo.Start, End: hi.End, Precision: Range}
		return normalise(iv), nil
	}
	if iv, err := parseCanonical(text); err == nil {
		return iv, nil
	} else if reYear.MatchString(text) || reMonth.MatchString(text) || reDay.MatchString(text) {
		return Interval{}, fmt.Errorf("date %q: %v", s, err)
	}
	iv, err := parseWritten(strings.ToLower(strings.Join(strings.Fields(text), " ")))
	if err != nil {
		return Interval{}, fmt.Errorf("date %q: %v (expected %s)", s, err, DateForms)
	}
	iv.Text = text
	return iv, nil
}

// Span returns the interval from start to end (inclusive days) with the
// precision its bounds imply: a day, a whole month, a whole year, or a range.
func Span(start, end time.Time) Interval {
	return normalise(Interval{Start: start, End: end, Precision: Range})
}

// normalise gives a span that is exactly a day, month or year that precision.
func normalise(iv Interval) Interval {
	switch {
	case iv.Start.Equal(iv.End):
		iv.Precision = Day
	case iv.Start.Day() == 1 && iv.End.Equal(day(iv.Start.Year(), iv.Start.Month(), lastDay(iv.Start.Year(), iv.Start.Month()))):
		iv.Precision = Month
	case iv.Start.Equal(day(iv.Start.Year(), 1, 1)) && iv.End.Equal(day(iv.Start.Year(), 12, 31)):
		iv.Precision = Year
	}
	return iv
}

func parseCanonical(s string) (Interval, error) {
	if m := reYear.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		return Interval{Start: day(y, 1, 1), End: day(y, 12, 31), Precision: Year}, nil
	}
	if m := reMonth.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return Interval{}, fmt.Errorf("month %d out of range 1-12", mo)
		}
		return Interval{Start: day(y, time.Month(mo), 1), End: day(y, time.Month(mo), lastDay(y, time.Month(mo))), Precision: Month}, nil
	}
	if m := reDay.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		if mo < 1 || mo > 12 {
			return Interval{}, fmt.Errorf("month %d out of range 1-12", mo)
		}
		if d < 1 || d > lastDay(y, time.Month(mo)) {
			return Interval{}, fmt.Errorf("day %d out of range for %04d-%02d", d, y, mo)
		}
		t := day(y, time.Month(mo), d)
		return Interval{Start: t, End: t, Precision: Day}, nil
	}
	return Interval{}, fmt.Errorf("not YYYY, YYYY-MM or YYYY-MM-DD")
}

func monthOf(name string) (time.Month, bool) {
	m, ok := months[strings.TrimSuffix(name, ".")]
	return m, ok
}

func parseWritten(s string) (Interval, error) {
	s = strings.ReplaceAll(s, "mid-", "mid ")
	if m := reDMY.FindStringSubmatch(s); m != nil {
		return dayOf(m[3], m[2], m[1])
	}
	if m := reMDY.FindStringSubmatch(s); m != nil {
		return dayOf(m[3], m[1], m[2])
	}
	if m := reSeason.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[2])
		var start time.Time
		switch m[1] {
		case "spring":
			start = day(y, 3, 1)
		case "summer":
			start = day(y, 6, 1)
		case "autumn", "fall":
			start = day(y, 9, 1)
		case "winter":
			start = day(y, 12, 1)
		}
		return Interval{Start: start, End: start.AddDate(0, 3, -1), Precision: Season}, nil
	}
	if m := reYearPart.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[2])
		first := map[string]time.Month{"early": 1, "mid": 5, "late": 9}[m[1]]
		return Interval{Start: day(y, first, 1), End: day(y, first+4, 1).AddDate(0, 0, -1), Precision: Range}, nil
	}
	if m := reMY.FindStringSubmatch(s); m != nil {
		mo, ok := monthOf(m[2])
		if !ok {
			return Interval{}, fmt.Errorf("unknown month %q", m[2])
		}
		y, _ := strconv.Atoi(m[3])
		last := lastDay(y, mo)
		switch m[1] {
		case "early":
			return Interval{Start: day(y, mo, 1), End: day(y, mo, 10), Precision: Range}, nil
		case "mid":
			return Interval{Start: day(y, mo, 11), End: day(y, mo, 20), Precision: Range}, nil
		case "late":
			return Interval{Start: day(y, mo, 21), End: day(y, mo, last), Precision: Range}, nil
		}
		return Interval{Start: day(y, mo, 1), End: day(y, mo, last), Precision: Month}, nil
	}
	if m := reDecade.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1] + "0")
		return Interval{Start: day(y, 1, 1), End: day(y+9, 12, 31), Precision: Range}, nil
	}
	return Interval{}, fmt.Errorf("unrecognised date")
}

func dayOf(year, month, dom string) (Interval, error) {
	mo, ok := monthOf(month)
	if !ok {
		return Interval{}, fmt.Errorf("unknown month %q", month)
	}
	y, _ := strconv.Atoi(year)
	d, _ := strconv.Atoi(dom)
	if d < 1 || d > lastDay(y, mo) {
		return Interval{}, fmt.Errorf("day %d out of range for %s %d", d, mo, y)
	}
	t := day(y, mo, d)
	return Interval{Start: t, End: t, Precision: Day}, nil
}

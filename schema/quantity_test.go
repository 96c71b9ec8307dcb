package schema

import (
	"strings"
	"testing"
)

func TestParseQuantity(t *testing.T) {
	const open = -1 // Upper MaxCount with Open set
	for _, c := range []struct {
		text         string
		amount       int64
		lower, upper int64
	}{
		{"137", 137, 137, 137},
		{"0", 0, 0, 0},
		{"zero", 0, 0, 0},
		{"1,200", 1200, 1200, 1200},
		{"2,147,483,647", MaxCount, MaxCount, MaxCount},
		{"twelve", 12, 12, 12},
		{"Twenty-One", 21, 21, 21},
		{"ninety nine", 99, 99, 99},
		{"a dozen", 12, 12, 12},
		{"half a dozen", 6, 6, 6},
		{"two dozen", 24, 24, 24},
		{"a hundred", 100, 100, 100},
		{"two hundred", 200, 200, 200},
		{"3 million", 3000000, 3000000, 3000000},
		{"at least 137", 137, 137, open},
		{"  AT   least 137 ", 137, 137, open},
		{"no fewer than 5", 5, 5, open},
		{"137 or more", 137, 137, open},
		{"137+", 137, 137, open},
		{"at least 0", 0, 0, open},
		{"more than 180", 180, 181, open},
		{"over 180", 180, 181, open},
		{"upwards of 1,000", 1000, 1001, open},
		{"more than a dozen", 12, 13, open},
		{"more than zero", 0, 1, open},
		{"at most 170", 170, 0, 170},
		{"up to 170", 170, 0, 170},
		{"as many as 170", 170, 0, 170},
		{"no more than 3", 3, 0, 3},
		{"170 or fewer", 170, 0, 170},
		{"at most 0", 0, 0, 0},
		{"fewer than 10", 10, 0, 9},
		{"less than 10", 10, 0, 9},
		{"under 10", 10, 0, 9},
		{"fewer than one", 1, 0, 0},
		{"nearly 100", 100, 90, 99},
		{"almost 100", 100, 90, 99},
		{"just under 100", 100, 90, 99},
		{"nearly 137", 137, 123, 136},
		{"nearly 2", 2, 0, 1},
		{"nearly 10", 10, 8, 9},
		{"just over 10", 10, 11, 12},
		{"just over 100", 100, 101, 110},
		{"about 100", 100, 90, 110},
		{"around 100", 100, 90, 110},
		{"some 100", 100, 90, 110},
		{"roughly 100", 100, 90, 110},
		{"approximately 137", 137, 123, 151},
		{"c. 100", 100, 90, 110},
		{"~100", 100, 90, 110},
		{"an estimated 5,000", 5000, 4500, 5500},
		{"100 or so", 100, 90, 110},
		{"about 5", 5, 3, 7},
		{"about a dozen", 12, 10, 14},
		{"130-140", 0, 130, 140},
		{"130 – 140", 0, 130, 140},
		{"130—140", 0, 130, 140},
		{"130 to 140", 0, 130, 140},
		{"between 130 and 140", 0, 130, 140},
		{"from 130 to 140", 0, 130, 140},
		{"two or three", 0, 2, 3},
		{"twenty-one-thirty", 0, 21, 30},
		{"1,000-1,200", 0, 1000, 1200},
		{"a few", 0, 2, 9},
		{"several", 0, 3, 9},
		{"dozens", 0, 24, 99},
		{"Scores", 0, 40, 199},
		{"hundreds", 0, 200, 999},
		{"thousands", 0, 2000, 9999},
		{"tens of thousands", 0, 20000, 99999},
		{"hundreds of thousands", 0, 200000, 999999},
		{"millions", 0, 2000000, 9999999},
		{"several hundred", 0, 300, 999},
		{"a few dozen", 0, 24, 99},
		{"several thousand", 0, 3000, 9999},
	} {
		q, err := ParseQuantity(c.text)
		if err != nil {
			t.Errorf("ParseQuantity(%q): %v", c.text, err)
			continue
		}
		want := Quantity{Text: c.text, Amount: c.amount, Lower: c.lower, Upper: c.upper}
		if c.upper == open {
			want.Upper, want.Open = MaxCount, true
		}
		if q != want {
			t.Errorf("ParseQuantity(%q) = %+v; want %+v", c.text, q, want)
		}
		if q.Exact() != (c.lower == c.upper) {
			t.Errorf("ParseQuantity(%q).Exact() = %v", c.text, q.Exact())
		}
	}
}

func TestParseQuantityErrors(t *testing.T) {
	for text, want := range map[string]string{
		"":                       "empty count",
		"   ":                    "empty count",
		"many":                   `count "many": unrecognised count`,
		"dozen":                  "unrecognised",
		"at least":               "unrecognised",
		"at least many":          `"at least" is not followed by a number`,
		"about 130-140":          `"about" is not followed by a number`,
		"-5":                     "unrecognised",
		"0137":                   "unrecognised",
		"1,20":                   "unrecognised",
		"1,2000":                 "unrecognised",
		",200":                   "unrecognised",
		"1.200":                  "unrecognised",
		"137.5":                  "unrecognised",
		"1e3":                    "unrecognised",
		"0x89":                   "unrecognised",
		"2147483648":             "unrecognised",
		"99999999999999999999":   "unrecognised",
		"3,000 million":          "unrecognised",
		"0 hundred":              "unrecognised",
		"140-130":                "range 140 to 130 does not rise",
		"130-130":                "does not rise",
		"between 130 and many":   "a range needs a number at each end",
		"fewer than 0":           "no count is fewer than 0",
		"about 1":                "an approximate 1 names no bounds",
		"nearly 0":               "names no bounds",
		"more than 2147483647":   "too large",
		"about 2,000,000,000":    "exceed 2147483647",
		"twenty-zero":            "range 20 to 0 does not rise",
		"overall 5":              "unrecognised",
		"137 killed":             "unrecognised",
		"at least 137 civilians": "is not followed by a number",
	} {
		_, err := ParseQuantity(text)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "expected a whole number") {
			t.Errorf("ParseQuantity(%q) = %v; want an error saying %q and what is expected", text, err, want)
		}
	}
}

// TestQuantityBounds checks, over every qualifier, unit and many numbers,
// that a parsed quantity has 0 <= Lower <= Upper <= MaxCount, that Open
// means Upper is MaxCount, and that the figure written lies within its
// bounds unless the words exclude it ("more than", "fewer than", "nearly").
func TestQuantityBounds(t *testing.T) {
	var forms []string
	for p := range prefixes {
		forms = append(forms, p+" %s")
	}
	for s := range suffixes {
		forms = append(forms, "%s"+s)
	}
	forms = append(forms, "%s", "%s-1,000,000", "between 1 and %s")
	nums := []string{"0", "1", "2", "3", "9", "10", "11", "99", "100", "137", "1,000", "999,999,999", "2,147,483,646", "2147483647",
		"one", "twelve", "a dozen", "two hundred", "2 million", "ninety-nine thousand"}
	parsed := 0
	for _, f := range forms {
		for _, n := range nums {
			text := strings.ReplaceAll(f, "%s", n)
			q, err := ParseQuantity(text)
			if err != nil {
				continue
			}
			parsed++
			if q.Lower < 0 || q.Lower > q.Upper || q.Upper > MaxCount {
				t.Errorf("ParseQuantity(%q) = %+v; want 0 <= Lower <= Upper <= MaxCount", text, q)
			}
			if q.Open && q.Upper != MaxCount {
				t.Errorf("ParseQuantity(%q) = %+v: open but Upper is not MaxCount", text, q)
			}
			excludes := strings.Contains(text, "than") || strings.Contains(text, "over") || strings.Contains(text, "above") ||
				strings.Contains(text, "under") || strings.Contains(text, "below") || strings.Contains(text, "nearly") ||
				strings.Contains(text, "almost") || strings.Contains(text, "short of") || strings.Contains(text, "upwards") ||
				strings.Contains(text, "excess")
			if q.Amount != 0 && !excludes && (q.Amount < q.Lower || q.Amount > q.Upper) {
				t.Errorf("ParseQuantity(%q) = %+v: the figure written is outside its bounds", text, q)
			}
		}
	}
	for w := range vague {
		if q, err := ParseQuantity(w); err != nil || q.Lower > q.Upper || q.Lower < 2 {
			t.Errorf("ParseQuantity(%q) = %+v, %v; want bounds from 2 up", w, q, err)
		}
	}
	if parsed < len(forms)*len(nums)/2 {
		t.Errorf("only %d of %d texts parsed; the property was checked on too few", parsed, len(forms)*len(nums))
	}
}

func TestQuantityOverlaps(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"at least 137", "145", true},
		{"at least 137", "133", false},
		{"137", "137", true},
		{"137", "133", false},
		{"nearly 100", "more than 180", false},
		{"nearly 100", "about 100", true},
		{"nearly 100", "100", false},
		{"as many as 170", "at least 137", true},
		{"as many as 170", "more than 180", false},
		{"dozens", "hundreds", false},
		{"scores", "hundreds", false},
		{"dozens", "scores", true},
		{"130-140", "between 140 and 150", true},
		{"130-140", "141", false},
		{"fewer than 10", "several", true},
		{"fewer than 10", "a dozen", false},
	} {
		a, err := ParseQuantity(c.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseQuantity(c.b)
		if err != nil {
			t.Fatal(err)
		}
		if a.Overlaps(b) != c.want || b.Overlaps(a) != c.want {
			t.Errorf("%q overlaps %q = %v; want %v (both ways)", c.a, c.b, a.Overlaps(b), c.want)
		}
	}
}

func TestQuantityInAndCheckWords(t *testing.T) {
	for _, c := range []struct {
		text   string
		lo, hi int64
	}{
		{"as many as 170 civilians", 0, 170},
		{"Dozens were killed", 24, 99},
		{"13 U.S. service members", 13, 13},
		{"scores of people", 40, 199},
		{"at least six.", 6, MaxCount},
	} {
		q, err := QuantityIn(c.text)
		if err != nil || q.Lower != c.lo || q.Upper != c.hi {
			t.Errorf("QuantityIn(%q) = %+v, %v; want [%d, %d]", c.text, q, err, c.lo, c.hi)
		}
	}
	if _, err := QuantityIn("U.S. service members, 13"); err == nil {
		t.Errorf("QuantityIn of words that do not begin with a figure: no error")
	}
	ok := Quantity{Text: "at least 137", Lower: 137, Upper: MaxCount, Open: true}
	if err := ok.CheckWords(); err != nil {
		t.Errorf("CheckWords(%+v) = %v", ok, err)
	}
	for _, bad := range []Quantity{
		{Text: "at least 137", Lower: 500, Upper: 500},
		{Text: "nearly 100", Lower: 100, Upper: 100},
		{Text: "", Lower: 1, Upper: 1},
	} {
		if err := bad.CheckWords(); err == nil {
			t.Errorf("CheckWords(%+v): no error; the words do not say those bounds", bad)
		}
	}
}

package schema

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxCount is the largest count accepted (2,147,483,647): the graph formats
// that threatgraph exports (GraphML, GEXF, Cytoscape) read integers as
// 32-bit, and no count of people or attacks comes near it.
const MaxCount = math.MaxInt32

// countForm is the expected form of a count, for messages.
const countForm = "expected a whole number written in decimal digits, e.g. 137"

// ParseCount reads a count as the input wrote it: plain decimal digits, no
// sign, no leading zero, no digit separators, hexadecimal, octal or
// exponent, at most MaxCount. YAML decoders read "0x89", "0o17", "1_000"
// and "+5" as integers; a source's figure is never written that way, so
// they are refused rather than silently converted.
func ParseCount(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty (%s)", countForm)
	}
	if rest, ok := strings.CutPrefix(s, "-"); ok && allDigits(rest) {
		return 0, fmt.Errorf("%s is negative (%s)", s, countForm)
	}
	if !allDigits(s) {
		what := "is not written in decimal digits"
		switch {
		case strings.HasPrefix(s, "+"):
			what = "has a sign"
		case strings.HasPrefix(strings.ToLower(s), "0x"):
			what = "is hexadecimal"
		case strings.HasPrefix(strings.ToLower(s), "0o"):
			what = "is octal"
		case strings.HasPrefix(strings.ToLower(s), "0b"):
			what = "is binary"
		case strings.Contains(s, "_"):
			what = "has digit separators"
		case strings.ContainsAny(s, ".eE"):
			what = "is not a whole number"
		}
		return 0, fmt.Errorf("%s %s (%s)", s, what, countForm)
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%s has a leading zero, which YAML 1.1 readers take for octal (%s)", s, countForm)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > MaxCount {
		return 0, fmt.Errorf("%s is too large (expected at most %d)", s, MaxCount)
	}
	return n, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// bidi reports whether r is a bidirectional formatting character: the
// embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069, the
// marks U+200E, U+200F and U+061C. In a name they reorder what a terminal
// shows (a "Trojan Source" display).
func bidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// control reports whether r is a C0 or C1 control character or DEL.
func control(r rune) bool { return r < 0x20 || r >= 0x7f && r <= 0x9f }

// ErrControlChar reports a control or bidirectional formatting character in
// a name, an alias or an id.
var ErrControlChar = errors.New("control character")

// CheckText refuses a control character (C0, DEL, C1: ESC, CR, tab, line
// breaks...) or a bidirectional formatting character in text shown on one
// line: ids, names, aliases, titles. None is ever part of a legitimate name,
// and printed raw they move the cursor, recolour or reorder the terminal.
func CheckText(s string) error {
	for i, r := range s {
		if control(r) || bidi(r) {
			what := "a control character"
			if bidi(r) {
				what = "a bidirectional formatting character"
			}
			return fmt.Errorf("%w: %s contains %s, %s, at byte %d (expected printable text on one line)", ErrControlChar, Escape(s), what, escapeRune(r), i)
		}
	}
	return nil
}

// Escape returns s with control and bidirectional formatting characters
// written as Go escapes (\x1b, \r, \u202e), for printing text from the store
// or from input on a terminal. Other characters, backslashes included, are
// unchanged.
func Escape(s string) string {
	clean := true
	for _, r := range s {
		if control(r) || bidi(r) || r == 0x2028 || r == 0x2029 || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case control(r) || bidi(r) || r == 0x2028 || r == 0x2029:
			b.WriteString(escapeRune(r))
		default:
			b.WriteString(s[i : i+n])
		}
	}
	return b.String()
}

func escapeRune(r rune) string {
	switch r {
	case '\t':
		return `\t`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	}
	if r < 0x80 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// EscapeJSON rewrites, in encoded JSON, the characters encoding/json leaves
// raw although a terminal acts on them (DEL, C1 controls, bidirectional
// formatting characters) as \uXXXX escapes: the same JSON value, safe to
// print. They can only occur inside strings, so the rewrite is exact.
func EscapeJSON(b []byte) []byte {
	dirty := false
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == 0x7f || r >= 0x80 && r <= 0x9f || bidi(r) {
			dirty = true
			break
		}
		i += n
	}
	if !dirty {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == 0x7f || r >= 0x80 && r <= 0x9f || bidi(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

package table

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// A template is text with {column} references, compiled once: its parts
// are literals and references to columns (by the mapping's reference
// number, bound to a position when a table's header is read) or to the
// special values {value} (an according source) and {kind} (the entity's
// kind prefix).
type template struct {
	src   string
	parts []part
	line  int
	field string
}

type part struct {
	lit      string
	ref      int  // a column reference (>= 0), or refValue, refKind, or refNone for a literal
	optional bool // {column?}: an empty or unknown cell renders as nothing
}

const (
	refNone  = -1
	refValue = -2
	refKind  = -3
)

// columns reports the references of the template to columns.
func (t *template) columns() []int {
	var out []int
	for _, p := range t.parts {
		if p.ref >= 0 {
			out = append(out, p.ref)
		}
	}
	return out
}

// parseTemplate splits s into literals and {name} references; refer
// registers a column name and returns its reference number. special lists
// the names that are not columns here ("value", "kind").
func parseTemplate(s string, line int, field string, refer func(name string, line int, field string) int, special ...string) (*template, error) {
	t := &template{src: s, line: line, field: field}
	rest := s
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		j := strings.IndexByte(rest, '}')
		if i < 0 {
			if j >= 0 {
				return nil, fmt.Errorf("template %q: '}' without '{' (expected {column} references)", s)
			}
			t.parts = append(t.parts, part{lit: rest, ref: refNone})
			break
		}
		if j >= 0 && j < i {
			return nil, fmt.Errorf("template %q: '}' without '{' (expected {column} references)", s)
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i], ref: refNone})
		}
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("template %q: '{' without '}' (expected {column} references)", s)
		}
		name := rest[i+1 : i+end]
		if name == "" || strings.ContainsAny(name, "{") {
			return nil, fmt.Errorf("template %q: empty or nested reference (expected {column})", s)
		}
		optional := strings.HasSuffix(name, "?") && len(name) > 1
		name = strings.TrimSuffix(name, "?")
		ref := refNone
		for _, sp := range special {
			if name == sp {
				ref = map[string]int{"value": refValue, "kind": refKind}[sp]
			}
		}
		if ref == refNone {
			ref = refer(name, line, field)
		}
		t.parts = append(t.parts, part{ref: ref, optional: optional})
		rest = rest[i+end+1:]
	}
	return t, nil
}

// render fills the template from a row; ok is false when a referenced
// cell is empty or, for an id, one of unknown (no value: no fact, no
// entity), unless the reference is optional ({column?}: it renders as
// nothing, and in an id the dashes around it become one). slug makes each
// value fit an id.
func (t *template) render(row *row, value, kind string, slug bool, unknown []string) (string, bool) {
	return t.renderWith(row, value, kind, slug, unknown, nil)
}

// A slugCache remembers the slugs of the values that recur across rows (a
// group's name, a country); it stops growing at maxCached, so that values
// of their own in every row (an event id) cost no memory.
type slugCache map[string]string

const maxCached = 1 << 14

func (c slugCache) slug(v string) string {
	if c == nil {
		return slugOf(v)
	}
	if s, ok := c[v]; ok {
		return s
	}
	s := slugOf(v)
	if len(c) < maxCached {
		c[v] = s
	}
	return s
}

func (t *template) renderWith(row *row, value, kind string, slug bool, unknown []string, cache slugCache) (string, bool) {
	if len(t.parts) == 1 && t.parts[0].ref >= 0 && !slug && !t.parts[0].optional {
		v := row.cell(t.parts[0].ref)
		return v, v != "" && !isUnknown(v, unknown)
	}
	var b strings.Builder
	for _, p := range t.parts {
		var v string
		switch p.ref {
		case refNone:
			b.WriteString(p.lit)
			continue
		case refValue:
			v = value
		case refKind:
			v = kind
		default:
			v = row.cell(p.ref)
		}
		if v == "" || isUnknown(v, unknown) {
			if p.optional {
				continue
			}
			return "", false
		}
		if slug {
			v = cache.slug(v)
		}
		b.WriteString(v)
	}
	out := b.String()
	if slug && strings.Contains(out, "--") {
		// an optional part left out: one dash between its neighbours
		for strings.Contains(out, "--") {
			out = strings.ReplaceAll(out, "--", "-")
		}
		out = strings.TrimSuffix(out, "-")
	}
	return out, true
}

func isUnknown(v string, unknown []string) bool {
	for _, u := range unknown {
		if v == u {
			return true
		}
	}
	return false
}

// foldKey strips accents and folds case (to lower case, not Unicode's
// case orbits: an id keeps an "s" an "s").
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// maxSlug bounds the length, in characters, of one value in an id.
const maxSlug = 64

// slugOf makes a cell's text a readable piece of an id: its text with
// accents stripped and case folded (foldKey) with every run of other characters than
// letters and digits a single '-'. The same text gives the same slug in
// every row, so the same name gives the same id; a text that is long, or
// has no letter or digit, is cut and followed by a hash of the whole. A
// negative number keeps its sign as "neg" ("-12.5" is neg-12-5).
func slugOf(s string) string {
	var out []rune
	dash := false
	key := foldKey(s)
	if len(key) > 1 && key[0] == '-' && key[1] >= '0' && key[1] <= '9' {
		out = []rune("neg") // a negative number ("-12.5", a longitude) keeps its sign
	}
	for _, r := range key {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && len(out) > 0 {
				out = append(out, '-')
			}
			dash = false
			out = append(out, r)
			continue
		}
		dash = true
	}
	if len(out) > 0 && len(out) <= maxSlug {
		return string(out)
	}
	h := sha256.Sum256([]byte(s))
	if len(out) == 0 {
		return hex.EncodeToString(h[:6])
	}
	return strings.TrimRight(string(out[:maxSlug-9]), "-") + "-" + hex.EncodeToString(h[:4])
}

package gazetteer

import (
	"strings"
	"unicode"

	"github.com/threatgraph/threatgraph/schema"
)

// asciiKey holds, for each ASCII byte that is not a space, what
// schema.NameKey makes of it (its case folding turns s into ſ, for one).
var asciiKey = func() (t [128]string) {
	for c := range t {
		r := rune(c)
		if r == '`' {
			r = '\''
		}
		t[c] = strings.ToLower(string(unicode.SimpleFold(unicode.ToLower(r))))
	}
	return t
}()

// nameKey is schema.NameKey, computed without its Unicode normalisation
// for ASCII text (most of GeoNames' names): the same key, at a fraction of
// the cost (TestNameKeyMatchesSchema).
func nameKey(s string) string { return indexKey(s, "") }

// indexKey is nameKey(s) followed by suffix (a place's 0x00 kind id), in
// one allocation; "" when the key is empty.
func indexKey(s, suffix string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			if k := schema.NameKey(s); k != "" {
				return k + suffix
			}
			return ""
		}
	}
	var b strings.Builder
	b.Grow(len(s) + len(suffix) + 4)
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\v', '\f', '\r', '_':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(asciiKey[c])
	}
	if b.Len() == 0 {
		return ""
	}
	b.WriteString(suffix)
	return b.String()
}

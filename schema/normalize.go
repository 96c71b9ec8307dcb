package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NameKey returns the lookup key of a name or alias: accents removed, case
// folded, dashes, quotes and white space unified. "ISIS-K", "isis‑k" and
// "ÍSIS-K" share a key; "IS-K" and "ISIS-K" do not (they are separate
// aliases of one group, each stored).
func NameKey(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r) || r == '_':
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Pd, r) || r == '\u2010' || r == '\u2011':
			r = '-'
		case r == '\u2019' || r == '\u2018' || r == '`':
			r = '\''
		case r == '\u201c' || r == '\u201d':
			r = '"'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(strings.ToLower(string(unicode.SimpleFold(unicode.ToLower(r)))))
	}
	return strings.ToLower(b.String())
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

package export

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Clean returns s in Unicode NFC with the characters that XML 1.0 forbids
// removed: invalid UTF-8, C0 controls other than TAB, LF and CR, U+FFFE and
// U+FFFF. Every encoder applies it to every string (values, not ids, which
// must already be valid); a string that Clean makes empty is written as
// missing. Clean does not allocate when s is printable ASCII.
func Clean(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return cleanSlow(s, i)
		}
	}
	return s
}

func cleanSlow(s string, i int) string {
	var b strings.Builder
	dropped := false
	for j := i; j < len(s); {
		c := s[j]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				if !dropped {
					b.Grow(len(s))
					b.WriteString(s[:j])
					dropped = true
				}
			} else if dropped {
				b.WriteByte(c)
			}
			j++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[j:])
		bad := r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF
		if bad && !dropped {
			b.Grow(len(s))
			b.WriteString(s[:j])
			dropped = true
		} else if !bad && dropped {
			b.WriteString(s[j : j+n])
		}
		j += n
	}
	if dropped {
		s = b.String()
	}
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	return s
}

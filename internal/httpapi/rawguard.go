package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on the text of a raw query, checked before any parser sees it.
// goja's parser and compiler and the GraphQL parser recurse once per level
// of nesting, on Go's stack: a query nested 300,000 deep ends the process
// with a fatal stack overflow that no recover catches. The figures are
// measured in rawguard_test.go (TestGojaCostPerLevel): 0.25 to 4 KiB of stack
// per level, so the bounds keep a query's parse under about 4 MiB of stack.
const (
	// MaxQueryBytes is the longest query text. Real queries are a few
	// hundred bytes; 64 KiB still takes a list of about 1,500 entity ids.
	MaxQueryBytes = 64 << 10
	// MaxQueryDepth is the deepest nesting of ( [ { (and ${ in a template)
	// outside strings and comments. A Gizmo chain with a callback and an
	// object literal nests 4 or 5 deep, a GraphQL query one level per hop:
	// 100 is far above either and costs at most 400 KiB of stack.
	MaxQueryDepth = 100
	// MaxQueryNesting bounds the nesting of a JavaScript query estimated
	// from its tokens: every bracket, operator character and nesting
	// keyword (if, else, do, while, for, with, new, typeof, ...) in one
	// statement or list element counts one. Unary chains (!!!!1, - - -1),
	// binary chains (a+a+a), member chains (g.V().Out()...), if(1)if(1)...,
	// else-if ladders and labels nest goja's recursion without brackets; a
	// long real Gizmo chain counts about 100.
	MaxQueryNesting = 1000
	// MaxQueryLogical bounds the && || ?? operators in one JavaScript
	// statement: goja folds constant operands of these at compile time in
	// time that doubles with every operator (1&&1&&... with 22 operators
	// took 1 to 2 s, 30 would take minutes, and compiling is not
	// interruptible). 16 costs under 50 ms.
	MaxQueryLogical = 16
)

// A GuardError is a query refused before parsing: Limit is the bound,
// Found what the query has (for depth and nesting, the most found), Line
// and Column (1-based, in runes) where the bound was first passed.
type GuardError struct {
	Lang   string
	What   string // "length", "depth", "nesting" or "logical"
	Limit  int
	Found  int
	Line   int
	Column int
}

func (e *GuardError) Error() string {
	switch e.What {
	case "length":
		return fmt.Sprintf("query refused: %d bytes long, the limit is %d bytes", e.Found, e.Limit)
	case "depth":
		return fmt.Sprintf("query refused: brackets nested %d deep, the limit is %d (first passed at line %d, column %d; every bracket counts once more wherever it is, in strings, comments and regular expressions too)", e.Found, e.Limit, e.Line, e.Column)
	case "logical":
		return fmt.Sprintf("query refused: %d &&, || or ?? operators in one statement, the limit is %d (first passed at line %d, column %d)", e.Found, e.Limit, e.Line, e.Column)
	}
	return fmt.Sprintf("query refused: expressions nested about %d deep (operators, keywords and brackets in one statement), the limit is %d (first passed at line %d, column %d)", e.Found, e.Limit, e.Line, e.Column)
}

// GuardReport is what CheckQuery measured.
type GuardReport struct {
	Depth    int // deepest bracket nesting outside strings, comments and regular expressions
	RawDepth int // deepest bracket nesting counting every bracket, wherever it is
	Nesting  int // JavaScript: the largest nesting estimate; GraphQL: Depth
	Logical  int // JavaScript: the most && || ?? in one statement
}

// CheckQuery measures a raw query's nesting without parsing it and
// returns a *GuardError when it passes a bound. The measure never
// under-counts what the parser recurses on: brackets inside strings,
// comments and regular expressions are skipped only where the lexer is
// sure; the raw bracket depth (every bracket, whatever the context, a
// closer never below zero) is taken too, and the larger of the two counts.
func CheckQuery(lang, text string) (GuardReport, error) {
	if len(text) > MaxQueryBytes {
		return GuardReport{}, &GuardError{Lang: lang, What: "length", Limit: MaxQueryBytes, Found: len(text)}
	}
	var g guard
	g.text = text
	if lang == "graphql" {
		g.scanGraphQL()
	} else {
		g.scanJS()
	}
	g.rawDepth()
	r := GuardReport{Depth: g.maxDepth, RawDepth: g.maxRaw, Nesting: g.maxNesting, Logical: g.maxLogical}
	if lang == "graphql" {
		r.Nesting = r.Depth
	}
	switch {
	case g.depthAt >= 0:
		l, c := lineCol(text, g.depthAt)
		return r, &GuardError{Lang: lang, What: "depth", Limit: MaxQueryDepth, Found: max(g.maxDepth, g.maxRaw), Line: l, Column: c}
	case g.logicalAt >= 0:
		l, c := lineCol(text, g.logicalAt)
		return r, &GuardError{Lang: lang, What: "logical", Limit: MaxQueryLogical, Found: g.maxLogical, Line: l, Column: c}
	case g.nestingAt >= 0:
		l, c := lineCol(text, g.nestingAt)
		return r, &GuardError{Lang: lang, What: "nesting", Limit: MaxQueryNesting, Found: g.maxNesting, Line: l, Column: c}
	}
	return r, nil
}

func lineCol(text string, off int) (int, int) {
	line, col := 1, 1
	for i, r := range text {
		if i >= off {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// level is one open bracket of a JavaScript query.
type level struct {
	close   byte // ')', ']', '}'; '`' for ${ in a template
	block   bool // '{' opened a block (a / after its } starts a regular expression)
	header  bool // '(' of if/while/for/with (a / after its ) starts a regular expression)
	chain   int  // nesting tokens since the last ; or , at this level
	persist int  // else and do at this level: they nest across ;
	logical int  // && || ?? since the last ; at this level
}

type guard struct {
	text string

	stack                         []level
	sumNesting, sumLogical        int // over the open levels and the top level
	maxDepth, maxNesting, maxRaw  int
	maxLogical                    int
	depthAt, nestingAt, logicalAt int // offsets where a bound was first passed, or -1
	top                           level
}

func (g *guard) cur() *level {
	if len(g.stack) == 0 {
		return &g.top
	}
	return &g.stack[len(g.stack)-1]
}

func (g *guard) note(off int) {
	d := len(g.stack)
	if d > g.maxDepth {
		g.maxDepth = d
	}
	if d > MaxQueryDepth && g.depthAt < 0 {
		g.depthAt = off
	}
	n := d + g.sumNesting
	if n > g.maxNesting {
		g.maxNesting = n
	}
	if n > MaxQueryNesting && g.nestingAt < 0 {
		g.nestingAt = off
	}
	if g.sumLogical > g.maxLogical {
		g.maxLogical = g.sumLogical
	}
	if g.sumLogical > MaxQueryLogical && g.logicalAt < 0 {
		g.logicalAt = off
	}
}

func (g *guard) addChain(n int) { g.cur().chain += n; g.sumNesting += n }

func (g *guard) open(off int, l level) {
	g.addChain(1) // a call or index chain a()()() or a[0][0] nests too
	g.stack = append(g.stack, l)
	g.note(off)
}

// close pops the innermost level if it matches c and folds its counts into
// the enclosing level: a closed bracket is a subexpression of the
// enclosing expression. A stray closer is ignored (never below zero).
func (g *guard) close(c byte) (level, bool) {
	if len(g.stack) == 0 || g.stack[len(g.stack)-1].close != c {
		return level{}, false
	}
	l := g.stack[len(g.stack)-1]
	g.stack = g.stack[:len(g.stack)-1]
	g.sumNesting -= l.chain + l.persist
	g.sumLogical -= l.logical
	g.addChain(l.chain + l.persist)
	g.cur().logical += l.logical
	g.sumLogical += l.logical
	return l, true
}

// rawDepth counts every bracket whatever the context, so that a lexer
// mistake about where a string or regular expression ends cannot hide
// brackets from both counts at once.
func (g *guard) rawDepth() {
	d := 0
	for i := 0; i < len(g.text); i++ {
		switch g.text[i] {
		case '(', '[', '{':
			d++
			if d > g.maxRaw {
				g.maxRaw = d
			}
			if d > MaxQueryDepth && (g.depthAt < 0 || i < g.depthAt) {
				g.depthAt = i
			}
		case ')', ']', '}':
			if d > 0 {
				d--
			}
		}
	}
}

// jsKeywords that nest a statement or an expression.
var jsKeywords = map[string]bool{
	"if": true, "else": true, "while": true, "for": true, "with": true, "do": true,
	"new": true, "typeof": true, "void": true, "delete": true, "in": true, "instanceof": true,
	"await": true, "yield": true, "return": true, "throw": true, "case": true, "of": true,
	"function": true, "class": true, "extends": true, "async": true,
}

// After these a / starts a regular expression, not a division.
var jsRegexAfterWord = map[string]bool{
	"return": true, "typeof": true, "instanceof": true, "in": true, "of": true, "new": true,
	"delete": true, "void": true, "throw": true, "case": true, "do": true, "else": true,
	"yield": true, "await": true,
}

func isLineTerminator(r rune) bool { return r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029 }

func isIdentRune(r rune) bool {
	return r == '_' || r == '$' || r == '\\' || r == 0x200c || r == 0x200d || unicode.IsLetter(r) || unicode.IsDigit(r) ||
		unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Nl, r)
}

// prev kinds: what the last significant token was, for / and for blocks.
const (
	prevStart      = iota // a punctuator or operator after which an expression starts
	prevStmt              // the start, ; or a block's { : a statement starts
	prevValue             // identifier, number, string, template, ) ] } of an expression
	prevRegexKw           // keyword after which an expression starts
	prevBlockEnd          // } of a block, ) of an if/while/for/with header
	prevArrow             // =>
	prevCloseParen        // ) of a call or a group: a { after it is a function body
)

// scanJS walks a JavaScript query token by token, tracking brackets,
// nesting tokens and where strings, comments, templates and regular
// expressions begin and end.
func (g *guard) scanJS() {
	g.depthAt, g.nestingAt, g.logicalAt = -1, -1, -1
	t := g.text
	prev := prevStmt
	prevWord := ""
	for i := 0; i < len(t); {
		c := t[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			i++
			continue
		case c == '/' && i+1 < len(t) && t[i+1] == '/':
			i = skipLine(t, i+2)
			continue
		case c == '/' && i+1 < len(t) && t[i+1] == '*':
			end := indexFrom(t, i+2, "*/")
			if end < 0 {
				return // unterminated comment: the parser stops there
			}
			i = end + 2
			continue
		case c == '\'' || c == '"':
			i = skipQuoted(t, i)
			prev = prevValue
			continue
		case c == '`':
			i = g.template(i + 1)
			prev = prevValue
			continue
		case c == '/' && (prev != prevValue && prev != prevCloseParen):
			if end := regexEnd(t, i); end > 0 {
				i = end
				prev = prevValue
				continue
			}
			// no end on this line: not a regular expression for goja either
			g.addChain(1)
			g.note(i)
			i++
			prev = prevStart
			continue
		case c == '(' || c == '[' || c == '{':
			l := level{close: map[byte]byte{'(': ')', '[': ']', '{': '}'}[c]}
			switch c {
			case '(':
				l.header = prevWord == "if" || prevWord == "while" || prevWord == "for" || prevWord == "with"
			case '{':
				l.block = prev == prevStmt || prev == prevBlockEnd || prev == prevArrow || prev == prevCloseParen ||
					prevWord == "else" || prevWord == "do" || prevWord == "try" || prevWord == "finally"
			}
			g.open(i, l)
			i++
			prev, prevWord = prevStart, ""
			if l.block {
				prev = prevStmt
			}
			continue
		case c == ')' || c == ']' || c == '}':
			l, ok := g.close(c)
			i++
			if ok && l.close == '`' {
				i = g.template(i) // back in the template after ${ ... }
				prev = prevValue
				continue
			}
			switch {
			case ok && c == ')' && l.header:
				prev = prevBlockEnd
			case c == ')':
				prev = prevCloseParen
			case ok && c == '}' && l.block:
				prev = prevBlockEnd
			default:
				prev = prevValue
			}
			prevWord = ""
			g.note(i - 1)
			continue
		case c == ';':
			cl := g.cur()
			g.sumNesting -= cl.chain
			g.sumLogical -= cl.logical
			cl.chain, cl.logical = 0, 0
			i++
			prev, prevWord = prevStmt, ""
			continue
		case c == ',':
			cl := g.cur()
			g.sumNesting -= cl.chain
			cl.chain = 0
			i++
			prev, prevWord = prevStart, ""
			continue
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(t) && t[i+1] >= '0' && t[i+1] <= '9':
			j := i + 1
			for j < len(t) && (isASCIIWord(t[j]) || t[j] == '.' || (t[j] == '+' || t[j] == '-') && (t[j-1] == 'e' || t[j-1] == 'E')) {
				j++
			}
			i = j
			prev, prevWord = prevValue, ""
			continue
		}
		r, n := utf8.DecodeRuneInString(t[i:])
		if isIdentRune(r) {
			j := i
			for j < len(t) {
				r, n := utf8.DecodeRuneInString(t[j:])
				if !isIdentRune(r) {
					break
				}
				if r == '\\' && j+1 < len(t) { // \uXXXX escape in a name
					j += 2
					continue
				}
				j += n
			}
			w := t[i:j]
			i = j
			prevWord = w
			switch {
			case w == "else" || w == "do":
				g.cur().persist++
				g.sumNesting++
				prev = prevRegexKw
			case jsKeywords[w]:
				g.addChain(1)
				prev = prevStart
				if jsRegexAfterWord[w] {
					prev = prevRegexKw
				}
			default:
				prev = prevValue
			}
			g.note(i - 1)
			continue
		}
		if isLineTerminator(r) || unicode.IsSpace(r) || r == 0xFEFF {
			i += n
			continue
		}
		// An operator or punctuator: every character counts one.
		if (c == '&' || c == '|' || c == '?') && i+1 < len(t) && t[i+1] == c {
			g.cur().logical++
			g.sumLogical++
		}
		if c == '=' && i+1 < len(t) && t[i+1] == '>' {
			g.addChain(2)
			g.note(i)
			i += 2
			prev, prevWord = prevArrow, ""
			continue
		}
		g.addChain(1)
		g.note(i)
		if (c == '+' || c == '-') && i+1 < len(t) && t[i+1] == c && prev == prevValue {
			// a++ / a-- : a value, a / after it divides
			g.addChain(1)
			i += 2
			prevWord = ""
			continue
		}
		i += n
		prev, prevWord = prevStart, ""
	}
}

func isASCIIWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func indexFrom(t string, from int, sub string) int {
	for i := from; i+len(sub) <= len(t); i++ {
		if t[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// skipLine returns the offset of the line terminator that ends a // comment.
func skipLine(t string, i int) int {
	for i < len(t) {
		r, n := utf8.DecodeRuneInString(t[i:])
		if isLineTerminator(r) {
			return i
		}
		i += n
	}
	return i
}

// skipQuoted returns the offset after the string literal at i. A line
// terminator that is not escaped ends it (goja reports the string as
// unterminated there and goes on lexing from that point).
func skipQuoted(t string, i int) int {
	q := t[i]
	i++
	for i < len(t) {
		c := t[i]
		switch {
		case c == q:
			return i + 1
		case c == '\\':
			i++
			if i+1 < len(t) && t[i] == '\r' && t[i+1] == '\n' {
				i += 2
				continue
			}
			if i < len(t) {
				_, n := utf8.DecodeRuneInString(t[i:])
				i += n
			}
			continue
		case c == '\n' || c == '\r':
			return i
		}
		r, n := utf8.DecodeRuneInString(t[i:])
		if r == 0x2028 || r == 0x2029 {
			// allowed inside string literals since ES2019; goja accepts them
			i += n
			continue
		}
		i += n
	}
	return i
}

// template scans template text from i up to the closing backtick (returns
// the offset after it) or up to ${ (opens a level and returns the offset
// after the brace).
func (g *guard) template(i int) int {
	t := g.text
	for i < len(t) {
		switch t[i] {
		case '\\':
			i += 2
			continue
		case '`':
			return i + 1
		case '$':
			if i+1 < len(t) && t[i+1] == '{' {
				g.open(i, level{close: '`'})
				return i + 2
			}
		}
		i++
	}
	return i
}

// regexEnd returns the offset after the regular expression literal at i,
// or -1 when none ends on this line (then goja does not read one either).
func regexEnd(t string, i int) int {
	inClass := false
	for j := i + 1; j < len(t); {
		c := t[j]
		switch {
		case c == '\\':
			j++
			if j < len(t) {
				r, n := utf8.DecodeRuneInString(t[j:])
				if isLineTerminator(r) {
					return -1
				}
				j += n
			}
			continue
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case c == '/' && !inClass:
			j++
			for j < len(t) {
				r, n := utf8.DecodeRuneInString(t[j:])
				if !isIdentRune(r) {
					break
				}
				j += n
			}
			return j
		}
		r, n := utf8.DecodeRuneInString(t[j:])
		if isLineTerminator(r) {
			return -1
		}
		j += n
	}
	return -1
}

// GraphQL name runes as cayley sets them for its lexer: names may hold
// < > : / [ ] # and more, so that IRIs need no quotes.
func isGraphQLNameRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
		r > 0x20 && r != '"' && r != '{' && r != '}' && r != '(' && r != ')' && r != '|' && r != '^' && r != '`' && !unicode.IsSpace(r)
}

// scanGraphQL follows the lexer of cayley's GraphQL dialect: a comment (#)
// or string starts only where a token starts, names run over any name rune
// (brackets included), and the parser recurses on ( [ {.
func (g *guard) scanGraphQL() {
	g.depthAt, g.nestingAt, g.logicalAt = -1, -1, -1
	t := g.text
	for i := 0; i < len(t); {
		c := t[i]
		switch c {
		case ' ', '\t', '\n', '\r', ',':
			i++
			continue
		case '#':
			for i < len(t) && t[i] != '\n' && t[i] != '\r' {
				i++
			}
			continue
		case '"':
			if i+2 < len(t) && t[i+1] == '"' && t[i+2] == '"' {
				end := i + 3
				for end < len(t) {
					if t[end] == '\\' && end+3 < len(t) && t[end+1:end+4] == `"""` {
						end += 4
						continue
					}
					if end+2 < len(t) && t[end:end+3] == `"""` {
						break
					}
					end++
				}
				i = end + 3
				continue
			}
			i++
			for i < len(t) && t[i] != '"' && t[i] != '\n' && t[i] != '\r' {
				if t[i] == '\\' {
					i++
				}
				i++
			}
			i++
			continue
		case '(', '[', '{':
			g.stack = append(g.stack, level{close: map[byte]byte{'(': ')', '[': ']', '{': '}'}[c]})
			g.note(i)
			i++
			continue
		case ')', ']', '}':
			if len(g.stack) > 0 {
				g.stack = g.stack[:len(g.stack)-1]
			}
			i++
			continue
		case '!', '$', ':', '=', '@', '|', '.':
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(t[i:])
		if r == 0xFEFF {
			i += n
			continue
		}
		if c == '-' || c >= '0' && c <= '9' {
			i++
			for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.' || t[i] == 'e' || t[i] == 'E' || t[i] == '+' || t[i] == '-') {
				i++
			}
			continue
		}
		if isGraphQLNameRune(r) {
			j := i + n
			for j < len(t) {
				r, n := utf8.DecodeRuneInString(t[j:])
				if !isGraphQLNameRune(r) {
					break
				}
				j += n
			}
			if j > i+1 && (t[j-1] == ',' || t[j-1] == ':' || t[j-1] == '(') {
				j-- // cayley's lexer gives a trailing , or : back
			}
			i = j
			continue
		}
		i += n // an invalid character: the parser stops at it
	}
}

// guardAnswer is the 400 for a query CheckQuery refused.
func guardAnswer(err error, rep GuardReport) error {
	var ge *GuardError
	if !errors.As(err, &ge) {
		return err
	}
	return &Error{Status: http.StatusBadRequest, Msg: ge.Error(), Detail: GuardDetail{Parameter: "q", What: ge.What, Limit: ge.Limit, Found: ge.Found, Line: ge.Line, Column: ge.Column}}
}

// GuardDetail is the detail of a 400 for a refused raw query.
type GuardDetail struct {
	Parameter string `json:"parameter"`
	What      string `json:"what"` // length, depth, nesting or logical
	Limit     int    `json:"limit"`
	Found     int    `json:"found"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
}

// crossSite says why r comes from another web site, or "": a browser
// marks its requests with Sec-Fetch-Site, and with Origin on POST and on
// cross-origin fetches. Clients that are not browsers send neither.
func crossSite(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return "Sec-Fetch-Site: " + site
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if o == "null" || err != nil || !strings.EqualFold(u.Host, r.Host) {
			return "Origin: " + o
		}
	}
	return ""
}

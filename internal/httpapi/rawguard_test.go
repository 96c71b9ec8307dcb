package httpapi

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/dennwc/graphql/language/parser"
	"github.com/dop251/goja"
)

// deep builds the queries of issue 9 and their kin: each nests the parser's
// recursion n deep, most without a single bracket.
func deepQueries(n int) map[string]struct{ lang, text, what string } {
	r := strings.Repeat
	return map[string]struct{ lang, text, what string }{
		"parens":     {"gizmo", r("(", n) + "1" + r(")", n), "depth"},
		"arrays":     {"gizmo", r("[", n) + r("]", n), "depth"},
		"objects":    {"gizmo", "x=" + r("{a:", n) + "1" + r("}", n), "depth"},
		"template":   {"gizmo", r("`${", n) + "1" + r("}`", n), "depth"},
		"unary":      {"gizmo", r("-", n) + "1", "nesting"},
		"spaced":     {"gizmo", r("- ", n) + "1", "nesting"},
		"not":        {"gizmo", r("!", n) + "1", "nesting"},
		"typeof":     {"gizmo", r("typeof ", n) + "1", "nesting"},
		"sum":        {"gizmo", "a" + r("+a", n), "nesting"},
		"assign":     {"gizmo", r("a=", n) + "1", "nesting"},
		"ternary":    {"gizmo", r("a?1:", n) + "1", "nesting"},
		"arrow":      {"gizmo", r("a=>", n) + "1", "nesting"},
		"chain":      {"gizmo", "g.V()" + r(".Out()", n) + ".All()", "nesting"},
		"calls":      {"gizmo", "f" + r("()", n), "nesting"},
		"if":         {"gizmo", r("if(1)", n) + ";", "nesting"},
		"elseif":     {"gizmo", "if(1);" + r("else if(1);", n), "nesting"},
		"label":      {"gizmo", r("a:", n) + ";", "nesting"},
		"new":        {"gizmo", r("new ", n) + "a", "nesting"},
		"logical":    {"gizmo", "1" + r("&&1", n), "logical"},
		"logicalpar": {"gizmo", r("(", 50) + "1" + r("&&1)", 50), "logical"},
		"gqlbraces":  {"graphql", "{" + r("a{", n) + "b" + r("}", n) + "}", "depth"},
		"gqllist":    {"graphql", "{a(b:" + r("[", n) + "1" + r("]", n) + ")}", "depth"},
		"gqlobject":  {"graphql", "{a(b:" + r("{c:", n) + "1" + r("}", n) + ")}", "depth"},
	}
}

func TestCheckQueryRefusesDeepQueries(t *testing.T) {
	for _, n := range []int{300_000, 1_000_000} {
		for name, q := range deepQueries(n) {
			if len(q.text) > MaxQueryBytes {
				q.text = q.text[:MaxQueryBytes] // the length bound alone would refuse it; the nesting must too
			}
			rep, err := CheckQuery(q.lang, q.text)
			var ge *GuardError
			if !errors.As(err, &ge) {
				t.Errorf("%s n=%d: accepted (%+v)", name, n, rep)
				continue
			}
			if q.what == "nesting" && ge.What == "depth" {
				continue // a bracketed chain may pass the depth bound first
			}
			if ge.What != q.what || ge.Found <= ge.Limit || ge.Line != 1 || ge.Column < 1 {
				t.Errorf("%s n=%d: %+v, want %s over its limit with a position", name, n, ge, q.what)
			}
		}
	}
	_, err := CheckQuery("gizmo", strings.Repeat("1;", MaxQueryBytes))
	var ge *GuardError
	if !errors.As(err, &ge) || ge.What != "length" || ge.Found != 2*MaxQueryBytes || !strings.Contains(err.Error(), "131072 bytes long, the limit is 65536") {
		t.Errorf("length: %v", err)
	}
}

// Queries an analyst writes pass, with brackets in strings, comments,
// regular expressions and templates not counted.
func TestCheckQueryAcceptsRealQueries(t *testing.T) {
	for _, q := range []struct{ lang, text string }{
		{"gizmo", `g.V("<group:isis-k>").Out("<tg:name>").All()`},
		{"gizmo", `var groups = g.V().Has("<rdf:type>", "<tg:Group>").ToArray();
for (var i = 0; i < groups.length; i++) {
  if (groups[i].id && groups[i].id.indexOf("isis") >= 0) { g.Emit({id: groups[i].id, n: i}); }
  else if (i % 2 === 0) { continue; } else { g.Emit(null) }
}`},
		{"gizmo", `g.V().Tag("x").ForEach(function(d) { g.Emit({x: d.x, s: ` + "`id ${d.id} ${`nested ${1 + 2}`}`" + `}) })`},
		{"gizmo", `// a comment with ((((( brackets
/* and {{{{{ here */ var re = /[(\/]{2,}(?:\)+)/g; g.Emit(re.test("((") ? 1 : 0)`},
		{"gizmo", `if (x) /((((((/.test(y); var z = a / b / c;`},
		{"graphql", `{ nodes(id: <group:isis-k>) { id name: <tg:name> attacks: <tg:perpetrator> @rev { id <tg:date> } } }`},
		{"graphql", "# a comment {{{{ \n{ nodes(id: \"(((((\", b: \"\"\"{{{{ \\\"\"\" }}\"\"\") { id } }"},
	} {
		rep, err := CheckQuery(q.lang, q.text)
		if err != nil {
			t.Errorf("%s refused: %v\n%s", q.lang, err, q.text)
		}
		t.Logf("%+v", rep)
		if rep.Depth > 7 {
			t.Errorf("%s: depth %d counted in strings or comments\n%s", q.lang, rep.Depth, q.text)
		}
	}
}

// The raw count is the price of not being fooled: more than
// MaxQueryDepth unclosed openers inside strings refuse a query too, and the
// message says so.
func TestCheckQueryCountsUnclosedBracketsInStrings(t *testing.T) {
	_, err := CheckQuery("gizmo", `var s = "`+strings.Repeat("(", 500)+`"; g.Emit(s.length)`)
	if err == nil || !strings.Contains(err.Error(), "in strings, comments and regular expressions too") {
		t.Fatalf("got %v", err)
	}
}

// The lexer is not fooled into skipping code that goja parses: a string
// ended by an escaped CRLF, a regular expression holding quotes, a /
// after a value, and closers hidden in strings to lower the raw count.
func TestCheckQueryNotFooled(t *testing.T) {
	deep := strings.Repeat("(", 150) + "1" + strings.Repeat(")", 150)
	for _, text := range []string{
		"var s = \"abc\\\r\n\"; " + deep,
		`var r = /"/; ` + deep + `; var q = /"/;`,
		`var x = {} / 1; ` + deep + ` ; 1 / 1`,
		`var a = b / 2; ` + deep + ` / 3`,
		strings.Repeat(`(")))))"`, 40) + deep,
		"x = `" + strings.Repeat("a", 10) + "` + `${" + deep + "}`",
		"// comment\u2028" + deep,
	} {
		if _, err := CheckQuery("gizmo", text); err == nil {
			t.Errorf("accepted %q", text[:min(len(text), 60)])
		}
	}
	if _, err := CheckQuery("graphql", "{ a#b "+strings.Repeat("{", 150)+" }"); err == nil {
		t.Error("graphql: # inside a name taken for a comment")
	}
}

// limitQueries sit just inside every bound: the worst a query that the
// guard accepts may ask of the parser.
func limitQueries() map[string]struct{ lang, text string } {
	r := strings.Repeat
	d, n := MaxQueryDepth, MaxQueryNesting-1
	return map[string]struct{ lang, text string }{
		"parens":   {"gizmo", r("(", d) + "1" + r(")", d)},
		"template": {"gizmo", r("`${", d/2) + "1" + r("}`", d/2)},
		"arrow":    {"gizmo", r("a=>", n/2) + "1"},
		"sum":      {"gizmo", "a" + r("+a", n)},
		"if":       {"gizmo", r("if(1)", n/4) + ";"},
		"elseif":   {"gizmo", "if(1);" + r("else if(1);", n/4)},
		"logical":  {"gizmo", "1" + r("&&1", MaxQueryLogical)},
		"label":    {"gizmo", "a:b:c:;" + r("x", 10)},
		"gql":      {"graphql", r("{a", d) + r("}", d)},
	}
}

// TestGuardedWorstCasesFitASmallStack compiles the worst accepted queries
// in a child process whose stack may grow to 16 MiB only (Go's default is
// 1 GiB): if the guard let through anything that recursed too deep the
// child would die. It also checks each compiles in under a second (the
// && folding of goja is exponential).
func TestGuardedWorstCasesFitASmallStack(t *testing.T) {
	if os.Getenv("TG_GUARD_CHILD") == "limits" {
		debug.SetMaxStack(16 << 20)
		for name, q := range limitQueries() {
			if _, err := CheckQuery(q.lang, q.text); err != nil {
				fmt.Printf("%s refused: %v\n", name, err)
				os.Exit(3)
			}
			start := time.Now()
			compileOrParse(q.lang, q.text)
			if d := time.Since(start); d > time.Second {
				fmt.Printf("%s took %v\n", name, d)
				os.Exit(4)
			}
		}
		os.Exit(0)
	}
	out, err := child(t, "TestGuardedWorstCasesFitASmallStack", "limits")
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// TestUnguardedParserDies shows the defect the guard stops: in a child
// process, with the stack cut to 64 MiB so that it dies quickly, goja
// compiling the 300,000-deep query of issue 9 ends the process with a
// fatal stack overflow that no recover catches. The server and CLI paths
// refuse the same text (TestRawQueryRefusesDeepQueries, TestQueryCmdRefuses).
func TestUnguardedParserDies(t *testing.T) {
	if os.Getenv("TG_GUARD_CHILD") == "unguarded" {
		debug.SetMaxStack(64 << 20)
		defer func() { recover() }() // no use: a stack overflow is fatal
		compileOrParse("gizmo", deepQueries(300_000)["parens"].text)
		os.Exit(0)
	}
	out, err := child(t, "TestUnguardedParserDies", "unguarded")
	if err == nil || !strings.Contains(out, "stack exceeds") {
		t.Fatalf("the unguarded parser survived: %v\n%s", err, out[:min(len(out), 2000)])
	}
	if _, err := CheckQuery("gizmo", deepQueries(300_000)["parens"].text); err == nil {
		t.Fatal("the guard accepts what kills the parser")
	}
}

func child(t *testing.T, test, mode string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TG_GUARD_CHILD="+mode)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func compileOrParse(lang, text string) error {
	if lang == "graphql" {
		_, err := parser.Parse(parser.ParseParams{Source: text})
		return err
	}
	_, err := goja.Compile("", text, false)
	return err
}

// stackOf runs f on a fresh goroutine and returns how much goroutine stack
// was in use, over the level before, while f's goroutine was at its end.
func stackOf(f func()) int64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done, measured := make(chan struct{}), make(chan struct{})
	go func() {
		f()
		done <- struct{}{}
		<-measured
	}()
	<-done
	runtime.ReadMemStats(&after)
	close(measured)
	return int64(after.StackInuse) - int64(before.StackInuse)
}

// FuzzCheckQuery: the guard never panics, its depth is at least the
// bracket depth the raw count sees with strings ignored, and a query it
// accepts compiles (or fails to) within 8 MiB of stack and 2 s.
// go test -run '^$' -fuzz FuzzCheckQuery ./internal/httpapi/
func FuzzCheckQuery(f *testing.F) {
	for _, q := range limitQueries() {
		f.Add(q.lang == "graphql", q.text)
	}
	for _, s := range []string{
		`g.V("<group:isis-k>").Out("<tg:name>").All()`,
		`var r = /[(\/"]+/g; x = a / b / c; if (x) /"/.test('"')`,
		"x = `a${`b${c}`}` + '\\'' + \"\\\"\" // ((((",
		"{ nodes(id: <group:isis-k>) { id name: <tg:name> } }",
		"# {{{\n{ a(b: \"\"\"x\\\"\"\"y\"\"\") { c } }",
		"1&&1||1??1&&(1&&(1&&1))",
		"if(1){}else if(1){}else do ; while(0)",
	} {
		f.Add(strings.HasPrefix(s, "{") || strings.HasPrefix(s, "#"), s)
	}
	f.Fuzz(func(t *testing.T, gql bool, text string) {
		lang := "gizmo"
		if gql {
			lang = "graphql"
		}
		rep, err := CheckQuery(lang, text)
		if err != nil {
			return
		}
		if raw := bracketDepth(text); max(rep.Depth, rep.RawDepth) < raw {
			t.Fatalf("depth %d below the raw bracket depth %d", rep.Depth, raw)
		}
		stack := make(chan int64, 1)
		go func() { stack <- stackOf(func() { _ = compileOrParse(lang, text) }) }()
		select {
		case st := <-stack:
			if st > 8<<20 {
				t.Fatalf("accepted (%+v) but compiling took %d KiB of stack: %q", rep, st>>10, text)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("accepted (%+v) but compiling takes over 2 s: %q", rep, text)
		}
	})
}

func bracketDepth(s string) int {
	d, m := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			d++
			m = max(m, d)
		case ')', ']', '}':
			d = max(d-1, 0)
		}
	}
	return m
}

// TestGojaCostPerLevel measures the stack goja's compiler takes per level
// of the constructs the guard bounds (the figures in rawguard.go's
// comment); it fails if one costs more than 8 KiB a level, which would
// make MaxQueryNesting unsafe.
func TestGojaCostPerLevel(t *testing.T) {
	const n = 4000
	r := strings.Repeat
	for name, text := range map[string]string{
		"parens": r("(", n) + "1" + r(")", n), "not": r("!", n) + "1", "sum": "a" + r("+a", n),
		"arrow": r("a=>", n) + "1", "if": r("if(1)", n) + ";", "chain": "g" + r(".x()", n),
	} {
		st := stackOf(func() { _ = compileOrParse("gizmo", text) })
		t.Logf("%-6s %5d B of stack per level", name, st/n)
		if st/n > 8<<10 {
			t.Errorf("%s: %d B of stack per level", name, st/n)
		}
	}
}

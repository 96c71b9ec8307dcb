package schema

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseCount(t *testing.T) {
	for _, s := range []string{"0", "7", "137", "2147483647"} {
		if _, err := ParseCount(s); err != nil {
			t.Errorf("ParseCount(%q): %v", s, err)
		}
	}
	for s, want := range map[string]string{
		"0x89": "hexadecimal", "0o17": "octal", "0b101": "binary", "1_000": "digit separators", "+5": "has a sign",
		"-1": "negative", "0137": "leading zero", "1e3": "not a whole number", "137.5": "not a whole number",
		"2147483648": "too large", "99999999999999999999": "too large", "": "empty", "12a": "not written in decimal digits",
		"١٣٧": "not written in decimal digits", // Arabic-Indic digits
	} {
		if _, err := ParseCount(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCount(%q) = %v; want an error saying %q", s, err, want)
		}
	}
}

func TestCheckTextAndEscape(t *testing.T) {
	for _, s := range []string{"Islamic State", "Daech (الدولة الإسلامية)", "ISIS‑K", "Zoë"} {
		if err := CheckText(s); err != nil {
			t.Errorf("CheckText(%q): %v", s, err)
		}
		if Escape(s) != s {
			t.Errorf("Escape(%q) = %q; want it unchanged", s, Escape(s))
		}
	}
	for in, want := range map[string]string{
		"a\x1b[31mb": `a\x1b[31mb`, "a\rb": `a\rb`, "a\tb\n": `a\tb\n`, "a\x7fb": `a\x7fb`, "a\u0085b": `a\u0085b`,
		"abc\u202edcba": `abc\u202edcba`, "x\u2066y\u2069": `x\u2066y\u2069`, "\u200eL\u200fR\u061c": `\u200eL\u200fR\u061c`,
	} {
		err := CheckText(in)
		if !errors.Is(err, ErrControlChar) || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckText(%q) = %v; want ErrControlChar naming %s", in, err, want)
		}
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q; want %q", in, got, want)
		}
	}
	if got := Escape("a\u2028b\xffc"); got != `a\u2028b\xffc` {
		t.Errorf("Escape of a line separator and a bad byte = %q", got)
	}
}

func TestEscapeJSON(t *testing.T) {
	in := map[string]string{"name": "evil\u202egnp.exe\u0085\u007f ok é"}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got := EscapeJSON(raw)
	if want := `{"name":"evil\u202egnp.exe\u0085\u007f ok é"}`; string(got) != want {
		t.Errorf("EscapeJSON = %s; want %s", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal(got, &back); err != nil || back["name"] != in["name"] {
		t.Errorf("escaped JSON decodes to %q (%v); want the same value %q", back["name"], err, in["name"])
	}
	if plain := []byte(`{"a":"b"}`); &EscapeJSON(plain)[0] != &plain[0] {
		t.Error("clean JSON was copied")
	}
}

package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// readTree parses a native file into a yaml.Node tree with line numbers.
// JSON is read with encoding/json (YAML parsers disagree with JSON on tabs
// and some escapes) and turned into the same tree.
func readTree(name string, data []byte, isJSON bool) (*yaml.Node, error) {
	if err := checkText(data); err != nil {
		return nil, err
	}
	if isJSON {
		return jsonTree(data)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &lineError{0, "file has no content (expected a mapping with sources and entities)"}
		}
		return nil, yamlError(err, data)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &lineError{extra.Line, "a second YAML document (expected one document per file)"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(err, data)
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		if err := checkShape(doc.Content[0], 0); err != nil {
			return nil, err
		}
		return doc.Content[0], nil
	}
	return nil, &lineError{doc.Line, "file has no content (expected a mapping with sources and entities)"}
}

// maxDepth bounds nesting: the format needs five levels; a deeper file is
// a mistake or an attack on the parser's stack.
const maxDepth = 32

// checkShape refuses YAML aliases (a recursive alias never ends, and the
// format has no use for them) and nesting deeper than maxDepth.
func checkShape(n *yaml.Node, depth int) error {
	if depth > maxDepth {
		return &lineError{n.Line, fmt.Sprintf("nesting deeper than %d levels (expected sources and entities with facts)", maxDepth)}
	}
	if n.Kind == yaml.AliasNode {
		return &lineError{n.Line, fmt.Sprintf("YAML alias *%s: anchors and aliases are not supported (expected plain values)", n.Value)}
	}
	for _, c := range n.Content {
		if err := checkShape(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// lineError is a problem at a line of a file; the caller adds the file.
type lineError struct {
	Line int
	Msg  string
}

func (e *lineError) Error() string { return e.Msg }

// checkText rejects empty and binary files before any parser sees them.
func checkText(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return &lineError{0, "file is empty (expected a mapping with sources and entities)"}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return &lineError{1 + bytes.Count(data[:i], []byte("\n")), "file is binary: it contains a NUL byte (expected UTF-8 text)"}
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return &lineError{1 + bytes.Count(data[:i], []byte("\n")), "file is not UTF-8 text (binary?)"}
	}
	return nil
}

// yamlError turns a yaml.v3 error ("yaml: line 7: ...") into a lineError.
// yaml.v3 often reports the line where the enclosing collection began, or
// none, so the line is found again: the first line at which the text, cut
// there, stops parsing (a binary search; cutting a valid YAML document at a
// line end almost always leaves a valid one).
func yamlError(err error, data []byte) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ":"); ok {
			if _, err := fmt.Sscanf(n, "%d", &line); err == nil {
				msg = strings.TrimSpace(tail)
			}
		}
	}
	if l := firstBadLine(data); l > 0 {
		line = l
	}
	return &lineError{line, "YAML syntax: " + msg}
}

func firstBadLine(data []byte) int {
	starts := lineStarts(data)
	bad := func(n int) bool { // do the first n lines fail to parse?
		end := len(data)
		if n < len(starts) {
			end = starts[n]
		}
		var v yaml.Node
		return yaml.Unmarshal(data[:end], &v) != nil
	}
	lo, hi := 1, len(starts)
	if !bad(hi) {
		return 0
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if bad(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// jsonTree decodes JSON into a yaml.Node tree carrying line numbers.
func jsonTree(data []byte) (*yaml.Node, error) {
	lines := lineStarts(data)
	lineAt := func(off int64) int {
		return sort.Search(len(lines), func(i int) bool { return lines[i] > int(off) })
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var parse func() (*yaml.Node, error)
	depth := 0
	wrap := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return &lineError{lineAt(se.Offset - 1), "JSON syntax: " + se.Error()}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return &lineError{len(lines), "JSON syntax: unexpected end of file"}
		}
		return &lineError{lineAt(dec.InputOffset()), "JSON syntax: " + err.Error()}
	}
	parse = func() (*yaml.Node, error) {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, wrap(err)
		}
		// The token begins after skipped white space: find its first byte.
		off := start
		for off < int64(len(data)) && strings.ContainsRune(" \t\r\n,:", rune(data[off])) {
			off++
		}
		line := lineAt(off)
		switch t := tok.(type) {
		case json.Delim:
			if depth++; depth > maxDepth {
				return nil, &lineError{line, fmt.Sprintf("nesting deeper than %d levels (expected sources and entities with facts)", maxDepth)}
			}
			defer func() { depth-- }()
			switch t {
			case '{':
				n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
				for dec.More() {
					kstart := dec.InputOffset()
					k, err := dec.Token()
					if err != nil {
						return nil, wrap(err)
					}
					ks, _ := k.(string)
					koff := kstart
					for koff < int64(len(data)) && strings.ContainsRune(" \t\r\n,", rune(data[koff])) {
						koff++
					}
					v, err := parse()
					if err != nil {
						return nil, err
					}
					n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ks, Line: lineAt(koff)}, v)
				}
				if _, err := dec.Token(); err != nil {
					return nil, wrap(err)
				}
				return n, nil
			case '[':
				n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: line}
				for dec.More() {
					v, err := parse()
					if err != nil {
						return nil, err
					}
					n.Content = append(n.Content, v)
				}
				if _, err := dec.Token(); err != nil {
					return nil, wrap(err)
				}
				return n, nil
			}
			return nil, &lineError{line, fmt.Sprintf("JSON syntax: unexpected %q", t)}
		case string:
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t, Line: line}, nil
		case json.Number:
			tag := "!!int"
			if strings.ContainsAny(string(t), ".eE") {
				tag = "!!float"
			}
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(t), Line: line}, nil
		case bool:
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t), Line: line}, nil
		case nil:
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null", Line: line}, nil
		}
		return nil, &lineError{line, fmt.Sprintf("JSON syntax: unexpected token %v", tok)}
	}
	root, err := parse()
	if err != nil {
		return nil, err
	}
	if tok, err := dec.Token(); err == nil {
		return nil, &lineError{lineAt(dec.InputOffset()), fmt.Sprintf("JSON syntax: unexpected %v after the top-level value", tok)}
	} else if !errors.Is(err, io.EOF) {
		return nil, wrap(err)
	}
	return root, nil
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// plain converts a node tree to plain Go values for JSON Schema validation:
// map[string]any, []any, string, json.Number, bool and nil.
func plain(n *yaml.Node) any {
	switch n.Kind {
	case yaml.AliasNode:
		return plain(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = plain(c)
		}
		return s
	}
	switch n.ShortTag() {
	case "!!int":
		var v int64
		if _, err := fmt.Sscan(n.Value, &v); err == nil {
			return json.Number(fmt.Sprint(v))
		}
		return json.Number(n.Value)
	case "!!float":
		var f float64
		if _, err := fmt.Sscan(n.Value, &f); err == nil {
			return json.Number(n.Value)
		}
		return n.Value
	case "!!bool":
		return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
	case "!!null":
		return nil
	}
	return n.Value
}

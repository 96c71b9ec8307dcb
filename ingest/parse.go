package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"

	"github.com/threatgraph/threatgraph/schema"
)

// A File is a parsed input: its records, and the problems that concern the
// whole file (a syntax error, an empty file). A file with FileErrs loads
// nothing, even with --skip-invalid.
type File struct {
	Name     string
	Format   string // "native" or "nquads"
	SHA256   string // of the file's bytes, hex: for the store's load history
	Records  []*Record
	FileErrs schema.Errors
	// Warnings are facts that load but deserve attention (a name already
	// taken by another entity); Load fills them in.
	Warnings schema.Errors
}

// Errors returns every problem of the file: the file's own and each record's.
func (f *File) Errors() schema.Errors {
	out := append(schema.Errors(nil), f.FileErrs...)
	for _, r := range f.Records {
		out = append(out, r.Errs...)
	}
	return out
}

// FormatOf picks the reader from a file name: native for .yaml, .yml and
// .json, N-Quads for .nq and .nquads.
func FormatOf(name string) (string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return "native", nil
	case ".nq", ".nquads":
		return "nquads", nil
	}
	return "", fmt.Errorf("%s: unknown file type %q (expected .yaml, .yml, .json, .nq or .nquads)", name, filepath.Ext(name))
}

// Parse reads one input file. It never fails: problems are in the File.
func Parse(name string, data []byte) *File {
	format, err := FormatOf(name)
	sum := sha256.Sum256(data)
	f := &File{Name: name, Format: format, SHA256: hex.EncodeToString(sum[:])}
	if err != nil {
		f.FileErrs.Add(name, 0, "", fmt.Errorf("unknown file type %q (expected .yaml, .yml, .json, .nq or .nquads)", filepath.Ext(name)))
		return f
	}
	if format == "nquads" {
		parseNQuads(f, data)
		return f
	}
	root, err := readTree(name, data, strings.EqualFold(filepath.Ext(name), ".json"))
	if err != nil {
		le := err.(*lineError)
		f.FileErrs.Add(name, le.Line, "", fmt.Errorf("%s", le.Msg))
		return f
	}
	d := &decoder{file: name}
	d.decode(root)
	f.Records = d.records
	f.FileErrs = d.fileErr
	checkSchema(f, root)
	return f
}

var (
	compiled     *jsonschema.Schema
	compiledErr  error
	compiledOnce sync.Once
	printer      = message.NewPrinter(language.English)
)

func formatSchema() (*jsonschema.Schema, error) {
	compiledOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.JSONSchema()))
		if err != nil {
			compiledErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(schema.SchemaID, doc); err != nil {
			compiledErr = err
			return
		}
		compiled, compiledErr = c.Compile(schema.SchemaID)
	})
	return compiled, compiledErr
}

// checkSchema validates the file against the published JSON Schema and adds
// the problems that the decoder has not already reported in more detail.
func checkSchema(f *File, root *yaml.Node) {
	sch, err := formatSchema()
	if err != nil {
		f.FileErrs.Add(f.Name, 0, "", fmt.Errorf("internal: compiling the format's JSON Schema: %v", err))
		return
	}
	verr, ok := sch.Validate(plain(root)).(*jsonschema.ValidationError)
	if !ok || verr == nil {
		return
	}
	reported := map[string]bool{}
	byPtr := make(map[string]*Record, len(f.Records))
	for _, r := range f.Records {
		byPtr[r.ptr] = r
		if len(r.Errs) > 0 {
			reported[r.ptr] = true
		}
	}
	if len(f.FileErrs) > 0 {
		reported[""] = true
	}
	type leaf struct {
		loc []string
		msg string
	}
	var leaves []leaf
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, leaf{e.InstanceLocation, schemaMessage(e)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(verr)
	byLoc := map[string][]string{}
	var order []string
	for _, l := range leaves {
		ptr := "/" + strings.Join(l.loc, "/")
		if len(l.loc) == 0 {
			ptr = ""
		}
		if covered(reported, ptr) {
			continue
		}
		if _, seen := byLoc[ptr]; !seen {
			order = append(order, ptr)
		}
		if !contains(byLoc[ptr], l.msg) {
			byLoc[ptr] = append(byLoc[ptr], l.msg)
		}
	}
	sort.Strings(order)
	for _, ptr := range order {
		node, field := locate(root, ptr)
		msg := strings.Join(byLoc[ptr], "; or ")
		e := &schema.FieldError{File: f.Name, Line: node.Line, Field: field, Err: fmt.Errorf("does not match the format's JSON Schema: %s", msg)}
		if r := recordAt(byPtr, ptr); r != nil {
			r.Errs = append(r.Errs, e)
		} else {
			f.FileErrs = append(f.FileErrs, e)
		}
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// covered reports whether the decoder already reported a problem for the
// record that contains ptr (or for the whole file). It looks up each
// prefix of ptr, so that the cost does not grow with the number of records
// (reporting 25,000 bad records was quadratic).
func covered(reported map[string]bool, ptr string) bool {
	if reported[""] {
		return true
	}
	return prefixes(ptr, func(p string) bool { return reported[p] })
}

// prefixes calls fn for ptr and each of its ancestors ("/a/b/c", "/a/b",
// "/a") until fn returns true, and reports whether it did.
func prefixes(ptr string, fn func(string) bool) bool {
	for p := ptr; p != ""; {
		if fn(p) {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return false
}

// recordAt returns the record that contains ptr, or nil.
func recordAt(byPtr map[string]*Record, ptr string) *Record {
	var rec *Record
	prefixes(ptr, func(p string) bool { rec = byPtr[p]; return rec != nil })
	return rec
}

// locate finds the node a JSON pointer names and a readable field path.
func locate(root *yaml.Node, ptr string) (*yaml.Node, string) {
	n := root
	var field strings.Builder
	if ptr == "" {
		return n, ""
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return n, field.String()
			}
			if field.Len() > 0 {
				field.WriteByte('.')
			}
			field.WriteString(tok)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i >= len(n.Content) {
				return n, field.String()
			}
			n = n.Content[i]
			fmt.Fprintf(&field, "[%d]", i)
		default:
			return n, field.String()
		}
	}
	return n, field.String()
}

func schemaMessage(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		return fmt.Sprintf("unknown field %s (expected a field of the format or a predicate of the vocabulary)", strings.Join(quoteAll(k.Properties), ", "))
	case *kind.Required:
		return fmt.Sprintf("missing %s", strings.Join(quoteAll(k.Missing), ", "))
	}
	return e.ErrorKind.LocalizedString(printer)
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strconv.Quote(v)
	}
	return out
}

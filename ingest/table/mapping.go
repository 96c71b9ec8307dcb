package table

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
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

// SchemaID is the $id of the mapping format's JSON Schema.
const SchemaID = "https://threatgraph.dev/schema/mapping-1.json"

// FormatVersion is the value the optional "format" field must have.
const FormatVersion = "threatgraph-mapping/1"

//go:embed mapping.schema.json
var schemaJSON []byte

// JSONSchema returns the JSON Schema (draft 2020-12) of the mapping format;
// docs/mapping.schema.json is this document (a test keeps them equal).
func JSONSchema() []byte { return slices.Clone(schemaJSON) }

// A Mapping says how to read an incident table: its delimiter and header,
// the dataset Source, the entities, facts and relations each row gives.
// It is read once (Parse) and used for any number of tables; a Mapping is
// not changed by use and may be shared.
type Mapping struct {
	name      string // the mapping file, for errors
	comma     rune
	header    bool
	columns   []string // given in the mapping
	latin1    bool
	either    bool // utf-8-or-latin1
	source    sourceSpec
	according *accordingSpec
	entities  []*entitySpec
	relations []*relationSpec
	refs      []colRef // every column the mapping names, by reference number
}

// Name returns the mapping's name (its file, or the shipped mapping's name).
func (m *Mapping) Name() string { return m.name }

// A colRef is a column the mapping names, where it names it.
type colRef struct {
	name  string
	line  int
	field string
}

type sourceSpec struct {
	id    string
	line  int
	facts [][3]string // predicate, value, field
}

type accordingSpec struct {
	column int
	split  string
	id     *template
	quote  *template // nil: the row as written
}

// A condition is a when (every test holds) or an unless (not every test
// holds) of the mapping.
type condition struct {
	tests []test
	not   bool
}

// A test holds when a column's cell is one of in.
type test struct {
	column int
	in     []string
}

func (c *condition) holds(r *row) bool {
	all := true
	for _, t := range c.tests {
		if !slices.Contains(t.in, r.cell(t.column)) {
			all = false
			break
		}
	}
	return all != c.not
}

// holdAll reports whether every condition holds for the row.
func holdAll(cs []condition, r *row) bool {
	for i := range cs {
		if !cs[i].holds(r) {
			return false
		}
	}
	return true
}

type entitySpec struct {
	as       string
	line     int
	kind     schema.Kind // fixed, or "" with kindCol
	kindCol  int
	kindMap  map[string]schema.Kind
	id       *template
	name     *template
	unknown  []string
	conds    []condition
	facts    []*factSpec
	kindLine int
	// own: the entity belongs to its row (the row's own entity, or one
	// whose id reads a column of the row's own id, as a claim about the
	// incident or its site): it is in the row's record and its facts are
	// the row's statement. Others (groups, places) are shared by rows.
	own bool
}

type factSpec struct {
	pred    *schema.Predicate
	field   string // the mapping's path, for internal errors
	line    int
	column  int // -1 when none
	tpl     *template
	value   string // constant
	values  map[string]string
	unknown []string
	upper   int
	words   *template
	of      string
	year    int
	month   int
	day     int
	text    int
	precCol int
	precMap map[string]string
	numeric string // "dmy", "mdy" or ""
	atLeast bool   // a count whose figure is a lower bound
	minYear int    // a date's years allowed (1-9999 unless the mapping narrows them)
	maxYear int
	conds   []condition
	// refLo, refHi: the mapping's references the fact reads, so that a
	// fact of a shared entity is stated once per distinct input
	refLo, refHi int
}

type relationSpec struct {
	from  *entitySpec
	to    []*entitySpec // the first present in the row
	pred  *schema.Predicate
	line  int
	conds []condition
}

var (
	compiled     *jsonschema.Schema
	compiledErr  error
	compiledOnce sync.Once
	printer      = message.NewPrinter(language.English)
)

func mappingSchema() (*jsonschema.Schema, error) {
	compiledOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			compiledErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(SchemaID, doc); err != nil {
			compiledErr = err
			return
		}
		compiled, compiledErr = c.Compile(SchemaID)
	})
	return compiled, compiledErr
}

// Parse reads a mapping file (YAML or JSON). Every problem is reported, as
// a schema.Errors of name:line: field: what (expected …).
func Parse(name string, data []byte) (*Mapping, error) {
	var errs schema.Errors
	root, err := readYAML(data)
	if err != nil {
		var le *lineError
		line := 0
		if errors.As(err, &le) {
			line = le.line
		}
		errs.Add(name, line, "", err)
		return nil, errs
	}
	sch, err := mappingSchema()
	if err != nil {
		return nil, fmt.Errorf("internal: compiling the mapping's JSON Schema: %v", err)
	}
	var pruned map[string]bool
	var relIdx []int
	if verr, ok := sch.Validate(plain(root, "")).(*jsonschema.ValidationError); ok && verr != nil {
		ptrs := schemaErrors(&errs, name, root, verr)
		// Check the rest of the mapping too, so that every problem is
		// reported at once: the entities, facts and relations the schema
		// refused are left out, and the rest is compiled (relations to an
		// entity left out are not checked).
		var rest *yaml.Node
		rest, pruned, relIdx = prune(root, ptrs)
		if rest == nil {
			return nil, errs
		}
		if v, ok := sch.Validate(plain(rest, "")).(*jsonschema.ValidationError); ok && v != nil {
			return nil, errs
		}
		root = rest
	}
	m := &Mapping{name: name, comma: ',', header: true}
	c := &compiler{m: m, errs: &errs, pruned: pruned, relIdx: relIdx}
	c.compile(root)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	if len(errs) > 0 {
		return nil, errs
	}
	return m, nil
}

// lineError is a problem at a line of the mapping.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }

func readYAML(data []byte) (*yaml.Node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &lineError{0, "empty mapping (expected a YAML mapping with source and entities, see docs/import.md)"}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a YAML mapping: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &lineError{extra.Line, "a second YAML document (expected one mapping per file)"}
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not a YAML mapping: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &lineError{doc.Line, "empty mapping (expected a YAML mapping with source and entities)"}
	}
	if err := checkShape(doc.Content[0], 0); err != nil {
		return nil, err
	}
	return doc.Content[0], nil
}

func checkShape(n *yaml.Node, depth int) error {
	if depth > 16 {
		return &lineError{n.Line, "nesting deeper than 16 levels (expected the mapping's few levels)"}
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

// plain turns the tree into the values a JSON Schema validates. Scalars
// are strings (a code 1 and "1" are the same code) except header's boolean.
func plain(n *yaml.Node, key string) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1], n.Content[i].Value)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = plain(c, "")
		}
		return s
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		if key == "header" || key == "atLeast" {
			b, _ := strconv.ParseBool(n.Value)
			return b
		}
	}
	return n.Value
}

func schemaErrors(errs *schema.Errors, name string, root *yaml.Node, verr *jsonschema.ValidationError) [][]string {
	var reported [][]string
	type leaf struct {
		ptr []string
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
	// Report the deepest problems: a oneOf's alternatives each fail, and
	// the one that went furthest names the mistake.
	byPtr := map[string][]string{}
	var order []string
	for _, l := range leaves {
		p := strings.Join(l.ptr, "/")
		if _, ok := byPtr[p]; !ok {
			order = append(order, p)
		}
		if !slices.Contains(byPtr[p], l.msg) {
			byPtr[p] = append(byPtr[p], l.msg)
		}
	}
	sort.Strings(order)
	for _, p := range order {
		deeper := false
		for _, q := range order {
			if q != p && strings.HasPrefix(q, p+"/") || (p == "" && q != "") {
				deeper = true
			}
		}
		if deeper {
			continue
		}
		var ptr []string
		if p != "" {
			ptr = strings.Split(p, "/")
		}
		reported = append(reported, ptr)
		node, field := locate(root, ptr)
		errs.Add(name, node.Line, field, fmt.Errorf("does not match the mapping's JSON Schema: %s", readable(node, byPtr[p])))
	}
	return reported
}

// expectPrefix marks a leaf's message that says what was expected, to be
// joined with the others at the same place: "got X (expected A, or B)".
const expectPrefix = "\x00"

// readable joins the problems at one place of the mapping: what is there
// and what each alternative of the schema expects there.
func readable(node *yaml.Node, msgs []string) string {
	var expect, other []string
	for _, m := range msgs {
		if e, ok := strings.CutPrefix(m, expectPrefix); ok {
			expect = append(expect, e)
		} else {
			other = append(other, m)
		}
	}
	if len(expect) > 0 {
		other = append([]string{fmt.Sprintf("got %s (expected %s)", describe(node), strings.Join(expect, "; or "))}, other...)
	}
	return strings.Join(other, "; or ")
}

// describe names a node of the mapping for an error: a scalar as written,
// a mapping or a list as such.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping of fields"
	case yaml.SequenceNode:
		return "a list"
	}
	if n.ShortTag() == "!!null" {
		return "nothing"
	}
	return strconv.Quote(n.Value)
}

// typeWords says a JSON Schema type in the mapping's (YAML's) words.
var typeWords = map[string]string{
	"object": "a mapping of fields (key: value)", "array": "a list", "string": "a text value",
	"boolean": "true or false", "null": "nothing", "number": "a number", "integer": "a whole number",
}

func schemaMessage(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		q := make([]string, len(k.Properties))
		for i, p := range k.Properties {
			q[i] = strconv.Quote(p)
		}
		return fmt.Sprintf("unknown field %s (expected a field of the mapping format, docs/import.md)", strings.Join(q, ", "))
	case *kind.Enum:
		q := make([]string, len(k.Want))
		for i, w := range k.Want {
			q[i] = fmt.Sprint(w)
			if q[i] == "" {
				q[i] = `""`
			}
		}
		return expectPrefix + "one of " + strings.Join(q, ", ")
	case *kind.Const:
		return expectPrefix + fmt.Sprintf("%v", k.Want)
	case *kind.Type:
		q := make([]string, len(k.Want))
		for i, w := range k.Want {
			q[i] = typeWords[w]
			if q[i] == "" {
				q[i] = w
			}
		}
		return expectPrefix + strings.Join(q, " or ")
	case *kind.Required:
		q := make([]string, len(k.Missing))
		for i, p := range k.Missing {
			q[i] = strconv.Quote(p)
		}
		return fmt.Sprintf("missing %s", strings.Join(q, ", "))
	}
	return e.ErrorKind.LocalizedString(printer)
}

// locate finds the node a JSON pointer names and its path as a field.
func locate(root *yaml.Node, ptr []string) (*yaml.Node, string) {
	n := root
	var field strings.Builder
	for _, tok := range ptr {
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

// compiler turns a valid mapping tree into a Mapping.
type compiler struct {
	m      *Mapping
	errs   *schema.Errors
	pruned map[string]bool // entities left out, the schema having refused them
	relIdx []int           // the relations' numbers in the file, when some were left out
}

// prune copies root without the entities, facts and relations at ptrs (the
// places the schema refused), and names the entities it left out; nil when
// a problem is elsewhere (the source, the mapping's own fields), where the
// rest cannot be read without it.
func prune(root *yaml.Node, ptrs [][]string) (*yaml.Node, map[string]bool, []int) {
	dropEntity, dropFact, dropRel := map[string]bool{}, map[[2]string]bool{}, map[string]bool{}
	for _, p := range ptrs {
		switch {
		case len(p) >= 4 && p[0] == "entities" && p[2] == "facts":
			dropFact[[2]string{p[1], p[3]}] = true
		case len(p) >= 2 && p[0] == "entities":
			dropEntity[p[1]] = true
		case len(p) >= 2 && p[0] == "relations":
			dropRel[p[1]] = true
		default:
			return nil, nil, nil
		}
	}
	out := *root
	out.Content = nil
	var relIdx []int
	for _, kv := range pairs(root) {
		v := kv[1]
		switch kv[0].Value {
		case "entities":
			ents := *v
			ents.Content = nil
			for _, e := range pairs(v) {
				if dropEntity[e[0].Value] {
					continue
				}
				en := *e[1]
				en.Content = nil
				for _, f := range pairs(e[1]) {
					fv := f[1]
					if f[0].Value == "facts" {
						facts := *fv
						facts.Content = nil
						for _, ff := range pairs(fv) {
							if !dropFact[[2]string{e[0].Value, ff[0].Value}] {
								facts.Content = append(facts.Content, ff[0], ff[1])
							}
						}
						fv = &facts
					}
					en.Content = append(en.Content, f[0], fv)
				}
				ents.Content = append(ents.Content, e[0], &en)
			}
			v = &ents
		case "relations":
			rels := *v
			rels.Content = nil
			for i, r := range v.Content {
				if !dropRel[strconv.Itoa(i)] {
					rels.Content = append(rels.Content, r)
					relIdx = append(relIdx, i)
				}
			}
			v = &rels
		}
		out.Content = append(out.Content, kv[0], v)
	}
	return &out, dropEntity, relIdx
}

func (c *compiler) errf(line int, field, format string, args ...any) {
	c.errs.Addf(c.m.name, line, field, format, args...)
}

// refer registers a column reference and returns its number.
func (c *compiler) refer(name string, line int, field string) int {
	c.m.refs = append(c.m.refs, colRef{name: name, line: line, field: field})
	return len(c.m.refs) - 1
}

func pairs(n *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

func get(n *yaml.Node, key string) *yaml.Node {
	for _, kv := range pairs(n) {
		if kv[0].Value == key {
			return kv[1]
		}
	}
	return nil
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func (c *compiler) template(n *yaml.Node, field string, special ...string) *template {
	if n == nil {
		return nil
	}
	t, err := parseTemplate(n.Value, n.Line, field, c.refer, special...)
	if err != nil {
		c.errs.Add(c.m.name, n.Line, field, err)
		return nil
	}
	return t
}

func (c *compiler) column(n *yaml.Node, field string) int {
	if n == nil {
		return -1
	}
	return c.refer(n.Value, n.Line, field)
}

func (c *compiler) condition(n *yaml.Node, field string, not bool) []condition {
	if n == nil {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	cond := condition{not: not}
	for i, it := range items {
		f := field
		if n.Kind == yaml.SequenceNode {
			f = fmt.Sprintf("%s[%d]", field, i)
		}
		t := test{column: c.column(get(it, "column"), f+".column")}
		for _, v := range get(it, "in").Content {
			t.in = append(t.in, v.Value)
		}
		cond.tests = append(cond.tests, t)
	}
	return []condition{cond}
}

func (c *compiler) compile(root *yaml.Node) {
	m := c.m
	if d := get(root, "delimiter"); d != nil {
		m.comma = map[string]rune{"comma": ',', "tab": '\t', "semicolon": ';', "pipe": '|'}[d.Value]
	}
	if h := get(root, "header"); h != nil {
		m.header, _ = strconv.ParseBool(h.Value)
	}
	if cols := get(root, "columns"); cols != nil {
		for _, v := range cols.Content {
			m.columns = append(m.columns, v.Value)
		}
	} else if !m.header {
		c.errf(root.Line, "columns", "missing (expected the column names in order, since header is false)")
	}
	if e := get(root, "encoding"); e != nil {
		m.latin1 = e.Value == "latin1"
		m.either = e.Value == "utf-8-or-latin1"
	}
	src := get(root, "source")
	m.source.id = get(src, "id").Value
	m.source.line = get(src, "id").Line
	for _, kv := range pairs(src) {
		k := kv[0].Value
		if k == "id" {
			continue
		}
		p := schema.Lookup(k)
		if p == nil || !p.Allows(schema.Source) {
			c.errf(kv[0].Line, "source."+k, "internal: %s is not an attribute of a Source", k)
			continue
		}
		if err := checkValue(p, kv[1].Value); err != nil {
			c.errs.Add(m.name, kv[1].Line, "source."+k, err)
		}
		m.source.facts = append(m.source.facts, [3]string{k, kv[1].Value, "source." + k})
	}
	if a := get(root, "according"); a != nil {
		as := &accordingSpec{column: c.column(get(a, "column"), "according.column")}
		if s := get(a, "split"); s != nil {
			as.split = s.Value
		}
		as.id = c.template(get(a, "id"), "according.id", "value")
		if q := get(a, "quote"); q != nil && q.Value != "row" {
			as.quote = c.template(q, "according.quote")
		}
		m.according = as
	}
	byName := map[string]*entitySpec{}
	for _, kv := range pairs(get(root, "entities")) {
		e := c.entity(kv[0].Value, kv[1])
		byName[e.as] = e
		m.entities = append(m.entities, e)
	}
	if len(m.entities) > 0 && m.entities[0].id != nil {
		first := map[string]bool{}
		for _, ref := range m.entities[0].id.columns() {
			first[m.refs[ref].name] = true
		}
		for i, e := range m.entities {
			e.own = i == 0
			if e.id != nil {
				for _, ref := range e.id.columns() {
					e.own = e.own || first[m.refs[ref].name]
				}
			}
		}
	}
	if rels := get(root, "relations"); rels != nil {
		for i, r := range rels.Content {
			if c.relIdx != nil {
				i = c.relIdx[i] // its number in the file
			}
			c.relation(i, r, byName)
		}
	}
	if len(m.columns) > 0 {
		for _, ref := range m.refs {
			if !slices.Contains(m.columns, ref.name) {
				c.errf(ref.line, ref.field, "unknown column %q (expected one of the mapping's columns%s)", ref.name, suggest(ref.name, m.columns))
			}
		}
	}
}

// kindPrefix is the id prefix each kind is written with ({kind}).
var kindPrefix = map[schema.Kind]string{
	schema.Group: "group", schema.Person: "person", schema.Organization: "org", schema.Location: "place",
	schema.Attack: "attack", schema.Warning: "warning", schema.Claim: "claim", schema.Source: "source",
}

func (c *compiler) entity(as string, n *yaml.Node) *entitySpec {
	field := "entities." + as
	e := &entitySpec{as: as, line: n.Line, kindCol: -1}
	k := get(n, "kind")
	e.kindLine = k.Line
	if k.Kind == yaml.ScalarNode {
		e.kind, _ = schema.ParseKind(k.Value)
	} else {
		e.kindCol = c.column(get(k, "column"), field+".kind.column")
		e.kindMap = map[string]schema.Kind{}
		for _, kv := range pairs(get(k, "values")) {
			kk, _ := schema.ParseKind(kv[1].Value)
			e.kindMap[kv[0].Value] = kk
		}
	}
	e.id = c.template(get(n, "id"), field+".id", "kind")
	if e.id != nil && len(e.id.columns()) == 0 {
		c.errf(e.id.line, field+".id", "template %q names no column (expected an id made of the row's columns, such as attack:gtd-{eventid})", e.id.src)
	}
	e.name = c.template(get(n, "name"), field+".name")
	if u := get(n, "unknown"); u != nil {
		for _, v := range u.Content {
			e.unknown = append(e.unknown, v.Value)
		}
	}
	e.conds = append(c.condition(get(n, "when"), field+".when", false), c.condition(get(n, "unless"), field+".unless", true)...)
	for _, kv := range pairs(get(n, "facts")) {
		ff := field + ".facts." + kv[0].Value
		p := schema.Lookup(kv[0].Value)
		if p == nil || p.Derived {
			c.errf(kv[0].Line, ff, "unknown predicate %q (expected a predicate of the vocabulary, docs/format.md)", kv[0].Value)
			continue
		}
		if p.Name == schema.NamePred {
			c.errf(kv[0].Line, ff, "name is the entity's own field (expected name: beside id, not in facts)")
			continue
		}
		if e.kind != "" && !p.Allows(e.kind) {
			c.errf(kv[0].Line, ff, "%s does not apply to a %s (expected on %s)", p.Name, e.kind, schema.JoinKinds(p.Domain, " or "))
			continue
		}
		items := []*yaml.Node{kv[1]}
		if kv[1].Kind == yaml.SequenceNode {
			if !p.Multi {
				c.errf(kv[1].Line, ff, "a list for single-valued %s (expected one fact)", p.Name)
				continue
			}
			items = kv[1].Content
		}
		for i, it := range items {
			f := ff
			if len(items) > 1 || kv[1].Kind == yaml.SequenceNode {
				f = fmt.Sprintf("%s[%d]", ff, i)
			}
			if fs := c.fact(p, it, f); fs != nil {
				e.facts = append(e.facts, fs)
			}
		}
	}
	return e
}

func (c *compiler) fact(p *schema.Predicate, n *yaml.Node, field string) *factSpec {
	f := &factSpec{pred: p, field: field, line: n.Line, column: -1, upper: -1, year: -1, month: -1, day: -1, text: -1, precCol: -1, minYear: 1, maxYear: 9999}
	f.refLo = len(c.m.refs)
	defer func() { f.refHi = len(c.m.refs) }()
	if n.Kind == yaml.ScalarNode {
		f.tpl = c.template(n, field)
		return f
	}
	f.column = c.column(get(n, "column"), field+".column")
	f.tpl = c.template(get(n, "template"), field+".template")
	if v := get(n, "constant"); v != nil {
		f.value = v.Value
		if err := checkValue(p, v.Value); err != nil {
			c.errs.Add(c.m.name, v.Line, field+".constant", err)
		}
	}
	if vs := get(n, "values"); vs != nil {
		f.values = map[string]string{}
		for _, kv := range pairs(vs) {
			f.values[kv[0].Value] = kv[1].Value
			if kv[1].Value == "" {
				continue
			}
			if err := checkValue(p, kv[1].Value); err != nil {
				c.errs.Add(c.m.name, kv[1].Line, field+".values."+kv[0].Value, err)
			}
		}
	}
	if u := get(n, "unknown"); u != nil {
		for _, v := range u.Content {
			f.unknown = append(f.unknown, v.Value)
		}
	}
	f.upper = c.column(get(n, "upper"), field+".upper")
	f.words = c.template(get(n, "words"), field+".words", "value")
	if o := get(n, "of"); o != nil {
		f.of = o.Value
	}
	f.year = c.column(get(n, "year"), field+".year")
	f.month = c.column(get(n, "month"), field+".month")
	f.day = c.column(get(n, "day"), field+".day")
	f.text = c.column(get(n, "text"), field+".text")
	if a := get(n, "atLeast"); a != nil {
		f.atLeast, _ = strconv.ParseBool(a.Value)
	}
	for key, dst := range map[string]*int{"minYear": &f.minYear, "maxYear": &f.maxYear} {
		if v := get(n, key); v != nil {
			*dst, _ = strconv.Atoi(v.Value)
		}
	}
	if f.minYear > f.maxYear {
		c.errf(n.Line, join(field, "minYear"), "minYear %d is after maxYear %d (expected minYear <= maxYear)", f.minYear, f.maxYear)
	}
	if nu := get(n, "numeric"); nu != nil {
		f.numeric = nu.Value
	}
	if pr := get(n, "precision"); pr != nil {
		f.precCol = c.column(get(pr, "column"), field+".precision.column")
		f.precMap = map[string]string{}
		for _, kv := range pairs(get(pr, "values")) {
			f.precMap[kv[0].Value] = kv[1].Value
		}
	}
	f.conds = append(c.condition(get(n, "when"), field+".when", false), c.condition(get(n, "unless"), field+".unless", true)...)
	countOnly := map[string]bool{"upper": true, "words": true, "of": true, "atLeast": true}
	dateOnly := map[string]bool{"year": true, "month": true, "day": true, "text": true, "precision": true, "numeric": true, "minYear": true, "maxYear": true}
	for _, kv := range pairs(n) {
		k := kv[0].Value
		switch {
		case countOnly[k] && p.Type != schema.Count:
			c.errf(kv[0].Line, join(field, k), "%s is for a count (expected it only on killed, wounded and the other counts; %s is a %s)", k, p.Name, p.Type)
		case dateOnly[k] && p.Type != schema.Date:
			c.errf(kv[0].Line, join(field, k), "%s is for a date (expected it only on date, endDate and the other dates; %s is a %s)", k, p.Name, p.Type)
		case (k == "precision" || k == "numeric") && f.column < 0:
			c.errf(kv[0].Line, join(field, k), "%s needs the date's column (expected column: beside it)", k)
		case (k == "month" || k == "day" || k == "text") && f.year < 0:
			c.errf(kv[0].Line, join(field, k), "%s needs year (expected a date from year, month and day columns)", k)
		case k == "values" && f.column < 0:
			c.errf(kv[0].Line, join(field, k), "values needs a column (expected column: whose codes they map)")
		case k == "upper" && f.atLeast:
			c.errf(kv[0].Line, join(field, k), "upper beside atLeast (expected one: an upper bound column, or atLeast for a figure that is a lower bound)")
		case k == "upper" && f.column < 0:
			c.errf(kv[0].Line, join(field, k), "upper needs column, the lower bound")
		}
	}
	if f.words != nil && (len(f.words.parts) == 0 || f.words.parts[0].ref != refValue) {
		c.errf(f.words.line, f.words.field, "words %q must begin with {value}, the figure (expected such as \"{value} fatalities (ACLED estimate)\")", f.words.src)
	}
	return f
}

func (c *compiler) relation(i int, n *yaml.Node, byName map[string]*entitySpec) {
	field := fmt.Sprintf("relations[%d]", i)
	r := &relationSpec{line: n.Line}
	ok := true
	end := func(v *yaml.Node, f string) *entitySpec {
		e := byName[v.Value]
		if e == nil && c.pruned[v.Value] {
			ok = false // its problem is reported already
			return nil
		}
		if e == nil {
			names := make([]string, 0, len(byName))
			for k := range byName {
				names = append(names, k)
			}
			for k := range c.pruned {
				names = append(names, k)
			}
			sort.Strings(names)
			c.errf(v.Line, f, "unknown entity %q (expected one of the mapping's entities: %s)", v.Value, strings.Join(names, ", "))
			ok = false
		}
		return e
	}
	r.from = end(get(n, "from"), field+".from")
	if to := get(n, "to"); to.Kind == yaml.SequenceNode {
		for i, v := range to.Content {
			r.to = append(r.to, end(v, fmt.Sprintf("%s.to[%d]", field, i)))
		}
	} else {
		r.to = append(r.to, end(to, field+".to"))
	}
	pv := get(n, "pred")
	r.pred = schema.Lookup(pv.Value)
	switch {
	case r.pred == nil || r.pred.Derived:
		c.errf(pv.Line, field+".pred", "unknown predicate %q (expected a relation of the vocabulary such as perpetratedBy, target, locatedIn, partOf)", pv.Value)
		ok = false
	case !r.pred.Relation():
		c.errf(pv.Line, field+".pred", "%s is a %s, not a relation (expected a relation between two entities; a value goes in the entity's facts)", r.pred.Name, r.pred.Type)
		ok = false
	}
	if !ok {
		return
	}
	if r.from.kind != "" && !r.pred.Allows(r.from.kind) {
		c.errf(pv.Line, field+".pred", "%s does not apply to a %s (expected from %s)", r.pred.Name, r.from.kind, schema.JoinKinds(r.pred.Domain, " or "))
	}
	for _, to := range r.to {
		if to.kind != "" && !r.pred.Accepts(to.kind) {
			c.errf(pv.Line, field+".to", "%s is a %s (expected %s)", to.as, to.kind, schema.JoinKinds(r.pred.Range, " or "))
		}
	}
	r.conds = append(c.condition(get(n, "when"), field+".when", false), c.condition(get(n, "unless"), field+".unless", true)...)
	c.m.relations = append(c.m.relations, r)
}

// checkValue checks a constant of the mapping for predicate p.
func checkValue(p *schema.Predicate, v string) error {
	switch p.Type {
	case schema.Enum:
		if !slices.Contains(p.Enum, v) {
			return fmt.Errorf("%q is not a %s (expected one of %s)", v, p.Name, strings.Join(p.Enum, ", "))
		}
	case schema.Date:
		if _, err := schema.ParseDate(v); err != nil {
			return err
		}
	case schema.Count:
		if _, err := schema.ParseQuantity(v); err != nil {
			return err
		}
	case schema.Float:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
	case schema.Entity:
		return schema.CheckID(v)
	}
	if p.OneLine {
		return schema.CheckText(v)
	}
	return nil
}

// suggest names the closest of names to s, for an error message.
func suggest(s string, names []string) string {
	best, bestD := "", 4
	prefix := func(a, b string) int {
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		return i
	}
	ls := strings.ToLower(s)
	for _, n := range names {
		ln := strings.ToLower(n)
		d := editDistance(ls, ln)
		if d < bestD || d == bestD && best != "" && prefix(ls, ln) > prefix(ls, strings.ToLower(best)) {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

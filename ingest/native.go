package ingest

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"
	"gopkg.in/yaml.v3"

	"github.com/threatgraph/threatgraph/schema"
)

// A Record is one entity of a native file (or one line of an N-Quads file):
// the unit that --skip-invalid keeps or rejects.
type Record struct {
	File    string
	Line    int
	Where   string // "entities[3] group:isis-k", "line 12"
	Quads   []quad.Quad
	Defines []Def // entities the record declares (id and kind)
	Refs    []Ref // entities the record's relations point at
	Errs    schema.Errors
	Raw     string    // the input as written, kept for a rejected record where the importer gives it (a table's row)
	ptr     string    // JSON pointer of the record in the file, for schema errors
	attrs   []attr    // single-valued attributes, for the consistency of sources
	names   []nameKey // names and aliases with their lookup keys
}

// An attr is one single-valued attribute that a record states about subj.
type attr struct {
	subj  string
	pred  *schema.Predicate
	val   quad.Value
	line  int
	field string
}

// A nameKey is one name or alias that a record gives subj, with its key.
type nameKey struct {
	subj, text, key string
	line            int
	field           string
}

// A Def is an entity id declared with its kind.
type Def struct {
	ID   string
	Kind schema.Kind
	Line int
}

// A Ref is a relation's object: an entity id that must exist.
type Ref struct {
	ID    string
	Line  int
	Field string
	Pred  *schema.Predicate
	// subj is the subject of the relation Pred (for cycles); with domain
	// set, ID is itself that subject and must be of a kind in Pred's domain
	// (N-Quads, where kinds are known only after reading every file).
	subj   string
	domain bool
	// stmt: ID is a statement label (a judged statement, a judgement's
	// evidence) that must be in the load or in the store.
	stmt bool
	// identity: ID is one of an identity's two ids, and this is the other;
	// both must be entities (not Sources) of one kind.
	identity string
}

// Value types of literals that threatgraph writes.
const DateType = quad.IRI("tg:date")

// decoder turns one native file's node tree into records.
type decoder struct {
	file    string
	source  string // the file's default source
	records []*Record
	fileErr schema.Errors // problems outside any record
}

func (d *decoder) decode(root *yaml.Node) {
	if root.Kind != yaml.MappingNode {
		d.fileErr.Addf(d.file, root.Line, "", "top level is a %s (expected a mapping with sources and entities)", nodeKind(root))
		return
	}
	var sources, entities, judgements, identities *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "format":
			if v.Value != schema.FormatVersion {
				d.fileErr.Addf(d.file, v.Line, "format", "%q is not a known format (expected %q)", v.Value, schema.FormatVersion)
			}
		case "source":
			if err := checkIDNode(v); err != nil {
				d.fileErr.Add(d.file, v.Line, "source", err)
			} else {
				d.source = v.Value
			}
		case "sources":
			sources = v
		case "entities":
			entities = v
		case "judgements":
			judgements = v
		case "identities":
			identities = v
		default:
			d.fileErr.Addf(d.file, k.Line, k.Value, "unknown top-level field (expected format, source, sources, entities, judgements or identities)")
		}
	}
	if sources == nil && entities == nil && judgements == nil && identities == nil {
		d.fileErr.Addf(d.file, root.Line, "", "no sources, entities, judgements or identities (expected at least one of them)")
	}
	if identities != nil {
		if identities.Kind != yaml.SequenceNode {
			d.fileErr.Addf(d.file, identities.Line, "identities", "is a %s (expected a list)", nodeKind(identities))
		} else {
			for i, item := range identities.Content {
				d.identity(i, item)
			}
		}
	}
	for _, list := range []struct {
		name string
		node *yaml.Node
	}{{"sources", sources}, {"entities", entities}} {
		if list.node == nil {
			continue
		}
		if list.node.Kind != yaml.SequenceNode {
			d.fileErr.Addf(d.file, list.node.Line, list.name, "is a %s (expected a list)", nodeKind(list.node))
			continue
		}
		for i, item := range list.node.Content {
			d.entity(list.name, i, item)
		}
	}
	if judgements != nil {
		if judgements.Kind != yaml.SequenceNode {
			d.fileErr.Addf(d.file, judgements.Line, "judgements", "is a %s (expected a list)", nodeKind(judgements))
			return
		}
		for i, item := range judgements.Content {
			d.judgement(i, item)
		}
	}
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	if n.ShortTag() == "!!null" {
		return "null"
	}
	return "scalar"
}

func checkIDNode(v *yaml.Node) error {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		return fmt.Errorf("is a %s (expected an id such as group:isis-k)", nodeKind(v))
	}
	return schema.CheckID(v.Value)
}

// factGroup is the set of facts that one source states with one quote.
type factGroup struct {
	source, quote string
	line          int
	field         string
	preds         [][2]*yaml.Node // key, value
	negated       bool            // negated: true, the source states the facts do not hold
	according     *yaml.Node      // whom the source attributes the statement to, if anyone
}

func (d *decoder) entity(list string, idx int, n *yaml.Node) {
	where := fmt.Sprintf("%s[%d]", list, idx)
	rec := &Record{File: d.file, Line: n.Line, Where: where, ptr: "/" + list + "/" + strconv.Itoa(idx)}
	d.records = append(d.records, rec)
	if n.Kind != yaml.MappingNode {
		rec.Errs.Addf(d.file, n.Line, where, "is a %s (expected a mapping with id and kind)", nodeKind(n))
		return
	}
	d.duplicateKeys(rec, where, n)
	var id string
	var kind schema.Kind
	top := &factGroup{line: n.Line, field: where}
	var facts *yaml.Node
	kindLine, kindSeen := n.Line, false
	if list == "sources" {
		kind, kindSeen = schema.Source, true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := where + "." + k.Value
		switch k.Value {
		case "id":
			if err := checkIDNode(v); err != nil {
				rec.Errs.Add(d.file, v.Line, field, err)
				continue
			}
			id = v.Value
			if !kindSeen || list == "sources" {
				kindLine = v.Line
			}
		case "kind":
			kk, ok := schema.ParseKind(v.Value)
			if !ok || v.Kind != yaml.ScalarNode {
				rec.Errs.Add(d.file, v.Line, field, fmt.Errorf("%w %q (expected one of %s)", schema.ErrUnknownKind, v.Value, schema.JoinKinds(schema.Kinds, ", ")))
				continue
			}
			if list == "sources" && kk != schema.Source {
				rec.Errs.Addf(d.file, v.Line, field, "%s in sources (expected Source, or move it to entities)", kk)
				continue
			}
			kind, kindSeen, kindLine = kk, true, v.Line
		case "source":
			if err := checkIDNode(v); err != nil {
				rec.Errs.Add(d.file, v.Line, field, err)
				continue
			}
			top.source, top.line = v.Value, v.Line
		case "quote":
			q, err := quoteOf(v)
			if err != nil {
				rec.Errs.Add(d.file, v.Line, field, err)
				continue
			}
			top.quote = q
		case "according":
			if list == "sources" {
				rec.Errs.Addf(d.file, k.Line, field, "a source's attributes are its own statements (expected according: on the fact groups of an entity)")
				continue
			}
			top.according = v
		case "facts":
			if list == "sources" {
				rec.Errs.Addf(d.file, k.Line, field, "a source cannot carry facts groups (its attributes are its own statements)")
				continue
			}
			facts = v
		default:
			top.preds = append(top.preds, [2]*yaml.Node{k, v})
		}
	}
	if id == "" {
		if !hasKey(n, "id") {
			rec.Errs.Addf(d.file, n.Line, where, "missing id (expected an id such as group:isis-k)")
		}
		return
	}
	rec.Where = where + " " + id
	if !kindSeen {
		if !hasKey(n, "kind") {
			rec.Errs.Addf(d.file, n.Line, where, "missing kind (expected one of %s)", schema.JoinKinds(schema.Kinds, ", "))
		}
		return
	}
	rec.Defines = append(rec.Defines, Def{ID: id, Kind: kind, Line: kindLine})
	if kind == schema.Source {
		top.source = id // a source's attributes are its own statements
	}
	if top.source == "" {
		top.source = d.source
	}
	groups := []*factGroup{top}
	if facts != nil {
		if facts.Kind != yaml.SequenceNode {
			rec.Errs.Addf(d.file, facts.Line, where+".facts", "is a %s (expected a list of fact groups)", nodeKind(facts))
		} else {
			for j, g := range facts.Content {
				fg := d.factGroup(rec, fmt.Sprintf("%s.facts[%d]", where, j), g, top.source)
				if fg != nil {
					groups = append(groups, fg)
				}
			}
		}
	}
	// The kind is stated by the entity's own source, or else by the first
	// source that says anything about it.
	typeSource := top.source
	for _, g := range groups[1:] {
		if typeSource == "" {
			typeSource = g.source
		}
	}
	if typeSource == "" {
		rec.Errs.Addf(d.file, n.Line, where, "no source for %s (expected source: on the entity, in its facts, or at the top of the file)", id)
		return
	}
	typeLabel := schema.StatementLabel(typeSource, "")
	if top.source != "" {
		typeLabel = schema.StatementLabel(top.source, top.quote)
	}
	rec.Quads = append(rec.Quads, quad.Make(quad.IRI(id), quad.IRI(schema.TypeIRI), quad.IRI(kind.IRI()), quad.IRI(typeLabel)))
	if top.source != "" {
		rec.addRef(top.source, top.line, where+".source")
	} else if len(top.preds) > 0 {
		rec.Errs.Addf(d.file, top.preds[0][0].Line, where, "facts on the entity itself but no source (expected source: on the entity or at the top of the file)")
		return
	}
	for _, g := range groups {
		d.emit(rec, id, kind, g)
	}
}

// duplicateKeys reports every key that appears twice in a mapping: YAML
// and JSON parsers silently keep the last, which would drop a fact.
func (d *decoder) duplicateKeys(rec *Record, where string, n *yaml.Node) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if first, ok := seen[k.Value]; ok {
			rec.Errs.Addf(d.file, k.Line, where+"."+k.Value, "duplicate field (first at line %d; expected each field once: use a list for several values)", first)
			continue
		}
		seen[k.Value] = k.Line
	}
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func quoteOf(v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || strings.TrimSpace(v.Value) == "" {
		return "", fmt.Errorf("is a %s (expected the exact words of the source, a non-empty string)", nodeKind(v))
	}
	return v.Value, nil
}

// factGroup reads one item of facts; its source defaults to the entity's.
func (d *decoder) factGroup(rec *Record, where string, n *yaml.Node, source string) *factGroup {
	if n.Kind != yaml.MappingNode {
		rec.Errs.Addf(d.file, n.Line, where, "is a %s (expected a mapping with source, quote and predicates)", nodeKind(n))
		return nil
	}
	d.duplicateKeys(rec, where, n)
	g := &factGroup{line: n.Line, field: where, source: source}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "source":
			if err := checkIDNode(v); err != nil {
				rec.Errs.Add(d.file, v.Line, where+".source", err)
				return nil
			}
			g.source, g.line = v.Value, v.Line
		case "quote":
			q, err := quoteOf(v)
			if err != nil {
				rec.Errs.Add(d.file, v.Line, where+".quote", err)
				return nil
			}
			g.quote = q
		case "according":
			g.according = v
		case "note":
		case "negated":
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
				rec.Errs.Addf(d.file, v.Line, where+".negated", "is a %s (expected true or false)", nodeKind(v))
				return nil
			}
			g.negated = v.Value == "true"
		default:
			g.preds = append(g.preds, [2]*yaml.Node{k, v})
		}
	}
	if g.source == "" {
		rec.Errs.Addf(d.file, n.Line, where, "no source (expected source: in the group, on the entity or at the top of the file)")
		return nil
	}
	if len(g.preds) == 0 {
		rec.Errs.Addf(d.file, n.Line, where, "no facts (expected at least one predicate besides source and quote)")
		return nil
	}
	rec.addRef(g.source, g.line, where+".source")
	return g
}

func (r *Record) addRef(id string, line int, field string) {
	r.Refs = append(r.Refs, Ref{ID: id, Line: line, Field: field})
}

// emit validates a fact group's predicates and appends their quads.
func (d *decoder) emit(rec *Record, id string, kind schema.Kind, g *factGroup) {
	label := quad.IRI(schema.StatementLabel(g.source, g.quote))
	subj := quad.IRI(id)
	if g.quote != "" && len(g.preds) > 0 {
		src := quad.IRI(g.source)
		rec.Quads = append(rec.Quads,
			quad.Make(label, quad.IRI(schema.StatedInIRI), src, src),
			quad.Make(label, quad.IRI(schema.QuoteIRI), quad.String(g.quote), src))
	}
	if g.according != nil {
		d.according(rec, kind, g, label)
	}
	for _, kv := range g.preds {
		k, v := kv[0], kv[1]
		field := g.field + "." + k.Value
		p := schema.Lookup(k.Value)
		if p == nil || p.Derived {
			rec.Errs.Add(d.file, k.Line, field, fmt.Errorf("%w %q%s (expected a predicate of the vocabulary, see docs/format.md)", schema.ErrUnknownPredicate, k.Value, suggest(k.Value)))
			continue
		}
		if !p.Allows(kind) {
			rec.Errs.Addf(d.file, k.Line, field, "%s does not apply to a %s (expected on %s)", p.Name, kind, schema.JoinKinds(p.Domain, " or "))
			continue
		}
		stored := p // the predicate of the quads: p, or its negation
		if g.negated {
			if stored = p.Negation(); stored == nil {
				rec.Errs.Addf(d.file, k.Line, field, "%s in a negated group (expected a multi-valued relation, such as perpetratedBy or affiliateOf)", p.Name)
				continue
			}
		}
		values := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			if !p.Multi {
				rec.Errs.Addf(d.file, v.Line, field, "a list for single-valued %s (expected one value; a second source gets its own fact group)", p.Name)
				continue
			}
			if len(v.Content) == 0 {
				rec.Errs.Addf(d.file, v.Line, field, "an empty list (expected at least one value)")
				continue
			}
			values = v.Content
		}
		for _, val := range values {
			obj, text, err := value(p, val)
			if err != nil {
				rec.Errs.Add(d.file, val.Line, field, fmt.Errorf("%w: %w", schema.ErrBadValue, err))
				continue
			}
			if p.NoSelf() && obj == quad.Value(subj) {
				rec.Errs.Add(d.file, val.Line, field, fmt.Errorf("%w: %s %s itself (expected another entity)", schema.ErrBadValue, id, p.Name))
				continue
			}
			pred := quad.IRI(stored.IRI())
			rec.Quads = append(rec.Quads, quad.Make(subj, pred, obj, label))
			if !p.Multi && kind == schema.Source {
				rec.attrs = append(rec.attrs, attr{subj: id, pred: p, val: obj, line: val.Line, field: field})
			}
			switch {
			case p.Type == schema.Entity:
				rec.Refs = append(rec.Refs, Ref{ID: string(obj.(quad.IRI)), Line: val.Line, Field: field, Pred: stored, subj: id})
			case p.Type == schema.Date && text != "":
				rec.Quads = append(rec.Quads, quad.Make(subj, quad.IRI(p.IRI()+"Text"), quad.String(text), label))
			case p.Name == schema.NamePred || p.Name == schema.AliasPred:
				key := schema.NameKey(val.Value)
				rec.Quads = append(rec.Quads, quad.Make(subj, quad.IRI(schema.KeyIRI), quad.String(key), label))
				rec.names = append(rec.names, nameKey{subj: id, text: val.Value, key: key, line: val.Line, field: field})
			}
		}
	}
}

// suggest names the closest predicate to a misspelt one.
func suggest(name string) string {
	best, bestD := "", 3
	for _, p := range schema.Predicates() {
		if p.Derived {
			continue
		}
		if d := editDistance(strings.ToLower(name), strings.ToLower(p.Name)); d < bestD {
			best, bestD = p.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

// countValue is the stored object of a count: a plain integer when exact
// and of everyone, else a CountType literal.
func countValue(q schema.Quantity) quad.Value {
	if q.Plain() {
		return quad.Int(q.Lower)
	}
	return quad.TypedString{Value: quad.String(q.Lexical()), Type: schema.CountType}
}

// countMapping reads a count written as {text, value, of}: text is the
// words as the source wrote them, beginning with the figure ("as many as
// 170 civilians"); value, optional, is that figure alone in a form
// ParseQuantity reads and must say what the words say; of says whom it
// counts.
func countMapping(v *yaml.Node) (schema.Quantity, error) {
	var text, val, of string
	seen := map[string]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, x := v.Content[i], v.Content[i+1]
		if x.Kind != yaml.ScalarNode {
			return schema.Quantity{}, fmt.Errorf("%s in a count is a %s (expected text)", k.Value, nodeKind(x))
		}
		if seen[k.Value] {
			return schema.Quantity{}, fmt.Errorf("%s twice in a count (expected text, value and of once each)", k.Value)
		}
		seen[k.Value] = true
		switch k.Value {
		case "text":
			text = x.Value
		case "value":
			val = x.Value
		case "of":
			of = x.Value
		default:
			return schema.Quantity{}, fmt.Errorf("unknown key %q in a count (expected text, value and of)", k.Value)
		}
	}
	if strings.TrimSpace(text) == "" {
		return schema.Quantity{}, fmt.Errorf(`a count mapping needs text, the words as written (expected {text: "as many as 170 civilians", of: civilians})`)
	}
	if err := schema.CheckText(text); err != nil {
		return schema.Quantity{}, fmt.Errorf("count text: %w", err)
	}
	q, err := schema.QuantityIn(text)
	if val != "" {
		q, err = schema.ParseQuantity(val)
	}
	if err != nil {
		return schema.Quantity{}, err
	}
	q.Text = text
	if err := q.CheckWords(); err != nil {
		return schema.Quantity{}, fmt.Errorf("value %q: %w (expected the figure the text begins with)", val, err)
	}
	return q.WithOf(strings.TrimSpace(of))
}

// value converts one scalar node to the quad value of predicate p. For
// dates it also returns the text as written, when that is not canonical.
func value(p *schema.Predicate, v *yaml.Node) (quad.Value, string, error) {
	if p.Type == schema.Date && v.Kind == yaml.MappingNode {
		var text, val string
		for i := 0; i+1 < len(v.Content); i += 2 {
			switch v.Content[i].Value {
			case "text":
				text = v.Content[i+1].Value
			case "value":
				val = v.Content[i+1].Value
			default:
				return nil, "", fmt.Errorf("unknown key %q in a date (expected text and value)", v.Content[i].Value)
			}
		}
		if text == "" || val == "" {
			return nil, "", fmt.Errorf("a date mapping needs both text and value (expected {text: \"early March\", value: 2024-03-01/2024-03-10})")
		}
		iv, err := schema.ParseDate(val)
		if err != nil {
			return nil, "", err
		}
		return quad.TypedString{Value: quad.String(iv.String()), Type: DateType}, text, nil
	}
	if p.Type == schema.Count && v.Kind == yaml.MappingNode {
		q, err := countMapping(v)
		if err != nil {
			return nil, "", err
		}
		return countValue(q), "", nil
	}
	if v.Kind != yaml.ScalarNode {
		return nil, "", fmt.Errorf("a %s (expected %s)", nodeKind(v), p.Type)
	}
	tag, s := v.ShortTag(), v.Value
	if tag == "!!null" {
		return nil, "", fmt.Errorf("empty value (expected %s)", p.Type)
	}
	switch p.Type {
	case schema.Entity:
		if tag != "!!str" {
			return nil, "", fmt.Errorf("%q is not an id (expected an entity id such as group:isis-k)", s)
		}
		if err := schema.CheckID(s); err != nil {
			return nil, "", err
		}
		return quad.IRI(s), "", nil
	case schema.String:
		if strings.TrimSpace(s) == "" {
			return nil, "", fmt.Errorf("empty string (expected text)")
		}
		if p.OneLine {
			if err := schema.CheckText(s); err != nil {
				return nil, "", err
			}
		}
		return quad.String(s), "", nil
	case schema.Count:
		if tag == "!!str" {
			q, err := schema.ParseQuantity(s)
			if err != nil {
				return nil, "", err
			}
			return countValue(q), "", nil
		}
		if tag != "!!int" && tag != "!!float" {
			return nil, "", fmt.Errorf("%q is not a count (expected a whole number such as 137, or the words as written: %s)", s, schema.QuantityForms)
		}
		// yaml.v3 tags 0x89, 0o17, 1_000 and +5 as integers, and integers
		// beyond int64 as floats: read the text as written.
		n, err := schema.ParseCount(s)
		if err != nil {
			return nil, "", err
		}
		return quad.Int(n), "", nil
	case schema.Float:
		if tag != "!!int" && tag != "!!float" {
			return nil, "", fmt.Errorf("%q is not a number (expected %s)", s, p.Type)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, "", fmt.Errorf("%q is not a finite number", s)
		}
		if p.Min != p.Max && (f < p.Min || f > p.Max) {
			return nil, "", fmt.Errorf("%v is out of range (expected %v to %v)", f, p.Min, p.Max)
		}
		return quad.Float(f), "", nil
	case schema.Date:
		if tag != "!!str" && tag != "!!int" && tag != "!!timestamp" {
			return nil, "", fmt.Errorf("%q is not a date (expected YYYY, YYYY-MM, YYYY-MM-DD or a written date)", s)
		}
		iv, err := schema.ParseDate(s)
		if err != nil {
			return nil, "", err
		}
		return quad.TypedString{Value: quad.String(iv.String()), Type: DateType}, iv.Text, nil
	case schema.Bool:
		if tag != "!!bool" {
			return nil, "", fmt.Errorf("%q is not a boolean (expected true or false)", s)
		}
		return quad.Bool(s == "true"), "", nil
	case schema.Enum:
		for _, e := range p.Enum {
			if s == e {
				return quad.String(s), "", nil
			}
		}
		return nil, "", fmt.Errorf("%q is not allowed (expected one of %s)", s, strings.Join(p.Enum, ", "))
	case schema.URL:
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, "", fmt.Errorf("%q is not an http(s) URL", s)
		}
		return quad.String(s), "", nil
	}
	return nil, "", fmt.Errorf("unsupported type %v", p.Type)
}

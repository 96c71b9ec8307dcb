package schema

import (
	"bytes"
	"encoding/json"
)

// SchemaID is the $id of the native format's JSON Schema.
const SchemaID = "https://threatgraph.dev/schema/format-1.json"

// FormatVersion is the value the optional "format" field must have.
const FormatVersion = "threatgraph/1"

// JSONSchema returns the JSON Schema (draft 2020-12) of the native format,
// generated from the vocabulary. docs/format.schema.json is this document;
// a test keeps the two equal.
func JSONSchema() []byte {
	idPattern := `^[^:\s<>"{}|\\^#]+:[^\s<>"{}|\\^#]+$`
	id := map[string]any{"type": "string", "pattern": idPattern}
	preds := map[string]any{}
	for _, p := range Predicates() {
		if p.Derived {
			continue
		}
		v := valueSchema(p, id)
		if p.Multi {
			v = map[string]any{"anyOf": []any{v, map[string]any{"type": "array", "items": v, "minItems": 1}}}
		}
		v["description"] = p.Doc
		preds[p.Name] = v
	}
	kinds := make([]any, len(Kinds))
	for i, k := range Kinds {
		kinds[i] = string(k)
	}
	with := func(extra map[string]any) map[string]any {
		props := map[string]any{}
		for k, v := range preds {
			props[k] = v
		}
		for k, v := range extra {
			props[k] = v
		}
		return props
	}
	quote := map[string]any{"type": "string", "minLength": 1, "description": "shortest exact words of the source that support the facts"}
	according := map[string]any{"anyOf": []any{id, map[string]any{"type": "array", "items": id, "minItems": 1}},
		"description": "reported speech: whom the source attributes the statement to (needs a quote)"}
	// statement names a source's statement by its source and quote.
	statement := func(required ...any) map[string]any {
		return map[string]any{"type": "object", "additionalProperties": false, "required": required,
			"properties": map[string]any{"source": id, "quote": quote}}
	}
	factGroup := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"minProperties":        1,
		"properties": with(map[string]any{
			"source":    id,
			"quote":     quote,
			"according": according,
			"note":      map[string]any{"type": "string"},
			"negated": map[string]any{"type": "boolean",
				"description": "true: the source states that every fact of the group does not hold (multi-valued relations only)"},
		}),
	}
	entity := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"id", "kind"},
		"properties": with(map[string]any{
			"id":        id,
			"kind":      map[string]any{"enum": kinds},
			"source":    id,
			"quote":     quote,
			"according": according,
			"facts":     map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/factGroup"}},
		}),
	}
	sourceEntity := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"id"},
		"properties": with(map[string]any{
			"id":   id,
			"kind": map[string]any{"const": "Source"},
		}),
	}
	ranks := make([]any, len(Ranks))
	for i, r := range Ranks {
		ranks[i] = r
	}
	reasons := make([]any, len(Reasons))
	for i, r := range Reasons {
		reasons[i] = r.Name
	}
	judgement := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"of", "rank", "reason", "note"},
		"properties": map[string]any{
			"of":       statement("source", "quote"),
			"rank":     map[string]any{"enum": ranks},
			"reason":   map[string]any{"enum": reasons},
			"source":   id,
			"date":     map[string]any{"anyOf": []any{map[string]any{"type": "string", "minLength": 4}, map[string]any{"type": "integer", "minimum": 1, "maximum": 9999}}},
			"note":     map[string]any{"type": "string", "minLength": 1},
			"evidence": map[string]any{"type": "array", "minItems": 1, "items": statement("source")},
		},
	}
	pair := map[string]any{"type": "array", "minItems": 2, "maxItems": 2, "items": id}
	identity := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"reason"},
		"oneOf":                []any{map[string]any{"required": []any{"same"}}, map[string]any{"required": []any{"different"}}},
		"properties": map[string]any{
			"same":      pair,
			"different": pair,
			"source":    id,
			"reason":    map[string]any{"type": "string", "minLength": 1},
			"date":      map[string]any{"anyOf": []any{map[string]any{"type": "string", "minLength": 4}, map[string]any{"type": "integer", "minimum": 1, "maximum": 9999}}},
		},
	}
	doc := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  SchemaID,
		"title":                "threatgraph native format",
		"type":                 "object",
		"additionalProperties": false,
		"minProperties":        1,
		"properties": map[string]any{
			"format":     map[string]any{"const": FormatVersion},
			"source":     id,
			"sources":    map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/source"}},
			"entities":   map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/entity"}},
			"judgements": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/judgement"}},
			"identities": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/identity"}},
		},
		"$defs": map[string]any{"entity": entity, "factGroup": factGroup, "source": sourceEntity, "judgement": judgement, "identity": identity},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		panic(err) // static data: cannot fail
	}
	return buf.Bytes()
}

func valueSchema(p *Predicate, id map[string]any) map[string]any {
	switch p.Type {
	case Entity:
		return map[string]any{"type": "string", "pattern": id["pattern"]}
	case Count:
		str := map[string]any{"type": "string", "minLength": 1}
		return map[string]any{"anyOf": []any{
			map[string]any{"type": "integer", "minimum": 0, "maximum": MaxCount},
			map[string]any{"type": "string", "minLength": 1, "description": "the words as written: " + QuantityForms},
			map[string]any{"type": "object", "additionalProperties": false, "required": []any{"text"},
				"properties": map[string]any{"text": str, "value": map[string]any{"anyOf": []any{str, map[string]any{"type": "integer", "minimum": 0, "maximum": MaxCount}}}, "of": str}},
		}}
	case Float:
		s := map[string]any{"type": "number"}
		if p.Min != p.Max {
			s["minimum"], s["maximum"] = p.Min, p.Max
		}
		return s
	case Date:
		return map[string]any{"anyOf": []any{
			map[string]any{"type": "string", "minLength": 4},
			map[string]any{"type": "integer", "minimum": 1, "maximum": 9999},
			map[string]any{"type": "object", "additionalProperties": false, "required": []any{"text", "value"},
				"properties": map[string]any{"text": map[string]any{"type": "string", "minLength": 1}, "value": map[string]any{"type": "string", "minLength": 4}}},
		}}
	case Bool:
		return map[string]any{"type": "boolean"}
	case Enum:
		vals := make([]any, len(p.Enum))
		for i, e := range p.Enum {
			vals[i] = e
		}
		return map[string]any{"enum": vals}
	case URL:
		return map[string]any{"type": "string", "pattern": "^https?://\\S+$"}
	}
	return map[string]any{"type": "string", "minLength": 1}
}

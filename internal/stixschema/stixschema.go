// Package stixschema validates STIX 2.1 objects and bundles against the
// OASIS JSON Schemas (github.com/oasis-open/cti-stix2-json-schemas,
// schemas/), read from a directory given by the caller: test support for
// the STIX export, which the repository does not ship the schemas with.
package stixschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// A Validator holds the compiled schemas of every STIX type the directory
// has (sdos, sros, common/bundle.json, marking-definition, extension-definition).
//
// common/bundle.json names the types it knows (its own list, which lacks
// the 2.1 types incident, location, note, opinion, grouping and
// malware-analysis) and reads every other object as a custom one, by a
// oneOf of core.json and cyber-observable-core.json that any object of
// those types matches twice, so that a bundle holding one fails. The
// validator therefore checks every object against its type's own schema,
// and the bundle against bundle.json with the objects of the types it
// names (Listed).
type Validator struct {
	byType map[string]*jsonschema.Schema
	bundle *jsonschema.Schema
	listed map[string]bool // the types common/bundle.json names
}

// Load compiles the schemas under dir (the schemas/ folder of
// cti-stix2-json-schemas). Every file is added under its own $id, so the
// relative references resolve without any network access.
func Load(dir string) (*Validator, error) {
	c := jsonschema.NewCompiler()
	ids := map[string]string{} // file path relative to dir -> $id
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		m, _ := doc.(map[string]any)
		id, _ := m["$id"].(string)
		if id == "" {
			return fmt.Errorf("%s: no $id", path)
		}
		if err := c.AddResource(id, doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(dir, path)
		ids[filepath.ToSlash(rel)] = id
		return nil
	})
	if err != nil {
		return nil, err
	}
	v := &Validator{byType: map[string]*jsonschema.Schema{}}
	for rel, id := range ids {
		folder, file := filepath.Split(rel)
		name := strings.TrimSuffix(file, ".json")
		switch {
		case folder == "sdos/" || folder == "sros/" || rel == "common/marking-definition.json" || rel == "common/extension-definition.json":
		case rel == "common/bundle.json":
		default:
			continue
		}
		s, err := c.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("compiling %s: %w", rel, err)
		}
		if rel == "common/bundle.json" {
			v.bundle = s
			b, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				return nil, err
			}
			var doc any
			if err := json.Unmarshal(b, &doc); err != nil {
				return nil, err
			}
			v.listed = map[string]bool{}
			findEnum(doc, v.listed)
		} else {
			v.byType[name] = s
		}
	}
	if v.bundle == nil || len(v.byType) == 0 {
		return nil, errors.New("stixschema: " + dir + " holds no common/bundle.json or sdos/*.json")
	}
	return v, nil
}

// findEnum adds to out the values of the "not": {"enum": [...]} in doc
// that holds "attack-pattern": the types bundle.json's custom branch
// excludes, which are those it validates by their own schema.
func findEnum(doc any, out map[string]bool) {
	switch x := doc.(type) {
	case map[string]any:
		if not, ok := x["not"].(map[string]any); ok {
			if enum, ok := not["enum"].([]any); ok && slices.Contains(enum, any("attack-pattern")) {
				for _, e := range enum {
					if s, ok := e.(string); ok {
						out[s] = true
					}
				}
			}
		}
		for _, v := range x {
			findEnum(v, out)
		}
	case []any:
		for _, v := range x {
			findEnum(v, out)
		}
	}
}

// Listed reports whether common/bundle.json names the type.
func (v *Validator) Listed(typ string) bool { return v.listed[typ] }

// Types returns how many object types the validator knows.
func (v *Validator) Types() int { return len(v.byType) }

// Object validates one object (its JSON) against the schema of its type; a
// type with no schema is an error.
func (v *Validator) Object(raw []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	m, _ := doc.(map[string]any)
	typ, _ := m["type"].(string)
	s := v.byType[typ]
	if s == nil {
		return fmt.Errorf("no schema for type %q", typ)
	}
	return s.Validate(doc)
}

// Bundle validates each object of a bundle against its type's schema,
// returning every object's error joined, each naming the object's id; if
// they all pass, it validates the bundle against common/bundle.json with
// the objects of the types that file names (see Validator).
func (v *Validator) Bundle(raw []byte) (objects int, err error) {
	var b map[string]json.RawMessage
	if err := json.Unmarshal(raw, &b); err != nil {
		return 0, err
	}
	var objs []json.RawMessage
	if err := json.Unmarshal(b["objects"], &objs); err != nil {
		return 0, fmt.Errorf("objects: %w", err)
	}
	var errs []error
	var listed []json.RawMessage
	for _, o := range objs {
		var head struct{ ID, Type string }
		json.Unmarshal(o, &head)
		if err := v.Object(o); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", head.ID, err))
		}
		if v.listed[head.Type] {
			listed = append(listed, o)
		}
	}
	if len(errs) > 0 {
		return len(objs), errors.Join(errs...)
	}
	if len(listed) == 0 {
		delete(b, "objects")
	} else {
		b["objects"], _ = json.Marshal(listed)
	}
	env, _ := json.Marshal(b)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(env))
	if err != nil {
		return 0, err
	}
	if err := v.bundle.Validate(doc); err != nil {
		return len(objs), fmt.Errorf("bundle: %w", err)
	}
	return len(objs), nil
}

// Whole validates a bundle against common/bundle.json alone, every object
// included (see Validator for why a valid bundle may fail it).
func (v *Validator) Whole(raw []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return v.bundle.Validate(doc)
}

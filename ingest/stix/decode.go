package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A stixObject holds the properties of any STIX object that the importer
// reads; the rest are ignored. One type for every object keeps decoding to
// one pass of encoding/json into a struct, with no map per object.
type stixObject struct {
	Type               string          `json:"type"`
	ID                 string          `json:"id"`
	SpecVersion        string          `json:"spec_version"`
	CreatedByRef       string          `json:"created_by_ref"`
	Created            string          `json:"created"`
	Modified           string          `json:"modified"`
	Name               string          `json:"name"`
	Description        string          `json:"description"`
	Aliases            []string        `json:"aliases"`
	XMitreAliases      []string        `json:"x_mitre_aliases"`
	XOpenCTIAliases    []string        `json:"x_opencti_aliases"`
	FirstSeen          string          `json:"first_seen"`
	LastSeen           string          `json:"last_seen"`
	XMitreSpecVersion  string          `json:"x_mitre_attack_spec_version"`
	XMitreFirstSeenCit string          `json:"x_mitre_first_seen_citation"`
	XMitreLastSeenCit  string          `json:"x_mitre_last_seen_citation"`
	Revoked            bool            `json:"revoked"`
	XMitreDeprecated   bool            `json:"x_mitre_deprecated"`
	Confidence         *int            `json:"confidence"`
	ExternalReferences []extRef        `json:"external_references"`
	ObjectMarkingRefs  []string        `json:"object_marking_refs"`
	GranularMarkings   []granular      `json:"granular_markings"`
	ThreatActorTypes   []string        `json:"threat_actor_types"`
	Roles              []string        `json:"roles"`
	IdentityClass      string          `json:"identity_class"`
	XOpenCTIOrgType    string          `json:"x_opencti_organization_type"`
	Region             string          `json:"region"`
	Country            string          `json:"country"`
	AdministrativeArea string          `json:"administrative_area"`
	City               string          `json:"city"`
	Latitude           *float64        `json:"latitude"`
	Longitude          *float64        `json:"longitude"`
	XOpenCTILocType    string          `json:"x_opencti_location_type"`
	Published          string          `json:"published"`
	ObjectRefs         []string        `json:"object_refs"`
	KillChainPhases    []killChain     `json:"kill_chain_phases"`
	XMitrePlatforms    []string        `json:"x_mitre_platforms"`
	RelationshipType   string          `json:"relationship_type"`
	SourceRef          string          `json:"source_ref"`
	TargetRef          string          `json:"target_ref"`
	SightingOfRef      string          `json:"sighting_of_ref"`
	WhereSightedRefs   []string        `json:"where_sighted_refs"`
	Opinion            string          `json:"opinion"`
	Explanation        string          `json:"explanation"`
	Abstract           string          `json:"abstract"`
	Content            string          `json:"content"`
	DefinitionType     string          `json:"definition_type"`
	Definition         json.RawMessage `json:"definition"`
	Extensions         map[string]struct {
		TLP2 string `json:"tlp_2_0"`
	} `json:"extensions"`

	line  int // line of the object's opening brace
	index int // position in the bundle's objects
}

type extRef struct {
	SourceName string `json:"source_name"`
	ExternalID string `json:"external_id"`
	URL        string `json:"url"`
}

type granular struct {
	MarkingRef string `json:"marking_ref"`
}

type killChain struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// A bundle is the decoded file: its id and objects, each with its line.
type bundle struct {
	ID      string
	objects []*stixObject
	single  bool // the file is one STIX object, not a bundle
}

// A posError is a problem at a byte offset of the input.
type posError struct {
	off   int64
	field string
	err   error
}

func (e *posError) Error() string { return e.field + ": " + e.err.Error() }

// lines turns byte offsets into line numbers, counting newlines once as
// the offsets grow.
type lines struct {
	data []byte
	off  int64
	line int
}

func (l *lines) at(off int64) int {
	if off > int64(len(l.data)) {
		off = int64(len(l.data))
	}
	if off < l.off { // back: uncount
		l.line -= bytes.Count(l.data[off:l.off], []byte{'\n'})
		l.off = off
		return l.line
	}
	l.line += bytes.Count(l.data[l.off:off], []byte{'\n'})
	l.off = off
	return l.line
}

// objectErr is a problem of one object that the decoder read past: the
// object is rejected, the others are read on.
type objectErr struct {
	index int
	line  int
	field string
	err   error
}

// decodeBundle reads data as a STIX bundle (or one STIX object), object by
// object with one decoder, so that each object has its line. A problem of
// the JSON itself is fatal (a *posError); a property of the wrong type
// rejects that object only.
func decodeBundle(data []byte) (*bundle, []objectErr, error) {
	ln := &lines{data: data, line: 1}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, syntaxErr(dec, err, "")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, &posError{0, "", fmt.Errorf("the file is a JSON %s (expected a STIX bundle: an object with \"type\": \"bundle\")", jsonKind(tok))}
	}
	b := &bundle{}
	var errs []objectErr
	var typ string
	var rawTop map[string]json.RawMessage // a single object's properties
	sawObjects := false
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, syntaxErr(dec, err, "")
		}
		key, _ := kt.(string)
		switch key {
		case "type", "id":
			var s string
			off := dec.InputOffset()
			if err := dec.Decode(&s); err != nil {
				if isSyntax(err) {
					return nil, nil, syntaxErr(dec, err, key)
				}
				return nil, nil, &posError{off, key, fmt.Errorf("is not a string (expected %s)", map[string]string{"type": "\"bundle\"", "id": "bundle--<uuid>"}[key])}
			}
			if key == "type" {
				typ = s
			} else {
				b.ID = s
			}
			if rawTop != nil {
				rawTop[key], _ = json.Marshal(s)
			}
		case "objects":
			sawObjects = true
			t, err := dec.Token()
			if err != nil {
				return nil, nil, syntaxErr(dec, err, "objects")
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return nil, nil, &posError{dec.InputOffset(), "objects", fmt.Errorf("is a JSON %s (expected an array of STIX objects)", jsonKind(t))}
			}
			for i := 0; dec.More(); i++ {
				start := objectStart(data, dec.InputOffset())
				o := &stixObject{index: i, line: ln.at(start)}
				if err := dec.Decode(o); err != nil {
					if isSyntax(err) {
						return nil, nil, syntaxErr(dec, err, fmt.Sprintf("objects[%d]", i))
					}
					var te *json.UnmarshalTypeError
					field, line := fmt.Sprintf("objects[%d]", i), o.line
					msg := err
					if errors.As(err, &te) {
						if te.Field != "" {
							field += "." + te.Field
						} else {
							msg = fmt.Errorf("is a JSON %s (expected a STIX object)", te.Value)
						}
						if te.Field != "" {
							msg = fmt.Errorf("is a JSON %s (expected %s)", te.Value, goKind(te.Type.String()))
						}
						line = ln.at(start + te.Offset)
					}
					errs = append(errs, objectErr{i, line, field, msg})
					o.line = ln.at(start)
					o.Type = "" // rejected
				}
				b.objects = append(b.objects, o)
			}
			if _, err := dec.Token(); err != nil {
				return nil, nil, syntaxErr(dec, err, "objects")
			}
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, nil, syntaxErr(dec, err, key)
			}
			if rawTop == nil {
				rawTop = map[string]json.RawMessage{}
			}
			rawTop[key] = raw
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, syntaxErr(dec, err, "")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, &posError{dec.InputOffset(), "", errors.New("more data after the bundle (expected one JSON object)")}
	}
	if typ != "bundle" {
		if sawObjects || typ == "" || !isStixID(b.ID, typ) {
			return nil, nil, &posError{0, "type", fmt.Errorf("is %q (expected \"bundle\")", typ)}
		}
		// One STIX object on its own: decode it again, whole.
		o := &stixObject{line: 1}
		if err := json.Unmarshal(data, o); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, nil, &posError{te.Offset, te.Field, fmt.Errorf("is a JSON %s (expected %s)", te.Value, goKind(te.Type.String()))}
			}
			return nil, nil, &posError{0, "", err}
		}
		o.line = ln.at(objectStart(data, 0))
		b.objects, b.single = []*stixObject{o}, true
		return b, nil, nil
	}
	if !sawObjects {
		return nil, nil, &posError{0, "objects", errors.New("missing (expected the bundle's array of STIX objects)")}
	}
	return b, errs, nil
}

// objectStart returns the offset of the next value after off, past
// whitespace and a comma.
func objectStart(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func syntaxErr(dec *json.Decoder, err error, field string) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &posError{se.Offset, field, fmt.Errorf("invalid JSON: %v", se)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &posError{dec.InputOffset(), field, errors.New("the JSON ends early (expected the rest of the bundle)")}
	}
	return &posError{dec.InputOffset(), field, err}
}

func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		if tok == json.Delim('[') {
			return "array"
		}
		return "object"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}

func goKind(t string) string {
	switch t {
	case "string":
		return "a string"
	case "[]string":
		return "an array of strings"
	case "bool":
		return "true or false"
	case "int", "*int":
		return "a whole number"
	case "float64", "*float64":
		return "a number"
	}
	if len(t) > 2 && t[:2] == "[]" {
		return "an array of objects"
	}
	return "an object"
}

// isStixID reports whether id is a STIX identifier of type typ:
// typ--<uuid>.
func isStixID(id, typ string) bool {
	t, u, ok := cutID(id)
	return ok && (typ == "" || t == typ) && len(u) == 36
}

// cutID splits a STIX id into its type and uuid.
func cutID(id string) (typ, uuid string, ok bool) {
	i := bytes.Index([]byte(id), []byte("--"))
	if i <= 0 || len(id)-i-2 != 36 {
		return "", "", false
	}
	u := id[i+2:]
	for j := 0; j < len(u); j++ {
		c := u[j]
		switch {
		case j == 8 || j == 13 || j == 18 || j == 23:
			if c != '-' {
				return "", "", false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return "", "", false
		}
	}
	return id[:i], u, true
}

package wikidata

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// Format is the importer's name, in reports and the load history.
const Format = "wikidata"

// Required are the columns an excerpt must have, in this order at the
// start of its header (how it is detected).
var Required = []string{"qid", "primary_name", "aliases_json"}

// The optional columns, read by name wherever they are.
const (
	colClassQID   = "wikidata_class_qid"
	colClassLabel = "wikidata_class_label"
	colURL        = "source_url"
	colModified   = "source_modified_utc"
	colRevision   = "source_revision"
	colRetrieved  = "retrieved_utc"
	colLicense    = "license"
)

// Licence is Wikidata's licence, which the excerpt's rows carry.
const Licence = "CC0-1.0"

// Importer reads Wikidata excerpts. The zero value is ready to use.
type Importer struct{}

var _ ingest.Importer = Importer{}

// Name returns "wikidata".
func (Importer) Name() string { return Format }

// Detect reports whether head begins with the excerpt's header
// (qid,primary_name,aliases_json, then any other columns), whatever the
// file's name. Asked of a name alone (head nil: the server checks an
// upload's name before it reads it), it takes a .csv name, which may be
// an excerpt; the content decides when the file is read.
func (Importer) Detect(name string, head []byte) bool {
	if head == nil {
		return strings.EqualFold(filepath.Ext(name), ".csv")
	}
	head = bytes.TrimPrefix(head, []byte("\ufeff"))
	line, _, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	cols := strings.Split(string(line), ",")
	if len(cols) < len(Required) {
		return false
	}
	for i, c := range Required {
		if strings.TrimSpace(cols[i]) != c {
			return false
		}
	}
	return true
}

var (
	reQID      = regexp.MustCompile(`^Q[1-9][0-9]*$`)
	reRevision = regexp.MustCompile(`^[1-9][0-9]*$`)
	reUTC      = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2})(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z)?$`)
)

// GroupID returns the id of the entity of a Wikidata item: group:wd-<qid>
// (for an Organization too: the prefix of an id does not fix its kind).
func GroupID(qid string) string { return "group:wd-" + qid }

// SourceID returns the id of the Source of a row: the item at its
// revision (source:wikidata-<qid>-r<revision>), or the item when the row
// gives no revision.
func SourceID(qid, revision string) string {
	if revision == "" {
		return "source:wikidata-" + qid
	}
	return "source:wikidata-" + qid + "-r" + revision
}

// ExternalID returns the externalId of a Wikidata item: wikidata:<qid>.
func ExternalID(qid string) string { return "wikidata:" + qid }

// Import reads the excerpt: one record per row (the row's Source and its
// entity, kept or rejected together). Problems name FILE:LINE: column.
func (Importer) Import(ctx context.Context, name string, data []byte) *ingest.File {
	b := ingest.NewBuilder(name, Format, data)
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // a short or long row is the row's problem, not the file's
	header, err := r.Read()
	if err != nil {
		b.FileError(1, "", fmt.Errorf("reading the header: %w", err))
		return b.File()
	}
	col := map[string]int{}
	bad := false
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := col[h]; dup && h != "" {
			b.FileError(1, h, fmt.Errorf("column %q twice in the header (expected each column once)", h))
			bad = true
			continue
		}
		col[h] = i
	}
	for _, c := range Required {
		if _, ok := col[c]; !ok {
			b.FileError(1, c, fmt.Errorf("missing column %q (expected a header beginning %s)", c, strings.Join(Required, ",")))
			bad = true
		}
	}
	if bad {
		return b.File()
	}
	seen := map[string]int{} // qid -> line
	for {
		if err := ctx.Err(); err != nil {
			b.FileError(0, "", err)
			break
		}
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
			}
			b.FileError(line, "", fmt.Errorf("reading the CSV: %w", err))
			break
		}
		line, _ := r.FieldPos(0)
		importRow(b, name, line, header, col, row, seen)
	}
	return b.File()
}

// importRow reads one row into one record.
func importRow(b *ingest.Builder, name string, line int, header []string, col map[string]int, row []string, seen map[string]int) {
	get := func(c string) string {
		i, ok := col[c]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	qid := get("qid")
	rec := b.Record(line, "row "+qid)
	if len(row) != len(header) {
		rec.Errorf(line, "", "%d fields (expected %d, as in the header)", len(row), len(header))
		return
	}
	if !reQID.MatchString(qid) {
		rec.Errorf(line, "qid", "%q is not a Wikidata item id (expected Q followed by digits, such as Q2000803)", qid)
		return
	}
	if first, dup := seen[qid]; dup {
		rec.Errorf(line, "qid", "%s is already the row at %s:%d (expected each item once)", qid, name, first)
		return
	}
	seen[qid] = line

	primary := get("primary_name")
	if primary == "" {
		rec.Errorf(line, "primary_name", "empty (expected the item's label)")
	}
	var aliases []string
	if raw := get("aliases_json"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &aliases); err != nil {
			rec.Errorf(line, "aliases_json", "%q is not a JSON list of strings: %v (expected such as [\"ANO\",\"Black June\"] or [])", raw, err)
		}
	}
	kind, kerr := kindOf(get(colClassQID), get(colClassLabel))
	if kerr != nil {
		b.Warn(line, colClassLabel, kerr)
	}
	revision := get(colRevision)
	if revision != "" && !reRevision.MatchString(revision) {
		rec.Errorf(line, colRevision, "%q is not a revision number (expected digits, such as 2442582148)", revision)
	}
	modified, modDay := get(colModified), ""
	if modified != "" {
		m := reUTC.FindStringSubmatch(modified)
		if m == nil {
			rec.Errorf(line, colModified, "%q is not a UTC date or time (expected such as 2025-12-15T08:34:12Z)", modified)
		} else {
			modDay = m[1]
		}
	}
	retrieved := get(colRetrieved)
	if retrieved != "" && !reUTC.MatchString(retrieved) {
		rec.Errorf(line, colRetrieved, "%q is not a UTC date or time (expected such as 2026-08-12T15:23:50Z)", retrieved)
	}
	itemURL := get(colURL)
	if itemURL == "" {
		itemURL = "https://www.wikidata.org/wiki/" + qid
	} else if u, err := url.Parse(itemURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		rec.Errorf(line, colURL, "%q is not a web address (expected such as https://www.wikidata.org/wiki/%s)", itemURL, qid)
	}
	licence := get(colLicense)
	if licence != "" && licence != Licence {
		b.Warn(line, colLicense, fmt.Errorf("licence %q (expected %s, Wikidata's): check the row may be reused", licence, Licence))
	}
	if !rec.OK() {
		return
	}

	// The row's source: the item at its revision.
	src := SourceID(qid, revision)
	rec.Declare(line, "qid", src, schema.Source, src)
	title := "Wikidata " + qid + ": " + primary
	if revision != "" {
		title += " (revision " + revision + ")"
	}
	rec.Fact(line, "qid", src, schema.Source, "title", title, src)
	rec.Fact(line, colURL, src, schema.Source, "publisher", "Wikidata", src)
	rec.Fact(line, colURL, src, schema.Source, "url", itemURL, src)
	if modDay != "" {
		rec.Fact(line, colModified, src, schema.Source, "published", modDay, src)
	}
	rec.Fact(line, colLicense, src, schema.Source, "description", sourceNote(revision, modified, retrieved, licence), src)

	// The entity.
	id := GroupID(qid)
	rec.Declare(line, "qid", id, kind, src)
	rec.Fact(line, "primary_name", id, kind, "name", primary, src)
	rec.Fact(line, "qid", id, kind, "externalId", ExternalID(qid), src)
	done := map[string]bool{schema.NameKey(primary): true}
	for i, a := range aliases {
		field := fmt.Sprintf("aliases_json[%d]", i)
		a = strings.TrimSpace(a)
		k := schema.NameKey(a)
		if a == "" {
			b.Warn(line, field, errors.New("an empty alias, left out"))
			continue
		}
		if done[k] {
			continue // the name, or an alias already given, in other letters
		}
		done[k] = true
		rec.Fact(line, field, id, kind, "alias", a, src)
	}
	if class := classText(get(colClassQID), get(colClassLabel)); class != "" {
		rec.Fact(line, colClassLabel, id, kind, "description", "instance of "+class+" on Wikidata", src)
	}
}

// sourceNote says which version of the item the row was read from, and
// under which licence.
func sourceNote(revision, modified, retrieved, licence string) string {
	var parts []string
	s := "the Wikidata item"
	if revision != "" {
		s += " at revision " + revision
	}
	if modified != "" {
		s += " (modified " + modified + ")"
	}
	parts = append(parts, s)
	if retrieved != "" {
		parts = append(parts, "retrieved "+retrieved)
	}
	if licence == "" {
		licence = Licence
	}
	parts = append(parts, "licence "+licence)
	return strings.Join(parts, "; ")
}

func classText(qid, label string) string {
	switch {
	case label != "" && qid != "":
		return label + " (" + qid + ")"
	case label != "":
		return label
	}
	return qid
}

// Classes read as a Group or an Organization, by their QID.
var classes = map[string]schema.Kind{
	"Q17127659": schema.Group,        // terrorist organization
	"Q4456236":  schema.Group,        // terrorist group
	"Q43229":    schema.Organization, // organization
	"Q7278":     schema.Organization, // political party
	"Q327333":   schema.Organization, // government agency
}

// kindOf returns the kind of an item of class qid (label): a Group for an
// armed or terrorist group, an Organization for another organisation; a
// class it does not know is read as a Group, with a warning.
func kindOf(qid, label string) (schema.Kind, error) {
	if k, ok := classes[qid]; ok {
		return k, nil
	}
	l := strings.ToLower(label)
	for _, w := range []string{"terror", "militant", "armed", "rebel", "guerrilla", "paramilitary", "insurgent", "militia", "jihad", "group"} {
		if strings.Contains(l, w) {
			return schema.Group, nil
		}
	}
	for _, w := range []string{"organization", "organisation", "party", "agency", "government", "ministry", "company", "foundation", "association"} {
		if strings.Contains(l, w) {
			return schema.Organization, nil
		}
	}
	if qid == "" && label == "" {
		return schema.Group, nil // an excerpt without the class columns: of armed groups
	}
	return schema.Group, fmt.Errorf("class %s is neither a known group nor organisation class: read as a Group", classText(qid, label))
}

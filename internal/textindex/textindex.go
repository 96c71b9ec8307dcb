package textindex

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
	bq "github.com/blevesearch/bleve/v2/search/query"

	"github.com/threatgraph/threatgraph/query"
)

// Name is the index directory's name beside the store.
const Name = "search.bleve"

// formatVersion moves on with any change of the mapping or the layout: an
// index of another version is rebuilt.
const formatVersion = 1

const (
	stampFile = "stamp"    // the stamp, written last, once the index is complete
	indexDir  = "index"    // bleve's files
	lockFile  = "building" // held (flock) while a temporary directory is being built
	tmpPrefix = Name + ".tmp-"
	oldPrefix = Name + ".old-"
)

// An Index is an open full-text index. It is safe for concurrent use.
type Index struct {
	ix bleve.Index
}

// doc is what bleve indexes of a query.TextDoc.
type doc struct {
	Entity    string `json:"entity"`
	Field     string `json:"field"`
	Text      string `json:"text"`
	Source    string `json:"source"`
	Statement string `json:"statement"`
}

// Docs gives every doc to fn (query.Reader's docs).
type Docs = func(ctx context.Context, fn func(query.TextDoc) error) error

// Opener is Open as a query.TextIndexOpener.
func Opener(ctx context.Context, dir, stamp string, docs Docs) (query.TextIndex, error) {
	ix, err := Open(ctx, dir, stamp, docs)
	if ix == nil {
		return nil, err
	}
	return ix, err
}

// Open returns the index in dir/search.bleve when its stamp is stamp, else
// builds one from docs, saved there for the next call. An empty dir builds
// in memory; so does a dir that cannot be written, returning the index
// with the error that kept it from being saved.
func Open(ctx context.Context, dir, stamp string, docs Docs) (*Index, error) {
	stamp = fmt.Sprintf("format=%d %s", formatVersion, stamp)
	if dir == "" {
		return buildMem(ctx, docs)
	}
	final := filepath.Join(dir, Name)
	// What a killed build or replace left is removed first, also when the
	// index in place is current (a kill between putting it in place and
	// removing the one moved aside leaves that one).
	removeAbandoned(dir)
	if ix, err := openCurrent(final, stamp); err == nil {
		return ix, nil
	}
	tmp, err := os.MkdirTemp(dir, tmpPrefix)
	if err != nil {
		ix, merr := buildMem(ctx, docs)
		if merr != nil {
			return nil, merr
		}
		return ix, fmt.Errorf("text index: %w", err)
	}
	defer os.RemoveAll(tmp) // gone once renamed; removed on failure
	unlock, err := lock(filepath.Join(tmp, lockFile))
	if err != nil {
		return nil, err
	}
	defer unlock() // held until renamed: a free lock marks an abandoned build
	if err := buildDisk(ctx, tmp, stamp, docs); err != nil {
		return nil, err
	}
	if err := replace(dir, tmp, final); err != nil {
		// Another process may have put an index of the same state in place.
		if ix, oerr := openCurrent(final, stamp); oerr == nil {
			return ix, nil
		}
		return nil, err
	}
	return openCurrent(final, stamp)
}

// openCurrent opens the index at path when its stamp is stamp.
func openCurrent(path, stamp string) (*Index, error) {
	b, err := os.ReadFile(filepath.Join(path, stampFile))
	if err != nil {
		return nil, err
	}
	if string(b) != stamp {
		return nil, fmt.Errorf("text index of %q, not %q", b, stamp)
	}
	ix, err := bleve.OpenUsing(filepath.Join(path, indexDir), map[string]any{"read_only": true})
	if err != nil {
		return nil, err
	}
	return &Index{ix: ix}, nil
}

// buildDisk builds the index into dir (a new temporary directory), then
// writes its stamp, synced.
func buildDisk(ctx context.Context, dir, stamp string, docs Docs) error {
	path := filepath.Join(dir, indexDir)
	// The Builder is made at the first document: bleve's offline builder
	// cannot close empty (it panics), so a store with no text gets an
	// ordinary empty index.
	var b bleve.Builder
	seen := map[string]bool{}
	err := docs(ctx, func(d query.TextDoc) error {
		id := docID(d)
		if seen[id] {
			return nil // the Builder takes each doc once
		}
		seen[id] = true
		if b == nil {
			var err error
			if b, err = bleve.NewBuilder(path, newMapping(), map[string]any{"buildPathPrefix": dir}); err != nil {
				return err
			}
		}
		return b.Index(id, toDoc(d))
	})
	if b != nil {
		if cerr := b.Close(); err == nil {
			err = cerr
		}
	} else if err == nil {
		var ix bleve.Index
		if ix, err = bleve.New(path, newMapping()); err == nil {
			err = ix.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("building text index: %w", err)
	}
	return writeSynced(filepath.Join(dir, stampFile), stamp)
}

// buildMem builds the index in memory.
func buildMem(ctx context.Context, docs Docs) (*Index, error) {
	ix, err := bleve.NewMemOnly(newMapping())
	if err != nil {
		return nil, err
	}
	batch := ix.NewBatch()
	err = docs(ctx, func(d query.TextDoc) error {
		if err := batch.Index(docID(d), toDoc(d)); err != nil {
			return err
		}
		if batch.Size() >= 1000 {
			err := ix.Batch(batch)
			batch.Reset()
			return err
		}
		return nil
	})
	if err == nil {
		err = ix.Batch(batch)
	}
	if err != nil {
		ix.Close()
		return nil, fmt.Errorf("building text index: %w", err)
	}
	return &Index{ix: ix}, nil
}

// replace puts the complete index tmp in place of final: the old one is
// moved aside first (a directory cannot be renamed over a full one), so a
// crash in between leaves none, which the next Open builds.
func replace(dir, tmp, final string) error {
	old := ""
	if _, err := os.Stat(final); err == nil {
		o, err := os.MkdirTemp(dir, oldPrefix)
		if err != nil {
			return err
		}
		old = filepath.Join(o, Name)
		if err := os.Rename(final, old); err != nil {
			os.Remove(o)
			return err
		}
		defer os.RemoveAll(o)
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	return syncDir(dir)
}

// removeAbandoned removes what builds killed before the end left in dir:
// temporary directories whose builder's lock is free, and old indexes.
func removeAbandoned(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), oldPrefix):
			os.RemoveAll(p)
		case strings.HasPrefix(e.Name(), tmpPrefix):
			if unlock, err := lock(filepath.Join(p, lockFile)); err == nil {
				unlock()
				os.RemoveAll(p)
			}
		}
	}
}

// lock takes an exclusive flock on path (created), at once or not at all.
func lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

func writeSynced(path, text string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}

// newMapping: the text analysed as English (lower case, stop words,
// stems), everything else kept as written and stored, not searched.
func newMapping() mapping.IndexMapping {
	m := bleve.NewIndexMapping()
	dm := bleve.NewDocumentStaticMapping()
	text := bleve.NewTextFieldMapping()
	text.Analyzer = en.AnalyzerName
	text.IncludeTermVectors = true // phrases
	dm.AddFieldMappingsAt("text", text)
	for _, f := range []string{"entity", "field", "source", "statement"} {
		k := bleve.NewTextFieldMapping()
		k.Analyzer = keyword.Name
		k.Index = false
		dm.AddFieldMappingsAt(f, k)
	}
	m.DefaultMapping = dm
	m.DefaultAnalyzer = en.AnalyzerName
	return m
}

func toDoc(d query.TextDoc) doc {
	return doc{Entity: d.Entity, Field: d.Field, Text: d.Text, Source: d.Source, Statement: d.Statement}
}

// docID is a doc's key: the same doc always gets the same one.
func docID(d query.TextDoc) string {
	h := sha256.Sum256([]byte(d.Entity + "\x00" + d.Field + "\x00" + d.Text + "\x00" + d.Source + "\x00" + d.Statement))
	return hex.EncodeToString(h[:12])
}

// Search returns the docs holding every word of text (as analysed: case,
// stop words and stems aside), those with the words as a phrase first,
// best first, ties by doc key, skipping from, at most size.
func (x *Index) Search(ctx context.Context, text string, from, size int) ([]query.TextHit, error) {
	all := bleve.NewMatchQuery(text)
	all.SetField("text")
	all.SetOperator(bq.MatchQueryOperatorAnd)
	phrase := bleve.NewMatchPhraseQuery(text)
	phrase.SetField("text")
	phrase.SetBoost(2)
	q := bleve.NewBooleanQuery()
	q.AddMust(all)
	q.AddShould(phrase)
	req := bleve.NewSearchRequestOptions(q, size, from, false)
	req.Fields = []string{"entity", "field", "text", "source", "statement"}
	req.SortBy([]string{"-_score", "_id"})
	res, err := x.ix.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("text search: %w", err)
	}
	out := make([]query.TextHit, 0, len(res.Hits))
	for _, h := range res.Hits {
		str := func(k string) string { s, _ := h.Fields[k].(string); return s }
		out = append(out, query.TextHit{Entity: str("entity"), Field: str("field"), Text: str("text"),
			Source: str("source"), Statement: str("statement"), Score: h.Score})
	}
	return out, nil
}

// Close closes the index.
func (x *Index) Close() error { return x.ix.Close() }

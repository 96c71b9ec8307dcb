package httpapi

import (
	"context"
	"strings"
)

// A Loader validates and writes the files of one POST /v1/ingest, all of
// them in one transaction; cmd/threatgraph wires ingest to it (this package
// does not import ingest). Its report and errors are what the route answers.
type Loader interface {
	// Accepts returns an error when a file of that name cannot be read (its
	// extension names no known format).
	Accepts(name string) error
	// Load validates files against each other and the store and, unless
	// DryRun, writes them. Invalid input is an *InvalidError and writes
	// nothing; any other failure returns the report so far, whose Committed
	// says whether the transaction was committed before it.
	Load(ctx context.Context, files []Upload, opt LoadOptions) (*LoadReport, error)
}

// An Upload is one file of an ingest request.
type Upload struct {
	Name string // the file name, whose extension picks the reader
	Data []byte
}

// LoadOptions are the query parameters of POST /v1/ingest.
type LoadOptions struct {
	DryRun      bool   // validate only
	SkipInvalid bool   // load the valid records, report the others
	Mapping     string // a shipped table mapping (gtd, acled) for the tables among the files
}

// FileReport says what happened to one file, as the CLI's
// ingest --format json prints it.
type FileReport struct {
	File     string `json:"file"`
	Format   string `json:"format"`
	Records  int    `json:"records"`
	Rejected int    `json:"rejected"`
	Quads    int    `json:"quads"`
	Added    int    `json:"added"`
}

// LoadReport is what a Loader did.
type LoadReport struct {
	Files     []FileReport
	DryRun    bool
	Problems  []string // records skipped with SkipInvalid, each FILE:LINE: field: what
	Warnings  []string // e.g. a name another entity also has
	Committed bool     // after a failure: the transaction was committed before it
}

// An InvalidError is input that does not load: nothing was written.
type InvalidError struct {
	Problems []string // each FILE:LINE: field: what (expected …)
}

func (e *InvalidError) Error() string { return strings.Join(e.Problems, "\n") }

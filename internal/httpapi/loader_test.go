package httpapi

import (
	"context"
	"errors"

	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/schema"
)

// testLoader is the tests' wiring of ingest to the server, as cmd/threatgraph
// wires it (storeLoader there); this package does not import ingest.
type testLoader struct{ target ingest.Target }

func (testLoader) Accepts(name string) error {
	_, err := ingest.FormatOf(name)
	return err
}

func (l testLoader) Load(ctx context.Context, ups []Upload, opt LoadOptions) (*LoadReport, error) {
	files := make([]*ingest.File, len(ups))
	for i, u := range ups {
		files[i] = ingest.Parse(u.Name, u.Data)
	}
	rep, err := ingest.Load(ctx, l.target, files, ingest.Options{DryRun: opt.DryRun, SkipInvalid: opt.SkipInvalid})
	msgs := func(errs schema.Errors) (out []string) {
		for _, e := range errs {
			out = append(out, e.Error())
		}
		return out
	}
	var problems schema.Errors
	if errors.As(err, &problems) {
		return nil, &InvalidError{Problems: msgs(problems)}
	}
	if rep == nil {
		return nil, err
	}
	out := &LoadReport{DryRun: rep.DryRun, Problems: msgs(rep.Problems), Warnings: msgs(rep.Warnings)}
	for _, f := range rep.Files {
		out.Files = append(out.Files, FileReport(f))
	}
	var we *ingest.WriteError
	out.Committed = errors.As(err, &we) && we.Written
	return out, err
}

package main

import (
	"context"
	"errors"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/internal/httpapi"
	"github.com/threatgraph/threatgraph/schema"
)

// storeLoader wires ingest to the HTTP server's POST /v1/ingest: the server
// declares what it needs (httpapi.Loader) and does not import ingest.
type storeLoader struct{ target ingest.Target }

var _ httpapi.Loader = storeLoader{}

func (storeLoader) Accepts(name string) error {
	imps, err := importers(importOptions{})
	if err != nil {
		return err
	}
	return ingest.Recognised(name, nil, imps)
}

func (l storeLoader) Load(ctx context.Context, ups []httpapi.Upload, opt httpapi.LoadOptions) (*httpapi.LoadReport, error) {
	return loadUploads(ctx, l.target, ups, opt)
}

// loadUploads parses and loads uploads in one transaction and translates
// ingest's report and errors into the server's.
func loadUploads(ctx context.Context, t ingest.Target, ups []httpapi.Upload, opt httpapi.LoadOptions) (*httpapi.LoadReport, error) {
	imps, err := importers(importOptions{Mapping: opt.Mapping})
	if err != nil {
		return nil, err
	}
	files := make([]*ingest.File, len(ups))
	for i, u := range ups {
		files[i] = ingest.ParseWith(ctx, u.Name, u.Data, imps)
	}
	if st, ok := t.(*graph.Store); ok { // the gazetteer beside the store
		if files, err = enrichFiles(ctx, st, files, nil); err != nil {
			return nil, err
		}
	}
	rep, err := ingest.Load(ctx, t, files, ingest.Options{DryRun: opt.DryRun, SkipInvalid: opt.SkipInvalid, Record: schema.LoadInfo{Via: "http"}})
	var problems schema.Errors
	if errors.As(err, &problems) {
		return nil, &httpapi.InvalidError{Problems: messages(problems)}
	}
	if rep == nil {
		return nil, err
	}
	out := &httpapi.LoadReport{DryRun: rep.DryRun, Problems: messages(rep.Problems), Warnings: messages(rep.Warnings)}
	for _, f := range rep.Files {
		out.Files = append(out.Files, httpapi.FileReport(f))
	}
	var we *ingest.WriteError
	out.Committed = errors.As(err, &we) && we.Written
	return out, err
}

func messages(errs schema.Errors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

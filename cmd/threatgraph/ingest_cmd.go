package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/ingest"
	"github.com/threatgraph/threatgraph/ingest/table"
	"github.com/threatgraph/threatgraph/internal/httpapi"
	"github.com/threatgraph/threatgraph/schema"
)

func newIngestCmd(a *app) *cobra.Command {
	var opt ingest.Options
	var impOpt importOptions
	var rejects, server string
	cmd := &cobra.Command{
		Use:   "ingest FILE...",
		Short: "Load native, N-Quads, STIX 2.1, GDELT, Wikidata and table files into the store",
		Long: `Load files into the store: the native format (.yaml, .yml, .json; see docs/format.md)
and N-Quads (.nq, .nquads). "-" reads native YAML from standard input. Besides, each detected
by its name or its first bytes (docs/import.md):
  STIX 2.1 bundles (JSON with "type": "bundle": MITRE ATT&CK, OpenCTI, MISP exports)
  GDELT 1.0 and 2.0 event files (*.export.CSV, or 57/58/61 tab-separated columns)
  the Wikidata excerpt format (a CSV whose header begins qid,primary_name,aliases_json)
  incident tables with --mapping: --mapping gtd, --mapping acled (shipped), or a mapping file
When a gazetteer is loaded (threatgraph places load), the places of a load are resolved
against it.

Strict by default: every file is checked (syntax, vocabulary, values, references, kinds)
before anything is written, every problem is reported as FILE:LINE: field: message, and
nothing is written unless all files are valid. All the files are written in one transaction:
all of them land, or none.
Re-ingesting the same input adds nothing.

--server URL sends the files to a running threatgraph serve (POST URL/v1/ingest, one
multipart request) with the bearer token of serve.token (THREATGRAPH_SERVE_TOKEN) and prints the
server's report; the server loads them in one transaction too.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strict, _ := cmd.Flags().GetBool("strict"); cmd.Flags().Changed("strict") {
				if strict && opt.SkipInvalid {
					return usageError{fmt.Errorf("--strict and --skip-invalid contradict each other (expected one of them)")}
				}
				opt.SkipInvalid = !strict
			}
			if server != "" {
				return a.ingestRemote(cmd.Context(), server, args, cmd.InOrStdin(), opt, impOpt.Mapping)
			}
			imps, err := importers(impOpt)
			if err != nil {
				return usageError{err}
			}
			if streamable(args, imps) {
				return a.ingestStreamed(cmd.Context(), args, opt, rejects)
			}
			m := a.readMeter(cmd.Context(), args)
			files, err := readFiles(cmd.Context(), args, cmd.InOrStdin(), m, imps)
			m.stop()
			if err != nil {
				return err
			}
			mappingUnused(impOpt.Mapping, files)
			if opt.SkipInvalid && rejects != "" && !opt.DryRun {
				f, err := os.Create(rejects)
				if err != nil {
					return fmt.Errorf("creating rejects report: %w", err)
				}
				defer f.Close()
				opt.Rejects = f
			}
			return a.withStore(cmd.Context(), func(s *graph.Store) error {
				return a.load(cmd.Context(), s, files, opt, rejects)
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opt.DryRun, "dry-run", false, "validate only; write nothing")
	f.BoolVar(&opt.SkipInvalid, "skip-invalid", false, "load the valid records and report the others (default: strict, all or nothing)")
	f.Bool("strict", true, "refuse all files if any record is invalid (the default; --strict=false is --skip-invalid)")
	f.StringVar(&server, "server", "", "send the files to a threatgraph server at this URL (e.g. http://127.0.0.1:8080) instead of opening the store")
	f.StringVar(&impOpt.Mapping, "mapping", "", "read table files (.csv, .tsv, .txt) with this mapping: gtd, acled (shipped) or a mapping file (docs/import.md)")
	f.StringVar(&rejects, "rejects", "threatgraph-rejects.jsonl", "with --skip-invalid: where to write rejected records (JSON lines)")
	return cmd
}

// mappingUnused warns, in the first file's warnings, when --mapping read
// none of the files (they were all read by other importers, say a .json as
// STIX): the user's mapping was then ignored.
func mappingUnused(mapping string, files []*ingest.File) {
	if mapping == "" || len(files) == 0 {
		return
	}
	var names []string
	for _, f := range files {
		if f.Format == table.Format {
			return
		}
		names = append(names, f.Name+" ("+f.Format+")")
	}
	files[0].Warnings.Addf(files[0].Name, 0, "", "--mapping %s applied to no file: it reads tables (.csv, .tsv, .txt), and %s were read by other importers", mapping, strings.Join(names, ", "))
}

// readFiles reads and parses the named files, telling m (if any) of the
// bytes read.
func readFiles(ctx context.Context, args []string, stdin io.Reader, m *meter, imps []ingest.Importer) ([]*ingest.File, error) {
	var files []*ingest.File
	for _, name := range args {
		var data []byte
		var err error
		if name == "-" {
			data, err = io.ReadAll(m.reader(stdin))
			name = "stdin.yaml"
		} else {
			if ferr := ingest.Recognised(name, nil, imps); ferr != nil && !detectedByContent(name, imps) {
				return nil, usageError{ferr}
			}
			if tableLike(name) && !detectedByContent(name, imps) {
				return nil, usageError{fmt.Errorf("%s: a table, but no importer reads it as it is: give --mapping gtd, --mapping acled or a mapping file (docs/import.md)", name)}
			}
			if f, ok, err := parseImported(ctx, name, m, imps); ok {
				if err != nil {
					return nil, usageError{fmt.Errorf("reading %s: %w", name, err)}
				}
				files = append(files, f)
				continue
			}
			data, err = readInput(name, m)
		}
		if err != nil {
			return nil, usageError{fmt.Errorf("reading %s: %w", name, err)}
		}
		files = append(files, ingest.ParseWith(ctx, name, data, imps))
	}
	return files, nil
}

// load runs ingest.Load and prints its report.
func (a *app) load(ctx context.Context, s *graph.Store, files []*ingest.File, opt ingest.Options, rejects string) error {
	opt.Record = schema.LoadInfo{Via: "ingest"}
	files, err := a.enrich(ctx, s, files) // places resolved against the gazetteer, when one is loaded
	if err != nil {
		return err
	}
	visible, cerr := s.Count(ctx) // the quads in the answers before, to tell what a retraction hides
	rep, err := ingest.Load(ctx, a.withProgress(writeTarget{s, sessionOf(ctx)}), files, opt)
	return a.loaded(ctx, s, rep, err, len(files), ingest.Warnings(files), opt, rejects, visible, cerr)
}

// loaded prints what a load did (its warnings, problems, report, record)
// and returns its error for the CLI; visible and cerr are the store's Count
// before the load.
func (a *app) loaded(ctx context.Context, s *graph.Store, rep *ingest.Report, err error, nfiles int, warnings schema.Errors, opt ingest.Options, rejects string, visible int64, cerr error) error {
	a.printProblems("warning: ", "warning", warnings, "--format json")
	var problems schema.Errors
	if errors.As(err, &problems) {
		a.printProblems("", "problem", problems, "--format json")
		return usageError{fmt.Errorf("%s in %s; nothing was written", plural(len(problems), "problem"), plural(nfiles, "file"))}
	}
	if err != nil {
		return err
	}
	if a.cfg.Format == "json" {
		return a.json(rep)
	}
	if err := a.printReport(rep); err != nil {
		return err
	}
	switch {
	case opt.DryRun:
		a.printf("dry run: %d files valid, nothing written\n", nfiles)
	case rep.Totals().Added == 0 && rep.Totals().Quads > 0:
		a.printf("nothing new: every quad was already in %s\n", s.Path())
	}
	if !opt.DryRun && rep.Totals().Quads > 0 && s.Backend() == "bbolt" {
		if ls, err := s.Loads(ctx); err == nil && len(ls) > 0 {
			id := ls[len(ls)-1].ID
			a.printf("recorded as %s (threatgraph retract %s --reason TEXT takes it out of the answers)\n", id, id)
		}
		if now, err := s.Count(ctx); cerr == nil && err == nil && now-visible < int64(rep.Totals().Added) {
			hidden := int64(rep.Totals().Added) - (now - visible)
			fmt.Fprintf(a.errOut, "warning: %d of the %d quads added are hidden by retractions in force (of their source or statement); threatgraph loads lists them, retract --undo brings them back\n", hidden, rep.Totals().Added)
		}
	}
	if len(rep.Problems) > 0 {
		where := "--rejects FILE"
		if opt.Rejects != nil {
			where = "in " + rejects
		}
		a.printProblems("skipped: ", "problem", rep.Problems, where)
		if opt.Rejects != nil {
			fmt.Fprintf(a.errOut, "%d records rejected; report in %s\n", rep.Totals().Rejected, rejects)
		}
	}
	return nil
}

// maxProblems is how many problems (or warnings) ingest prints on a
// terminal; the rest are counted.
const maxProblems = 50

// printProblems prints problems one a line, each after prefix: all of them
// with --format json, else the first maxProblems and how many more, and
// where to find them all.
func (a *app) printProblems(prefix, noun string, problems schema.Errors, all string) {
	for i, p := range problems {
		if i == maxProblems && a.cfg.Format != "json" {
			fmt.Fprintf(a.errOut, "%s… and %s (all of them: %s)\n", prefix, plural(len(problems)-i, "more "+noun), all)
			return
		}
		fmt.Fprintln(a.errOut, prefix+schema.Escape(p.Error()))
	}
}

// printReport prints ingest's per-file table.
func (a *app) printReport(rep *ingest.Report) error {
	tw := tabwriter.NewWriter(a.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tformat\trecords\trejected\tquads\tadded\t")
	for _, f := range rep.Files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t\n", f.File, f.Format, f.Records, f.Rejected, f.Quads, f.Added)
	}
	t := rep.Totals()
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\t\n", t.Records, t.Rejected, t.Quads, t.Added)
	return tw.Flush()
}

// ingestRemote sends all the files in one request (multipart/form-data, a
// part per file) to a server's POST /v1/ingest, which loads them in one
// transaction, and prints the server's report.
func (a *app) ingestRemote(ctx context.Context, server string, names []string, stdin io.Reader, opt ingest.Options, mapping string) error {
	base, err := url.Parse(strings.TrimRight(server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return usageError{fmt.Errorf("--server %q: expected a URL such as http://127.0.0.1:8080", server)}
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, name := range names {
		var data []byte
		if name == "-" {
			data, err = io.ReadAll(stdin)
			name = "stdin.yaml"
		} else {
			imps, ierr := importers(importOptions{})
			if ierr != nil {
				return usageError{ierr}
			}
			if ferr := ingest.Recognised(name, nil, imps); ferr != nil && !detectedByContent(name, imps) {
				return usageError{ferr}
			}
			data, err = os.ReadFile(name)
		}
		if err != nil {
			return usageError{fmt.Errorf("reading %s: %w", name, err)}
		}
		w, err := mw.CreateFormFile("file", filepath.Base(name))
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := mw.Close(); err != nil {
		return err
	}
	q := url.Values{}
	if opt.DryRun {
		q.Set("dry-run", "true")
	}
	if opt.SkipInvalid {
		q.Set("skip-invalid", "true")
	}
	if mapping != "" {
		if !slices.Contains(table.Shipped(), mapping) {
			return usageError{fmt.Errorf("--mapping %q with --server: a server reads only its shipped mappings (%s); ingest a table with a mapping file of your own locally", mapping, strings.Join(table.Shipped(), ", "))}
		}
		q.Set("mapping", mapping)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base.String()+"/v1/ingest?"+q.Encode(), &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if tok := string(a.cfg.Serve.Token); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	client := &http.Client{Timeout: 10 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sending %s to %s: %w", strings.Join(names, ", "), base.Redacted(), err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("reading the server's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error  string `json:"error"`
			Detail struct {
				Problems []string `json:"problems"`
			} `json:"detail"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			return fmt.Errorf("server answered %s", resp.Status)
		}
		for _, p := range e.Detail.Problems {
			fmt.Fprintln(a.errOut, schema.Escape(p))
		}
		err := fmt.Errorf("server refused the load (%s): %s", resp.Status, schema.Escape(e.Error))
		if resp.StatusCode == http.StatusUnprocessableEntity || resp.StatusCode == http.StatusBadRequest {
			return usageError{err}
		}
		return err
	}
	total := &httpapi.IngestResult{}
	if err := json.Unmarshal(raw, total); err != nil {
		return fmt.Errorf("decoding the server's answer: %w", err)
	}
	for _, w := range total.Warnings {
		fmt.Fprintln(a.errOut, "warning: "+schema.Escape(w))
	}
	if a.cfg.Format == "json" {
		return a.json(total)
	}
	rep := &ingest.Report{DryRun: total.DryRun}
	for _, f := range total.Files {
		rep.Files = append(rep.Files, ingest.FileReport(f))
	}
	if err := a.printReport(rep); err != nil {
		return err
	}
	for _, p := range total.Problems {
		fmt.Fprintln(a.errOut, "skipped:", p)
	}
	a.printf("the server now holds %d quads\n", total.Quads)
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

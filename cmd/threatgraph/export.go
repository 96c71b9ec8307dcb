package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/threatgraph/threatgraph/graph"
	"github.com/threatgraph/threatgraph/query"
	"github.com/threatgraph/threatgraph/query/export"
)

type exportFlags struct {
	format     string
	out        string
	kinds      []string
	around     string
	depth      int
	from, to   string
	sources    []string
	exclude    []string
	machine    bool
	centrality []string
	deprecated bool
}

func newExportCmd(a *app) *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the graph as GraphML, GEXF, Cytoscape.js JSON, N-Quads, native JSON or STIX 2.1",
		Long: `Write the store, or the part the filters select, for Gephi, yEd, Cytoscape, NetworkX and
igraph (graphml, gexf, cytoscape), as facts that load back into a store (nquads, json), or as a
STIX 2.1 bundle (stix: each source a report, each statement a note, each judgement an opinion).

The export alone goes to --out (default -, stdout); a one-line summary goes to stderr. The same
store gives byte-identical output. With --out FILE the file is written beside its final name and
renamed into place when complete, so a failed or interrupted run never leaves a truncated file; a
symlink to a file is written through (its target is replaced, the link stays). A device, FIFO or
socket (e.g. /dev/null, a named pipe) is opened and written directly, never replaced.

Exit status: 0 written; 1 store or I/O failure; 2 bad flags or filters (unknown kind, source,
entity or measure, bad date); 3 store held by another process.

See docs/export.md for the attributes of each format.`,
		Example: `  threatgraph export --format graphml --out threatgraph.graphml
  threatgraph export --format gexf --kinds Attack,Warning,Group --from 2024-01 --to 2024-03 --out -
  threatgraph export --format graphml --around ISIS-K --depth 2 --with-centrality pagerank,betweenness
  threatgraph export --format nquads --sources source:bbc-2024-03-25-gardner > bbc.nq
  threatgraph export --format stix --kinds Group,Attack,Source --out bundle.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.NoArgs(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.export(cmd.Context(), f, cmd.Flags().Changed("depth"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "graphml", "output format: "+strings.Join(query.ExportFormats, ", "))
	fl.StringVarP(&f.out, "out", "o", "-", "output file, or - for stdout")
	fl.StringSliceVar(&f.kinds, "kinds", nil, "keep entities of these kinds (e.g. Group,Attack); edges between kept entities")
	fl.StringVar(&f.around, "around", "", "keep the neighbourhood of this entity (id, name or alias)")
	fl.IntVar(&f.depth, "depth", 1, "hops from --around, both directions")
	fl.StringVar(&f.from, "from", "", "keep dated entities (Attack, Warning, Claim) stated to overlap this date or later")
	fl.StringVar(&f.to, "to", "", "keep dated entities stated to overlap this date or earlier")
	fl.StringSliceVar(&f.sources, "sources", nil, "use only facts stated by these sources (ids, comma-separated)")
	fl.StringSliceVar(&f.exclude, "exclude-sources", nil, "leave out facts stated by these sources")
	fl.BoolVar(&f.machine, "exclude-machine", false, "leave out facts of machine-coded sources (coding: machine, such as GDELT's)")
	fl.StringSliceVar(&f.centrality, "with-centrality", nil, "add node scores (graph formats): "+strings.Join(query.Measures, ", "))
	fl.BoolVar(&f.deprecated, "with-deprecated", false, "keep the facts that judgements rank deprecated (graph formats; nquads, json and stix always write every statement with its judgements)")
	return cmd
}

// options turns the flags into export options; Export checks their values.
func (f exportFlags) options(depthSet bool) (query.ExportOptions, error) {
	if depthSet && f.around == "" {
		return query.ExportOptions{}, usageError{errors.New("--depth needs --around")}
	}
	o := query.ExportOptions{Around: f.around, Depth: f.depth, Centrality: f.centrality,
		Scope: query.Scope{Sources: f.sources, ExcludeSources: f.exclude, ExcludeMachine: f.machine, From: f.from, To: f.to, WithDeprecated: f.deprecated}}
	for _, k := range f.kinds {
		o.Scope.Kinds = append(o.Scope.Kinds, strings.TrimSpace(k))
	}
	return o, nil
}

func (a *app) export(ctx context.Context, f exportFlags, depthSet bool) error {
	o, err := f.options(depthSet)
	if err != nil {
		return err
	}
	start := time.Now()
	var sum export.Summary
	var n int64
	err = a.readStore(ctx, func(s *graph.Store) error {
		q, err := a.reader(ctx, s)
		if err != nil {
			return err
		}
		return writeOut(ctx, f.out, a.out, func(w io.Writer) error {
			cw := &countingWriter{w: w}
			var err error
			// The scores, if asked for, load the view after the options
			// are checked: with its own progress bar.
			vctx, viewDone := a.viewProgress(ctx)
			var done func()
			o.Progress, done = a.exportProgress(ctx)
			sum, err = q.Export(vctx, cw, f.format, o)
			done()
			viewDone()
			n = cw.n
			return err
		})
	})
	if err != nil {
		return asUsage(err)
	}
	dest := f.out
	if dest == "-" {
		dest = "stdout"
	}
	switch f.format {
	case "nquads":
		fmt.Fprintf(a.errOut, "exported %d quads of %d entities as %s to %s: %d bytes in %s\n", sum.Quads, sum.Nodes, f.format, dest, n, time.Since(start).Round(time.Millisecond))
	case "json":
		fmt.Fprintf(a.errOut, "exported %d entities (%d quads, %d skipped) as %s to %s: %d bytes in %s\n", sum.Nodes, sum.Quads, sum.Skipped, f.format, dest, n, time.Since(start).Round(time.Millisecond))
	case "stix":
		fmt.Fprintf(a.errOut, "exported %d entities and %d relationships (%d STIX objects, %d quads) as %s to %s: %d bytes in %s\n", sum.Nodes, sum.Edges, sum.Objects, sum.Quads, f.format, dest, n, time.Since(start).Round(time.Millisecond))
		printNotExported(a.errOut, sum)
	default:
		fmt.Fprintf(a.errOut, "exported %d nodes and %d edges as %s to %s: %d bytes in %s\n", sum.Nodes, sum.Edges, f.format, dest, n, time.Since(start).Round(time.Millisecond))
	}
	if len(sum.Markings) > 0 {
		// Handling: the most restrictive TLP of the sources the export used.
		if sum.Marking == "" {
			fmt.Fprintf(a.errOut, "marking: none (no TLP marking on the sources used; other markings: %s)\n", strings.Join(sum.Markings, ", "))
		} else {
			fmt.Fprintf(a.errOut, "marking: %s (most restrictive TLP of the sources used; all: %s)\n", sum.Marking, strings.Join(sum.Markings, ", "))
		}
	}
	return nil
}

// printNotExported says, one line per reason, what an export could not
// write (STIX: quads of other vocabularies, entities of kinds STIX has no
// object for, relations to them), so that nothing is left out silently.
func printNotExported(w io.Writer, sum export.Summary) {
	if sum.Skipped == 0 {
		return
	}
	fmt.Fprintf(w, "not exported: %d\n", sum.Skipped)
	for _, k := range slices.Sorted(maps.Keys(sum.NotExported)) {
		fmt.Fprintf(w, "  %d %s\n", sum.NotExported[k], k)
	}
}

// writeOut runs write on stdout for "-". A path that is, or links to,
// something other than a regular file (a device such as /dev/null, a FIFO,
// a socket) is opened and written directly: replacing it would destroy
// it. Otherwise write runs on a temporary file beside the final file (the
// symlink's target when path is a symlink to a regular file, so that the
// link stays a link) that is renamed into place only when write and close
// succeed; on failure, cancellation or a forced exit after a signal the
// temporary file is removed.
func writeOut(ctx context.Context, path string, stdout io.Writer, write func(io.Writer) error) (err error) {
	if path == "-" {
		return write(stdout)
	}
	if fi, serr := os.Stat(path); serr == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return usageError{fmt.Errorf("--out %s is a directory (expected a file path)", path)}
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("opening output: %w", err)
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	}
	final, err := linkTarget(path)
	if err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	// The file replaced keeps its permissions (and, for root, its owner):
	// an export of intelligence data kept 0600 must not become readable.
	mode, owner := newFileMode(), (*syscall.Stat_t)(nil)
	if fi, serr := os.Stat(final); serr == nil {
		mode = fi.Mode().Perm()
		owner, _ = fi.Sys().(*syscall.Stat_t)
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp*")
	if err != nil {
		return fmt.Errorf("creating output: %w", err)
	}
	unregister := sessionOf(ctx).onExit(func() { os.Remove(tmp.Name()) })
	defer unregister()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if owner != nil && os.Geteuid() == 0 {
		if err := tmp.Chown(int(owner.Uid), int(owner.Gid)); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// newFileMode is the mode a new file gets from os.Create: 0666 less the
// process's umask (022 gives 0644, 077 gives 0600).
func newFileMode() os.FileMode {
	mask := syscall.Umask(0)
	syscall.Umask(mask)
	return os.FileMode(0o666 &^ mask)
}

// linkTarget follows path through symbolic links to the file they name,
// which need not exist yet (a dangling link is written through, creating
// its target, as a plain write through the link would).
func linkTarget(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return "", errors.New("too many levels of symbolic links")
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

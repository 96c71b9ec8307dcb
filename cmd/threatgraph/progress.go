package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/threatgraph/threatgraph/query"
)

// progressDelay is how long a piece of work runs before its progress is
// shown: quick work (a small file, the demo) never flashes a bar. The
// environment's THREATGRAPH_PROGRESS_DELAY (a Go duration) overrides it,
// for a slow terminal or a test.
var progressDelay = delayFromEnv(300 * time.Millisecond)

func delayFromEnv(def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv("THREATGRAPH_PROGRESS_DELAY")); err == nil && d >= 0 {
		return d
	}
	return def
}

// progressThrottle is the shortest time between two redraws of a bar.
const progressThrottle = 100 * time.Millisecond

// readChunk is how much of an input file is read between two progress
// reports.
const readChunk = 4 << 20

// showProgress reports whether long work shows progress: only on a
// terminal (stderr), never with --quiet. Progress never goes to stdout.
func (a *app) showProgress() bool {
	if a.quiet {
		return false
	}
	f, ok := a.errOut.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// A meter shows one piece of work's progress on stderr: a bar of done
// out of total (bytes or items), or a spinner with the elapsed time when
// the total is unknown (total < 0). The bar appears only once the work has
// run for progressDelay, and is cleared by stop, or by the session's
// clean-ups when the process must exit on a signal before the command
// returns. A nil *meter (progress off) does nothing.
type meter struct {
	mu      sync.Mutex
	w       io.Writer
	desc    string
	total   int64
	bytes   bool
	unit    string
	cur     int64
	bar     *progressbar.ProgressBar
	timer   *time.Timer
	stopped bool
	remove  func()
}

// startMeter starts a meter for work described by desc, of total units
// (negative: unknown); unit names the units ("bytes" shows them as
// bytes). It returns nil when progress is off.
func (a *app) startMeter(ctx context.Context, desc string, total int64, unit string) *meter {
	if !a.showProgress() {
		return nil
	}
	m := &meter{w: a.errOut, desc: desc, total: total, bytes: unit == "bytes", unit: unit}
	m.remove = sessionOf(ctx).onExit(m.clear)
	m.timer = time.AfterFunc(progressDelay, m.show)
	return m
}

// show creates and draws the bar, unless the work is over.
func (m *meter) show() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(m.w),
		progressbar.OptionSetDescription(m.desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(progressThrottle),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	}
	max := m.total
	switch {
	case m.total < 0:
		max = -1
		opts = append(opts, progressbar.OptionSpinnerType(14), progressbar.OptionSetElapsedTime(true), progressbar.OptionSetPredictTime(false))
	case m.bytes:
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionShowCount())
	default:
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionSetItsString(m.unit), progressbar.OptionShowIts())
	}
	if max == 0 {
		return // nothing to count
	}
	m.bar = progressbar.NewOptions64(max, opts...)
	if m.total >= 0 && m.cur > 0 {
		_ = m.bar.Set64(min(m.cur, m.total))
	}
}

// set reports that done units of the work are done.
func (m *meter) set(done int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cur = done
	if m.bar != nil && m.total >= 0 && !m.stopped {
		_ = m.bar.Set64(min(done, m.total))
	}
}

// add reports n more units done.
func (m *meter) add(n int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	cur := m.cur + n
	m.mu.Unlock()
	m.set(cur)
}

// clear stops the meter and erases its bar from the terminal.
func (m *meter) clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	m.stopped = true
	m.timer.Stop()
	if m.bar != nil {
		// Finish with OptionClearOnFinish erases the line and stops
		// the spinner's redraws.
		_ = m.bar.Finish()
	}
}

// stop ends the meter: the bar, if shown, is erased. Safe to call more
// than once.
func (m *meter) stop() {
	if m == nil {
		return
	}
	m.clear()
	m.remove()
}

// reader returns r, telling m of the bytes read through it.
func (m *meter) reader(r io.Reader) io.Reader {
	if m == nil {
		return r
	}
	return meterReader{r, m}
}

type meterReader struct {
	r io.Reader
	m *meter
}

func (r meterReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p[:min(len(p), readChunk)])
	r.m.add(int64(n))
	return n, err
}

// readMeter starts the meter of reading the named input files: their
// total size in bytes, or a spinner when standard input ("-") is among
// them.
func (a *app) readMeter(ctx context.Context, names []string) *meter {
	if !a.showProgress() {
		return nil
	}
	var total int64
	for _, name := range names {
		if name == "-" {
			total = -1
			break
		}
		if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
	}
	return a.startMeter(ctx, "reading input", total, "bytes")
}

// readInput reads the file name, telling m (if any) of its progress.
func readInput(name string, m *meter) ([]byte, error) {
	if m == nil {
		return os.ReadFile(name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return readAll(m.reader(f), size)
}

// readAll reads r to the end into a buffer of size bytes to begin with.
func readAll(r io.Reader, size int64) ([]byte, error) {
	data := make([]byte, 0, size+512)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
	}
}

// progressTarget is ingest's write target with a spinner, the number of
// quads and the elapsed time, while the store write (one call that reports
// nothing until it returns) runs.
type progressTarget struct {
	writeTarget
	a *app
}

// withProgress returns t showing the progress of its writes.
func (a *app) withProgress(t writeTarget) progressTarget { return progressTarget{t, a} }

// Write shows the spinner around the write.
func (t progressTarget) Write(ctx context.Context, qs []quad.Quad) (int, error) {
	m := t.a.startMeter(ctx, fmt.Sprintf("writing %d quads to the store", len(qs)), -1, "")
	defer m.stop()
	return t.writeTarget.Write(ctx, qs)
}

// viewProgress returns ctx with a progress report for a build of the
// analytics view (quads scanned of the store's count) and the func that
// ends it.
func (a *app) viewProgress(ctx context.Context) (context.Context, func()) {
	if !a.showProgress() {
		return ctx, func() {}
	}
	var m *meter
	var mu sync.Mutex
	ctx = query.WithViewProgress(ctx, func(scanned, total int64) {
		mu.Lock()
		defer mu.Unlock()
		if m == nil {
			if total <= 0 {
				total = -1
			}
			m = a.startMeter(ctx, "building the analytics view", total, "quads")
		}
		m.set(scanned)
	})
	return ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		m.stop()
	}
}

// exportProgress returns a progress func for query.ExportOptions (items
// written of the total, a bar for each phase: entities, then edges) and
// the func that ends it; nil when progress is off. The export calls it
// from one goroutine.
func (a *app) exportProgress(ctx context.Context) (func(phase string, done, total int), func()) {
	if !a.showProgress() {
		return nil, func() {}
	}
	var m *meter
	var current string
	return func(phase string, done, total int) {
			if phase != current {
				m.stop()
				m, current = a.startMeter(ctx, "exporting "+phase, int64(total), phase), phase
			}
			m.set(int64(done))
		}, func() {
			m.stop()
		}
}

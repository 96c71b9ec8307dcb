package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cayleygraph/quad"

	"github.com/threatgraph/threatgraph/graph"
)

// graceAfterSignal is how long a command may take to return after the
// first SIGINT or SIGTERM before the process exits without it: a store
// write is one bbolt transaction that nothing can interrupt from outside.
const graceAfterSignal = 1500 * time.Millisecond

// Write states of a session.
const (
	noWrite   int32 = iota // no store write has begun
	writing                // a store write call has begun and not returned
	wroteSome              // a store write returned (it may have landed)
)

// A session is what a run of the CLI shares with main's signal handling:
// whether a store write is under way, and the clean-ups (temporary files)
// to run if the process must exit before the command returns.
type session struct {
	write    atomic.Int32
	mu       sync.Mutex
	cleanups map[int]func()
	next     int
}

type sessionKey struct{}

// withSession returns ctx carrying s.
func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// sessionOf returns the session of ctx, or a fresh one (tests that run the
// CLI in-process have none).
func sessionOf(ctx context.Context) *session {
	if s, ok := ctx.Value(sessionKey{}).(*session); ok {
		return s
	}
	return &session{}
}

// onExit registers fn to run if the process exits on a signal before the
// command returns; the returned func unregisters it.
func (s *session) onExit(fn func()) (remove func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cleanups == nil {
		s.cleanups = map[int]func(){}
	}
	id := s.next
	s.next++
	s.cleanups[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.cleanups, id)
	}
}

func (s *session) runCleanups() {
	s.mu.Lock()
	fns := make([]func(), 0, len(s.cleanups))
	for _, fn := range s.cleanups {
		fns = append(fns, fn)
	}
	s.cleanups = nil
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// writeTarget is the store as ingest writes to it, recording in the
// session when a write begins and returns. Embedding *graph.Store keeps
// every other method ingest looks for.
type writeTarget struct {
	*graph.Store
	sess *session
}

// Write records the write's state around the store's Write.
func (t writeTarget) Write(ctx context.Context, qs []quad.Quad) (int, error) {
	t.sess.write.Store(writing)
	defer t.sess.write.Store(wroteSome)
	return t.Store.Write(ctx, qs)
}

// WriteStream records the write's state around the store's WriteStream,
// which also runs the load's second pass: the state says "writing" only
// from the moment the store begins to write, so that an interruption
// during the checks says the store is unchanged.
func (t writeTarget) WriteStream(ctx context.Context, each func(put func(quad.Quad, int) error) error) ([]int, []int, error) {
	var started atomic.Bool
	ctx = graph.WithWriteStart(ctx, func() {
		started.Store(true)
		t.sess.write.Store(writing)
	})
	quads, added, err := t.Store.WriteStream(ctx, each)
	if started.Load() {
		t.sess.write.Store(wroteSome)
	}
	return quads, added, err
}

// interruptMessage says what an interrupted run did to the store, from
// what the CLI can know: whether a write call had begun. A write that had
// begun may be committing; bbolt commits atomically, so it landed whole
// or not at all.
func (s *session) interruptMessage() string {
	if s.write.Load() == noWrite {
		return "interrupted; the store is unchanged"
	}
	return "interrupted during the write: it either landed whole or not at all; run threatgraph stats"
}

// signalCode is the shell's exit status for a process ended by sig.
func signalCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// superviseRun runs cmd with a context that the first signal on sigs
// cancels. If cmd has not returned grace after that signal, or a second
// signal arrives, it runs the session's clean-ups and returns at once. It
// returns the exit code and writes the error or interruption message to
// errOut.
func superviseRun(sigs <-chan os.Signal, errOut io.Writer, grace time.Duration, cmd func(context.Context) error) int {
	sess := &session{}
	ctx, cancel := context.WithCancel(withSession(context.Background(), sess))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd(ctx) }()
	fail := func(err error) int {
		if err == nil {
			return 0
		}
		fmt.Fprintln(errOut, "threatgraph:", err)
		return exitCode(err)
	}
	var sig os.Signal
	select {
	case err := <-done:
		return fail(err)
	case sig = <-sigs:
	}
	cancel()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case err := <-done:
		if err == nil {
			// The command finished its work before it saw the signal.
			return 0
		}
		if !errors.Is(err, context.Canceled) {
			fmt.Fprintln(errOut, "threatgraph:", err)
		}
	case <-timer.C:
		sess.runCleanups()
	case <-sigs:
		sess.runCleanups()
	}
	fmt.Fprintln(errOut, "threatgraph:", sess.interruptMessage())
	return signalCode(sig)
}

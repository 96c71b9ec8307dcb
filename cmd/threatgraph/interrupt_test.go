package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSuperviseForcedExit: a command that ignores cancellation (as a
// store write does) is abandoned grace after the signal, with the signal's
// exit code, the temporary files registered removed, and a message that
// depends on whether a write had begun.
func TestSuperviseForcedExit(t *testing.T) {
	for _, tc := range []struct {
		state int32
		sig   os.Signal
		code  int
		want  string
	}{
		{noWrite, os.Interrupt, 130, "interrupted; the store is unchanged"},
		{writing, syscall.SIGTERM, 143, "interrupted during the write: it either landed whole or not at all; run threatgraph stats"},
	} {
		sigs := make(chan os.Signal, 2)
		var errOut bytes.Buffer
		cleaned := make(chan bool, 1)
		block := make(chan struct{})
		defer close(block)
		start := time.Now()
		time.AfterFunc(100*time.Millisecond, func() { sigs <- tc.sig })
		code := superviseRun(sigs, &errOut, 300*time.Millisecond, func(ctx context.Context) error {
			s := sessionOf(ctx)
			s.onExit(func() { cleaned <- true })
			s.write.Store(tc.state)
			<-block // ignores ctx
			return nil
		})
		took := time.Since(start)
		if code != tc.code {
			t.Errorf("exit code %d; want %d", code, tc.code)
		}
		if took < 400*time.Millisecond || took > 2*time.Second {
			t.Errorf("returned after %v; want about 100ms + 300ms grace", took)
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("stderr %q; want %q", errOut.String(), tc.want)
		}
		select {
		case <-cleaned:
		default:
			t.Error("the registered clean-up did not run")
		}
	}
}

// TestSuperviseSecondSignal: a second signal exits at once, without
// waiting for the grace period.
func TestSuperviseSecondSignal(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	block := make(chan struct{})
	defer close(block)
	time.AfterFunc(50*time.Millisecond, func() { sigs <- os.Interrupt; sigs <- os.Interrupt })
	start := time.Now()
	var errOut bytes.Buffer
	code := superviseRun(sigs, &errOut, time.Hour, func(ctx context.Context) error { <-block; return nil })
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("second signal: returned after %v; want at once", took)
	}
	if code != 130 {
		t.Errorf("exit code %d; want 130", code)
	}
}

// TestSuperviseCancelledCommand: a command that returns on cancellation
// ends the run with the signal's code and no raw "context canceled".
func TestSuperviseCancelledCommand(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	time.AfterFunc(50*time.Millisecond, func() { sigs <- os.Interrupt })
	var errOut bytes.Buffer
	code := superviseRun(sigs, &errOut, time.Hour, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	if code != 130 || strings.Contains(errOut.String(), "context canceled") || !strings.Contains(errOut.String(), "interrupted; the store is unchanged") {
		t.Errorf("code %d, stderr %q", code, errOut.String())
	}
}

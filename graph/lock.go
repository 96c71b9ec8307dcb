package graph

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrLocked reports that another process holds the store.
var ErrLocked = errors.New("store is in use by another process")

// A LockedError names the store and, where it is known, its holder.
type LockedError struct {
	Path   string
	Holder string // "pid 1234: threatgraph serve", may be empty
}

func (e *LockedError) Error() string {
	msg := fmt.Sprintf("store %s is in use by another process", e.Path)
	if e.Holder != "" {
		msg += " (" + e.Holder + ")"
	}
	return msg + "; stop it, or send the work through it (threatgraph ingest --server URL)"
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// lockName is the lock file in a store directory (not LOCK: goleveldb
// locks a file of that name itself).
const lockName = "threatgraph.lock"

// lockFile holds an exclusive advisory lock (flock) on dir/threatgraph.lock. The kernel
// releases it when the process exits, so a crash never leaves a stale lock.
type lockFile struct{ f *os.File }

func acquireLock(dir string) (*lockFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating store directory: %w", err)
	}
	name := filepath.Join(dir, lockName)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(name)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: dir, Holder: strings.TrimSpace(string(bytes.TrimSpace(holder)))}
		}
		return nil, fmt.Errorf("locking %s: %w", name, err)
	}
	// Say who holds it, for the message another process prints.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "pid %d: %s\n", os.Getpid(), strings.Join(append([]string{filepath.Base(os.Args[0])}, firstArg()...), " "))
	}
	return &lockFile{f: f}, nil
}

func firstArg() []string {
	if len(os.Args) > 1 {
		return os.Args[1:2]
	}
	return nil
}

func (l *lockFile) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return errors.Join(err, l.f.Close())
}

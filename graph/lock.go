package graph

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrLocked reports that another process holds the store.
var ErrLocked = errors.New("store is in use by another process")

// servingPrefix starts a holder note that names the address a server
// answers on (see Store.SetHolderNote).
const servingPrefix = "serving "

// A LockedError names the store and, where it is known, its holder.
type LockedError struct {
	Path   string
	Holder string // "pid 1234: threatgraph serve", may be empty (readers leave no text)
	// Note is what the holder added with Store.SetHolderNote, e.g.
	// "serving http://127.0.0.1:8080"; may be empty.
	Note string
	// ReadOnly is set when the refused opener only wanted to read.
	ReadOnly bool
}

func (e *LockedError) Error() string {
	msg := fmt.Sprintf("store %s is in use by another process", e.Path)
	switch {
	case e.Holder != "" && e.Note != "":
		msg += " (" + e.Holder + "; " + e.Note + ")"
	case e.Holder != "":
		msg += " (" + e.Holder + ")"
	case !e.ReadOnly:
		msg += " (another threatgraph command is reading it)"
	}
	url, serving := strings.CutPrefix(e.Note, servingPrefix)
	switch {
	case serving && e.ReadOnly:
		return msg + "; query it over HTTP at " + url + ", or stop it"
	case serving:
		return msg + "; send the work through it (threatgraph ingest --server " + url + "), or stop it"
	case e.ReadOnly, e.Holder == "":
		return msg + "; wait for it to finish, or stop it"
	}
	return msg + "; stop it, or send the work through it (threatgraph ingest --server URL)"
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// lockName is the lock file in a store directory (not LOCK: goleveldb
// locks a file of that name itself).
const lockName = "threatgraph.lock"

// lockFile holds an advisory lock (flock) on dir/threatgraph.lock: exclusive
// for a process that may write, shared for readers. The kernel releases it
// when the process exits, so a crash never leaves a stale lock. The file's
// text names the exclusive holder; readers never write it.
type lockFile struct {
	f      *os.File // nil: a reader in a read-only directory without a lock file
	shared bool
	holder string // the first line this holder wrote (exclusive only)
}

// acquireLock takes the store's lock, failing at once with a *LockedError
// when another process holds it in a conflicting mode. A shared lock opens
// the file read-only; in a directory this process cannot write, a missing
// lock file is not created and the lock is skipped: bbolt's own shared lock
// on its file still keeps writers out (see Open), and no writer can be in a
// directory that has never had a lock file.
func acquireLock(dir string, shared bool) (*lockFile, error) {
	name := filepath.Join(dir, lockName)
	var f *os.File
	var err error
	if shared {
		f, err = os.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			// Create it, so that a writer arriving while this reader runs
			// fails fast on the lock instead of waiting on bbolt's.
			f, err = os.OpenFile(name, os.O_RDONLY|os.O_CREATE, 0o644)
			if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
				return &lockFile{shared: true}, nil
			}
		}
	} else {
		if err := os.MkdirAll(dir, 0o755); errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("this user may not create the store directory %s: %w", dir, err)
		} else if err != nil {
			return nil, fmt.Errorf("creating store directory: %w", err)
		}
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	}
	if errors.Is(err, os.ErrPermission) && !shared {
		return nil, fmt.Errorf("this user may not write in %s (commands that only read work; ingest, demo and serve need write permission there): %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		text, _ := os.ReadFile(name)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder, note, _ := strings.Cut(strings.TrimSpace(string(text)), "\n")
			if !alive(holder) {
				// The text is left by a writer that died (kill -9); who
				// holds the lock now is a reader, which writes no text.
				holder, note = "", ""
			}
			return nil, &LockedError{Path: dir, Holder: strings.TrimSpace(holder), Note: strings.TrimSpace(note), ReadOnly: shared}
		}
		return nil, fmt.Errorf("locking %s: %w", name, err)
	}
	l := &lockFile{f: f, shared: shared}
	if !shared {
		// Say who holds it, for the message another process prints.
		l.holder = fmt.Sprintf("pid %d: %s", os.Getpid(), strings.Join(append([]string{filepath.Base(os.Args[0])}, firstArg()...), " "))
		_ = l.write("")
	}
	return l, nil
}

// write replaces the lock file's text with the holder line and note.
func (l *lockFile) write(note string) error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	text := l.holder + "\n"
	if note != "" {
		text += note + "\n"
	}
	_, err := l.f.WriteAt([]byte(text), 0)
	return err
}

// firstArg returns the command line after the program's name, shortened:
// enough to tell "serve" from "ingest" whatever flags come first.
func firstArg() []string {
	args := os.Args[1:]
	if len(args) > 6 {
		args = append(args[:6:6], "…")
	}
	line := strings.Join(args, " ")
	if len(line) > 120 {
		line = line[:120] + "…"
	}
	if line == "" {
		return nil
	}
	return []string{line}
}

// alive reports whether the holder line "pid N: …" names a running
// process (or cannot be read, which keeps the text as it is).
func alive(holder string) bool {
	var pid int
	if _, err := fmt.Sscanf(holder, "pid %d:", &pid); err != nil || pid <= 0 {
		return true
	}
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func (l *lockFile) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	if !l.shared {
		_ = l.f.Truncate(0)
	}
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	err = errors.Join(err, l.f.Close())
	l.f = nil
	return err
}

package state

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rotatord/rotatord/internal/safefile"
)

// LockedError is the error Open returns when another process, or another
// Open in this one, holds the state file. It wraps ErrLocked.
type LockedError struct {
	// Path is the state file.
	Path string
	// PID is the holder's process id, 0 if unknown.
	PID int
	// Holder describes the holder (its command line), "" if unknown.
	Holder string
}

// Error implements error.
func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = "pid " + strconv.Itoa(e.PID)
		if e.Holder != "" {
			who += " (" + e.Holder + ")"
		}
	}
	return fmt.Sprintf("state file %s is in use by %s; stop that process or talk to it through its control socket", e.Path, who)
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// lockFile is an exclusive flock on path+".lock" that records its holder.
type lockFile struct {
	f *os.File
}

// acquireLock takes the lock for the state file at path without waiting
// and writes our pid and holder into it. If another open file description
// holds it, the error is a *LockedError naming that holder.
func acquireLock(path, holder string) (*lockFile, error) {
	f, err := openLockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			pid, desc := readHolder(f)
			return nil, &LockedError{Path: path, PID: pid, Holder: desc}
		}
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	l := &lockFile{f: f}
	if err := l.record(holder); err != nil {
		l.release()
		return nil, fmt.Errorf("write lock file %s: %w", f.Name(), err)
	}
	return l, nil
}

// openLockFile is the one function that opens the lock file. It creates
// it (0600) if missing, never follows a symbolic link, never waits on a
// FIFO, keeps the descriptor from child processes, and refuses anything
// but a regular file with one name (a hard link would let the lock's
// truncate and write reach another file).
func openLockFile(name string) (*os.File, error) {
	// Through safefile: O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC relative to a
	// directory reached without links, every directory checked.
	f, _, err := safefile.Open(name, os.O_RDWR|os.O_CREATE, 0o600, safefile.Options{})
	switch {
	case errors.Is(err, safefile.ErrSymlink):
		return nil, fmt.Errorf("lock file %s is a symbolic link, which rotatord does not follow; remove it (rotatord creates the lock file itself)", name)
	case errors.Is(err, safefile.ErrNotRegular), errors.Is(err, safefile.ErrIsDir):
		return nil, fmt.Errorf("lock file %s is a %s, not a regular file; remove it (rotatord creates the lock file itself)", name, kindAt(name))
	case err != nil:
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat lock file %s: %w", name, err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		f.Close()
		return nil, fmt.Errorf("lock file %s is a %s, not a regular file; remove it (rotatord creates the lock file itself)", name, fileKind(fi.Mode()))
	case st != nil && st.Nlink != 1:
		f.Close()
		return nil, fmt.Errorf("lock file %s has %d hard links, want 1; remove it (rotatord creates the lock file itself)", name, st.Nlink)
	}
	return f, nil
}

// record writes "PID\nHOLDER\n" over the lock file's contents.
func (l *lockFile) record(holder string) error {
	holder = strings.Join(strings.Fields(holder), " ") // one line
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"+holder+"\n"), 0)
	return err
}

// release clears the holder and drops the lock. The file stays: removing it
// would let two processes lock two different files of the same name.
func (l *lockFile) release() error {
	_ = l.f.Truncate(0)
	return l.f.Close() // closing the last descriptor releases the flock
}

// readHolder parses what record wrote. A holder that has not written yet
// reads as unknown (0, "").
func readHolder(f *os.File) (pid int, holder string) {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 4096))
	if err != nil {
		return 0, ""
	}
	first, rest, _ := strings.Cut(string(b), "\n")
	pid, err = strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0, ""
	}
	holder, _, _ = strings.Cut(rest, "\n")
	return pid, strings.TrimSpace(holder)
}

// defaultHolder describes this process: its command line, shortened.
func defaultHolder() string {
	const maxLen = 200
	h := strings.Join(os.Args, " ")
	if len(h) > maxLen {
		h = h[:maxLen] + "…"
	}
	return h
}

package state

import (
	"errors"
	"fmt"
)

// ErrUnusable means the state file exists but cannot be used: it is
// empty, truncated, damaged, or not a rotatord state file. rotatord never
// replaces such a file: it refuses to start until someone restores it.
var ErrUnusable = errors.New("state file is unusable")

// FileError is the error Open (and, once it met damage, every later call
// of a Bolt) returns for a state file it will not use. It wraps
// ErrUnusable, and its message is one sentence: the file, what is wrong
// with it, and what to do.
type FileError struct {
	// Path is the state file.
	Path string
	// Problem says what is wrong, e.g. "meta page 0 fails its checksum".
	Problem string
	// Foreign is set when the file is not a rotatord state file at all (a
	// file of another program, or a link), rather than a damaged one.
	Foreign bool
}

// backupHint is where an operator learns to restore the state file.
const backupHint = `restore the state file from a backup (README, "Backups and restoring")`

// Error implements error.
func (e *FileError) Error() string {
	if e.Foreign {
		return fmt.Sprintf("state file %s is not a rotatord state file (%s) and was left as it is: check state.path, or %s", e.Path, e.Problem, backupHint)
	}
	return fmt.Sprintf("state file %s is damaged (%s) and was left as it is: %s", e.Path, e.Problem, backupHint)
}

// Unwrap returns ErrUnusable.
func (e *FileError) Unwrap() error { return ErrUnusable }

// damaged is the error for a state file whose content is broken.
func damaged(path, format string, args ...any) *FileError {
	return &FileError{Path: path, Problem: fmt.Sprintf(format, args...)}
}

// foreign is the error for a file that is not a rotatord state file.
func foreign(path, format string, args ...any) *FileError {
	return &FileError{Path: path, Problem: fmt.Sprintf(format, args...), Foreign: true}
}

package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/rotatord/rotatord/internal/safefile"
)

// openMode says how openStateFile opens the state file.
type openMode int

const (
	// readOnly: the checks before bbolt maps the file, and bbolt's
	// read-only open.
	readOnly openMode = iota
	// readWrite: bbolt's read-write open of a file that passed the checks.
	readWrite
	// createNew: a new file, which must not exist yet (O_EXCL).
	createNew
)

// openStateFile is the one function that opens the state file, and the
// file a new store is built in: every reader, bbolt included (through
// Options.OpenFile), goes through it. It never follows a symbolic link at
// path, never waits on a FIFO, keeps the descriptor from child processes,
// and refuses anything but a regular file. A missing file is an error
// wrapping fs.ErrNotExist.
//
// It opens through safefile (O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC relative to
// a directory reached without links, every directory checked), so the
// file's directory must be one only root or rotatord's user can write.
func openStateFile(path string, mode openMode) (*os.File, error) {
	var flag int
	switch mode {
	case readOnly:
		flag = os.O_RDONLY
	case readWrite:
		flag = os.O_RDWR
	case createNew:
		flag = os.O_RDWR | os.O_CREATE | os.O_EXCL
	}
	f, info, err := safefile.Open(path, flag, 0o600, safefile.Options{})
	var ue *safefile.Error
	switch {
	case errors.Is(err, safefile.ErrSymlink) && errors.As(err, &ue) && ue.Path == path:
		return nil, foreign(path, "a symbolic link, which rotatord does not follow")
	case errors.Is(err, safefile.ErrNotRegular), errors.Is(err, safefile.ErrIsDir):
		return nil, foreign(path, "a %s, not a regular file", kindAt(path))
	case err != nil:
		return nil, err
	}
	if info.Nlink > 1 && mode != createNew {
		f.Close()
		return nil, foreign(path, "a file with %d names (hard links); rotatord keeps its state in a file of its own", info.Nlink)
	}
	return f, nil
}

// kindAt names the type of the file at path for a message, "special
// file" if it cannot tell; it is read by path for the message only.
func kindAt(path string) string {
	fi, err := os.Lstat(path)
	if err != nil {
		return "special file"
	}
	return fileKind(fi.Mode())
}

// fileKind names a file type for an error message.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return "special file"
}

// fileStamp identifies a file and its content as last checked: the file
// bbolt opens must be the one that passed the checks, unchanged.
type fileStamp struct {
	dev, ino uint64
	size     int64
	mtime    int64 // nanoseconds since the epoch
}

func stampOf(fi os.FileInfo) fileStamp {
	s := fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.dev, s.ino = uint64(st.Dev), st.Ino
	}
	return s
}

// sameFile fails unless f is the file stamp describes, unchanged.
func sameFile(path string, f *os.File, want fileStamp) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if got := stampOf(fi); got != want {
		return fmt.Errorf("state file %s changed while rotatord opened it (another program writes it, or replaced it); stop that program and try again", path)
	}
	return nil
}

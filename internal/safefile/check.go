package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// maxCheckerDirs bounds the directories a Checker keeps open.
const maxCheckerDirs = 64

// Checker checks many files as ReadFile would before reading them, without
// opening or reading any: each directory is walked from "/" and checked
// once for all the files in it (see the package comment), and each file
// then costs an fstatat relative to its directory (and a faccessat, unless
// this process owns it). A
// Checker is for files that are read much later or never, such as
// bootstrap keys: read one with ReadFile, and compare the Info.ID it
// returns with the one Check returned, to know it is still the file that
// was checked. It is not safe for concurrent use; Close it when done.
type Checker struct {
	o    Options
	euid int // os.Geteuid, a system call, asked once
	dirs map[string]checkedDir
}

// checkedDir is a directory a Checker walked: open, or why it is refused.
type checkedDir struct {
	d   *Dir
	err error
}

// NewChecker returns a Checker that applies the checks of o.
func NewChecker(o Options) *Checker {
	return &Checker{o: o, euid: os.Geteuid(), dirs: map[string]checkedDir{}}
}

// Close closes the directories c holds open.
func (c *Checker) Close() {
	for k, cd := range c.dirs {
		if cd.d != nil {
			cd.d.Close()
		}
		delete(c.dirs, k)
	}
}

// Check reports whether the file at path is one ReadFile with c's Options
// would read: reached without an untrusted symbolic link through
// directories only trusted users can write, a regular file (not a
// directory, FIFO, device or socket), owned and writable as the Options
// require, and readable by this process. It returns what fstatat said of
// the file; its errors are those ReadFile returns. It neither opens nor
// reads the file, so an empty or oversized file shows only at the read.
func (c *Checker) Check(path string) (Info, error) {
	abs, err := absClean(path)
	if err != nil {
		return Info{}, fmt.Errorf("open %q: %w", path, err)
	}
	name := filepath.Base(abs)
	if abs == "/" || name == "." || name == ".." {
		return Info{}, unsafef(path, "names a directory, not a file")
	}
	cd := c.dir(filepath.Dir(abs))
	if cd.err != nil {
		var ue *Error
		if errors.As(cd.err, &ue) {
			e := *ue
			e.Path = abs // name the file asked for, not only its directory
			return Info{}, &e
		}
		return Info{}, cd.err
	}
	d := cd.d
	info, err := d.Lstat(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open" // as ReadFile says it
		}
		return Info{}, err
	}
	if info.Mode&fs.ModeSymlink != 0 {
		return c.checkLink(path)
	}
	if err := d.checkFile(abs, info, c.o); err != nil {
		return Info{}, err
	}
	if err := readable(d, name, info, c.euid); err != nil {
		return Info{}, &fs.PathError{Op: "open", Path: abs, Err: err}
	}
	return info, nil
}

// readable reports why this process (of effective uid euid) could not
// open the file name in d, described by info, for reading. A file it owns
// with the owner's read bit is readable whatever else is set (the owner
// class is never narrowed by an ACL); for any other the kernel is asked
// (faccessat).
func readable(d *Dir, name string, info Info, euid int) error {
	if info.UID == euid && info.Mode&0o400 != 0 {
		return nil
	}
	return ignoringEINTR(func() error { return unix.Faccessat(d.fd(), name, unix.R_OK, unix.AT_EACCESS|unix.AT_SYMLINK_NOFOLLOW) })
}

// checkLink checks a path whose last component is a symbolic link, the
// slow way: a whole walk, following it if c's Options let it.
func (c *Checker) checkLink(path string) (Info, error) {
	d, name, info, err := (&walker{follow: c.o.FollowLinks}).final(path)
	if d != nil {
		defer d.Close()
	}
	if err != nil {
		return Info{}, err
	}
	if info.Mode&fs.ModeSymlink != 0 {
		return Info{}, symlinkError(path, path)
	}
	if err := d.checkFile(path, info, c.o); err != nil {
		return Info{}, err
	}
	if err := readable(d, name, info, c.euid); err != nil {
		return Info{}, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return info, nil
}

// dir returns the directory at abs, walked once.
func (c *Checker) dir(abs string) checkedDir {
	if cd, ok := c.dirs[abs]; ok {
		return cd
	}
	if len(c.dirs) >= maxCheckerDirs {
		c.Close()
	}
	d, err := (&walker{follow: c.o.FollowLinks}).dir(abs)
	cd := checkedDir{d: d, err: err}
	c.dirs[abs] = cd
	return cd
}

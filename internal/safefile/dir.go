package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Dir is an open directory whose path was walked from "/" without following
// a symbolic link, every directory on the way checked (see the package
// comment). Files are opened, created and renamed relative to it, so the
// path is never resolved again. Close it when done.
type Dir struct {
	dfd  int
	path string // absolute and cleaned
	info Info
}

// Path returns the directory's absolute, cleaned path.
func (d *Dir) Path() string { return d.path }

// Info returns what fstat said of the directory when it was opened.
func (d *Dir) Info() Info { return d.info }

func (d *Dir) fd() int { return d.dfd }

// Close closes the directory.
func (d *Dir) Close() error { return unix.Close(d.dfd) }

// Sync makes the directory's entries durable (after a create or a rename).
func (d *Dir) Sync() error {
	if err := ignoringEINTR(func() error { return unix.Fsync(d.dfd) }); err != nil {
		return fmt.Errorf("sync directory %s: %w", d.path, err)
	}
	return nil
}

// OpenDir opens the directory at path, refusing a symbolic link anywhere
// in it and any directory on the way that someone other than root or this
// process's user could write. A relative path is taken from the working
// directory.
func OpenDir(path string) (*Dir, error) { return walk(path, false, 0) }

// MkdirAll opens the directory at path as OpenDir does, first creating
// each missing directory on the way with mode perm (less the umask); the
// new directories belong to this process's user.
func MkdirAll(path string, perm fs.FileMode) (*Dir, error) { return walk(path, true, perm) }

// noOpenat2 is set once openat2 turned out to be missing (ENOSYS), or
// refused by a seccomp filter (EPERM), so that later walks use openat.
var noOpenat2 atomic.Bool

// openComponent opens name, one path component, in the directory dfd,
// never following a symbolic link.
func openComponent(dfd int, name string, flags int) (int, error) {
	return openMode(dfd, name, flags, 0)
}

// openMode is openComponent with the mode for O_CREAT.
func openMode(dfd int, name string, flags int, mode uint32) (int, error) {
	flags |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	var fd int
	if !noOpenat2.Load() {
		how := &unix.OpenHow{Flags: uint64(flags), Mode: uint64(mode), Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS}
		err := ignoringEINTR(func() (err error) { fd, err = unix.Openat2(dfd, name, how); return err })
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
			return fd, err
		}
		noOpenat2.Store(true)
	}
	err := ignoringEINTR(func() (err error) { fd, err = unix.Openat(dfd, name, flags, mode); return err })
	return fd, err
}

// openRoot opens "/", where every walk starts.
func openRoot() (int, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		return err
	})
	return fd, err
}

// absClean returns path made absolute and cleaned. With no symbolic link
// allowed on the way, the lexical ".." of Clean is the real one.
func absClean(path string) (string, error) {
	if path == "" {
		return "", errors.New("empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.Clean(abs), nil
}

// walk opens the directory at path from "/", one component at a time; see
// OpenDir and MkdirAll.
func walk(path string, create bool, perm fs.FileMode) (*Dir, error) {
	abs, err := absClean(path)
	if err != nil {
		return nil, fmt.Errorf("open directory %q: %w", path, err)
	}
	fd, err := openRoot()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: "/", Err: err}
	}
	cur := "/"
	var names []string
	if abs != "/" {
		names = strings.Split(abs[1:], "/")
	}
	for i := 0; ; i++ {
		info, err := fstat(fd)
		if err == nil {
			err = checkDir(abs, cur, info)
		}
		if err != nil {
			unix.Close(fd)
			return nil, err
		}
		if i == len(names) {
			// Reopen the last directory readable, for Sync and openat of
			// files; O_PATH was enough to pass through it.
			rfd, err := openComponent(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY)
			unix.Close(fd)
			if err != nil {
				return nil, &fs.PathError{Op: "open", Path: abs, Err: err}
			}
			return &Dir{dfd: rfd, path: abs, info: info}, nil
		}
		name := names[i]
		next := filepath.Join(cur, name)
		nfd, err := openComponent(fd, name, unix.O_PATH|unix.O_DIRECTORY)
		if errors.Is(err, unix.ENOENT) && create {
			if err = unix.Mkdirat(fd, name, uint32(perm.Perm())); err == nil || errors.Is(err, unix.EEXIST) {
				nfd, err = openComponent(fd, name, unix.O_PATH|unix.O_DIRECTORY)
			}
		}
		if err != nil {
			err = componentError(fd, abs, next, name, err)
			unix.Close(fd)
			return nil, err
		}
		unix.Close(fd)
		fd, cur = nfd, next
	}
}

// componentError explains why the directory component name (at next) of
// path could not be opened: a symbolic link, not a directory, or errno.
func componentError(dfd int, path, next, name string, err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EXDEV) {
		var st unix.Stat_t
		if unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			m := modeOf(st.Mode)
			if m&fs.ModeSymlink != 0 {
				return symlinkError(path, next)
			}
			if !m.IsDir() {
				return refusef(ErrNotRegular, path, "%s is %s, not a directory", next, kind(m))
			}
		}
	}
	return &fs.PathError{Op: "open", Path: next, Err: err}
}

// symlinkError refuses the symbolic link at link, a component of path. It
// names where the link leads, to help the operator name the real path; that
// target is only read for the message.
func symlinkError(path, link string) error {
	hint := ""
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		hint = " (" + real + ")"
	} else if real, err := filepath.EvalSymlinks(link); err == nil {
		hint = " (" + link + " leads to " + real + ")"
	}
	return refusef(ErrSymlink, path, "%s is a symbolic link; rotatord follows no symbolic link in the paths it is given: name the real path%s", link, hint)
}

// checkDir refuses the directory at dir (a component of path) unless root
// or this process's user owns it and nobody else may write it, or it is
// sticky (like /tmp: others may add entries, but only an entry's owner may
// rename or remove it, and what rotatord looks up in it must belong to a
// trusted user, which the next step checks).
func checkDir(path, dir string, info Info) error {
	if !trustedUID(info.UID) {
		return unsafef(path, "directory %s belongs to uid %d, who could replace what rotatord reads or writes there; use a directory that root (or rotatord's user) owns and only it can write, or chown root %s", dir, info.UID, dir)
	}
	if othersMayWrite(info.Mode, info.GID) && info.Mode&fs.ModeSticky == 0 {
		return unsafef(path, "directory %s is writable by %s (mode %04o), who could replace what rotatord reads or writes there; chmod go-w %s", dir, writers(info), info.Mode.Perm(), dir)
	}
	return nil
}

// writers says who besides the owner may write a file of info's mode.
func writers(info Info) string {
	if info.Mode&0o002 != 0 {
		return "every user"
	}
	return fmt.Sprintf("group %d", info.GID)
}

// openParent opens the directory that holds path's last component and
// returns it with that name, which is neither empty nor "." nor "..".
func openParent(path string, create bool) (*Dir, string, error) {
	abs, err := absClean(path)
	if err != nil {
		return nil, "", fmt.Errorf("open %q: %w", path, err)
	}
	name := filepath.Base(abs)
	if abs == "/" || name == "." || name == ".." {
		return nil, "", unsafef(path, "names a directory, not a file")
	}
	var d *Dir
	if create {
		d, err = MkdirAll(filepath.Dir(abs), 0o700)
	} else {
		d, err = OpenDir(filepath.Dir(abs))
	}
	if err != nil {
		var ue *Error
		if errors.As(err, &ue) {
			ue.Path = abs // name the file asked for, not only its directory
		}
		return nil, "", err
	}
	return d, name, nil
}

// ownerOK reports whether a file of info may be trusted as to who can
// change it: a trusted owner, or one of also.
func ownerOK(info Info, also []int) bool {
	if trustedUID(info.UID) {
		return true
	}
	for _, u := range also {
		if u >= 0 && u == info.UID {
			return true
		}
	}
	return false
}

// Lstat returns what fstatat says of the entry name in d, without following
// it if it is a symbolic link. A missing entry is an error wrapping
// fs.ErrNotExist.
func (d *Dir) Lstat(name string) (Info, error) {
	var st unix.Stat_t
	err := ignoringEINTR(func() error { return unix.Fstatat(d.fd(), name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	if err != nil {
		return Info{}, &fs.PathError{Op: "stat", Path: filepath.Join(d.path, name), Err: err}
	}
	return infoOf(&st), nil
}

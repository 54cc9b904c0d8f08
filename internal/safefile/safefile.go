// Package safefile opens, reads and writes the files that rotatord's
// configuration names, on a host where other local users may be hostile.
//
// rotatord runs as root (or its own service user) and holds keys that open a
// whole AWS account. Every path it is given may be a symbolic link, a FIFO, a
// device, or lie in a directory someone else can write. So, like OpenSSH's
// StrictModes, sudo and systemd, this package:
//
//   - walks each path from "/" one component at a time, opening every
//     directory with O_NOFOLLOW relative to the one before (openat2 with
//     RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH where the kernel has it, openat
//     otherwise), so the path is never resolved again by name; a symbolic
//     link anywhere in the path is refused (what a sink writes), or, for
//     what rotatord reads as configuration (Options.FollowLinks), followed
//     only if root or rotatord's user made it in a directory only they can
//     write, as the links of a Kubernetes ConfigMap volume are;
//   - checks every directory on the way: it must belong to root or to this
//     process's user, and nobody else may write it (no write bit for group
//     or others, unless the group is root's, the directory is on a
//     read-only mount, or it is sticky like /tmp, where only an entry's
//     owner may rename or remove it);
//   - opens the file itself with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC relative to
//     its directory, fstats the open descriptor and refuses anything but a
//     regular file (a FIFO would hang the open or read, a device such as
//     /dev/zero never ends), caps what it reads, and changes owner and mode
//     through the descriptor (fchown, fchmod), never through the path.
//
// Errors name the path and the component at fault and say what to do. They
// never contain a file's contents.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// ID is a file's identity: its device and inode numbers. Two paths with one
// ID are one file (hard links, or two spellings of one path).
type ID struct {
	Dev, Ino uint64
}

// Info describes an open file, from fstat on its descriptor.
type Info struct {
	ID
	// Mode holds the type and permission bits, as fs.FileMode.
	Mode  fs.FileMode
	UID   int
	GID   int
	Size  int64
	Nlink uint64
}

func infoOf(st *unix.Stat_t) Info {
	return Info{
		ID:    ID{Dev: uint64(st.Dev), Ino: st.Ino},
		Mode:  modeOf(uint32(st.Mode)),
		UID:   int(st.Uid),
		GID:   int(st.Gid),
		Size:  st.Size,
		Nlink: uint64(st.Nlink),
	}
}

// modeOf converts a stat(2) mode to an fs.FileMode.
func modeOf(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// kind names a file type for an error message: "a FIFO", "a directory".
func kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file"
}

// ErrUnsafe is wrapped by every error that refuses a path for what it is or
// where it lies (a symbolic link, a FIFO, a directory others can write, a
// file with other names), as opposed to an I/O error or a missing file.
var ErrUnsafe = errors.New("unsafe path")

// Refusals a caller may want to tell apart; each is wrapped, beside
// ErrUnsafe, by the Error that reports it.
var (
	// ErrSymlink: a symbolic link on the way or at the path.
	ErrSymlink = errors.New("symbolic link")
	// ErrNotRegular: the file is a FIFO, device or socket (or a
	// component on the way is no directory).
	ErrNotRegular = errors.New("not a regular file")
	// ErrIsDir: the path names a directory where a file belongs.
	ErrIsDir = errors.New("is a directory")
	// ErrTooLarge: the file is longer than the read's limit.
	ErrTooLarge = errors.New("file too large")
)

// Error is a refusal of a path. Path is the path asked for; Msg says what
// is wrong with it (naming the component at fault) and what to do.
type Error struct {
	Path string
	Msg  string
	// Kind is ErrSymlink, ErrNotRegular, ErrIsDir, ErrTooLarge, or nil.
	Kind error
}

// Error implements error.
func (e *Error) Error() string { return e.Path + ": " + e.Msg }

// Unwrap returns ErrUnsafe and Kind.
func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{ErrUnsafe}
	}
	return []error{ErrUnsafe, e.Kind}
}

func unsafef(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// refusef is unsafef for a refusal of kind, one of the Err variables.
func refusef(kind error, path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...), Kind: kind}
}

// trustedUID reports whether uid may own the directories on a path and the
// files rotatord trusts: root and this process's own user.
func trustedUID(uid int) bool { return uid == 0 || uid == os.Geteuid() }

// othersMayWrite reports whether someone other than the owner (and root)
// may write to a file or directory of this mode and group: a write bit for
// others, or for a group other than root's.
func othersMayWrite(mode fs.FileMode, gid int) bool {
	return mode&0o002 != 0 || (mode&0o020 != 0 && gid != 0)
}

// ignoringEINTR retries f while it fails with EINTR.
func ignoringEINTR(f func() error) error {
	for {
		if err := f(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// fstat returns the Info of an open descriptor.
func fstat(fd int) (Info, error) {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstat(fd, &st) }); err != nil {
		return Info{}, err
	}
	return infoOf(&st), nil
}

// Stat returns the Info of the file at path, reached as ReadFile with o
// reaches it (with o.FollowLinks, a trusted link at the end is followed
// too), without opening the file itself, which may be of any type (a
// socket, say).
func Stat(path string, o Options) (Info, error) {
	d, _, info, err := (&walker{follow: o.FollowLinks}).final(path)
	if d != nil {
		d.Close()
	}
	return info, err
}

// OthersMayWrite reports whether someone other than the owner and root may
// add, rename or remove entries in (or write) the file that info
// describes: a write bit for others, or for a group other than root's,
// sticky or not. A read-only mount is not seen here.
func (info Info) OthersMayWrite() bool { return othersMayWrite(info.Mode, info.GID) }

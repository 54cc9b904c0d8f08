package safefile

import (
	"errors"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// oPath opens a directory only to pass through it or fstat it: no read
// permission needed.
const oPath = unix.O_PATH

// noOpenat2 is set once openat2 turned out to be missing (ENOSYS), or
// refused by a seccomp filter (EPERM), so that later walks use openat.
var noOpenat2 atomic.Bool

// openMode opens name, one path component, in the directory dfd, never
// following a symbolic link (mode is for O_CREAT): openat2 with
// RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH where the kernel has it, else openat
// with O_NOFOLLOW.
func openMode(dfd int, name string, flags int, mode uint32) (int, error) {
	flags |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	if flags&(unix.O_CREAT|unix.O_TMPFILE) == 0 {
		mode = 0 // openat2 refuses a mode it would not use
	}
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

// readOnlyMount reports whether the file open as fd lies on a read-only
// mount, where nobody can change it whatever its mode.
func readOnlyMount(fd int) bool {
	var fs unix.Statfs_t
	return unix.Fstatfs(fd, &fs) == nil && fs.Flags&unix.ST_RDONLY != 0
}

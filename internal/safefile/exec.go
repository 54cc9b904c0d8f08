package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// maxLinks bounds the symbolic links CheckProgram follows, as the kernel's
// own limit does.
const maxLinks = 40

// CheckProgram checks the program at path that rotatord would run as its
// own user (a command sink's argv[0], already looked up in PATH): that
// nobody but root or rotatord's user can change the file, or any directory
// or symbolic link on the way to it. Unlike the opens of this package it
// follows symbolic links, since exec will (on most systems /bin is one),
// but only links that lie in such directories and belong to such a user:
// those only a trusted user could have made. It returns the program's real
// path.
func CheckProgram(path string) (string, error) {
	abs, err := absClean(path)
	if err != nil {
		return "", fmt.Errorf("program %q: %w", path, err)
	}
	fd, err := openRoot()
	if err != nil {
		return "", &fs.PathError{Op: "open", Path: "/", Err: err}
	}
	defer func() { unix.Close(fd) }()
	cur := "/"
	if info, err := fstat(fd); err != nil {
		return "", err
	} else if err := checkDir(abs, cur, info); err != nil {
		return "", err
	}
	todo := strings.Split(abs[1:], "/")
	links := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			// cur holds no link: its lexical parent is its real one.
			parent := filepath.Dir(cur)
			d, err := OpenDir(parent)
			if err != nil {
				return "", err
			}
			nfd, err := openComponent(d.fd(), ".", unix.O_PATH|unix.O_DIRECTORY)
			d.Close()
			if err != nil {
				return "", &fs.PathError{Op: "open", Path: parent, Err: err}
			}
			unix.Close(fd)
			fd, cur = nfd, parent
			continue
		}
		next := filepath.Join(cur, name)
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return "", &fs.PathError{Op: "stat", Path: next, Err: err}
		}
		info := infoOf(&st)
		switch {
		case info.Mode&fs.ModeSymlink != 0:
			if !trustedUID(info.UID) {
				return "", refusef(ErrSymlink, abs, "symbolic link %s belongs to uid %d, who could point it elsewhere; name the real path of the program", next, info.UID)
			}
			if links++; links > maxLinks {
				return "", unsafef(abs, "more than %d symbolic links on the way", maxLinks)
			}
			buf := make([]byte, unix.PathMax)
			n, err := unix.Readlinkat(fd, name, buf)
			if err != nil {
				return "", &fs.PathError{Op: "readlink", Path: next, Err: err}
			}
			target := string(buf[:n])
			todo = append(strings.Split(target, "/"), todo...)
			if strings.HasPrefix(target, "/") {
				rfd, err := openRoot()
				if err != nil {
					return "", &fs.PathError{Op: "open", Path: "/", Err: err}
				}
				unix.Close(fd)
				fd, cur = rfd, "/"
			}
		case info.Mode.IsDir():
			nfd, err := openComponent(fd, name, unix.O_PATH|unix.O_DIRECTORY)
			if err != nil {
				return "", &fs.PathError{Op: "open", Path: next, Err: err}
			}
			unix.Close(fd)
			fd, cur = nfd, next
			if info, err = fstat(fd); err != nil {
				return "", err
			}
			if err := checkDir(abs, cur, info); err != nil {
				return "", err
			}
		case len(todo) > 0:
			return "", unsafef(abs, "%s is %s, not a directory", next, kind(info.Mode))
		case !info.Mode.IsRegular():
			return "", unsafef(abs, "%s is %s, not a program file", next, kind(info.Mode))
		case !trustedUID(info.UID):
			return "", unsafef(abs, "program %s belongs to uid %d, who could change what rotatord runs as root; chown root %s", next, info.UID, next)
		case othersMayWrite(info.Mode, info.GID):
			return "", unsafef(abs, "program %s is writable by %s (mode %04o), who could change what rotatord runs as root; chmod go-w %s", next, writers(info), info.Mode.Perm(), next)
		default:
			return next, nil
		}
	}
	return "", errors.New("program " + abs + ": names a directory")
}

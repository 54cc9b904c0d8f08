package safefile

import (
	"fmt"
	"io/fs"
	"path/filepath"
)

// final resolves path as far as its last component: it opens the
// directory that holds it and, where w follows links and the last
// component is a link it may follow, goes on to the link's target. It
// returns the directory, the last component's name in it, and what lstat
// says of that (an error wrapping fs.ErrNotExist if it is missing, with d
// and name still set).
func (w *walker) final(path string) (d *Dir, name string, info Info, err error) {
	for {
		d, name, err = w.parent(path)
		if err != nil {
			return nil, "", Info{}, err
		}
		info, err = d.Lstat(name)
		if err != nil || info.Mode&fs.ModeSymlink == 0 || !w.follow {
			return d, name, info, err
		}
		target, err := w.follows(path, frame{d.fd(), d.path}, name, info)
		if err != nil {
			d.Close()
			return nil, "", Info{}, err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(d.path, target)
		}
		d.Close()
		path = target
	}
}

// CheckProgram checks the program at path that rotatord would run as its
// own user (a command sink's argv[0]): that nobody but root or rotatord's
// user can change the file, or any directory or symbolic link on the way
// to it. Unlike the opens of this package by default it follows symbolic
// links, since exec will (on most systems /bin is one), but only links
// that a trusted user made in a directory only trusted users can write. It
// returns the program's real path.
func CheckProgram(path string) (string, error) {
	abs, err := absClean(path)
	if err != nil {
		return "", fmt.Errorf("program %q: %w", path, err)
	}
	d, name, info, err := (&walker{follow: true}).final(abs)
	if err != nil {
		if d != nil {
			d.Close()
		}
		return "", err
	}
	defer d.Close()
	real := filepath.Join(d.path, name)
	switch {
	case info.Mode.IsDir():
		return "", refusef(ErrIsDir, abs, "%s is a directory, not a program", real)
	case !info.Mode.IsRegular():
		return "", refusef(ErrNotRegular, abs, "%s is %s, not a program file", real, kind(info.Mode))
	case !trustedUID(info.UID):
		return "", unsafef(abs, "program %s belongs to uid %d, who could change what rotatord runs as root; chown root %s", real, info.UID, real)
	case othersMayWrite(info.Mode, info.GID):
		return "", unsafef(abs, "program %s is writable by %s (mode %04o), who could change what rotatord runs as root; chmod go-w %s", real, writers(info), info.Mode.Perm(), real)
	}
	return real, nil
}

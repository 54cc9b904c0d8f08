package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

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
func OpenDir(path string) (*Dir, error) { return (&walker{}).dir(path) }

// MkdirAll opens the directory at path as OpenDir does, first creating
// each missing directory on the way with mode perm (less the umask); the
// new directories belong to this process's user.
func MkdirAll(path string, perm fs.FileMode) (*Dir, error) {
	return (&walker{create: true, perm: perm}).dir(path)
}

// walker resolves paths from "/", one component at a time; its fields say
// what it may do on the way.
type walker struct {
	// follow lets it follow a symbolic link that a trusted user made in a
	// directory only trusted users can write (see trustedLink); otherwise
	// every link is refused.
	follow bool
	// create makes missing directories, of mode perm.
	create bool
	perm   fs.FileMode
	// links counts the links followed, up to maxLinks.
	links int
}

// maxLinks bounds the symbolic links one resolution follows, as the
// kernel's own limit does.
const maxLinks = 40

// frame is a directory open on the way, with its real path.
type frame struct {
	fd   int
	path string
}

// openComponent opens name, one path component, in the directory dfd,
// never following a symbolic link.
func openComponent(dfd int, name string, flags int) (int, error) {
	return openMode(dfd, name, flags, 0)
}

// openRoot opens "/", where every walk starts.
func openRoot() (int, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = unix.Open("/", oPath|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
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

// dir opens the directory at path; see OpenDir.
func (w *walker) dir(path string) (*Dir, error) {
	abs, err := absClean(path)
	if err != nil {
		return nil, fmt.Errorf("open directory %q: %w", path, err)
	}
	root, err := openRoot()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: "/", Err: err}
	}
	stack := []frame{{root, "/"}}
	defer func() {
		for _, f := range stack {
			unix.Close(f.fd)
		}
	}()
	info, err := fstat(root)
	if err == nil {
		err = checkDir(abs, "/", info, root)
	}
	if err != nil {
		return nil, err
	}
	todo := strings.Split(abs, "/")
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		top := stack[len(stack)-1]
		switch name {
		case "", ".":
			continue
		case "..":
			// Every directory on the stack was reached without a link, so
			// its parent is the one below it.
			if len(stack) > 1 {
				unix.Close(top.fd)
				stack = stack[:len(stack)-1]
			}
			continue
		}
		next := filepath.Join(top.path, name)
		nfd, err := openComponent(top.fd, name, oPath|unix.O_DIRECTORY)
		if errors.Is(err, unix.ENOENT) && w.create {
			if err = unix.Mkdirat(top.fd, name, uint32(w.perm.Perm())); err == nil || errors.Is(err, unix.EEXIST) {
				nfd, err = openComponent(top.fd, name, oPath|unix.O_DIRECTORY)
			}
		}
		if err != nil {
			target, lerr := w.link(abs, top, name, err)
			if lerr != nil {
				return nil, lerr
			}
			todo = append(strings.Split(target, "/"), todo...)
			if strings.HasPrefix(target, "/") {
				for _, f := range stack[1:] {
					unix.Close(f.fd)
				}
				stack = stack[:1]
			}
			continue
		}
		stack = append(stack, frame{nfd, next})
		info, err := fstat(nfd)
		if err == nil {
			err = checkDir(abs, next, info, nfd)
		}
		if err != nil {
			return nil, err
		}
	}
	top := stack[len(stack)-1]
	// Reopen the last directory readable, for Sync and openat of files;
	// O_PATH was enough to pass through it.
	rfd, err := openComponent(top.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: top.path, Err: err}
	}
	info, err = fstat(rfd)
	if err != nil {
		unix.Close(rfd)
		return nil, err
	}
	return &Dir{dfd: rfd, path: top.path, info: info}, nil
}

// link handles a component name of path, in the directory top, that could
// not be opened as a directory (openErr): if it is a symbolic link that w
// may follow, it returns the link's target; otherwise the error that
// explains why the component is refused.
func (w *walker) link(path string, top frame, name string, openErr error) (string, error) {
	next := filepath.Join(top.path, name)
	if !errors.Is(openErr, unix.ELOOP) && !errors.Is(openErr, unix.ENOTDIR) && !errors.Is(openErr, unix.EXDEV) {
		return "", &fs.PathError{Op: "open", Path: next, Err: openErr}
	}
	var st unix.Stat_t
	if err := unix.Fstatat(top.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return "", &fs.PathError{Op: "open", Path: next, Err: openErr}
	}
	info := infoOf(&st)
	if info.Mode&fs.ModeSymlink == 0 {
		if info.Mode.IsDir() {
			return "", &fs.PathError{Op: "open", Path: next, Err: openErr}
		}
		return "", refusef(ErrNotRegular, path, "%s is %s, not a directory", next, kind(info.Mode))
	}
	return w.follows(path, top, name, info)
}

// follows returns the target of the symbolic link name in the directory
// top (whose checks passed), described by info, if w may follow it: w
// follows links, a trusted user owns this one, and fewer than maxLinks
// were followed. In a directory that only trusted users can write, only
// they can have made the link; in a sticky one its owner made it.
func (w *walker) follows(path string, top frame, name string, info Info) (string, error) {
	link := filepath.Join(top.path, name)
	if !w.follow {
		return "", symlinkError(path, link)
	}
	if !trustedUID(info.UID) {
		return "", refusef(ErrSymlink, path, "symbolic link %s belongs to uid %d, who could point it elsewhere; name the real path", link, info.UID)
	}
	if w.links++; w.links > maxLinks {
		return "", refusef(ErrSymlink, path, "more than %d symbolic links on the way", maxLinks)
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(top.fd, name, buf)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: link, Err: err}
	}
	if n == 0 {
		return "", refusef(ErrSymlink, path, "symbolic link %s is empty", link)
	}
	return string(buf[:n]), nil
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

// checkDir refuses the directory at dir (a component of path, open as fd)
// unless root or this process's user owns it and nobody else may write it:
// its mode gives no write bit to others or to a group other than root's,
// or it lies on a read-only mount (a Kubernetes ConfigMap or Secret
// volume, whose mode is 0777), or it is sticky (like /tmp: others may add
// entries, but only an entry's owner may rename or remove it, and what
// rotatord looks up in it must belong to a trusted user, which the next
// step checks).
func checkDir(path, dir string, info Info, fd int) error {
	if !trustedUID(info.UID) {
		return unsafef(path, "directory %s belongs to uid %d, who could replace what rotatord reads or writes there; use a directory that root (or rotatord's user) owns and only it can write, or chown root %s", dir, info.UID, dir)
	}
	if othersMayWrite(info.Mode, info.GID) && info.Mode&fs.ModeSticky == 0 && !readOnlyMount(fd) {
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
	w := &walker{create: create, perm: 0o700}
	return w.parent(path)
}

// parent is openParent with w's settings.
func (w *walker) parent(path string) (*Dir, string, error) {
	abs, err := absClean(path)
	if err != nil {
		return nil, "", fmt.Errorf("open %q: %w", path, err)
	}
	name := filepath.Base(abs)
	if abs == "/" || name == "." || name == ".." {
		return nil, "", unsafef(path, "names a directory, not a file")
	}
	d, err := w.dir(filepath.Dir(abs))
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

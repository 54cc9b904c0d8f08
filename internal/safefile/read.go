package safefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DefaultLimit is what ReadFile reads at most when Options.Limit is 0.
const DefaultLimit = 1 << 20

// Options say what an open or a read accepts beyond a regular file reached
// safely (see the package comment).
type Options struct {
	// Limit caps what ReadFile reads: a longer file is an error. Zero
	// means DefaultLimit.
	Limit int64
	// Strict is for what rotatord trusts, such as the configuration, key
	// files and templates: the file must belong to root or this process's
	// user, and nobody else may write it.
	Strict bool
	// Owners are further uids that may own the file when it lies in a
	// sticky directory such as /tmp, where anyone may have created it: a
	// file sink's configured owner. (Outside a sticky directory only root
	// or rotatord's user can have made the entry.) Negative ones are
	// ignored.
	Owners []int
	// SingleLink refuses a file that has another name (a hard link), which
	// may be a file the reader must never see, such as the protection key.
	SingleLink bool
	// Reserved refuses the files it holds, by identity.
	Reserved *Reserved
	// FollowLinks lets the path (the directories on the way and the file
	// itself) go through a symbolic link that root or rotatord's user made
	// in a directory only they can write, as a Kubernetes ConfigMap or
	// Secret volume's files are; any other link is still refused. Without
	// it every link is. Only ReadFile, Open and Stat of a path look at it.
	FollowLinks bool
}

// openFinal resolves path for o: the directory that holds the file and
// the file's name in it. A missing file is not an error here.
func openFinal(path string, o Options) (*Dir, string, error) {
	d, name, _, err := (&walker{follow: o.FollowLinks}).final(path)
	if err != nil && d != nil && errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err != nil {
		if d != nil {
			d.Close()
		}
		return nil, "", err
	}
	return d, name, nil
}

// ReadFile reads the regular file at path (see the package comment for
// what is refused), at most o.Limit bytes, and returns its contents with
// what fstat said of it. A missing file is an error wrapping
// fs.ErrNotExist.
func ReadFile(path string, o Options) ([]byte, Info, error) {
	d, name, err := openFinal(path, o)
	if err != nil {
		return nil, Info{}, err
	}
	defer d.Close()
	return d.ReadFile(name, o)
}

// Open opens the regular file at path with flag (os.O_RDONLY, os.O_RDWR,
// with os.O_CREATE and os.O_EXCL as needed; perm is the mode of a file it
// creates) after the checks of the package comment and of o. O_NOFOLLOW,
// O_NONBLOCK and O_CLOEXEC are always added. With os.O_CREATE, missing
// directories on the way are not created: see MkdirAll.
func Open(path string, flag int, perm fs.FileMode, o Options) (*os.File, Info, error) {
	d, name, err := openFinal(path, o)
	if err != nil {
		return nil, Info{}, err
	}
	defer d.Close()
	return d.Open(name, flag, perm, o)
}

// Open opens the file name in d; see the function Open.
func (d *Dir) Open(name string, flag int, perm fs.FileMode, o Options) (*os.File, Info, error) {
	path := filepath.Join(d.path, name)
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return nil, Info{}, unsafef(path, "%q is not a file name", name)
	}
	fd, err := openMode(d.fd(), name, flag|unix.O_NONBLOCK, uint32(perm.Perm()))
	if err != nil {
		return nil, Info{}, d.fileError(path, name, "open", err)
	}
	info, err := fstat(fd)
	if err == nil {
		err = d.checkFile(path, info, o)
	}
	if err != nil {
		unix.Close(fd)
		return nil, Info{}, err
	}
	return os.NewFile(uintptr(fd), path), info, nil
}

// fileError explains why name (at path) in d could not be opened.
func (d *Dir) fileError(path, name, op string, err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EXDEV) {
		var st unix.Stat_t
		if unix.Fstatat(d.fd(), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && modeOf(uint32(st.Mode))&fs.ModeSymlink != 0 {
			return symlinkError(path, path)
		}
	}
	return &fs.PathError{Op: op, Path: path, Err: err}
}

// checkFile applies the checks of o to an open file.
func (d *Dir) checkFile(path string, info Info, o Options) error {
	if info.Mode.IsDir() {
		return refusef(ErrIsDir, path, "is a directory; name a file")
	}
	if !info.Mode.IsRegular() {
		return refusef(ErrNotRegular, path, "is %s, not a regular file; rotatord reads and writes only regular files: name one", kind(info.Mode))
	}
	if what, ok := o.Reserved.Lookup(info.ID); ok {
		return unsafef(path, "is rotatord's own %s (the same file, by device and inode); a sink must never read or write it: name another path", what)
	}
	if o.SingleLink && info.Nlink > 1 {
		return unsafef(path, "has %d names (hard links); rotatord does not read a file that has another name, which may be one it must never show: remove the other links (find / -xdev -samefile %s)", info.Nlink, path)
	}
	sticky := d.info.Mode&fs.ModeSticky != 0 && othersMayWrite(d.info.Mode, d.info.GID)
	if (o.Strict || sticky) && !ownerOK(info, o.Owners) {
		return unsafef(path, "belongs to uid %d, who could change it; rotatord trusts only files that root or its own user owns: chown root %s, or remove it", info.UID, path)
	}
	if o.Strict && othersMayWrite(info.Mode, info.GID) {
		return unsafef(path, "is writable by %s (mode %04o), who could change what rotatord trusts; chmod go-w %s", writers(info), info.Mode.Perm(), path)
	}
	return nil
}

// ReadFile reads the file name in d; see the function ReadFile.
func (d *Dir) ReadFile(name string, o Options) ([]byte, Info, error) {
	f, info, err := d.Open(name, os.O_RDONLY, 0, o)
	if err != nil {
		return nil, Info{}, err
	}
	defer f.Close()
	limit := o.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	// Sized by fstat, so that a large file (a configuration of 100,000
	// secrets) is read into one buffer of its size, not grown by doubling
	// to up to twice that.
	var buf bytes.Buffer
	buf.Grow(int(min(max(info.Size, 0), limit)) + bytes.MinRead)
	_, err = buf.ReadFrom(io.LimitReader(f, limit+1))
	data := buf.Bytes()
	if err != nil {
		return nil, Info{}, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	if int64(len(data)) > limit {
		return nil, Info{}, refusef(ErrTooLarge, f.Name(), "is larger than %d bytes, more than such a file ever holds", limit)
	}
	return data, info, nil
}

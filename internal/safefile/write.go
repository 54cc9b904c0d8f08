package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// WriteOptions say how WriteFile makes the new file.
type WriteOptions struct {
	// Perm is the new file's mode, set with fchmod (so the umask does not
	// apply); zero means 0600.
	Perm fs.FileMode
	// Chown gives the new file the owner UID and group GID, with fchown
	// (-1 keeps this process's); without it the file is this process's.
	Chown    bool
	UID, GID int
	// Reserved refuses to replace the files it holds.
	Reserved *Reserved
}

// WriteFile replaces the file at path with data, atomically: see
// Dir.WriteFile. path's directory must exist.
func WriteFile(path string, data []byte, o WriteOptions) error {
	d, name, err := openParent(path, false)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.WriteFile(name, data, o)
}

// WriteFile replaces the file name in d with data, atomically: a new file
// is created beside it (O_EXCL, mode 0600, never following a link), written,
// synced, given its owner and mode through its descriptor, and renamed over
// name; then d is synced. Readers see the old file or the new, never a
// mix. Whatever was at name (a file, or a symbolic link, which is replaced,
// never followed) is replaced, unless it is a directory or one of
// o.Reserved. On failure the new file is removed and name is left as it
// was. Errors name the path and the failing step, never data.
func (d *Dir) WriteFile(name string, data []byte, o WriteOptions) (err error) {
	path := filepath.Join(d.path, name)
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return unsafef(path, "%q is not a file name", name)
	}
	var st unix.Stat_t
	switch err := unix.Fstatat(d.fd(), name, &st, unix.AT_SYMLINK_NOFOLLOW); {
	case err == nil:
		info := infoOf(&st)
		if info.Mode.IsDir() {
			return refusef(ErrIsDir, path, "is a directory; name a file")
		}
		if what, ok := o.Reserved.Lookup(info.ID); ok {
			return unsafef(path, "is rotatord's own %s (the same file, by device and inode); a sink must never overwrite it: name another path", what)
		}
	case !errors.Is(err, unix.ENOENT):
		return &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	f, tmp, err := d.createTemp(name)
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			_ = f.Close() // may already be closed
			_ = unix.Unlinkat(d.fd(), tmp, 0)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if o.Chown && (o.UID >= 0 || o.GID >= 0) {
		if err := f.Chown(o.UID, o.GID); err != nil {
			return fmt.Errorf("chown %s: %w", f.Name(), err)
		}
	}
	perm := o.Perm
	if perm == 0 {
		perm = 0o600
	}
	if err := f.Chmod(perm.Perm()); err != nil {
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err := unix.Renameat(d.fd(), tmp, d.fd(), name); err != nil {
		return &fs.PathError{Op: "rename", Path: path, Err: err}
	}
	renamed = true
	return d.Sync()
}

// createTemp creates a new, empty file of mode 0600 beside name in d.
func (d *Dir) createTemp(name string) (*os.File, string, error) {
	var b [8]byte
	for range 10 {
		_, _ = rand.Read(b[:])
		tmp := "." + name + ".tmp-" + hex.EncodeToString(b[:])
		fd, err := openMode(d.fd(), tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return nil, "", &fs.PathError{Op: "create", Path: filepath.Join(d.path, tmp), Err: err}
		}
		return os.NewFile(uintptr(fd), filepath.Join(d.path, tmp)), tmp, nil
	}
	return nil, "", fmt.Errorf("create a temporary file in %s: ten names taken", d.path)
}

// Remove removes the file at path (not a directory), reached as WriteFile
// reaches it: the last component is unlinked relative to its directory,
// and a link there is removed, not followed. A missing file is no error.
func Remove(path string) error {
	d, name, err := openParent(path, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Unlinkat(d.fd(), name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return &fs.PathError{Op: "remove", Path: filepath.Join(d.path, name), Err: err}
	}
	return d.Sync()
}
